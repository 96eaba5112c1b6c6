"""Rewrite a snippet's expected outputs from a real run (``run_snippets --update``).

After a Django upgrade, the outputs that changed become a diff to review, not
hand edits. Each example runs as the tests run it
(:func:`guide.content.doctests.run_examples`); where its output differs, the
lines after its ``>>>`` lines become what it printed:

- an example that passes is not touched, nor is anything else in the file
  (prompts, comments, blank lines, line endings);
- a line with ``...`` (doctest's ellipsis) that still matches a line of the
  new output is kept, so is a line of ``...`` alone that stands for several;
- an example that expects an exception and raised another message gets the
  new message, its ``Traceback (most recent call last):`` lines kept;
- an example that raised where no exception is expected is left as it was,
  and so are the examples after it (they ran on what it failed to do): the
  traceback is shown, never written in as the expected output.

The rewritten file is parsed again before it is written: each example keeps
its source, and its new expected output matches what it printed.
"""

import doctest
from dataclasses import dataclass, field
from pathlib import Path

from guide.content.doctests import OPTIONFLAGS, run_examples, run_snippet

CHECKER = doctest.OutputChecker()
ELLIPSIS = doctest.ELLIPSIS_MARKER


@dataclass
class Update:
    """What ``--update`` did to one snippet."""

    rel: str
    text: str = ""  # the new text ("" if unchanged)
    updated: list = field(default_factory=list)  # first lines of the examples rewritten
    notes: list = field(default_factory=list)  # what a reviewer should know
    problems: list = field(default_factory=list)  # what it could not update, and why

    def summary(self):
        n = len(self.updated)
        if n:
            where = ", ".join(map(str, self.updated))
            head = f"{self.rel}: {n} example{'s' * (n != 1)} updated (line{'s' * (n != 1)} {where})"
        else:
            head = f"{self.rel}: {'not updated' if self.problems else 'up to date'}"
        return "\n".join([head, *(f"  {line}" for line in self.notes + self.problems)])


def _lines(text):
    """Output text as the lines of an expected output (a blank line is ``<BLANKLINE>``)."""
    return [line or doctest.BLANKLINE_MARKER for line in text.removesuffix("\n").split("\n")]


def merge(old, new):
    """The output lines ``new``, with the ``...`` lines of ``old`` kept wherever they still match.

    As a diff would align them: the most ``...`` lines kept (a line of ``...``
    alone stands for one line or more, any other for the one line it matches,
    never as the first line), then the most lines left as they were, then the
    most replaced in place.
    """
    n, m = len(old), len(new)
    alone = [line.strip() == ELLIPSIS for line in old]

    def one(i, j):
        return ELLIPSIS in old[i] and not alone[i] and doctest._ellipsis_match(old[i], new[j])

    # best[i][j]: (score, the line written or None, next i, next j) for old[i:] and new[j:],
    # a score being (... lines kept, lines kept, lines replaced in place).
    best = [[None] * (m + 1) for _ in range(n + 1)]
    best[n][m] = ((0, 0, 0), None, n, m)
    for i in range(n, -1, -1):
        for j in range(m, -1, -1):
            if (i, j) == (n, m):
                continue
            moves = []  # in order of preference when scores tie
            if i < n and j < m:
                if one(i, j):
                    moves.append(((1, 0, 0), old[i], i + 1, j + 1))
                elif old[i] == new[j]:
                    moves.append(((0, 1, 0), old[i], i + 1, j + 1))
            if i < n and alone[i]:
                moves += [((1, 0, 0), old[i], i + 1, k) for k in range(m, j, -1)]
            if i < n and j < m:
                moves.append(((0, 0, 1), new[j], i + 1, j + 1))
            if i < n:
                moves.append(((0, 0, 0), None, i + 1, j))
            if j < m:
                moves.append(((0, 0, 0), new[j], i, j + 1))
            scored = [
                (tuple(a + b for a, b in zip(gain, best[ni][nj][0], strict=True)), line, ni, nj)
                for gain, line, ni, nj in moves
                # A first line "..." would read as the source's continuation.
                if not (j == 0 and line is not None and line.lstrip().startswith(ELLIPSIS))
                or line == new[j]
            ]
            best[i][j] = max(scored, key=lambda move: move[0])  # the first of the best
    out, i, j = [], 0, 0
    while (i, j) != (n, m):
        _, line, i, j = best[i][j]
        if line is not None:
            out.append(line)
    return out


def _text(lines):
    return "".join(f"{line}\n" for line in lines)


