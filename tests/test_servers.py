"""Every server command the documentation shows, run as written over real HTTP.

Each ``snippets/servers/*.sh`` file holds one command a page shows. These
tests read that file, swap its port 8000 for a free one, run it from
``examples/mysite`` (no shell), and check what the page says about it:

- the sync view, the async view and the streaming view answer, and the
  ``Server-Timing`` middleware header is there when the command serves
  ``mysite.asgi_wrapped:application``;
- the server's lifespan behaviour: the wrapped application's startup hook
  runs once per worker, or the server logs that Django's own application has
  no lifespan support (Daphne never speaks lifespan at all);
- SIGTERM while a streaming response is in flight: the response completes
  and the process exits with the expected code, or, where the server cuts
  it, the test shows exactly that;
- HTTP/2 without TLS (prior knowledge) where the server speaks it;
- the ASGI ``root_path`` a command sets (``--root-path``,
  ``--url-path-prefix``): Django's ``SCRIPT_NAME`` and the URLs
  ``reverse()`` builds carry it, and whether a request that still carries
  the prefix is served too;
- on a port that is already taken, the command exits quickly with the
  server's own "address already in use" message instead of hanging; and a
  server that isn't installed gives a clear :class:`ServerError`.

``SNIPPETS`` below says what each command is expected to do; every snippet
file must have an entry, so a command can't be added to the docs untested.
"""

import json
import re
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field, replace

import httpx
import pytest

from snippet_commands import (
    SnippetError,
    application_of,
    command_env,
    parse_command,
    read_command,
    server_argv,
    server_snippets,
    with_port,
)
from support import EXAMPLE_DIR, ServerError, ServerProcess, free_port, port_is_open

WRAPPED = "mysite.asgi_wrapped:application"
STARTUP_HOOK = "startup hook ran: database ready, 3 questions"
SHUTDOWN_HOOK = "shutdown hook ran after"
QUESTIONS = ["What's new?", "Sync or async?", "Which ASGI server?"]


@dataclass(frozen=True)
class Server:
    """What one server prints and does, as observed (``{port}`` is filled in)."""

    ready: str  # printed once it listens
    lifespan_unsupported: str | None  # printed for Django's own application; None: no lifespan
    port_in_use: str  # regular expression matched in its output on a taken port
    sigterm_exit: int = 0
    stopped: str | None = None  # printed last on a graceful stop
    http2_cleartext: bool | None = False  # None: not probed
    http2_refused: str | None = None  # printed when it refuses HTTP/2 without TLS
    graceful: bool = True  # a request in flight at SIGTERM completes
    not_graceful_because: str = ""


SERVERS = {
    "uvicorn": Server(
        ready="Uvicorn running on http://127.0.0.1:{port} (Press CTRL+C to quit)",
        lifespan_unsupported="ASGI 'lifespan' protocol appears unsupported.",
        port_in_use=r"ERROR: +\[Errno 98\] (error while attempting to bind on address "
        r"\('127\.0\.0\.1', {port}\): address|Address) already in use",
        # A single uvicorn process re-raises the SIGTERM it handled, once shut down.
        sigterm_exit=-signal.SIGTERM,
        stopped="Finished server process",
        http2_refused="WARNING:  Invalid HTTP request received.",
    ),
    "gunicorn": Server(
        ready="Listening at: http://127.0.0.1:{port}",
        lifespan_unsupported="ASGI 'lifespan' protocol appears unsupported.",
        # Gunicorn retries the bind five times, a second apart, then gives up.
        port_in_use=r"\[ERROR\] Connection in use: \('127\.0\.0\.1', {port}\)[\s\S]*"
        r"\[ERROR\] Can't connect to \('127\.0\.0\.1', {port}\)",
        stopped="Shutting down: Master",
        http2_refused="[WARNING] Invalid HTTP request received.",
    ),
    "daphne": Server(
        ready="Listening on TCP address 127.0.0.1:{port}",
        lifespan_unsupported=None,
        port_in_use=r"CRITICAL Listen failure: Couldn't listen on 127\.0\.0\.1:{port}: "
        r"\[Errno 98\] Address already in use\.",
        # "Killed N pending application instances": N counts open keep-alive
        # connections too.
        stopped=" pending application instances",
        # Not probed: Daphne answers an HTTP/2 preface on plain HTTP by closing
        # the connection, but keeps an entry for it that makes its SIGTERM
        # handler fail silently (no "Killed" line, the stream is not cancelled).
        http2_cleartext=None,
        graceful=False,
        not_graceful_because="Daphne cancels every running application instance at SIGTERM",
    ),
    "hypercorn": Server(
        ready="Running on http://127.0.0.1:{port} (CTRL + C to quit)",
        lifespan_unsupported="ASGI Framework Lifespan error, continuing without Lifespan support",
        port_in_use=r"OSError: \[Errno 98\] Address already in use",
        http2_cleartext=True,
    ),
    "granian": Server(
        ready="Listening at: http://127.0.0.1:{port}",
        lifespan_unsupported="ASGI Lifespan errored, continuing without Lifespan support",
        port_in_use=r"RuntimeError: Address already in use \(os error 98\)",
        stopped="Granian shutdown completed, see ya!",
        http2_cleartext=True,
    ),
}


