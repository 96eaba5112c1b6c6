"""Code that several test modules share (tests/ is on pytest's pythonpath).

Fixtures live in the conftest.py files; what is here is plain functions and
classes that a test calls.
"""

import json
import os
import re
import subprocess
import sys

import pytest

from guide.content.pages import pages, url_of
from guide.paths import ROOT
from guide.services.processes import ServerError, example_env
from guide.site import repository, site_url, strict_build

# A key `check --deploy` accepts (50+ characters, 5+ distinct, not "django-insecure-").
PRODUCTION_SECRET_KEY = "k3y-" + "".join(chr(ord("a") + (i * 7) % 26) for i in range(60)) + "-Z9!x"


def production_env(database, static_root, allowed_hosts, secret_key=PRODUCTION_SECRET_KEY, **more):
    """Environment for the example under ``mysite.settings_production``.

    ``database``: the SQLite file; ``static_root``: where collectstatic writes
    (and ServeStatic serves from); ``allowed_hosts``: DJANGO_ALLOWED_HOSTS as
    written ("a.example,127.0.0.1"); ``more``: any other variables.
    """
    return example_env(
        DJANGO_SETTINGS_MODULE="mysite.settings_production",
        DJANGO_SECRET_KEY=secret_key,
        DJANGO_ALLOWED_HOSTS=allowed_hosts,
        DJANGO_STATIC_ROOT=static_root,
        MYSITE_SQLITE_PATH=database,
        **more,
    )


def production_env_with_module(tmp_path_factory, database, name, text):
    """:func:`production_env` (no collectstatic: for responses that use no static file),
    with a settings module ``name`` of ``text`` importable (a test's variant of the settings)."""
    modules = tmp_path_factory.mktemp("settings")
    (modules / f"{name}.py").write_text(text)
    static_root = tmp_path_factory.mktemp("staticfiles")
    return production_env(database, static_root, "mysite.example", PYTHONPATH=modules)


PUBLIC_URL = "https://example.org/guide/"
REPO_URL = "https://github.com/example/django-asgi-guide"
"""Where the Pages workflow's build says the site and its repository are, in the tests."""


def manage(project, env, *commands):
    """Run each ``manage.py`` command (a list of arguments) in ``project``; fail on the first error."""
    for args in commands:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, f"manage.py {' '.join(args)}:\n{result.stderr}"


def build_site(out, public_url=None, repo_url=None):
    """``mkdocs build --strict`` of the guide into ``out``, for ``public_url`` when given,
    with links to the repository at ``repo_url`` when given."""
    env = {k: v for k, v in os.environ.items() if k != repository.ENV}
    if public_url:
        env[site_url.ENV] = public_url
    if repo_url:
        env[repository.ENV] = repo_url
    code, report = strict_build.build(out, env=env, cwd=ROOT)
    assert code == 0, report
    return out


def failed_start(server):
    """Start ``server``, which must fail (ServerError, a non-zero exit); return what it said."""
    with pytest.raises(ServerError) as failure:
        server.start()
    assert server.returncode != 0
    return str(failure.value)


# --- The built site ----------------------------------------------------------------------


def _site_pages():
    """The URL path of every page of the site, relative to its root.

    MkDocs makes a page of each Markdown file under docs/ (``howto/x.md`` ->
    ``howto/x/``, ``index.md`` -> ``""``), and Material adds ``404.html``.
    """
    return sorted([url_of(page) for page in pages()] + ["404.html"])


SITE_PAGES = _site_pages()


def page_id(path):
    """A test id for a page: its URL path (``/``, ``/howto/reverse-proxy/``, ``/404.html``)."""
    return "/" + path


def page_file(site_dir, path):
    """The HTML file of the page at ``path`` in the built site."""
    return site_dir / (path + "index.html" if path == "" or path.endswith("/") else path)


def built_pages(site_dir):
    """The URL path of every HTML page in the built site (not its assets' or runtime's)."""
    found = []
    for html in site_dir.rglob("*.html"):
        rel = html.relative_to(site_dir).as_posix()
        if not rel.startswith(("assets/", "runtime/")):
            found.append(rel.removesuffix("index.html"))
    return sorted(found)


def serve_empty_search_index(context, site_dir):
    """Give Material's search worker in ``context`` the site's index without its documents.

    The same configuration, so the search box and its dialog are the same
    markup; the worker does not rebuild the whole index on every page (slow on
    two cores while a test goes from page to page).
    """
    index = json.loads((site_dir / "search" / "search_index.json").read_text(encoding="utf-8"))
    empty = json.dumps({**index, "docs": []})
    context.route(
        "**/search/search_index.json",
        lambda route: route.fulfill(body=empty, content_type="application/json"),
    )


# --- Headless Chromium ---------------------------------------------------------------------


class WatchedPage:
    """A page in a browser context of its own, with what it requested and the errors it had.

    ``requests``: every URL the page asked for; ``errors``: uncaught JavaScript
    errors; ``console_errors``: messages logged at the console's error level.
    A test that provokes a console error on purpose says which with
    :meth:`allow_console_error`. :meth:`check` fails on any other error (and
    forgets those seen, for the next page of a shared context); :meth:`close`
    closes the context, then checks.
    """

    def __init__(self, browser, **context_options):
        self.context = browser.new_context(**context_options)
        self.page = self.context.new_page()
        self.requests = []
        self.errors = []
        self.console_errors = []
        self.allowed = []
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on(
            "console",
            lambda message: (
                self.console_errors.append(message.text) if message.type == "error" else None
            ),
        )

    def allow_console_error(self, pattern):
        self.allowed.append(re.compile(pattern))

    def unexpected_console_errors(self):
        return [
            text
            for text in self.console_errors
            if not any(pattern.search(text) for pattern in self.allowed)
        ]

    def check(self, where="the page"):
        problems = [f"JavaScript error: {text}" for text in self.errors]
        problems += [f"console error: {text}" for text in self.unexpected_console_errors()]
        self.errors.clear()
        self.console_errors.clear()
        assert not problems, f"errors on {where}:\n" + "\n".join(problems)

    def close(self):
        self.context.close()
        self.check()
