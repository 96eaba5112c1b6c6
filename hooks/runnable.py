"""MkDocs hook: mark each doctest snippet on a page as runnable in the browser.

A ```` ```pycon ```` block that includes a snippet (``--8<-- "snippets/…pycon"``)
is wrapped in ``<div class="runnable" data-snippet="…">``. The page's script
adds a Run button to each such block; without JavaScript the page reads the
same, the wrapper being a plain ``div``. A snippet whose ``snippets.toml``
entry has ``browser = "reason"`` gets ``data-browser-skip="reason"`` instead,
and the page says it runs on a server only, and why.
"""

import html
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from doctest_runner import Options, load_options  # noqa: E402

BLOCK = re.compile(
    r'^(?P<indent>[ \t]*)(?P<fence>`{3,})pycon[^\n]*\n'
    r'(?P=indent)--8<-- "snippets/(?P<snippet>[^"]+\.pycon)"\n'
    r"(?P=indent)(?P=fence)[ \t]*$",
    re.MULTILINE,
)

_options = {}


def on_pre_build(config):
    _options.clear()
    _options.update(load_options())


def _wrap(match):
    indent, snippet = match.group("indent"), match.group("snippet")
    options = _options.get(snippet, Options())
    attrs = f'class="runnable" data-snippet="{html.escape(snippet)}"'
    if options.browser:
        attrs += f' data-browser-skip="{html.escape(options.browser)}"'
    return f"{indent}<div {attrs} markdown>\n\n{match.group(0)}\n\n{indent}</div>"


def on_page_markdown(markdown, page, config, files):
    return BLOCK.sub(_wrap, markdown)
