"""The parser of the server command snippets (:mod:`guide.servers.commands`), on files of its own.

It reads a snippet as the one command a page shows, swaps the documented port
for a free one, and refuses what the tests could not run as written (no shell).
"""

import re

import pytest

from guide.servers.commands import CommandError, read_command, server_argv, with_port


def test_parser_joins_continued_lines_and_skips_comments(tmp_path):
    snippet = tmp_path / "s.sh"
    snippet.write_text("# a comment\nserve app:application \\\n    --bind 127.0.0.1:8000\n")
    assert read_command(snippet) == "serve app:application --bind 127.0.0.1:8000"
    assert server_argv(snippet, 4321) == ["serve", "app:application", "--bind", "127.0.0.1:4321"]


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["s", "--port", "8000"], ["s", "--port", "5555"]),
        (["s", "--port=8000"], ["s", "--port=5555"]),
        (["s", "-b", "127.0.0.1:8000"], ["s", "-b", "127.0.0.1:5555"]),
        (["s", "-p", "8000", "--limit", "18000"], ["s", "-p", "5555", "--limit", "18000"]),
    ],
)
def test_with_port_swaps_only_the_exact_port_token(argv, expected):
    assert with_port(argv, 5555) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("serve a:b --port 8001\n", "the port 8000 does not appear"),
        ("serve a:b --port 8000\nserve c:d --port 8000\n", "exactly one command"),
        ("serve a:b --port 8000 \\\n", "ends with a backslash"),
        ("serve a:b --port 8000 && echo done\n", "shell operators"),
        ("serve a:b --port $PORT 8000\n", "variable expansion"),
    ],
)
def test_parser_refuses_what_the_tests_could_not_run_as_written(tmp_path, text, message):
    snippet = tmp_path / "s.sh"
    snippet.write_text(text)
    with pytest.raises(CommandError, match=re.escape(message)):
        server_argv(snippet, 4321)
