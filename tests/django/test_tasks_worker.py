"""docs/howto/background-work.md: Django's tasks framework with a real backend.

The example's ``mysite.settings_tasks`` stores tasks in the database
(django-tasks-db; on Django 5.2 with the django-tasks backport), its async
views (``mysite/urls_tasks.py``) enqueue ``polls.tasks.announce``, and
``python manage.py db_worker`` runs them, as a process of its own. The
server is the page's uvicorn command (``snippets/server_commands/uvicorn.sh``)
as written, on a free port. What is checked, on every supported Django:

- a task enqueued through the server (``aenqueue`` in an async view, and
  ``enqueue`` in ``transaction.on_commit``) is run by the worker process, with
  what the view committed;
- a rolled-back transaction enqueues nothing: through ``on_commit``, and also
  with ``enqueue()`` inside the transaction, the task's row being part of it;
- a task enqueued before the server gets SIGTERM is still in the database
  after the server has exited, and a worker started afterwards runs it
  (an ``asyncio.create_task`` task is lost: test_background_tasks.py);
- the worker cannot run inside a server's process as one of its threads:
  it sets its own signal handlers, which Python allows in the main thread only.
"""

import shutil
import sqlite3
import subprocess
import sys

import httpx
import pytest

from guide.servers.commands import command_env, server_argv
from guide.servers.expectations import snippet_path
from guide.services.base import wait_until
from guide.services.processes import (
    EXAMPLE_DIR,
    ServerProcess,
    example_env,
    free_port,
    prepare_example,
)

SETTINGS = "mysite.settings_tasks"
WORKER = ["manage.py", "db_worker", "--no-reload", "--interval", "0.1", "--no-startup-delay"]
TOKEN = "a" * 32  # a CSRF secret: the same in the cookie and the header
TABLE = "django_tasks_database_dbtaskresult"


def env_for(database):
    return command_env(example_env(DJANGO_SETTINGS_MODULE=SETTINGS, MYSITE_SQLITE_PATH=database))


@pytest.fixture(scope="module")
def migrated(tmp_path_factory):
    """The sample database migrated with the tasks backend's tables (once per module)."""
    database = tmp_path_factory.mktemp("tasks") / "db.sqlite3"
    prepare_example(env_for(database), "the example with mysite.settings_tasks")
    return database


@pytest.fixture
def tasks_env(migrated, tmp_path):
    """The example with the database backend, on a copy of the migrated database."""
    database = tmp_path / "db.sqlite3"
    shutil.copy(migrated, database)
    return env_for(database)


class Worker(ServerProcess):
    """``python manage.py db_worker``: ready once it says it has started."""

    def ready(self):
        return "Starting worker" in self.output()

    def awaited(self):
        return "db_worker to start"


def worker(env, tmp_path, *options):
    process = Worker([sys.executable, *WORKER, *options], None, env=env)
    process.log_path = tmp_path / "worker.log"
    return process


def server(env, tmp_path):
    port = free_port()
    return ServerProcess(
        server_argv(snippet_path("uvicorn.sh"), port),
        port,
        env=env,
        log_path=tmp_path / f"uvicorn-{port}.log",
    )


def post(server, path, data=None):
    response = httpx.post(
        f"{server.url}{path}",
        data=data,
        cookies={"csrftoken": TOKEN},
        headers={"X-CSRFToken": TOKEN},
        timeout=10,
    )
    return response


