"""Every server command the documentation shows, run as written over real HTTP.

Each ``snippets/server_commands/*.sh`` file holds one command a page shows. These
tests read that file, swap its port 8000 for a free one, run it from
``examples/mysite`` (no shell), and check what the page says about it:

- the sync view, the async view and the streaming view answer, and the
  ``Server-Timing`` middleware header is there when the command serves
  ``mysite.asgi_wrapped:application``;
- on a server instance of the test's own, stopped with SIGTERM while a
  streaming response is in flight: the response completes and the process
  exits with the expected code, or, where the server cuts it, the test shows
  exactly that; and in its final output (read after it exited, so nothing
  can still be on its way): the wrapped application's startup hook ran
  exactly once per worker the command starts (its own ``--workers N``), or
  the server logged exactly once per worker that Django's own application
  has no lifespan support (Daphne never speaks lifespan at all), and the
  access-log line of a request is there or, without an access log, nothing
  about that request is;
- HTTP/2 without TLS (prior knowledge): spoken, or the connection preface is
  answered with the server's exact refusal, then the connection is closed;
- the ASGI ``root_path`` a command sets (``--root-path``,
  ``--url-path-prefix``): Django's ``SCRIPT_NAME`` and the URLs
  ``reverse()`` builds carry it, and whether a request that still carries
  the prefix is served too;
- on a port that is already taken, the command exits, with its exact exit
  status and the server's own "address already in use" message, in a time
  comparable to its start-up instead of hanging; and a server that isn't
  installed gives a clear :class:`ServerError`.

Per server, with options the tests add to its own ``<name>.sh`` command,
what the servers table (``guide.site.tables.servers``) says and no snippet shows:
the reload option (editing a file of a copy of the project restarts the
worker, or where it does not, the server says it saw the change), the
lifespan hooks of the wrapped application, the root-path option, and the
options a server refuses.

What each command is expected to do, and what each server prints, is in the
catalogue, :mod:`guide.servers.catalogue` (``EXPECTATIONS``, ``SERVERS``); its own checks are
in ``tests/once/test_server_catalogue.py``, the parser's in
``tests/once/test_server_command_parser.py``.
"""

import importlib.metadata
import json
import re
import shutil
import socket
import subprocess
import threading
import time

import httpx
import pytest

from guide.servers.catalogue import SERVERS, pinned_versions
from guide.servers.commands import (
    application_of,
    command_env,
    parse_command,
    server_argv,
    server_snippets,
)
from guide.servers.expectations import EXPECTATIONS, snippet_path, snippet_workers
from guide.services.processes import (
    EXAMPLE_DIR,
    ServerError,
    ServerProcess,
    free_port,
    port_is_open,
)

WRAPPED = "mysite.asgi_wrapped:application"
STARTUP_HOOK = "startup hook ran: database ready, 3 questions"
SHUTDOWN_HOOK = "shutdown hook ran after"
QUESTIONS = ["What's new?", "Sync or async?", "Which ASGI server?"]
FORWARDED_FOR = {"X-Forwarded-For": "203.0.113.7"}
# The HTTP/2 connection preface and an empty SETTINGS frame (RFC 9113, 3.4).
H2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + bytes.fromhex("000000040000000000")


# A fact of the server itself (how it starts, logs, stops, refuses), not of
# Django: checked once, in the newest Django's session (noxfile: -m "not
# server_fact" for the others). What Django does with the requests a server
# passes it (views, streaming, root path) is checked on every Django.
SERVER_FACT = pytest.mark.server_fact


def count_lines(output, text):
    return sum(text in line for line in output.splitlines())


def wait_for_count(server, text, count, timeout=30.0):
    """Wait until ``text`` appears on at least ``count`` lines of the output.

    A positive signal only: an exact count is asserted on the final output,
    once the server has exited.
    """
    deadline = time.monotonic() + timeout
    while count_lines(server.output(), text) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return count_lines(server.output(), text)


