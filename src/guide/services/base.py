"""What every server here shares: start it, wait until it is ready, stop it.

- :class:`ServerError`, raised when a server does not start or stop as expected;
- :func:`wait_until`, the one wait-until-ready loop: it fails naming what did
  not become ready, with the end of the process's output;
- :func:`kill_group` and :func:`stop_group`, which end a process group;
- :class:`Service`, the skeleton of :class:`~guide.services.processes.ServerProcess`,
  :class:`~guide.services.redis.RedisServer`, :class:`~guide.services.nginx.Nginx`
  and :class:`~guide.services.postgres.PostgresCluster`: one process in a
  process group of its own, its output in a log file, a context manager,
  stopped with a signal and then SIGKILL of whatever is left.
"""

import os
import signal
import subprocess
import time
from pathlib import Path


class ServerError(RuntimeError):
    """A server did not start, or did not stop, as expected."""


TAIL_LINES = 200
"""How many of the last lines of a server's output an error message shows."""


def tail(text, lines=TAIL_LINES):
    """The last ``lines`` lines of ``text``, saying how many were left out."""
    kept = text.splitlines(keepends=True)
    if len(kept) <= lines:
        return text
    return f"[... {len(kept) - lines} earlier lines]\n" + "".join(kept[-lines:])


def wait_until(
    ready, timeout, what, *, process=None, output=None, interval=0.05, error=ServerError
):
    """Call ``ready()`` until it returns something true, and return that.

    ``what`` names what is awaited ("redis-server to answer PING on ...").
    Raises ``error`` with ``what`` and the end of ``output()`` when
    ``process`` (a ``Popen``) exits first, or after ``timeout`` seconds.
    """

    def failure(reason):
        text = tail(output()) if output is not None else ""
        return error(f"gave up waiting for {what}{reason}:\n{text}")

    deadline = time.monotonic() + timeout
    while True:
        if process is not None and process.poll() is not None:
            raise failure(f": the process exited with code {process.returncode}")
        result = ready()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise failure(f" after {timeout} s")
        time.sleep(interval)


def kill_group(process):
    """SIGKILL ``process``'s whole process group (workers left behind too), then reap it."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    process.wait()


def signal_and_wait(process, sig, timeout):
    """Send ``sig`` to ``process`` unless it has exited; wait up to ``timeout`` s.

    Returns whether it has exited.
    """
    if process.poll() is not None:
        return True
    process.send_signal(sig)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        return False
    return True


def stop_group(process, sig=signal.SIGTERM, timeout=10.0):
    """Send ``sig`` to ``process``, wait up to ``timeout`` s, then :func:`kill_group`.

    For a process started with ``start_new_session=True`` (nginx, PostgreSQL,
    Redis): whatever it left running is killed with it. Returns whether the
    process had exited before the SIGKILL.
    """
    exited = signal_and_wait(process, sig, timeout)
    kill_group(process)
    return exited


class Service:
    """One server process, in a process group of its own; a context manager.

    A subclass says how to prepare and start it and when it is ready:

    - :meth:`prepare` makes its folders and files and returns its command line;
    - :meth:`ready` (polled) says whether it serves; :meth:`awaited` names that;
    - :meth:`started` runs once it is ready (PostgreSQL creates its database);
    - :meth:`cleanup` removes what it leaves (a temporary folder).

    and sets the attributes below. :meth:`start` runs those steps and, when
    one fails, ends the process (:meth:`abort`) before raising.
    """

    error = ServerError
    """The exception class raised."""
    start_timeout = 30.0
    stop_timeout = 10.0
    stop_signal = signal.SIGTERM
    strict_stop = False
    """True: :meth:`stop` raises if the process is still running after the signal."""
    poll_interval = 0.05

    process = None
    log_path = None
    """Where the process's stdout and stderr go (a file of its own)."""
    cwd = None
    env = None
    """The process's environment; None: this process's."""
    stdin = None
    run_as = None
    """A :class:`~guide.services.privileges.RunAs` to run as instead of root, or None."""
    _log = None
    _group_killed = False

    # -- what a subclass says ------------------------------------------------

    def prepare(self):
        """Make what the process needs; return its command line."""
        raise NotImplementedError

    def ready(self):
        """Whether the process serves (polled by :meth:`start`)."""
        raise NotImplementedError

    def awaited(self):
        """What :meth:`ready` waits for, for error messages."""
        return "the server to become ready"

    def started(self):
        """Called once the process is ready."""

    def cleanup(self):
        """Remove what the process left (called by :meth:`kill`, so by :meth:`stop` too)."""

    def details(self):
        """What an error message shows after the reason: the output so far."""
        return self.output()

    # -- the skeleton ----------------------------------------------------------

    @property
    def returncode(self):
        """The process's exit code; None before it started and while it runs."""
        return None if self.process is None else self.process.returncode

    def output(self):
        """What the process wrote to its log so far ("" before it starts)."""
        if self.log_path is None:
            return ""
        try:
            return Path(self.log_path).read_text(errors="replace")
        except OSError:
            return ""

    def user_options(self):
        """``subprocess`` options that run a program as :attr:`run_as` (none if None)."""
        return {} if self.run_as is None else self.run_as.popen_kwargs()

    def spawn(self, argv):
        """Start ``argv`` in a new session, its stdout and stderr to :attr:`log_path`."""
        self._log = open(self.log_path, "wb")
        try:
            if self.run_as is not None:
                self.run_as.chown(self.log_path)
            try:
                self._group_killed = False
                self.process = subprocess.Popen(
                    argv,
                    cwd=self.cwd,
                    env=self.env,
                    stdin=self.stdin,
                    stdout=self._log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                    **self.user_options(),
                )
            except FileNotFoundError as exc:
                raise self.error(f"cannot start {argv[0]!r}: is it installed? ({exc})") from exc
        finally:
            self._log.close()  # the process has its own copy

    def start(self, timeout=None):
        """Prepare, start, wait until ready (up to ``timeout`` s); return ``self``.

        Raises :attr:`error`, with what did not become ready and the process's
        output, if the process exits first or is not ready in time; it is
        then ended (:meth:`abort`), as on any other error.
        """
        if timeout is None:
            timeout = self.start_timeout
        try:
            self.spawn(self.prepare())
            wait_until(
                self.ready,
                timeout,
                self.awaited(),
                process=self.process,
                output=self.details,
                interval=self.poll_interval,
                error=self.error,
            )
            self.started()
        except BaseException:
            self.abort()
            raise
        return self

    def abort(self):
        """End a process whose start failed (:meth:`kill`)."""
        self.kill()

    def stop(self, timeout=None):
        """Send :attr:`stop_signal`, wait up to ``timeout`` s, then :meth:`kill`; the exit code.

        The signal goes to the main process, as a process manager sends it;
        whatever is left of its process group afterwards (workers it did not
        stop) is killed, also when it had already exited. With
        :attr:`strict_stop`, raises :attr:`error` if it was still running.
        """
        if timeout is None:
            timeout = self.stop_timeout
        try:
            if self.process is not None:
                exited = signal_and_wait(self.process, self.stop_signal, timeout)
                if not exited and self.strict_stop:
                    name = signal.Signals(self.stop_signal).name
                    raise self.error(
                        f"still running {timeout} s after {name}:\n{tail(self.output())}"
                    )
        finally:
            self.kill()
        return self.returncode

    def kill(self):
        """SIGKILL the whole process group (as a crash would), then :meth:`cleanup`.

        Once only: after that the process is reaped, and its id may be another's.
        """
        if self.process is not None and not self._group_killed:
            kill_group(self.process)
            self._group_killed = True
        self.cleanup()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()
