"""The systemd units on the production page: verified, and their command run as systemd would.

``snippets/systemd/gunicorn.socket`` and ``gunicorn.service``, rendered with
only their documented paths changed (:mod:`guide.services.systemd`):

- ``systemd-analyze verify`` accepts them, without a word (a missing
  executable fails it; an unknown setting is a warning, which fails here too);
- the service's ``ExecStart`` runs, with the unit's ``Environment=`` and
  ``WorkingDirectory=``, on the socket the socket unit describes, handed over
  on file descriptor 3 with ``LISTEN_FDS``/``LISTEN_PID`` as systemd hands it:
  Gunicorn listens on that socket (no ``--bind`` in the command), tells
  ``NOTIFY_SOCKET`` it is ready (``Type=notify``), serves the example through
  nginx's ``mysite.conf`` over that socket, reloads on ``SIGHUP``
  (``ExecReload``) and stops on ``SIGTERM`` (``KillMode=mixed``).
"""

import grp
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from guide.paths import EXAMPLE_DIR
from guide.services import nginx, systemd
from guide.services.base import wait_until
from guide.services.processes import (
    ServerProcess,
    example_env,
    migrated_database,
    prepare_example,
)

HOST = "example.com"
VENV = Path(sys.executable).parent.parent
# The group guide.services.nginx runs nginx as (the socket unit's SocketGroup), when it drops root.
NGINX_GROUP = (
    grp.getgrgid(pwd.getpwnam(nginx.UNPRIVILEGED_USER).pw_gid).gr_name
    if os.geteuid() == 0
    else None
)


def rendered(folder):
    """Both units, with the documented paths changed, written to ``folder``."""
    group = {"nginx_group": NGINX_GROUP} if NGINX_GROUP else {}
    service = systemd.render("gunicorn.service", venv=VENV, project=EXAMPLE_DIR)
    socket_unit = systemd.render("gunicorn.socket", **group)
    (folder / "gunicorn.service").write_text(service)
    (folder / "gunicorn.socket").write_text(socket_unit)
    return service, socket_unit


def test_systemd_analyze_verify_accepts_the_units(tmp_path):
    rendered(tmp_path)
    result = systemd.verify(tmp_path, "gunicorn.socket", "gunicorn.service")
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_systemd_analyze_verify_fails_on_a_missing_executable(tmp_path):
    """The check above can fail: the units as written name a virtualenv this machine lacks."""
    (tmp_path / "gunicorn.service").write_text(systemd.unit_text("gunicorn.service"))
    (tmp_path / "gunicorn.socket").write_text(systemd.unit_text("gunicorn.socket"))
    result = systemd.verify(tmp_path, "gunicorn.socket", "gunicorn.service")
    assert result.returncode != 0
    assert "/srv/mysite/venv/bin/gunicorn is not executable" in result.stdout + result.stderr


class Notifications:
    """The ``NOTIFY_SOCKET`` a ``Type=notify`` service writes to."""

    def __init__(self, folder):
        self.path = folder / "notify.sock"
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(self.path))

    def wait(self, text, timeout=180.0):
        self.sock.settimeout(timeout)
        received = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            message = self.sock.recv(4096).decode()
            received.append(message)
            if text in message.splitlines():
                return received
        raise AssertionError(f"{text!r} not received: {received}")


def restarted(log):
    """Whether Gunicorn's workers have restarted after the ``SIGHUP`` in ``log``: one
    booted after it has started its application, and every one booted before has exited."""
    before, _, after = log.partition("Handling signal: hup")
    if "Application startup complete." not in after:
        return False
    for line in before.splitlines():
        if "Booting worker with pid: " in line:
            try:
                os.kill(int(line.rsplit(" ", 1)[1]), 0)
            except ProcessLookupError:
                continue
            return False
    return True


