"""The server command checker (:mod:`guide.servers.command_check`), the page's engine.

Each kind of finding is triggered by a command of its own here, and tied to the fact
it states: a field of the server catalogue, the expectations of a command snippet
(both asserted by ``tests/django/test_server_commands.py``), or a test of
``tests/django/test_server_facts.py``. The guide's own command snippets have no
problem, every link goes to a heading of the built site, and what is not a server
command gets one line, never a traceback.
"""

import ast
import json
import re
import shutil
import subprocess
import sys

import pytest

from guide.browser_build.build import GUIDE_MODULES
from guide.paths import ROOT
from guide.servers import command_check
from guide.servers.catalogue import SERVERS
from guide.servers.command_check import (
    DEFAULT_ATTRIBUTE,
    DEPRECATED_WORKERS,
    GUNICORN_ASGI_WORKER,
    PREFIX_KEPT,
    PROBLEM,
    UVICORN_WORKER,
    WORKERS_NOT_GRACEFUL,
    check,
    check_json,
)
from guide.servers.commands import parse_command, read_command, server_snippets
from guide.servers.expectations import EXPECTATIONS, snippet_path

SERVER_FACTS = ROOT / "tests" / "django" / "test_server_facts.py"
SERVER_COMMANDS = ROOT / "tests" / "django" / "test_server_commands.py"

TRIGGERS = {
    "no-application": "uvicorn --host 127.0.0.1 --port 8000",
    "module-without-attribute": "hypercorn mysite.asgi --bind 127.0.0.1:8000",
    "option-refused": "daphne -b 127.0.0.1 -p 8000 --reload mysite.asgi:application",
    "root-path-kept": "hypercorn mysite.asgi:application --root-path /app",
    "root-path-added": "uvicorn mysite.asgi:application --root-path /app",
    "reload-ignores-workers": "uvicorn mysite.asgi:application --reload --workers 2",
    "forwarded-loopback-only": "uvicorn mysite.asgi:application --proxy-headers",
    "no-worker-class": "gunicorn mysite.asgi:application --workers 2",
    "deprecated-worker": "gunicorn mysite.asgi:application -k uvicorn.workers.UvicornWorker",
    "reload-does-not-restart": (
        "gunicorn mysite.asgi:application -k uvicorn_worker.UvicornWorker --reload"
    ),
    "root-path-not-passed": (
        "gunicorn mysite.asgi:application -k uvicorn_worker.UvicornWorker --root-path /app"
    ),
    "untested-worker": "gunicorn mysite.asgi:application -k gevent",
    "not-graceful": "daphne -b 127.0.0.1 -p 8000 mysite.asgi:application",
    "proxy-headers-off": "daphne mysite.asgi:application",
    "proxy-headers-any-client": "daphne --proxy-headers mysite.asgi:application",
    "workers-not-graceful": "hypercorn mysite.asgi:application --workers 4",
}
"""A command that triggers each kind of finding."""

FACT_TESTS = {
    "reload-ignores-workers": (SERVER_FACTS, "test_uvicorn_reload_ignores_workers"),
    "no-worker-class": (SERVER_FACTS, "test_gunicorn_without_worker_class_runs_a_wsgi_worker"),
    "deprecated-worker": (SERVER_FACTS, "test_gunicorn_with_uvicorns_deprecated_worker_module"),
    "module-without-attribute": (
        SERVER_FACTS,
        "test_module_without_attribute_and_one_call_per_request",
    ),
    "option-refused": (SERVER_COMMANDS, "test_an_option_the_server_does_not_have_is_refused"),
    "reload-does-not-restart": (SERVER_COMMANDS, "test_reload_option"),
    "root-path-not-passed": (SERVER_COMMANDS, "test_root_path_option_without_a_snippet"),
    "root-path-kept": (SERVER_COMMANDS, "test_root_path_reaches_django_as_script_name"),
    "root-path-added": (SERVER_COMMANDS, "test_root_path_reaches_django_as_script_name"),
    "not-graceful": (SERVER_COMMANDS, "test_sigterm_with_a_request_in_flight"),
    "workers-not-graceful": (SERVER_COMMANDS, "test_sigterm_with_a_request_in_flight"),
    "proxy-headers-off": (SERVER_COMMANDS, "test_access_log_by_default"),
    "proxy-headers-any-client": (
        SERVER_FACTS,
        "test_forwarded_for_from_a_client_that_is_not_the_proxy",
    ),
    "forwarded-loopback-only": (
        ROOT / "tests" / "once" / "test_server_catalogue.py",
        "test_uvicorn_trusts_proxy_headers_from_loopback_by_default",
    ),
}
"""The test that shows what each kind of finding states (the tests of a server's
behaviour read it from the catalogue or the snippet's expectations, checked below).
``no-application`` and ``untested-worker`` state only what the command lacks."""