@dataclass(frozen=True)
class Expect:
    """What one snippet's command is expected to do."""

    server: Server
    workers: int = 1
    # Regular expression for the access-log line of a request sent from
    # 127.0.0.1 with X-Forwarded-For: 203.0.113.7: the client it shows tells
    # whether the server trusted the header. None: no access log by default.
    forwarded_request_log: str | None = None
    # The ASGI root_path the command sets ("": none), and whether a request
    # whose path still carries it (the proxy did not strip it) is served too.
    root_path: str = ""
    serves_prefixed_path: bool = False
    overrides: dict = field(default_factory=dict)

    def __post_init__(self):
        object.__setattr__(self, "server", replace(self.server, **self.overrides))


UVICORN_FORWARDED = r'INFO: +203\.0\.113\.7:0 - "GET /polls/async/ HTTP/1\.1" 200 OK'

SNIPPETS = {
    # uvicorn trusts X-Forwarded-For from 127.0.0.1 without --proxy-headers:
    # it is on by default, with --forwarded-allow-ips 127.0.0.1.
    "uvicorn.sh": Expect(SERVERS["uvicorn"], forwarded_request_log=UVICORN_FORWARDED),
    # Under --reload or --workers the SIGTERM goes to uvicorn's supervisor,
    # which stops the server process(es) and exits 0.
    "uvicorn-dev-reload.sh": Expect(
        SERVERS["uvicorn"],
        forwarded_request_log=UVICORN_FORWARDED,
        overrides={"sigterm_exit": 0, "stopped": "Stopping reloader process"},
    ),
    "uvicorn-proxy.sh": Expect(
        SERVERS["uvicorn"],
        workers=2,
        forwarded_request_log=UVICORN_FORWARDED,
        overrides={"sigterm_exit": 0, "stopped": "Stopping parent process"},
    ),
    # uvicorn prepends the root path to every path it receives (the access log
    # shows it): the proxy must strip the prefix, or Django sees it twice.
    "uvicorn-root-path.sh": Expect(
        SERVERS["uvicorn"],
        forwarded_request_log=r'INFO: +203\.0\.113\.7:0 - "GET /app/polls/async/ HTTP/1\.1" 200 OK',
        root_path="/app",
    ),
    "gunicorn.sh": Expect(SERVERS["gunicorn"], workers=2),
    # Without --proxy-headers Daphne logs the proxy's own address.
    "daphne.sh": Expect(
        SERVERS["daphne"],
        forwarded_request_log=r'127\.0\.0\.1:\d+ - - \[[^\]]+\] "GET /polls/async/" 200',
    ),
    "daphne-proxy.sh": Expect(
        SERVERS["daphne"],
        forwarded_request_log=r'203\.0\.113\.7:0 - - \[[^\]]+\] "GET /polls/async/" 200',
    ),
    # Daphne, Hypercorn and Granian set root_path without touching the path:
    # Django strips the prefix if the path has it, so both forms are served.
    "daphne-root-path.sh": Expect(SERVERS["daphne"], root_path="/app", serves_prefixed_path=True),
    "hypercorn.sh": Expect(SERVERS["hypercorn"]),
    "hypercorn-root-path.sh": Expect(
        SERVERS["hypercorn"], root_path="/app", serves_prefixed_path=True
    ),
    "hypercorn-workers.sh": Expect(
        SERVERS["hypercorn"],
        workers=2,
        overrides={
            "graceful": False,
            "not_graceful_because": (
                "with --workers 2, Hypercorn's parent terminates the remaining workers as "
                "soon as the first one (the idle one) has exited"
            ),
        },
    ),
    "granian.sh": Expect(SERVERS["granian"], workers=2),
    "granian-lifespan.sh": Expect(SERVERS["granian"]),
    "granian-root-path.sh": Expect(SERVERS["granian"], root_path="/app", serves_prefixed_path=True),
}


def server_name(name):
    return name.removesuffix(".sh").split("-")[0]


def count_lines(output, text):
    return sum(text in line for line in output.splitlines())