def start_server(argv_for_port, env, log_dir, label, cwd=EXAMPLE_DIR):
    """Start ``argv_for_port(port)`` on a free port; return it and how long it took to listen."""
    port = free_port()
    server = ServerProcess(
        argv_for_port(port), port, env=env, log_path=log_dir / f"{label}-{port}.log", cwd=cwd
    )
    began = time.monotonic()
    server.start()
    return server, time.monotonic() - began


def with_application(argv, app):
    """``argv`` serving ``app`` instead of its own application."""
    return [app if token == application_of(argv) else token for token in argv]


# --- Each command, started as written --------------------------------------


class Running:
    """One snippet's command, running on a free port, shared by the tests of a module.

    No test stops it: a test that needs a stopped server starts one of its
    own. If it exits anyway, the next test that asks for it fails with its output.
    """

    def __init__(self, name, env, log_dir):
        self.name = name
        self.expect = EXPECTATIONS[name]
        self.path = snippet_path(name)
        self.app = application_of(parse_command(self.path))
        self.workers = snippet_workers(name)
        self.env = env
        self.log_dir = log_dir
        self._server = None
        self.started_in = None
        """Seconds the shared server took to listen: the baseline of the timing checks."""

    @property
    def wrapped(self):
        return self.app == WRAPPED

    @property
    def per_worker_line(self):
        """The line each worker prints once at start-up (``None``: Daphne's silence)."""
        if self.expect.server.lifespan_unsupported is None:
            return None
        return STARTUP_HOOK if self.wrapped else self.expect.server.lifespan_unsupported

    def start_own(self):
        """A server of the caller's own, running the same command on another port."""
        return start_server(
            lambda port: server_argv(self.path, port), self.env, self.log_dir, self.name
        )

    @property
    def server(self):
        if self._server is None:
            self._server, self.started_in = self.start_own()
            # A positive signal that every worker is up: under Gunicorn the port
            # is open (the master's) before a slow worker accepts anything.
            if self.per_worker_line:
                wait_for_count(self._server, self.per_worker_line, self.workers, timeout=60)
        elif self._server.process.poll() is not None:
            pytest.fail(
                f"{self.name} exited (status {self._server.process.returncode}) between "
                f"tests:\n{self._server.output()}"
            )
        return self._server

    def close(self):
        if self._server is not None and self._server.process.poll() is None:
            self._server.stop(timeout=30)


@pytest.fixture(scope="module", params=sorted(EXPECTATIONS))
def running(request, dev_env, tmp_path_factory):
    """The snippet's command, running on a free port (one per snippet, shared)."""
    shared = Running(request.param, command_env(dev_env), tmp_path_factory.mktemp("servers"))
    try:
        yield shared
    finally:
        shared.close()


class Stopped:
    """What a server of its own did, from start to its exit after SIGTERM."""

    STREAM_COUNT, STREAM_INTERVAL = 4, 0.3

    def __init__(self, running):
        server, self.started_in = running.start_own()
        self.server = server
        try:
            # Positive signal: every worker has started (the final count is exact).
            if running.per_worker_line:
                wait_for_count(server, running.per_worker_line, running.workers)
            with httpx.Client(timeout=10) as client:
                self.async_response = client.get(
                    server.url + "/polls/async/", headers=FORWARDED_FOR
                )
            self._sigterm_in_flight()
        finally:
            server.kill()
        self.output = server.output()

    @property
    def stream_seconds(self):
        return self.STREAM_COUNT * self.STREAM_INTERVAL

    def _sigterm_in_flight(self):
        server = self.server
        url = (
            f"{server.url}/polls/stream/?count={self.STREAM_COUNT}&interval={self.STREAM_INTERVAL}"
        )
        first_event, result = threading.Event(), {"events": [], "error": None}

        def read_stream():
            try:
                with httpx.stream("GET", url, timeout=20) as response:
                    for line in response.iter_lines():
                        if line.startswith("data: "):
                            result["events"].append(json.loads(line[6:])["n"])
                            first_event.set()
            except httpx.HTTPError as exc:
                result["error"] = exc
            finally:
                first_event.set()

        reader = threading.Thread(target=read_stream, daemon=True)
        reader.start()
        first_event.wait(10)
        self.events_before_sigterm = list(result["events"])
        began = time.monotonic()
        self.returncode = server.stop(timeout=30)
        self.stopped_after = time.monotonic() - began
        reader.join(10)
        self.stream = result
        self.port_open_after = port_is_open(server.port)


