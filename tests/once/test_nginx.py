"""nginx in front of the servers, for real: the configuration the pages show, as written.

Debian's nginx runs unprivileged (:mod:`guide.services.nginx`) with ``snippets/nginx/mysite.conf``
rendered (only its documented placeholders filled in: ports, upstream address,
certificate, folders), in front of the server commands the pages show
(``snippets/server_commands/*.sh``, ``snippets/nginx/*-uds.sh``) running the example
with its production settings. The client is httpx over HTTPS from 127.0.0.2, so
that the client address a server reports tells nginx's (127.0.0.1) from the
client's. Every server and nginx is started once for the module.

What the pages' claims rest on:

- each server answers through nginx, over TCP and (uvicorn, Gunicorn) over a Unix
  socket; ``request.is_secure()``, ``build_absolute_uri()`` and the client address
  come from the headers nginx sets, never from the forged ones a client sends;
- a CSRF-protected POST passes with the page's settings, and fails from another origin;
- Django under ``/app/``, the prefix stripped or passed on, on each server: what
  ``request.path``, ``reverse()``, the ``APPEND_SLASH`` redirect and the admin's
  ``?next=`` give (the table on the reverse-proxy page is checked against it);
- static files from ``STATIC_ROOT`` and a private file (``X-Accel-Redirect``) are
  sent by nginx, not by Python;
- server-sent events arrive as they are sent; WebSocket handshakes pass with the
  page's ``/ws/`` location and fail without it;
- ``client_max_body_size`` (413, nginx) and ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (400, Django);
- a client's ``Daphne-Root-Path`` header changes Daphne's ``root_path``, and the
  page's ``proxy_set_header Daphne-Root-Path ""`` removes it.
"""

import re
import shutil
import socket
import ssl
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.core import signing
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from guide.paths import DOCS, SNIPPETS
from guide.servers.commands import application_of, command_env, parse_command, server_argv
from guide.services import nginx
from guide.services.processes import (
    ServerError,
    ServerProcess,
    free_port,
    manage,
    migrated_database,
)
from helpers import production_env

# The module's servers start once, in the first test's set-up: time for them
# on a loaded machine.
pytestmark = pytest.mark.timeout(600)

SECRET_KEY = "nginx-tests-" + "k" * 50
HOST = "example.com"
CLIENT = "127.0.0.2"
WS_APP = "mysite.asgi_websocket:application"
SERVERS_DIR = SNIPPETS / "server_commands"
PRIVATE_NAME = "report 2026.txt"
PRIVATE_BODY = b"for staff only\n"

# What a client may send to fool Django: nginx must replace or remove each.
FORGED = {
    "X-Forwarded-For": "203.0.113.9",
    "X-Forwarded-Proto": "http",
    "X-Forwarded-Host": "evil.example",
    "Daphne-Root-Path": "/evil",
}

# name: (the command snippet, served over "tcp" or "unix").
# The application is swapped for WS_APP: Django for HTTP, and a WebSocket echo.
UPSTREAMS = {
    "uvicorn": (SERVERS_DIR / "uvicorn.sh", "tcp"),
    "gunicorn": (SERVERS_DIR / "gunicorn.sh", "tcp"),
    "daphne": (SERVERS_DIR / "daphne-proxy.sh", "tcp"),
    "hypercorn": (SERVERS_DIR / "hypercorn.sh", "tcp"),
    "granian": (SERVERS_DIR / "granian.sh", "tcp"),
    "uvicorn-unix": (SNIPPETS / "nginx" / "uvicorn-uds.sh", "unix"),
    "gunicorn-unix": (SNIPPETS / "nginx" / "gunicorn-uds.sh", "unix"),
}
# Each server with its root-path option, as the server pages show it (Gunicorn's
# --root-path does not reach the uvicorn worker: its own command, without one).
ROOT_PATH_UPSTREAMS = {
    "uvicorn": SERVERS_DIR / "uvicorn-root-path.sh",
    "gunicorn": SERVERS_DIR / "gunicorn.sh",
    "daphne": SERVERS_DIR / "daphne-root-path.sh",
    "hypercorn": SERVERS_DIR / "hypercorn-root-path.sh",
    "granian": SERVERS_DIR / "granian-root-path.sh",
}