@pytest.mark.timeout(600)
def test_the_service_runs_socket_activated_behind_nginx(tmp_path, tmp_path_factory):
    service, socket_unit = rendered(tmp_path)
    units = systemd.settings(socket_unit)
    sockets = nginx.shared_dir("systemd-sockets-")
    certs = nginx.shared_dir("systemd-certs-")
    static = nginx.shared_dir("systemd-static-")
    socket_path = sockets / "mysite.sock"
    listen = units[("Socket", "ListenStream")][0]
    assert listen == nginx.SOCKET_PLACEHOLDER  # the socket nginx's upstream names
    mode = units[("Socket", "SocketMode")][0]
    group = units[("Socket", "SocketGroup")][0]
    argv = systemd.exec_start(service)
    assert "--bind" not in argv and "-b" not in argv
    notify = Notifications(tmp_path)
    database = migrated_database(tmp_path_factory.mktemp("systemd-db") / "db.sqlite3")
    env = example_env(
        **systemd.environment(service),
        # What the EnvironmentFile holds:
        DJANGO_SECRET_KEY="systemd-tests-" + "k" * 50,
        DJANGO_ALLOWED_HOSTS=HOST,
        MYSITE_SQLITE_PATH=database,
        NOTIFY_SOCKET=notify.path,
    )
    (working_directory,) = systemd.settings(service)[("Service", "WorkingDirectory")]
    # Listening as soon as the socket is open, as with systemd; ready at READY=1.
    server = nginx.UnixSocketServer(
        systemd.activation_argv(socket_path, mode, group, argv),
        socket_path,
        env=env,
        cwd=working_directory,
        log_path=tmp_path / "gunicorn.log",
    )
    proxy = None
    try:
        server.start(timeout=120)
        messages = notify.wait("READY=1")
        pid = server.process.pid  # exec'd in place: the pid systemd would see as MAINPID
        assert f"Listening at: unix:{socket_path} ({pid})" in server.output()
        assert "READY=1" in messages[-1].splitlines()
        cert, key = nginx.self_signed_certificate(certs)
        text, https_port, http_port = nginx.site(f"unix:{socket_path}", cert, key, static, static)
        proxy = nginx.Nginx(text, [https_port, http_port]).start()
        url = f"https://127.0.0.1:{https_port}/polls/request/"
        with httpx.Client(verify=False, headers={"Host": HOST}, timeout=60) as client:
            info = client.get(url).json()
            assert info["is_secure"] is True
            assert info["absolute_uri"] == f"https://{HOST}/polls/request/"
            # ExecReload: SIGHUP to the main process restarts the workers. Once it
            # has (a worker started after the signal serves, those started before
            # have exited), the service answers.
            os.kill(pid, signal.SIGHUP)
            server.wait_for_output("Handling signal: hup", timeout=60)
            wait_until(
                lambda: restarted(server.output()),
                60,
                "the workers to restart",
                output=server.output,
            )
            response = client.get(url)
            assert response.status_code == 200, proxy.errors() + server.output()
        # KillMode=mixed: SIGTERM to the main process only; Gunicorn stops its workers.
        assert server.stop(timeout=90) == 0, server.output()
        assert "Shutting down: Master" in server.output()
    finally:
        if proxy is not None:
            proxy.stop()
            shutil.rmtree(proxy.dir, ignore_errors=True)
        server.kill()
        notify.sock.close()
        for folder in (sockets, certs, static):
            shutil.rmtree(folder, ignore_errors=True)


# -- the tasks worker's unit (background-work.md) ----------------------------------


def test_systemd_analyze_verify_accepts_the_worker_unit(tmp_path):
    unit = systemd.render("mysite-worker.service", venv=VENV, project=EXAMPLE_DIR)
    (tmp_path / "mysite-worker.service").write_text(unit)
    result = systemd.verify(tmp_path, "mysite-worker.service")
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


@pytest.mark.timeout(300)
def test_the_worker_unit_runs_the_tasks_and_stops_on_sigterm(tmp_path):
    """Its ``ExecStart`` as written, in its folder and environment: a task enqueued
    beforehand runs, and SIGTERM (systemd's stop) ends the worker with status 0."""
    unit = systemd.render("mysite-worker.service", venv=VENV, project=EXAMPLE_DIR)
    settings = systemd.environment(unit)
    database = tmp_path / "db.sqlite3"
    env = example_env(**settings, MYSITE_SQLITE_PATH=database)
    prepare_example(env, "the example with the worker unit's settings")
    enqueue = subprocess.run(
        [sys.executable, "-c", ENQUEUE],
        cwd=EXAMPLE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert enqueue.returncode == 0, enqueue.stderr
    task_id = enqueue.stdout.strip()
    (working_directory,) = systemd.settings(unit)[("Service", "WorkingDirectory")]
    worker = WorkerProcess(
        systemd.exec_start(unit),
        None,
        env=env,
        cwd=working_directory,
        log_path=tmp_path / "worker.log",
    )
    with worker:
        wait_until(
            lambda: (
                f"Task id={task_id} path=polls.tasks.announce state=SUCCESSFUL" in worker.output()
            ),
            120,
            "the worker to run the task",
            output=worker.output,
        )
    assert worker.returncode == 0, worker.output()


ENQUEUE = """\
import django
django.setup()
from polls.tasks import announce
print(announce.enqueue(1).id)
"""


class WorkerProcess(ServerProcess):
    """A worker: ready once it says it has started (it listens on no port)."""

    def ready(self):
        return "Starting worker" in self.output()

    def awaited(self):
        return "the worker to start"
