"""Shell sessions the pages show, run as written and compared with what they show.

A page never holds a command or its output inline. It includes files:

- ``snippets/<section>/<page>/<name>.console``, in a ```` ```console ````
  block: ``$ `` lines are commands (a line ending in ``\\`` continues on the
  next one), the lines after a command are the output the reader should see;
- ``snippets/servers/<name>.sh``, in a ```` ```bash ```` block: a server
  command (see :mod:`guide.commands`), started in the background;
- ``snippets/<section>/<page>/<name>.out``, in a ```` ```text ```` block right
  after a server command: what that server prints once it has started.

Where several worker processes print at once, the order of their lines varies
from run to run: ``outputs.toml`` then says which lines of the ``.out`` file
each process printed, and only the order between processes is left free
(:func:`interleaves`).

Expected output holds placeholders for what truly varies:

- ``...`` on a line of its own stands for any number of lines (none included);
- ``...`` inside a line stands for any text on that line (a process id, a time,
  a duration, a version);
- the reader's home folder is shown as ``/home/you`` (the session's own
  temporary folder is replaced by it before comparing), and the port a server
  was really started on as ``8000`` (the port the pages use).

A command shown without output is run and must succeed (exit status 0); what
it prints is not compared, as the page claims nothing about it.

:class:`Session` runs a page's files in order, in a temporary folder standing
for the reader's home, with one shell state (``cd`` and ``export`` carry over
from one command to the next). ``python -m pip install ...`` runs as
``uv pip install ...`` in a virtual environment the session creates on first
use (one per session, with uv's cache), which then comes first on ``PATH``, as
an activated virtual environment would. ``nox -s SESSION`` commands (the
repository's own tooling) are checked, not run: the session must exist in
``noxfile.py``.
"""

import ast
import functools
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from guide.commands import server_argv
from guide.paths import ROOT, SNIPPETS

SUFFIX = ".console"
OUTPUT_SUFFIX = ".out"
HOME = "/home/you"
"""The reader's home folder as the pages show it."""
DOCUMENTED_PORT = 8000
PROMPT = "$ "


class ConsoleError(ValueError):
    """A ``.console`` file is malformed, or a command did not do what the file shows."""


@dataclass(frozen=True)
class Step:
    """One command of a ``.console`` file and the output shown under it."""

    line: int  # 1-based line of its prompt in the file
    command: str  # continuation lines joined, as a shell reads it
    expected: tuple  # the output lines shown (trailing blank lines dropped)


def parse_text(text, name="<console>"):
    """The steps of a ``.console`` file's text; raises :class:`ConsoleError`."""
    lines = text.splitlines()
    steps, i = [], 0
    if not lines or not lines[0].startswith(PROMPT):
        raise ConsoleError(f"{name}:1: a console file starts with a command ('$ ...')")
    while i < len(lines):
        start = i
        command = lines[i][len(PROMPT) :]
        while command.endswith("\\"):
            i += 1
            if i == len(lines):
                raise ConsoleError(f"{name}:{i}: the last command ends with a backslash")
            command = command[:-1] + "\n" + lines[i]
        if not command.strip():
            raise ConsoleError(f"{name}:{start + 1}: an empty command")
        i += 1
        output = []
        while i < len(lines) and not lines[i].startswith(PROMPT):
            output.append(lines[i].rstrip())
            i += 1
        while output and not output[-1]:
            output.pop()
        steps.append(Step(start + 1, command, tuple(output)))
    return steps


def parse(path):
    path = Path(path)
    return parse_text(path.read_text(encoding="utf-8"), rel(path))


def rel(path):
    path = Path(path)
    return path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else str(path)


def commands_of(text):
    """What a console block's copy button copies: the commands, without prompts or output."""
    return "".join(step.command + "\n" for step in parse_text(text))


def console_files():
    return sorted(SNIPPETS.rglob(f"*{SUFFIX}"))


def output_files():
    return sorted(SNIPPETS.rglob(f"*{OUTPUT_SUFFIX}"))


# --- Comparing output ---------------------------------------------------------


def _line_pattern(line):
    """A regular expression for one shown line (``...`` inside it: any text on that line)."""
    return ".*?".join(re.escape(piece) for piece in line.split("...")) + r"[ \t]*"


def pattern(expected):
    """A regular expression for the shown lines, with their placeholders."""
    parts = []
    for line in expected:
        if line == "...":
            parts.append(r"(?:[^\n]*\n)*?")
        else:
            parts.append(_line_pattern(line) + r"\n")
    return re.compile("".join(parts))


def matches(expected, actual):
    """Whether ``actual`` (normalised text) is what ``expected`` (lines) shows."""
    return pattern(expected).fullmatch(_lines(actual)) is not None


def _lines(text):
    text = "\n".join(line.rstrip() for line in text.splitlines()).rstrip("\n")
    return text + "\n" if text else ""


