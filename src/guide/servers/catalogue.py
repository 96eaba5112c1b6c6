"""The ASGI servers the guide teaches: one catalogue, read by the tests, the benchmark and the hooks.

For each server, :data:`SERVERS` (read from ``servers.toml`` beside this module) holds its names (``name``, ``label``,
``chart_label``), what the benchmark records and draws (``packages``,
``colour``, ``bench_command``) and how it behaves, as observed by the tests
that run it (``ready``, ``lifespan_unsupported``, ``port_in_use``,
``sigterm_exit``, ...): ``tests/django/test_server_commands.py`` asserts each of these
exactly, and ``guide.site.tables.servers`` writes the servers comparison table
(``docs/servers/index.md``) from them and from nothing else. What each command snippet is expected to do is in
:mod:`guide.servers.expectations`.

Readers:

- ``tests/django/test_server_commands.py`` runs each snippet and checks its :class:`Expect`;
- ``bench/servers.py`` runs each ``bench_command`` and draws the chart;
- ``guide.site.tables.servers_bench`` names the servers in the pages' benchmark tables;
- ``guide.site.tables.servers`` writes the servers comparison table.
"""

import dataclasses
import shlex
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path

BENCH_APP = "mysite.asgi:application"
"""The application every ``bench_command`` serves: Django's own, no middleware added."""


@dataclass(frozen=True)
class Server:
    """One ASGI server: its names, its benchmark set-up and its observed behaviour.

    In the behaviour fields, ``{port}`` is filled in with the port it was told to bind.
    """

    name: str
    """Its command's name: the key in :data:`SERVERS` and in ``bench/results/servers.json``,
    the start of its snippet files' names (``uvicorn-proxy.sh``) and the word the
    pages' inline-command check looks for."""

    label: str
    """Its name in the pages' benchmark tables (``guide.site.tables.servers_bench``)."""

    chart_label: str
    """Its name on the benchmark chart and in the benchmark's console output."""

    packages: tuple[str, ...]
    """The PyPI distributions whose versions the benchmark records for it, in that order."""

    colour: str
    """The fill of its bars on the chart (``docs/assets/servers-bench.svg``)."""

    bench_command: str
    """The benchmark's command line, split like a POSIX shell would: :data:`BENCH_APP`
    on ``127.0.0.1:{port}``, one worker process, access log off."""

    # --- Observed behaviour (what the behaviour tests check) -----------------

    ready: str
    """Printed once it listens."""

    lifespan_unsupported: str | None
    """Printed when it serves Django's own application, which has no lifespan
    support; ``None``: it never speaks the lifespan protocol."""

    port_in_use: str
    """A regular expression matched in its output when its port is already taken."""

    port_in_use_says: str = ""
    """A line of that output, word for word (the table shows it); it appears once
    for each attempt to bind (``bind_attempts``)."""

    port_in_use_exit: int = 1
    """Its exit status when its port is already taken."""

    bind_attempts: int = 1
    """How many times it tries to bind a taken port, a second apart, before it gives up."""

    sigterm_exit: int = 0
    """Its exit status after SIGTERM (negative: killed by that signal)."""

    stopped: str | None = None
    """Printed last on a graceful stop; ``None``: nothing to look for."""

    http2_cleartext: bool = False
    """Whether it speaks HTTP/2 without TLS (prior knowledge)."""

    http2_preface_answer: str | None = "HTTP/1.1 400 Bad Request"
    """Where it does not: the status line it answers the HTTP/2 connection preface
    with, before it closes the connection. ``None`` where it speaks HTTP/2."""

    http2_refused: str | None = None
    """Printed when it refuses HTTP/2 without TLS; ``None``: nothing to look for."""

    graceful: bool = True
    """Whether a request in flight at SIGTERM completes."""

    not_graceful_because: str = ""
    """Why not, where ``graceful`` is false: the limitation the tests document."""

    workers_options: tuple[str, ...] = ("--workers",)
    """The options that set its number of worker processes (``--workers N``,
    ``--workers=N``; the last one given wins); none given: one. Empty: it has
    no such option and refuses one (``unknown_option_error``)."""

    reload_option: str | None = "--reload"
    """Its option that reloads the application when a file changes; ``None``: it
    has none and refuses ``--reload`` (``unknown_option_error``)."""

    reload_restarts: bool = True
    """Whether, under ``reload_option``, editing a Python file of the project restarts
    its worker(s): the application's startup hook runs again."""

    reload_noticed: str | None = None
    """Where it does not restart: printed by each worker when it sees the change."""

    root_path_option: str = "--root-path"
    """Its option that sets the ASGI ``root_path``."""

    root_path_reaches_app: bool = True
    """Whether the application sees the root path ``root_path_option`` sets
    (Django's ``SCRIPT_NAME``)."""

    access_log: bool = False
    """Whether it logs each request by default."""

    unknown_option_error: str = ""
    """Printed when it is given an option it does not have (``{option}``)."""

    unknown_option_exit: int = 2
    """Its exit status then."""

    def bench_argv(self, port):
        """``bench_command`` with ``{port}`` filled in."""
        return [part.replace("{port}", str(port)) for part in shlex.split(self.bench_command)]

    def workers(self, argv):
        """How many worker processes the command ``argv`` starts: its last
        ``--workers N`` (or another of ``workers_options``), else 1."""
        count = 1
        for i, token in enumerate(argv):
            for option in self.workers_options:
                if token == option and i + 1 < len(argv):
                    count = int(argv[i + 1])
                elif token.startswith(f"{option}="):
                    count = int(token.partition("=")[2])
        return count


