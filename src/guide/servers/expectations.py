"""What each server command snippet (``snippets/server_commands/*.sh``) is expected to do.

:data:`EXPECTATIONS` has one :class:`Expect` per snippet file, keyed by file name:
the server it starts (from :mod:`guide.servers.catalogue`), what its options
change about that server, its access-log line. Every snippet file must have an
entry, so a command cannot reach a page untested
(``tests/test_server_catalogue.py`` checks both ways);
``tests/test_server_commands.py`` runs each one and checks it.
"""

from dataclasses import dataclass, field, replace

from guide.servers.catalogue import SERVERS, Server
from guide.servers.commands import SERVER_SNIPPETS_DIR, parse_command


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

EXPECTATIONS = {
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
    # The WebSockets how-to (docs/howto/websockets.md): each server serving the
    # Channels router, mysite.asgi_channels:application. tests/test_websockets.py
    # runs the same commands over a real WebSocket client.
    "uvicorn-channels.sh": Expect(SERVERS["uvicorn"], forwarded_request_log=UVICORN_FORWARDED),
    "daphne-channels.sh": Expect(
        SERVERS["daphne"],
        forwarded_request_log=r'127\.0\.0\.1:\d+ - - \[[^\]]+\] "GET /polls/async/" 200',
    ),
    "hypercorn-channels.sh": Expect(SERVERS["hypercorn"]),
    "granian-channels.sh": Expect(SERVERS["granian"]),
    "gunicorn-channels.sh": Expect(SERVERS["gunicorn"]),
    # docs/servers/uvicorn.md: --timeout-graceful-shutdown caps the wait for requests
    # in flight at SIGTERM (its page output, snippets/server_pages/output/
    # uvicorn-graceful-timeout.out, shows a longer stream cut); the behaviour tests'
    # short stream still completes within it.
    "uvicorn-graceful-timeout.sh": Expect(
        SERVERS["uvicorn"], forwarded_request_log=UVICORN_FORWARDED
    ),
}
"""``{snippet file name: Expect}``: one entry for each ``snippets/server_commands/*.sh``."""


def server_name(snippet_name):
    """The server a snippet file runs, from its name: ``uvicorn-proxy.sh`` -> ``uvicorn``."""
    return snippet_name.removesuffix(".sh").split("-")[0]


def snippet_path(snippet_name):
    """The path of the server command snippet named ``snippet_name``."""
    return SERVER_SNIPPETS_DIR / snippet_name


def snippet_workers(snippet_name):
    """How many worker processes the snippet's command starts, read from the command."""
    return EXPECTATIONS[snippet_name].server.workers(parse_command(snippet_path(snippet_name)))


WEBSOCKET_SNIPPETS = [
    "uvicorn-channels.sh",
    "daphne-channels.sh",
    "hypercorn-channels.sh",
    "granian-channels.sh",
    "gunicorn-channels.sh",
]
"""The commands of the WebSockets how-to, in the order the page shows them."""
