"""A request limit replaces the worker process: what docs/howto/memory.md says of each server.

Each server runs its own command snippet (``snippets/server_commands/<name>.sh``)
as written, on a free port, plus its request-limit option, and is sent
requests one at a time, each on a connection of its own. The process tree
(:mod:`guide.services.proctree`) is read between requests: a worker that
reached its limit exits, and a new process id in the tree is its replacement.

- uvicorn, one process (no ``--workers``): ``--limit-max-requests N`` ends
  the server after N requests; nothing starts it again.
- uvicorn ``--workers 2 --limit-max-requests N``: the parent replaces the worker.
- Gunicorn (its snippet has ``--workers 2``) ``--max-requests N``: the
  arbiter replaces the worker.

In both cases every request is answered, but not always at once: requests
spread evenly over two workers bring both to their limit together, and then
no worker accepts until a new one has started (the connections wait in the
listening socket's queue; uvicorn's new worker imports the application first,
seconds under load). Hence each server's jitter option.
"""

import time

import httpx
import pytest

from guide.servers.commands import command_env, server_argv
from guide.servers.expectations import snippet_path
from guide.services.processes import ServerProcess, free_port
from guide.services.proctree import tree

pytestmark = pytest.mark.server_fact
LIMIT = 3


def start(snippet, dev_env, tmp_path, options):
    port = free_port()
    server = ServerProcess(
        [*server_argv(snippet_path(snippet), port), *options],
        port,
        env=command_env(dev_env),
        log_path=tmp_path / f"{port}.log",
    )
    server.stop_timeout = 45.0  # Gunicorn's --graceful-timeout 30, and some
    return server.start()


def wait_for(condition, timeout, what, server):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what}:\n{server.output()}"
        time.sleep(0.1)


def get(server):
    # A connection of its own for each request (no keep-alive to one worker),
    # and time for a new worker to start if both are being replaced at once.
    with httpx.Client(timeout=60) as client:
        return client.get(server.url + "/polls/").status_code


def workers(server):
    return set(tree(server.process.pid)[1:])


def test_uvicorn_alone_exits_after_its_request_limit(dev_env, tmp_path):
    server = start("uvicorn.sh", dev_env, tmp_path, ["--limit-max-requests", str(LIMIT)])
    try:
        assert [get(server) for _ in range(LIMIT)] == [200] * LIMIT
        wait_for(lambda: server.process.poll() is not None, 15, "uvicorn to exit", server)
        assert f"Maximum request limit of {LIMIT} exceeded. Terminating process." in (
            server.output()
        )
        # Nothing serves the port any more: a process manager must start it again.
        with pytest.raises(httpx.ConnectError):
            get(server)
    finally:
        server.kill()


@pytest.mark.parametrize(
    ("snippet", "options"),
    [
        ("uvicorn.sh", ["--workers", "2", "--limit-max-requests", str(LIMIT)]),
        ("gunicorn.sh", ["--max-requests", str(LIMIT)]),
    ],
    ids=["uvicorn", "gunicorn"],
)
def test_a_worker_is_replaced_after_its_request_limit(snippet, options, dev_env, tmp_path):
    server = start(snippet, dev_env, tmp_path, options)
    try:
        wait_for(lambda: len(workers(server)) >= 2, 30, "two workers", server)
        first = workers(server)
        statuses = []
        # Two workers, LIMIT requests each: a few more than 2 * LIMIT requests
        # reach a worker past its limit, whichever worker takes each one.
        for _ in range(4 * LIMIT):
            statuses.append(get(server))
            if workers(server) - first:
                break
        wait_for(lambda: workers(server) - first, 15, "a new worker process", server)
        assert statuses == [200] * len(statuses)
        assert server.process.poll() is None  # the main process lives on
        # (uvicorn's parent also has multiprocessing's resource tracker as a child.)
        wait_for(lambda: len(workers(server)) >= 2, 30, "two workers again", server)
        assert get(server) == 200
    finally:
        server.stop()
