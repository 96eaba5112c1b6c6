"""Check a server command line against what the guide's tests observed: :func:`check`.

The page ``docs/howto/check-server-command.md`` runs this module in the reader's
browser (the runtime ships this very file, with :mod:`guide.servers.catalogue`,
its ``servers.toml`` and :mod:`guide.servers.command_line`; see
``guide.browser_build.build.GUIDE_MODULES``), so it imports nothing that reads the
checkout. Each finding states one fact that a test asserts, and links to the
page that shows it; ``tests/once/test_command_check.py`` ties each kind of
finding to that fact (the catalogue field, the snippet's expectations or the
server-facts test) and runs a command that triggers it.

Levels: ``problem`` (the command does not do what it seems to: the server
refuses it, or Django does not get what the option sets), ``warning`` (it works,
with a cost the page explains), ``note`` (what to know behind a proxy).
"""

import json
import re
from dataclasses import asdict, dataclass

from guide.servers.catalogue import SERVERS
from guide.servers.command_line import APPLICATION, SHELL_OPERATORS, CommandError, join_lines, words

PROBLEM, WARNING, NOTE = "problem", "warning", "note"
LEVELS = (PROBLEM, WARNING, NOTE)

NAMES = {
    "uvicorn": "uvicorn",
    "gunicorn": "Gunicorn",
    "daphne": "Daphne",
    "hypercorn": "Hypercorn",
    "granian": "Granian",
}
"""How the pages name each server of the catalogue."""

UVICORN_WORKER = "uvicorn_worker.UvicornWorker"
"""The worker class the Gunicorn entry of the catalogue was observed with."""
GUNICORN_ASGI_WORKER = "asgi"
"""Gunicorn's own ASGI worker (``gunicorn-asgi*.sh``)."""
DEPRECATED_WORKERS = ("uvicorn.workers.UvicornWorker", "uvicorn.workers.UvicornH11Worker")
"""The worker classes of ``uvicorn/workers.py``, which warns on import that it is deprecated."""

PREFIX_KEPT = {"uvicorn": False, "daphne": True, "hypercorn": True, "granian": True, "asgi": True}
"""Per server (``asgi``: Gunicorn's own worker), whether a request whose path still
carries the root path is served: the ``serves_prefixed_path`` of its
``*-root-path.sh`` snippet (uvicorn prepends the root path to every path instead)."""

DEFAULT_ATTRIBUTE = {"gunicorn": "application", "hypercorn": "app", "granian": "app"}
"""The attribute a server loads given a module without ``:attribute``; uvicorn and Daphne
refuse one (``tests/django/test_server_facts.py``, ``DEFAULT_ATTRIBUTE``)."""

WORKERS_NOT_GRACEFUL = {"hypercorn"}
"""Servers whose graceful shutdown the tests saw break with more than one worker
(``hypercorn-workers.sh``: ``graceful = False`` with ``--workers 2``)."""

# Options that take a value, across the five servers: the first word that is neither
# an option nor one of their values is the application.
VALUE_OPTIONS = {
    *("-b", "--bind", "--host", "-p", "--port", "-u", "--uds", "--fd", "--unix-socket"),
    *("-k", "--worker-class", "-w", "--workers", "--threads", "--interface", "--http"),
    *("--root-path", "--url-path-prefix", "--forwarded-allow-ips", "--reload-dir"),
    *("--reload-paths", "--log-level", "--log-config", "--env-file", "--access-logfile"),
    *("--error-logfile", "--timeout", "--graceful-timeout", "--keep-alive", "-c", "--config"),
    *("--timeout-graceful-shutdown", "--timeout-keep-alive", "--limit-concurrency"),
    *("--certfile", "--keyfile", "--ssl-certfile", "--ssl-keyfile", "--ssl-certificate"),
    *("-e", "--env", "--pid", "--chdir", "--app-dir", "--loop", "--lifespan", "--ws"),
    *("--proxy-headers-trusted-hosts", "--workers-kill-timeout", "--blocking-threads"),
    *("--application-close-timeout", "--websocket-timeout", "--ping-interval"),
    *("--ping-timeout", "--http-timeout", "--max-requests", "--backlog", "--name"),
}
# Daphne's --access-log takes a file; Granian's is a flag.
VALUE_OPTIONS_OF = {"daphne": {"--access-log", "-v", "--verbosity", "-e", "--endpoint"}}