@pytest.fixture(scope="module")
def stopped(running):
    """The snippet's command on a server of its own, stopped with SIGTERM mid-stream."""
    return Stopped(running)


@SERVER_FACT
def test_server_logs_that_it_listens_on_the_port(running):
    server = running.server
    server.wait_for_output(running.expect.server.ready.format(port=server.port))


def test_sync_view(running, client):
    response = client.get(running.server.url + "/polls/")
    assert response.status_code == 200
    assert [q["text"] for q in response.json()["questions"]] == QUESTIONS


def test_async_view(running, client):
    # As a proxy on 127.0.0.1 would send it; the access log shows which
    # snippets trust it (forwarded_request_log).
    server = running.server
    response = client.get(server.url + "/polls/async/", headers=FORWARDED_FOR)
    assert response.status_code == 200
    assert response.json()["count"] == 3
    if running.expect.forwarded_request_log:
        pattern = re.compile(running.expect.forwarded_request_log)
        deadline = time.monotonic() + 5
        while not pattern.search(server.output()) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert pattern.search(server.output()), server.output()


@SERVER_FACT
def test_access_log_by_default(stopped, running):
    """In the final output: the request's access-log line, or no line about it at all."""
    assert stopped.async_response.status_code == 200
    assert (running.expect.forwarded_request_log is not None) == running.expect.server.access_log
    if running.expect.server.access_log:
        assert re.search(running.expect.forwarded_request_log, stopped.output), stopped.output
    else:
        assert "/polls/async/" not in stopped.output, stopped.output


def test_middleware_header_only_on_the_wrapped_application(running, client):
    response = client.get(running.server.url + "/polls/")
    if running.wrapped:
        metric, duration = response.headers["server-timing"].split(";dur=")
        assert metric == "app" and float(duration) >= 0
    else:
        assert "server-timing" not in response.headers


def test_streaming_view_sends_each_event_when_produced(running):
    arrivals, interval = [], 0.5
    url = running.server.url + f"/polls/stream/?count=3&interval={interval}"
    started = time.monotonic()
    with httpx.stream("GET", url, timeout=10) as response:
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/event-stream"
        for line in response.iter_lines():
            if line.startswith("data: "):
                arrivals.append((time.monotonic(), json.loads(line[6:])["n"]))
    assert [n for _, n in arrivals] == [1, 2, 3]
    # The view sleeps `interval` between events. A server that buffered the
    # body sends them all at once, after the view produced the last one (1 s
    # after the request at the earliest): they arrive together, late. Streamed,
    # the first arrives before the last is produced, or the arrivals are spread
    # over at least a quarter of the production time (a buffered body comes in
    # one piece: its events within milliseconds). Under CI's load each of these
    # alone failed once on servers that stream (the test process, starved of
    # CPU, read late events all at once, or a first event came late; gunicorn
    # with Channels: first after 1.21 s, spread over 0.48 s against a bound of
    # half, 0.5 s).
    produced_in = (len(arrivals) - 1) * interval
    first = arrivals[0][0] - started
    spread = arrivals[-1][0] - arrivals[0][0]
    assert first < produced_in or spread >= 0.25 * produced_in, (
        f"events were buffered: the first arrived after {first:.3f} s, "
        f"all of them within {spread:.3f} s"
    )


