"""The ASGI servers the guide teaches: one catalogue, read by the tests, the benchmark and the hooks.

For each server, :data:`SERVERS` (read from ``servers.toml`` beside this module) holds its names (``name``, ``label``,
``chart_label``), what the benchmark records and draws (``packages``,
``colour``, ``bench_command``) and how it behaves, as observed by the tests
that run it (``ready``, ``lifespan_unsupported``, ``port_in_use``,
``sigterm_exit``, ...): ``tests/test_server_commands.py`` asserts each of these
exactly, and ``hooks/server_table.py`` writes the servers comparison table
(``docs/servers/index.md``) from them and from nothing else. :data:`SNIPPETS` says what each command snippet
(``snippets/servers/*.sh``, keyed by file name) is expected to do; every
snippet file must have an entry, so a command can't be added to the docs
untested (``tests/test_server_catalogue.py`` checks both ways).

Readers:

- ``tests/test_server_commands.py`` runs each snippet and checks its :class:`Expect`;
- ``tests/test_server_docs.py`` finds inline commands of these servers on the pages;
- ``bench/servers.py`` runs each ``bench_command`` and draws the chart;
- ``hooks/bench_table.py`` names the servers in the pages' benchmark tables;
- ``hooks/server_table.py`` writes the servers comparison table.
"""

import dataclasses
import shlex
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from guide.commands import SERVER_SNIPPETS_DIR, parse_command
from guide.paths import ROOT

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
    """Its name in the pages' benchmark tables (``hooks/bench_table.py``)."""

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
"""The servers' facts, one table each: ``src/guide/servers.toml``."""


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


@dataclass(frozen=True)
class Expect:
    """What one snippet's command is expected to do.

    How many worker processes it starts is not kept here: it is the command's own
    ``--workers N`` (:meth:`Server.workers`, :func:`snippet_workers`).
    """

    server: Server
    """The server it starts, with ``overrides`` applied (once constructed)."""

    forwarded_request_log: str | None = None
    """A regular expression for the access-log line of a request sent from
    127.0.0.1 with ``X-Forwarded-For: 203.0.113.7``: the client it shows tells
    whether the server trusted the header. ``None`` exactly where the server
    has no access log by default (:attr:`Server.access_log`)."""

    root_path: str = ""
    """The ASGI ``root_path`` the command sets with the server's
    ``root_path_option`` (``""``: none)."""

    serves_prefixed_path: bool = False
    """Whether a request whose path still carries ``root_path`` (the proxy did not
    strip it) is served too."""

    overrides: dict = field(default_factory=dict)
    """:class:`Server` behaviour fields that differ for this command (its options
    change them, e.g. ``--workers`` puts a supervisor in front)."""

    because_of: tuple[str, ...] = ()
    """The options of the command that make ``overrides`` apply (the servers table
    names them): each is in this command and not in the server's own ``<name>.sh``."""

    def __post_init__(self):
        object.__setattr__(self, "server", replace(self.server, **self.overrides))


UVICORN_FORWARDED = r'INFO: +203\.0\.113\.7:0 - "GET /polls/async/ HTTP/1\.1" 200 OK'

