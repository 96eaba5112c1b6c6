"""A throwaway Redis server for the tests, ``nox -s example`` and the benchmarks.

Debian's ``redis-server``, started as a child process on a free port of
127.0.0.1, in a temporary folder, with no persistence (no RDB snapshot, no
append-only file), and never as root: when this runs as root (CI, containers)
the server runs as the ``redis`` user Debian's package creates (or ``nobody``).
What it prints goes to ``redis.log`` in that folder (:meth:`RedisServer.output`).
The system's own Redis service is never used or touched.

    with RedisServer() as redis:
        redis.url        # "redis://127.0.0.1:<port>/0"
        redis.kill()     # stop it abruptly, as a crash would
"""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
from pathlib import Path

from guide.services.base import ServerError, Service
from guide.services.privileges import drop_root
from guide.services.processes import free_port

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


def ping(port, timeout=1.0):
    """True if a Redis server answers PING on 127.0.0.1:``port``."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


class RedisServer(Service):
    """One ``redis-server`` process; a context manager (stopped on exit, also on errors)."""

    start_timeout = 20.0
    stdin = subprocess.DEVNULL

    def __init__(self, port=None):
        self.port = port or free_port()
        self.folder = None

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def log_path(self):
        return Path(self.folder) / "redis.log" if self.folder else None

    def prepare(self):
        self.run_as = drop_root(*UNPRIVILEGED_USERS, program="redis-server")
        self.folder = self.cwd = tempfile.mkdtemp(prefix="guide-redis-")
        if self.run_as is not None:
            self.run_as.chown(self.folder)
        return [
            redis_server_binary(),
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--dir", self.folder,
            "--save", "",
            "--appendonly", "no",
            "--daemonize", "no",
        ]  # fmt: skip

    def ready(self):
        return ping(self.port)

    def awaited(self):
        return f"redis-server to answer PING on 127.0.0.1:{self.port}"

    def cleanup(self):
        """Remove the server's folder."""
        if self.folder:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None


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
