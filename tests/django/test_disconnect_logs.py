"""What the server log shows when a client disconnects mid-request: nothing.

A real server process (uvicorn, Daphne, Hypercorn) serves the example
project with a few extra views (a URLconf written for the test): a sync view
and an async view that take 0.5 s, a ``StreamingHttpResponse`` over a sync
iterator and one over an async iterator, a view that reads a request body,
and a sync view that raises after 0.5 s. Raw-socket clients send a request to
each and close the connection before the answer (the async stream: after its
first chunk; the upload: before the body is complete). Each view writes what
happened to it into a file: the sync view returned, the async view and the
async iterator were cancelled, the sync iterator ran to its end, the upload
view never ran.

The server's output over all of that holds nothing but access-log lines of
the streams (their responses had started) and Django's warning about
consuming a sync iterator, which any such response gets: no ``RequestAborted``,
no ``CancelledError``, no ``Exception in ASGI application``, no traceback.
Not even the sync view that raised after its client left is logged (see
``test_an_error_after_the_client_left_is_not_logged``). The same view,
requested by a client that waits, logs ``Internal Server Error`` with its
traceback, and the same check finds those lines: it can fail.

One server process per server, shared by the module's tests. What is checked
depends on Django's ``ASGIHandler`` (``django/core/handlers/asgi.py``), so it
runs on every Django. Python 3.14's report of a cancelled shielded future is
``docs/troubleshooting/server-logs.md#shielded-cancelled`` (not reproducible here: no
Python 3.14 on the test machines).
"""

import re
import socket
import sys
import time

import httpx
import pytest

from guide.servers.catalogue import SERVERS
from guide.servers.commands import command_env
from guide.services.processes import ServerProcess, example_env, free_port

URLS = """\
import asyncio
import os
import pathlib
import time

from django.http import HttpResponse, StreamingHttpResponse
from django.urls import include, path


def mark(name, what):
    # Written beside, then renamed: the test never reads a half-written mark.
    marks = pathlib.Path(os.environ["DISCONNECT_MARKS"])
    (marks / f".{name}").write_text(what)
    os.replace(marks / f".{name}", marks / name)


def sync_view(request):
    time.sleep(0.5)
    mark("sync_view", "returned")
    return HttpResponse("done")


async def async_view(request):
    try:
        await asyncio.sleep(0.5)
    except asyncio.CancelledError:
        mark("async_view", "cancelled")
        raise
    mark("async_view", "returned")
    return HttpResponse("done")


def sync_chunks():
    for _ in range(5):
        yield b"x" * 100
        time.sleep(0.1)
    mark("sync_stream", "finished")


async def async_chunks():
    try:
        for _ in range(5):
            yield b"x" * 100
            await asyncio.sleep(0.2)
    except asyncio.CancelledError:
        mark("async_stream", "cancelled")
        raise
    mark("async_stream", "finished")


def sync_stream(request):
    return StreamingHttpResponse(sync_chunks())


async def async_stream(request):
    return StreamingHttpResponse(async_chunks())


def upload(request):
    mark("upload", "ran")
    return HttpResponse(str(len(request.body)))


def sync_raise(request):
    time.sleep(0.5)
    mark("sync_raise", "raised")
    raise RuntimeError("the view failed")


urlpatterns = [
    path("d/sync/", sync_view),
    path("d/async/", async_view),
    path("d/sync-stream/", sync_stream),
    path("d/async-stream/", async_stream),
    path("d/upload/", upload),
    path("d/sync-raise/", sync_raise),
    path("", include("mysite.urls")),
]
"""
SETTINGS = 'from mysite.settings import *  # noqa: F403\nROOT_URLCONF = "disconnect_urls"\n'
APP = "mysite.asgi:application"

# What each view did when its client left (the upload view never ran).
WHAT_HAPPENED = {
    "sync_view": "returned",
    "async_view": "cancelled",
    "sync_stream": "finished",
    "async_stream": "cancelled",
    "sync_raise": "raised",
}

# The lines a disconnect may leave: the access log of a response that had
# started (uvicorn's and Daphne's; Hypercorn has none by default), and the
# warning Django gives any StreamingHttpResponse over a sync iterator, with
# the source line Python prints under it.
EXPECTED_LINES = {
    "uvicorn": r'INFO: +127\.0\.0\.1:\d+ - "GET /d/(a?sync)-stream/ HTTP/1\.1" 200 OK',
    "daphne": r'127\.0\.0\.1:\d+ - - \[[^\]]+\] "GET /d/(a?sync)-stream/" 200 \d+',
    "hypercorn": None,
}
SYNC_ITERATOR_WARNING = (
    r"\S*django/core/handlers/asgi\.py:\d+: Warning: StreamingHttpResponse must consume "
    r"synchronous iterators in order to serve them asynchronously\. .*"
)
WARNING_SOURCE_LINE = r" +async for part in content:"


