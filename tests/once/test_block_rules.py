"""Every code block on every page follows the table of block rules (guide.content.blocks).

One test per page lists every block that breaks its rule; the build hook stops
at the first. The cases below are the ways a page has gone wrong before: an
inline command or configuration, a file of the wrong kind, a language no rule
covers.
"""

import pytest

from guide.content import blocks, pages
from guide.paths import DOCS, ROOT


@pytest.mark.parametrize("page", pages.pages(), ids=lambda p: p.relative_to(DOCS).as_posix())
def test_page_blocks_follow_the_rules(page):
    problems = blocks.problems(page.read_text(encoding="utf-8"), page)
    assert not problems, "\n".join(problems)


def test_every_rule_names_its_files_and_its_test():
    langs = [lang for rule in blocks.RULES for lang in rule.langs]
    assert len(langs) == len(set(langs)), "a language has two rules"
    for rule in blocks.RULES:
        assert rule.tested_by, rule
        assert rule.inline or rule.files, f"{rule.kind}: no file may be included"
        for pattern in rule.files:
            folder = pattern.split("*")[0]
            assert (ROOT / folder).is_dir(), f"{rule.kind}: no folder {folder}"


def test_every_language_on_the_pages_has_a_rule_that_is_used():
    used = {block.lang for page in pages.pages() for block in pages.page_blocks(page)}
    assert used <= set(blocks.BY_LANG)
    assert set(blocks.BY_LANG) <= used, f"rules no page uses: {set(blocks.BY_LANG) - used}"


BAD = [
    # (markdown, line, what the message says)
    ("```console\n$ pip install x\n```\n", 1, "a console block (shell session) holds one line"),
    (
        '```console\n--8<-- "snippets/server_commands/uvicorn.sh"\n```\n',
        2,
        "is not one of snippets/*.console",
    ),
    ("```bash\nmkdir x\n```\n", 1, "a bash block (server command) holds one line"),
    (
        "```bash\nuvicorn mysite.asgi:application\n```\n",
        1,
        "found 'uvicorn mysite.asgi:application'",
    ),
    (
        '```bash\n--8<-- "examples/mysite/manage.py"\n```\n',
        2,
        "is not one of snippets/server_commands/*.sh",
    ),
    ('```shell\n--8<-- "snippets/server_commands/uvicorn.sh"\n```\n', 1, "'shell': no rule"),
    ("```\nplain\n```\n", 1, "a block without a language"),
    ("Text\n\n```nginx\nlocation / {\n    proxy_pass http://mysite;\n}\n```\n", 3, "nginx"),
    ('```ini\n--8<-- "snippets/systemd/gunicorn.service"\nUser=www-data\n```\n', 1, "systemd unit"),
    ('```nginx\n--8<-- "snippets/howto/x.conf"\n```\n', 2, "is not one of snippets/nginx/*.conf"),
    ("```python\nprint(1)\n```\n", 1, "a python block (example project code)"),
    ('```python\n--8<-- "snippets/howto/x.py"\n```\n', 2, "examples/mysite/*.py"),
    ("```pycon\n>>> 1\n1\n```\n", 1, "a pycon block (doctest)"),
    ('```pycon\n--8<-- "snippets/howto/nope.pycon"\n```\n', 2, "no file snippets/howto/nope.pycon"),
    ("```text\nINFO: ok\n```\n", 1, "a text block (server output)"),
    ('```console\n--8<-- "snippets/tutorial/asgi_tutorial/x.console:part"\n```\n', 2, "whole"),
]


@pytest.mark.parametrize(("markdown", "line", "message"), BAD)
def test_a_block_that_breaks_its_rule_stops_the_build_naming_page_and_line(markdown, line, message):
    with pytest.raises(pages.PageError) as caught:
        blocks.check(markdown, DOCS / "x.md")
    assert str(caught.value).startswith(f"docs/x.md:{line}: "), caught.value
    assert message in str(caught.value)


GOOD = [
    '```nginx\n--8<-- "snippets/nginx/mysite.conf:websocket"\n```\n',
    '```bash\n--8<-- "snippets/server_commands/uvicorn.sh"\n```\n',
    '```python\n--8<-- "examples/mysite/polls/views.py:async_views"\n```\n',
    "```mermaid\ngraph LR\n  a --> b\n```\n",
]


@pytest.mark.parametrize("markdown", GOOD)
def test_an_included_tested_file_passes(markdown):
    assert blocks.problems(markdown, DOCS / "x.md") == []


def test_every_command_configuration_and_output_file_is_shown_on_a_page():
    unshown = blocks.unshown_files()
    assert not unshown, f"files no page includes (show them, or remove them): {unshown}"


def test_a_file_no_page_shows_is_found(tmp_path):
    page = tmp_path / "x.md"
    page.write_text('```nginx\n--8<-- "snippets/nginx/mysite.conf"\n```\n')
    unshown = blocks.unshown_files([page])
    assert "snippets/nginx/subpath-strip.conf" in unshown
    assert "snippets/nginx/mysite.conf" not in unshown
    assert "snippets/server_commands/uvicorn.sh" in unshown
