"""The published site served from a sub-path by nginx, as a GitHub project site is.

The site is built for ``http://127.0.0.1:PORT/some/prefix/`` (``GUIDE_SITE_URL``),
published (``guide.site.publish``: ``.gz`` files beside the text files) into
``/some/prefix/`` of nginx's root, and served with ``gzip_static``, the types
the README asks a static host for (``application/wasm``, a JavaScript type for
``.mjs``) and the published ``_headers`` file applied as Netlify and Cloudflare
Pages apply it (each of its rules becomes an exact ``location``). In Chromium a
block runs, the 404 page's links to the site stay under the prefix and lead to
its pages, no request leaves the prefix, and a returning reader's second visit
asks nginx for none of the runtime's files.
"""

import subprocess
from urllib.parse import urljoin, urlsplit

import httpx
import pytest

from guide.clients.run_button import press_run
from guide.services.chromium import TEST_ARGS, launch_persistent
from guide.services.nginx import Nginx, shared_dir
from guide.services.processes import free_port
from guide.site import example_download, publish, runtime_files
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
        # The published _headers file, one exact location per rule.
{headers}
    }}
}}
"""


def headers_locations(headers_text, prefix):
    """nginx ``location = URL`` blocks sending what each rule of a ``_headers`` file says."""
    rules, current = {}, None
    for line in headers_text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if line.startswith("/"):
            current = rules.setdefault(prefix.rstrip("/") + line.strip(), [])
        else:
            name, value = (part.strip() for part in line.split(":", 1))
            current.append((name, value))
    blocks = []
    for url, headers in rules.items():
        body = []
        for name, value in headers:
            if name == "Content-Type":
                body.append(f"types {{ }} default_type {value};")
            else:
                body.append(f'add_header {name} "{value}";')
        blocks.append(f"        location = {url} {{ {' '.join(body)} }}")
    return "\n".join(blocks)


# Publishing the build takes most of a minute: these start first, on one worker.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def served():
    """``(base URL ending in the prefix, nginx, runtime entry)``: built, published, served."""
    port = free_port()
    base = f"http://127.0.0.1:{port}{PREFIX}"
    www = shared_dir("subpath-www-")
    site = build_site(www / "built", public_url=base)
    out = www / PREFIX.strip("/")
    publish.publish(site, out, log=lambda _: None, brotli=False)  # nginx sends .gz
    entry, manifest = runtime_files.read_served(out / publish.RUNTIME)
    subprocess.run(["chmod", "-R", "a+rX", str(www)], check=True)
    headers = headers_locations((out / "_headers").read_text(), PREFIX)
    conf = SITE_CONF.format(port=port, www=www, prefix=PREFIX, headers=headers)
    with Nginx(conf, [port]) as nginx:
        yield base, nginx, {**entry, "wasm": f"pyodide/{manifest['urls']['pyodide.asm.wasm']}"}


def test_the_types_and_caching_a_static_host_must_send(served):
    base, _, entry = served
    runtime = base + publish.RUNTIME + "/"
    wasm = httpx.get(runtime + entry["wasm"], timeout=30)
    assert (wasm.status_code, wasm.headers["content-type"]) == (200, "application/wasm")
    year = "public, max-age=31536000, immutable"
    assert wasm.headers["cache-control"] == year
    for module in (entry["runner"], entry["worker"]):
        response = httpx.get(runtime + module, timeout=30)
        assert response.headers["content-type"].startswith("text/javascript")
        assert response.headers["cache-control"] == year
    download = httpx.get(base + example_download.URL, timeout=30)
    assert (download.status_code, download.headers["content-type"]) == (200, "application/zip")
    page = httpx.get(base, headers={"Accept-Encoding": "gzip"}, timeout=30)
    assert page.headers.get("content-encoding") == "gzip", "gzip_static sends the .gz file"
    assert page.headers["cache-control"] == "no-cache", "pages are revalidated"


def _run_a_block(page, base):
    """Open a page with runnable blocks and run its first one, which must succeed."""
    page.goto(base + "howto/application-object/")
    page.wait_for_selector("html[data-runnable-ready]")
    block = page.locator("div.runnable").first
    block.scroll_into_view_if_needed()
    state, output = press_run(page, block, RUN_MS)
    assert state == "done", output


def test_a_block_runs_and_no_request_leaves_the_prefix(chromium, served):
    base, _, _ = served
    watched = WatchedPage(chromium)
    try:
        _run_a_block(watched.page, base)
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
    base, _, _ = served
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


def _access_log(nginx):
    return (nginx.dir / "access.log").read_text().splitlines()


def test_a_returning_reader_asks_for_no_runtime_file(chromium, served, tmp_path):
    """A reader's browser (a profile with a disk cache) runs a block, leaves, comes back.

    The second visit's page is revalidated; every file of the runtime comes from
    the browser's cache, so nginx's access log shows no request for one.
    """
    base, nginx, _ = served
    context = launch_persistent(chromium.browser_type, tmp_path / "profile", TEST_ARGS)
    try:
        visits = []
        for _ in range(2):
            before = len(_access_log(nginx))
            page = context.new_page()
            _run_a_block(page, base)
            page.close()
            visits.append(_access_log(nginx)[before:])
        first, second = visits
        runtime = f"{PREFIX}{publish.RUNTIME}/"
        assert sum(runtime in line for line in first) >= 8, "the first visit downloads it"
        assert any(f"GET {PREFIX}howto/application-object/ " in line for line in second), (
            "the page itself is asked for again"
        )
        again = [line for line in second if runtime in line]
        assert again == [], "the second visit asked for runtime files:\n" + "\n".join(again)
    finally:
        context.close()
