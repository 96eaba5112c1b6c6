"""MkDocs hook: serve third-party browser assets from the site itself.

The site must load nothing from another origin. Material fetches Mermaid from a
CDN unless a ``mermaid`` global already exists, so pages that contain a
diagram get the npm package's ``mermaid.min.js``, copied into the built site
and loaded before Material's bundle. ``npm ci`` provides ``node_modules``.
"""

import shutil
from pathlib import Path

from mkdocs.exceptions import PluginError

ROOT = Path(__file__).resolve().parent.parent
MERMAID = ROOT / "node_modules" / "mermaid" / "dist" / "mermaid.min.js"
MERMAID_URL = "assets/vendor/mermaid.min.js"

_pages_with_diagrams = []


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
    if _pages_with_diagrams:
        target = Path(config["site_dir"]) / MERMAID_URL
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(MERMAID, target)