# The client address each server reports through nginx: the X-Forwarded-For
# nginx sets (the client's, 127.0.0.2) where the server reads it from a trusted
# proxy, nginx's own address where it does not read it at all.
REMOTE_ADDR = {
    "uvicorn": CLIENT,  # proxy headers on by default, trusting 127.0.0.1
    "gunicorn": CLIENT,  # the uvicorn worker, with Gunicorn's forwarded_allow_ips
    "daphne": CLIENT,  # --proxy-headers
    "hypercorn": "127.0.0.1",  # no proxy-headers option
    "granian": "127.0.0.1",  # proxy headers only through granian.utils.proxies
    # A Unix socket has no client address for uvicorn to check against
    # --forwarded-allow-ips, so it does not trust the header: Django gets no
    # REMOTE_ADDR at all.
    "uvicorn-unix": None,
    "gunicorn-unix": None,
}


def _swap_app(argv, app):
    return [app if token == application_of(argv) else token for token in argv]


class Stack:
    """The servers, and an nginx per (upstream, configuration), started once."""

    def __init__(self, tmp_path_factory):
        self.certs = nginx.shared_dir("nginx-certs-")
        self.cert, self.key = nginx.self_signed_certificate(self.certs)
        self.static_root = nginx.shared_dir("nginx-static-")
        self.private_root = nginx.shared_dir("nginx-private-")
        (self.private_root / PRIVATE_NAME).write_bytes(PRIVATE_BODY)
        (self.private_root / PRIVATE_NAME).chmod(0o644)
        self.sockets = nginx.shared_dir("nginx-sockets-")
        self.logs = tmp_path_factory.mktemp("nginx-servers")
        self.database = tmp_path_factory.mktemp("nginx-db") / "db.sqlite3"
        self.env = command_env(
            production_env(self.database, self.static_root, HOST, secret_key=SECRET_KEY)
        )
        self.servers = {}
        self.proxies = {}

    def start_servers(self):
        # Both before any server starts (ServeStatic indexes STATIC_ROOT at start-up).
        with ThreadPoolExecutor(2) as pool:
            migrated = pool.submit(migrated_database, self.database)
            collected = pool.submit(manage, "collectstatic", "--no-input", env=self.env)
            migrated.result(), collected.result()
        wanted = {name: self._upstream_process(name, *spec) for name, spec in UPSTREAMS.items()}
        for name, path in ROOT_PATH_UPSTREAMS.items():
            if path == UPSTREAMS.get(name, (None,))[0]:
                continue  # the same command: the same server (WS_APP is Django for HTTP)
            wanted[f"{name}-root"] = self._tcp(path, f"{name}-root")
        self.servers.update(wanted)
        with ThreadPoolExecutor(len(wanted)) as pool:
            for future in [pool.submit(server.start, 180) for server in wanted.values()]:
                future.result()

    def _tcp(self, path, label, app=None):
        port = free_port()
        argv = server_argv(path, port)
        if app:
            argv = _swap_app(argv, app)
        return ServerProcess(argv, port, env=self.env, log_path=self.logs / f"{label}.log")

    def _upstream_process(self, name, path, kind):
        if kind == "tcp":
            return self._tcp(path, name, WS_APP)
        socket_path = self.sockets / f"{name}.sock"
        argv = _swap_app(nginx.socket_argv(path, socket_path), WS_APP)
        return nginx.UnixSocketServer(argv, socket_path, env=self.env)

    def address(self, name):
        """The upstream address nginx is given for server ``name``."""
        server = self.servers.get(name) or self.servers[name.removesuffix("-root")]
        if isinstance(server, nginx.UnixSocketServer):
            return f"unix:{server.socket_path}"
        return f"127.0.0.1:{server.port}"

    def proxy(self, name, variant="site"):
        """``(https base URL, http base URL)`` of an nginx in front of ``name``.

        ``site``: ``mysite.conf`` as written; ``no-websocket``: without its
        ``/ws/`` location; ``strip`` / ``keep``: its ``location /`` replaced by
        ``subpath-strip.conf`` / ``subpath-keep.conf``, as the page says.
        Two controls that no page shows: ``buffered``, without ``proxy_buffering
        off``; ``buffered-ignoring-header``, also ignoring the view's
        ``X-Accel-Buffering: no``.
        """
        key = (name, variant)
        if key not in self.proxies:
            replace = {
                "site": None,
                "buffered": None,
                "buffered-ignoring-header": None,
                "no-websocket": {"websocket": ""},
                "strip": {"proxy": nginx.snippet("subpath-strip.conf")},
                "keep": {"proxy": nginx.snippet("subpath-keep.conf")},
            }[variant]
            text, https_port, http_port = nginx.site(
                self.address(name),
                self.cert,
                self.key,
                self.static_root,
                self.private_root,
                replace_sections=replace,
            )
            if variant.startswith("buffered"):
                ignore = "proxy_ignore_headers X-Accel-Buffering;" if "ignoring" in variant else ""
                assert text.count("proxy_buffering off;") == 1
                text = text.replace("proxy_buffering off;", ignore)
            proxy = nginx.Nginx(text, [https_port, http_port])
            self.proxies[key] = (proxy, https_port, http_port)
            proxy.start()
        _, https_port, http_port = self.proxies[key]
        return f"https://127.0.0.1:{https_port}", f"http://127.0.0.1:{http_port}"

    def close(self):
        for proxy, *_ in self.proxies.values():
            proxy.stop()
        for server in self.servers.values():
            if server.process is not None:
                server.kill()
        for proxy, *_ in self.proxies.values():
            shutil.rmtree(proxy.dir, ignore_errors=True)
        for folder in (self.certs, self.static_root, self.private_root, self.sockets):
            shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    shared = Stack(tmp_path_factory)
    try:
        shared.start_servers()
        yield shared
    finally:
        shared.close()


