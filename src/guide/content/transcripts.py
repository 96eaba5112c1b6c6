"""Shell sessions the pages show, run as written and compared with what they show.

A page never holds a command or its output inline. It includes files:

- ``snippets/<section>/<page>/<name>.console``, in a ```` ```console ````
  block: ``$ `` lines are commands (a line ending in ``\\`` continues on the
  next one), the lines after a command are the output the reader should see;
- ``snippets/server_commands/<name>.sh``, in a ```` ```bash ```` block: a server
  command (see :mod:`guide.servers.commands`), started in the background;
- ``snippets/<section>/<page>/<name>.out``, in a ```` ```text ```` block right
  after a server command: what that server prints once it has started.

Where several worker processes print at once, the order of their lines varies
from run to run: ``outputs.toml`` then says which lines of the ``.out`` file
each process printed, and only the order between processes is left free
(:func:`interleaves`).

Expected output holds placeholders for what truly varies:

- ``...`` on a line of its own stands for any number of lines (none included);
- ``...`` inside a line stands for any text on that line (a process id, a time,
  a duration, a version);
- the reader's home folder is shown as ``/home/you`` (the session's own
  temporary folder is replaced by it before comparing), and the port a server
  was really started on as ``8000`` (the port the pages use).

A command shown without output is run and must succeed (exit status 0); what
it prints is not compared, as the page claims nothing about it.

:class:`Session` runs a page's files in order, in a temporary folder standing
for the reader's home, with one shell state (``cd`` and ``export`` carry over
from one command to the next). ``python -m pip install ...`` runs as
``uv pip install ...`` in a virtual environment the session creates on first
use (one per session, with uv's cache), which then comes first on ``PATH``, as
an activated virtual environment would. ``nox -s SESSION`` commands (the
repository's own tooling) are checked, not run: the session must exist in
``noxfile.py``.
"""

from dataclasses import dataclass
from pathlib import Path

from guide.paths import ROOT, SNIPPETS

SUFFIX = ".console"
OUTPUT_SUFFIX = ".out"
HOME = "/home/you"
"""The reader's home folder as the pages show it."""
PROMPT = "$ "


class ConsoleError(ValueError):
    """A ``.console`` file is malformed, or a command did not do what the file shows."""


@dataclass(frozen=True)
class Step:
    """One command of a ``.console`` file and the output shown under it."""

    line: int  # 1-based line of its prompt in the file
    command: str  # continuation lines joined, as a shell reads it: one line
    shown: str  # the command as the file shows it, continuation lines and backslashes kept
    expected: tuple  # the output lines shown (trailing blank lines dropped)


def parse_text(text, name="<console>"):
    """The steps of a ``.console`` file's text; raises :class:`ConsoleError`."""
    lines = text.splitlines()
    steps, i = [], 0
    if not lines or not lines[0].startswith(PROMPT):
        raise ConsoleError(f"{name}:1: a console file starts with a command ('$ ...')")
    while i < len(lines):
        start = i
        command = shown = lines[i][len(PROMPT) :]
        while command.endswith("\\"):
            i += 1
            if i == len(lines):
                raise ConsoleError(f"{name}:{i}: the last command ends with a backslash")
            command = command[:-1] + lines[i]  # a shell drops the backslash and newline
            shown += "\n" + lines[i]
        if not command.strip():
            raise ConsoleError(f"{name}:{start + 1}: an empty command")
        i += 1
        output = []
        while i < len(lines) and not lines[i].startswith(PROMPT):
            output.append(lines[i].rstrip())
            i += 1
        while output and not output[-1]:
            output.pop()
        steps.append(Step(start + 1, command, shown, tuple(output)))
    return steps


def parse(path):
    path = Path(path)
    return parse_text(path.read_text(encoding="utf-8"), rel(path))


def rel(path):
    path = Path(path)
    return path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else str(path)


def commands_of(text):
    """What a console block's copy button copies: the commands, without prompts or output."""
    return "".join(step.shown + "\n" for step in parse_text(text))


def console_files():
    return sorted(SNIPPETS.rglob(f"*{SUFFIX}"))


def output_files():
    return sorted(SNIPPETS.rglob(f"*{OUTPUT_SUFFIX}"))
