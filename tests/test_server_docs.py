"""The pages show only server commands that ``tests/test_server_commands.py`` runs.

A server start command (``uvicorn ...``, ``gunicorn ...``, ``daphne ...``,
``hypercorn ...``, ``granian ...``) appears on a page only as an include of a
``snippets/servers/*.sh`` file, in a ```` ```bash ```` block of its own: the
file is what the tests run, and a bash block shows it as a command (a
``console`` block would render a line without a ``$`` prompt as output) and
copies exactly it. Every such file is shown by some page.
"""

import re

import pytest

from guide.commands import SERVER_SNIPPETS_DIR, server_snippets
from guide.pages import blocks, page_blocks, pages
from guide.paths import DOCS, ROOT
from guide.servers import SERVERS

SHELL_LANGS = {"console", "bash", "sh", "shell", "shell-session", "zsh", "shellsession"}
# An optional prompt, optional VAR=value assignments and an optional
# "python -m", then a server's name as the command.
SERVER_COMMAND = re.compile(
    r"^\s*(?:[$#]\s+)?(?:[A-Za-z_][A-Za-z0-9_]*=\S*\s+)*(?:python[\d.]*\s+-m\s+)?"
    rf"(?P<server>{'|'.join(SERVERS)})(?:\s|$)"
)
SNIPPET_PREFIX = SERVER_SNIPPETS_DIR.relative_to(ROOT).as_posix() + "/"


def server_includes(found_blocks):
    """Yield ``(line number, language, body, included path)`` for each server snippet include."""
    for block in found_blocks:
        for include in block.includes:
            if include.path.startswith(SNIPPET_PREFIX):
                yield block.line, block.lang, block.body, include.path


def inline_server_commands(found_blocks):
    """``[(line number, line)]`` for server commands typed into a shell block."""
    found = []
    for block in found_blocks:
        if block.lang not in SHELL_LANGS:
            continue
        found += [(block.line, line.strip()) for line in block.body if SERVER_COMMAND.match(line)]
    return found


@pytest.mark.parametrize("page", pages(), ids=lambda p: p.relative_to(DOCS).as_posix())
def test_server_commands_are_included_snippets(page):
    found_blocks = page_blocks(page)
    problems = [
        f"block at line {lineno}: inline server command {line!r}: put it in "
        f"{SNIPPET_PREFIX}*.sh (tested by tests/test_server_commands.py) and include that"
        for lineno, line in inline_server_commands(found_blocks)
    ]
    for lineno, lang, body, path in server_includes(found_blocks):
        if lang != "bash":
            problems.append(f"block at line {lineno}: include {path} in a bash block, not {lang!r}")
        if [line.strip() for line in body if line.strip()] != [f'--8<-- "{path}"']:
            problems.append(f"block at line {lineno}: the block holds more than the include")
        if not path.endswith(".sh") or not (ROOT / path).is_file():
            problems.append(f"block at line {lineno}: {path} is not a server snippet file")
    assert not problems, "\n".join(problems)


def test_every_server_snippet_is_shown_on_a_page():
    shown = {path for page in pages() for *_, path in server_includes(page_blocks(page))}
    orphans = [
        path.relative_to(ROOT).as_posix()
        for path in server_snippets()
        if path.relative_to(ROOT).as_posix() not in shown
    ]
    assert not orphans, f"server snippets no page includes: {orphans}"


@pytest.mark.parametrize(
    "line",
    [
        "$ uvicorn mysite.asgi:application",
        "uvicorn mysite.asgi:application --reload",
        "  $ gunicorn mysite.asgi:application -k uvicorn_worker.UvicornWorker",
        "daphne mysite.asgi:application",
        "$ DJANGO_SETTINGS_MODULE=mysite.settings_production hypercorn mysite.asgi:application",
        "$ python -m granian --interface asgi mysite.asgi:application",
    ],
)
def test_an_inline_server_command_is_found(line):
    assert inline_server_commands(blocks(f"```console\n{line}\n```\n")) == [(1, line.strip())]


@pytest.mark.parametrize(
    "markdown",
    [
        '```bash\n--8<-- "snippets/servers/uvicorn.sh"\n```\n',
        "```console\n$ python -m pip install uvicorn-worker\n$ nox -s bench_servers\n```\n",
        "```text\nuvicorn mysite.asgi:application\n```\n",  # not a shell block
        "```console\n$ pip install uvicorn\nINFO:     Uvicorn running on http://127.0.0.1:8000\n```\n",
    ],
)
def test_other_lines_are_not_server_commands(markdown):
    assert inline_server_commands(blocks(markdown)) == []