@SERVER_FACT
def test_lifespan(stopped, running):
    """Counted in the final output, once the server exited: exactly one per worker."""
    output, expected, workers = stopped.output, running.expect.server, running.workers
    if expected.lifespan_unsupported is None:
        # Daphne never sends lifespan events: the wrapped application's
        # startup hook does not run, and nothing is logged about it.
        assert STARTUP_HOOK not in output, output
        assert "lifespan" not in output.lower(), output
    elif running.wrapped:
        # Each worker process runs the startup hook once.
        assert count_lines(output, STARTUP_HOOK) == workers, output
        assert expected.lifespan_unsupported not in output
    else:
        assert count_lines(output, expected.lifespan_unsupported) == workers, output
        assert STARTUP_HOOK not in output


def test_root_path_reaches_django_as_script_name(running, client):
    server, root_path = running.server, running.expect.root_path
    # The home view answers SCRIPT_NAME and the URLs reverse() builds.
    home = client.get(server.url + "/").json()
    assert home["script_name"] == root_path
    assert home["endpoints"]["index"] == f"{root_path}/polls/"
    if not root_path:
        return
    # A proxy that forwards the prefix instead of stripping it:
    response = client.get(server.url + root_path + "/")
    if running.expect.serves_prefixed_path:
        assert response.status_code == 200
        assert response.json()["path_info"] == "/"
    else:
        # uvicorn prepends the root path again: Django sees /app/app/.
        assert response.status_code == 404


def preface_answer(port):
    """Everything a server sends back to an HTTP/2 preface, up to the moment it closes."""
    data = b""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(H2_PREFACE)
        while chunk := sock.recv(65536):
            data += chunk
    return data


@SERVER_FACT
def test_http2_without_tls(running):
    expected = running.expect.server
    if expected.http2_cleartext:
        url = running.server.url + "/polls/async/"
        with httpx.Client(http1=False, http2=True, timeout=5) as h2_client:
            response = h2_client.get(url)
        assert response.http_version == "HTTP/2"
        assert response.json()["count"] == 3
        return
    # Refused: probed on a server of its own, killed afterwards (a refused
    # preface leaves Daphne unable to handle SIGTERM: see guide.servers.catalogue).
    server, _ = running.start_own()
    try:
        with httpx.Client(http1=False, http2=True, timeout=5) as h2_client:
            # Closed or reset, depending on timing.
            with pytest.raises(httpx.TransportError):
                h2_client.get(server.url + "/polls/async/")
        # The exact answer, then the connection closed (recv() returned b"").
        answer = preface_answer(server.port)
        assert answer.split(b"\r\n")[0].decode() == expected.http2_preface_answer, answer
        if expected.http2_refused:
            server.wait_for_output(expected.http2_refused)
    finally:
        server.kill()


@SERVER_FACT
def test_sigterm_with_a_request_in_flight(stopped, running):
    expected, output = running.expect.server, stopped.output
    assert stopped.events_before_sigterm[:1] == [1], (stopped.stream, output)
    assert stopped.returncode == expected.sigterm_exit, output
    # No waiting for a timeout: it stopped within twice its own start-up time
    # plus twice the length of the stream it was asked for.
    assert stopped.stopped_after < 2 * stopped.started_in + 2 * stopped.stream_seconds, (
        stopped.stopped_after,
        output,
    )
    assert not stopped.port_open_after
    if expected.stopped:
        assert expected.stopped in output
    if expected.graceful:
        assert stopped.stream == {"events": [1, 2, 3, 4], "error": None}, output
        assert "stream finished after 4 events" in output
        if running.wrapped:
            assert count_lines(output, SHUTDOWN_HOOK) == running.workers, output
    else:
        # The documented limitation (see ``not_graceful_because``): the
        # response in flight is cut short.
        assert stopped.stream["events"] != [1, 2, 3, 4], expected.not_graceful_because
        assert isinstance(stopped.stream["error"], httpx.RemoteProtocolError), stopped.stream
        assert "stream finished after 4 events" not in output