def finding_kinds():
    """The kinds the module can report: each ``Finding("kind", ...)`` in its source."""
    tree = ast.parse(open(command_check.__file__, encoding="utf-8").read())
    return {
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and getattr(node.func, "id", None) == "Finding"
        and isinstance(node.args[0], ast.Constant)
    }


def module_constant(path, name):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == name:
            return ast.literal_eval(node.value)
    raise AssertionError(f"{path.name} has no {name}")


def test_every_kind_of_finding_has_a_trigger_here():
    assert finding_kinds() == set(TRIGGERS)
    assert set(FACT_TESTS) == set(TRIGGERS) - {"no-application", "untested-worker"}


@pytest.mark.parametrize("kind", sorted(TRIGGERS))
def test_each_kind_of_finding_is_triggered(kind):
    report = check(TRIGGERS[kind])
    assert kind in [finding.kind for finding in report.findings], report


@pytest.mark.parametrize("kind", sorted(FACT_TESTS))
def test_each_fact_has_its_test(kind):
    path, name = FACT_TESTS[kind]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    assert name in {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}


@pytest.mark.parametrize("snippet", server_snippets(), ids=lambda path: path.name)
def test_the_guides_own_commands_have_no_problem(snippet):
    report = check(snippet.read_text(encoding="utf-8"))
    assert report.server == EXPECTATIONS[snippet.name].server.name
    assert list(report.argv) == parse_command(snippet)
    problems = [finding for finding in report.findings if finding.level == PROBLEM]
    assert not problems, problems


def test_the_root_path_notes_follow_the_snippets_expectations():
    """``PREFIX_KEPT``: whether each ``*-root-path.sh`` serves a path that still has the prefix."""
    seen = {}
    for name, expect in EXPECTATIONS.items():
        if expect.root_path:
            key = GUNICORN_ASGI_WORKER if name.startswith("gunicorn-asgi") else expect.server.name
            seen[key] = expect.serves_prefixed_path
            assert expect.server.root_path_reaches_app, name
    assert seen == PREFIX_KEPT
    assert not SERVERS["gunicorn"].root_path_reaches_app  # the uvicorn worker's


def test_the_workers_warning_follows_the_snippets_expectations():
    several = {
        expect.server.name
        for name, expect in EXPECTATIONS.items()
        if not expect.server.graceful
        and SERVERS[expect.server.name].graceful
        and expect.server.workers(parse_command(snippet_path(name))) > 1
    }
    assert several == WORKERS_NOT_GRACEFUL


def test_the_default_attributes_are_those_the_server_facts_observe():
    assert module_constant(SERVER_FACTS, "DEFAULT_ATTRIBUTE") == DEFAULT_ATTRIBUTE
    refused = set(module_constant(SERVER_FACTS, "REFUSED"))
    assert refused | set(DEFAULT_ATTRIBUTE) == set(SERVERS)
    assert not refused & set(DEFAULT_ATTRIBUTE)


