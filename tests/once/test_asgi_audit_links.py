"""Each page ``manage.py asgi_audit`` links a finding to exists on the built site,
with its heading (the command's ``*_PAGE`` constants, read from its source)."""

import ast
import re

from guide.paths import EXAMPLE_DIR

COMMAND = EXAMPLE_DIR / "polls" / "management" / "commands" / "asgi_audit.py"


def command_pages():
    """``{name: "page/#anchor"}`` of the command's ``*_PAGE`` constants."""
    tree = ast.parse(COMMAND.read_text(encoding="utf-8"))
    return {
        node.targets[0].id: node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        and isinstance(node.targets[0], ast.Name)
        and node.targets[0].id.endswith("_PAGE")
    }


def test_every_finding_links_to_a_page_and_heading_of_the_site(site_dir):
    pages = command_pages()
    assert len(pages) >= 9
    problems = []
    for name, link in sorted(pages.items()):
        page, _, anchor = link.partition("#")
        html = site_dir / page / "index.html"
        if not page.endswith("/") or not html.is_file():
            problems.append(f"{name} = {link!r}: no page {page} on the site")
        elif anchor and not re.search(rf'<h\d[^>]* id="{re.escape(anchor)}"', html.read_text()):
            problems.append(f"{name} = {link!r}: no heading #{anchor} on {page}")
    assert not problems, "\n".join(problems)