PYTHON = re.compile(r"(.*/)?python(\d+(\.\d+)?)?")
ASSIGNMENT = re.compile(r"[A-Za-z_]\w*=.*")
MODULE = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*")
RUNNERS = (("uv", "run"), ("poetry", "run"), ("pipenv", "run"))


@dataclass(frozen=True)
class Finding:
    kind: str
    """What was found (the tests trigger each kind)."""
    level: str
    """One of :data:`LEVELS`."""
    message: str
    """One line; options and values in backticks."""
    page: str
    """The page (and heading) that shows it, from the site's root: ``servers/uvicorn/#workers``."""


@dataclass(frozen=True)
class Report:
    server: str
    """The catalogue's name of the server the command starts."""
    argv: tuple
    """The command as the server gets it (``python -m``, ``exec``, variables left out)."""
    findings: tuple
    """:class:`Finding` records, problems first."""

    @property
    def page(self):
        return f"servers/{self.server}/"


class Options:
    """The options of one server's argv, read as its command-line parser would."""

    def __init__(self, server, argv):
        self.server = server
        self.argv = list(argv)
        takes_value = VALUE_OPTIONS | VALUE_OPTIONS_OF.get(server, set())
        self.options = []  # (name, value or None)
        self.positional = []
        tokens = iter(self.argv[1:])
        for token in tokens:
            if token.startswith("--") and "=" in token:
                name, _, value = token.partition("=")
                self.options.append((name, value))
            elif token.startswith("-") and token != "-":
                value = next(tokens, None) if token in takes_value else None
                self.options.append((token, value))
            else:
                self.positional.append(token)

    def has(self, *names):
        return any(name in names for name, _ in self.options)

    def value(self, *names):
        """The last value given to one of ``names`` (the last one wins), else None."""
        values = [value for name, value in self.options if name in names and value is not None]
        return values[-1] if values else None

    def workers(self):
        """How many worker processes: the catalogue's reading of the command; None if unreadable."""
        try:
            return SERVERS[self.server].workers(self.argv)
        except (ValueError, IndexError):
            return None


def command_argv(text):
    """The server command in ``text`` (pasted from a page, a terminal or a Dockerfile) as argv.

    Raises :class:`CommandError` with a one-line message a reader can act on.
    """
    lines = [line.removeprefix("$ ") for line in str(text).splitlines()]
    try:
        commands = join_lines("\n".join(lines))
    except CommandError:
        raise CommandError(
            "The last line ends with a backslash: paste the whole command."
        ) from None
    if not commands:
        raise CommandError("Paste a server command, such as `uvicorn mysite.asgi:application`.")
    if len(commands) > 1:
        raise CommandError(f"Paste one command at a time: this text has {len(commands)}.")
    try:
        argv = words(commands[0])
    except CommandError:
        raise CommandError(
            "The quotes or backslashes do not balance: the shell could not read this command."
        ) from None
    operators = sorted(SHELL_OPERATORS.intersection(argv))
    if operators:
        raise CommandError(
            f"Paste the server command alone, without the shell's {' '.join(operators)}."
        )
    while argv and (argv[0] == "exec" or ASSIGNMENT.fullmatch(argv[0])):
        argv = argv[1:]
    if tuple(argv[:2]) in RUNNERS:
        argv = argv[2:]
    if len(argv) >= 3 and PYTHON.fullmatch(argv[0]) and argv[1] == "-m":
        argv = argv[2:]
    if not argv:
        raise CommandError("Paste a server command, such as `uvicorn mysite.asgi:application`.")
    program = argv[0].rsplit("/", 1)[-1]
    if program not in SERVERS:
        known = ", ".join(NAMES[name] for name in SERVERS)
        if PYTHON.fullmatch(program) and "runserver" in argv:
            raise CommandError(
                f"That is Django's `runserver`; this page checks the commands of {known}."
            )
        raise CommandError(f"`{program}` is not a server this guide covers: {known}.")
    return [program, *argv[1:]]


def check(text):
    """The :class:`Report` of the server command in ``text``; :class:`CommandError` if there is none."""
    argv = command_argv(text)
    server = argv[0]
    options = Options(server, argv)
    findings = [*_application(options), *FINDERS[server](options)]
    findings.sort(key=lambda finding: LEVELS.index(finding.level))
    return Report(server=server, argv=tuple(argv), findings=tuple(findings))