def _candidates(example, outcome):
    """New expected outputs for ``example``, best first: ``...`` lines kept, then none kept."""
    if outcome["status"] == "exception":
        old_msg, new_msg = _lines(example.exc_msg), _lines(outcome["exc_msg"])
        head = example.want[: len(example.want) - len(example.exc_msg)]
        return [head + _text(merge(old_msg, new_msg)), head + _text(new_msg)]
    if not outcome["got"]:
        return [""]
    new = _lines(outcome["got"])
    return [_text(merge(_lines(example.want), new)), _text(new)] if example.want else [_text(new)]


def _fits(example, want, outcome):
    """True if ``want`` written after ``example``'s source parses back as that example, with
    ``want`` as its expected output, and matches what it did (an exception only if it raised)."""
    source = example.source.removesuffix("\n").split("\n")
    prompts = "".join(f"{'>>> ' if i == 0 else '... '}{line}\n" for i, line in enumerate(source))
    parsed = doctest.DocTestParser().get_examples(prompts + want)
    if len(parsed) != 1 or parsed[0].source != example.source or parsed[0].want != want:
        return False
    if outcome["status"] == "exception":
        return parsed[0].exc_msg is not None and CHECKER.check_output(
            parsed[0].exc_msg, outcome["exc_msg"], OPTIONFLAGS
        )
    return parsed[0].exc_msg is None and CHECKER.check_output(want, outcome["got"], OPTIONFLAGS)


def rewrite(text, outcomes, rel="<snippet>"):
    """The :class:`Update` of ``text`` (a snippet's text) from its run's ``outcomes``."""
    result = Update(rel)
    newline = "\r\n" if "\r\n" in text else "\n"
    plain = text.replace("\r\n", "\n")
    examples = doctest.DocTestParser().get_examples(plain, rel)
    by_line = {o["line"]: o for o in outcomes}  # an example marked +SKIP has none
    if not set(by_line) <= {e.lineno + 1 for e in examples}:
        result.problems.append(
            "the file's examples are not those that ran: was it edited meanwhile?"
        )
        return result
    lines = plain.split("\n")
    changes = []  # (first line of the old output, its number of lines, the new lines)
    for index, example in enumerate(examples):
        line = example.lineno + 1
        outcome = by_line.get(line, {"status": "ok"})
        if outcome["status"] == "raised":
            later = len(examples) - index - 1
            result.problems.append(
                f"line {line}: raised where no exception is expected; left as it was"
                + (f", and the {later} after it" if later else "")
                + ":\n    "
                + outcome["got"].rstrip("\n").replace("\n", "\n    ")
            )
            break
        if outcome["status"] == "ok":
            continue
        fitting = [w for w in _candidates(example, outcome) if _fits(example, w, outcome)]
        if not fitting:
            result.problems.append(
                f"line {line}: what it printed cannot be written as its expected output "
                "(a line that looks like a prompt, a traceback or a blank one?); edit it by hand:\n    "
                + outcome["got"].rstrip("\n").replace("\n", "\n    ")
            )
            continue
        if example.exc_msg is not None and outcome["status"] == "output":
            result.notes.append(
                f"line {line}: expected an exception and raised none; its output written"
            )
        start = example.lineno + example.source.count("\n")
        new = [
            " " * example.indent + w
            for w in fitting[0].removesuffix("\n").split("\n")
            if fitting[0]
        ]
        changes.append((start, example.want.count("\n"), new))
        result.updated.append(line)
    for start, count, new in reversed(changes):
        lines[start : start + count] = new
    if changes:
        result.text = newline.join(lines)
    return result


def update_snippet(snippet, database):
    """Run ``snippet`` (a :class:`~guide.content.snippets.Snippet`), rewrite its outputs, run it again.

    Returns the :class:`Update`; the file is written only if an example changed.
    """
    ok, output, outcomes = run_examples(snippet, database)
    if outcomes is None:
        return Update(snippet.include, problems=[f"it did not run to the end:\n{output}"])
    path = Path(snippet.path)
    with path.open(encoding="utf-8", newline="") as file:
        result = rewrite(file.read(), outcomes, snippet.include)
    if result.text:
        with path.open("w", encoding="utf-8", newline="") as file:
            file.write(result.text)
    if result.text and not result.problems:
        ok, output = run_snippet(snippet, database)
        if not ok:
            result.problems.append(f"it still fails after the update:\n{output}")
    elif not ok and not result.problems:
        result.problems.append(output)
    return result
