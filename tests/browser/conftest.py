"""Fixtures for the site in a real headless Chromium (Debian's /usr/bin/chromium).

The built site is served by a real HTTP server process on 127.0.0.1, and
every request the browser makes is recorded, so tests can assert that nothing
leaves that origin.
"""

import shutil
import sys

import pytest

from support import CHROMIUM, CHROMIUM_ARGS, ServerProcess, free_port


@pytest.fixture(scope="session")
def site_url(site_dir):
    """The site served by ``python -m http.server`` on a free port."""
    port = free_port()
    argv = [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"]
    server = ServerProcess(argv, port, cwd=site_dir, log_path=f"/tmp/site-server-{port}.log")
    with server:
        yield server.url


@pytest.fixture(scope="session")
def chromium():
    if not shutil.which(CHROMIUM):
        pytest.fail(
            f"{CHROMIUM} not found: install Debian's chromium (apt-get install -y chromium)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class RecordedPage:
    """A Playwright page plus every URL it requested."""

    def __init__(self, page, requests):
        self.page = page
        self.requests = requests


@pytest.fixture
def browser_page(chromium, site_url):
    context = chromium.new_context(permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield RecordedPage(page, requests)
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"
