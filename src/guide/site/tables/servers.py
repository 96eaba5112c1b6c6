"""The servers comparison table from the server catalogue.

A page that holds the marker ``<!-- server-table -->`` gets, in its place,
Markdown tables with one row per server of :data:`guide.servers.catalogue.SERVERS`
and one column per fact, the facts in a few groups (:data:`GROUPS`), so that
each table has few columns and reads at 1280 px (and scrolls in its box on a
phone). Every cell written from a field of :class:`guide.servers.catalogue.Server` or of the
snippets' :class:`guide.servers.catalogue.Expect` that ``tests/django/test_server_commands.py``
asserts exactly, and a line naming the versions pinned in ``requirements/``
(the ones the tests install and check they run). A fact the tests do not
check has no field, so it cannot get into the table.
"""

import signal

from guide.servers.catalogue import SERVERS, pinned_versions
from guide.servers.expectations import EXPECTATIONS

MARKER = "<!-- server-table -->"


def _code(text):
    return f"`` {text} ``" if "`" in text else f"`{text}`"


def _exit(status):
    return f"killed by `{signal.Signals(-status).name}`" if status < 0 else f"{status}"


def _varies(server, field, show):
    """``show`` of the server's own value, then of each value an option changes it to."""
    base = show(getattr(server, field))
    variants = []
    for expect in EXPECTATIONS.values():
        if expect.server.name == server.name and field in expect.overrides:
            value = show(expect.overrides[field])
            if value != base:
                options = " ".join(f"`{option}`" for option in expect.because_of)
                variants.append(f"{value} with {options}")
    return "; ".join([base, *variants])


def _prefixed(expect):
    if expect.serves_prefixed_path:
        # tests/once/test_nginx.py: stripped, request.path and redirects lose the prefix.
        return "the proxy must pass the prefix on (stripped, `request.path` loses it)"
    return "the proxy must strip the prefix (passed on: 404)"


def _root_path_cell(option, expect):
    return f"{option}; {_prefixed(expect)}"


def _root_path(server):
    option = _code(server.root_path_option)
    mine = [e for e in EXPECTATIONS.values() if e.server.name == server.name and e.root_path]
    own = [e for e in mine if "root_path_reaches_app" not in e.overrides]
    if not server.root_path_reaches_app:
        base = f"{option} **not** passed to the application"
    else:
        (expect,) = own
        base = _root_path_cell(option, expect)
    # Options that change it (Gunicorn's own ASGI worker passes it on).
    variants = [
        "with " + " ".join(f"`{o}`" for o in e.because_of) + f": passed, {_prefixed(e)}"
        for e in mine
        if "root_path_reaches_app" in e.overrides
    ]
    return "; ".join([base, *variants])


def _reload(server):
    if server.reload_option is None:
        return "none (refuses `--reload`)"
    option = _code(server.reload_option)
    if server.reload_restarts:
        return f"{option}: an edited file restarts the workers"
    return f"{option}: logs {_code(server.reload_noticed.strip())}, but does **not** restart"


def _port_in_use(server):
    attempts = f" after {server.bind_attempts} attempts" if server.bind_attempts > 1 else ""
    return f"exits {server.port_in_use_exit}{attempts}, {_code(server.port_in_use_says)}"


FACTS = [
    (
        "Worker processes",
        lambda s: f"{_code(s.workers_options[0])} N" if s.workers_options else "one (no option)",
    ),
    (
        "Lifespan, plain Django",
        lambda s: (
            _code(s.lifespan_unsupported)
            if s.lifespan_unsupported
            else "not spoken; nothing logged"
        ),
    ),
    (
        "Lifespan hooks of a wrapped app",
        lambda s: "run, once per worker" if s.lifespan_unsupported else "**never run**",
    ),
    (
        "`SIGTERM` with a request in flight",
        lambda s: _varies(s, "graceful", lambda v: "completes" if v else "**cut**"),
    ),
    ("Exit status after `SIGTERM`", lambda s: _varies(s, "sigterm_exit", _exit)),
    (
        "HTTP/2 without TLS (h2c)",
        lambda s: "yes" if s.http2_cleartext else f"no: answers {_code(s.http2_preface_answer)}",
    ),
    ("Root path", _root_path),
    ("Reload for development", _reload),
    ("Access log by default", lambda s: "yes" if s.access_log else "no"),
    ("Port already in use", _port_in_use),
]


"""``[(column title, cell of a server)]``: every fact the tables show."""

GROUPS = [
    (
        "Processes and shutdown",
        [
            "Worker processes",
            "`SIGTERM` with a request in flight",
            "Exit status after `SIGTERM`",
            "Port already in use",
        ],
    ),
    ("Lifespan", ["Lifespan, plain Django", "Lifespan hooks of a wrapped app"]),
    (
        "Behind a proxy, and in development",
        [
            "Root path",
            "HTTP/2 without TLS (h2c)",
            "Reload for development",
            "Access log by default",
        ],
    ),
]
"""``[(table title, [fact titles])]``: one table per group, every fact in one of them."""


def render(pins):
    """The Markdown that replaces the marker."""
    servers = list(SERVERS.values())
    facts = dict(FACTS)
    lines = []
    for title, columns in GROUPS:
        lines += [
            f"**{title}**",
            "",
            "| Server | " + " | ".join(columns) + " |",
            "|---|" + "---|" * len(columns),
        ]
        for server in servers:
            cells = [facts[column](server) for column in columns]
            lines.append(f"| {server.label} | " + " | ".join(cells) + " |")
        lines.append("")
    versions = "; ".join(
        f"{server.label}: " + ", ".join(f"{package} {pins[package]}" for package in server.packages)
        for server in servers
    )
    return "\n".join([*lines, f"Versions (pinned in `requirements/`): {versions}."])


TABLES = {MARKER: (pinned_versions, render)}
