"""Run Debian's nginx, unprivileged, with the configuration the pages show.

The pages include the files under ``snippets/nginx/`` as they are. The tests
render the same files, changing only the values a reader changes too
(:data:`PLACEHOLDERS`: the addresses, the ports, the certificate, the
folders), and run nginx with them:

- as the ``nobody`` user when the tests run as root (never as root), as the
  current user otherwise;
- from a temporary folder of its own (``-p``), which holds the main
  configuration (:data:`MAIN_CONF`, standing for Debian's
  ``/etc/nginx/nginx.conf``), the rendered site, the pid file, the temporary
  folders and both logs;
- in the foreground (``daemon off``), in a process group of its own, which
  :meth:`Nginx.stop` kills whatever happened (also when a test failed).
"""

import os
import re
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

from guide.paths import EXAMPLE_DIR, SNIPPETS
from guide.servers.commands import parse_command
from guide.services.base import ServerError, Service
from guide.services.privileges import drop_root
from guide.services.processes import ServerProcess, free_port, port_is_open

NGINX = os.environ.get("NGINX", "/usr/sbin/nginx")
NGINX_SNIPPETS = SNIPPETS / "nginx"
UNPRIVILEGED_USER = "nobody"

PLACEHOLDERS = {
    "upstream": "127.0.0.1:8000",
    "second_upstream": "127.0.0.1:8001",
    "https_listen": "listen 443 ssl;",
    "http_listen": "listen 80;",
    "certificate": "/etc/ssl/certs/example.com.pem",
    "certificate_key": "/etc/ssl/private/example.com.key",
    "static_root": "/srv/mysite/staticfiles/",
    "private_root": "/srv/mysite/private/",
}
"""``{name: the exact text in the snippet files}``: what a reader changes, and
the only text :func:`render` replaces (each snippet's first comment names them)."""

MAIN_CONF = """\
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log info;
events {{
    worker_connections 256;
}}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {dir}/access.log;
    client_body_temp_path {dir}/client_body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    include {dir}/site.conf;
}}
"""
"""The main configuration: what Debian's ``/etc/nginx/nginx.conf`` does for a
site (types, logs, temporary folders), with every path in the temporary folder."""

_SECTION = re.compile(
    r"^[ \t]*# --8<-- \[start:(?P<name>[\w-]+)\]\n(?P<body>.*?)^[ \t]*# --8<-- \[end:(?P=name)\]\n",
    re.M | re.S,
)


def snippet(name):
    """The text of ``snippets/nginx/<name>``."""
    return (NGINX_SNIPPETS / name).read_text(encoding="utf-8")


def sections(text):
    """``{name: body}`` of the ``# --8<-- [start:name]`` sections of a snippet."""
    return {m["name"]: m["body"] for m in _SECTION.finditer(text)}


def render(name, replace_sections=None, **values):
    """The snippet file ``name`` with the :data:`PLACEHOLDERS` in ``values`` filled in.

    ``replace_sections`` maps a section's name to the text that takes its
    place (``""`` drops it): what a page tells the reader to do ("instead of
    ``location /``"). Raises :class:`ValueError` for an unknown placeholder or
    section, or a placeholder that is not in the file.
    """
    text = snippet(name)
    for section, body in (replace_sections or {}).items():
        found = sections(text)
        if section not in found:
            raise ValueError(f"snippets/nginx/{name} has no section {section!r}")
        text = _SECTION.sub(
            lambda m, section=section, body=body: body if m["name"] == section else m[0], text
        )
    for key, value in values.items():
        if key not in PLACEHOLDERS:
            raise ValueError(f"{key!r} is not a documented placeholder: {sorted(PLACEHOLDERS)}")
        if PLACEHOLDERS[key] not in text:
            raise ValueError(f"snippets/nginx/{name} does not contain {PLACEHOLDERS[key]!r}")
        text = text.replace(PLACEHOLDERS[key], str(value))
    return text


