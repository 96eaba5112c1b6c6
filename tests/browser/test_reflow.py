"""Every page at 320 CSS px wide, and every page without motion when the reader asks for none.

WCAG 2.1 1.4.10 (Reflow): at 320 CSS px (what a 1280 px window shows at
400 % zoom; 200 % zoom of a 640 px window is the same width) the page does not
scroll sideways and no text is cut off. Code blocks, the editor and tables may
scroll inside their own box: text inside a horizontal scroll container is
reachable. Material's header shows the site name or the page title on one
line with an ellipsis; both are the page's own title and heading, so the
header is the one place allowed to shorten text. A test for each page (its id:
the page's URL path), all in one browser context; the same load checks that the
page asks nothing of another site (fonts, scripts, styles, images: all served
by the site itself). What the runtime loads is checked where it runs
(test_runnable.py asserts the same of every request a Run makes).

WCAG 2.1 2.3.3 (prefers-reduced-motion): with ``reduced_motion="reduce"`` no
element of a page has a transition or an animation that takes time; without
it, the same page has some (so the check can fail).
"""

from urllib.parse import urlsplit

import pytest

from helpers import SITE_PAGES, WatchedPage, built_pages, page_id, serve_empty_search_index

NARROW = {"width": 320, "height": 640}

# What a reader would miss at this width: the page scrolling sideways, text
# clipped by its box (overflow hidden), or text beyond the window's edges
# outside any scroll container.
OVERFLOWS = """() => {
  const found = [];
  const width = window.innerWidth;
  const root = document.documentElement;
  if (root.scrollWidth > width) found.push(`the page scrolls sideways: ${root.scrollWidth} px wide`);
  const name = (node) => node.tagName.toLowerCase() + (node.id ? "#" + node.id : "") +
    [...node.classList].map((c) => "." + c).join("");
  const where = (node) => `${name(node)} "${node.textContent.trim().replace(/\\s+/g, " ").slice(0, 50)}"`;
  const scrolls = (node) => ["auto", "scroll"].includes(getComputedStyle(node).overflowX);
  const inScroller = (node) => {
    for (let up = node.parentElement; up && up !== document.body; up = up.parentElement) if (scrolls(up)) return true;
    return false;
  };
  for (const node of document.body.querySelectorAll("*")) {
    if (!node.getClientRects().length) continue;
    const style = getComputedStyle(node);
    if (style.visibility === "hidden") continue;
    const rect = node.getBoundingClientRect();
    if (rect.right <= 0 || rect.left >= width) continue; // off-canvas: the closed navigation drawer
    const text = [...node.childNodes].some((child) => child.nodeType === Node.TEXT_NODE && child.textContent.trim());
    if (!text) continue;
    const clipped = ["hidden", "clip"].includes(style.overflowX) && node.scrollWidth > node.clientWidth + 1;
    if (clipped && !node.closest(".md-header")) {
      found.push(`text cut off: ${where(node)} (${node.scrollWidth} px in ${node.clientWidth})`);
    }
    if ((rect.right > width + 1 || rect.left < -1) && !inScroller(node)) {
      found.push(`text beyond the window: ${where(node)} (${Math.round(rect.left)} to ${Math.round(rect.right)} px)`);
    }
  }
  return found;
}"""

# Elements (and their ::before/::after) that move: a transition or an
# animation that takes time.
MOVING = """() => {
  const seconds = (value) => Math.max(...value.split(",").map((part) => parseFloat(part) || 0));
  const found = [];
  for (const node of document.querySelectorAll("*")) {
    for (const pseudo of [null, "::before", "::after"]) {
      const style = getComputedStyle(node, pseudo);
      const moves =
        seconds(style.transitionDuration) + seconds(style.transitionDelay) > 0 ||
        (style.animationName !== "none" && seconds(style.animationDuration) > 0);
      if (moves) found.push(`${node.tagName.toLowerCase()}.${[...node.classList].join(".")}${pseudo ?? ""}`);
    }
  }
  if (getComputedStyle(document.documentElement).scrollBehavior === "smooth") found.push("html: smooth scrolling");
  return found;
}"""


@pytest.fixture(scope="module")
def narrow_context(chromium, site_dir):
    """One context 320 px wide for the module's pages."""
    watched = WatchedPage(chromium, viewport=NARROW)
    # Material's search worker gets an index without documents (the same
    # config), so that it does not rebuild the whole index on every page.
    serve_empty_search_index(watched.context, site_dir)
    yield watched
    watched.close()


@pytest.fixture
def narrow_page(narrow_context):
    """The narrow context's page; an error on the page fails the test."""
    yield narrow_context.page
    narrow_context.check()


def test_the_pages_checked_are_those_of_the_built_site(site_dir):
    assert len(SITE_PAGES) >= 10
    assert built_pages(site_dir) == SITE_PAGES


@pytest.mark.parametrize("path", SITE_PAGES, ids=page_id)
def test_the_page_reads_at_320_px_and_loads_nothing_from_elsewhere(
    narrow_context, narrow_page, site_url, path
):
    narrow_context.requests.clear()
    narrow_page.goto(f"{site_url}/{path}?no-prefetch", wait_until="networkidle")
    narrow_page.wait_for_selector("html[data-runnable-ready]", state="attached")
    problems = [f"/{path}: {problem}" for problem in narrow_page.evaluate(OVERFLOWS)]
    assert not problems, "at 320 px:\n" + "\n".join(problems)
    origin = urlsplit(site_url).netloc
    asked = [url for url in narrow_context.requests if urlsplit(url).scheme not in ("data", "blob")]
    assert f"{site_url}/{path}?no-prefetch" in asked, "the page's requests are recorded"
    foreign = [url for url in asked if urlsplit(url).netloc != origin]
    assert not foreign, f"/{path} asked another site for: {foreign}"


def test_the_check_finds_text_cut_off(narrow_page, site_url):
    narrow_page.goto(f"{site_url}/?no-prefetch")
    narrow_page.wait_for_selector("html[data-runnable-ready]", state="attached")
    narrow_page.evaluate(
        """() => {
            const p = document.querySelector(".md-content p");
            p.style.whiteSpace = "nowrap";
            p.style.overflow = "hidden";
            p.id = "clipped";
        }"""
    )
    problems = narrow_page.evaluate(OVERFLOWS)
    assert [problem for problem in problems if problem.startswith("text cut off: p#clipped")]


# The tutorial has an annotation marker (Material's pulse animation) and
# Material's header, drawer and buttons, which have transitions.
MOTION_PAGE = "tutorial/"


@pytest.mark.parametrize("motion", ["reduce", "no-preference"])
def test_nothing_moves_for_readers_who_ask_for_less_motion(chromium, site_url, motion):
    context = chromium.new_context(reduced_motion=motion)
    page = context.new_page()
    page.goto(f"{site_url}/{MOTION_PAGE}?no-prefetch")
    page.wait_for_selector("html[data-runnable-ready]", state="attached")
    moving = page.evaluate(MOVING)
    context.close()
    if motion == "reduce":
        assert not moving, f"moving despite prefers-reduced-motion: {moving}"
    else:
        assert moving, "nothing moves even without the preference: the check cannot fail"