def wait_for_count(server, text, count, timeout=15.0):
    """Wait until ``text`` appears on ``count`` lines of the output."""
    deadline = time.monotonic() + timeout
    while count_lines(server.output(), text) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return count_lines(server.output(), text)


# --- The snippet files themselves -------------------------------------------


def test_every_server_snippet_has_expectations_and_every_expectation_a_snippet():
    assert sorted(path.name for path in server_snippets()) == sorted(SNIPPETS)


@pytest.mark.parametrize("name", sorted(SNIPPETS))
def test_snippet_is_one_command_for_the_documented_address(name):
    path = next(path for path in server_snippets() if path.name == name)
    argv = parse_command(path)
    assert argv[0] == server_name(name)
    assert application_of(argv).startswith("mysite.asgi")
    assert "127.0.0.1" in " ".join(argv)
    assert with_port(argv, 12345) != argv


def test_parser_joins_continued_lines_and_skips_comments(tmp_path):
    snippet = tmp_path / "s.sh"
    snippet.write_text("# a comment\nserve app:application \\\n    --bind 127.0.0.1:8000\n")
    assert read_command(snippet) == "serve app:application --bind 127.0.0.1:8000"
    assert server_argv(snippet, 4321) == ["serve", "app:application", "--bind", "127.0.0.1:4321"]


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["s", "--port", "8000"], ["s", "--port", "5555"]),
        (["s", "--port=8000"], ["s", "--port=5555"]),
        (["s", "-b", "127.0.0.1:8000"], ["s", "-b", "127.0.0.1:5555"]),
        (["s", "-p", "8000", "--limit", "18000"], ["s", "-p", "5555", "--limit", "18000"]),
    ],
)
def test_with_port_swaps_only_the_exact_port_token(argv, expected):
    assert with_port(argv, 5555) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("serve a:b --port 8001\n", "the port 8000 does not appear"),
        ("serve a:b --port 8000\nserve c:d --port 8000\n", "exactly one command"),
        ("serve a:b --port 8000 \\\n", "ends with a backslash"),
        ("serve a:b --port 8000 && echo done\n", "shell operators"),
        ("serve a:b --port $PORT 8000\n", "variable expansion"),
    ],
)
def test_parser_refuses_what_the_tests_could_not_run_as_written(tmp_path, text, message):
    snippet = tmp_path / "s.sh"
    snippet.write_text(text)
    with pytest.raises(SnippetError, match=re.escape(message)):
        server_argv(snippet, 4321)


# --- Each command, started as written --------------------------------------


class Running:
    """One snippet's command, running on a free port, shared by the tests of a module.

    The SIGTERM test stops it; a test that comes after (test order is not
    guaranteed, e.g. under pytest-xdist) gets a freshly started one.
    """

    def __init__(self, name, env, log_dir):
        self.name = name
        self.expect = SNIPPETS[name]
        self.path = next(path for path in server_snippets() if path.name == name)
        self.app = application_of(parse_command(self.path))
        self.env = env
        self.log_dir = log_dir
        self._server = None

    @property
    def wrapped(self):
        return self.app == WRAPPED

    @property
    def server(self):
        if self._server is None or self._server.process.poll() is not None:
            port = free_port()
            self._server = ServerProcess(
                server_argv(self.path, port),
                port,
                env=self.env,
                log_path=self.log_dir / f"{self.name}-{port}.log",
            ).start()
        return self._server

    def close(self):
        if self._server is not None and self._server.process.poll() is None:
            self._server.stop(timeout=30)


@pytest.fixture(scope="module", params=sorted(SNIPPETS))
def running(request, dev_env, tmp_path_factory):
    """The snippet's command, running on a free port (one per snippet, shared)."""
    shared = Running(request.param, command_env(dev_env), tmp_path_factory.mktemp("servers"))
    try:
        yield shared
    finally:
        shared.close()


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
    response = client.get(server.url + "/polls/async/", headers={"X-Forwarded-For": "203.0.113.7"})
    assert response.status_code == 200
    assert response.json()["count"] == 3
    if running.expect.forwarded_request_log:
        pattern = re.compile(running.expect.forwarded_request_log)
        deadline = time.monotonic() + 5
        while not pattern.search(server.output()) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert pattern.search(server.output()), server.output()


def test_middleware_header_only_on_the_wrapped_application(running, client):
    response = client.get(running.server.url + "/polls/")
    if running.wrapped:
        metric, duration = response.headers["server-timing"].split(";dur=")
        assert metric == "app" and float(duration) >= 0
    else:
        assert "server-timing" not in response.headers