def interleaves(expected, actual, processes, first=0, process_id=None):
    """Whether ``actual`` is the shown output of processes that print concurrently.

    Several worker processes start (or stop) at once, so their lines arrive in
    an order that varies from run to run. The ``.out`` file shows one real run;
    ``processes`` says which of its lines each worker printed: a list per
    worker of the file's line numbers (1-based), in the file's order. The
    other lines are the parent process's. ``actual`` matches when its lines
    can be split, one for one, into those sequences, each line matching the
    shown one (placeholders as in :func:`matches`):

    - every shown line appears, and no other line does;
    - each process's lines come in the order shown (the parent's too);
    - the parent's lines up to line ``first`` come before any worker's line
      (what it prints before it starts them);
    - with ``process_id``, a regular expression whose group is the process id
      a line carries (Gunicorn's and Hypercorn's ``[pid]``): the lines that
      carry one belong to the process of that id, one id per process.

    Only the order between different processes is free. A first line ``...``
    stands for any lines before the rest (the start-up before a shutdown).
    """
    expected = list(expected)
    skip, chains, gate = _chains(expected, processes, first)
    shown = [re.compile(_line_pattern(line)) for line in expected]
    ids = re.compile(process_id) if process_id else None
    lines = _lines(actual).splitlines()

    def owner(line):
        found = ids.search(line) if ids else None
        return found[1] if found else None

    def split_from(start):
        @functools.cache
        def walk(pos, owners):
            i = start + sum(pos)
            if i == len(lines):
                return all(p == len(chain) for p, chain in zip(pos, chains, strict=True))
            pid = owner(lines[i])
            for k, chain in enumerate(chains):
                if pos[k] == len(chain) or (k and pos[0] < gate):
                    continue
                if not shown[chain[pos[k]]].fullmatch(lines[i]):
                    continue
                now = owners
                if pid is not None:
                    others = owners[:k] + owners[k + 1 :]
                    if owners[k] not in (None, pid) or pid in others:
                        continue
                    now = owners[:k] + (pid,) + owners[k + 1 :]
                if walk(pos[:k] + (pos[k] + 1,) + pos[k + 1 :], now):
                    return True
            return False

        return walk((0,) * len(chains), (None,) * len(chains))

    return any(split_from(start) for start in (range(len(lines) + 1) if skip else [0]))


def _chains(expected, processes, first):
    """``(skip, chains, gate)`` for :func:`interleaves`; :class:`ConsoleError` if inconsistent.

    ``skip``: the file starts with ``...``; ``chains``: the parent's line
    indexes, then each worker's; ``gate``: how many of the parent's come first.
    """
    skip = bool(expected) and expected[0] == "..."
    listed = [number - 1 for lines in processes for number in lines]
    problems = []
    if len(set(listed)) != len(listed):
        problems.append("a line is listed twice")
    if any(not skip <= i < len(expected) for i in listed):
        problems.append(f"a line number outside {1 + skip}..{len(expected)}")
    if any(list(lines) != sorted(lines) for lines in processes):
        problems.append("list each process's lines in the file's order")
    if "..." in expected[skip:]:
        problems.append("'...' may only stand first, for the lines before")
    if first in (number for lines in processes for number in lines):
        problems.append(f"line {first} ('first') is a worker's line, not the parent's")
    if problems:
        raise ConsoleError("processes: " + "; ".join(problems))
    parent = [i for i in range(skip, len(expected)) if i not in set(listed)]
    chains = [parent] + [[number - 1 for number in lines] for lines in processes]
    gate = sum(i < first for i in parent)  # the parent's lines up to line `first`
    return skip, chains, gate


def output_matches(expected, actual, plan):
    """:func:`interleaves` where the scenario ``plan`` names ``processes``, else :func:`matches`."""
    if plan.get("processes"):
        return interleaves(
            expected, actual, plan["processes"], plan.get("first", 0), plan.get("process_id")
        )
    return matches(expected, actual)


def difference(expected, actual, what):
    return (
        f"{what}: the output differs from the file.\n--- shown (with placeholders)\n"
        + "\n".join(expected)
        + "\n--- produced (normalised)\n"
        + _lines(actual)
    )


# --- Running a session ----------------------------------------------------------


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


def pinned_requirements():
    """``{name: version}`` for every ``name==version`` line of ``requirements/*.txt``."""
    pins = {}
    for path in sorted((ROOT / "requirements").glob("*.txt")):
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.split("#")[0].strip().rstrip("\\").strip()
            if not line or line.startswith("-"):
                continue
            try:
                req = Requirement(line)
            except InvalidRequirement:
                continue
            spec = list(req.specifier)
            if len(spec) == 1 and spec[0].operator == "==":
                pins[canonicalize_name(req.name)] = spec[0].version
    return pins


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
    pins = pinned_requirements()
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
            result = subprocess.run(
                ["bash", "-c", script],
                cwd=self.cwd,
                env=self.env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                timeout=self.timeout,
            )
            if result.returncode != 0:
                raise ConsoleError(
                    f"{where}: {command!r} exited with status {result.returncode}:\n"
                    + self.normalise(result.stdout)
                )
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
        self.last = (command, result.stdout)
        return result.stdout

    # --- Servers -----------------------------------------------------------------

    def start_server(self, path):
        """Start the server command of ``snippets/servers/<name>.sh``, as written, on a free port."""
        from guide.processes import ServerProcess, free_port

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
            self.start_server(SNIPPETS / "servers" / plan["command"])
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
    "command": "a snippets/servers/*.sh file to start for this output (else the running server)",
    "requests": "[{path, headers, status}]: GET requests made before comparing",
    "ready_after": "lines to wait for before the requests, each as often as listed (per worker)",
    "sigterm_during": "a path: SIGTERM while a client reads it; compared after the exit",
    "sigterm_cuts": "true: the server cuts that response (else it must complete)",
    "processes": "[[line, ...], ...]: each worker's lines, printed concurrently (interleaves)",
    "first": "the parent's last line printed before it starts the workers (interleaves)",
    "process_id": "a regular expression, its group the process id a line carries (interleaves)",
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


