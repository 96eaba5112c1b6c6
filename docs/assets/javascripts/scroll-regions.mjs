// A table wider than the page scrolls inside Material's .md-typeset__scrollwrap;
// a tall one scrolls there both ways, its header row kept in view.
// A keyboard user can only scroll a region that takes focus (WCAG 2.1.1; axe's
// scrollable-region-focusable rule): give each one that overflows a tab stop
// and a name. Runs on every page load (Material's document$ when it is there).

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

function mark() {
  for (const wrap of document.querySelectorAll(".md-typeset__scrollwrap")) {
    const table = wrap.querySelector("table");
    const tall = table?.tHead && table.offsetHeight > TALL * window.innerHeight;
    wrap.classList.toggle("md-typeset__scrollwrap--tall", Boolean(tall));
    const scrolls = wrap.scrollWidth > wrap.clientWidth || wrap.scrollHeight > wrap.clientHeight;
    if (scrolls && !wrap.hasAttribute("tabindex")) {
      wrap.tabIndex = 0;
      wrap.setAttribute("role", "region");
      const how = wrap.scrollWidth > wrap.clientWidth ? "scrolls sideways" : "scrolls";
      wrap.setAttribute("aria-label", `${label(wrap).trim()} (${how})`);
    }
  }
}

// A module runs once the page is parsed, before DOMContentLoaded.
if (typeof document$ !== "undefined") document$.subscribe(mark);
else document.addEventListener("DOMContentLoaded", mark);
window.addEventListener("resize", mark);
