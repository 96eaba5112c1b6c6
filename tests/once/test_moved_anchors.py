"""guide.site.moved_anchors: the split troubleshooting page's old anchors lead to its new pages."""

import json
import re

from guide.site import moved_anchors


def _map(site_dir):
    html = (site_dir / "troubleshooting" / "index.html").read_text(encoding="utf-8")
    assert moved_anchors.MARKER not in html
    found = re.search(r"const moved = (\{.*?\});", html)
    assert found, "the troubleshooting index has no map of moved anchors"
    return json.loads(found.group(1))


def test_every_heading_of_the_section_is_in_the_map(site_dir):
    moved = _map(site_dir)
    pages = sorted((site_dir / "troubleshooting").glob("*/index.html"))
    assert len(pages) >= 5
    for page in pages:
        for anchor in moved_anchors.anchors(page.read_text(encoding="utf-8")):
            assert anchor in moved, f"{anchor} of {page.parent.name}"
    # An anchor the single troubleshooting page had, before it was split.
    assert moved["atomic-requests"] == "database/"


def test_a_page_without_the_marker_is_left_alone(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "index.html").write_text("<p>no marker</p>")
    (tmp_path / "a" / "b" / "index.html").write_text('<h2 id="x">X</h2>')
    moved_anchors.fill(tmp_path)
    assert (tmp_path / "a" / "index.html").read_text() == "<p>no marker</p>"
