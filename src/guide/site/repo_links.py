"""Each path of the repository a page shows, a link to that file or folder on the repository.

An inline ``<code>`` whose text names a file or folder of the repository
(:func:`guide.site.repository.resolve`: ``examples/mysite/polls/views.py``,
``tests/django/``, or ``polls/views.py`` in the example project) becomes a
link to its page there: ``<a href=".../blob/main/..."><code>polls/views.py</code></a>``.
It works on the page's HTML, so a path written in Markdown, in a table drawn
from a marker or in a docstring of the reference pages is linked alike.
Left alone: code blocks (``<pre>``), headings, code already inside a link,
and anything that names no path that exists. Without a repository URL (a
local build) the page is returned unchanged.
"""

import html
import re

from guide.site import repository

TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)\b[^>]*?(/?)>")
CODE = re.compile(r"<code(?:\s[^>]*)?>([^<]*)</code>")
SKIP = frozenset({"pre", "a", "h1", "h2", "h3", "h4", "h5", "h6"})


def link(page_html, repo_url, branch):
    """``page_html`` with each repository path it shows as a link (unchanged without a URL)."""
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
            found = code and repository.resolve(html.unescape(code.group(1)))
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
