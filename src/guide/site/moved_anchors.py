"""Links to a page that was split keep working: its old anchors lead to the new pages.

A section index that replaced a long page (``troubleshooting.md`` became the
``troubleshooting/`` section) holds the marker ``<!-- moved-anchors -->``. After
the build, the marker becomes a small script with a map of every heading anchor
of the section's other pages to the page that now has it: a reader who follows
an old link such as ``troubleshooting/#atomic-requests`` lands on
``troubleshooting/database/#atomic-requests``. Without JavaScript the index is
shown, as before.
"""

import json
import re
from pathlib import Path

MARKER = "<!-- moved-anchors -->"

HEADING_ID = re.compile(r"<h[2-6][^>]*\bid=\"([^\"]+)\"")

SCRIPT = """<script>
(() => {{
  const moved = {map};
  const anchor = decodeURIComponent(location.hash.slice(1));
  if (anchor && !document.getElementById(anchor) && moved[anchor]) {{
    location.replace(new URL(moved[anchor] + "#" + anchor, location.href));
  }}
}})();
</script>"""


def anchors(html):
    """The heading anchors of a built page's HTML, in order."""
    return HEADING_ID.findall(html)


def anchor_map(section_dir):
    """``{anchor: "page/"}`` for the headings of the pages under ``section_dir``."""
    moved = {}
    for page in sorted(Path(section_dir).glob("*/index.html")):
        for anchor in anchors(page.read_text(encoding="utf-8")):
            moved.setdefault(anchor, f"{page.parent.name}/")
    return moved


def fill(site_dir):
    """Replace the marker in every built section index of ``site_dir`` with its script."""
    for index in sorted(Path(site_dir).rglob("index.html")):
        html = index.read_text(encoding="utf-8")
        if MARKER not in html:
            continue
        moved = anchor_map(index.parent)
        script = SCRIPT.format(map=json.dumps(moved, sort_keys=True))
        index.write_text(html.replace(MARKER, script, 1), encoding="utf-8")
