"""A skip not listed in tests/allowed_skips.toml fails the run (tests/conftest.py)."""

import textwrap
from pathlib import Path

CONFTEST = Path(__file__).parent.parent / "conftest.py"


def test_an_unlisted_skip_fails_and_a_listed_one_passes(pytester):
    pytester.makeconftest(CONFTEST.read_text())
    pytester.makefile(
        ".toml",
        allowed_skips=textwrap.dedent(
            """
            [pytest]
            "test_it.py::test_listed" = { reason = "needs a thing this machine lacks" }
            """
        ),
    )
    pytester.makepyfile(
        test_it="""
        import pytest

        def test_listed():
            pytest.skip("needs a thing this machine lacks")

        def test_unlisted():
            pytest.skip("flaky, skipped for now")
        """
    )
    # The guide's own options (pyproject.toml's addopts) do not reach a run in
    # pytester's folder: the example's test plugins, installed beside the
    # guide's, are left out here as they are there.
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-p", "no:django", "-p", "no:asyncio"
    )
    result.assert_outcomes(skipped=1, failed=1)
    result.stdout.fnmatch_lines(["*test_unlisted was skipped (flaky, skipped for now)*"])
