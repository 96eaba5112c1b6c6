"""What the server pages say about the servers beyond their command snippets, run for real.

- Daphne reads ``ASGI_THREADS`` (asgiref does not): it sizes its event loop's
  default executor, the one ``sync_to_async(thread_sensitive=False)`` uses;
  uvicorn leaves asyncio's default.
- ``python manage.py runserver`` with ``daphne`` in ``INSTALLED_APPS`` serves
  ASGI through Daphne only with ``ASGI_APPLICATION`` set
  (``snippets/server_commands/manage/runserver-daphne.sh``, ``mysite.settings_daphne``);
  without it, it stops with Daphne's message.
- Daphne logs "HTTP/2 support enabled" only where Twisted's ``http2`` extra
  is installed: not after the page's install line alone (a throwaway virtualenv).
- uvicorn's opt-in HTTP/2 (``--http zttp --http2``): what it takes, and what it
  does with Django.
- Gunicorn's own ASGI worker serves HTTP/2 without TLS when told to
  (``--http-protocols h2,h1 --http2-cleartext prior-knowledge``).
- A blocked event loop: Gunicorn's ``--timeout`` kills the worker, uvicorn's own
  worker health check does not notice it.
- With Django's default logging and ``DEBUG = False``, a 500's traceback is printed
  under Daphne only (its command calls ``logging.basicConfig()``).
- uvicorn's ``--reload`` with ``--workers``: one server process and a warning.
- Daphne's ``Killed N pending application instances`` on SIGTERM leaves out idle
  keep-alive connections.
- Gunicorn binds ``0.0.0.0:$PORT`` when ``PORT`` is set and no ``--bind`` is given.
- ``X-Forwarded-For`` from a client that is not the proxy (127.0.0.2): Daphne's
  ``--proxy-headers`` trusts it, uvicorn's ``--forwarded-allow-ips 127.0.0.1`` does not.
- Gunicorn without ``-k`` runs its ``sync`` worker, a WSGI worker: Django's ASGI
  application answers every request with a 500. ``-k uvicorn.workers.UvicornWorker``
  still serves, and uvicorn warns that the module is deprecated.
- A server calls the application once per HTTP request, not once per
  connection: two requests over one keep-alive connection are two calls.
- Given a module without ``:attribute``, each server's default attribute (or
  its refusal).
"""

import os
import re
import shutil
import subprocess
import sys
import textwrap
import time

import httpx
import pytest

from guide.servers.catalogue import pinned_versions
from guide.servers.commands import command_env, server_argv
from guide.servers.expectations import snippet_path
from guide.services.processes import EXAMPLE_DIR, ServerProcess, free_port

SERVER_FACT = pytest.mark.server_fact


def started(argv, port, env, log_path, timeout=60):
    """A :class:`ServerProcess` started from ``EXAMPLE_DIR`` (generous timeout: shared CPUs)."""
    return ServerProcess(argv, port, env=env, log_path=log_path).start(timeout=timeout)


def output_after_one_request(argv, port, env, log_path):
    """The server's output once it started up and answered ``/polls/`` with 200."""
    process = started(argv, port, env, log_path)
    try:
        process.wait_for_output("Application startup complete.", timeout=60)
        assert httpx.get(process.url + "/polls/", timeout=30).status_code == 200
    finally:
        process.kill()
    return process.output()


def write_module(folder, name, code):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.py").write_text(textwrap.dedent(code))


def with_pythonpath(env, folder):
    return {**env, "PYTHONPATH": os.pathsep.join([str(folder), env.get("PYTHONPATH", "")])}


# --- ASGI_THREADS: read by Daphne, not by asgiref or uvicorn -------------------

EXECUTOR_APP = """
    import asyncio
    import json
    import threading
    import time

    from asgiref.sync import sync_to_async


    def work():
        time.sleep(0.2)
        return threading.get_ident()


    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        # Eight calls at once, as sync_to_async(thread_sensitive=False) runs
        # them: in the event loop's default executor.
        idents = await asyncio.gather(
            *(sync_to_async(work, thread_sensitive=False)() for _ in range(8))
        )
        body = json.dumps({"threads": len(set(idents))})
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": body.encode()})
"""


