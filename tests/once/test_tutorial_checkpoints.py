"""guide.site.tutorial_checkpoints: each tutorial step's end state, a zip built with the site.

Each zip is unzipped into a temporary folder and run as the reader would run
it: ``migrate``, the sample questions loaded where the step has them, then
uvicorn serving the step's application, asked for the step's page over HTTP.
``tests/once/test_console.py`` follows the page from an empty folder and
compares the reader's project with each step's checkpoint.
"""

import io
import os
import re
import subprocess
import sys
import zipfile

import httpx
import pytest

from guide.content import pages
from guide.paths import DJANGO_VERSIONS, DOCS, ROOT
from guide.services.processes import ServerProcess, free_port
from guide.site import tutorial_checkpoints as checkpoints
from helpers import manage

TUTORIAL = DOCS / "tutorial" / "index.md"
STEPS = range(1, checkpoints.STEPS + 1)


# --- Changes to a file the project has ------------------------------------------


def test_changes_replace_the_statements_that_bind_the_same_names():
    text = "from a import b\n\nX = [\n    1,\n]\n\nY = 2\n"
    changes = "from a import b, c\n\nX = [\n    1,\n    3,\n]\n"
    assert checkpoints.apply_changes(text, changes) == (
        "from a import b, c\n\nX = [\n    1,\n    3,\n]\n\nY = 2\n"
    )


@pytest.mark.parametrize("changes", ["Z = 1\n", "from other import b\n", "print(1)\n"])
def test_a_change_that_replaces_nothing_is_refused(changes):
    with pytest.raises(checkpoints.CheckpointError, match=r"^x:1: replaces no statement"):
        checkpoints.apply_changes("from a import b\nX = 1\n", changes, "x")


def test_each_step_builds_on_the_one_before():
    for step in STEPS[1:]:
        before, after = checkpoints.files(step - 1), checkpoints.files(step)
        assert set(before) <= set(after), f"step {step} removes a file"
    assert "polls/views.py" in checkpoints.files(1)
    assert checkpoints.files(4)["polls/views.py"] != checkpoints.files(1)["polls/views.py"]
    assert b"'polls'," in checkpoints.files(4)["mysite/settings.py"][0]
    assert checkpoints.files(1)["manage.py"][1], "manage.py is executable"


# --- The page -----------------------------------------------------------------------


def _steps_of_page():
    """``{N: text of the page's ## N. section}``."""
    text = TUTORIAL.read_text(encoding="utf-8")
    parts = re.split(r"^## ", text, flags=re.M)
    return {int(m[1]): part for part in parts if (m := re.match(r"(\d+)\. ", part))}


def test_each_step_ends_with_its_checkpoints_download():
    steps = _steps_of_page()
    assert sorted(steps) == list(STEPS), "the tutorial's ## N. steps"
    for step, text in steps.items():
        links = re.findall(r"\]\(\.\./(downloads/tutorial-step-\d+\.zip)\)", text)
        assert links == [checkpoints.URL.format(step)], (
            f"step {step} links {links}: it should end with its own checkpoint"
        )


def test_the_tutorial_shows_only_files_of_its_own_project():
    """A reader from an empty folder has the tutorial's files only, not the example's."""
    shown = [
        include.path
        for block in pages.page_blocks(TUTORIAL)
        for include in block.includes
        if not include.path.startswith(("snippets/", "examples/tutorial/"))
    ]
    assert not shown, f"the tutorial includes files the reader does not have: {shown}"


def test_django_docs_links_name_the_newest_supported_django():
    """startproject's files link Django's docs of its own version: the one the reader installs."""
    newest = DJANGO_VERSIONS[-1]
    texts = {TUTORIAL: TUTORIAL.read_text(encoding="utf-8")}
    for block in pages.page_blocks(TUTORIAL):
        for include in block.includes:
            texts[ROOT / include.path] = (ROOT / include.path).read_text(encoding="utf-8")
    for step in STEPS:
        for name, (data, _) in checkpoints.files(step).items():
            texts[f"step {step}: {name}"] = data.decode()
    found = {
        (str(where), version)
        for where, text in texts.items()
        for version in re.findall(r"docs\.djangoproject\.com/en/([\w.]+)/", text)
        if version != newest
    }
    assert not found, f"Django docs links not to {newest}: {sorted(found)}"


