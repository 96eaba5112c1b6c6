"""A rolling restart behind nginx: ``snippets/nginx/rolling-upstream.conf`` against nginx's defaults.

The containers page says why its upstream block has ``max_fails=0``: by default
nginx takes an instance whose connection failed out of the rotation for 10
seconds (``max_fails=1``, ``fail_timeout=10s``), so an instance restarted
within those 10 seconds gets no request, and when the other one stops then,
nginx has none left and answers 502. Here, two instances of the uvicorn
command the server pages show, behind the page's ``mysite.conf`` with that
upstream block, with and without ``max_fails=0``, go through the steps of a
rolling restart, one request at a time; ``bench/rolling.py`` measures the same
under load, for every server.
"""

import shutil
import time

import httpx
import pytest

from guide.paths import SNIPPETS
from guide.servers.commands import command_env, server_argv
from guide.services import nginx
from guide.services.processes import ServerProcess, free_port, migrated_database
from helpers import production_env

pytestmark = pytest.mark.timeout(300)

COMMAND = SNIPPETS / "server_commands" / "uvicorn.sh"
FAIL_TIMEOUT = 10.0
"""nginx's default ``fail_timeout``: how long an instance stays out of the rotation."""
PROXIED = {"Host": "127.0.0.1"}


@pytest.fixture(scope="module")
def setting(tmp_path_factory):
    """The certificate, the folders nginx is given and the example's environment."""
    certs = nginx.shared_dir("rolling-certs-")
    static_root = nginx.shared_dir("rolling-static-")
    private_root = nginx.shared_dir("rolling-private-")
    database = tmp_path_factory.mktemp("rolling-db") / "db.sqlite3"
    migrated_database(database)
    env = command_env(production_env(database, static_root, "127.0.0.1"))
    try:
        yield nginx.self_signed_certificate(certs), static_root, private_root, env
    finally:
        for folder in (certs, static_root, private_root):
            shutil.rmtree(folder, ignore_errors=True)


def instance(port, env, log):
    return ServerProcess(server_argv(COMMAND, port), port, env=env, log_path=log)


def answered(url):
    """The status nginx answers ``url`` with (a new connection each time)."""
    with httpx.Client(verify=False, timeout=20, headers=PROXIED) as client:
        return client.get(url).status_code


def restart_steps(setting, fixed, logs):
    """Stop A, ask twice, start A again, stop B, ask: the statuses and A's time away."""
    (cert, key), static_root, private_root, env = setting
    ports = [free_port(), free_port()]
    a, b = (
        instance(port, env, logs / f"{name}.log") for port, name in zip(ports, "ab", strict=True)
    )
    text, https_port, http_port = nginx.two_instance_site(
        ports, cert, key, static_root, private_root, fixed=fixed
    )
    proxy = nginx.Nginx(text, [https_port, http_port])
    url = f"https://127.0.0.1:{https_port}/healthz"
    try:
        a.start(120), b.start(120), proxy.start()
        assert [answered(url) for _ in range(4)] == [200] * 4
        a.stop()
        away = time.monotonic()
        # Round robin: one of the two requests goes to A, refused, and is passed on to B.
        while_a_is_down = [answered(url) for _ in range(2)]
        a.start(120)
        b.stop()
        after_b_stops = answered(url)
        seconds = time.monotonic() - away
        return while_a_is_down, after_b_stops, seconds, proxy.errors()
    finally:
        proxy.stop()
        shutil.rmtree(proxy.dir, ignore_errors=True)
        a.kill(), b.kill()


@pytest.mark.parametrize(
    ("fixed", "expected"), [(False, 502), (True, 200)], ids=["nginx-defaults", "max_fails=0"]
)
def test_the_instance_back_within_fail_timeout_serves_only_with_max_fails_0(
    setting, tmp_path, fixed, expected
):
    while_a_is_down, after_b_stops, seconds, errors = restart_steps(setting, fixed, tmp_path)
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
