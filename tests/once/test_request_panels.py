"""A page's request panel offers only ASGI applications the example project defines.

The panel (``<div class="asgi-request-panel">``) lists what the reader may send a
request to in ``data-applications`` (a JSON list of ``module:attribute``) and
selects ``data-application`` first; the page's script trusts both.
"""

import ast
import json
import re

import pytest

from guide.content import pages
from guide.paths import DOCS, EXAMPLE_DIR

PANEL = re.compile(r'<div class="asgi-request-panel"(?P<attrs>[^>]*)>')
ATTR = re.compile(r"""\b(?P<name>data-[a-z-]+)=(?P<q>['"])(?P<value>.*?)(?P=q)""")


def panels():
    for page in pages.pages():
        for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1):
            match = PANEL.search(line)
            if match:
                attrs = {m["name"]: m["value"] for m in ATTR.finditer(match["attrs"])}
                yield f"{page.relative_to(DOCS).as_posix()}:{number}", attrs


def defined(name):
    """Whether ``module:attribute`` names a module of the example that assigns the attribute."""
    module, _, attribute = name.partition(":")
    path = EXAMPLE_DIR.joinpath(*module.split(".")).with_suffix(".py")
    if not attribute or not path.is_file():
        return False
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return any(
        isinstance(node, ast.Assign | ast.AnnAssign)
        and any(
            isinstance(target, ast.Name) and target.id == attribute
            for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
        )
        for node in tree.body
    )


PANELS = list(panels())


def test_the_pages_have_request_panels():
    assert PANELS


@pytest.mark.parametrize(("where", "attrs"), PANELS, ids=[w for w, _ in PANELS])
def test_a_panel_offers_applications_the_example_defines(where, attrs):
    offered = json.loads(attrs["data-applications"])
    assert offered and all(isinstance(name, str) for name in offered), where
    missing = [name for name in offered if not defined(name)]
    assert not missing, f"{where}: not in examples/mysite: {missing}"
    assert attrs["data-application"] in offered, where


def test_a_name_the_example_does_not_define_is_found():
    assert defined("mysite.asgi:application")
    assert not defined("mysite.asgi:nothing")
    assert not defined("mysite.nowhere:application")