def test_streaming_view_sends_each_event_when_produced(running):
    arrivals = []
    url = running.server.url + "/polls/stream/?count=3&interval=0.2"
    with httpx.stream("GET", url, timeout=10) as response:
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/event-stream"
        for line in response.iter_lines():
            if line.startswith("data: "):
                arrivals.append((time.monotonic(), json.loads(line[6:])["n"]))
    assert [n for _, n in arrivals] == [1, 2, 3]
    # Produced 0.2 s apart: a server that buffered the body would deliver
    # them together at the end.
    spread = arrivals[-1][0] - arrivals[0][0]
    assert spread >= 0.3, f"events were buffered: all arrived within {spread:.3f} s"


def test_lifespan(running, client):
    server, expected = running.server, running.expect.server
    client.get(server.url + "/polls/")
    if expected.lifespan_unsupported is None:
        # Daphne never sends lifespan events: the wrapped application's
        # startup hook does not run, and nothing is logged about it.
        time.sleep(0.5)
        assert STARTUP_HOOK not in server.output()
    elif running.wrapped:
        # Each worker process runs the startup hook once.
        assert wait_for_count(server, STARTUP_HOOK, running.expect.workers) == (
            running.expect.workers
        ), server.output()
        assert expected.lifespan_unsupported not in server.output()
    else:
        found = wait_for_count(server, expected.lifespan_unsupported, running.expect.workers)
        assert found == running.expect.workers, server.output()


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


def test_http2_without_tls(running):
    if running.expect.server.http2_cleartext is None:
        pytest.skip(f"{running.name}: HTTP/2 without TLS is not probed (see SERVERS)")
    url = running.server.url + "/polls/async/"
    with httpx.Client(http1=False, http2=True, timeout=5) as h2_client:
        if running.expect.server.http2_cleartext:
            response = h2_client.get(url)
            assert response.http_version == "HTTP/2"
            assert response.json()["count"] == 3
        else:
            # Closed or reset, depending on timing.
            with pytest.raises(httpx.TransportError):
                h2_client.get(url)
            running.server.wait_for_output(running.expect.server.http2_refused)


# Last for each snippet: it stops the shared server (a later test would start another).
def test_sigterm_with_a_request_in_flight(running):
    server, expected = running.server, running.expect.server
    url = server.url + "/polls/stream/?count=4&interval=0.3"
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
    assert first_event.wait(10) and result["events"][:1] == [1], result
    began = time.monotonic()
    returncode = server.stop(timeout=30)
    stopped_after = time.monotonic() - began
    reader.join(10)
    output = server.output()

    assert returncode == expected.sigterm_exit, output
    assert stopped_after < 10, output
    assert not port_is_open(server.port)
    if expected.stopped:
        assert expected.stopped in output
    if expected.graceful:
        assert result == {"events": [1, 2, 3, 4], "error": None}, output
        assert "stream finished after 4 events" in output
        if running.wrapped:
            assert count_lines(output, SHUTDOWN_HOOK) == running.expect.workers, output
    else:
        # The documented limitation (see ``not_graceful_because``): the
        # response in flight is cut short.
        assert result["events"] != [1, 2, 3, 4], expected.not_graceful_because
        assert isinstance(result["error"], httpx.RemoteProtocolError), result
        assert "stream finished after 4 events" not in output


# --- Failures that must be clear, and quick ---------------------------------


@pytest.mark.parametrize("name", sorted(SNIPPETS))
def test_port_already_in_use_exits_quickly_with_the_servers_message(name, dev_env):
    path = next(path for path in server_snippets() if path.name == name)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        began = time.monotonic()
        result = subprocess.run(
            server_argv(path, port),
            cwd=EXAMPLE_DIR,
            env=command_env(dev_env),
            capture_output=True,
            text=True,
            timeout=30,
        )
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert time.monotonic() - began < 15, output
    pattern = SNIPPETS[name].server.port_in_use.format(port=port)
    assert re.search(pattern, output), output


def test_server_process_refuses_a_port_already_in_use(dev_env):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        argv = server_argv(server_snippets()[0], port)
        with pytest.raises(ServerError, match=f"port {port} is already in use on 127.0.0.1"):
            ServerProcess(argv, port, env=command_env(dev_env)).start()


@pytest.mark.parametrize("server", sorted(SERVERS))
def test_a_server_that_is_not_installed_gives_a_clear_error(server, dev_env, tmp_path):
    path = next(path for path in server_snippets() if path.name == f"{server}.sh")
    port = free_port()
    env = {**dev_env, "PATH": str(tmp_path)}  # an empty folder: nothing installed
    process = ServerProcess(server_argv(path, port), port, env=env, log_path=tmp_path / "log")
    with pytest.raises(ServerError, match=re.escape(f"cannot start '{server}': is it installed?")):
        process.start(timeout=5)
