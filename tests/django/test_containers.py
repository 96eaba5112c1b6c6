"""The container's command as PID 1, and the health checks a probe sends.

No container engine runs here: each command runs as PID 1 of a new PID
namespace (``unshare --pid --fork --mount-proc``, as root), in a copy of the
example laid out as ``snippets/containers/Dockerfile`` lays out the image
(its WORKDIR, its ENV lines, the entrypoint beside ``manage.py``). It is then
stopped as an orchestrator stops a container: SIGTERM to PID 1 from outside the
namespace, SIGKILL if it is still running after the grace period. Killing PID 1
kills every process of its namespace, so nothing outlives a test.

Per server (the commands of ``snippets/server_commands/``) and per form, what
happened is compared with ``snippets/containers/pid1.json``, the table the
containers page shows:

- ``exec``: the Dockerfile's ENTRYPOINT, then the server's command as
  arguments (exec form): the entrypoint migrates and ``exec``s the server.
- ``shell``: ``/bin/sh -c "<command>"``, what Docker runs for a CMD written in
  shell form: the shell stays as PID 1, the server is its child.
- ``init_exec`` / ``init_shell``: the same under ``tini --`` (Debian's tini),
  as ``docker run --init`` would; ``init_group_shell``: the shell form under
  ``tini -g --``, which signals the child's whole process group.
"""

import json
import os
import shlex
import shutil
import signal
import subprocess
import threading
import time

import httpx
import pytest

from guide.paths import EXAMPLE_DIR, SNIPPETS
from guide.servers.catalogue import SERVERS
from guide.servers.commands import command_env, server_argv, with_port
from guide.services.processes import ServerProcess, free_port, port_is_open
from helpers import production_env

CONTAINERS = SNIPPETS / "containers"
DOCKERFILE = CONTAINERS / "Dockerfile"
PID1_TABLE = CONTAINERS / "pid1.json"
GRACE = 6.0
"""The grace period between SIGTERM and SIGKILL (Docker's is 10 s, Kubernetes' 30 s)."""
STREAM_COUNT, STREAM_INTERVAL = 4, 0.5
PROXIED = {"Host": "127.0.0.1", "X-Forwarded-Proto": "https"}
FORMS = ("exec", "shell", "init_exec", "init_shell", "init_group_shell")
UNSHARE = ("unshare", "--pid", "--fork", "--mount-proc")

NEEDS_ROOT = pytest.mark.skipif(os.geteuid() != 0, reason="unshare --pid needs root")


def dockerfile_instructions(path=DOCKERFILE):
    """``[(INSTRUCTION, arguments)]``: continuation lines joined, comments left out."""
    instructions, current = [], ""
    for line in path.read_text().splitlines():
        if not current and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.endswith("\\"):
            current += line[:-1].strip() + " "
            continue
        text = (current + line.strip()).strip()
        current = ""
        name, _, arguments = text.partition(" ")
        instructions.append((name.upper(), arguments.strip()))
    return instructions


def image(path=DOCKERFILE):
    """The image's WORKDIR, ENV, ENTRYPOINT and CMD (the last two must be JSON arrays)."""
    found = {"env": {}}
    for name, arguments in dockerfile_instructions(path):
        if name == "ENV":
            found["env"].update(token.split("=", 1) for token in shlex.split(arguments))
        elif name == "WORKDIR":
            found["workdir"] = arguments
        elif name in ("ENTRYPOINT", "CMD"):
            value = json.loads(arguments)  # exec form, or this fails
            assert isinstance(value, list) and all(isinstance(v, str) for v in value), value
            found[name.lower()] = value
    return found


def test_the_dockerfile_uses_exec_form_and_an_entrypoint_that_execs():
    found = image()
    assert found["workdir"] == "/app"
    assert found["entrypoint"] == ["./entrypoint.sh"]
    assert found["cmd"][0] == "uvicorn" and found["cmd"][-1] == "8000"
    lines = (CONTAINERS / "entrypoint.sh").read_text().splitlines()
    assert lines[0] == "#!/bin/sh" and lines[-1] == 'exec "$@"'
    assert os.access(CONTAINERS / "entrypoint.sh", os.X_OK)


