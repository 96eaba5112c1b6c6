"""The pages show only server commands that ``tests/test_servers.py`` runs.

A server start command (``uvicorn ...``, ``gunicorn ...``, ``daphne ...``,
``hypercorn ...``, ``granian ...``) appears on a page only as an include of a
``snippets/servers/*.sh`` file, in a ```` ```bash ```` block of its own: the
file is what the tests run, and a bash block shows it as a command (a
``console`` block would render a line without a ``$`` prompt as output) and
copies exactly it. Every such file is shown by some page.
"""

import re

import pytest
from test_docs import DOCS, INCLUDE, ROOT, fenced_blocks, pages

from snippet_commands import SERVER_SNIPPETS_DIR, server_snippets

SHELL_LANGS = {"console", "bash", "sh", "shell", "shell-session", "zsh", "shellsession"}
SERVERS = ("uvicorn", "gunicorn", "daphne", "hypercorn", "granian")
# An optional prompt, optional VAR=value assignments and an optional
# "python -m", then a server's name as the command.
SERVER_COMMAND = re.compile(
    r"^\s*(?:[$#]\s+)?(?:[A-Za-z_][A-Za-z0-9_]*=\S*\s+)*(?:python[\d.]*\s+-m\s+)?"
    rf"(?P<server>{'|'.join(SERVERS)})(?:\s|$)"
)
SNIPPET_PREFIX = SERVER_SNIPPETS_DIR.relative_to(ROOT).as_posix() + "/"


def server_includes(markdown):
    """Yield ``(line number, language, body, included path)`` for each server snippet include."""
    for lineno, lang, body in fenced_blocks(markdown):
        for line in body:
            match = INCLUDE.match(line)
            if match and match.group("path").startswith(SNIPPET_PREFIX):
                yield lineno, lang, body, match.group("path")


def inline_server_commands(markdown):
    """``[(line number, line)]`` for server commands typed into a shell block."""
    found = []
    for lineno, lang, body in fenced_blocks(markdown):
        if lang not in SHELL_LANGS:
            continue
        found += [(lineno, line.strip()) for line in body if SERVER_COMMAND.match(line)]
    return found


@pytest.mark.parametrize("page", pages(), ids=lambda p: p.relative_to(DOCS).as_posix())
def test_server_commands_are_included_snippets(page):
    markdown = page.read_text(encoding="utf-8")
    problems = [
        f"block at line {lineno}: inline server command {line!r}: put it in "
        f"{SNIPPET_PREFIX}*.sh (tested by tests/test_servers.py) and include that"
        for lineno, line in inline_server_commands(markdown)
    ]
    for lineno, lang, body, path in server_includes(markdown):
        if lang != "bash":
            problems.append(f"block at line {lineno}: include {path} in a bash block, not {lang!r}")
        if [line.strip() for line in body if line.strip()] != [f'--8<-- "{path}"']:
            problems.append(f"block at line {lineno}: the block holds more than the include")
        if not path.endswith(".sh") or not (ROOT / path).is_file():
            problems.append(f"block at line {lineno}: {path} is not a server snippet file")
    assert not problems, "\n".join(problems)


def test_every_server_snippet_is_shown_on_a_page():
    shown = {
        path for page in pages() for *_, path in server_includes(page.read_text(encoding="utf-8"))
    }
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
    assert inline_server_commands(f"```console\n{line}\n```\n") == [(1, line.strip())]


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
    assert inline_server_commands(markdown) == []
