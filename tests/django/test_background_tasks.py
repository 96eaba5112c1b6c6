"""What happens to a task an async view starts with ``asyncio.create_task``.

Each server runs its own command snippet (``snippets/server_commands/<name>.sh``)
as written, on a free port, serving ``polls:later`` (``polls/background.py``):
the view answers at once and its task writes a mark file after a delay,
``finished`` or, if the task is cancelled, ``cancelled``; no file means the
task was lost with its process.

- after the response, with the server left running: the task finishes;
- SIGTERM to the server right after the response, the task still sleeping:
  the mark left once the server has exited says whether the server waited
  for the task, cancelled it, or exited without either;
- with a request limit of one (``--limit-max-requests``, ``--max-requests``),
  the worker exiting once it has answered: the same question.

The page's table (``docs/howto/background-work.md``) must say what was
measured, row for row, so it cannot drift from the servers' behaviour.
"""

import re
import time

import httpx
import pytest

from guide.paths import DOCS
from guide.servers.commands import command_env, server_argv
from guide.servers.expectations import snippet_path
from guide.services.processes import ServerProcess, free_port

SERVER_FACT = pytest.mark.server_fact
SERVERS = ["uvicorn", "gunicorn", "daphne", "hypercorn", "granian"]
PAGE = DOCS / "howto" / "background-work.md"
ROW = re.compile(
    r"^\| `(?P<server>[a-z]+)`[^|]* \| (?P<after>\w+) \| (?P<sigterm>\w+) "
    r"\| (?P<recycled>[^|]+?) \|$"
)
# The command and the option that make a worker exit after a number of
# requests (the worker is replaced, or the single process ends): None where
# the server has none (Granian's --workers-lifetime is 60 s at least).
# Hypercorn 0.18's --max-requests applies to its worker processes only
# (--workers), and a worker stops on the request after the limit, so which
# worker gets which request decides it: not measured here ("not measured").
MAX_REQUESTS = {
    "uvicorn": ("uvicorn", ["--limit-max-requests", "1"]),
    "gunicorn": ("gunicorn", ["--max-requests", "1"]),
    "daphne": None,
    "hypercorn": "not measured",
    "granian": None,
}
TASK_SECONDS = 3.0


def page_table():
    """The page's table: {server: (after the response, on SIGTERM, on recycling)}."""
    rows = {}
    for line in PAGE.read_text().splitlines():
        match = ROW.match(line)
        if match:
            rows[match["server"]] = (match["after"], match["sigterm"], match["recycled"])
    return rows


def mark(marks_dir, name):
    path = marks_dir / f"{name}.mark"
    return path.read_text() if path.exists() else "lost"


def start(name, dev_env, marks_dir, log_dir, options=()):
    port = free_port()
    env = command_env({**dev_env, "MYSITE_MARKS_DIR": str(marks_dir)})
    server = ServerProcess(
        [*server_argv(snippet_path(f"{name}.sh"), port), *options],
        port,
        env=env,
        log_path=log_dir / f"{name}-{port}.log",
    )
    server.stop_timeout = 45.0  # Gunicorn's --graceful-timeout 30, and some
    return server.start()


def start_task(server, marks_dir, delay):
    response = httpx.get(f"{server.url}/polls/later/", params={"delay": delay}, timeout=10)
    assert response.status_code == 200, response.text
    name = response.json()["mark"]
    # The response came first: the task has not written its mark yet.
    assert mark(marks_dir, name) == "lost", server.output()
    return name


def wait_for_mark(marks_dir, name, timeout):
    deadline = time.monotonic() + timeout
    while mark(marks_dir, name) == "lost" and time.monotonic() < deadline:
        time.sleep(0.05)
    return mark(marks_dir, name)


@SERVER_FACT
@pytest.mark.parametrize("name", SERVERS)
def test_a_task_after_the_response_and_on_sigterm(name, dev_env, tmp_path):
    expected = page_table()[name][:2]
    server = start(name, dev_env, tmp_path, tmp_path)
    try:
        after = wait_for_mark(tmp_path, start_task(server, tmp_path, 0.5), timeout=10)
        # SIGTERM to the server (its main process, as a process manager
        # sends it) while the task still sleeps, then its mark once it exited.
        pending = start_task(server, tmp_path, TASK_SECONDS)
        began = time.monotonic()
        server.stop()
        took = time.monotonic() - began
    finally:
        server.kill()
    on_sigterm = mark(tmp_path, pending)
    if on_sigterm == "finished":
        assert took >= TASK_SECONDS - 0.5, server.output()
    assert (after, on_sigterm) == expected, server.output()


@SERVER_FACT
@pytest.mark.parametrize("name", SERVERS)
def test_a_task_when_the_worker_exits_after_its_request_limit(name, dev_env, tmp_path):
    expected = page_table()[name][2]
    if MAX_REQUESTS[name] is None:
        assert expected == "no such option"
        return
    if MAX_REQUESTS[name] == "not measured":
        assert expected == "not measured"
        return
    snippet, options = MAX_REQUESTS[name]
    server = start(snippet, dev_env, tmp_path, tmp_path, options)
    try:
        # The worker's one request: it exits once it has answered.
        pending = start_task(server, tmp_path, TASK_SECONDS)
        outcome = wait_for_mark(tmp_path, pending, timeout=TASK_SECONDS + 10)
    finally:
        server.kill()
    assert outcome == expected, server.output()
