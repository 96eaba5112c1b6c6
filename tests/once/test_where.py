"""``python -m guide.where PAGE``: a page's included files and the tests that run them.

The ids it lists are those pytest collects (one collection for the module), and
the commands it prints select exactly them.
"""

import re
import subprocess
import sys

import pytest

from guide import where
from guide.paths import DOCS, ROOT

REVERSE_PROXY = DOCS / "howto" / "reverse-proxy.md"


@pytest.fixture(scope="module")
def collected():
    ids = where.collect()
    assert len(ids) > 100
    return ids


@pytest.mark.parametrize(
    ("name", "page"),
    [
        ("docs/howto/reverse-proxy.md", "howto/reverse-proxy.md"),
        ("howto/reverse-proxy", "howto/reverse-proxy.md"),
        ("howto/reverse-proxy.md", "howto/reverse-proxy.md"),
        ("howto/reverse-proxy/", "howto/reverse-proxy.md"),
        (str(REVERSE_PROXY), "howto/reverse-proxy.md"),
        ("tutorial/", "tutorial/index.md"),
        ("index", "index.md"),
    ],
    # Ids of their own: ids naming a page would be listed as that page's tests.
    ids=["docs-path", "name", "name-md", "url", "absolute", "folder-url", "index"],
)
def test_a_page_is_found_by_its_path_its_name_or_its_url(name, page):
    assert where.find_page(name) == DOCS / page


def test_an_unknown_page_exits_2_naming_close_pages(capsys):
    assert where.main(["howto/revers-proxy"]) == 2
    out = capsys.readouterr().out
    assert out.startswith("no page 'howto/revers-proxy' under docs/; close names: ")
    assert "howto/reverse-proxy" in out


def test_a_page_with_no_close_name_lists_the_pages(capsys):
    assert where.main(["zzzz"]) == 2
    assert "the pages: " in capsys.readouterr().out and "howto/reverse-proxy" in where.page_names()


@pytest.mark.parametrize(
    ("nodeid", "named"),
    [
        ("tests/django/test_server_commands.py::test_sync_view[uvicorn.sh]", True),
        ("tests/django/test_server_commands.py::test_sync_view[uvicorn-root-path.sh]", False),
        ("tests/once/test_server_catalogue.py::test_name[uvicorn.sh-uvicorn]", True),
        (
            "tests/once/test_build_inputs.py::test_counts[site-snippets/server_commands/uvicorn.sh]",
            True,
        ),
        ('tests/once/test_block_rules.py::test_x[```bash\\n--8<-- "uvicorn.sh"\\n```\\n]', False),
        ("tests/once/test_nginx.py::test_forwarded[uvicorn]", False),
        ("tests/once/test_nginx.py::test_uvicorn_sh", False),
    ],
    ids=["whole", "another", "first-part", "last-part", "inside-text", "stem", "not-a-param"],
)
def test_an_id_names_a_file_by_its_whole_parametrize_id_or_a_dash_joined_part(nodeid, named):
    assert (
        where.names(
            nodeid,
            ["snippets/server_commands/uvicorn.sh", "server_commands/uvicorn.sh", "uvicorn.sh"],
        )
        == named
    )


def test_each_included_file_in_page_order_with_the_collected_tests_that_run_it(collected):
    shown, page_ids = where.describe(REVERSE_PROXY, collected)
    assert [s.line for s in shown] == sorted(s.line for s in shown)
    by_path = {s.path: s for s in shown}
    forwarded = by_path["snippets/howto/reverse_proxy/forwarded.pycon"]
    assert forwarded.rule.kind == "doctest"
    assert [i for i, _ in forwarded.ids] == [
        "tests/django/test_snippets.py::test_snippet[howto/reverse_proxy/forwarded.pycon]",
        "tests/browser/test_runnable.py::"
        "test_every_snippet_on_the_page_runs_with_its_doctest_output[howto/reverse-proxy/]",
    ]
    command = [i for i, _ in by_path["snippets/server_commands/uvicorn-root-path.sh"].ids]
    assert len(command) > 5 and all(i.endswith("[uvicorn-root-path.sh]") for i in command)
    assert {where.session_of(i) for i in command} == {"tests", "docs"}
    # No id names the nginx files: the modules their rule names that use them, whole.
    assert by_path["snippets/nginx/mysite.conf"].whole == [
        "tests/once/test_nginx.py",
        "tests/once/test_rolling_upstream.py",
    ]
    assert by_path["snippets/nginx/uvicorn-uds.sh"].whole == ["tests/once/test_nginx.py"]
    assert (
        "tests/once/test_block_rules.py::test_page_blocks_follow_the_rules[howto/reverse-proxy.md]"
        in page_ids
    )
    listed = [i for s in shown for i, _ in s.ids] + page_ids
    assert set(listed) <= set(collected), "every id listed is one pytest collected"


