// A table wider than the page scrolls inside Material's .md-typeset__scrollwrap.
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

function mark() {
  for (const wrap of document.querySelectorAll(".md-typeset__scrollwrap")) {
    if (wrap.scrollWidth > wrap.clientWidth && !wrap.hasAttribute("tabindex")) {
      wrap.tabIndex = 0;
      wrap.setAttribute("role", "region");
      wrap.setAttribute("aria-label", `${label(wrap).trim()} (scrolls sideways)`);
    }
  }
}

// A module runs once the page is parsed, before DOMContentLoaded.
if (typeof document$ !== "undefined") document$.subscribe(mark);
else document.addEventListener("DOMContentLoaded", mark);
window.addEventListener("resize", mark);
