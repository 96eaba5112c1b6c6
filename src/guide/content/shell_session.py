"""A reader's shell: runs a page's ``.console`` files and server commands as written.

:class:`Session` runs commands in a temporary folder standing for the reader's
home, with one shell state (``cd`` and ``export`` carry over).
``python -m pip install ...`` runs as ``uv pip install ...`` in a virtual
environment the session creates on first use; ``nox -s SESSION`` commands are
checked, not run. A server command starts in the background on a free port and
its output is compared with the page's ``.out`` file, after the scenario its
``outputs.toml`` describes (:func:`scenario`).
"""

import ast
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from guide import requirements
from guide.content.output_match import _chains, difference, matches, output_matches
from guide.content.transcripts import HOME, ConsoleError, parse, rel
from guide.paths import DOCUMENTED_PORT, ROOT
from guide.servers.commands import SERVER_SNIPPETS_DIR, server_argv


def nox_sessions():
    """The session names ``noxfile.py`` defines."""
    tree = ast.parse((ROOT / "noxfile.py").read_text(encoding="utf-8"))
    found = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            for deco in node.decorator_list:
                target = deco.func if isinstance(deco, ast.Call) else deco
                if ast.unparse(target) == "nox.session":
                    found.add(node.name)
    return found


_PIP = re.compile(r"^(?:python[\d.]*\s+-m\s+)?pip\s+install\s+(?P<args>.*)$", re.S)
_SHELL_SYNTAX = re.compile(r"[|&;<>`$()]")


def pip_install_args(command):
    """The arguments of a ``pip install`` command, or ``None`` for any other command."""
    match = _PIP.match(command.strip())
    if not match or _SHELL_SYNTAX.search(match["args"]):
        return None
    return shlex.split(match["args"].replace("\\\n", " "))


def check_pins(args, where):
    """A version the page pins must be the one the project pins and tests."""
    pins = requirements.pins()
    for arg in args:
        if arg.startswith("-"):
            continue
        try:
            req = Requirement(arg)
        except InvalidRequirement:
            continue
        name = canonicalize_name(req.name)
        spec = list(req.specifier)
        if name in pins and len(spec) == 1 and spec[0].operator == "==":
            if spec[0].version != pins[name]:
                raise ConsoleError(
                    f"{where}: {arg} but requirements/*.txt pins {name}=={pins[name]} "
                    "(the tests run that one): make them agree"
                )


