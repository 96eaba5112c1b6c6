"""MkDocs hook: mark each doctest snippet on a page as runnable in the browser.

A ```` ```pycon ```` block that includes a snippet (``--8<-- "snippets/…pycon"``)
is wrapped in ``<div class="runnable" data-snippet="…">``. The page's script
adds a Run button to each such block; without JavaScript the page reads the
same, the wrapper being a plain ``div``. A snippet whose ``snippets.toml``
entry has ``browser = "reason"`` gets ``data-browser-skip="reason"`` instead,
and the page says it runs on a server only, and why. So does a snippet written
for a Django release other than the one the browser runtime ships
(``requirements/browser.txt``).
"""

import html
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from doctest_runner import Options, load_options  # noqa: E402

BLOCK = re.compile(
    r"^(?P<indent>[ \t]*)(?P<fence>`{3,})pycon[^\n]*\n"
    r'(?P=indent)--8<-- "snippets/(?P<snippet>[^"]+\.pycon)"\n'
    r"(?P=indent)(?P=fence)[ \t]*$",
    re.MULTILINE,
)

_options = {}


def browser_django_version():
    """``"6.1"``: the Django release pinned for the browser runtime."""
    text = (ROOT / "requirements" / "browser.txt").read_text(encoding="utf-8")
    match = re.search(r"^django==(\d+\.\d+)", text, re.MULTILINE | re.IGNORECASE)
    if not match:
        raise ValueError("requirements/browser.txt pins no django==X.Y")
    return match.group(1)


def on_pre_build(config):
    _options.clear()
    _options.update(load_options())


def _wrap(match):
    indent, snippet = match.group("indent"), match.group("snippet")
    options = _options.get(snippet, Options())
    attrs = f'class="runnable" data-snippet="{html.escape(snippet)}"'
    reason = options.browser
    if not reason and (options.env or options.unset):
        names = ", ".join(sorted({*options.env, *options.unset}))
        reason = (
            f"it needs a fresh Python process with its own environment ({names}), "
            "and the browser keeps one warm Django with mysite.settings"
        )
    browser_django = browser_django_version()
    if not reason and options.django and browser_django not in options.django:
        reason = (
            f"written for Django {', '.join(options.django)}, and the browser runs "
            f"Django {browser_django}"
        )
    if reason:
        attrs += f' data-browser-skip="{html.escape(reason)}"'
    return f"{indent}<div {attrs} markdown>\n\n{match.group(0)}\n\n{indent}</div>"


def on_page_markdown(markdown, page, config, files):
    return BLOCK.sub(_wrap, markdown)
