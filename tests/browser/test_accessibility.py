"""WCAG 2.1 AA on every page of the built site: axe-core in headless Chromium.

axe-core is an npm devDependency (``npm ci``); the test injects it into each
page, it is never part of the site. Every page is checked in the light and the
dark scheme (the palette follows the reader's ``prefers-color-scheme``) once
the runnable blocks are set up, a test for each page and scheme (its id: the
page's URL path and the scheme; one browser context per scheme serves them
all), and one page again after a block has run
(editor and output shown) and its request panel has answered, in both schemes
(there, with ``prefers-reduced-motion: reduce``, nothing in them may animate).
A violation fails with the page, the element and axe's rule id; a fixture
page with low-contrast text shows that the check does fail.
"""

import pytest

from guide.clients.run_button import press_run
from guide.paths import ROOT
from helpers import (
    SITE_PAGES,
    WatchedPage,
    built_pages,
    page_file,
    page_id,
    serve_empty_search_index,
)

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# Playwright's color_scheme: Material's palette scheme that must follow it.
SCHEMES = {"light": "default", "dark": "slate"}
LOAD_MS = 120_000  # first run: the runtime loads (busy 2-core machine)

RUN_AXE = """async (tags) => {
    const results = await axe.run(document, {
        runOnly: {type: "tag", values: tags},
        resultTypes: ["violations"],
    });
    const selector = (target) =>
        target.map((part) => (Array.isArray(part) ? part.join(" >>> ") : part)).join(", ");
    return results.violations.map((violation) => ({
        id: violation.id,
        impact: violation.impact,
        help: violation.help,
        nodes: violation.nodes.map((node) => ({
            target: selector(node.target),
            html: node.html,
            summary: node.failureSummary,
        })),
    }));
}"""


def inject_axe(page):
    """Add axe-core to the page (once per document); it is not part of the site."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        if not AXE.is_file():
            pytest.fail(f"{AXE.relative_to(ROOT)} is missing: run `npm ci`")
        page.add_script_tag(path=str(AXE))


def axe_violations(page):
    """axe-core's WCAG 2.1 A/AA violations on the page as it is now."""
    inject_axe(page)
    return page.evaluate(RUN_AXE, WCAG_AA)


def describe(where, violations):
    """One line per violating element: where, rule id, impact, element, and why."""
    lines = []
    for violation in violations:
        for node in violation["nodes"]:
            summary = " ".join((node["summary"] or "").split())
            lines.append(
                f"{where}: {violation['id']} ({violation['impact']}: {violation['help']})\n"
                f"    element {node['target']}: {node['html'][:300]}\n"
                f"    {summary[:400]}"
            )
    return lines


def assert_accessible(pages):
    """``pages`` is ``[(where, violations)]``; fail listing every violation of any."""
    lines = [line for where, violations in pages for line in describe(where, violations)]
    assert not lines, f"{len(lines)} WCAG 2.1 AA violation(s):\n" + "\n".join(lines)


@pytest.fixture(scope="module", params=list(SCHEMES))
def scheme_context(request, chromium, site_dir):
    """``(color scheme, watched page)``: one context per scheme, shared by the module's pages.

    Kept fast on two cores: axe is added to every document by the context
    (an init script, rather than sent again for each page), and Material's
    search worker gets an index without documents, so that it does not
    rebuild the whole index on every page while axe runs (the search box and
    its dialog are the same markup either way).
    """
    if not AXE.is_file():
        pytest.fail(f"{AXE.relative_to(ROOT)} is missing: run `npm ci`")
    scheme = request.param
    watched = WatchedPage(chromium, color_scheme=scheme)
    watched.context.add_init_script(path=str(AXE))
    serve_empty_search_index(watched.context, site_dir)
    yield scheme, watched
    watched.close()


@pytest.fixture
def scheme_page(scheme_context):
    """``(color scheme, page)`` of the scheme's shared context; an error on the page fails the test."""
    scheme, watched = scheme_context
    yield scheme, watched.page
    watched.check()


def open_page(page, url, scheme):
    page.goto(url)
    page.wait_for_selector("html[data-runnable-ready]", state="attached")
    shown = page.locator("body").get_attribute("data-md-color-scheme")
    assert shown == SCHEMES[scheme], f"{url}: the palette shows {shown!r} in the {scheme} scheme"


def test_the_pages_checked_are_those_of_the_built_site(site_dir):
    assert len(SITE_PAGES) >= 10
    assert built_pages(site_dir) == SITE_PAGES


@pytest.mark.parametrize("path", SITE_PAGES, ids=page_id)
def test_the_page_meets_wcag_2_1_aa(scheme_page, site_url, path):
    scheme, page = scheme_page
    # Without the runtime's prefetch: these pages are checked as they load.
    open_page(page, f"{site_url}/{path}?no-prefetch", scheme)
    assert_accessible([(f"/{path} ({scheme})", axe_violations(page))])


