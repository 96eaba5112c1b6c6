"""Third-party browser assets from the site itself.

The site must load nothing from another origin.

- Material fetches Mermaid from a CDN unless a ``mermaid`` global already
  exists, so pages that contain a diagram get the npm package's
  ``mermaid.min.js``, copied into the built site and loaded before Material's
  bundle. ``npm ci`` provides ``node_modules``.

The browser runtime is served by the site too (:mod:`guide.site.runtime_files`).
"""

import logging
import shutil
from pathlib import Path

from mkdocs.exceptions import PluginError

from guide.paths import ROOT

log = logging.getLogger("mkdocs.hooks.guide")

MERMAID = ROOT / "node_modules" / "mermaid" / "dist" / "mermaid.min.js"
MERMAID_URL = "assets/vendor/mermaid.min.js"


def has_diagram(html, page_name):
    """Whether a page's HTML holds a Mermaid diagram; fails if Mermaid is not installed."""
    if 'class="mermaid"' not in html:
        return False
    if not MERMAID.is_file():
        raise PluginError(
            f"{page_name} has a diagram but {MERMAID.relative_to(ROOT)} is missing: "
            "run `npm ci` first."
        )
    return True


def load_mermaid(output, page_url):
    """A page's HTML with Mermaid loaded before Material's bundle (which then uses it)."""
    src = page_url.count("/") * "../" + MERMAID_URL
    return output.replace("</head>", f'<script src="{src}"></script></head>', 1)


def copy_mermaid(site_dir):
    target = Path(site_dir) / MERMAID_URL
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(MERMAID, target)
