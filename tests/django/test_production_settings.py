"""Production settings: secrets from the environment, clear failures, a clean check --deploy."""

import pytest

from guide.services.processes import free_port, manage, uvicorn
from helpers import failed_start, production_env


@pytest.fixture(scope="module")
def prod_env(database, tmp_path_factory):
    static_root = tmp_path_factory.mktemp("staticfiles")
    env = production_env(database, static_root, "mysite.example,127.0.0.1")
    manage("collectstatic", "--no-input", "-v", "0", env=env)
    return env


def test_check_deploy_reports_no_issues(prod_env):
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=prod_env)
    assert "System check identified no issues (0 silenced)." in result.stdout


@pytest.mark.parametrize("missing", ["DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS"])
def test_manage_py_without_a_required_variable_names_it(prod_env, missing):
    env = dict(prod_env)
    del env[missing]
    result = manage("check", env=env, check=False)
    assert result.returncode != 0
    assert (
        f"django.core.exceptions.ImproperlyConfigured: The {missing} environment variable "
        "is required by mysite.settings_production but is not set." in result.stderr
    )


def test_uvicorn_without_secret_key_stops_with_the_clear_message(prod_env):
    env = dict(prod_env)
    del env["DJANGO_SECRET_KEY"]
    output = failed_start(uvicorn("mysite.asgi:application", free_port(), env))
    assert "ImproperlyConfigured: The DJANGO_SECRET_KEY environment variable is required" in output


# uvicorn trusts X-Forwarded-Proto from 127.0.0.1 by default and would set the
# ASGI scheme itself: with --no-proxy-headers, only Django's
# SECURE_PROXY_SSL_HEADER can make the request secure.
NO_PROXY_HEADERS = "--no-proxy-headers"


def test_production_server_behind_a_tls_proxy(prod_env, client):
    with uvicorn(
        "mysite.asgi_wrapped:application", free_port(), prod_env, NO_PROXY_HEADERS
    ) as server:
        proxied = {"Host": "mysite.example", "X-Forwarded-Proto": "https"}
        response = client.get(server.url + "/polls/", headers=proxied)
        assert response.status_code == 200
        # SecurityMiddleware sends HSTS only on a request it sees as secure.
        assert response.headers["strict-transport-security"] == (
            "max-age=31536000; includeSubDomains; preload"
        )
        # Plain HTTP (no X-Forwarded-Proto) is redirected to HTTPS.
        redirect = client.get(server.url + "/polls/", headers={"Host": "mysite.example"})
        assert redirect.status_code == 301
        assert redirect.headers["location"] == "https://mysite.example/polls/"
        # A host that is not in DJANGO_ALLOWED_HOSTS.
        bad = client.get(
            server.url + "/polls/", headers={"Host": "evil.example", "X-Forwarded-Proto": "https"}
        )
        assert bad.status_code == 400


def test_without_secure_proxy_ssl_header_the_proxied_https_request_is_redirected(
    prod_env, client, tmp_path
):
    """The negative case: the same request, settings without SECURE_PROXY_SSL_HEADER, loops to HTTPS."""
    (tmp_path / "settings_no_proxy_header.py").write_text(
        "from mysite.settings_production import *  # noqa: F403\n\n"
        "del SECURE_PROXY_SSL_HEADER  # noqa: F821\n"
    )
    env = dict(
        prod_env,
        DJANGO_SETTINGS_MODULE="settings_no_proxy_header",
        PYTHONPATH=str(tmp_path),
    )
    with uvicorn("mysite.asgi_wrapped:application", free_port(), env, NO_PROXY_HEADERS) as server:
        proxied = {"Host": "mysite.example", "X-Forwarded-Proto": "https"}
        response = client.get(server.url + "/polls/", headers=proxied)
        assert response.status_code == 301
        assert response.headers["location"] == "https://mysite.example/polls/"
        assert "strict-transport-security" not in response.headers


def test_production_serves_hashed_compressed_static_files(prod_env, client):
    import json
    from pathlib import Path

    manifest = json.loads((Path(prod_env["DJANGO_STATIC_ROOT"]) / "staticfiles.json").read_text())
    hashed = manifest["paths"]["polls/style.css"]
    assert hashed != "polls/style.css"
    with uvicorn("mysite.asgi:application", free_port(), prod_env) as server:
        headers = {"Host": "mysite.example", "X-Forwarded-Proto": "https"}
        response = client.get(f"{server.url}/static/{hashed}", headers=headers)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/css")
        assert "immutable" in response.headers["cache-control"]
        assert "font-family" in response.text