def page_with_blocks_and_a_request_panel(site_dir):
    for path in SITE_PAGES:
        html = page_file(site_dir, path).read_text(encoding="utf-8")
        if 'class="asgi-request-panel' in html and 'class="runnable"' in html:
            return path
    pytest.fail("no page has both runnable blocks and a request panel")


# Elements of the runnable blocks and request panels with a transition or an animation.
MOVING = """() => [...document.querySelectorAll(
    ".runnable, .runnable *, .asgi-request-panel, .asgi-request-panel *"
)].flatMap((node) => {
    const style = getComputedStyle(node);
    const seconds = (value) => Math.max(...value.split(",").map((part) => parseFloat(part)));
    const moves =
        seconds(style.transitionDuration) > 0 ||
        (style.animationName !== "none" && seconds(style.animationDuration) > 0);
    return moves ? [`${node.tagName.toLowerCase()}.${[...node.classList].join(".")}`] : [];
})"""


def test_a_page_after_a_run_and_a_request(chromium, site_url, site_dir):
    path = page_with_blocks_and_a_request_panel(site_dir)
    watched = WatchedPage(chromium, color_scheme="light", reduced_motion="reduce")
    page = watched.page
    open_page(page, f"{site_url}/{path}", "light")

    block = page.locator("div.runnable:not([data-browser-skip])").first
    state, _ = press_run(page, block, LOAD_MS)
    assert state == "done"
    assert block.locator(".runnable-editor").is_visible()
    assert block.locator(".runnable-output").first.is_visible()
    assert block.locator(".runnable-reset").is_visible()

    panel = page.locator("div.asgi-request-panel").first
    panel.scroll_into_view_if_needed()
    panel.locator("button[type=submit]").click()
    page.wait_for_function(
        "panel => panel.dataset.status !== undefined", arg=panel.element_handle(), timeout=LOAD_MS
    )
    assert panel.locator(".runnable-output").is_visible()

    # The reader asked for reduced motion: nothing in the blocks or the panel animates.
    moving = page.evaluate(MOVING)
    assert not moving, f"transitions or animations despite prefers-reduced-motion: {moving}"

    results = [(f"/{path} after a run and a request (light)", axe_violations(page))]
    # The reader's toggle: the same state in the dark scheme.
    page.locator("form[data-md-component=palette] label:visible").first.click()
    assert page.locator("body").get_attribute("data-md-color-scheme") == "slate"
    results.append((f"/{path} after a run and a request (dark)", axe_violations(page)))
    watched.close()
    assert_accessible(results)


def test_the_command_checker_after_a_check(chromium, site_url):
    """Its findings (a problem, a warning, their links) and then a one-line error."""
    path = "howto/check-server-command/"
    watched = WatchedPage(chromium, color_scheme="light", reduced_motion="reduce")
    page = watched.page
    open_page(page, f"{site_url}/{path}?no-prefetch", "light")
    panel = page.locator("div.server-command-check")
    results = []
    for command, checked in [(None, "gunicorn"), ("uvicorn '", "error")]:
        if command is not None:
            panel.locator("textarea").fill(command)
        page.evaluate("panel => { delete panel.dataset.checked; }", panel.element_handle())
        panel.locator("button[type=submit]").click()
        page.wait_for_function(
            "panel => panel.dataset.checked !== undefined",
            arg=panel.element_handle(),
            timeout=LOAD_MS,
        )
        assert panel.get_attribute("data-checked") == checked
        results.append((f"/{path} after a check ({checked}, light)", axe_violations(page)))
        page.locator("form[data-md-component=palette] label:visible").first.click()
        results.append((f"/{path} after a check ({checked}, dark)", axe_violations(page)))
        page.locator("form[data-md-component=palette] label:visible").first.click()
    watched.close()
    assert_accessible(results)


LOW_CONTRAST = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Low contrast</title></head>
<body>
  <main>
    <h1>A fixture page</h1>
    <p id="faint" style="color: #999; background: #fff">Light grey on white: 2.8:1.</p>
  </main>
</body>
</html>"""


def test_the_check_fails_on_low_contrast_text(chromium):
    watched = WatchedPage(chromium)
    page = watched.page
    page.set_content(LOW_CONTRAST)
    violations = axe_violations(page)
    watched.close()
    assert [violation["id"] for violation in violations] == ["color-contrast"]
    with pytest.raises(AssertionError) as failure:
        assert_accessible([("fixture page", violations)])
    message = str(failure.value)
    assert "fixture page: color-contrast" in message
    assert "element #faint" in message
    assert "Light grey on white" in message
