"""``python -m guide.content.run_snippets --update``: expected outputs rewritten from a real run.

On copies of snippets in a temporary folder: the real snippets are never written.
"""

import shutil

import django
import pytest

from guide.content import run_snippets
from guide.content import snippets as model
from guide.content.update_outputs import merge, rewrite, update_snippet
from guide.paths import DJANGO_VERSIONS, SNIPPETS

DJANGO = django.get_version().rsplit(".", 1)[0]


def _copy(tmp_path, rel, name=None):
    """A copy of snippets/``rel`` in a snippets folder of its own; its path."""
    target = tmp_path / "snippets" / "demo" / (name or rel.rsplit("/", 1)[-1])
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(SNIPPETS / rel, target)
    return target


def _write(tmp_path, name, text):
    target = tmp_path / "snippets" / "demo" / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(text.encode())
    return target


# --- The rewriting, on outcomes given here ----------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "merged"),
    [
        (
            ["row 0", "...", "row 9"],
            ["row 0", "row 1", "row 2", "row 3"],
            ["row 0", "...", "row 3"],
        ),
        (["at 0x...>", "2"], ["at 0x7f3a>", "3"], ["at 0x...>", "3"]),
        (["took ... ms"], ["took 12 ms", "done"], ["took ... ms", "done"]),
        (["a ... z"], ["b"], ["b"]),
        ([], ["x"], ["x"]),
        (["x", "..."], ["x"], ["x"]),  # "..." for no line at all would not match: dropped
    ],
)
def test_merge_keeps_the_ellipsis_lines_that_still_match(old, new, merged):
    assert merge(old, new) == merged


def test_only_the_outputs_that_differ_change_byte_for_byte():
    text = ">>> 1 + 1  # two\r\n3\r\n>>> print('a  b')\r\na  b\r\n\r\n# prose\r\n>>> 2 * 2\r\n5"
    outcomes = [
        {"line": 1, "status": "output", "got": "2\n"},
        {"line": 3, "status": "ok"},
        {"line": 7, "status": "output", "got": "4\n"},
    ]
    result = rewrite(text, outcomes, "x.pycon")
    assert result.updated == [1, 7] and not result.problems
    assert result.text == text.replace("\r\n3\r\n", "\r\n2\r\n").removesuffix("5") + "4"
    assert result.summary() == "x.pycon: 2 examples updated (lines 1, 7)"


def test_a_new_blank_line_is_written_as_blankline_and_a_new_output_after_the_source():
    text = ">>> print('a\\n\\nb')\na\nb\n>>> x = 1; x\n"
    outcomes = [
        {"line": 1, "status": "output", "got": "a\n\nb\n"},
        {"line": 4, "status": "output", "got": "1\n"},
    ]
    assert (
        rewrite(text, outcomes).text
        == ">>> print('a\\n\\nb')\na\n<BLANKLINE>\nb\n>>> x = 1; x\n1\n"
    )


def test_an_exception_that_raised_no_one_expected_is_never_written_in():
    text = ">>> 1\n2\n>>> 1 / 0\n0\n>>> 3\n4\n"
    traceback = "Traceback (most recent call last):\nZeroDivisionError: division by zero\n"
    outcomes = [
        {"line": 1, "status": "output", "got": "1\n"},
        {"line": 3, "status": "raised", "got": traceback},
        {"line": 5, "status": "output", "got": "3\n"},
    ]
    result = rewrite(text, outcomes, "x.pycon")
    assert result.text == ">>> 1\n1\n>>> 1 / 0\n0\n>>> 3\n4\n"  # the example after it too
    assert result.updated == [1]
    (problem,) = result.problems
    assert problem.startswith("line 3: raised where no exception is expected; left as it was, ")
    assert "ZeroDivisionError: division by zero" in problem


def test_an_output_doctest_would_read_as_a_traceback_or_a_prompt_is_left_for_a_person():
    text = ">>> show()\nok\n>>> other()\nok\n"
    outcomes = [
        {
            "line": 1,
            "status": "output",
            "got": "Traceback (most recent call last):\nValueError: x\n",
        },
        {"line": 3, "status": "output", "got": ">>> not a prompt\n"},
    ]
    result = rewrite(text, outcomes, "x.pycon")
    assert result.text == "" and result.updated == []
    assert [p.split(":")[0] for p in result.problems] == ["line 1", "line 3"]
    assert "edit it by hand" in result.problems[0]


