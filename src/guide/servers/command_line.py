"""One command line as a page shows it (or a reader pastes it): its lines joined, split
like a POSIX shell.

The one reading of a command's text, shared by the tests' parser of the command
snippets (:mod:`guide.servers.commands`) and the command checker
(:mod:`guide.servers.command_check`). It imports nothing from the guide, so the
checker's page runs it as it is in the browser.
"""

import re
import shlex

APPLICATION = re.compile(r"[A-Za-z_][\w.]*:[A-Za-z_][\w.]*")
"""An application path, ``module.path:attribute``."""

SHELL_OPERATORS = {"|", "||", "&", "&&", ";", ">", ">>", "<", "2>&1"}


class CommandError(ValueError):
    """A text that is not one command that runs as written, without a shell."""


def join_lines(text):
    """The commands in ``text``, each as one line.

    Blank lines and ``#`` comment lines are ignored; a line ending in a
    backslash continues on the next one.
    """
    lines = [
        line.rstrip()
        for line in text.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    commands, current = [], ""
    for line in lines:
        if line.endswith("\\"):
            current += line[:-1].strip() + " "
        else:
            commands.append(current + line.strip())
            current = ""
    if current:
        raise CommandError("the last line ends with a backslash")
    return commands


def words(command):
    """``command`` split into words like a POSIX shell (quotes, backslashes)."""
    try:
        return shlex.split(command)
    except ValueError as error:  # "No closing quotation", "No escaped character"
        raise CommandError(f"it cannot be split into words ({error})") from None


def split(command):
    """``command`` as an argv list, split like a POSIX shell; refuses what needs a shell."""
    argv = words(command)
    operators = SHELL_OPERATORS.intersection(argv)
    if operators:
        raise CommandError(f"shell operators {sorted(operators)} can't run without a shell")
    if "$" in " ".join(argv):
        raise CommandError("variable expansion can't run without a shell")
    return argv
