"""A page's shell sessions, walked in page order: commands run, servers started, outputs compared."""

import re
import time
from dataclasses import dataclass
from pathlib import Path

from guide.content import pages
from guide.content.transcripts import OUTPUT_SUFFIX, SUFFIX, ConsoleError
from guide.paths import ROOT

SERVER_SNIPPETS = "snippets/server_commands/"


@dataclass(frozen=True)
class Action:
    """One included file of a page that a session runs, compares or hands to the caller."""

    kind: str  # "console", "server", "output" or "file"
    path: Path  # the included file
    line: int  # its include's line on the page
    block: object  # the guide.content.pages.Block
    section: str | None = None  # "name" of an include "path:name"
    title: str | None = None  # the block's title="..." (a file shown whole or in part)


def page_actions(page):
    """What a session does for ``page``, in page order.

    ``console`` runs a ``.console`` file; ``server`` starts a server snippet;
    ``output`` compares a ``.out`` file with the running server's output;
    ``file`` is any other include (a file of the example project), for the
    caller to write or compare.
    """
    found = []
    lines = Path(page).read_text(encoding="utf-8").splitlines()
    for block in pages.page_blocks(page):
        title = re.search(r'title="([^"]*)"', lines[block.line - 1])
        for include in block.includes:
            path = ROOT / include.path
            if include.path.endswith(SUFFIX):
                kind = "console"
            elif include.path.startswith(SERVER_SNIPPETS) and include.path.endswith(".sh"):
                kind = "server"
            elif include.path.endswith(OUTPUT_SUFFIX):
                kind = "output"
            else:
                kind = "file"
            found.append(
                Action(kind, path, include.line, block, include.section, title and title[1])
            )
    return found


def pages_with_consoles():
    """Every page that includes a ``.console`` or ``.out`` file."""
    return [
        page
        for page in pages.pages()
        if any(a.kind in ("console", "output") for a in page_actions(page))
    ]


def _needed(rest):
    """Whether a server command is followed by its output (``.out``): then it is started."""
    return bool(rest) and rest[0].kind == "output"


def sections(page):
    """``[(line, title)]`` of ``page``'s ``## `` headings, in page order."""
    lines = Path(page).read_text(encoding="utf-8").splitlines()
    return [(n, line[3:].strip()) for n, line in enumerate(lines, 1) if line.startswith("## ")]


def run_page(page, session, on_file=None, on_section=None):
    """Run ``page``'s console files and servers in ``session``, in page order.

    ``on_file(action, session)`` is called for the other includes (the files
    the page shows), so a caller can write them into the reader's project.
    ``on_section(title, session)`` is called at the end of each ``## `` section,
    once its last action ran (the tutorial compares the reader's project with
    the step's checkpoint there).
    A server's ``.out`` file must follow its command; a server runs until the
    next one starts or the page ends, so the commands after its output can
    reach it. A server command not followed by its output is not started here
    (``tests/test_server_commands.py`` runs every one).
    """
    actions = page_actions(page)
    headings = sections(page)

    def finish_sections(before_line):
        # Every section that ends before ``before_line`` (its next heading is above it).
        while len(headings) > 1 and headings[1][0] < before_line:
            title = headings.pop(0)[1]
            if on_section is not None:
                on_section(title, session)

    for index, action in enumerate(actions):
        finish_sections(action.line)
        where = f"{pages._name(page)}:{action.line}"
        began = time.monotonic()
        try:
            if action.kind == "console":
                session.run_file(action.path)
            elif action.kind == "server" and _needed(actions[index + 1 :]):
                session.start_server(action.path)
            elif action.kind == "output":
                session.compare_server_output(action.path)
            elif on_file is not None:
                on_file(action, session)
        except ConsoleError as exc:
            raise ConsoleError(f"{where}: {exc}") from None
        session.timings.append((where, action.kind, time.monotonic() - began))
    finish_sections(float("inf"))
    if headings and on_section is not None:
        on_section(headings[0][1], session)
    session.stop_server()
