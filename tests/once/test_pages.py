"""The page parser and the runnable renderer: what they accept, and what fails the build."""

import subprocess
import sys
import tomllib

import pytest

from guide.content import pages
from guide.content import snippets as model
from guide.paths import DJANGO_VERSIONS, ROOT
from guide.site import runnable_blocks

SNIPPETS_BY_REL = model.load()
PLAIN = "snippets/howto/async_safety/unsafe.pycon"
VARIANTS = "snippets/reference/scope/edge_cases.pycon"


def test_blocks_are_found_with_language_lines_and_includes():
    markdown = (
        "Text\n\n"
        "```pycon\n"
        f'--8<-- "{PLAIN}"\n'
        "```\n\n"
        '``` { .python title="x" }\n'
        '--8<-- "examples/mysite/mysite/asgi.py:setup"\n'
        "```\n"
        "~~~text\n```\n~~~\n"
    )
    found = pages.blocks(markdown)
    assert [(b.lang, b.line, b.end) for b in found] == [
        ("pycon", 3, 5),
        ("python", 7, 9),
        ("text", 10, 12),
    ]
    assert found[0].includes == (pages.Include(4, PLAIN, None),)
    assert found[1].includes[0].section == "setup"


@pytest.mark.parametrize(
    ("markdown", "line", "message"),
    [
        ("```pycon\n--8<-- 'snippets/a.pycon'\n```\n", 2, "expected an include as --8<--"),
        ('```pycon\n-8<- "snippets/a.pycon"\n```\n', 2, "expected an include as --8<--"),
        ('para\n\n```pycon\n--8<-- "snippets/a.pycon"\n', 3, "never closed"),
        ('--8<-- "snippets/a.pycon"\n', 1, "outside a fenced code block"),
    ],
)
def test_malformed_markdown_names_the_line(markdown, line, message):
    with pytest.raises(pages.PageError, match=message) as caught:
        pages.blocks(markdown, ROOT / "docs" / "x.md")
    assert caught.value.line == line
    assert str(caught.value).startswith(f"docs/x.md:{line}: ")


@pytest.mark.parametrize(
    "body",
    [
        "",
        ">>> 1 + 1\n2\n",
        f'--8<-- "{PLAIN}"\n--8<-- "{PLAIN}"\n',
        f'--8<-- "{PLAIN}"\n>>> 1\n',
        '--8<-- "examples/mysite/manage.py"\n',
        f'--8<-- "{PLAIN}:section"\n',
    ],
)
def test_a_pycon_block_is_one_whole_snippet_include(body):
    (block,) = pages.blocks(f"```pycon\n{body}```\n")
    with pytest.raises(
        pages.PageError, match=r"a pycon block \(doctest\) holds|included whole, not a section"
    ):
        pages.doctest_block_include(block)


@pytest.mark.parametrize(
    ("page", "url"),
    [
        ("index.md", ""),
        ("howto/index.md", "howto/"),
        ("howto/async-safety.md", "howto/async-safety/"),
    ],
)
def test_url_of(page, url):
    assert pages.url_of(pages.DOCS / page) == url


def _render(markdown):
    return runnable_blocks.render(markdown, ROOT / "docs" / "x.md", SNIPPETS_BY_REL, "6.1")


def test_a_plain_snippet_is_wrapped_runnable():
    out = _render(f'Intro\n\n```pycon\n--8<-- "{PLAIN}"\n```\n\nAfter\n')
    assert '<div class="runnable" data-snippet="howto/async_safety/unsafe.pycon" markdown>' in out
    assert f'```pycon\n--8<-- "{PLAIN}"\n```' in out
    assert out.startswith("Intro\n") and out.rstrip().endswith("After")


def test_variants_become_one_tab_per_version_in_the_version_order():
    out = _render(f'!!! note\n\n    ```pycon\n    --8<-- "{VARIANTS}"\n    ```\n')
    tabs = [line.strip() for line in out.splitlines() if line.strip().startswith("===")]
    assert tabs == [f'=== "Django {v}"' for v in DJANGO_VERSIONS]
    assert '    === "Django 5.2"' in out  # kept inside the admonition
    for version in DJANGO_VERSIONS:
        assert f'        --8<-- "snippets/reference/scope/edge_cases-django{version}.pycon"' in out
    # Every version runs in the browser: the runtime's own warm, the others
    # in a fresh interpreter on their own Django (data-fresh names it).
    assert "data-browser-skip" not in out
    for version in DJANGO_VERSIONS[:-1]:
        assert f"&quot;django&quot;: &quot;{version}&quot;" in out


def test_a_missing_snippet_names_the_page_and_line():
    with pytest.raises(pages.PageError, match=r"docs/x\.md:3: no file snippets/nope\.pycon"):
        _render('Text\n```pycon\n--8<-- "snippets/nope.pycon"\n```\n')


def test_every_page_of_the_site_parses_and_renders():
    for page in pages.pages():
        runnable_blocks.render(page.read_text(encoding="utf-8"), page, SNIPPETS_BY_REL, "6.1")


@pytest.mark.parametrize(
    ("front_matter", "line"),
    [("", 5), ("---\ndescription: A page.\n---\n\n", 9)],
    ids=["plain", "front-matter"],
)
def test_the_strict_build_fails_on_a_malformed_block(tmp_path, front_matter, line):
    """`mkdocs build --strict` stops with the page and the line of its file (the hook's
    PluginError), front matter counted."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "index.md").write_text(
        front_matter + "# Page\n\nSome text.\n\n```pycon\n>>> 1 + 1\n2\n```\n"
    )
    config = tmp_path / "mkdocs.yml"
    config.write_text(
        f"site_name: t\ndocs_dir: {docs}\nhooks:\n  - {ROOT / 'hooks' / 'guide_hooks.py'}\n"
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "--strict",
            "-f",
            str(config),
            "-d",
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode != 0
    assert (
        f"{docs / 'index.md'}:{line}: a pycon block (doctest) holds one line"
        in result.stdout + result.stderr
    )


def test_every_browser_skip_is_listed_with_its_reason():
    """A snippet that stops running in the browser fails here until tests/allowed_skips.toml lists it."""
    allowed = tomllib.loads((ROOT / "tests" / "allowed_skips.toml").read_text())["browser"]
    browser = model.browser_django()
    skipped = {
        rel: s.browser_skip(browser)
        for rel, s in SNIPPETS_BY_REL.items()
        if s.browser_skip(browser)
    }
    assert skipped == allowed


def test_a_server_only_block_folds_its_explanation():
    """One short reason on the block (the page's script shows it); the why folded under it."""
    out = _render('```pycon\n--8<-- "snippets/howto/async_safety/which_thread.pycon"\n```\n')
    assert 'data-browser-skip="needs real threads"' in out
    assert (
        '<details class="runnable-why"><summary>Why it runs on a server only</summary>'
        "<p>On a server the sync view runs in a worker thread" in out
    )
    assert "runnable-why" not in _render(f'```pycon\n--8<-- "{PLAIN}"\n```\n')