SNIPPETS = {
    # uvicorn trusts X-Forwarded-For from 127.0.0.1 without --proxy-headers:
    # it is on by default, trusting 127.0.0.1 and ::1 (--forwarded-allow-ips'
    # default; tests/test_server_catalogue.py checks uvicorn's Config).
    "uvicorn.sh": Expect(SERVERS["uvicorn"], forwarded_request_log=UVICORN_FORWARDED),
    # Under --reload or --workers the SIGTERM goes to uvicorn's supervisor,
    # which stops the server process(es) and exits 0.
    "uvicorn-dev-reload.sh": Expect(
        SERVERS["uvicorn"],
        forwarded_request_log=UVICORN_FORWARDED,
        overrides={"sigterm_exit": 0, "stopped": "Stopping reloader process"},
        because_of=("--reload",),
    ),
    "uvicorn-proxy.sh": Expect(
        SERVERS["uvicorn"],
        forwarded_request_log=UVICORN_FORWARDED,
        overrides={"sigterm_exit": 0, "stopped": "Stopping parent process"},
        because_of=("--workers",),
    ),
    # uvicorn prepends the root path to every path it receives (the access log
    # shows it): the proxy must strip the prefix, or Django sees it twice.
    "uvicorn-root-path.sh": Expect(
        SERVERS["uvicorn"],
        forwarded_request_log=r'INFO: +203\.0\.113\.7:0 - "GET /app/polls/async/ HTTP/1\.1" 200 OK',
        root_path="/app",
    ),
    "gunicorn.sh": Expect(SERVERS["gunicorn"]),
    # Without --proxy-headers Daphne logs the proxy's own address.
    "daphne.sh": Expect(
        SERVERS["daphne"],
        forwarded_request_log=r'127\.0\.0\.1:\d+ - - \[[^\]]+\] "GET /polls/async/" 200',
    ),
    "daphne-proxy.sh": Expect(
        SERVERS["daphne"],
        forwarded_request_log=r'203\.0\.113\.7:0 - - \[[^\]]+\] "GET /polls/async/" 200',
    ),
    # Daphne, Hypercorn and Granian set root_path without touching the path:
    # Django strips the prefix if the path has it, so both forms are served.
    "daphne-root-path.sh": Expect(
        SERVERS["daphne"],
        forwarded_request_log=r'127\.0\.0\.1:\d+ - - \[[^\]]+\] "GET /polls/async/" 200',
        root_path="/app",
        serves_prefixed_path=True,
    ),
    "hypercorn.sh": Expect(SERVERS["hypercorn"]),
    "hypercorn-root-path.sh": Expect(
        SERVERS["hypercorn"], root_path="/app", serves_prefixed_path=True
    ),
    "hypercorn-workers.sh": Expect(
        SERVERS["hypercorn"],
        because_of=("--workers",),
        overrides={
            "graceful": False,
            "not_graceful_because": (
                "with --workers 2, Hypercorn's parent terminates the remaining workers as "
                "soon as the first one (the idle one) has exited"
            ),
        },
    ),
    "granian.sh": Expect(SERVERS["granian"]),
    "granian-lifespan.sh": Expect(SERVERS["granian"]),
    "granian-root-path.sh": Expect(SERVERS["granian"], root_path="/app", serves_prefixed_path=True),
    # Granian's own proxy-headers wrapper (granian.utils.proxies, in
    # mysite/asgi_proxied.py) trusts X-Forwarded-For from 127.0.0.1: its
    # access log (on with --access-log) shows the forwarded client.
    "granian-proxy.sh": Expect(
        SERVERS["granian"],
        forwarded_request_log=r'\] 203\.0\.113\.7 - "GET /polls/async/ HTTP/1\.1" 200 ',
        overrides={"access_log": True},
        because_of=("--access-log",),
    ),
    # Gunicorn's own ASGI worker (Gunicorn 27): no uvicorn inside. It runs the
    # lifespan hooks and logs nothing when the application lacks lifespan (a
    # debug line only); it answers an HTTP/2 preface with a 400 and logs
    # nothing; it passes --root-path on, without touching the path.
    "gunicorn-asgi.sh": Expect(
        SERVERS["gunicorn"],
        overrides={"http2_refused": None},
        because_of=("--worker-class",),
    ),
    "gunicorn-asgi-root-path.sh": Expect(
        SERVERS["gunicorn"],
        root_path="/app",
        serves_prefixed_path=True,
        overrides={"http2_refused": None, "root_path_reaches_app": True},
        because_of=("--worker-class",),
    ),
}
"""``{snippet file name: Expect}``: one entry for each ``snippets/servers/*.sh``."""


def server_name(snippet_name):
    """The server a snippet file runs, from its name: ``uvicorn-proxy.sh`` -> ``uvicorn``."""
    return snippet_name.removesuffix(".sh").split("-")[0]


def snippet_path(snippet_name):
    """The path of the server command snippet named ``snippet_name``."""
    return SERVER_SNIPPETS_DIR / snippet_name


def snippet_workers(snippet_name):
    """How many worker processes the snippet's command starts, read from the command."""
    return SNIPPETS[snippet_name].server.workers(parse_command(snippet_path(snippet_name)))


REQUIREMENTS = ("example.txt", "servers.txt")
"""The files under ``requirements/`` that pin the servers the tests run."""


def pinned_versions():
    """``{distribution: version}`` pinned (``name==version``) in :data:`REQUIREMENTS`."""
    pins = {}
    for name in REQUIREMENTS:
        for line in (ROOT / "requirements" / name).read_text(encoding="utf-8").splitlines():
            line = line.split("#", 1)[0].strip()
            if not line or line.startswith("-"):
                continue
            requirement = Requirement(line)
            exact = [spec.version for spec in requirement.specifier if spec.operator == "=="]
            if exact:
                pins[canonicalize_name(requirement.name)] = exact[0]
    return pins


# The WebSockets how-to (docs/howto/websockets.md): each server serving the
# Channels router, mysite.asgi_channels:application. tests/test_websockets.py
# runs the same commands over a real WebSocket client.
SNIPPETS.update(
    {
        "uvicorn-channels.sh": Expect(SERVERS["uvicorn"], forwarded_request_log=UVICORN_FORWARDED),
        "daphne-channels.sh": Expect(
            SERVERS["daphne"],
            forwarded_request_log=r'127\.0\.0\.1:\d+ - - \[[^\]]+\] "GET /polls/async/" 200',
        ),
        "hypercorn-channels.sh": Expect(SERVERS["hypercorn"]),
        "granian-channels.sh": Expect(SERVERS["granian"]),
        "gunicorn-channels.sh": Expect(SERVERS["gunicorn"]),
    }
)
WEBSOCKET_SNIPPETS = [
    "uvicorn-channels.sh",
    "daphne-channels.sh",
    "hypercorn-channels.sh",
    "granian-channels.sh",
    "gunicorn-channels.sh",
]
"""The commands of the WebSockets how-to, in the order the page shows them."""

# docs/servers/uvicorn.md: --timeout-graceful-shutdown caps the wait for requests
# in flight at SIGTERM (its page output, snippets/server_pages/output/
# uvicorn-graceful-timeout.out, shows a longer stream cut); the behaviour tests'
# short stream still completes within it.
SNIPPETS.update(
    {
        "uvicorn-graceful-timeout.sh": Expect(
            SERVERS["uvicorn"], forwarded_request_log=UVICORN_FORWARDED
        ),
    }
)
