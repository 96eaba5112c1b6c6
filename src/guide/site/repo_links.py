"""Each path of the repository a page shows, a link to that file or folder on the repository.

An inline ``<code>`` whose text names a file or folder of the repository
(:func:`guide.site.repository.resolve`: ``examples/mysite/polls/views.py``,
``tests/django/``, or ``polls/views.py`` in the example project) becomes a
link to its page there: ``<a href=".../blob/main/..."><code>polls/views.py</code></a>``.
It works on the page's HTML, so a path written in Markdown, in a table drawn
from a marker or in a docstring of the reference pages is linked alike.
Left alone: code blocks (``<pre>``), headings, code already inside a link,
and anything that names no path that exists. Without a repository URL (a
local build) the page is returned unchanged. On the pages of
:data:`OWN_PROJECT`, ``polls/urls.py`` is the reader's own file (the tutorial
builds its own project), not the example's: only paths from the repository's
root are linked there.
"""

import html
import re

from guide.site import repository

TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)\b[^>]*?(/?)>")
CODE = re.compile(r"<code(?:\s[^>]*)?>([^<]*)</code>")
SKIP = frozenset({"pre", "a", "h1", "h2", "h3", "h4", "h5", "h6"})

OWN_PROJECT = frozenset({"tutorial/index.md"})
"""Pages (``docs/``-relative) about a project of their own, not ``examples/mysite``."""


def link(page_html, repo_url, branch, example=True):
    """``page_html`` with each repository path it shows as a link (unchanged without a URL).

    ``example``: whether a path such as ``polls/views.py`` names the example
    project's file (false on the pages of :data:`OWN_PROJECT`).
    """
    if not repo_url:
        return page_html
    out = []
    open_skips = []
    position = 0
    while True:
        tag = TAG.search(page_html, position)
        if tag is None:
            out.append(page_html[position:])
            return "".join(out)
        closing, name = tag.group(1), tag.group(2).lower()
        if name == "code" and not closing and not open_skips:
            code = CODE.match(page_html, tag.start())
            found = code and repository.resolve(html.unescape(code.group(1)), example=example)
            if found:
                out.append(page_html[position : tag.start()])
                href = html.escape(repository.url(repo_url, branch, *found))
                out.append(f'<a href="{href}">{code.group(0)}</a>')
                position = code.end()
                continue
        if name in SKIP and not tag.group(3):
            if closing:
                if name in open_skips:
                    del open_skips[len(open_skips) - 1 - open_skips[::-1].index(name)]
            else:
                open_skips.append(name)
        out.append(page_html[position : tag.end()])
        position = tag.end()