# --- Failures that must be clear, and quick ---------------------------------


@SERVER_FACT
def test_port_already_in_use_exits_quickly_with_the_servers_message(running, dev_env):
    expected = running.expect.server
    baseline = running.server and running.started_in
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        began = time.monotonic()
        result = subprocess.run(
            server_argv(running.path, port),
            cwd=EXAMPLE_DIR,
            env=command_env(dev_env),
            capture_output=True,
            text=True,
            timeout=60,
        )
        took = time.monotonic() - began
    output = result.stdout + result.stderr
    assert result.returncode == expected.port_in_use_exit, output
    assert re.search(expected.port_in_use.format(port=port), output), output
    assert count_lines(output, expected.port_in_use_says) == expected.bind_attempts, output
    # Quick: within five times what the same command takes to start listening
    # on a free port (and never less than 20 s: CI's other lane runs Chromium beside
    # it, and uvicorn with Channels once took 10.3 s to fail against a 2 s start),
    # plus twice its own retries (a second apart). A server that keeps retrying
    # or hangs is stopped at 60 s and fails.
    limit = max(5 * baseline, 20) + 2 * (expected.bind_attempts - 1)
    assert took < limit, f"took {took:.2f} s, {limit:.2f} s at most:\n{output}"


@SERVER_FACT
def test_server_process_refuses_a_port_already_in_use(dev_env):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        argv = server_argv(server_snippets()[0], port)
        with pytest.raises(ServerError, match=f"port {port} is already in use on 127.0.0.1"):
            ServerProcess(argv, port, env=command_env(dev_env)).start()


@SERVER_FACT
@pytest.mark.parametrize("server", sorted(SERVERS))
def test_a_server_that_is_not_installed_gives_a_clear_error(server, dev_env, tmp_path):
    path = snippet_path(f"{server}.sh")
    port = free_port()
    env = {**dev_env, "PATH": str(tmp_path)}  # an empty folder: nothing installed
    process = ServerProcess(server_argv(path, port), port, env=env, log_path=tmp_path / "log")
    with pytest.raises(ServerError, match=re.escape(f"cannot start '{server}': is it installed?")):
        process.start(timeout=5)


# --- What the servers table says that no snippet shows ------------------------
# Each test starts the server's own <name>.sh command with the options it needs.


@SERVER_FACT
def test_servers_run_at_the_versions_the_table_names():
    pins = pinned_versions()
    for server in SERVERS.values():
        for package in server.packages:
            assert importlib.metadata.version(package) == pins[package], package


def base_argv(name, port, *options, app=None):
    argv = server_argv(snippet_path(f"{name}.sh"), port)
    return [*(with_application(argv, app) if app else argv), *options]


@pytest.mark.parametrize(
    "name",
    sorted(
        name
        for name in SERVERS
        if SERVERS[name].lifespan_unsupported is not None
        and not any(
            expect.server.name == name
            and application_of(parse_command(snippet_path(s))) == WRAPPED
            # Another worker class is another lifespan implementation.
            and "--worker-class" not in expect.because_of
            for s, expect in EXPECTATIONS.items()
        )
    ),
)
@SERVER_FACT
def test_lifespan_hooks_of_the_wrapped_application(name, dev_env, tmp_path):
    """Where no snippet serves the wrapped application: its hooks run once per worker."""
    server, _ = start_server(
        lambda port: base_argv(name, port, app=WRAPPED), command_env(dev_env), tmp_path, name
    )
    workers = SERVERS[name].workers(server.argv)
    try:
        wait_for_count(server, STARTUP_HOOK, workers)
        assert httpx.get(server.url + "/polls/", timeout=10).status_code == 200
    finally:
        server.stop(timeout=30)
    output = server.output()
    assert count_lines(output, STARTUP_HOOK) == workers, output
    assert count_lines(output, SHUTDOWN_HOOK) == workers, output