@SERVER_FACT
@pytest.mark.parametrize("server", ["daphne", "uvicorn"])
def test_asgi_threads_sizes_daphnes_default_executor_only(server, dev_env, tmp_path):
    write_module(tmp_path / "app", "executor_app", EXECUTOR_APP)
    env = with_pythonpath(command_env({**dev_env, "ASGI_THREADS": "2"}), tmp_path / "app")
    port = free_port()
    argv = {
        "daphne": ["daphne", "-b", "127.0.0.1", "-p", str(port), "executor_app:app"],
        "uvicorn": ["uvicorn", "executor_app:app", "--host", "127.0.0.1", "--port", str(port)],
    }[server]
    process = started(argv, port, env, tmp_path / "log")
    try:
        report = httpx.get(process.url + "/", timeout=30).json()
    finally:
        process.kill()
    if server == "daphne":
        # daphne/server.py: ThreadPoolExecutor(max_workers=int(os.environ["ASGI_THREADS"]))
        assert report == {"threads": 2}, process.output()
    else:
        # The default executor's own size (ThreadPoolExecutor()), whatever
        # ASGI_THREADS says.
        cpus = getattr(os, "process_cpu_count", os.cpu_count)()
        assert report == {"threads": min(8, 32, (cpus or 1) + 4)}, process.output()


# --- runserver with daphne in INSTALLED_APPS ------------------------------------

RUNSERVER_DAPHNE = snippet_path("manage/runserver-daphne.sh")


def test_runserver_with_daphne_serves_asgi_through_daphne(dev_env, tmp_path):
    port = free_port()
    process = started(
        server_argv(RUNSERVER_DAPHNE, port), port, command_env(dev_env), tmp_path / "log"
    )
    try:
        response = httpx.get(process.url + "/polls/async/", timeout=30)
        version = pinned_versions()["daphne"]
        output = process.wait_for_output(
            f"Starting ASGI/Daphne version {version} development server at http://127.0.0.1:{port}/"
        )
    finally:
        process.stop(timeout=30)
    assert response.status_code == 200 and response.json()["count"] == 3, output
    assert "using settings 'mysite.settings_daphne'" in output, output


