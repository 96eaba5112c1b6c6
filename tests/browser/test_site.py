"""The built site in headless Chromium: copy buttons, diagrams.

(That no page asks another site for anything is checked with each page's
reflow test, test_reflow.py.)
"""

import pytest

from guide.paths import ROOT

PYCON_PAGE = "howto/application-object/"
PYCON_SNIPPET = ROOT / "snippets/howto/application_object/what_it_is.pycon"


def expected_runnable_code(pycon_text):
    lines = []
    for line in pycon_text.splitlines():
        if line.startswith((">>> ", "... ")):
            lines.append(line[4:])
        elif line in (">>>", "..."):
            lines.append("")
    return "\n".join(lines) + "\n"


def copy_first_block(page, site_url, selector):
    """On the pycon page, press the copy button of the first ``selector`` block; what it copied."""
    page.goto(site_url + "/" + PYCON_PAGE)
    block = page.locator(selector).first
    block.hover()
    block.locator("button[data-clipboard-target]").click()
    return page.evaluate("navigator.clipboard.readText()")


def test_copy_button_copies_statements_without_prompts_or_output(browser_page, site_url):
    copied = copy_first_block(browser_page.page, site_url, ".language-pycon")
    expected = expected_runnable_code(PYCON_SNIPPET.read_text())
    assert copied == expected
    assert ">>>" not in copied
    assert "True" not in copied  # the output line of the snippet
    # The copied code is valid Python.
    compile(copied, "<clipboard>", "exec")


def test_copy_button_of_other_blocks_copies_them_as_they_are(browser_page, site_url):
    copied = copy_first_block(browser_page.page, site_url, ".language-python")
    source = (ROOT / "examples/mysite/mysite/asgi.py").read_text()
    assert copied.strip() == source.strip()


def test_search_finds_a_page(browser_page, site_url):
    page = browser_page.page
    page.goto(site_url + "/")
    page.locator(".md-search__input").first.click()
    page.keyboard.type("ASGIHandler")  # Material searches on key events
    results = page.locator(".md-search-result__item")
    results.first.wait_for(timeout=10_000)
    assert results.count() >= 1


def test_dark_mode_toggle(browser_page, site_url):
    page = browser_page.page
    page.emulate_media(color_scheme="light")
    page.goto(site_url + "/")
    assert page.locator("body").get_attribute("data-md-color-scheme") == "default"
    page.locator("form[data-md-component=palette] label:visible").first.click()
    assert page.locator("body").get_attribute("data-md-color-scheme") == "slate"


@pytest.mark.parametrize(
    "path",
    [
        "explanation/request-handling/",
        "howto/reverse-proxy/",
        "howto/websockets/",
        "howto/production/",
    ],
)
def test_diagrams_render_from_the_self_hosted_library(browser_page, site_url, path):
    page = browser_page.page
    page.goto(site_url + "/" + path, wait_until="networkidle")
    assert any(url.endswith("/assets/vendor/mermaid.min.js") for url in browser_page.requests)
    # Material renders each diagram into a closed shadow root that replaces
    # the <pre class="mermaid"> source: the source is gone, and the drawing
    # takes room on the page.
    page.wait_for_function("document.querySelectorAll('pre.mermaid').length === 0", timeout=15_000)
    diagram = page.locator("div.mermaid").first
    page.wait_for_function(
        "d => d.getBoundingClientRect().height > 300", arg=diagram.element_handle(), timeout=15_000
    )
