"""Code blocks laid out as Material for MkDocs lays them out, before its script reaches them.

The site turns on Material's ``content.lazy`` (mkdocs.yml): its script sets a code
block up (copy button, the keyboard stop of a block that scrolls sideways) when the
block first comes on screen, not all at load, where each block's set-up made the
browser lay the whole page out again (Lighthouse, tutorial: about 30 forced layouts
in Material's bundle). Material adds the class ``md-code__content`` (``display:
grid``) to a block's ``<code>`` when it sets the block up and the ``<code>`` has
line spans (``pymdownx.highlight``'s ``line_spans``, every block of this site);
without it, a block in a closed ``<details>`` (the reference pages' source code)
lays its lines out differently, thousands of pixels wide. So the build writes
the class, and a block reads the same before its set-up as after
(mkdocs-material 9.8.1, ``src/templates/assets/javascripts/components/content/code/_/index.ts``,
``mountCodeBlock``: ``if (spans.length) el.classList.add("md-code__content")``).

The keyboard stop of a block that scrolls sideways, before its set-up:
``docs/assets/javascripts/scroll-regions.mjs``.
"""

import re

CLASS = "md-code__content"
_CODE_WITH_LINE_SPANS = re.compile(r'<code>(?=<span id="[^"]+">)')


def mark_line_spans(html):
    """``html`` with the class :data:`CLASS` on every ``<code>`` that starts with a line span."""
    return _CODE_WITH_LINE_SPANS.sub(f'<code class="{CLASS}">', html)
