"""Fixtures for the site in a real headless Chromium (Debian's /usr/bin/chromium).

The built site is served by a real HTTP server process on 127.0.0.1, and
every request the browser makes is recorded, so tests can assert that nothing
leaves that origin.
"""

import re
import sys

import pytest

from guide.services.chromium import launch
from guide.services.processes import ServerProcess, free_port


@pytest.fixture(scope="session")
def site_url(site_dir):
    """The site served by ``python -m http.server`` on a free port."""
    port = free_port()
    argv = [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"]
    server = ServerProcess(argv, port, cwd=site_dir)  # its log: a temporary file of its own
    with server:
        yield server.url


@pytest.fixture(scope="session")
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()


class RecordedPage:
    """A Playwright page plus every URL it requested and every console error it logged.

    A test that provokes an error on purpose says which with
    :meth:`allow_console_error`; any other console error fails the test.
    """

    def __init__(self, page, requests, console_errors):
        self.page = page
        self.requests = requests
        self.console_errors = console_errors
        self.allowed = []

    def allow_console_error(self, pattern):
        self.allowed.append(re.compile(pattern))

    def unexpected_console_errors(self):
        return [
            text
            for text in self.console_errors
            if not any(pattern.search(text) for pattern in self.allowed)
        ]


@pytest.fixture
def browser_page(chromium, site_url):
    context = chromium.new_context(permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    errors, console_errors = [], []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "console",
        lambda message: console_errors.append(message.text) if message.type == "error" else None,
    )
    recorded = RecordedPage(page, requests, console_errors)
    yield recorded
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"
    unexpected = recorded.unexpected_console_errors()
    assert not unexpected, f"console errors on the page: {unexpected}"
