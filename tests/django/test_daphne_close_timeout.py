"""Daphne's "Application instance ... took too long to shut down and was killed".

A real Daphne process serves the example project with one extra sync view
that works for 3 seconds (a settings module and URLconf written for the
test). A client sends the request and disconnects once the view has started
(the view writes a file as it starts: a fixed wait raced a loaded machine, where
Daphne read the request and the disconnect together and Django cancelled the
request before the view ran, so nothing outlived anything). Django cannot
interrupt the view's thread, and the end of the request (the
``request_finished`` signal's sync receivers) waits for that same thread, so
the application instance outlives the connection by the rest of the 3 s:
with ``--application-close-timeout 1`` Daphne kills it and logs the warning,
and the view's thread still runs to its end; with a timeout longer than what
is left of the view, Daphne kills nothing.
"""

import re
import socket
import sys
import time
from pathlib import Path

import pytest

from guide.services.processes import ServerProcess, example_env, free_port

KILLED = "took too long to shut down and was killed"
CLOSE_TIMEOUT = 5  # longer than what is left of the view's 3 s when the client leaves
SLOW_URLS = """\
import os
import pathlib
import time

from django.http import HttpResponse
from django.urls import include, path


def slow(request):  # a sync view: Django runs it in the request's worker thread
    pathlib.Path(os.environ["SLOW_VIEW_STARTED"]).write_text("started")
    time.sleep(3)
    pathlib.Path(os.environ["SLOW_VIEW_DONE"]).write_text("done")
    return HttpResponse("done")


urlpatterns = [path("slow/", slow), path("", include("mysite.urls"))]
"""
SLOW_SETTINGS = 'from mysite.settings import *  # noqa: F403\nROOT_URLCONF = "slow_urls"\n'


@pytest.fixture(scope="module")
def env(database, tmp_path_factory):
    modules = tmp_path_factory.mktemp("slow")
    (modules / "slow_urls.py").write_text(SLOW_URLS)
    (modules / "slow_settings.py").write_text(SLOW_SETTINGS)
    return example_env(
        DJANGO_SETTINGS_MODULE="slow_settings",
        MYSITE_SQLITE_PATH=database,
        PYTHONPATH=modules,
        SLOW_VIEW_STARTED=modules / "started",
        SLOW_VIEW_DONE=modules / "done",
    )


def request_and_leave(port, env):
    """Send GET /slow/ and close the connection once the view runs, before the answer."""
    started = Path(env["SLOW_VIEW_STARTED"])
    started.unlink(missing_ok=True)
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(b"GET /slow/ HTTP/1.1\r\nHost: localhost\r\n\r\n")
        wait_for_file(started, timeout=30)


def daphne(env, close_timeout):
    port = free_port()
    argv = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port)]
    argv += ["--application-close-timeout", str(close_timeout), "mysite.asgi:application"]
    return ServerProcess(argv, port, env=env)


def wait_for_file(path, timeout):
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} not written after {timeout} s"
        time.sleep(0.1)


def test_a_view_outliving_the_close_timeout_is_killed(env):
    done = Path(env["SLOW_VIEW_DONE"])
    done.unlink(missing_ok=True)
    with daphne(env, 1) as server:
        request_and_leave(server.port, env)
        output = server.wait_for_output(KILLED, timeout=30)
        assert not done.exists()  # killed while the view was still running
        wait_for_file(done, timeout=30)  # the view's thread ran on to its end
    line = next(line for line in output.splitlines() if KILLED in line)
    assert re.search(
        r"WARNING +Application instance <Task .*coro=<ASGIHandler\.__call__\(\).*> "
        r"for connection <WebRequest at \S+ method=GET uri=/slow/ .*> " + KILLED,
        line,
    ), line


def test_a_close_timeout_longer_than_the_view_kills_nothing(env):
    done = Path(env["SLOW_VIEW_DONE"])
    done.unlink(missing_ok=True)
    with daphne(env, CLOSE_TIMEOUT) as server:
        request_and_leave(server.port, env)
        left = time.monotonic()
        wait_for_file(done, timeout=30)
        # Past the close timeout, and Daphne checks its instances every second.
        time.sleep(max(0, left + CLOSE_TIMEOUT + 2 - time.monotonic()))
        output = server.output()
    assert KILLED not in output
