"""Fixtures for the site in a real headless Chromium (Debian's /usr/bin/chromium).

The built site is served by a real HTTP server process on 127.0.0.1, and
every request the browser makes is recorded, so tests can assert that nothing
leaves that origin.
"""

import sys

import pytest

from guide.services.chromium import TEST_ARGS, launch
from guide.services.processes import ServerProcess, free_port
from helpers import WatchedPage


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
        browser = launch(playwright, extra_args=TEST_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def browser_page(chromium, site_url):
    """A :class:`helpers.WatchedPage` (clipboard allowed): any error it had fails the test."""
    watched = WatchedPage(chromium, permissions=["clipboard-read", "clipboard-write"])
    yield watched
    watched.close()