@pytest.fixture(scope="module")
def nginx_client():
    """The client of nginx: HTTPS from 127.0.0.2, with the Host the site's server_name has.

    (Not tests/conftest.py's ``client``, a plain httpx client for the servers themselves.)
    """
    transport = httpx.HTTPTransport(local_address=CLIENT, verify=False)
    with httpx.Client(transport=transport, headers={"Host": HOST}, timeout=60) as http:
        yield http


# --- Every upstream, through the page's configuration -------------------------------


@pytest.mark.parametrize("name", UPSTREAMS)
def test_forwarded_headers_are_nginx_s_not_the_client_s(stack, nginx_client, name):
    https, _ = stack.proxy(name)
    response = nginx_client.get(https + "/polls/request/", headers=FORGED)
    assert response.status_code == 200, response.text
    assert response.headers["server"].startswith("nginx")
    info = response.json()
    # X-Forwarded-Proto: https (from nginx's $scheme) through SECURE_PROXY_SSL_HEADER;
    # the Host nginx passes on ($host), not the client's X-Forwarded-Host
    # (USE_X_FORWARDED_HOST is off); no Daphne-Root-Path.
    assert info["is_secure"] is True
    assert info["absolute_uri"] == f"https://{HOST}/polls/request/"
    assert info["host"] == HOST
    assert info["reverse"] == "/polls/request/"
    # The client's X-Forwarded-For (203.0.113.9) is replaced by nginx.
    assert info["remote_addr"] == REMOTE_ADDR[name]


def test_a_forged_forwarded_for_from_an_untrusted_client_is_ignored(stack):
    """Straight to uvicorn from 127.0.0.2 (not in --forwarded-allow-ips): the header is ignored."""
    transport = httpx.HTTPTransport(local_address=CLIENT)
    server = stack.servers["uvicorn"]
    with httpx.Client(transport=transport, headers={"Host": HOST}) as direct:
        info = direct.get(
            f"{server.url}/polls/request/", headers={**FORGED, "X-Forwarded-Proto": "https"}
        ).json()
    assert info["remote_addr"] == CLIENT


def test_plain_http_is_redirected_to_https(stack, nginx_client):
    _, http = stack.proxy("uvicorn")
    response = nginx_client.get(http + "/polls/?page=2")
    assert response.status_code == 301
    assert response.headers["location"] == f"https://{HOST}/polls/?page=2"


