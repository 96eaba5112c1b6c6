"""Start real server processes for the tests and benchmarks, and stop them.

Nothing here is mocked: a server is a subprocess listening on a free port on
127.0.0.1, its output goes to a log file that tests can read, and it is
stopped with SIGTERM like a process manager would.

- :func:`free_port` (reserved across pytest-xdist workers) and :func:`port_is_open`;
- :func:`example_env`, :func:`manage`, :func:`prepare_example` and
  :func:`migrated_database`: the example project's environment, commands and database;
- :class:`ServerProcess` (a :class:`~guide.services.base.Service`) and
  :func:`uvicorn`: a server of the example project, as the pages start it.

:class:`ServerError`, :func:`kill_group` and :func:`stop_group` come from
:mod:`guide.services.base` and are importable from here too.
"""

import atexit
import os
import random
import shlex
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

from guide.paths import EXAMPLE_DIR
from guide.services.base import ServerError, Service, kill_group, stop_group, wait_until

__all__ = [
    "ServerError",
    "ServerProcess",
    "example_env",
    "free_port",
    "kill_group",
    "manage",
    "migrated_database",
    "port_is_open",
    "prepare_example",
    "stop_group",
    "uvicorn",
]


# Ports handed out by free_port(): below the kernel's ephemeral range, so a
# client connection or a bind to port 0 elsewhere never takes one between the
# moment it is chosen and the moment the server binds it; and reserved with a
# file, so two test processes (pytest-xdist workers) never choose the same one.
PORT_RESERVATIONS = Path(tempfile.gettempdir()) / "guide-ports"
_reserved = []


def _ephemeral_low():
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _reserve(port):
    """Reserve ``port`` for this process (released at exit); False if another process has it."""
    PORT_RESERVATIONS.mkdir(exist_ok=True)
    path = PORT_RESERVATIONS / str(port)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
    except FileExistsError:
        try:
            owner = int(path.read_text() or 0)
        except (OSError, ValueError):
            return False
        if owner and _pid_alive(owner):
            return False
        path.unlink(missing_ok=True)  # left by a process that died
        return _reserve(port)
    with os.fdopen(fd, "w") as f:
        f.write(str(os.getpid()))
    _reserved.append(path)
    return True


@atexit.register
def _release_ports():
    for path in _reserved:
        path.unlink(missing_ok=True)


def free_port():
    """Return a TCP port on 127.0.0.1 that nothing listens on, reserved for this process."""
    low = max(1024, min(_ephemeral_low(), 65536) - 12000)
    high = min(_ephemeral_low(), 65536) - 1
    for _ in range(200):
        port = random.randint(low, high)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        if _reserve(port):
            return port
    raise ServerError(f"no free port found between {low} and {high}")


def port_is_open(port, host="127.0.0.1"):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((host, port)) == 0


def example_env(**extra):
    """The environment for a process running the example project."""
    env = dict(os.environ)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env["PYTHONUNBUFFERED"] = "1"
    env.update({key: str(value) for key, value in extra.items()})
    return env


class ServerProcess(Service):
    """A server started as a subprocess in the example project's folder.

    Use it as a context manager, or call :meth:`start` and :meth:`stop`.
    ``argv`` is the command line; ``port`` the port it was told to bind.
    """

    start_timeout = 30.0
    stop_timeout = 15.0
    strict_stop = True

    def __init__(self, argv, port, env=None, log_path=None, cwd=EXAMPLE_DIR):
        self.argv = list(argv)
        self.port = port
        self.env = env or example_env()
        self.cwd = cwd
        if log_path is None:
            fd, log_path = tempfile.mkstemp(prefix=f"server-{port}-", suffix=".log")
            os.close(fd)
        self.log_path = Path(log_path)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def prepare(self):
        if self.port is not None and port_is_open(self.port):
            raise ServerError(f"port {self.port} is already in use on 127.0.0.1")
        return self.argv

    def ready(self):
        return self.listening()

    def awaited(self):
        return f"{shlex.join(self.argv)} to listen on {self.url}"

    def listening(self):
        """Whether the server accepts connections (a subclass may listen elsewhere)."""
        return port_is_open(self.port)

    def wait_for_output(self, text, timeout=10.0):
        """Wait until ``text`` appears in the server's output; return the output."""
        wait_until(
            lambda: text in self.output(),
            timeout,
            f"{text!r} in the server's output",
            output=self.output,
        )
        return self.output()


def uvicorn(app, port, env=None, *options):
    """A :class:`ServerProcess` for ``uvicorn APP`` on 127.0.0.1:``port``."""
    argv = [
        sys.executable,
        "-m",
        "uvicorn",
        app,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        *options,
    ]
    return ServerProcess(argv, port, env=env)


def manage(*args, env=None, check=True):
    """Run ``python manage.py ARGS`` in the example project; return the result."""
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=EXAMPLE_DIR,
        env=env or example_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    if check and result.returncode != 0:
        raise ServerError(f"manage.py {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result


def prepare_example(env, what="the example"):
    """``migrate`` then ``loaddata sample_questions sample_choices``, in one process.

    ``env`` is the whole environment (:func:`example_env` plus the database's
    variables); ``DJANGO_SETTINGS_MODULE`` defaults to ``mysite.settings``.
    """
    code = (
        "import django; django.setup(); "
        "from django.core.management import call_command; "
        "call_command('migrate', interactive=False, verbosity=0); "
        "call_command('loaddata', 'sample_questions', 'sample_choices', verbosity=0)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=EXAMPLE_DIR,
        env={"DJANGO_SETTINGS_MODULE": "mysite.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    if result.returncode != 0:
        raise ServerError(f"migrating {what} failed:\n{result.stdout}{result.stderr}")


def migrated_database(path):
    """Create a migrated SQLite database with the sample questions and choices at ``path``."""
    env = example_env(MYSITE_SQLITE_PATH=path, DJANGO_SETTINGS_MODULE="mysite.settings")
    prepare_example(env, str(path))
    return Path(path)