def argv(server, port):
    return {
        "uvicorn": [sys.executable, "-m", "uvicorn", APP, "--port", str(port)],
        "daphne": [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), APP],
        "hypercorn": [sys.executable, "-m", "hypercorn", APP, "--bind", f"127.0.0.1:{port}"],
    }[server]


def unexpected_lines(output, server):
    """The lines of ``output`` that a disconnect should not leave."""
    allowed = [SYNC_ITERATOR_WARNING, WARNING_SOURCE_LINE]
    if EXPECTED_LINES[server]:
        allowed.append(EXPECTED_LINES[server])
    return [
        line
        for line in output.splitlines()
        if line.strip() and not any(re.fullmatch(p, line) for p in allowed)
    ]


class Disconnects:
    """A server of the example with the test's views, and what it did when clients left."""

    def __init__(self, server, database, tmp_path):
        modules = tmp_path / "modules"
        modules.mkdir()
        (modules / "disconnect_urls.py").write_text(URLS)
        (modules / "disconnect_settings.py").write_text(SETTINGS)
        self.marks = tmp_path / "marks"
        self.marks.mkdir()
        env = example_env(
            DJANGO_SETTINGS_MODULE="disconnect_settings",
            MYSITE_SQLITE_PATH=database,
            PYTHONPATH=modules,
            DISCONNECT_MARKS=self.marks,
        )
        port = free_port()
        self.server = ServerProcess(argv(server, port), port, env=command_env(env))

    def start(self, server):
        self.server.start(timeout=60)
        self.server.wait_for_output(SERVERS[server].ready.format(port=self.server.port), 30)
        began = len(self.server.output())
        self._leave()
        self.happened = self._wait_for_marks()
        time.sleep(0.5)  # anything logged once the views are done
        self.output = self.server.output()[began:]

    def _send(self, request):
        sock = socket.create_connection(("127.0.0.1", self.server.port), timeout=10)
        sock.sendall(request)
        return sock

    def _leave(self):
        """Send every request at once; close each connection before its answer."""
        get = "GET {} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        clients = [
            self._send(get.format(path).encode())
            for path in ("/d/sync/", "/d/async/", "/d/sync-stream/", "/d/sync-raise/")
        ]
        clients.append(
            self._send(
                b"POST /d/upload/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: application/octet-stream\r\nContent-Length: 1000\r\n\r\n"
                b"only 22 of 1000 bytes"
            )
        )
        stream = self._send(get.format("/d/async-stream/").encode())
        received = b""
        while b"x" * 100 not in received:  # the first chunk
            data = stream.recv(4096)
            assert data, f"the async stream closed before its first chunk: {received!r}"
            received += data
        clients.append(stream)
        time.sleep(0.2)
        for client in clients:
            client.close()

    def _wait_for_marks(self, timeout=15):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all((self.marks / name).exists() for name in WHAT_HAPPENED):
                break
            time.sleep(0.05)
        return {
            path.name: path.read_text()
            for path in sorted(self.marks.iterdir())
            if not path.name.startswith(".")
        }

    def stop(self):
        self.server.kill()


@pytest.fixture(scope="module", params=["uvicorn", "daphne", "hypercorn"])
def disconnects(request, database, tmp_path_factory):
    server = Disconnects(request.param, database, tmp_path_factory.mktemp(request.param))
    try:
        server.start(request.param)
        yield request.param, server
    finally:
        server.stop()


def test_each_view_learns_of_the_disconnect_as_django_says(disconnects):
    _, run = disconnects
    # The sync code runs to its end; the async code is cancelled at its await;
    # the upload never reaches its view (Django reads the body first).
    assert run.happened == WHAT_HAPPENED


def test_nothing_is_logged_when_clients_disconnect(disconnects):
    server, run = disconnects
    assert unexpected_lines(run.output, server) == [], run.output


def test_an_error_after_the_client_left_is_not_logged(disconnects):
    # asgiref awaits the sync view through asyncio.shield(); when the waiter
    # is cancelled, Python 3.11-3.13 mark the result of the shielded future
    # as retrieved: the RuntimeError raised after the disconnect goes nowhere.
    _, run = disconnects
    assert run.happened["sync_raise"] == "raised"
    assert "the view failed" not in run.output


def test_the_same_error_with_a_client_that_waits_is_logged(disconnects):
    server, run = disconnects
    began = len(run.server.output())
    response = httpx.get(run.server.url + "/d/sync-raise/", timeout=30)
    assert response.status_code == 500
    run.server.wait_for_output("RuntimeError: the view failed", 30)
    found = unexpected_lines(run.server.output()[began:], server)
    assert any(
        re.fullmatch(r"ERROR: +django\.request: Internal Server Error: /d/sync-raise/", line)
        for line in found
    ), found
    assert "Traceback (most recent call last):" in found
    assert "RuntimeError: the view failed" in found