@pytest.fixture
def app_dir(tmp_path, database):
    """The image's WORKDIR: a copy of the example with the entrypoint, and the environment."""
    app = tmp_path / "app"
    shutil.copytree(EXAMPLE_DIR, app, ignore=shutil.ignore_patterns("__pycache__", "*.sqlite3"))
    shutil.copy2(CONTAINERS / "entrypoint.sh", app / "entrypoint.sh")
    static_root = tmp_path / "static"
    db = tmp_path / "db.sqlite3"
    shutil.copy2(database, db)
    env = production_env(db, static_root, "mysite.example,127.0.0.1")
    env.update(image()["env"])
    env = command_env(env)
    subprocess.run(
        ["python", "manage.py", "collectstatic", "--no-input", "-v", "0"],
        cwd=app,
        env=env,
        check=True,
        capture_output=True,
    )
    return app, env


class Pid1:
    """``argv`` as PID 1 of a new PID namespace; :meth:`stop` as an orchestrator stops it."""

    def __init__(self, argv, cwd, env, port, log):
        self.port, self.log = port, log
        with open(log, "wb") as out:
            self.unshare = subprocess.Popen(
                [*UNSHARE, *argv],
                cwd=cwd,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.pid1 = self._child()

    def _child(self):
        """The host's process id of the namespace's PID 1 (unshare's only child)."""
        path = f"/proc/{self.unshare.pid}/task/{self.unshare.pid}/children"
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            children = open(path).read().split()
            if children:
                return int(children[0])
            time.sleep(0.01)
        raise AssertionError("unshare started no child")

    def output(self):
        return self.log.read_text(errors="replace")

    def wait_listening(self, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.unshare.poll() is not None:
                raise AssertionError(f"it exited:\n{self.output()}")
            if port_is_open(self.port):
                return
            time.sleep(0.05)
        raise AssertionError(f"not listening after {timeout} s:\n{self.output()}")

    def stop(self, grace=GRACE):
        """SIGTERM to PID 1, SIGKILL after ``grace``: ``(returncode, seconds, killed)``."""
        began = time.monotonic()
        os.kill(self.pid1, signal.SIGTERM)
        try:
            returncode = self.unshare.wait(grace)
            killed = False
        except subprocess.TimeoutExpired:
            os.kill(self.pid1, signal.SIGKILL)
            returncode = self.unshare.wait(10)
            killed = True
        return returncode, time.monotonic() - began, killed

    def kill(self):
        if self.unshare.poll() is None:
            try:
                os.kill(self.pid1, signal.SIGKILL)  # the namespace's every process with it
            except ProcessLookupError:
                pass
            self.unshare.wait(10)


def read_stream(url, result, first_event):
    try:
        with httpx.stream("GET", url, headers=PROXIED, timeout=30) as response:
            for line in response.iter_lines():
                if line.startswith("data: "):
                    result["events"].append(json.loads(line[6:])["n"])
                    first_event.set()
    except httpx.HTTPError as exc:
        result["error"] = type(exc).__name__
    finally:
        first_event.set()


def command_for(form, server, port):
    argv = server_argv(SNIPPETS / "server_commands" / f"{server}.sh", port)
    entrypoint = image()["entrypoint"]
    shell = ["/bin/sh", "-c", shlex.join(argv)]
    return {
        "exec": [*entrypoint, *argv],
        "shell": shell,
        "init_exec": ["tini", "--", *entrypoint, *argv],
        "init_shell": ["tini", "--", *shell],
        "init_group_shell": ["tini", "-g", "--", *shell],
    }[form]


def catches(pid, signum):
    """Whether process ``pid`` has a handler for ``signum`` (SigCgt in its status)."""
    status = open(f"/proc/{pid}/status").read()
    mask = int(status.split("SigCgt:")[1].split()[0], 16)
    return bool(mask & (1 << (signum - 1)))


def measure(form, server, app_dir, log):
    """Start, open a stream, SIGTERM PID 1 mid-stream; what happened."""
    app, env = app_dir
    port = free_port()
    process = Pid1(command_for(form, server, port), app, env, port, log)
    try:
        process.wait_listening()
        with httpx.Client(timeout=30) as client:  # answered: the application is loaded
            ready = client.get(f"http://127.0.0.1:{port}/healthz", headers=PROXIED)
            assert ready.status_code == 200, process.output()
        time.sleep(1.0)  # every worker up
        if form == "exec":  # the server is PID 1, with a handler for SIGTERM
            assert catches(process.pid1, signal.SIGTERM)
        elif form == "shell":  # the shell is PID 1, without one: SIGTERM is dropped
            assert not catches(process.pid1, signal.SIGTERM)
        first_event, result = threading.Event(), {"events": [], "error": None}
        url = (
            f"http://127.0.0.1:{port}/polls/stream/?count={STREAM_COUNT}&interval={STREAM_INTERVAL}"
        )
        reader = threading.Thread(target=read_stream, args=(url, result, first_event), daemon=True)
        reader.start()
        if not (first_event.wait(30) and result["events"] == [1]):
            pytest.fail(f"no first event: {result}\n{process.output()}")
        returncode, seconds, killed = process.stop()
        reader.join(10)
    finally:
        process.kill()
    drained = result == {"events": list(range(1, STREAM_COUNT + 1)), "error": None}
    return {
        "drained": drained,
        "exit": None if killed else returncode,
        "killed": killed,
        "seconds": round(seconds, 2),
        "output": process.output(),
    }


def expected_table():
    return json.loads(PID1_TABLE.read_text())


@NEEDS_ROOT
@pytest.mark.server_fact
@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("server", sorted(SERVERS))
def test_pid1(server, form, app_dir, tmp_path):
    measured = measure(form, server, app_dir, tmp_path / "pid1.log")
    output = measured.pop("output")
    seconds = measured.pop("seconds")
    print(json.dumps({"server": server, "form": form, "seconds": seconds, **measured}))
    table = expected_table()
    assert table["grace_seconds"] == GRACE
    expected = table["results"][server][form]
    assert measured == expected, (measured, seconds, output)
    if measured["killed"]:
        assert seconds >= GRACE, seconds
    elif form.endswith("shell"):
        # Cut at once: the shell died of the SIGTERM, tini with it, then the namespace.
        assert seconds < 1, (seconds, output)
    else:
        # Stopped by the SIGTERM itself, well before the grace period ended.
        assert seconds < GRACE - 1, (seconds, output)


# --- Health checks ------------------------------------------------------------
# mysite/health.py's HealthCheckMiddleware, first in mysite.settings_production's MIDDLEWARE.

PROBE = {"Host": "10.0.0.5:8000"}
"""A probe's request: its own Host header (an address not in ALLOWED_HOSTS), plain HTTP."""


@NEEDS_ROOT
def test_the_image_command_answers_a_probe_that_other_pages_refuse(app_dir, tmp_path):
    """The Dockerfile's ENTRYPOINT and CMD as written (on a free port), as PID 1."""
    app, env = app_dir
    found, port = image(), free_port()
    argv = [*found["entrypoint"], *with_port(found["cmd"], port)]
    process = Pid1(argv, app, env, port, tmp_path / "image.log")
    try:
        process.wait_listening()
        url = f"http://127.0.0.1:{port}"
        with httpx.Client(timeout=10) as client:
            health = client.get(url + "/healthz", headers=PROBE)
            assert (health.status_code, health.text) == (200, "ok\n")
            with_db = client.get(url + "/healthz?db=1", headers=PROBE)
            assert (with_db.status_code, with_db.text) == (200, "ok\n")
            # The same probe on any other path: refused by ALLOWED_HOSTS...
            assert client.get(url + "/polls/", headers=PROBE).status_code == 400
            # ...and with an allowed host, over HTTP, redirected to HTTPS.
            redirect = client.get(url + "/polls/", headers={"Host": "mysite.example"})
            assert redirect.status_code == 301
        returncode, _, killed = process.stop()
        assert (returncode, killed) == (0, False), process.output()
    finally:
        process.kill()
    assert "Applying polls" in process.output() or "No migrations to apply." in process.output()


def test_healthz_does_not_touch_the_database_unless_asked(app_dir, tmp_path):
    """The database is unreachable (its folder does not exist): /healthz still answers."""
    app, env = app_dir
    env = dict(env, MYSITE_SQLITE_PATH=str(tmp_path / "missing" / "db.sqlite3"))
    port = free_port()
    argv = server_argv(SNIPPETS / "server_commands" / "uvicorn.sh", port)
    with httpx.Client(timeout=10) as client, ServerProcess(argv, port, env, cwd=app) as server:
        health = client.get(server.url + "/healthz", headers=PROBE)
        assert (health.status_code, health.text) == (200, "ok\n")
        with_db = client.get(server.url + "/healthz?db=1", headers=PROBE)
        assert (with_db.status_code, with_db.text) == (503, "database unavailable\n")
        # A page that needs the database fails, as the probe with ?db=1 said.
        page = client.get(
            server.url + "/polls/async/",
            headers={"Host": "mysite.example", "X-Forwarded-Proto": "https"},
        )
        assert page.status_code == 500