def test_the_worker_classes_are_those_the_tests_run():
    assert f"-k {UVICORN_WORKER}" in SERVERS["gunicorn"].bench_command
    assert UVICORN_WORKER in read_command(snippet_path("gunicorn.sh"))
    assert f"--worker-class {GUNICORN_ASGI_WORKER}" in read_command(
        snippet_path("gunicorn-asgi.sh")
    )
    assert DEPRECATED_WORKERS[0] in SERVER_FACTS.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("text", "same_as"),
    [
        ("python -m uvicorn mysite.asgi:application --host 127.0.0.1 --port 8000", "uvicorn.sh"),
        ("exec uvicorn mysite.asgi:application --host 127.0.0.1 --port 8000", "uvicorn.sh"),
        ("$ DEBUG=1 uvicorn mysite.asgi:application --host 127.0.0.1 --port 8000", "uvicorn.sh"),
        (
            "/srv/venv/bin/gunicorn mysite.asgi:application -k uvicorn_worker.UvicornWorker \\\n"
            "    --workers 2 --bind 127.0.0.1:8000 --graceful-timeout 30\n",
            "gunicorn.sh",
        ),
        (
            "uv run granian --interface asgi mysite.asgi:application \\\n"
            "  --host 127.0.0.1 --port 8000 --workers 2",
            "granian.sh",
        ),
    ],
)
def test_commands_as_readers_paste_them(text, same_as):
    assert check(text) == check(snippet_path(same_as).read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Paste a server command"),
        ("  \n# a comment\n", "Paste a server command"),
        ("uvicorn mysite.asgi:application --root-path '/app", "quotes or backslashes"),
        ("uvicorn mysite.asgi:application \\", "ends with a backslash"),
        ("uvicorn a:b\nhypercorn a:b", "one command at a time"),
        ("uvicorn mysite.asgi:application | tee log", "without the shell's |"),
        ("nginx -g 'daemon off;'", "`nginx` is not a server this guide covers"),
        ("python manage.py runserver", "Django's `runserver`"),
        ("python -m", "`python` is not a server"),
        ("exec", "Paste a server command"),
    ],
)
def test_what_is_not_a_server_command_gets_one_line(text, message):
    result = json.loads(check_json(text))
    assert set(result) == {"error"}
    assert message in result["error"]
    assert "\n" not in result["error"] and "Traceback" not in result["error"]


@pytest.mark.parametrize(
    "text",
    ["uvicorn --workers", "hypercorn a:b --workers two", "gunicorn -k", "daphne -p", "uvicorn --"],
)
def test_an_option_without_its_value_is_no_traceback(text):
    result = json.loads(check_json(text))
    assert "error" not in result, result


def test_the_report_as_the_page_gets_it():
    result = json.loads(check_json(TRIGGERS["reload-ignores-workers"]))
    assert (result["server"], result["name"], result["page"]) == (
        "uvicorn",
        "uvicorn",
        "servers/uvicorn/",
    )
    assert result["findings"][0] == {
        "kind": "reload-ignores-workers",
        "level": "warning",
        "message": (
            "With `--reload`, `--workers 2` is ignored: uvicorn starts one server process "
            "and warns. Use `--reload` in development only."
        ),
        "page": "servers/uvicorn/#development-reload",
    }


def test_every_finding_links_to_a_page_and_heading_of_the_site(site_dir):
    links = {f"servers/{name}/" for name in SERVERS}
    for text in TRIGGERS.values():
        links.update(finding.page for finding in check(text).findings)
    problems = []
    for link in sorted(links):
        page, _, anchor = link.partition("#")
        html = site_dir / page / "index.html"
        if not html.is_file():
            problems.append(f"{link}: no page {page} on the site")
        elif anchor and not re.search(rf'<h\d[^>]* id="{re.escape(anchor)}"', html.read_text()):
            problems.append(f"{link}: no heading #{anchor} on {page}")
    assert not problems, "\n".join(problems)


def test_the_modules_shipped_to_the_browser_run_alone(tmp_path):
    """The page runs the checker from the files ``GUIDE_MODULES`` ships, without the
    checkout: here, an interpreter that sees only those files (no site-packages, no
    PYTHONPATH: ``-c`` puts the current folder first on its path)."""
    for name in GUIDE_MODULES:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / "src" / name, tmp_path / name)
    code = (
        "import json, sys; "
        "from guide.servers.command_check import check_json; "
        "print(check_json(sys.argv[1])); "
        "print(sorted(m for m in sys.modules if m.startswith('guide')))"
    )
    result = subprocess.run(
        [sys.executable, "-E", "-S", "-c", code, TRIGGERS["reload-ignores-workers"]],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    report, modules = result.stdout.splitlines()
    assert json.loads(report) == json.loads(check_json(TRIGGERS["reload-ignores-workers"]))
    shipped = {
        name.removesuffix(".py").removesuffix("/__init__").replace("/", ".")
        for name in GUIDE_MODULES
        if name.endswith(".py")
    }
    assert set(ast.literal_eval(modules)) == shipped


PAGE = ROOT / "docs" / "howto" / "check-server-command.md"


def test_the_pages_own_example_shows_a_problem_and_a_warning():
    """The command the page's checker starts with (``data-command``)."""
    (command,) = re.findall(
        r'class="server-command-check" data-command="([^"]+)"', PAGE.read_text()
    )
    levels = {finding.kind: finding.level for finding in check(command).findings}
    assert levels == {"root-path-not-passed": "problem", "reload-does-not-restart": "warning"}