class Session:
    """A reader's shell: one temporary home, one shell state, servers in the background.

    ``python`` is the interpreter of the virtual environment a ``pip install``
    creates (and, before that, the one first on ``PATH``, with its scripts).
    """

    def __init__(self, root, python=sys.executable, timeout=120.0):
        self.root = Path(root)
        self.python = python
        self.timeout = timeout
        self.cwd = self.root
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("VIRTUAL_ENV", "DJANGO_", "MYSITE_"))
        }
        scripts = str(Path(python).parent)
        env["PATH"] = os.pathsep.join([scripts, env.get("PATH", os.defpath)])
        env["HOME"] = str(self.root)
        env["PYTHONUNBUFFERED"] = "1"
        # uv keeps using the machine's cache, whatever HOME says.
        env.setdefault("UV_CACHE_DIR", _uv_cache_dir())
        self.env = env
        self.venv = None
        self.base_requirements = []
        """What the page assumes is installed already: installed in its virtual
        environment before what its first ``pip install`` adds."""
        self.server = None
        self.port = None
        self.last = None  # (command, output) of the last command run
        self.timings = []  # (page:line, kind, seconds) of each action run_page ran

    # What the reader's machine would print: their home, the documented port.
    def normalise(self, text):
        for root in {str(self.root.resolve()), str(self.root)}:
            text = text.replace(root, HOME)
        if self.port is not None:
            text = re.sub(rf"(?<=[:=]){self.port}\b", str(DOCUMENTED_PORT), text)
        return text

    def _with_port(self, command):
        if self.port is None:
            return command
        return re.sub(rf"(?<=[:= ]){DOCUMENTED_PORT}\b", str(self.port), command)

    def run_file(self, path):
        """Run every command of a ``.console`` file, comparing the output it shows."""
        name = rel(path)
        for step in parse(path):
            self.run(step, f"{name}:{step.line}")

    def run(self, step, where):
        output = self._execute(step.command, where)
        if step.expected and not matches(step.expected, self.normalise(output)):
            raise ConsoleError(difference(step.expected, self.normalise(output), where))

    def _execute(self, command, where):
        args = pip_install_args(command)
        if args is not None:
            check_pins(args, where)
            return self._pip(args, where)
        words = command.split()
        if words and words[0] == "nox":
            return self._nox(words, where)
        return self._shell(self._with_port(command), where)

    def _pip(self, args, where):
        if self.venv is None:
            self.venv = self.root / ".venv"
            _check(["uv", "venv", "-q", "--python", self.python, str(self.venv)], self, where)
            bin_dir = self.venv / "bin"
            self.env["PATH"] = os.pathsep.join([str(bin_dir), self.env["PATH"]])
            self.env["VIRTUAL_ENV"] = str(self.venv)
            if self.base_requirements:
                self._uv_install(self.base_requirements, where)
        return self._uv_install(args, where)

    def _uv_install(self, args, where):
        # From uv's cache alone when it holds everything (no index request), else
        # as the reader's pip does, from the index.
        argv = ["uv", "pip", "install", "-q", "--python", str(self.venv / "bin" / "python")]
        try:
            return _check([*argv, "--offline", *args], self, where)
        except ConsoleError:
            return _check([*argv, *args], self, where)

    def _nox(self, words, where):
        # The repository's own tooling: checked, not run (a benchmark takes minutes).
        if len(words) < 3 or words[1] != "-s" or words[2] not in nox_sessions():
            raise ConsoleError(f"{where}: {' '.join(words)!r} names no session of noxfile.py")
        return ""

    def _shell(self, command, where):
        state = Path(tempfile.mkdtemp(prefix="console-state-"))
        script = (
            f'{command}\n__status=$?\npwd > "{state}/cwd"\nenv -0 > "{state}/env"\nexit $__status\n'
        )
        try:
            stdout = _check(["bash", "-c", script], self, where, shown=repr(command))
            self.cwd = Path((state / "cwd").read_text().strip())
            self.env = dict(
                item.split("=", 1)
                for item in (state / "env").read_text().split("\0")
                if "=" in item
            )
            for name in ("_", "SHLVL", "PWD", "OLDPWD"):
                self.env.pop(name, None)
        finally:
            shutil.rmtree(state, ignore_errors=True)
        self.last = (command, stdout)
        return stdout

    # --- Servers -----------------------------------------------------------------

    def start_server(self, path):
        """Start the server command of ``snippets/server_commands/<name>.sh``, as written, on a free port."""
        from guide.services.processes import ServerProcess, free_port

        self.stop_server()
        self.port = free_port()
        self.server = ServerProcess(
            server_argv(path, self.port), self.port, env=dict(self.env), cwd=self.cwd
        )
        self.server.start(timeout=60)
        return self.server

    def compare_server_output(self, path, timeout=30.0):
        """Compare a server's output with ``path`` (an ``.out`` file), after its scenario.

        The scenario (:func:`scenario`) may start its own server command, make
        requests, and stop the server with SIGTERM while a response streams;
        the output is compared once it shows everything the file shows (or,
        after a stop, once the server has exited).
        """
        plan = scenario(path)
        if plan.get("command"):
            self.start_server(SERVER_SNIPPETS_DIR / plan["command"])
        if self.server is None:
            raise ConsoleError(f"{rel(path)}: shown as a server's output, but no server runs")
        expected = [line.rstrip() for line in Path(path).read_text().splitlines()]
        if plan.get("processes"):
            try:
                _chains(expected, plan["processes"], plan.get("first", 0))
            except ConsoleError as exc:
                raise ConsoleError(f"{rel(path)}: outputs.toml: {exc}") from None
        if plan.get("requests") or plan.get("sigterm_during"):
            # Let every worker finish starting before the requests, as the reader
            # would: each line as many times as it is listed (once per worker).
            before = plan.get("ready_after", [])
            self._wait(
                lambda out: all(out.count(line) >= before.count(line) for line in before),
                timeout,
                path,
                expected,
            )
        self._requests(plan.get("requests", []), path)
        if plan.get("sigterm_during"):
            self._sigterm_during(plan["sigterm_during"], path, timeout, plan.get("sigterm_cuts"))
            actual = self.normalise(self.server.output())
            if not output_matches(expected, actual, plan):
                raise ConsoleError(difference(expected, actual, rel(path)))
            return
        self._wait(lambda out: output_matches(expected, out, plan), timeout, path, expected)

    def _wait(self, ok, timeout, path, expected):
        deadline = time.monotonic() + timeout
        while True:
            actual = self.normalise(self.server.output())
            if ok(actual):
                return
            if time.monotonic() > deadline or self.server.process.poll() is not None:
                raise ConsoleError(difference(expected, actual, rel(path)))
            time.sleep(0.1)

    def _requests(self, requests, path):
        import httpx

        with httpx.Client(timeout=30) as client:
            for request in requests:
                response = client.get(
                    self.server.url + request["path"], headers=request.get("headers", {})
                )
                if response.status_code != request.get("status", 200):
                    raise ConsoleError(
                        f"{rel(path)}: GET {request['path']} answered {response.status_code}"
                    )

    def _sigterm_during(self, url_path, path, timeout, cuts=False):
        """SIGTERM the server while a client reads ``url_path``; it completes, or is ``cuts``."""
        import signal

        import httpx

        url = self.server.url + url_path
        with httpx.Client(timeout=timeout) as client, client.stream("GET", url) as response:
            chunks = response.iter_bytes()
            first = next(chunks)
            self.server.process.send_signal(signal.SIGTERM)
            try:
                body = first + b"".join(chunks)
            except httpx.TransportError:
                body = b"(cut)"
        try:
            self.server.process.wait(timeout)
        except subprocess.TimeoutExpired:
            raise ConsoleError(f"{rel(path)}: still running {timeout} s after SIGTERM") from None
        complete = body.endswith(b"\n\n") and body.count(b"event: tick") == _count(url_path)
        if complete == bool(cuts):
            raise ConsoleError(
                f"{rel(path)}: the response in flight was "
                + ("completed, not cut" if complete else f"cut: {body[-200:]!r}")
            )

    def stop_server(self):
        if self.server is not None:
            self.server.kill()
            self.server = None

    def close(self):
        self.stop_server()


