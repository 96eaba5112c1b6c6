"""A rolling restart behind nginx: ``snippets/nginx/rolling-upstream.conf`` against nginx's defaults.

The containers page says why its upstream block has ``max_fails=0``: by default
nginx takes an instance whose connection failed out of the rotation for 10
seconds (``max_fails=1``, ``fail_timeout=10s``), so an instance restarted
within those 10 seconds gets no request, and when the other one stops then,
nginx has none left and answers 502. Here two instances behind the page's
``mysite.conf`` with that upstream block, with and without ``max_fails=0``, go
through the steps of a rolling restart, one request at a time.

What is tested is nginx's behaviour, so the instances are Python's
``http.server``, not the example under a server: each starts again at once, and
every step comes well within ``fail_timeout`` on any machine.
``bench/rolling.py`` does the same with each server's command, under load.
"""

import shutil
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from guide.services import nginx
from guide.services.processes import free_port

pytestmark = pytest.mark.timeout(120)

FAIL_TIMEOUT = 10.0
"""nginx's default ``fail_timeout``: how long an instance stays out of the rotation."""


class Answer(BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"ok\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class Instance:
    """An HTTP server on ``port`` that answers 200, stopped and started again in place."""

    def __init__(self, port):
        self.port, self.server = port, None

    def start(self):
        ThreadingHTTPServer.allow_reuse_address = True
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Answer)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()  # the port refuses connections from now on
            self.server = None


@pytest.fixture(scope="module")
def setting():
    """The certificate and the folders nginx is given."""
    certs = nginx.shared_dir("rolling-certs-")
    static_root = nginx.shared_dir("rolling-static-")
    private_root = nginx.shared_dir("rolling-private-")
    try:
        yield nginx.self_signed_certificate(certs), static_root, private_root
    finally:
        for folder in (certs, static_root, private_root):
            shutil.rmtree(folder, ignore_errors=True)


def answered(url):
    """The status nginx answers ``url`` with (a new connection each time)."""
    with httpx.Client(verify=False, timeout=20) as client:
        return client.get(url).status_code


def restart_steps(setting, fixed):
    """Stop A, ask twice, start A again, stop B, ask: the statuses and A's time away."""
    (cert, key), static_root, private_root = setting
    ports = [free_port(), free_port()]
    a, b = Instance(ports[0]), Instance(ports[1])
    text, https_port, http_port = nginx.two_instance_site(
        ports, cert, key, static_root, private_root, fixed=fixed
    )
    proxy = nginx.Nginx(text, [https_port, http_port])
    url = f"https://127.0.0.1:{https_port}/"
    try:
        a.start(), b.start(), proxy.start()
        assert [answered(url) for _ in range(4)] == [200] * 4
        a.stop()
        away = time.monotonic()
        # Round robin: one of the two requests goes to A, refused, and is passed on to B.
        while_a_is_down = [answered(url) for _ in range(2)]
        a.start()
        assert answered(f"http://127.0.0.1:{a.port}/") == 200  # A answers again
        b.stop()
        after_b_stops = answered(url)
        seconds = time.monotonic() - away
        return while_a_is_down, after_b_stops, seconds, proxy.errors()
    finally:
        proxy.stop()
        shutil.rmtree(proxy.dir, ignore_errors=True)
        a.stop(), b.stop()


@pytest.mark.parametrize(
    ("fixed", "expected"), [(False, 502), (True, 200)], ids=["nginx-defaults", "max_fails=0"]
)
def test_the_instance_back_within_fail_timeout_serves_only_with_max_fails_0(
    setting, fixed, expected
):
    while_a_is_down, after_b_stops, seconds, errors = restart_steps(setting, fixed)
    assert while_a_is_down == [200, 200], errors
    assert "Connection refused" in errors
    # Within fail_timeout of A's failed connection (else nginx's defaults would
    # have put A back in the rotation, and this would test nothing).
    assert seconds < FAIL_TIMEOUT, seconds
    assert after_b_stops == expected, errors
    if not fixed:
        assert "no live upstreams" in errors


def test_the_page_s_block_differs_from_nginx_s_defaults_only_by_max_fails_0():
    text = nginx.snippet("rolling-upstream.conf")
    servers = [line.strip() for line in text.splitlines() if line.strip().startswith("server ")]
    assert servers == [
        f"server {nginx.PLACEHOLDERS['upstream']}{nginx.ROLLING_FIX}",
        f"server {nginx.PLACEHOLDERS['second_upstream']}{nginx.ROLLING_FIX}",
    ]
    assert "upstream mysite {" in text
    assert "upstream mysite {" in nginx.sections(nginx.snippet("mysite.conf"))["upstream"]
