"""Every snippet under snippets/ runs, and its doctest output matches, on this Django."""

import django
import pytest

from doctest_runner import SNIPPETS, Options, all_snippets, load_options, run_snippet

OPTIONS = load_options()
DJANGO = django.get_version().rsplit(".", 1)[0]  # "6.1.3" -> "6.1"; "5.2.19" -> "5.2"


def snippet_params():
    for path in all_snippets():
        rel = path.relative_to(SNIPPETS).as_posix()
        options = OPTIONS.get(rel, Options())
        marks = []
        if options.django and DJANGO not in options.django:
            reason = f"written for Django {', '.join(options.django)}; runs in that session"
            marks.append(pytest.mark.skip(reason=reason))
        yield pytest.param(path, options, id=rel, marks=marks)


@pytest.mark.parametrize(("path", "options"), list(snippet_params()))
def test_snippet(path, options, database):
    ok, output = run_snippet(path, options, database)
    assert ok, f"{path.relative_to(SNIPPETS)} failed on Django {django.get_version()}:\n{output}"


def test_there_are_snippets():
    assert len(all_snippets()) >= 10


def test_version_specific_snippets_cover_every_supported_version():
    """A snippet restricted to some versions has siblings for the others."""
    by_stem = {}
    for rel, options in OPTIONS.items():
        if options.django:
            stem = rel.rsplit(".", 1)[0].rsplit("-django", 1)[0]
            by_stem.setdefault(stem, []).extend(options.django)
    for stem, versions in by_stem.items():
        assert sorted(versions) == ["5.2", "6.0", "6.1"], (stem, versions)