@pytest.mark.parametrize("name", ["uvicorn", "gunicorn-unix"])
def test_a_csrf_protected_post(stack, nginx_client, name):
    https, _ = stack.proxy(name)
    detail = nginx_client.get(https + "/polls/1/")
    token = detail.cookies["csrftoken"]
    # CSRF_COOKIE_SECURE: the cookie is only sent back over HTTPS.
    assert "secure" in detail.headers["set-cookie"].lower()
    choice = detail.json()["choices"][0]
    headers = {"X-CSRFToken": token, "Cookie": f"csrftoken={token}"}
    voted = nginx_client.post(
        https + "/polls/1/vote/",
        data={"choice": choice["id"]},
        headers={**headers, "Origin": f"https://{HOST}"},
    )
    assert voted.status_code == 200, voted.text
    assert voted.json()["choices"][0]["votes"] == choice["votes"] + 1
    other = nginx_client.post(
        https + "/polls/1/vote/",
        data={"choice": choice["id"]},
        headers={**headers, "Origin": "https://www.example.com"},
    )
    assert other.status_code == 403


# --- Django under /app/ ---------------------------------------------------------------

PREFIX_TABLE_START = "<!-- prefix-table:start (tests/once/test_nginx.py) -->"
PREFIX_TABLE_END = "<!-- prefix-table:end -->"
PREFIX_PAGE = DOCS / "howto" / "reverse-proxy.md"
LABELS = {
    "uvicorn": "uvicorn",
    "gunicorn": "Gunicorn + uvicorn worker",
    "daphne": "Daphne",
    "hypercorn": "Hypercorn",
    "granian": "Granian",
}


def _code(value):
    return f"`{value}`"


def prefix_row(nginx_client, https):
    """What Django gives under ``/app/``: one row of the page's table."""
    info = nginx_client.get(https + "/app/polls/request/")
    if info.status_code != 200:
        return [f"{info.status_code}"] * 4
    slash = nginx_client.get(https + "/app/polls")
    admin = nginx_client.get(https + "/app/admin/")
    assert slash.status_code == 301 and admin.status_code == 302
    next_url = parse_qs(urlsplit(admin.headers["location"]).query)["next"][0]
    return [
        _code(info.json()["path"]),
        _code(info.json()["reverse"]),
        _code(slash.headers["location"]),
        _code(next_url),
    ]