CATALOGUE = Path(__file__).with_name("servers.toml")
"""The servers' facts, one table each: ``src/guide/servers/servers.toml``."""


def load_servers(path=CATALOGUE):
    """``{name: Server}`` from the catalogue file, in its order.

    A key must be a field of :class:`Server`; ``false`` for a text field means
    ``None``; lists become tuples; ``{app}`` in ``bench_command`` is :data:`BENCH_APP`.
    """
    fields = {f.name: f for f in dataclasses.fields(Server)}
    servers = {}
    for name, table in tomllib.loads(path.read_text(encoding="utf-8")).items():
        unknown = set(table) - set(fields)
        if unknown:
            raise ValueError(f"{path.name}: [{name}] has unknown keys {sorted(unknown)}")
        values = {}
        for key, value in table.items():
            if value is False and "str" in str(fields[key].type):
                value = None
            elif isinstance(value, list):
                value = tuple(value)
            values[key] = value
        values["bench_command"] = values["bench_command"].replace("{app}", BENCH_APP)
        servers[name] = Server(name=name, **values)
    return servers


SERVERS = load_servers()
"""``{name: Server}``, in the order the benchmark runs and draws them."""

BENCH_VARIANTS = {
    # Gunicorn 27's own ASGI worker (gunicorn/workers/gasgi.py): Gunicorn's
    # HTTP parser on an asyncio loop, no uvicorn. Its snippets are
    # gunicorn-asgi*.sh; the servers table shows it as options of Gunicorn.
    "gunicorn-asgi": replace(
        SERVERS["gunicorn"],
        name="gunicorn-asgi",
        label="Gunicorn ASGI worker",
        chart_label="gunicorn asgi worker",
        packages=("gunicorn",),
        colour="#7a8c1e",
        bench_command=(
            f"gunicorn {BENCH_APP} --worker-class asgi --workers 1 --bind 127.0.0.1:{{port}}"
        ),
    ),
}
"""Benchmarked configurations that are a server run with other options, not a server of
their own: ``{key in bench/results/servers.json: Server}``."""

BENCHED = {**SERVERS, **BENCH_VARIANTS}
"""``{name: Server}``: what ``bench/servers.py`` runs and draws, in that order."""


REQUIREMENTS = ("example.txt", "servers.txt")
"""The files under ``requirements/`` that pin the servers the tests run."""


def pinned_versions():
    """``{distribution: version}`` pinned (``name==version``) in :data:`REQUIREMENTS`."""
    # Imported here: the rest of this module runs in the browser too (the command
    # checker's page, guide.servers.command_check), where there is no checkout to read.
    from guide import requirements

    return requirements.pins(REQUIREMENTS)
