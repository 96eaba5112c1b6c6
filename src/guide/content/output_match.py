"""Comparing a command's or a server's output with the lines a page shows.

Placeholders (see :mod:`guide.content.transcripts`): ``...`` on a line of its
own stands for any number of lines, ``...`` inside a line for any text on it.
Where several processes print at once, :func:`interleaves` leaves only the
order between processes free.
"""

import functools
import re

from guide.content.transcripts import ConsoleError


def _line_pattern(line):
    """A regular expression for one shown line (``...`` inside it: any text on that line)."""
    return ".*?".join(re.escape(piece) for piece in line.split("...")) + r"[ \t]*"


def pattern(expected):
    """A regular expression for the shown lines, with their placeholders."""
    parts = []
    for line in expected:
        if line == "...":
            parts.append(r"(?:[^\n]*\n)*?")
        else:
            parts.append(_line_pattern(line) + r"\n")
    return re.compile("".join(parts))


def matches(expected, actual):
    """Whether ``actual`` (normalised text) is what ``expected`` (lines) shows."""
    return pattern(expected).fullmatch(_lines(actual)) is not None


def _lines(text):
    text = "\n".join(line.rstrip() for line in text.splitlines()).rstrip("\n")
    return text + "\n" if text else ""


def interleaves(expected, actual, processes, first=0, process_id=None):
    """Whether ``actual`` is the shown output of processes that print concurrently.

    Several worker processes start (or stop) at once, so their lines arrive in
    an order that varies from run to run. The ``.out`` file shows one real run;
    ``processes`` says which of its lines each worker printed: a list per
    worker of the file's line numbers (1-based), in the file's order. The
    other lines are the parent process's. ``actual`` matches when its lines
    can be split, one for one, into those sequences, each line matching the
    shown one (placeholders as in :func:`matches`):

    - every shown line appears, and no other line does;
    - each process's lines come in the order shown (the parent's too);
    - the parent's lines up to line ``first`` come before any worker's line
      (what it prints before it starts them);
    - with ``process_id``, a regular expression whose group is the process id
      a line carries (Gunicorn's and Hypercorn's ``[pid]``): the lines that
      carry one belong to the process of that id, one id per process.

    Only the order between different processes is free. A first line ``...``
    stands for any lines before the rest (the start-up before a shutdown).
    """
    expected = list(expected)
    skip, chains, gate = _chains(expected, processes, first)
    shown = [re.compile(_line_pattern(line)) for line in expected]
    ids = re.compile(process_id) if process_id else None
    lines = _lines(actual).splitlines()

    def owner(line):
        found = ids.search(line) if ids else None
        return found[1] if found else None

    def split_from(start):
        @functools.cache
        def walk(pos, owners):
            i = start + sum(pos)
            if i == len(lines):
                return all(p == len(chain) for p, chain in zip(pos, chains, strict=True))
            pid = owner(lines[i])
            for k, chain in enumerate(chains):
                if pos[k] == len(chain) or (k and pos[0] < gate):
                    continue
                if not shown[chain[pos[k]]].fullmatch(lines[i]):
                    continue
                now = owners
                if pid is not None:
                    others = owners[:k] + owners[k + 1 :]
                    if owners[k] not in (None, pid) or pid in others:
                        continue
                    now = owners[:k] + (pid,) + owners[k + 1 :]
                if walk(pos[:k] + (pos[k] + 1,) + pos[k + 1 :], now):
                    return True
            return False

        return walk((0,) * len(chains), (None,) * len(chains))

    return any(split_from(start) for start in (range(len(lines) + 1) if skip else [0]))


def _chains(expected, processes, first):
    """``(skip, chains, gate)`` for :func:`interleaves`; :class:`ConsoleError` if inconsistent.

    ``skip``: the file starts with ``...``; ``chains``: the parent's line
    indexes, then each worker's; ``gate``: how many of the parent's come first.
    """
    skip = bool(expected) and expected[0] == "..."
    listed = [number - 1 for lines in processes for number in lines]
    problems = []
    if len(set(listed)) != len(listed):
        problems.append("a line is listed twice")
    if any(not skip <= i < len(expected) for i in listed):
        problems.append(f"a line number outside {1 + skip}..{len(expected)}")
    if any(list(lines) != sorted(lines) for lines in processes):
        problems.append("list each process's lines in the file's order")
    if "..." in expected[skip:]:
        problems.append("'...' may only stand first, for the lines before")
    if first in (number for lines in processes for number in lines):
        problems.append(f"line {first} ('first') is a worker's line, not the parent's")
    if problems:
        raise ConsoleError("processes: " + "; ".join(problems))
    parent = [i for i in range(skip, len(expected)) if i not in set(listed)]
    chains = [parent] + [[number - 1 for number in lines] for lines in processes]
    gate = sum(i < first for i in parent)  # the parent's lines up to line `first`
    return skip, chains, gate


def output_matches(expected, actual, plan):
    """:func:`interleaves` where the scenario ``plan`` names ``processes``, else :func:`matches`.

    The lines ``plan["may_print"]`` names (whole lines, placeholders allowed) are
    left out of ``actual`` first: a server prints them in some runs and not in
    others, as a race between its tasks decides.
    """
    may_print = [re.compile(_line_pattern(line)) for line in plan.get("may_print", [])]
    if may_print:
        kept = [
            line
            for line in _lines(actual).splitlines()
            if not any(p.fullmatch(line) for p in may_print)
        ]
        actual = "\n".join(kept) + "\n" if kept else ""
    if plan.get("processes"):
        return interleaves(
            expected, actual, plan["processes"], plan.get("first", 0), plan.get("process_id")
        )
    return matches(expected, actual)


def difference(expected, actual, what):
    return (
        f"{what}: the output differs from the file.\n--- shown (with placeholders)\n"
        + "\n".join(expected)
        + "\n--- produced (normalised)\n"
        + _lines(actual)
    )
