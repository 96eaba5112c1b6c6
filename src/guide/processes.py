"""Start real server processes for the tests and benchmarks, and stop them.

Nothing here is mocked: a server is a subprocess listening on a free port on
127.0.0.1, its output goes to a log file that tests can read, and it is
stopped with SIGTERM like a process manager would.
"""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_DIR = ROOT / "examples" / "mysite"


# Debian's Chromium, headless, as root, on a machine whose network reaches
# nothing but this machine: no sandbox, no background traffic.
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


class ServerError(RuntimeError):
    """A server did not start, or did not stop, as expected."""


def free_port():
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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


class ServerProcess:
    """A server started as a subprocess in the example project's folder.

    Use it as a context manager, or call :meth:`start` and :meth:`stop`.
    ``argv`` is the command line; ``port`` the port it was told to bind.
    """

    def __init__(self, argv, port, env=None, log_path=None, cwd=EXAMPLE_DIR):
        self.argv = list(argv)
        self.port = port
        self.env = env or example_env()
        self.cwd = cwd
        self.log_path = Path(log_path or f"/tmp/server-{port}.log")
        self.process = None
        self.returncode = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def output(self):
        """Everything the server printed so far (stdout and stderr)."""
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def start(self, timeout=30.0):
        """Start the server and wait until it accepts connections.

        Raises :class:`ServerError`, with the server's output, if the process
        exits first or nothing listens within ``timeout`` seconds.
        """
        if port_is_open(self.port):
            raise ServerError(f"port {self.port} is already in use on 127.0.0.1")
        self._log = open(self.log_path, "wb")
        try:
            self.process = subprocess.Popen(
                self.argv,
                cwd=self.cwd,
                env=self.env,
                stdout=self._log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        except FileNotFoundError as exc:
            self._log.close()
            raise ServerError(f"cannot start {self.argv[0]!r}: is it installed? ({exc})") from exc
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.returncode = self.process.returncode
                self._log.close()
                raise ServerError(
                    f"{' '.join(self.argv)} exited with code {self.returncode} "
                    f"before listening:\n{self.output()}"
                )
            if port_is_open(self.port):
                return self
            time.sleep(0.05)
        self.kill()
        raise ServerError(
            f"nothing listened on port {self.port} after {timeout} s:\n{self.output()}"
        )

    def wait_for_output(self, text, timeout=10.0):
        """Wait until ``text`` appears in the server's output; return the output."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            out = self.output()
            if text in out:
                return out
            time.sleep(0.05)
        raise ServerError(
            f"{text!r} did not appear in the output after {timeout} s:\n{self.output()}"
        )

    def stop(self, timeout=15.0):
        """Send SIGTERM, wait for the process to exit, and return its exit code.

        Raises :class:`ServerError` if it is still running after ``timeout``
        seconds (it is then killed).
        """
        if self.process is None or self.returncode is not None:
            return self.returncode
        self.process.send_signal(signal.SIGTERM)
        try:
            self.returncode = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise ServerError(
                f"still running {timeout} s after SIGTERM:\n{self.output()}"
            ) from None
        finally:
            self._log.close()
        return self.returncode

    def kill(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.returncode = self.process.returncode if self.process else None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        if self.process is not None and self.process.poll() is None:
            self.stop()


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


def migrated_database(path):
    """Create a migrated SQLite database with the sample questions at ``path``.

    ``migrate`` then ``loaddata sample_questions``, in one process.
    """
    code = (
        "import django; django.setup(); "
        "from django.core.management import call_command; "
        "call_command('migrate', interactive=False, verbosity=0); "
        "call_command('loaddata', 'sample_questions', verbosity=0)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=EXAMPLE_DIR,
        env=example_env(MYSITE_SQLITE_PATH=path, DJANGO_SETTINGS_MODULE="mysite.settings"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    if result.returncode != 0:
        raise ServerError(f"migrating {path} failed:\n{result.stdout}{result.stderr}")
    return Path(path)