def test_an_expected_exception_gets_its_new_message_and_keeps_its_traceback_lines():
    text = ">>> f()\nTraceback (most recent call last):\n  ...\nValueError: old ... text\n"
    outcomes = [
        {"line": 1, "status": "exception", "exc_msg": "ValueError: new words\n", "got": "..."}
    ]
    result = rewrite(text, outcomes)
    assert result.text == (
        ">>> f()\nTraceback (most recent call last):\n  ...\nValueError: new words\n"
    )


# --- Real runs, on copies ---------------------------------------------------------


def test_an_update_restores_broken_outputs_as_the_snippets_are(tmp_path, database):
    forwarded = _copy(tmp_path, "howto/reverse_proxy/forwarded.pycon")
    unsafe = _copy(tmp_path, "howto/async_safety/unsafe.pycon")
    forwarded.write_text(
        forwarded.read_text().replace("https 203.0.113.7 True", "https 1.2.3.4 True")
    )
    unsafe.write_text(
        unsafe.read_text().replace("\n3\n", "\n4\n").replace("or sync_to_async.", "or a prayer.")
    )
    for path, lines in ((forwarded, [16]), (unsafe, [5, 11])):
        result = update_snippet(model.Snippet(path, root=tmp_path / "snippets"), database)
        assert (result.updated, result.problems) == (lines, [])
    assert forwarded.read_bytes() == (SNIPPETS / "howto/reverse_proxy/forwarded.pycon").read_bytes()
    assert unsafe.read_bytes() == (SNIPPETS / "howto/async_safety/unsafe.pycon").read_bytes()


def test_a_passing_snippet_is_not_touched(tmp_path, database):
    path = _copy(tmp_path, "howto/async_safety/unsafe.pycon")
    before = path.stat().st_mtime_ns
    result = update_snippet(model.Snippet(path, root=tmp_path / "snippets"), database)
    assert result.summary() == "snippets/demo/unsafe.pycon: up to date"
    assert path.stat().st_mtime_ns == before


def test_the_cli_says_what_it_updated_and_fails_on_an_unexpected_exception(tmp_path, capsys):
    path = _write(
        tmp_path,
        "mixed.pycon",
        ">>> for i in range(4): print('row', i)\nrow 0\n...\nrow 9\n"
        ">>> 1 / 0\n0\n>>> print('after')\nbefore\n",
    )
    assert run_snippets.main(["--update", str(path)], root=tmp_path / "snippets") == 1
    out = capsys.readouterr().out
    assert out.startswith("snippets/demo/mixed.pycon: 1 example updated (line 1)\n")
    assert (
        "  line 5: raised where no exception is expected; left as it was, and the 1 after it:"
        in out
    )
    assert 'File "<doctest mixed.pycon[1]>", line 1' in out and "ZeroDivisionError" in out
    assert path.read_text() == (
        ">>> for i in range(4): print('row', i)\nrow 0\n...\nrow 3\n"
        ">>> 1 / 0\n0\n>>> print('after')\nbefore\n"
    )


def test_a_variant_for_another_django_is_updated_only_on_that_django(tmp_path, capsys):
    for version in DJANGO_VERSIONS:
        _write(tmp_path, f"v-django{version}.pycon", ">>> 1 + 1\n3\n")
    other = next(v for v in DJANGO_VERSIONS if v != DJANGO)
    paths = [str(tmp_path / "snippets" / "demo" / f"v-django{v}.pycon") for v in (other, DJANGO)]
    assert run_snippets.main(["--update", *paths], root=tmp_path / "snippets") == 0
    out = capsys.readouterr().out
    assert (
        f"skip snippets/demo/v-django{other}.pycon: for Django {other}, this is {DJANGO}\n" in out
    )
    assert f"--update snippets/demo/v-django{other}.pycon)" in out
    assert f"snippets/demo/v-django{DJANGO}.pycon: 1 example updated (line 1)\n" in out
    assert (
        tmp_path / "snippets" / "demo" / f"v-django{other}.pycon"
    ).read_text() == ">>> 1 + 1\n3\n"
    assert (
        tmp_path / "snippets" / "demo" / f"v-django{DJANGO}.pycon"
    ).read_text() == ">>> 1 + 1\n2\n"


def test_an_expected_exception_that_no_longer_raises_is_said(tmp_path, database):
    path = _write(
        tmp_path, "gone.pycon", ">>> int('7')\nTraceback (most recent call last):\nValueError: x\n"
    )
    result = update_snippet(model.Snippet(path, root=tmp_path / "snippets"), database)
    assert path.read_text() == ">>> int('7')\n7\n"
    assert result.notes == ["line 1: expected an exception and raised none; its output written"]