def run_in_example(env, *args):
    """``python ARGS`` in the example's folder; its output, checked for a clean exit."""
    result = subprocess.run(
        [sys.executable, *args],
        cwd=EXAMPLE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def rows(env):
    """The task results in the database: ``[(task path, status, args)]``."""
    with sqlite3.connect(env["MYSITE_SQLITE_PATH"]) as db:
        return db.execute(f"SELECT task_path, status, args_kwargs FROM {TABLE}").fetchall()


def wait_for_status(server, task_id, status, timeout=30.0):
    def current():
        answer = httpx.get(f"{server.url}/tasks/{task_id}/", timeout=10).json()
        return answer if answer["status"] == status else None

    return wait_until(current, timeout, f"task {task_id} to be {status}", output=server.output)


def test_the_worker_runs_what_an_async_view_enqueued(tasks_env, tmp_path):
    with server(tasks_env, tmp_path) as uvicorn, worker(tasks_env, tmp_path) as work:
        response = post(uvicorn, "/tasks/questions/1/announce/")
        assert response.status_code == 202, response.text
        answer = response.json()
        assert answer["status"] == "READY"
        done = wait_for_status(uvicorn, answer["task"], "SUCCESSFUL")
        assert done["return_value"] == "What's new? (2 choices)", work.output()
        assert "Starting worker" in work.output()


def test_on_commit_enqueues_after_the_commit_and_not_on_rollback(tasks_env, tmp_path):
    with server(tasks_env, tmp_path) as uvicorn, worker(tasks_env, tmp_path) as work:
        refused = post(
            uvicorn,
            "/tasks/questions/",
            {"question_text": "Never saved", "choice": ["Yes", "x" * 201]},
        )
        assert refused.status_code == 400, refused.text
        assert rows(tasks_env) == []  # rolled back: nothing enqueued
        created = post(
            uvicorn,
            "/tasks/questions/",
            {"question_text": "Tea or coffee?", "choice": ["Tea", "Coffee"]},
        )
        assert created.status_code == 201, created.text
        question = created.json()["question"]

        def finished():
            found = rows(tasks_env)
            return found if found and found[0][1] == "SUCCESSFUL" else None

        found = wait_until(finished, 30, "the task to succeed", output=work.output)
        assert len(found) == 1
        assert found[0][0] == "polls.tasks.announce"
        assert f'"args": [{question}]' in found[0][2]
    with sqlite3.connect(tasks_env["MYSITE_SQLITE_PATH"]) as db:
        (value,) = db.execute(f"SELECT return_value FROM {TABLE}").fetchone()
    # The task saw both choices: it ran after the commit, not at on_commit().
    assert value == '"Tea or coffee? (2 choices)"'


def test_a_task_outlives_the_servers_sigterm(tasks_env, tmp_path):
    uvicorn = server(tasks_env, tmp_path)
    with uvicorn:
        response = post(uvicorn, "/tasks/questions/1/announce/")
        assert response.status_code == 202, response.text
    # The server has exited (SIGTERM, as a process manager stops it): the
    # task is a row in the database, waiting.
    assert uvicorn.returncode is not None
    assert [(path, status) for path, status, _ in rows(tasks_env)] == [
        ("polls.tasks.announce", "READY")
    ]
    batch = run_in_example(tasks_env, *WORKER, "--batch")
    assert [(path, status) for path, status, _ in rows(tasks_env)] == [
        ("polls.tasks.announce", "SUCCESSFUL")
    ], batch.stdout + batch.stderr


ENQUEUE_AND_ROLL_BACK = """\
import django
django.setup()
from django.db import transaction
from django_tasks_db.models import DBTaskResult
from polls.tasks import announce

with transaction.atomic():
    announce.enqueue(1)
    print("in the transaction:", DBTaskResult.objects.count())
    transaction.set_rollback(True)
print("after the rollback:", DBTaskResult.objects.count())
"""


def test_enqueue_inside_a_rolled_back_transaction_leaves_no_row(tasks_env):
    """With the backend on the project's database, the task's row is part of the
    transaction: a rollback removes it, on_commit() or not."""
    result = run_in_example(tasks_env, "-c", ENQUEUE_AND_ROLL_BACK)
    assert result.stdout.splitlines() == [
        "in the transaction: 1",
        "after the rollback: 0",
    ], result.stdout + result.stderr
    assert rows(tasks_env) == []


RUN_IN_A_THREAD = """\
import threading
import django
django.setup()
from django.core.management import call_command

def run():
    try:
        call_command("db_worker", "--no-reload", "--no-startup-delay")
    except ValueError as error:
        print(error)

thread = threading.Thread(target=run)
thread.start()
thread.join(10)
"""


def test_the_worker_cannot_run_in_a_thread_of_another_process(tasks_env):
    result = run_in_example(tasks_env, "-c", RUN_IN_A_THREAD)
    assert result.stdout.strip().endswith(
        "signal only works in main thread of the main interpreter"
    ), result.stdout + result.stderr