def test_a_variant_for_another_django_is_listed_for_that_django_alone(collected):
    page = DOCS / "explanation" / "request-handling.md"
    shown, page_ids = where.describe(page, collected)
    (read_body,) = [s for s in shown if s.path.endswith("/read_body.pycon")]
    snippet_ids = [(i, d) for i, d in read_body.ids if where.session_of(i) == "tests"]
    assert snippet_ids == [
        (
            f"tests/django/test_snippets.py::test_snippet[explanation/request_handling/read_body-django{v}.pycon]",
            v,
        )
        for v in ("5.2", "6.0", "6.1")
    ]
    commands = [c for c in where.commands(shown, page_ids) if "-s 'tests(" in c]
    assert len(commands) == 3
    for version, command in zip(("5.2", "6.0", "6.1"), commands, strict=True):
        assert command.startswith(f"./guide nox -s 'tests(django{version})' -- ")
        assert re.findall(r"read_body-django(\d\.\d)", command) == [version]


def test_the_docs_command_selects_exactly_the_listed_tests(collected):
    shown, page_ids = where.describe(REVERSE_PROXY, collected)
    (docs,) = [
        c for c in where.commands(shown, page_ids) if c.startswith("./guide nox -s docs -- -k ")
    ]
    expression = docs.removeprefix("./guide nox -s docs -- -k ").strip("'")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "tests/once", "-k", expression],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    selected = {line for line in result.stdout.splitlines() if "::" in line}
    listed = {i for s in shown for i, _ in s.ids if i.startswith("tests/once/")}
    listed |= {i for i in page_ids if i.startswith("tests/once/")}
    whole = {w for s in shown for w in s.whole if w.startswith("tests/once/")}
    listed |= {i for i in collected if i.split("::")[0] in whole}
    assert selected == listed


def test_the_report_says_the_session_of_each_test_and_how_to_run_them(
    collected, monkeypatch, capsys
):
    monkeypatch.setattr(where, "collect", lambda: collected)
    assert where.main(["howto/reverse-proxy"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("docs/howto/reverse-proxy.md: ")
    source = (DOCS / "howto" / "reverse-proxy.md").read_text(encoding="utf-8").splitlines()
    line = source.index('--8<-- "snippets/howto/reverse_proxy/forwarded.pycon"') + 1
    assert f"line {line}  doctest: snippets/howto/reverse_proxy/forwarded.pycon\n" in out
    assert (
        "    tests    tests/django/test_snippets.py::test_snippet[howto/reverse_proxy/forwarded.pycon]\n"
        in out
    )
    assert "run just these:\n    ./guide nox -s tests -- 'tests/django/test_snippets.py::" in out
    assert "./guide nox -s browser -- -k " in out


def test_the_sessions_are_the_folders_the_noxfile_runs():
    noxfile = (ROOT / "noxfile.py").read_text(encoding="utf-8")
    folders = dict(re.findall(r'^(TESTS_\w+) = "(tests/\w+)"$', noxfile, re.MULTILINE))
    assert sorted(folders.values()) == sorted(where.SESSIONS)
    for constant, session in [
        ("TESTS_PER_DJANGO", "tests"),
        ("TESTS_ONCE", "docs"),
        ("TESTS_BROWSER", "browser"),
    ]:
        assert re.search(rf"def {session}\(session[^)]*\):.*?\b{constant}\b", noxfile, re.DOTALL)
        assert where.SESSIONS[folders[constant]] == session
