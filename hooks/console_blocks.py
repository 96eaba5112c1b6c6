"""MkDocs hook: a shell block on a page is one included, tested file, or the build fails.

A ```` ```console ```` block holds one line, ``--8<-- "snippets/.../name.console"``
(commands and their output, run by ``tests/test_console.py``); a
```` ```bash ```` (``sh``, ``shell``) block holds one include of a
``snippets/`` file (a server command, run by ``tests/test_server_commands.py``).
Anything else stops ``mkdocs build --strict`` with the page, the line and what
to write instead; ``tests/test_console.py`` checks the other blocks too.
"""

from mkdocs.exceptions import PluginError

from guide import console, pages


def on_page_markdown(markdown, page, config, files):
    try:
        console.check_shell_blocks(markdown, page.file.abs_src_path)
    except pages.PageError as exc:
        raise PluginError(str(exc)) from exc
    return markdown