# --- The zips, run -----------------------------------------------------------------


@pytest.fixture(scope="module")
def zips(site_dir):
    found = {}
    for step in STEPS:
        path = site_dir / checkpoints.URL.format(step)
        assert path.is_file(), f"the built site has no {checkpoints.URL.format(step)}"
        found[step] = path.read_bytes()
    return found


def test_the_sites_zips_are_the_checkpoints(zips):
    for step in STEPS:
        assert zips[step] == checkpoints.build(step) == checkpoints.build(step)
        with zipfile.ZipFile(io.BytesIO(zips[step])) as zipped:
            names = zipped.namelist()
        assert names == sorted(f"{checkpoints.FOLDER}/{n}" for n in checkpoints.files(step))
        local = [n for n in names if "__pycache__" in n or n.endswith((".pyc", ".sqlite3"))]
        assert not local, local


PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "mysite.settings_production",
    "DJANGO_SECRET_KEY": "tutorial-checkpoint-test-" + "x" * 40,
    "DJANGO_ALLOWED_HOSTS": "mysite.example.com",
}

# Each step's server, as the page starts it, and what its request must answer.
SERVED = {
    1: ("mysite.asgi:application", {}),
    2: ("mysite.asgi:application", {}),
    3: ("mysite.asgi:application", {}),
    4: ("mysite.asgi:application", {}),
    5: ("mysite.asgi_wrapped:application", {}),
    6: ("mysite.asgi:application", PRODUCTION),
}


def _check_answers(step, url, output):
    with httpx.Client(timeout=30) as client:
        if step <= 3:
            response = client.get(url + "/")
            assert response.status_code == 200
            assert "The install worked successfully!" in response.text
            assert "lifespan' protocol appears unsupported" in output()
            return
        if step == 6:
            host = {"host": "mysite.example.com"}
            response = client.get(url + "/polls/async/", headers=host)
            assert response.status_code == 301
            assert response.headers["location"] == "https://mysite.example.com/polls/async/"
            response = client.get(
                url + "/polls/async/", headers={**host, "x-forwarded-proto": "https"}
            )
        else:
            response = client.get(url + "/polls/async/")
        assert response.status_code == 200
        assert response.json()["count"] == 3
        assert client.get(url + "/polls/async/3/", headers=response.request.headers).json() == {
            "id": 3,
            "text": "Which ASGI server?",
        }
        timing = response.headers.get("server-timing")
        if step == 5:
            assert re.fullmatch(r"app;dur=\d+\.\d", timing or ""), timing
            assert "lifespan' protocol appears unsupported" not in output()
        else:
            assert timing is None


@pytest.mark.timeout(300)
@pytest.mark.parametrize("step", STEPS)
def test_each_checkpoint_runs_under_uvicorn(zips, step, tmp_path):
    with zipfile.ZipFile(io.BytesIO(zips[step])) as zipped:
        zipped.extractall(tmp_path)
    project = tmp_path / checkpoints.FOLDER
    app, extra = SERVED[step]
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "MYSITE_")) and k != "PYTHONPATH"
    }
    env.update(extra, PYTHONUNBUFFERED="1")
    commands = [["migrate"]]
    if (project / "questions.json").is_file():
        commands.append(["loaddata", "questions.json"])
    if step == 6:
        commands.append(["check", "--deploy", "--fail-level", "WARNING"])
    manage(project, env, *commands)
    port = free_port()
    argv = [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port)]
    with ServerProcess(argv, port, env=env, cwd=project) as server:
        _check_answers(step, server.url, server.output)


def test_the_wrapped_application_refuses_to_start_without_its_table(zips, tmp_path):
    """Step 5's startup hook makes a query: unmigrated, the server stops at startup."""
    with zipfile.ZipFile(io.BytesIO(zips[5])) as zipped:
        zipped.extractall(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "MYSITE_"))}
    port = free_port()
    result = subprocess.run(
        [sys.executable, "-m", "uvicorn", SERVED[5][0], "--port", str(port)],
        cwd=tmp_path / checkpoints.FOLDER,
        env={**env, "PYTHONUNBUFFERED": "1"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "no such table: polls_question" in result.stderr
    assert "Application startup failed. Exiting." in result.stderr
