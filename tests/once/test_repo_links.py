"""guide.site.repo_links: each repository path a page shows is a link to it on the repository.

The hook is tried on Markdown, then the site built as the Pages workflow
builds it (with a repository URL) is read: every inline ``<code>`` naming a
file or folder of the repository must be inside a link to that path's page,
and every link to a file's or folder's page must name one that exists.
"""

from html.parser import HTMLParser

import pytest

from guide.site import repo_links, repository
from helpers import REPO_URL

BLOB = f"{REPO_URL}/blob/main/"
TREE = f"{REPO_URL}/tree/main/"
EDIT = f"{REPO_URL}/edit/main/"


def _link(markdown):
    return repo_links.link(markdown, REPO_URL, "main")


def _a(path, text=None, kind="blob"):
    return f'<a href="{REPO_URL}/{kind}/main/{path}"><code>{text or path}</code></a>'


@pytest.mark.parametrize(
    ("page", "linked"),
    [
        (
            "<p>See <code>tests/django/test_websockets.py</code>.</p>",
            f"<p>See {_a('tests/django/test_websockets.py')}.</p>",
        ),
        (
            "<li>In <code>examples/mysite/</code>:</li>",
            f"<li>In {_a('examples/mysite', 'examples/mysite/', 'tree')}:</li>",
        ),
        # Relative to the example project.
        (
            "<td><code>polls/fixtures/sample_questions.json</code></td>",
            "<td>"
            + _a(
                "examples/mysite/polls/fixtures/sample_questions.json",
                "polls/fixtures/sample_questions.json",
            )
            + "</td>",
        ),
        # Not a path of the repository: a Django file, a URL path, a name, a missing file.
        (
            "<code>django/core/handlers/base.py</code> <code>/polls/</code> <code>asgi.py</code>",
            None,
        ),
        ("<code>tests/django/no_such_test.py</code>", None),
        # Already a link, a heading, a block.
        ('<a href="https://example.org/">the views, <code>polls/views.py</code></a>', None),
        ('<h2 id="x">Read <code>polls/views.py</code></h2>', None),
        ('<pre><code class="language-text">polls/views.py</code></pre>', None),
    ],
)
def test_code_naming_repository_paths_becomes_a_link(page, linked):
    assert _link(page) == (page if linked is None else linked)


def test_code_after_a_block_or_a_link_is_linked_again():
    page = (
        '<pre><code>polls/views.py</code></pre><a href="/">x</a><br/>'
        "<p><code>polls/urls.py</code></p>"
    )
    assert _link(page).endswith(f"<p>{_a('examples/mysite/polls/urls.py', 'polls/urls.py')}</p>")


def test_a_page_about_its_own_project_links_only_paths_from_the_root():
    page = "<p><code>polls/urls.py</code> <code>examples/mysite/polls/urls.py</code></p>"
    assert repo_links.link(page, REPO_URL, "main", example=False) == (
        f"<p><code>polls/urls.py</code> {_a('examples/mysite/polls/urls.py')}</p>"
    )


def test_a_local_build_has_no_links():
    assert (
        repo_links.link("<code>polls/views.py</code>", None, None) == "<code>polls/views.py</code>"
    )


# -- the built site ---------------------------------------------------------------------


class _Codes(HTMLParser):
    """Each inline ``<code>``'s text with the link around it, and every link's href."""

    def __init__(self):
        super().__init__()
        self.stack = []  # (tag, href)
        self.codes = []  # [text, href of the enclosing <a> or None, in a heading or pre]
        self.hrefs = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.hrefs.append(attrs["href"])
        self.stack.append((tag, attrs.get("href")))
        if tag == "code":
            tags = {t for t, _ in self.stack}
            skipped = bool(tags & {"pre", "h1", "h2", "h3", "h4", "h5", "h6", "nav"})
            href = next((h for t, h in reversed(self.stack) if t == "a"), None)
            self.codes.append(["", href, skipped])

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data):
        if any(t == "code" for t, _ in self.stack) and self.codes:
            self.codes[-1][0] += data


def _pages(site):
    return sorted(p for p in site.rglob("*.html") if not p.relative_to(site).parts[0] == "runtime")


def test_every_repository_path_shown_is_a_link_to_it(public_site_dir):
    unlinked, wrong, linked = [], [], 0
    for page in _pages(public_site_dir):
        parser = _Codes()
        parser.feed(page.read_text(encoding="utf-8"))
        name = page.relative_to(public_site_dir).with_suffix(".md").as_posix()
        example = name not in repo_links.OWN_PROJECT
        for text, href, skipped in parser.codes:
            found = repository.resolve(text, example=example)
            if skipped or found is None:
                continue
            where = f"{page.relative_to(public_site_dir)}: `{text}`"
            expected = repository.url(REPO_URL, "main", *found)
            if href is None:
                unlinked.append(where)
            elif href != expected:
                wrong.append(f"{where} links {href}, not {expected}")
            else:
                linked += 1
    assert not unlinked, "repository paths shown without a link:\n" + "\n".join(unlinked)
    assert not wrong, "\n".join(wrong)
    assert linked > 50


def test_a_page_about_its_own_project_links_no_file_of_the_example(public_site_dir):
    """On the tutorial, ``polls/urls.py`` is the reader's file, not the example's."""
    for name in repo_links.OWN_PROJECT:
        parser = _Codes()
        parser.feed((public_site_dir / name.replace(".md", ".html")).read_text(encoding="utf-8"))
        example = f"{BLOB}{repository.EXAMPLE}/"
        wrong = [
            f"`{text}`: {href}"
            for text, href, _ in parser.codes
            if href and href.startswith(example)
        ]
        assert not wrong, f"{name} links the example's files:\n" + "\n".join(wrong)


def test_every_link_to_the_repository_names_a_path_that_exists(public_site_dir):
    missing, seen = [], 0
    for page in _pages(public_site_dir):
        parser = _Codes()
        parser.feed(page.read_text(encoding="utf-8"))
        for href in parser.hrefs:
            for prefix, paths in (
                (BLOB, repository.files()),
                (TREE, repository.folders()),
                (EDIT, repository.files()),
            ):
                if href.startswith(prefix):
                    seen += 1
                    path = href.removeprefix(prefix).split("#")[0]
                    if path not in paths:
                        missing.append(f"{page.relative_to(public_site_dir)}: {href}")
    assert not missing, "links to no file or folder of the repository:\n" + "\n".join(missing)
    assert seen > 50


def test_the_header_links_the_repository_without_asking_its_host(public_site_dir):
    """The theme's repository link, without the attribute for which the theme's script
    asks the host's API (api.github.com) for stars and forks: the site loads nothing
    from another origin."""
    page = (public_site_dir / "howto" / "websockets" / "index.html").read_text(encoding="utf-8")
    assert f'<a href="{REPO_URL}" title="Go to repository" class="md-source">' in page
    assert 'data-md-component="source"' not in page
    assert f'href="{EDIT}docs/howto/websockets.md"' in page


def test_a_local_build_has_no_repository_link(site_dir):
    page = (site_dir / "howto" / "websockets" / "index.html").read_text(encoding="utf-8")
    assert 'class="md-source"' not in page and "/blob/main/" not in page
