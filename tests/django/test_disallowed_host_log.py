"""`Invalid HTTP_HOST header` flooding the error log, and the LOGGING section that stops it.

Under the production settings, a real uvicorn process gets 200 requests with
host names it does not serve (what scanners send), then the test counts the
log lines. Without the ``disallowed_host`` section of
``mysite/settings_production.py`` (a settings module written for the test:
the production settings with the development ``LOGGING``), each request
writes an ERROR line and a traceback; with it, none does, while the 400
answers and the access-log lines stay, and a real error is still logged.
"""

import httpx
import pytest

from guide.services.processes import free_port, uvicorn
from helpers import production_env_with_module

REQUESTS = 200
WITHOUT_SECTION = (
    "from mysite.settings_production import *  # noqa: F403\n"
    "from mysite.settings import LOGGING  # noqa: F401  (the section undone)\n"
)


@pytest.fixture(scope="module")
def prod_env(database, tmp_path_factory):
    name = "settings_without_section"
    return production_env_with_module(tmp_path_factory, database, name, WITHOUT_SECTION)


def scan(settings_module, env):
    """200 requests for foreign host names, then one 500; the server's output."""
    server = uvicorn(
        "mysite.asgi:application", free_port(), {**env, "DJANGO_SETTINGS_MODULE": settings_module}
    )
    with server, httpx.Client(base_url=server.url, timeout=30) as client:
        statuses = {
            client.get("/polls/", headers={"Host": f"scanner-{n}.example.net"}).status_code
            for n in range(REQUESTS)
        }
        assert statuses == {400}
        headers = {"Host": "mysite.example", "X-Forwarded-Proto": "https"}
        assert client.get("/polls/unsafe/", headers=headers).status_code == 500
    return server.output()


def count(output, text):
    return sum(text in line for line in output.splitlines())


def test_without_the_section_every_scanner_request_logs_a_traceback(prod_env):
    output = scan("settings_without_section", prod_env)
    assert (
        count(
            output, "ERROR:     django.security.DisallowedHost: Invalid HTTP_HOST header: 'scanner-"
        )
        == REQUESTS
    )
    assert count(output, "Traceback (most recent call last):") == REQUESTS + 1  # and the 500's
    assert count(output, '"GET /polls/ HTTP/1.1" 400') == REQUESTS


def test_with_the_section_scanner_requests_log_only_their_access_line(prod_env):
    output = scan("mysite.settings_production", prod_env)
    assert count(output, "Invalid HTTP_HOST header") == 0
    assert count(output, '"GET /polls/ HTTP/1.1" 400') == REQUESTS
    # A real error still reaches the log, with its traceback.
    assert count(output, "ERROR:     django.request: Internal Server Error: /polls/unsafe/") == 1
    assert count(output, "Traceback (most recent call last):") == 1
