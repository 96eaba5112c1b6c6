"""MkDocs hook: serve third-party browser assets from the site itself.

The site must load nothing from another origin.

- Material fetches Mermaid from a CDN unless a ``mermaid`` global already
  exists, so pages that contain a diagram get the npm package's
  ``mermaid.min.js``, copied into the built site and loaded before Material's
  bundle. ``npm ci`` provides ``node_modules``.
- The browser runtime (Pyodide, the wheels, the example project), built by
  ``python -m guide.runtime_build build/browser`` (``nox -s serve`` does it), is copied to ``runtime/``. If it
  has not been built, the site still builds and reads normally; the Run
  buttons then say that the runtime could not load.
"""

import logging
import shutil
from pathlib import Path

from mkdocs.exceptions import PluginError

from guide.paths import BUILD, ROOT

log = logging.getLogger("mkdocs.hooks.vendor_assets")

MERMAID = ROOT / "node_modules" / "mermaid" / "dist" / "mermaid.min.js"
MERMAID_URL = "assets/vendor/mermaid.min.js"
RUNTIME_BUILD = BUILD / "browser"
RUNTIME_URL = "runtime"

_pages_with_diagrams = []


def on_pre_build(config):
    _pages_with_diagrams.clear()


def on_page_content(html, page, config, files):
    if 'class="mermaid"' in html:
        _pages_with_diagrams.append(page.file.src_uri)
        if not MERMAID.is_file():
            raise PluginError(
                f"{page.file.src_uri} has a diagram but {MERMAID.relative_to(ROOT)} is "
                "missing: run `npm ci` first."
            )
        page.meta["mermaid"] = True
    return html


def on_post_page(output, page, config):
    if page.meta.get("mermaid"):
        src = page.url.count("/") * "../" + MERMAID_URL
        output = output.replace("</head>", f'<script src="{src}"></script></head>', 1)
    return output


def on_post_build(config):
    runtime = Path(config["site_dir"]) / RUNTIME_URL
    if (RUNTIME_BUILD / "runner.mjs").is_file():
        shutil.copytree(RUNTIME_BUILD, runtime, dirs_exist_ok=True)
    else:
        log.info(
            "browser runtime not built (python -m guide.runtime_build build/browser): Run buttons will say so"
        )
    if _pages_with_diagrams:
        target = Path(config["site_dir"]) / MERMAID_URL
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(MERMAID, target)
