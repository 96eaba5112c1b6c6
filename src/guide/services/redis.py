"""A throwaway Redis server for the tests, ``nox -s example`` and the benchmarks.

Debian's ``redis-server``, started as a child process on a free port of
127.0.0.1, in a temporary folder, with no persistence (no RDB snapshot, no
append-only file), and never as root: when this runs as root (CI, containers)
the server runs as the ``redis`` user Debian's package creates (or ``nobody``).
The system's own Redis service is never used or touched.

    with RedisServer() as redis:
        redis.url        # "redis://127.0.0.1:<port>/0"
        redis.kill()     # stop it abruptly, as a crash would
"""

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from guide.services.processes import ServerError, free_port, kill_group, stop_group

UNPRIVILEGED_USERS = ("redis", "nobody")


def redis_server_binary():
    """The path of ``redis-server``; a clear error if it is not installed."""
    path = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not os.access(path, os.X_OK):
        raise ServerError(
            "redis-server is not installed: apt-get install redis-server "
            "(./guide installs it; its system service is never used)"
        )
    return path


def _unprivileged_user():
    """The user to run as when we are root; None when we are not root."""
    if os.geteuid() != 0:
        return None
    for name in UNPRIVILEGED_USERS:
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise ServerError(f"running as root and none of the users {UNPRIVILEGED_USERS} exists")


def ping(port, timeout=1.0):
    """True if a Redis server answers PING on 127.0.0.1:``port``."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


class RedisServer:
    """One ``redis-server`` process; a context manager (stopped on exit, also on errors)."""

    def __init__(self, port=None):
        self.port = port or free_port()
        self.process = None
        self.folder = None

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def output(self):
        """What the server logged so far."""
        try:
            return (Path(self.folder) / "redis.log").read_text(errors="replace")
        except (TypeError, FileNotFoundError):
            return ""

    def start(self, timeout=20.0):
        user = _unprivileged_user()
        self.folder = tempfile.mkdtemp(prefix="guide-redis-")
        if user is not None:
            os.chown(self.folder, user.pw_uid, user.pw_gid)
        argv = [
            redis_server_binary(),
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--dir", self.folder,
            "--save", "",
            "--appendonly", "no",
            "--daemonize", "no",
            "--logfile", str(Path(self.folder) / "redis.log"),
        ]  # fmt: skip
        self.process = subprocess.Popen(
            argv,
            cwd=self.folder,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            user=user.pw_uid if user else None,
            group=user.pw_gid if user else None,
            extra_groups=[] if user else None,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                output = self.output()
                self._cleanup()
                raise ServerError(
                    f"redis-server exited with code {self.process.returncode}:\n{output}"
                )
            if ping(self.port):
                return self
            time.sleep(0.05)
        output = self.output()
        self.kill()
        raise ServerError(f"redis-server did not answer PING after {timeout} s:\n{output}")

    def kill(self):
        """SIGKILL the server (as a crash would) and remove its folder."""
        if self.process is not None:
            kill_group(self.process)
        self._cleanup()

    def stop(self, timeout=10.0):
        """SIGTERM, then SIGKILL if it is still running after ``timeout`` seconds."""
        if self.process is not None:
            stop_group(self.process, signal.SIGTERM, timeout)
        self._cleanup()

    def _cleanup(self):
        if self.folder:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()


def main():
    """``python -m guide.services.redis``: run a Redis server until SIGTERM or Ctrl+C.

    Prints ``MYSITE_REDIS_URL=redis://127.0.0.1:<port>/0`` once it answers
    (``nox -s example`` reads that line); the server is stopped on the way out.
    """

    def stop(signum, frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    with RedisServer() as redis:
        print(f"MYSITE_REDIS_URL={redis.url}", flush=True)
        try:
            redis.process.wait()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
