"""The published site served from a sub-path by nginx, as a GitHub project site is.

The site is built for ``http://127.0.0.1:PORT/some/prefix/`` (``GUIDE_SITE_URL``),
published (``guide.site.publish``: ``.gz`` files beside the text files) into
``/some/prefix/`` of nginx's root, and served with ``gzip_static`` and the
types the README asks a static host for (``application/wasm``, a JavaScript
type for ``.mjs``). In Chromium a block runs, the 404 page's links to the
site stay under the prefix and lead to its pages, and no request leaves the
prefix.
"""

import subprocess
from urllib.parse import urljoin, urlsplit

import httpx
import pytest

from guide.clients.run_button import press_run
from guide.services.nginx import Nginx, shared_dir
from guide.services.processes import free_port
from guide.site import example_download, publish
from helpers import WatchedPage, build_site

PREFIX = "/some/prefix/"
RUN_MS = 120_000  # the runtime loads (busy 2-core machine)

SITE_CONF = """\
server {{
    listen 127.0.0.1:{port};
    root {www};
    location {prefix} {{
        gzip_static on;
        error_page 404 {prefix}404.html;
        # Debian's mime.types has no .mjs: browsers run modules of a JavaScript type only.
        location ~ \\.mjs$ {{
            types {{ }}
            default_type text/javascript;
            gzip_static on;
        }}
    }}
}}
"""


@pytest.fixture(scope="module")
def served():
    """``(base URL ending in the prefix, nginx)``: the site built, published and served."""
    port = free_port()
    base = f"http://127.0.0.1:{port}{PREFIX}"
    www = shared_dir("subpath-www-")
    site = build_site(www / "built", public_url=base)
    out = www / PREFIX.strip("/")
    publish.publish(site, out, log=lambda _: None)
    subprocess.run(["chmod", "-R", "a+rX", str(www)], check=True)
    with Nginx(SITE_CONF.format(port=port, www=www, prefix=PREFIX), [port]) as nginx:
        yield base, nginx


def test_the_types_a_static_host_must_send(served):
    base, _ = served
    wasm = httpx.get(base + f"{publish.RUNTIME}/pyodide/pyodide.asm.wasm", timeout=30)
    assert (wasm.status_code, wasm.headers["content-type"]) == (200, "application/wasm")
    module = httpx.get(base + f"{publish.RUNTIME}/runner.mjs", timeout=30)
    assert module.headers["content-type"].startswith("text/javascript")
    download = httpx.get(base + example_download.URL, timeout=30)
    assert (download.status_code, download.headers["content-type"]) == (200, "application/zip")
    page = httpx.get(base, headers={"Accept-Encoding": "gzip"}, timeout=30)
    assert page.headers.get("content-encoding") == "gzip", "gzip_static sends the .gz file"


def test_a_block_runs_and_no_request_leaves_the_prefix(chromium, served):
    base, _ = served
    watched = WatchedPage(chromium)
    try:
        page = watched.page
        page.goto(base + "howto/application-object/")
        page.wait_for_selector("html[data-runnable-ready]")
        block = page.locator("div.runnable").first
        block.scroll_into_view_if_needed()
        state, output = press_run(page, block, RUN_MS)
        assert state == "done", output
        outside = [
            url
            for url in watched.requests
            if urlsplit(url).scheme not in ("data", "blob")
            and not urlsplit(url).path.startswith(PREFIX)
        ]
        assert not outside, f"requests outside {PREFIX}: {outside}"
    finally:
        watched.close()


def test_the_404_page_links_to_pages_of_the_site(chromium, served):
    base, _ = served
    watched = WatchedPage(chromium)
    watched.allow_console_error(r"status of 404 \(Not Found\)")  # the page asked for itself
    try:
        page = watched.page
        response = page.goto(base + "no/such/page/")
        assert response.status == 404
        hrefs = page.eval_on_selector_all(
            "a[href]:not([href^='#'])", "links => links.map((a) => a.getAttribute('href'))"
        )
        assert hrefs, "the 404 page has links"
        # Links to this site (not the theme's credit to its own site).
        origin = urlsplit(base).netloc
        urls = sorted(
            url
            for url in {urljoin(page.url, href) for href in hrefs}
            if urlsplit(url).netloc == origin
        )
        assert len(urls) > 10, urls
        inside = [url for url in urls if urlsplit(url).path.startswith(PREFIX)]
        assert inside == urls, f"links outside {PREFIX}: {sorted(set(urls) - set(inside))}"
        broken = {url: httpx.get(url, timeout=30).status_code for url in urls}
        assert all(status == 200 for status in broken.values()), broken
    finally:
        watched.close()
