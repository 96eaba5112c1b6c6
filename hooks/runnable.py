"""MkDocs hook: every doctest block becomes runnable, one tab per Django version.

The rendering is :func:`guide.runnable.render`; this hook loads the snippet
model once per build and turns the guide's errors (a malformed block or
include, a snippet the model refuses) into build failures that name the page
and the line.
"""

from mkdocs.exceptions import PluginError

from guide import pages, runnable
from guide import snippets as model

_state = {}


def on_pre_build(config):
    try:
        _state["snippets"] = model.load()
        _state["browser_django"] = model.browser_django()
    except model.SnippetError as exc:
        raise PluginError(str(exc)) from exc


def on_page_markdown(markdown, page, config, files):
    try:
        return runnable.render(
            markdown, page.file.abs_src_path, _state["snippets"], _state["browser_django"]
        )
    except pages.PageError as exc:
        raise PluginError(str(exc)) from exc
