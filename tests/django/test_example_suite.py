"""The example project's own tests (examples/mysite/tests, docs/howto/testing.md).

They run as a reader runs them: ``python -m pytest`` in the project's folder,
with its own ``pytest.ini`` (pytest-django, pytest-asyncio), on the session's
Django, in a copy of the project so that nothing is written into the checkout.
Two deliberate mistakes, added to a copy, show that the run fails and why.
"""

import re
import shutil
import subprocess
import sys

import pytest

from guide.paths import EXAMPLE_DIR
from guide.services.processes import example_env

EXPECTED_TESTS = 19
"""How many tests examples/mysite/tests holds: change it with them."""


def copy_of_the_example(tmp_path):
    project = tmp_path / "mysite"
    ignore = shutil.ignore_patterns("__pycache__", "db.sqlite3", "staticfiles")
    shutil.copytree(EXAMPLE_DIR, project, ignore=ignore)
    return project


def run_tests(project, tmp_path):
    """``python -m pytest`` in ``project``: ``(return code, output, {outcome: count})``."""
    env = example_env(
        MYSITE_SQLITE_PATH=tmp_path / "db.sqlite3",
        PYTHONDONTWRITEBYTECODE="1",
    )
    for name in ("PYTEST_ADDOPTS", "PYTEST_PLUGINS"):
        env.pop(name, None)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rfE"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    output = done.stdout + done.stderr
    summary = output.strip().splitlines()[-1]
    counts = {word: int(n) for n, word in re.findall(r"(\d+) (\w+)", summary)}
    return done.returncode, output, counts


def test_the_examples_tests_pass(tmp_path):
    code, output, counts = run_tests(copy_of_the_example(tmp_path), tmp_path)
    assert code == 0, output
    assert counts == {"passed": EXPECTED_TESTS}, output


MISTAKES = {
    # The classic mistake: a row made by a sync fixture under `db` is not
    # committed, so the async ORM (another thread, another connection) cannot
    # read it; on SQLite the table is locked.
    "db_row_read_by_the_async_orm": (
        """
import pytest
from django.utils import timezone

from polls.models import Question


@pytest.fixture
def question():
    return Question.objects.create(question_text="?", pub_date=timezone.now())


@pytest.mark.django_db
@pytest.mark.asyncio
async def test_sees_the_fixtures_row(question):
    assert await Question.objects.filter(pk=question.pk).aexists()
""",
        "failed",
        "database table is locked",
    ),
    # A module-scoped async fixture needs a loop that lasts as long: with the
    # default fixture loop scope (function, pytest.ini) it must say so.
    "module_fixture_without_loop_scope": (
        """
import asyncio

import pytest
import pytest_asyncio


@pytest_asyncio.fixture(scope="module")
async def module_loop():
    return asyncio.get_running_loop()


@pytest.mark.asyncio(loop_scope="module")
async def test_uses_it(module_loop):
    assert module_loop
""",
        "error",
        "ScopeMismatch",
    ),
}


@pytest.mark.parametrize("name", MISTAKES)
def test_a_mistake_fails_the_run(tmp_path, name):
    source, outcome, message = MISTAKES[name]
    project = copy_of_the_example(tmp_path)
    (project / "tests" / f"test_{name}.py").write_text(source)
    code, output, counts = run_tests(project, tmp_path)
    assert code == 1, output
    assert counts == {"passed": EXPECTED_TESTS, outcome: 1}, output
    assert message in output, output
