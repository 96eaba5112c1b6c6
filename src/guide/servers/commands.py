"""Read the shell commands the documentation shows, so that tests run them as written.

Each command a page shows lives in a ``.sh`` file under ``snippets/``: one
command, possibly continued over several lines with a trailing backslash, run
from ``examples/mysite``. The page includes the file, and the tests read the
same file, so what a reader copies is what was tested.

The commands bind the port the reader sees (8000). A test needs a free port
instead, so :func:`with_port` swaps the exact token (``8000``, or the
``8000`` after ``:`` or ``=`` in ``127.0.0.1:8000`` / ``--port=8000``) and
fails if there is none: a command that stopped naming the port can't be
tested by accident on the wrong one.

Commands are split with :mod:`shlex` and run without a shell, so a snippet
can't rely on pipes, ``&&`` or variable expansion.
"""

import os
import re
import shlex
import sys
from pathlib import Path

from guide.paths import DOCUMENTED_PORT, SNIPPETS
from guide.servers.command_line import APPLICATION, CommandError, join_lines, split

SERVER_SNIPPETS_DIR = SNIPPETS / "server_commands"


def read_command(path):
    """Return the one command in the snippet file at ``path``, as a single line.

    Blank lines and ``#`` comment lines are ignored; a line ending in a
    backslash continues on the next one.
    """
    path = Path(path)
    try:
        commands = join_lines(path.read_text())
    except CommandError as error:
        raise CommandError(f"{path}: {error}") from None
    if len(commands) != 1:
        raise CommandError(f"{path}: expected exactly one command, found {len(commands)}")
    return commands[0]


def parse_command(path):
    """Return the snippet's command as an argv list (split like a POSIX shell)."""
    try:
        return split(read_command(path))
    except CommandError as error:
        raise CommandError(f"{path}: {error}") from None


_PORT_TOKEN = re.compile(rf"^(?P<before>(?:.*[:=])?){DOCUMENTED_PORT}$")


def with_port(argv, port):
    """Return ``argv`` with the documented port replaced by ``port``.

    Only whole tokens change: ``8000``, ``127.0.0.1:8000`` and
    ``--port=8000``. Raises :class:`CommandError` if no token names the port.
    """
    swapped, found = [], 0
    for token in argv:
        match = _PORT_TOKEN.match(token)
        if match:
            token = f"{match['before']}{port}"
            found += 1
        swapped.append(token)
    if not found:
        raise CommandError(f"the port {DOCUMENTED_PORT} does not appear in {shlex.join(argv)!r}")
    return swapped


def server_argv(path, port):
    """The snippet's command, parsed, bound to ``port`` instead of 8000."""
    return with_port(parse_command(path), port)


def application_of(argv):
    """The ``module:attribute`` application path the command serves."""
    found = [token for token in argv if APPLICATION.fullmatch(token)]
    if len(found) != 1:
        raise CommandError(f"expected one application path in {shlex.join(argv)!r}, found {found}")
    return found[0]


def server_snippets():
    """Every server command snippet, sorted by name."""
    return sorted(SERVER_SNIPPETS_DIR.glob("*.sh"))


def command_env(env):
    """``env`` with this interpreter's scripts folder first on ``PATH``.

    A command such as ``uvicorn ...`` then runs the server installed beside
    the Python running the tests (the nox session's virtualenv), as it would
    for a reader with that virtualenv activated, even when pytest was started
    by its full path.
    """
    scripts = str(Path(sys.executable).parent)
    env = dict(env)
    env["PATH"] = os.pathsep.join([scripts, env.get("PATH", os.defpath)])
    return env