def _count(url_path):
    """The number of events a ``/polls/stream/?count=N`` response sends (5 by default)."""
    match = re.search(r"[?&]count=(\d+)", url_path)
    return int(match[1]) if match else 5


SCENARIO_FILE = "outputs.toml"
SCENARIO_KEYS = {
    "command": "a snippets/server_commands/*.sh file to start for this output (else the running server)",
    "requests": "[{path, headers, status}]: GET requests made before comparing",
    "ready_after": "lines to wait for before the requests, each as often as listed (per worker)",
    "sigterm_during": "a path: SIGTERM while a client reads it; compared after the exit",
    "sigterm_cuts": "true: the server cuts that response (else it must complete)",
    "processes": "[[line, ...], ...]: each worker's lines, printed concurrently (interleaves)",
    "first": "the parent's last line printed before it starts the workers (interleaves)",
    "process_id": "a regular expression, its group the process id a line carries (interleaves)",
    "may_print": "lines a run prints or not, as a race decides: left out before comparing",
}


def scenario(path):
    """What to do before comparing the ``.out`` file ``path`` with the server's output.

    Read from ``outputs.toml`` beside it, a table per file name with the keys of
    :data:`SCENARIO_KEYS`; none: compare with the running server's start-up output.
    """
    path = Path(path)
    table = path.parent / SCENARIO_FILE
    if not table.is_file():
        return {}
    entry = tomllib.loads(table.read_text(encoding="utf-8")).get(path.name, {})
    unknown = set(entry) - set(SCENARIO_KEYS)
    if unknown:
        raise ConsoleError(f"{rel(table)}: [{path.name!r}]: unknown keys {sorted(unknown)}")
    return entry


def _check(argv, session, where, shown=None):
    """Run ``argv`` in the session's folder and environment; its output, or :class:`ConsoleError`."""
    result = subprocess.run(
        argv,
        cwd=session.cwd,
        env=session.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=session.timeout,
    )
    if result.returncode != 0:
        raise ConsoleError(
            f"{where}: {shown or shlex.join(argv)} exited with status {result.returncode}:\n"
            + session.normalise(result.stdout)
        )
    return result.stdout


def _uv_cache_dir():
    try:
        return subprocess.run(
            ["uv", "cache", "dir"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return str(Path.home() / ".cache" / "uv")