def check_json(text):
    """:func:`check` as JSON, for the page: ``{server, name, page, argv, findings}`` or ``{error}``."""
    try:
        report = check(text)
    except CommandError as error:
        return json.dumps({"error": str(error)})
    except Exception as error:  # noqa: BLE001 - the page shows one line, never a traceback
        return json.dumps({"error": f"The checker could not read this command ({error!r})."})
    return json.dumps(
        {
            "server": report.server,
            "name": NAMES[report.server],
            "page": report.page,
            "argv": list(report.argv),
            "findings": [asdict(finding) for finding in report.findings],
        }
    )


# --- The findings, per server -------------------------------------------------------

APPLICATION_PAGE = "howto/application-object/#the-path-servers-take-mysiteasgiapplication"


def _application(options):
    """The application path: ``module:attribute``, or what the server does without one."""
    name = NAMES[options.server]
    if any(APPLICATION.fullmatch(word) for word in options.positional):
        return
    modules = [word for word in options.positional if MODULE.fullmatch(word)]
    if not modules:
        yield Finding(
            "no-application",
            PROBLEM,
            "No application path: give Django's as `mysite.asgi:application`.",
            APPLICATION_PAGE,
        )
    elif DEFAULT_ATTRIBUTE.get(options.server) == "application":
        yield Finding(
            "module-without-attribute",
            NOTE,
            f"Given only a module, {name} loads its `application`, the name Django's "
            f"`asgi.py` uses; other servers differ: write `{modules[0]}:application`.",
            APPLICATION_PAGE,
        )
    elif options.server in DEFAULT_ATTRIBUTE:
        yield Finding(
            "module-without-attribute",
            PROBLEM,
            f"Given only a module, {name} loads its `{DEFAULT_ATTRIBUTE[options.server]}`, "
            f"which Django's `asgi.py` does not define: write `{modules[0]}:application`.",
            APPLICATION_PAGE,
        )
    else:
        yield Finding(
            "module-without-attribute",
            PROBLEM,
            f"{name} refuses a path without `:attribute`: write `{modules[0]}:application`.",
            APPLICATION_PAGE,
        )


def _refused_options(options):
    """Options the catalogue says the server does not have (it stops with an error)."""
    server = SERVERS[options.server]
    refused = []
    if server.reload_option is None and options.has("--reload"):
        refused.append("--reload")
    if not server.workers_options and options.has("--workers"):
        refused.append("--workers")
    for option in refused:
        yield Finding(
            "option-refused",
            PROBLEM,
            f"{NAMES[options.server]} has no `{option}`: it stops with "
            f"`{server.unknown_option_error.format(option=option)}`.",
            "servers/#the-differences-in-one-table",
        )


def _root_path(options, kept, page):
    """The note on the root path: who strips the prefix, the proxy or nobody."""
    server = SERVERS[options.server]
    prefix = options.value(server.root_path_option)
    if prefix is None:
        return
    if kept:
        yield Finding(
            "root-path-kept",
            NOTE,
            f"`{server.root_path_option} {prefix}` sets the root path without changing the "
            f"path: have the proxy pass the `{prefix}` prefix on.",
            "howto/reverse-proxy/#serve-under-a-sub-path-root_path",
        )
    else:
        yield Finding(
            "root-path-added",
            NOTE,
            f"uvicorn adds `{prefix}` to every path it receives: the proxy must strip the "
            "prefix, or Django sees it twice and answers 404.",
            page,
        )


def _uvicorn(options):
    page = "servers/uvicorn/"
    workers = options.workers()
    if options.has("--reload") and workers is not None and workers > 1:
        yield Finding(
            "reload-ignores-workers",
            WARNING,
            f"With `--reload`, `--workers {workers}` is ignored: uvicorn starts one server "
            "process and warns. Use `--reload` in development only.",
            page + "#development-reload",
        )
    if not options.has("--no-proxy-headers") and options.value("--forwarded-allow-ips") is None:
        yield Finding(
            "forwarded-loopback-only",
            NOTE,
            "uvicorn trusts `X-Forwarded-For` and `X-Forwarded-Proto` only from 127.0.0.1 and "
            "::1 (or `$FORWARDED_ALLOW_IPS`): if the proxy runs on another host, add "
            "`--forwarded-allow-ips` with its address.",
            page + "#behind-a-proxy-proxy-headers-and-root-path",
        )
    yield from _root_path(
        options, PREFIX_KEPT["uvicorn"], page + "#behind-a-proxy-proxy-headers-and-root-path"
    )


