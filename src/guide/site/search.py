"""Code blocks are left out of the search index, so that previews show prose.

Material's search plugin indexes each section's text, code blocks included, and the
search dialog previews that text: a section with a long listing previewed as the
listing (the tutorial's preview was 4,068 px tall). Material leaves out any element
with a ``data-search-exclude`` attribute; :func:`exclude_code` gives it to every
``<pre>`` of a page (highlighted code, console sessions, configuration files, the
source of the reference pages, diagrams' text) and to a block's file name label,
before the search plugin reads the page. Inline ``<code>`` in a sentence stays in the
index, so a setting or a function named in the prose is still found.

Only ``<pre>`` and ``<span class="filename">`` get it: Material's parser tells
elements apart by tag alone, so an excluded element must not contain one of its own
tag (a ``<div>`` would end the exclusion at its first inner ``</div>``).

:mod:`guide.site.hooks` calls :func:`exclude_code` in ``on_page_content``;
``tests/once/test_search_previews.py`` reads the built index.
"""

import re

ATTRIBUTE = "data-search-exclude"
_TAGS = re.compile(r'<(?:pre|span class="filename")(?=[\s>])')


def exclude_code(html):
    """``html`` with every code block (and its file name label) marked for the search to skip."""
    return _TAGS.sub(lambda match: f"{match[0]} {ATTRIBUTE}", html)