def _check(argv, session, where):
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
            f"{where}: {shlex.join(argv)} exited with status {result.returncode}:\n"
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


# --- A page, walked in order ----------------------------------------------------

SERVER_SNIPPETS = "snippets/servers/"


@dataclass(frozen=True)
class Action:
    """One included file of a page that a session runs, compares or hands to the caller."""

    kind: str  # "console", "server", "output" or "file"
    path: Path  # the included file
    line: int  # its include's line on the page
    block: object  # the guide.pages.Block
    section: str | None = None  # "name" of an include "path:name"
    title: str | None = None  # the block's title="..." (a file shown whole or in part)


def page_actions(page):
    """What a session does for ``page``, in page order.

    ``console`` runs a ``.console`` file; ``server`` starts a server snippet;
    ``output`` compares a ``.out`` file with the running server's output;
    ``file`` is any other include (a file of the example project), for the
    caller to write or compare.
    """
    from guide import pages

    found = []
    lines = Path(page).read_text(encoding="utf-8").splitlines()
    for block in pages.page_blocks(page):
        title = re.search(r'title="([^"]*)"', lines[block.line - 1])
        for include in block.includes:
            path = ROOT / include.path
            if include.path.endswith(SUFFIX):
                kind = "console"
            elif include.path.startswith(SERVER_SNIPPETS) and include.path.endswith(".sh"):
                kind = "server"
            elif include.path.endswith(OUTPUT_SUFFIX):
                kind = "output"
            else:
                kind = "file"
            found.append(
                Action(kind, path, include.line, block, include.section, title and title[1])
            )
    return found


def pages_with_consoles():
    """Every page that includes a ``.console`` or ``.out`` file."""
    from guide import pages

    return [
        page
        for page in pages.pages()
        if any(a.kind in ("console", "output") for a in page_actions(page))
    ]


def _needed(rest):
    """Whether a server command is followed by its output (``.out``): then it is started."""
    return bool(rest) and rest[0].kind == "output"


def run_page(page, session, on_file=None):
    """Run ``page``'s console files and servers in ``session``, in page order.

    ``on_file(action, session)`` is called for the other includes (the files
    the page shows), so a caller can write them into the reader's project.
    A server's ``.out`` file must follow its command; a server runs until the
    next one starts or the page ends, so the commands after its output can
    reach it. A server command not followed by its output is not started here
    (``tests/test_server_commands.py`` runs every one).
    """
    from guide import pages

    actions = page_actions(page)
    for index, action in enumerate(actions):
        where = f"{pages._name(page)}:{action.line}"
        began = time.monotonic()
        try:
            if action.kind == "console":
                session.run_file(action.path)
            elif action.kind == "server" and _needed(actions[index + 1 :]):
                session.start_server(action.path)
            elif action.kind == "output":
                session.compare_server_output(action.path)
            elif on_file is not None:
                on_file(action, session)
        except ConsoleError as exc:
            raise ConsoleError(f"{where}: {exc}") from None
        session.timings.append((where, action.kind, time.monotonic() - began))
    session.stop_server()


# --- What a page may show (the MkDocs hook hooks/console_blocks.py) ------------------

SHELL_LANGS = {"bash", "sh", "shell", "shell-session", "zsh"}


def check_shell_blocks(markdown, page):
    """Raise :class:`guide.pages.PageError` for a shell block that is not one tested file."""
    from guide import pages

    for block in pages.blocks(markdown, page):
        if block.lang not in SHELL_LANGS | {"console"}:
            continue
        one = len(block.code) == 1 and len(block.includes) == 1
        path = block.includes[0].path if one else ""
        if block.lang == "console" and not (one and path.endswith(SUFFIX)):
            raise pages.PageError(
                page,
                block.line,
                'a console block holds one line --8<-- "snippets/<section>/<page>/<name>.console" '
                "(commands and their output, run by tests/test_console.py), nothing else",
            )
        if block.lang in SHELL_LANGS and not (one and path.startswith("snippets/")):
            raise pages.PageError(
                page,
                block.line,
                f'a {block.lang} block holds one line --8<-- "snippets/servers/<name>.sh" (a '
                "tested server command); put other commands in a .console file",
            )
