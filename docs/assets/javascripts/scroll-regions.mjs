// A table wider than the page scrolls inside Material's .md-typeset__scrollwrap;
// a tall one scrolls there both ways, its header row kept in view.
// A keyboard user can only scroll a region that takes focus (WCAG 2.1.1; axe's
// scrollable-region-focusable rule): give each one that overflows a tab stop
// and a name. Runs on every page load (Material's document$ when it is there).
//
// A code block that scrolls sideways gets its tab stop from Material, but only
// once Material sets the block up, when it first comes on screen (the site
// turns on Material's content.lazy: mkdocs.yml says why). Until then this gives
// it one by Material's own rule: tabindex="0" where the code is wider than its
// box and the device can hover (mkdocs-material 9.8.1,
// components/content/code/_/index.ts, mountCodeBlock and watchCodeBlock).
//
// Sizes are read together and attributes written together: two layouts of the
// page (before and after marking the tall tables), not one per region (a write
// then a read makes the browser lay the page out again before it can answer).

/** The region's name: the table's caption, else the heading just before it, else "Table". */
function label(wrap) {
  const heading = wrap.previousElementSibling;
  const caption = wrap.querySelector("table")?.caption?.textContent ?? "";
  return (
    caption || (heading && /^H[1-6]$/.test(heading.tagName) ? heading.textContent : "") || "Table"
  );
}

// A table taller than most of the window scrolls in a box of its own too
// (extra.css, .md-typeset__scrollwrap--tall), so that its header row stays in view.
const TALL = 0.85;
const HOVER = window.matchMedia("(hover)");

function mark() {
  // Read the tables' heights, then mark the tall ones (a tall one becomes a box of its own)...
  const wraps = [...document.querySelectorAll(".md-typeset__scrollwrap")];
  const tall = wraps.map((wrap) => {
    const table = wrap.querySelector("table");
    return Boolean(table?.tHead && table.offsetHeight > TALL * window.innerHeight);
  });
  wraps.forEach((wrap, i) => {
    wrap.classList.toggle("md-typeset__scrollwrap--tall", tall[i]);
  });
  // ...then read which regions scroll, then write their tab stops.
  const overflow = wraps.map((wrap) => ({
    wide: wrap.scrollWidth > wrap.clientWidth,
    high: wrap.scrollHeight > wrap.clientHeight,
  }));
  const codes = [...document.querySelectorAll(".md-typeset pre > code")];
  const wideCode = codes.map((code) => HOVER.matches && code.scrollWidth > code.offsetWidth);
  wraps.forEach((wrap, i) => {
    const { wide, high } = overflow[i];
    if ((wide || high) && !wrap.hasAttribute("tabindex")) {
      wrap.tabIndex = 0;
      wrap.setAttribute("role", "region");
      const how = wide ? "scrolls sideways" : "scrolls";
      wrap.setAttribute("aria-label", `${label(wrap).trim()} (${how})`);
    }
  });
  codes.forEach((code, i) => {
    if (wideCode[i]) code.setAttribute("tabindex", "0");
    else code.removeAttribute("tabindex");
  });
}

// A module runs once the page is parsed, before DOMContentLoaded.
if (typeof document$ !== "undefined") document$.subscribe(mark);
else document.addEventListener("DOMContentLoaded", mark);
window.addEventListener("resize", mark);