def _gunicorn(options):
    page = "servers/gunicorn/"
    worker = options.value("-k", "--worker-class")
    if worker is None:
        yield Finding(
            "no-worker-class",
            PROBLEM,
            "No `-k`: Gunicorn runs its default `sync` worker, a WSGI worker, and Django's "
            f"ASGI application answers 500. Give `-k {UVICORN_WORKER}` (or "
            f"`--worker-class {GUNICORN_ASGI_WORKER}`).",
            page + "#run-the-application",
        )
    elif worker in DEPRECATED_WORKERS:
        yield Finding(
            "deprecated-worker",
            WARNING,
            f"`{worker}` is deprecated (uvicorn warns when it is imported): use "
            f"`{UVICORN_WORKER}`, from the uvicorn-worker package.",
            page,
        )
    elif worker == UVICORN_WORKER:
        server = SERVERS["gunicorn"]
        if options.has(server.reload_option) and not server.reload_restarts:
            yield Finding(
                "reload-does-not-restart",
                WARNING,
                "`--reload` does not restart the uvicorn workers: each logs "
                f"`{server.reload_noticed.strip()}` and keeps the code it loaded. "
                "For development, run uvicorn with `--reload`.",
                page + "#development-reload",
            )
        prefix = options.value(server.root_path_option)
        if prefix is not None and not server.root_path_reaches_app:
            yield Finding(
                "root-path-not-passed",
                PROBLEM,
                f"The uvicorn worker does not pass `{server.root_path_option} {prefix}` on: "
                "Django's `SCRIPT_NAME` stays empty and `reverse()` leaves out the prefix.",
                page + "#behind-a-proxy-proxy-headers-and-root-path",
            )
    elif worker == GUNICORN_ASGI_WORKER:
        yield from _root_path(options, PREFIX_KEPT["asgi"], page + "#gunicorns-own-asgi-worker")
    else:
        yield Finding(
            "untested-worker",
            NOTE,
            f"The guide tests Gunicorn with `-k {UVICORN_WORKER}` and `--worker-class "
            f"{GUNICORN_ASGI_WORKER}`, not `{worker}`.",
            page,
        )


def _daphne(options):
    page = "servers/daphne/"
    server = SERVERS["daphne"]
    yield from _refused_options(options)
    if not server.graceful:
        yield Finding(
            "not-graceful",
            WARNING,
            f"{server.not_graceful_because}: a restart cuts the requests in flight.",
            page + "#graceful-shutdown-there-is-none",
        )
    if options.has("--proxy-headers"):
        yield Finding(
            "proxy-headers-any-client",
            WARNING,
            "With `--proxy-headers` Daphne trusts `X-Forwarded-For` from any client, not "
            "only the proxy: bind it where only the proxy reaches it.",
            page + "#behind-a-proxy-proxy-headers-and-root-path",
        )
    else:
        yield Finding(
            "proxy-headers-off",
            NOTE,
            "Without `--proxy-headers` Daphne ignores `X-Forwarded-For`: behind a proxy, "
            "Django sees the proxy's address as the client's.",
            page + "#behind-a-proxy-proxy-headers-and-root-path",
        )
    yield from _root_path(options, PREFIX_KEPT["daphne"], page)


def _hypercorn(options):
    page = "servers/hypercorn/"
    workers = options.workers()
    if "hypercorn" in WORKERS_NOT_GRACEFUL and workers is not None and workers > 1:
        yield Finding(
            "workers-not-graceful",
            WARNING,
            f"With `--workers {workers}`, SIGTERM can cut requests in flight: once the idle "
            "workers have exited, Hypercorn's parent terminates the busy ones.",
            page + "#workers",
        )
    yield from _root_path(options, PREFIX_KEPT["hypercorn"], page)


def _granian(options):
    yield from _root_path(options, PREFIX_KEPT["granian"], "servers/granian/")


FINDERS = {
    "uvicorn": _uvicorn,
    "gunicorn": _gunicorn,
    "daphne": _daphne,
    "hypercorn": _hypercorn,
    "granian": _granian,
}
"""Per server of the catalogue, its findings for an :class:`Options`."""
