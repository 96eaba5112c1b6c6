"""A page with many code blocks loads without laying itself out again once per block.

Material for MkDocs sets a code block up (its copy button, the keyboard stop of a
block that scrolls sideways) by writing into the page and then reading the
block's size, which makes the browser lay the whole page out again before it can
answer: on the tutorial (29 code blocks) that was 30 forced layouts at load, most
of Lighthouse's total blocking time on a phone (bench/lighthouse.py). The site
turns on Material's ``content.lazy`` (mkdocs.yml): a block is set up when it first
comes on screen, so a block far down the page gets its copy button when the
reader reaches it. Its layout before that is the same
(:mod:`guide.site.code_blocks`, ``tests/browser/test_code_width.py``), and so is
its keyboard stop (``scroll-regions.mjs``, ``tests/browser/test_accessibility.py``).
"""

PAGE = "tutorial/"
PHONE = {"width": 390, "height": 844}
MAX_FORCED_LAYOUTS = 6
"""Material's own setup of the page forces a few (2 to 4 when this was written)."""


def forced_layouts(page, url, origin):
    """Layouts a script from ``origin`` forced (it read a size the page had to lay out
    first) during the load of ``url``.

    The trace is the whole browser's: Chromium's own pages log their layouts in it too
    (``chrome://resources/cr_components/composebox/composebox_input.js`` forced four in
    one CI run), and they are not the site's.
    """
    cdp = page.context.new_cdp_session(page)
    events, done = [], []
    cdp.on("Tracing.dataCollected", lambda event: events.extend(event["value"]))
    cdp.on("Tracing.tracingComplete", lambda event: done.append(True))
    categories = ["devtools.timeline", "disabled-by-default-devtools.timeline.stack"]
    cdp.send("Tracing.start", {"traceConfig": {"includedCategories": categories}})
    page.goto(url)
    page.wait_for_selector("html[data-runnable-ready]", state="attached")
    page.wait_for_timeout(1000)  # Material's setup runs after the load
    cdp.send("Tracing.end")
    while not done:
        page.wait_for_timeout(50)
    found = []
    for event in events:
        if event.get("name") != "Layout" or event.get("ph") not in ("X", "B"):
            continue
        stack = event.get("args", {}).get("beginData", {}).get("stackTrace")
        if stack and stack[0].get("url", "").startswith(origin + "/"):
            frame = stack[0]
            found.append(f"{frame.get('url', '')}:{frame.get('lineNumber')}")
    return found


def test_the_tutorial_loads_without_a_forced_layout_per_code_block(browser_page, site_url):
    page = browser_page.page
    page.set_viewport_size(PHONE)
    blocks = forced_layouts(page, f"{site_url}/{PAGE}?no-prefetch", site_url)
    code_blocks = page.locator(".md-content pre > code").count()
    assert code_blocks > 20, "the tutorial still has many code blocks"
    assert len(blocks) <= MAX_FORCED_LAYOUTS, (
        f"{len(blocks)} forced layouts at load ({code_blocks} code blocks): {blocks}"
    )


def test_a_code_block_gets_its_copy_button_when_it_comes_on_screen(browser_page, site_url):
    page = browser_page.page
    page.set_viewport_size(PHONE)
    page.goto(f"{site_url}/{PAGE}?no-prefetch")
    page.wait_for_selector("html[data-runnable-ready]", state="attached")
    last = page.locator(".md-content pre").last
    button = last.locator("button[data-clipboard-target]")
    assert button.count() == 0, "the last block is not set up before the reader reaches it"
    last.scroll_into_view_if_needed()
    button.wait_for(state="attached", timeout=5000)
