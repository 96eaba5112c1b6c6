"""The pages show nginx and systemd configuration only as included, tested files.

A block in one of :data:`CONFIG_LANGS` holds exactly one line, an include of a
file under ``snippets/nginx/`` or ``snippets/systemd/`` (whole, or a named
section): the file ``tests/test_nginx.py`` or ``tests/test_systemd.py`` runs.
An inline line fails with the page and its line number.
"""

import pytest

from guide.pages import blocks, page_blocks, pages
from guide.paths import DOCS, ROOT, SNIPPETS

CONFIG_LANGS = {"nginx", "ini", "systemd", "systemd-unit", "conf", "cfg", "apacheconf"}
CONFIG_DIRS = ("snippets/nginx/", "snippets/systemd/")


def config_block_problems(found_blocks, page_name):
    """``["page:line: problem"]`` for each config block that is not one tested include."""
    problems = []
    for block in found_blocks:
        if block.lang not in CONFIG_LANGS:
            continue
        include_lines = {include.line for include in block.includes}
        for offset, text in enumerate(block.body, start=block.line + 1):
            if text.strip() and offset not in include_lines:
                problems.append(
                    f"{page_name}:{offset}: inline {block.lang} configuration {text.strip()!r}: "
                    f"put it in a file under {' or '.join(CONFIG_DIRS)} that a test runs, "
                    "and include that file"
                )
        if len(block.includes) != 1:
            problems.append(
                f"{page_name}:{block.line}: a {block.lang} block holds one include, "
                f"found {len(block.includes)}"
            )
        for include in block.includes:
            if not include.path.startswith(CONFIG_DIRS) or not (ROOT / include.path).is_file():
                problems.append(
                    f"{page_name}:{include.line}: {include.path} is not a file under "
                    f"{' or '.join(CONFIG_DIRS)}"
                )
    return problems


@pytest.mark.parametrize("page", pages(), ids=lambda p: p.relative_to(DOCS).as_posix())
def test_config_blocks_are_included_tested_files(page):
    problems = config_block_problems(page_blocks(page), page.relative_to(ROOT).as_posix())
    assert not problems, "\n".join(problems)


def test_every_config_file_is_shown_on_a_page():
    shown = {
        include.path
        for page in pages()
        for block in page_blocks(page)
        if block.lang in CONFIG_LANGS
        for include in block.includes
    }
    files = [
        path.relative_to(ROOT).as_posix()
        for folder in ("nginx", "systemd")
        for path in sorted((SNIPPETS / folder).glob("*"))
        if path.suffix in {".conf", ".service", ".socket"}
    ]
    assert files, "no configuration files found"
    assert not [f for f in files if f not in shown], f"not on any page: {set(files) - shown}"


@pytest.mark.parametrize(
    ("markdown", "line"),
    [
        ("Text\n\n```nginx\nlocation / {\n    proxy_pass http://mysite;\n}\n```\n", 4),
        ('```ini\n--8<-- "snippets/systemd/gunicorn.service"\nUser=www-data\n```\n', 3),
        ('```nginx\n--8<-- "snippets/howto/x.conf"\n```\n', 2),
    ],
)
def test_an_inline_config_line_is_reported_with_page_and_line(markdown, line):
    problems = config_block_problems(blocks(markdown), "docs/x.md")
    assert problems and problems[0].startswith(f"docs/x.md:{line}: ")


def test_an_included_config_file_passes():
    markdown = '```nginx\n--8<-- "snippets/nginx/mysite.conf:websocket"\n```\n'
    assert config_block_problems(blocks(markdown), "docs/x.md") == []
