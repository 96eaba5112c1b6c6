"""A too-big body or too many form fields: a 400, logged as one line without a traceback.

Under the production settings, a real uvicorn process gets POSTs whose body
is over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (2.5 MB) or has more fields than
``DATA_UPLOAD_MAX_NUMBER_FIELDS`` (1,000). Django answers each with 400 and
logs it on ``django.security.RequestDataTooBig`` or
``django.security.TooManyFieldsSent`` at ERROR, with a traceback. Without the
``request_limits`` section of ``mysite/settings_production.py`` (a settings
module written for the test: the production settings without it), each
request writes that traceback; with it, one WARNING line each, while a real
error is still logged with its traceback.
"""

import httpx
import pytest

from guide.services.processes import free_port, uvicorn
from helpers import production_env_with_module

REQUESTS = 5
LOGGERS = ("django.security.RequestDataTooBig", "django.security.TooManyFieldsSent")
WITHOUT_SECTION = (
    "from mysite.settings_production import *  # noqa: F403\n"
    "LOGGING = {**LOGGING, 'loggers': {  # noqa: F405  (the section undone)\n"
    f"    k: v for k, v in LOGGING['loggers'].items() if k not in {LOGGERS!r}  # noqa: F405\n"
    "}}\n"
)
TOO_BIG = "Request body exceeded settings.DATA_UPLOAD_MAX_MEMORY_SIZE."
TOO_MANY = "The number of GET/POST parameters exceeded settings.DATA_UPLOAD_MAX_NUMBER_FIELDS."


@pytest.fixture(scope="module")
def prod_env(database, tmp_path_factory):
    name = "settings_without_limits_section"
    return production_env_with_module(tmp_path_factory, database, name, WITHOUT_SECTION)


def post_too_much(settings_module, env):
    """REQUESTS oversized bodies, REQUESTS with 1,001 fields, then one 500; the output."""
    server = uvicorn(
        "mysite.asgi:application", free_port(), {**env, "DJANGO_SETTINGS_MODULE": settings_module}
    )
    # Over HTTPS behind a proxy, from the site's own page, with a CSRF cookie:
    # the CSRF check gets as far as reading the form, which raises.
    headers = {
        "Host": "mysite.example",
        "X-Forwarded-Proto": "https",
        "Origin": "https://mysite.example",
        "Cookie": "csrftoken=" + "a" * 32,
    }
    big = {"choice": "1", "padding": "x" * 3_000_000}
    many = {f"field{n}": "1" for n in range(1001)}
    with server, httpx.Client(base_url=server.url, headers=headers, timeout=30) as client:
        statuses = {client.post("/polls/1/vote/", data=big).status_code for _ in range(REQUESTS)}
        statuses |= {client.post("/polls/1/vote/", data=many).status_code for _ in range(REQUESTS)}
        assert statuses == {400}
        assert client.get("/polls/unsafe/").status_code == 500
    return server.output()


def count(output, text):
    return sum(text in line for line in output.splitlines())


def test_without_the_section_each_refused_body_logs_a_traceback(prod_env):
    output = post_too_much("settings_without_limits_section", prod_env)
    assert count(output, f"ERROR:     django.security.RequestDataTooBig: {TOO_BIG}") == REQUESTS
    assert count(output, f"ERROR:     django.security.TooManyFieldsSent: {TOO_MANY}") == REQUESTS
    assert count(output, f"django.core.exceptions.RequestDataTooBig: {TOO_BIG}") == REQUESTS
    assert count(output, f"django.core.exceptions.TooManyFieldsSent: {TOO_MANY}") == REQUESTS
    # Three tracebacks per pair: TooManyFieldsSent's is chained to the ValueError
    # it was raised from. And one for the 500.
    assert count(output, "Traceback (most recent call last):") == 3 * REQUESTS + 1
    assert count(output, '"POST /polls/1/vote/ HTTP/1.1" 400') == 2 * REQUESTS


def test_with_the_section_each_logs_one_warning_line(prod_env):
    output = post_too_much("mysite.settings_production", prod_env)
    assert count(output, f"WARNING:     django.security.RequestDataTooBig: {TOO_BIG}") == REQUESTS
    assert count(output, f"WARNING:     django.security.TooManyFieldsSent: {TOO_MANY}") == REQUESTS
    assert count(output, '"POST /polls/1/vote/ HTTP/1.1" 400') == 2 * REQUESTS
    # A real error still reaches the log, with its traceback.
    assert count(output, "ERROR:     django.request: Internal Server Error: /polls/unsafe/") == 1
    assert count(output, "Traceback (most recent call last):") == 1
