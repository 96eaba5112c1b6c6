"""Render a page's doctest blocks as runnable ones, one tab per Django version.

A ```` ```pycon ```` block holds one include of a snippet
(``--8<-- "snippets/…/name.pycon"``), parsed by :mod:`guide.content.pages`; a block
written any other way raises :class:`~guide.content.pages.PageError` with the page,
the line and what was expected, instead of silently getting no Run button.

- A plain snippet's block is wrapped in ``<div class="runnable"
  data-snippet="…">``. The page's script adds a Run button to it; without
  JavaScript the page reads the same, the wrapper being a plain ``div``.
- A name with version variants (``name-django5.2.pycon``, … see
  :mod:`guide.content.snippets`) becomes one content tab per supported Django
  release, in the order of the one version list, each tab holding that
  variant's runnable block.
- A snippet that needs a process of its own (``env``, ``unset``, ``setup =
  false``) gets ``data-fresh`` (JSON, :func:`guide.content.snippets.browser_fresh`):
  the page runs it in a fresh interpreter.
- Under each block, one quiet line says what it is tested on ("Tested on
  Django 5.2, 6.0, 6.1", :func:`guide.site.verified.line`), outside the
  runnable ``div`` (the page's script adds its Run bar and output inside it).
- A snippet that cannot run in the browser (its ``snippets.toml`` gives a
  reason, or it is for another Django release than the runtime ships) gets
  ``data-browser-skip="reason"``, a few plain words ("needs real threads"), and the
  page says in one line that it runs on a server only, and why. The longer
  explanation (``browser_why``) is folded under the block, for the reader who asks:
  ``<details class="runnable-why">``.

:mod:`guide.site.hooks` calls :func:`render` for every page.
"""

import html
import json

from guide.content import pages
from guide.content import snippets as model
from guide.site import verified


def _runnable(snippet, indent, browser_django):
    """The block for one snippet, wrapped in its runnable ``div``."""
    attrs = f'class="runnable" data-snippet="{html.escape(snippet.rel)}"'
    reason = snippet.browser_skip(browser_django)
    if reason:
        attrs += f' data-browser-skip="{html.escape(reason)}"'
    fresh = model.browser_fresh(snippet)
    if fresh and not reason:
        attrs += f' data-fresh="{html.escape(json.dumps(fresh, sort_keys=True))}"'
    why = snippet.options.browser_why if reason else ""
    folded = (
        [
            f'{indent}<details class="runnable-why"><summary>Why it runs on a server only</summary>'
            f"<p>{html.escape(why)}</p></details>"
        ]
        if why
        else []
    )
    return [
        f"{indent}<div {attrs} markdown>",
        "",
        f"{indent}```pycon",
        f'{indent}--8<-- "{snippet.include}"',
        f"{indent}```",
        "",
        f"{indent}</div>",
        "",
        f'{indent}<p class="tested-on">{html.escape(verified.line(snippet))}</p>',
        *folded,
    ]


def _block(block, include, snippets, browser_django, shown):
    found = model.variants(snippets, include.path)
    if not found:
        raise pages.PageError(block.page, include.line, f"no snippet {include.path}")
    shown.extend(found)
    indent = block.indent
    if len(found) == 1 and found[0].django is None:
        return ["", *_runnable(found[0], indent, browser_django), ""]
    out = [""]
    for snippet in found:
        inner = _runnable(snippet, indent + "    ", browser_django)
        out += [f'{indent}=== "Django {snippet.django}"', "", *inner, ""]
    return out


def render(markdown, page, snippets, browser_django, shown=None):
    """``markdown`` with every ``pycon`` block made runnable; raises :class:`~guide.content.pages.PageError`.

    ``shown``: a list that gets every snippet the blocks show (variants included).
    """
    shown = [] if shown is None else shown
    found = [
        (block, pages.doctest_block_include(block))
        for block in pages.blocks(markdown, page)
        if block.lang == "pycon"
    ]
    lines = markdown.splitlines()
    for block, include in reversed(found):
        lines[block.line - 1 : block.end] = _block(block, include, snippets, browser_django, shown)
    return "\n".join(lines) + "\n"