def prefix_table(stack, nginx_client):
    lines = [
        "| server, root-path option | nginx | `request.path` | `reverse()` "
        "| `APPEND_SLASH` redirect | admin login `?next=` |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name, path in ROOT_PATH_UPSTREAMS.items():
        argv = parse_command(path)
        option = next(
            (
                f"{a} {b}"
                for a, b in zip(argv, argv[1:], strict=False)
                if "root-path" in a or "prefix" in a
            ),
            "none reaches the worker",
        )
        for variant, label in [("strip", "strips `/app`"), ("keep", "passes `/app` on")]:
            https, _ = stack.proxy(f"{name}-root", variant)
            cells = prefix_row(nginx_client, https)
            shown = option if option.startswith("none") else f"`{option}`"
            lines.append(f"| {LABELS[name]}, {shown} | {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def test_django_under_a_prefix_on_each_server(stack, nginx_client):
    """The table on the reverse-proxy page is what the servers do (request /app/polls/request/)."""
    table = prefix_table(stack, nginx_client)
    page = PREFIX_PAGE.read_text(encoding="utf-8")
    shown = page.split(PREFIX_TABLE_START, 1)[-1].split(PREFIX_TABLE_END, 1)[0].strip()
    assert shown == table, f"{PREFIX_PAGE.name}: the prefix table should read:\n{table}"


# --- Static and private files -----------------------------------------------------------


def test_static_files_are_served_by_nginx(stack, nginx_client):
    https, _ = stack.proxy("uvicorn")
    plain = nginx_client.get(https + "/static/polls/style.css")
    assert plain.status_code == 200
    assert plain.content == (stack.static_root / "polls" / "style.css").read_bytes()
    assert plain.headers["cache-control"] == "max-age=60, public"
    manifest = (stack.static_root / "staticfiles.json").read_text()
    hashed = re.search(r'"admin/css/base\.css": "(admin/css/base\.[0-9a-f]{12}\.css)"', manifest)[1]
    cached = nginx_client.get(f"{https}/static/{hashed}", headers={"Accept-Encoding": "gzip"})
    assert cached.status_code == 200
    assert cached.headers["cache-control"] == "max-age=315360000, public, immutable"
    # gzip_static: the .gz copy collectstatic wrote beside it.
    assert (stack.static_root / f"{hashed}.gz").is_file()
    assert cached.headers["content-encoding"] == "gzip"
    assert cached.content == (stack.static_root / hashed).read_bytes()
    # Python never saw them: uvicorn's access log has no /static/ line.
    assert "/static/" not in stack.servers["uvicorn"].output()


def _private_link(name):
    signer = signing.TimestampSigner(key=SECRET_KEY, salt="polls.private_file", fallback_keys=[])
    return f"/polls/private/{signer.sign_object(name)}/"


def test_a_private_file_is_sent_by_nginx_after_django_says_yes(stack, nginx_client):
    https, _ = stack.proxy("uvicorn")
    link = _private_link(PRIVATE_NAME)
    response = nginx_client.get(https + link)
    assert response.status_code == 200
    assert response.content == PRIVATE_BODY
    assert response.headers["content-disposition"] == f'attachment; filename="{PRIVATE_NAME}"'
    assert "x-accel-redirect" not in response.headers
    # Straight from the server: an empty body, and the header nginx acts on.
    direct = httpx.get(
        stack.servers["uvicorn"].url + link,
        headers={"Host": HOST, "X-Forwarded-Proto": "https"},
    )
    assert direct.status_code == 200 and direct.content == b""
    assert direct.headers["x-accel-redirect"] == "/protected/report%202026.txt"
    # The internal location is not reachable by a client; a bad link is refused.
    assert nginx_client.get(https + "/protected/" + PRIVATE_NAME).status_code == 404
    assert nginx_client.get(https + link.replace(":", ":x", 1)).status_code == 403


# --- Streaming and WebSocket ---------------------------------------------------------------


def event_arrivals(nginx_client, https, count=3, interval=0.8):
    """Seconds from the request to each server-sent event of ``/polls/stream/``."""
    began, arrivals = time.monotonic(), []
    with nginx_client.stream(
        "GET", f"{https}/polls/stream/?count={count}&interval={interval}"
    ) as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        for line in r.iter_lines():
            if line.startswith("data:"):
                arrivals.append(time.monotonic() - began)
    assert len(arrivals) == count
    return arrivals


@pytest.mark.parametrize(
    ("variant", "streamed"),
    [("site", True), ("buffered", True), ("buffered-ignoring-header", False)],
)
def test_server_sent_events_and_buffering(stack, nginx_client, variant, streamed):
    """The stream takes two intervals (0.8 s each). Streamed: the first event
    arrives at least one interval before the last. Buffered: all together at the end.

    ``proxy_buffering off`` (the page's site file) and the view's
    ``X-Accel-Buffering: no`` each suffice; without both, nginx holds the events.
    """
    https, _ = stack.proxy("uvicorn", variant)
    arrivals = event_arrivals(nginx_client, https)
    spread = arrivals[-1] - arrivals[0]
    if streamed:
        assert spread >= 0.8, arrivals
    else:
        assert spread < 0.1, arrivals


def ws_connect(stack, https, path="/ws/echo/"):
    """A WebSocket to ``https://example.com<path>`` through the nginx at ``https``.

    The URI names example.com (the Host header, and the name the certificate is
    checked against); the TCP connection goes to nginx's port on 127.0.0.1.
    """
    port = int(https.rsplit(":", 1)[1])
    sock = socket.create_connection(("127.0.0.1", port), timeout=20)
    return connect(
        f"wss://{HOST}:{port}{path}",
        sock=sock,
        ssl=ssl.create_default_context(cafile=str(stack.cert)),
        open_timeout=20,
    )


@pytest.mark.parametrize("name", ["uvicorn", "gunicorn", "daphne", "hypercorn", "granian"])
def test_websocket_echo_through_nginx(stack, name):
    https, _ = stack.proxy(name)
    with ws_connect(stack, https) as ws:
        ws.send("hello through nginx")
        assert ws.recv(timeout=10) == "hello through nginx"


def test_without_the_upgrade_headers_the_handshake_fails(stack):
    """The same site without its /ws/ location: nginx drops Upgrade and Connection."""
    https, _ = stack.proxy("uvicorn", "no-websocket")
    with pytest.raises(InvalidStatus) as caught:
        with ws_connect(stack, https):
            pass
    # The server saw a plain GET /ws/echo/, which Django does not route.
    assert caught.value.response.status_code == 404


# --- Request bodies -----------------------------------------------------------------------


def test_request_body_limits(stack, nginx_client):
    https, _ = stack.proxy("uvicorn")
    server = stack.servers["uvicorn"]
    detail = nginx_client.get(https + "/polls/1/")
    token = detail.cookies["csrftoken"]
    headers = {"X-CSRFToken": token, "Cookie": f"csrftoken={token}", "Origin": f"https://{HOST}"}
    posts_seen = server.output().count("POST /polls/1/vote/")
    # Over client_max_body_size (10m): nginx answers, the server never sees it.
    too_big = nginx_client.post(
        https + "/polls/1/vote/", content=b"x" * (10 * 2**20 + 1), headers=headers
    )
    assert too_big.status_code == 413
    assert (
        "client intended to send too large body" in stack.proxies[("uvicorn", "site")][0].errors()
    )
    assert server.output().count("POST /polls/1/vote/") == posts_seen
    # Under it, over DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB): Django answers 400.
    form = "choice=1&padding=" + "x" * (3 * 2**20)
    big = nginx_client.post(
        https + "/polls/1/vote/",
        content=form.encode(),
        headers={**headers, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert big.status_code == 400
    server.wait_for_output("RequestDataTooBig")


# --- Daphne-Root-Path -------------------------------------------------------------------------


def test_a_client_s_daphne_root_path_is_removed_by_nginx(stack, nginx_client):
    server = stack.servers["daphne"]
    headers = {"Host": HOST, "X-Forwarded-Proto": "https", "Daphne-Root-Path": "/evil"}
    direct = httpx.get(server.url + "/polls/request/", headers=headers).json()
    # Any client that reaches Daphne sets the root path Django builds URLs with.
    assert direct["script_name"] == "/evil"
    assert direct["reverse"] == "/evil/polls/request/"
    https, _ = stack.proxy("daphne")
    proxied = nginx_client.get(
        https + "/polls/request/", headers={"Daphne-Root-Path": "/evil"}
    ).json()
    assert proxied["script_name"] == ""
    assert proxied["reverse"] == "/polls/request/"


# --- guide.services.nginx itself -----------------------------------------------------------------------


def _uids(pid):
    """The real and effective user ids of process ``pid``."""
    with open(f"/proc/{pid}/status") as status:
        line = next(line for line in status if line.startswith("Uid:"))
    return {int(uid) for uid in line.split()[1:3]}


def test_nginx_never_runs_as_root(stack):
    stack.proxy("uvicorn")
    for proxy, *_ in stack.proxies.values():
        pids = [proxy.process.pid]
        children = Path(f"/proc/{proxy.process.pid}/task/{proxy.process.pid}/children")
        pids += [int(pid) for pid in children.read_text().split()]
        assert len(pids) == 2  # the master and its one worker
        for pid in pids:
            assert 0 not in _uids(pid)


def test_a_placeholder_that_is_not_documented_is_refused():
    with pytest.raises(ValueError, match="'port' is not a documented placeholder"):
        nginx.render("mysite.conf", port=8080)
    with pytest.raises(ValueError, match="does not contain '127.0.0.1:8000'"):
        nginx.render("subpath-strip.conf", upstream="127.0.0.1:9000")
    with pytest.raises(ValueError, match="has no section 'nope'"):
        nginx.render("mysite.conf", replace_sections={"nope": ""})


def test_a_configuration_nginx_refuses_fails_with_its_message():
    port = free_port()
    broken = nginx.Nginx(f"server {{ listen 127.0.0.1:{port}; proxy_pas http://x; }}\n", [port])
    try:
        with pytest.raises(ServerError, match='unknown directive "proxy_pas"'):
            broken.start()
    finally:
        broken.stop()
        shutil.rmtree(broken.dir, ignore_errors=True)
