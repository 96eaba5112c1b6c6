"""Code that several test modules share (tests/ is on pytest's pythonpath).

Fixtures live in the conftest.py files; what is here is plain functions and
classes that a test calls.
"""

import re

import pytest

from guide.services.processes import ServerError, example_env

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


def failed_start(server):
    """Start ``server``, which must fail (ServerError, a non-zero exit); return what it said."""
    with pytest.raises(ServerError) as failure:
        server.start()
    assert server.returncode != 0
    return str(failure.value)


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
        errors, unexpected = list(self.errors), self.unexpected_console_errors()
        self.errors.clear()
        self.console_errors.clear()
        assert not errors, f"JavaScript errors on {where}: {errors}"
        assert not unexpected, f"console errors on {where}: {unexpected}"

    def close(self):
        self.context.close()
        self.check()