@pytest.mark.parametrize(
    "name",
    sorted(
        name
        for name in SERVERS
        if not any(
            e.root_path and e.server.name == name and "root_path_reaches_app" not in e.overrides
            for e in EXPECTATIONS.values()
        )
    ),
)
def test_root_path_option_without_a_snippet(name, dev_env, tmp_path):
    """Where no snippet sets a root path with the server's own behaviour (a snippet
    whose options change it, such as Gunicorn's ``--worker-class asgi``, does not
    count): whether the option reaches Django."""
    expected = SERVERS[name]
    server, _ = start_server(
        lambda port: base_argv(name, port, expected.root_path_option, "/app"),
        command_env(dev_env),
        tmp_path,
        name,
    )
    try:
        # Every worker up first (Gunicorn's master listens before they are).
        if expected.lifespan_unsupported:
            wait_for_count(
                server, expected.lifespan_unsupported, expected.workers(server.argv), timeout=60
            )
        home = httpx.get(server.url + "/", timeout=10).json()
    finally:
        server.kill()
    root_path = "/app" if expected.root_path_reaches_app else ""
    assert home["script_name"] == root_path, server.output()
    assert home["endpoints"]["index"] == f"{root_path}/polls/"


@SERVER_FACT
@pytest.mark.parametrize(
    ("name", "option"),
    [
        *((name, "--workers") for name, s in SERVERS.items() if not s.workers_options),
        *((name, "--reload") for name, s in SERVERS.items() if s.reload_option is None),
    ],
)
def test_an_option_the_server_does_not_have_is_refused(name, option, dev_env):
    expected = SERVERS[name]
    extra = [option, "2"] if option == "--workers" else [option]
    result = subprocess.run(
        base_argv(name, free_port(), *extra),
        cwd=EXAMPLE_DIR,
        env=command_env(dev_env),
        capture_output=True,
        text=True,
        timeout=60,
    )
    output = result.stdout + result.stderr
    assert result.returncode == expected.unknown_option_exit, output
    assert expected.unknown_option_error.format(option=" ".join(extra)) in output, output


@SERVER_FACT
@pytest.mark.parametrize("name", sorted(n for n, s in SERVERS.items() if s.reload_option))
def test_reload_option(name, dev_env, tmp_path):
    """Under the reload option, edit a file of a copy of the project (the shared one
    is left alone): the workers restart, or say that they saw the change."""
    expected = SERVERS[name]
    project = tmp_path / "mysite"
    shutil.copytree(EXAMPLE_DIR, project, ignore=shutil.ignore_patterns("__pycache__"))
    server, _ = start_server(
        lambda port: base_argv(name, port, expected.reload_option, app=WRAPPED),
        command_env(dev_env),
        tmp_path,
        name,
        cwd=project,
    )
    workers = expected.workers(server.argv)
    runs = 2 if expected.reload_restarts else 1
    try:
        wait_for_count(server, STARTUP_HOOK, workers)
        assert httpx.get(server.url + "/polls/", timeout=10).status_code == 200
        settings = project / "mysite" / "settings.py"
        settings.write_text(settings.read_text() + "\n# edited by test_reload_option\n")
        # Positive signals: the startup hook ran again in each worker, or each
        # worker said it saw the change.
        if expected.reload_restarts:
            wait_for_count(server, STARTUP_HOOK, runs * workers)
        else:
            wait_for_count(server, expected.reload_noticed, workers)
        assert httpx.get(server.url + "/polls/", timeout=10).status_code == 200
    finally:
        server.stop(timeout=30)
    output = server.output()
    assert count_lines(output, STARTUP_HOOK) == runs * workers, output
    assert count_lines(output, SHUTDOWN_HOOK) == runs * workers, output
    if not expected.reload_restarts:
        assert count_lines(output, expected.reload_noticed) == workers, output
