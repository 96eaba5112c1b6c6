"""A request cancelled under sync middleware does not freeze the server.

asgiref before 3.12.0 could freeze it: Django's ``ASGIHandler`` runs each
request inside ``ThreadSensitiveContext`` (``django/core/handlers/asgi.py``),
whose ``__aexit__`` called ``executor.shutdown()`` on the event loop, a
blocking join of the request's sync thread. When the request is cancelled
while a sync-only middleware runs, the context exits while that thread still
has to call the rest of the chain through ``async_to_sync``, which needs the
event loop: the loop waits for the thread, the thread for the loop, and the
server never answers again (asgiref issue #535; fixed by "Fixed #535:
ThreadSensitiveContext.__aexit__ blocking the event loop. (#563)", released in
3.12.0: the join runs in a thread of its own).

A disconnect alone does not get there: Django then sends ``request_finished``,
whose sync receiver waits for the request's thread to be free first. Daphne
gets there: it cancels an application still running
``--application-close-timeout`` seconds after its client left (10 s by
default).

A real server process serves the example project with one sync-only
middleware added and a URLconf written for the test: the middleware takes 2 s
before it calls the view on one path. A raw-socket client requests it and
closes the connection; once the middleware is done, the test asks for a fast
page with a 10 s timeout (the client leaves once the middleware has started:
the middleware writes a file first). With the pinned asgiref (3.13.0) both servers
answer; with asgiref 3.11.1 Daphne (close timeout 1 s) never answers again,
uvicorn does. Every socket has a timeout and the server is killed at the end,
so a hang fails the test instead of holding it.
"""

import socket
import sys
import time

import httpx
import pytest

from guide.servers.catalogue import SERVERS
from guide.servers.commands import command_env
from guide.services.processes import ServerProcess, example_env, free_port

URLS = """\
import os
import pathlib
import time

from django.http import HttpResponse
from django.urls import include, path


def sync_only(get_response):
    # A function middleware is sync-only unless it says otherwise.
    def middleware(request):
        if request.path == "/h/slow/":
            marks = pathlib.Path(os.environ["HANG_MARKS"])
            (marks / "started").write_text("started")
            time.sleep(float(os.environ["HANG_MIDDLEWARE_SECONDS"]))
            (marks / "slow").write_text("done")
        return get_response(request)

    return middleware


def fast_view(request):
    return HttpResponse("fast")


urlpatterns = [
    path("h/slow/", fast_view),
    path("h/fast/", fast_view),
    path("", include("mysite.urls")),
]
"""
SETTINGS = """\
from mysite.settings import *  # noqa: F403

ROOT_URLCONF = "hang_urls"
MIDDLEWARE = [*MIDDLEWARE, "hang_urls.sync_only"]  # noqa: F405
"""
APP = "mysite.asgi:application"
# Daphne cancels an application still running this long after its client
# left; the middleware outlasts it.
CLOSE_TIMEOUT = 1


def argv(server, port):
    return {
        "uvicorn": [sys.executable, "-m", "uvicorn", APP, "--port", str(port)],
        "daphne": [
            *(sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port)),
            *("--application-close-timeout", str(CLOSE_TIMEOUT), APP),
        ],
    }[server]


@pytest.fixture(params=["uvicorn", "daphne"])
def server(request, database, tmp_path):
    modules = tmp_path / "modules"
    modules.mkdir()
    (modules / "hang_urls.py").write_text(URLS)
    (modules / "hang_settings.py").write_text(SETTINGS)
    marks = tmp_path / "marks"
    marks.mkdir()
    env = example_env(
        DJANGO_SETTINGS_MODULE="hang_settings",
        MYSITE_SQLITE_PATH=database,
        PYTHONPATH=modules,
        HANG_MARKS=marks,
        HANG_MIDDLEWARE_SECONDS=CLOSE_TIMEOUT + 1,
    )
    port = free_port()
    process = ServerProcess(argv(request.param, port), port, env=command_env(env))
    try:
        process.start(timeout=60)
        process.wait_for_output(SERVERS[request.param].ready.format(port=port), 30)
        yield process, marks
    finally:
        process.kill()


def wait_for(path, timeout=10):
    deadline = time.monotonic() + timeout
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    return path.exists()


def test_the_server_answers_after_a_request_cancelled_under_sync_middleware(server):
    process, marks = server
    assert httpx.get(f"{process.url}/h/fast/", timeout=10).text == "fast"

    client = socket.create_connection(("127.0.0.1", process.port), timeout=10)
    client.sendall(b"GET /h/slow/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    # Leave once the middleware runs (a fixed 0.2 s raced a loaded machine: the
    # request and the disconnect were read together, and Django cancelled the
    # request before the middleware ran).
    assert wait_for(marks / "started")
    client.close()
    # The middleware runs to its end whatever happens to the request.
    assert wait_for(marks / "slow")
    time.sleep(0.2)

    try:
        response = httpx.get(f"{process.url}/h/fast/", timeout=10)
    except httpx.TimeoutException:
        pytest.fail(
            "the server stopped answering after a request was cancelled:\n" + process.output()
        )
    assert response.text == "fast"
    if "daphne" in process.argv:
        # Daphne did cancel the request: the path that froze it before 3.12.0.
        process.wait_for_output("took too long to shut down and was killed", 10)