def shared_dir(prefix):
    """A new temporary folder that the unprivileged nginx can read (mode 0755)."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    path.chmod(0o755)
    return path


def self_signed_certificate(folder, host="example.com"):
    """``(certificate, key)``: a self-signed certificate for ``host``, made by openssl."""
    folder = Path(folder)
    cert, key = folder / f"{host}.pem", folder / f"{host}.key"
    result = subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "2",
            "-subj",
            f"/CN={host}",
            "-addext",
            f"subjectAltName=DNS:{host}",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    if result.returncode != 0:
        raise ServerError(f"openssl could not make a certificate:\n{result.stderr}")
    key.chmod(0o644)  # a throwaway key, read by the unprivileged nginx
    return cert, key


class Nginx(Service):
    """One nginx serving ``site`` (the rendered snippets), listening on ``ports``.

    Its folder (:attr:`dir`) stays after :meth:`stop`, for the test to read or remove.
    """

    start_timeout = 15.0
    poll_interval = 0.02
    stdin = subprocess.DEVNULL

    def __init__(self, site, ports):
        self.site = site
        self.ports = list(ports)
        self.dir = self.cwd = shared_dir("nginx-")
        self.log_path = self.dir / "stderr.log"

    @property
    def error_log(self):
        return self.dir / "error.log"

    def output(self):
        """What nginx wrote to its error log and its stderr so far."""
        text = self.error_log.read_text(errors="replace") if self.error_log.exists() else ""
        return text + super().output()

    def errors(self):
        """What nginx wrote to its error log (and its stderr) so far."""
        return self.output()

    def details(self):
        return f"{self.output()}\nsite.conf:\n{self.site}"

    def prepare(self):
        (self.dir / "nginx.conf").write_text(MAIN_CONF.format(dir=self.dir))
        (self.dir / "site.conf").write_text(self.site)
        self.run_as = drop_root(UNPRIVILEGED_USER, program="nginx")
        if self.run_as is not None:
            self.run_as.chown(self.dir, *self.dir.iterdir())
        if not shutil.which(NGINX):
            raise ServerError(f"{NGINX} not found: install Debian's nginx package")
        return [
            NGINX,
            "-e", str(self.error_log),
            "-p", str(self.dir),
            "-c", str(self.dir / "nginx.conf"),
            "-g", "daemon off;",
        ]  # fmt: skip

    def ready(self):
        return all(port_is_open(port) for port in self.ports)

    def awaited(self):
        return f"nginx to listen on {self.ports}"


def site(upstream, certificate, key, static_root, private_root, replace_sections=None):
    """``mysite.conf`` rendered for a test: ``(text, https_port, http_port)`` on free ports."""
    https_port, http_port = free_port(), free_port()
    text = render(
        "mysite.conf",
        replace_sections=replace_sections,
        upstream=upstream,
        https_listen=f"listen 127.0.0.1:{https_port} ssl;",
        http_listen=f"listen 127.0.0.1:{http_port};",
        certificate=certificate,
        certificate_key=key,
        static_root=f"{static_root}/",
        private_root=f"{private_root}/",
    )
    return text, https_port, http_port


SOCKET_PLACEHOLDER = "/run/mysite/mysite.sock"
"""The Unix socket path in the ``*-uds.sh`` commands and in the upstream a reader writes
(``server unix:/run/mysite/mysite.sock;``): the tests put a socket of their own there."""


def socket_is_open(path):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(str(path)) == 0


class UnixSocketServer(ServerProcess):
    """A :class:`~guide.services.processes.ServerProcess` that listens on a Unix socket, not a port."""

    def __init__(self, argv, socket_path, env=None, log_path=None, cwd=EXAMPLE_DIR):
        self.socket_path = Path(socket_path)
        if log_path is None:
            log_path = self.socket_path.with_suffix(".log")
        super().__init__(argv, None, env=env, log_path=log_path, cwd=cwd)

    @property
    def url(self):
        return f"unix:{self.socket_path}"

    def listening(self):
        return self.socket_path.exists() and socket_is_open(self.socket_path)


def socket_argv(path, socket_path):
    """The ``*-uds.sh`` snippet's command, bound to ``socket_path`` instead of the placeholder."""
    argv = parse_command(path)
    swapped = [token.replace(SOCKET_PLACEHOLDER, str(socket_path)) for token in argv]
    if swapped == argv:
        raise ValueError(f"{path} does not name the socket {SOCKET_PLACEHOLDER}")
    return swapped


ROLLING_FIX = " max_fails=0;"
"""What ``rolling-upstream.conf`` adds to each ``server`` line of the upstream block."""


def two_instance_site(ports, certificate, key, static_root, private_root, fixed=True):
    """``mysite.conf`` with ``rolling-upstream.conf`` for its upstream, the instances on ``ports``.

    ``fixed=False``: the same block without :data:`ROLLING_FIX`, nginx's defaults
    (``max_fails=1``, ``fail_timeout=10s``). Returns ``(text, https_port, http_port)``.
    """
    first, second = ports
    upstream = render("rolling-upstream.conf", second_upstream=f"127.0.0.1:{second}")
    if not fixed:
        if upstream.count(ROLLING_FIX) != 2:
            raise ValueError(f"rolling-upstream.conf: expected {ROLLING_FIX!r} on each server")
        upstream = upstream.replace(ROLLING_FIX, ";")
    return site(
        f"127.0.0.1:{first}",
        certificate,
        key,
        static_root,
        private_root,
        replace_sections={"upstream": upstream},
    )
