"""The command checker's page (docs/howto/check-server-command.md) in headless Chromium.

Paste a command, press Check: the findings of ``guide.servers.command_check``,
run in the page's own Python, are listed with links that lead to their headings.
What is not a server command gets one line; a checker that cannot load says so.
"""

import time
from urllib.parse import urldefrag

PAGE = "howto/check-server-command/"
LOAD_MS = 120_000  # the first check loads the runtime (busy 2-core machine)


def open_page(browser_page, site_url, query=""):
    page = browser_page.page
    page.goto(f"{site_url}/{PAGE}{query}")
    page.wait_for_selector("html[data-runnable-ready]")
    return page, page.locator("div.server-command-check")


def press_check(page, panel, command=None, timeout=30_000):
    """Check ``command`` (else what the box holds); return what the panel says it checked."""
    if command is not None:
        panel.locator("textarea[name=command]").fill(command)
    page.evaluate("panel => { delete panel.dataset.checked; }", panel.element_handle())
    panel.locator("button[type=submit]").click()
    page.wait_for_function(
        "panel => panel.dataset.checked !== undefined",
        arg=panel.element_handle(),
        timeout=timeout,
    )
    return panel.get_attribute("data-checked")


def findings(panel):
    items = panel.locator("li.command-check-finding[data-kind]")
    return {
        items.nth(i).get_attribute("data-kind"): items.nth(i).get_attribute("data-level")
        for i in range(items.count())
    }


def test_the_page_lists_the_findings_with_links_to_their_headings(browser_page, site_url):
    page, panel = open_page(browser_page, site_url, "?no-prefetch")
    started = time.perf_counter()
    assert press_check(page, panel, timeout=LOAD_MS) == "gunicorn"
    print(f"first check, runtime included: {time.perf_counter() - started:.1f} s")
    assert findings(panel) == {
        "root-path-not-passed": "problem",
        "reload-does-not-restart": "warning",
    }
    problem = panel.locator("li[data-kind=root-path-not-passed]")
    assert "Problem:" in problem.text_content()
    assert problem.locator("code").first.text_content() == "--root-path /app"
    links = panel.locator(".command-check-result a")
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    assert len(hrefs) == 3  # the server's page, then one per finding
    for href in hrefs:
        url, anchor = urldefrag(href)
        response = page.request.get(url)
        assert response.status == 200, href
        if anchor:
            assert f'id="{anchor}"' in response.text(), href
    started = time.perf_counter()
    assert press_check(page, panel) == "gunicorn"  # the same command again
    print(f"a second check: {time.perf_counter() - started:.2f} s")
    # A link leads to its heading.
    problem.locator("a").click()
    page.wait_for_url("**/servers/gunicorn/#behind-a-proxy-proxy-headers-and-root-path")

    page.go_back()
    page.wait_for_selector("html[data-runnable-ready]")
    panel = page.locator("div.server-command-check")
    started = time.perf_counter()
    assert press_check(page, panel, "daphne --workers 2 mysite.asgi:application") == "daphne"
    print(f"a later check, after a page load: {time.perf_counter() - started:.1f} s")
    assert findings(panel)["option-refused"] == "problem"
    assert "unrecognized arguments: --workers" in panel.text_content()


def test_what_is_not_a_server_command_gets_one_line(browser_page, site_url):
    page, panel = open_page(browser_page, site_url)
    assert press_check(page, panel, "uvicorn mysite.asgi:application '", LOAD_MS) == "error"
    result = panel.locator(".command-check-result")
    assert result.is_visible()
    text = result.text_content()
    assert text == (
        "The quotes or backslashes do not balance: the shell could not read this command."
    )
    assert panel.locator("[role=alert]").text_content() == text
    assert press_check(page, panel, "nginx -g 'daemon off;'") == "error"
    assert "`" not in result.text_content()
    assert result.locator("code").first.text_content() == "nginx"
    # The next good command replaces the message.
    assert press_check(page, panel, "hypercorn mysite.asgi") == "hypercorn"
    assert findings(panel) == {"module-without-attribute": "problem"}


def test_a_checker_that_cannot_load_says_so_in_one_line(browser_page, site_url):
    page = browser_page.page
    browser_page.allow_console_error(r"^Error occurred while installing the standard library:$")
    browser_page.allow_console_error(
        r"^Error: Failed to load '[^']+/python_stdlib\.zip': request failed\."
    )
    page.route("**/runtime/pyodide/python_stdlib.*.zip*", lambda route: route.fulfill(status=404))
    # From scratch, Python needs the standard library to start at all.
    page, panel = open_page(browser_page, site_url, "?no-prefetch&no-snapshot")
    assert press_check(page, panel, timeout=LOAD_MS) == "unavailable"
    assert panel.locator(".command-check-result").text_content() == (
        "The checker could not load in this browser; reload the page to try again."
    )


def test_without_javascript_the_page_says_what_it_needs(chromium, site_url):
    context = chromium.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{site_url}/{PAGE}")
    assert "needs JavaScript" in page.locator(".server-command-check").text_content()
    context.close()