def test_runserver_with_daphne_but_no_asgi_application_stops(dev_env, tmp_path):
    # mysite.settings_daphne without its ASGI_APPLICATION line.
    write_module(
        tmp_path / "settings",
        "settings_no_asgi_application",
        """
        from mysite.settings_daphne import *  # noqa: F403

        del ASGI_APPLICATION  # noqa: F821
        """,
    )
    argv = server_argv(RUNSERVER_DAPHNE, free_port())
    argv[argv.index("mysite.settings_daphne")] = "settings_no_asgi_application"
    result = subprocess.run(
        [*argv, "--noreload"],
        cwd=EXAMPLE_DIR,
        env=with_pythonpath(command_env(dev_env), tmp_path / "settings"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert (
        "CommandError: You have not set ASGI_APPLICATION, which is needed to run the server."
        in result.stderr
    ), result.stderr


# --- Daphne's "HTTP/2 support enabled" needs Twisted's http2 extra ------------


@pytest.fixture(scope="session")
def daphne_alone(tmp_path_factory):
    """A throwaway virtualenv with exactly the Daphne page's install line (uv, cached)."""
    uv = shutil.which("uv")
    if uv is None:
        pytest.fail("uv is not on PATH: ./guide installs it with nox")
    venv = tmp_path_factory.mktemp("daphne-alone") / "venv"
    version = pinned_versions()["daphne"]
    subprocess.run([uv, "venv", "--quiet", "--python", sys.executable, str(venv)], check=True)
    subprocess.run(
        [
            uv,
            "pip",
            "install",
            "--quiet",
            "--python",
            str(venv / "bin" / "python"),
            f"daphne=={version}",
        ],
        check=True,
        timeout=300,
    )
    return venv / "bin"


@SERVER_FACT
def test_daphne_alone_has_no_http2(daphne_alone, tmp_path):
    port = free_port()
    argv = [str(daphne_alone / "daphne"), "-b", "127.0.0.1", "-p", str(port), "app:app"]
    write_module(tmp_path / "app", "app", "async def app(scope, receive, send):\n    pass\n")
    env = with_pythonpath({**os.environ, "PYTHONUNBUFFERED": "1"}, tmp_path / "app")
    process = started(argv, port, env, tmp_path / "log")
    try:
        output = process.wait_for_output("Listening on TCP address", timeout=60)
    finally:
        process.kill()
    assert "HTTP/2 support not enabled (install the http2 and tls Twisted extras)" in output
    assert "HTTP/2 support enabled" not in output


@SERVER_FACT
def test_daphne_logs_http2_enabled_where_h2_is_installed(dev_env, tmp_path):
    """The test environment has h2 and priority (Hypercorn's dependencies): Twisted's http2 extra."""
    port = free_port()
    argv = server_argv(snippet_path("daphne.sh"), port)
    process = started(argv, port, command_env(dev_env), tmp_path / "log")
    try:
        output = process.wait_for_output("Listening on TCP address", timeout=60)
    finally:
        process.kill()
    assert "HTTP/2 support enabled" in output, output


# --- uvicorn's opt-in HTTP/2 ----------------------------------------------------


@SERVER_FACT
def test_uvicorn_http2_needs_the_zttp_protocol(dev_env):
    result = subprocess.run(
        ["uvicorn", "mysite.asgi:application", "--port", str(free_port()), "--http2"],
        cwd=EXAMPLE_DIR,
        env=command_env(dev_env),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1, result.stderr
    assert "ValueError: HTTP/2 requires the `zttp` HTTP protocol." in result.stderr, result.stderr


@SERVER_FACT
def test_uvicorn_zttp_http2_hangs_on_a_django_get(dev_env, tmp_path):
    """uvicorn 0.54 with ``--http zttp --http2`` (zttp 0.0.35) speaks HTTP/2 without TLS,
    but an HTTP/2 request without a body never gets its ``http.request`` message:
    Django awaits it before it runs the view, so a GET never answers. A POST does,
    and HTTP/1.1 on the same port works."""
    port = free_port()
    argv = ["uvicorn", "mysite.asgi:application", "--host", "127.0.0.1", "--port", str(port)]
    process = started(
        [*argv, "--http", "zttp", "--http2"], port, command_env(dev_env), tmp_path / "log"
    )
    try:
        with httpx.Client(timeout=10) as h1:
            assert h1.get(process.url + "/polls/async/").json()["count"] == 3
        with httpx.Client(http1=False, http2=True, timeout=10) as h2:
            # A request with a body: Django answers, over HTTP/2 (403: a POST
            # without a CSRF token).
            posted = h2.post(process.url + "/polls/async/", content=b"x")
            assert (posted.http_version, posted.status_code) == ("HTTP/2", 403)
        with httpx.Client(http1=False, http2=True, timeout=3) as h2:
            with pytest.raises(httpx.ReadTimeout):
                h2.get(process.url + "/polls/async/")
    finally:
        process.kill()


# --- uvicorn's --reload with --workers: the workers are ignored -------------------


@SERVER_FACT
def test_uvicorn_reload_ignores_workers(dev_env, tmp_path):
    port = free_port()
    argv = ["uvicorn", "mysite.asgi:application", "--host", "127.0.0.1", "--port", str(port)]
    argv += ["--reload", "--reload-dir", "polls", "--workers", "2"]
    output = output_after_one_request(argv, port, command_env(dev_env), tmp_path / "log")
    assert 'WARNING:  "workers" flag is ignored when reloading is enabled.' in output, output
    assert "Started reloader process" in output, output
    assert output.count("Started server process") == 1, output


# --- Daphne's SIGTERM count: application instances still running ---------------


@SERVER_FACT
def test_daphne_sigterm_count_leaves_out_idle_keep_alive_connections(dev_env, tmp_path):
    """Two clients each keep a connection open after a finished request: Daphne's
    ``Killed ... pending application instances`` counts neither."""
    port = free_port()
    argv = server_argv(snippet_path("daphne.sh"), port)
    process = started(argv, port, command_env(dev_env), tmp_path / "log")
    with httpx.Client(timeout=30) as first, httpx.Client(timeout=30) as second:
        for client in (first, second):
            response = client.get(process.url + "/polls/async/")
            assert (response.status_code, response.headers.get("connection")) == (200, None)
        # The client has its answer before Django has finished the request (it
        # still closes the response and sends request_finished): let it finish.
        time.sleep(1)
        assert process.stop(timeout=30) == 0
    assert "Killed 0 pending application instances" in process.output(), process.output()


# --- Gunicorn's own ASGI worker: HTTP/2 without TLS, opted in ---------------------


@SERVER_FACT
def test_gunicorn_asgi_worker_serves_http2_cleartext_when_opted_in(dev_env, tmp_path):
    """Gunicorn 27's ASGI worker with ``--http-protocols h2,h1 --http2-cleartext
    prior-knowledge`` answers an HTTP/2 request without TLS from a trusted address
    (``--forwarded-allow-ips``, 127.0.0.1 by default), Django's view included, and
    refuses an HTTP/1.1 request from that address with 400."""
    port = free_port()
    argv = ["gunicorn", "mysite.asgi:application", "--worker-class", "asgi"]
    argv += ["--bind", f"127.0.0.1:{port}"]
    argv += ["--http-protocols", "h2,h1", "--http2-cleartext", "prior-knowledge"]
    process = started(argv, port, command_env(dev_env), tmp_path / "log")
    try:
        process.wait_for_output("ASGI server listening on", timeout=60)
        with httpx.Client(http1=False, http2=True, timeout=10) as h2:
            response = h2.get(process.url + "/polls/async/")
        assert (response.http_version, response.json()["count"]) == ("HTTP/2", 3)
        response = httpx.get(process.url + "/polls/async/", timeout=10)
        assert (response.http_version, response.status_code) == ("HTTP/1.1", 400)
    finally:
        assert process.stop(timeout=30) == 0


# --- A blocked event loop: Gunicorn's --timeout notices it, uvicorn's health check not ---

# An application whose /block request blocks the worker's event loop.
BLOCKING_MODULE = """
    import time


    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        if scope["path"] == "/block":
            time.sleep(float(scope["query_string"] or 0))
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"done"})
"""


@SERVER_FACT
def test_gunicorn_timeout_kills_a_worker_whose_event_loop_is_blocked(dev_env, tmp_path):
    """With the uvicorn worker the heartbeat is sent from the event loop: a loop blocked
    longer than ``--timeout`` gets the worker killed and replaced."""
    write_module(tmp_path / "app", "blocking", BLOCKING_MODULE)
    port = free_port()
    argv = ["gunicorn", "blocking:app", "-k", "uvicorn_worker.UvicornWorker"]
    argv += ["--bind", f"127.0.0.1:{port}", "--timeout", "2"]
    env = with_pythonpath(command_env(dev_env), tmp_path / "app")
    process = started(argv, port, env, tmp_path / "log")
    try:
        process.wait_for_output("Application startup complete.", timeout=60)
        with pytest.raises(httpx.TransportError):
            httpx.get(process.url + "/block?8", timeout=20)
        process.wait_for_output("[CRITICAL] WORKER TIMEOUT (pid:", timeout=10)
        process.wait_for_output("Booting worker with pid", timeout=30)
    finally:
        process.kill()


@SERVER_FACT
def test_uvicorn_workers_health_check_ignores_a_blocked_event_loop(dev_env, tmp_path):
    """uvicorn 0.54's parent pings each worker (``--timeout-worker-healthcheck``), but
    a thread of the worker answers: a loop blocked three times that long is not noticed,
    and the blocked request is answered (a worker killed meanwhile would not answer)."""
    write_module(tmp_path / "app", "blocking", BLOCKING_MODULE)
    port = free_port()
    argv = ["uvicorn", "blocking:app", "--host", "127.0.0.1", "--port", str(port)]
    argv += ["--workers", "2", "--timeout-worker-healthcheck", "2"]
    env = with_pythonpath(command_env(dev_env), tmp_path / "app")
    process = started(argv, port, env, tmp_path / "log")
    try:
        response = httpx.get(process.url + "/block?6", timeout=30)
        assert (response.status_code, response.text) == (200, "done")
    finally:
        process.kill()


# --- A 500's traceback with Django's default logging: only Daphne prints it ------

# The example's settings without its LOGGING, and with DEBUG off: Django's own
# logging alone, whose console handler is for DEBUG only.
DEFAULT_LOGGING_SETTINGS = """
    from mysite.settings import *

    DEBUG = False
    LOGGING = {}
"""

UNSAFE_VIEW_COMMANDS = {
    "uvicorn": ["uvicorn", "mysite.asgi:application", "--port", "{port}"],
    "gunicorn": [
        "gunicorn",
        "mysite.asgi:application",
        "-k",
        "uvicorn_worker.UvicornWorker",
        "--bind",
        "127.0.0.1:{port}",
    ],
    "daphne": ["daphne", "-p", "{port}", "mysite.asgi:application"],
    "hypercorn": ["hypercorn", "mysite.asgi:application", "--bind", "127.0.0.1:{port}"],
}


@SERVER_FACT
@pytest.mark.parametrize("name", UNSAFE_VIEW_COMMANDS)
def test_a_500_traceback_with_django_s_default_logging(name, dev_env, tmp_path):
    """Daphne's command calls ``logging.basicConfig()``: the root logger gets a
    handler, and ``django.request``'s error reaches it. The other servers leave
    the root logger alone, and with ``DEBUG = False`` nothing prints it."""
    write_module(tmp_path / "app", "default_logging", DEFAULT_LOGGING_SETTINGS)
    port = free_port()
    argv = [token.format(port=port) for token in UNSAFE_VIEW_COMMANDS[name]]
    env = {**dev_env, "DJANGO_SETTINGS_MODULE": "default_logging"}
    env = with_pythonpath(command_env(env), tmp_path / "app")
    process = started(argv, port, env, tmp_path / "log")
    try:
        response = httpx.get(process.url + "/polls/unsafe/", timeout=30)
        assert response.status_code == 500
        time.sleep(0.5)
    finally:
        process.kill()
    output = process.output()
    printed = "Internal Server Error: /polls/unsafe/" in output
    assert printed == (name == "daphne"), output
    assert ("SynchronousOnlyOperation" in output) == printed, output


# --- Gunicorn's default bind ----------------------------------------------------


@SERVER_FACT
def test_gunicorn_binds_0_0_0_0_port_when_port_is_set(dev_env, tmp_path):
    """No ``--bind``, ``PORT`` set: Gunicorn listens on every interface. Run with its
    own ASGI worker and Django's own application, which also shows that worker
    serving without a word about lifespan (it logs that at debug level only)."""
    port = free_port()
    argv = ["gunicorn", "mysite.asgi:application", "--worker-class", "asgi"]
    env = command_env({**dev_env, "PORT": str(port)})
    process = started(argv, port, env, tmp_path / "log")
    try:
        process.wait_for_output(f"Listening at: http://0.0.0.0:{port} ", timeout=60)
        # The master listens before its worker accepts: wait for the worker.
        process.wait_for_output(f"ASGI server listening on http://0.0.0.0:{port}", timeout=60)
        assert httpx.get(process.url + "/polls/", timeout=30).status_code == 200
    finally:
        assert process.stop(timeout=30) == 0
    output = process.output()
    assert f"ASGI server listening on http://0.0.0.0:{port}" in output, output
    assert "lifespan" not in output.lower(), output


# --- X-Forwarded-For from a client that is not the proxy ----------------------------


@SERVER_FACT
@pytest.mark.parametrize(
    ("snippet", "logged"),
    [
        ("daphne-proxy.sh", r'203\.0\.113\.7:0 - - \[[^\]]+\] "GET /polls/async/" 200'),
        ("uvicorn-proxy.sh", r'INFO: +127\.0\.0\.2:\d+ - "GET /polls/async/ HTTP/1\.1" 200'),
    ],
)
def test_forwarded_for_from_a_client_that_is_not_the_proxy(snippet, logged, dev_env, tmp_path):
    """The page's proxy commands, bound to 127.0.0.1, and a client at 127.0.0.2 that sets
    ``X-Forwarded-For`` itself: Daphne has no allow-list (the command checker's
    ``proxy-headers-any-client``), uvicorn trusts only the addresses it lists."""
    port = free_port()
    argv = server_argv(snippet_path(snippet), port)
    process = started(argv, port, command_env(dev_env), tmp_path / "log")
    try:
        transport = httpx.HTTPTransport(local_address="127.0.0.2")
        with httpx.Client(transport=transport, timeout=30) as client:
            response = client.get(
                process.url + "/polls/async/", headers={"X-Forwarded-For": "203.0.113.7"}
            )
        assert response.status_code == 200
        process.wait_for_output('"GET /polls/async/', timeout=30)
    finally:
        process.kill()
    output = process.output()
    assert re.search(logged, output), output


# --- Gunicorn's worker class: the default, and uvicorn's deprecated one -------------


@SERVER_FACT
def test_gunicorn_without_worker_class_runs_a_wsgi_worker(dev_env, tmp_path):
    """What the command checker's ``no-worker-class`` finding says."""
    port = free_port()
    argv = ["gunicorn", "mysite.asgi:application", "--bind", f"127.0.0.1:{port}"]
    process = started(argv, port, command_env(dev_env), tmp_path / "log")
    try:
        process.wait_for_output("Booting worker with pid", timeout=60)
        assert httpx.get(process.url + "/polls/", timeout=30).status_code == 500
        process.wait_for_output("Error handling request GET /polls/", timeout=30)
    finally:
        process.kill()
    output = process.output()
    assert "Using worker: sync" in output, output
    assert "ASGIHandler.__call__() missing 1 required positional argument" in output, output


@SERVER_FACT
def test_gunicorn_with_uvicorns_deprecated_worker_module(dev_env, tmp_path):
    """What the command checker's ``deprecated-worker`` finding says: it serves, and
    uvicorn warns on import (shown with Python's warnings on, as ``-W default`` does)."""
    port = free_port()
    argv = ["gunicorn", "mysite.asgi:application", "-k", "uvicorn.workers.UvicornWorker"]
    argv += ["--bind", f"127.0.0.1:{port}"]
    env = command_env({**dev_env, "PYTHONWARNINGS": "default::DeprecationWarning"})
    output = output_after_one_request(argv, port, env, tmp_path / "log")
    assert "DeprecationWarning: The `uvicorn.workers` module is deprecated." in output, output
    assert "Please use `uvicorn-worker` package instead." in output, output


# --- Once per request; the default attribute -----------------------------------

# A module with both names, each a counting wrapper around Django's application.
COUNTING_MODULE = """
    import itertools

    from mysite.asgi import application as django


    def counted(name):
        calls = itertools.count(1)

        async def app(scope, receive, send):
            if scope["type"] != "http":
                return await django(scope, receive, send)
            call, port = next(calls), scope["client"][1]

            async def send_marked(message):
                if message["type"] == "http.response.start":
                    headers = [*message.get("headers", []),
                               (b"x-attribute", name.encode()),
                               (b"x-call", str(call).encode()),
                               (b"x-client-port", str(port).encode())]
                    message = {**message, "headers": headers}
                await send(message)

            await django(scope, receive, send_marked)

        return app


    app = counted("app")
    application = counted("application")
"""

MODULE_ONLY = {
    "uvicorn": ["uvicorn", "counting", "--host", "127.0.0.1", "--port", "{port}"],
    "gunicorn": [
        "gunicorn",
        "counting",
        "-k",
        "uvicorn_worker.UvicornWorker",
        "--bind",
        "127.0.0.1:{port}",
    ],
    "daphne": ["daphne", "-b", "127.0.0.1", "-p", "{port}", "counting"],
    "hypercorn": ["hypercorn", "counting", "--bind", "127.0.0.1:{port}"],
    "granian": [
        "granian",
        "--interface",
        "asgi",
        "counting",
        "--host",
        "127.0.0.1",
        "--port",
        "{port}",
    ],
}
DEFAULT_ATTRIBUTE = {"gunicorn": "application", "hypercorn": "app", "granian": "app"}
# Printed once the (only) worker serves: Gunicorn's and Granian's main process
# listens before that.
WORKER_READY = {
    "gunicorn": "Application startup complete.",
    "hypercorn": "Running on http://127.0.0.1:",
    "granian": "Started worker-1",
}
REFUSED = {
    "uvicorn": 'Import string "counting" must be in format "<module>:<attribute>".',
    "daphne": "ValueError: not enough values to unpack (expected 2, got 1)",
}


@SERVER_FACT
@pytest.mark.parametrize("server", sorted(MODULE_ONLY))
def test_module_without_attribute_and_one_call_per_request(server, dev_env, tmp_path):
    write_module(tmp_path / "app", "counting", COUNTING_MODULE)
    env = with_pythonpath(command_env(dev_env), tmp_path / "app")
    port = free_port()
    argv = [part.replace("{port}", str(port)) for part in MODULE_ONLY[server]]
    if server in REFUSED:
        result = subprocess.run(
            argv, cwd=EXAMPLE_DIR, env=env, capture_output=True, text=True, timeout=60
        )
        assert result.returncode != 0
        assert REFUSED[server] in result.stdout + result.stderr, result.stdout + result.stderr
        return
    process = started(argv, port, env, tmp_path / "log")
    try:
        process.wait_for_output(WORKER_READY[server], timeout=60)
        # One client, one keep-alive connection, two requests.
        with httpx.Client(timeout=30) as client:
            first = client.get(process.url + "/polls/async/")
            second = client.get(process.url + "/polls/")
    finally:
        process.kill()
    assert first.status_code == second.status_code == 200, process.output()
    assert first.headers["x-attribute"] == DEFAULT_ATTRIBUTE[server]
    # The same connection (the same client port), called once for each request.
    assert first.headers["x-client-port"] == second.headers["x-client-port"]
    assert (first.headers["x-call"], second.headers["x-call"]) == ("1", "2")
