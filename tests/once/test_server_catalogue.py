"""The server catalogue (:mod:`guide.servers.catalogue`) agrees with the files it speaks for.

- every ``snippets/server_commands/*.sh`` file has an :class:`~guide.servers.catalogue.Expect`
  in ``EXPECTATIONS``, and every entry a file, so a command can't be added to the
  docs untested;
- each snippet is one command, for the server its name says, serving the
  example project on the documented address;
- the servers that the snippets, the pages (``docs/servers/``), the
  benchmark's commands and its recorded results name are the catalogue's.
"""

import json
import re
import shlex

import pytest

from guide.paths import DOCS, ROOT
from guide.servers.catalogue import (
    BENCH_APP,
    BENCH_VARIANTS,
    BENCHED,
    SERVERS,
)
from guide.servers.commands import application_of, parse_command, server_snippets, with_port
from guide.servers.expectations import EXPECTATIONS, server_name, snippet_path, snippet_workers

BENCH_RESULTS = ROOT / "bench" / "results" / "servers.json"
PINS = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==", re.MULTILINE)


def test_every_server_snippet_has_expectations_and_every_expectation_a_snippet():
    assert sorted(path.name for path in server_snippets()) == sorted(EXPECTATIONS)


@pytest.mark.parametrize("name", sorted(EXPECTATIONS))
def test_snippet_is_one_command_for_the_documented_address(name):
    argv = parse_command(snippet_path(name))
    assert argv[0] == server_name(name) == EXPECTATIONS[name].server.name
    assert application_of(argv).startswith("mysite.asgi")
    assert "127.0.0.1" in " ".join(argv)
    assert with_port(argv, 12345) != argv


@pytest.mark.parametrize(
    ("snippet", "server"),
    [
        ("uvicorn.sh", "uvicorn"),
        ("uvicorn-dev-reload.sh", "uvicorn"),
        ("granian-root-path.sh", "granian"),
    ],
)
def test_server_name_is_the_snippet_name_up_to_the_first_dash(snippet, server):
    assert server_name(snippet) == server


def test_every_server_has_a_snippet_of_its_own_name_and_a_page():
    # The not-installed test starts "<name>.sh"; each server has a page under docs/servers/.
    assert {server_name(name) for name in EXPECTATIONS} == set(SERVERS)
    assert all(snippet_path(f"{name}.sh").is_file() for name in SERVERS)
    pages = {page.stem for page in (DOCS / "servers").glob("*.md") if page.stem != "index"}
    assert pages == set(SERVERS)


@pytest.mark.parametrize("name", list(BENCHED))
def test_bench_command_serves_the_bench_app_on_the_given_port(name):
    server = BENCHED[name]
    argv = shlex.split(server.bench_command)
    assert argv[0] == server_name(f"{name}.sh") and server.name == name
    assert application_of(argv) == BENCH_APP
    assert "127.0.0.1" in server.bench_command
    assert sum("{port}" in part for part in argv) == 1
    assert str(4321) in " ".join(server.bench_argv(4321))
    assert "{port}" not in " ".join(server.bench_argv(4321))


@pytest.mark.parametrize("name", list(BENCH_VARIANTS))
def test_a_bench_variant_runs_options_a_tested_snippet_runs(name):
    """``gunicorn-asgi``: the options its command adds to Gunicorn's are those of
    ``snippets/server_commands/gunicorn-asgi.sh``, which the server tests run."""
    base = SERVERS[server_name(f"{name}.sh")]
    added = set(shlex.split(BENCH_VARIANTS[name].bench_command)) - set(
        shlex.split(base.bench_command)
    )
    assert added
    assert added <= set(parse_command(snippet_path(f"{name}.sh"))), added


def test_labels_and_colours_tell_the_servers_apart():
    for field in ("label", "chart_label", "colour"):
        values = [getattr(server, field) for server in BENCHED.values()]
        assert len(set(values)) == len(BENCHED), field
    assert all(re.fullmatch(r"#[0-9a-f]{6}", server.colour) for server in BENCHED.values())


def test_recorded_benchmark_ran_the_catalogues_commands():
    """The figures the pages show came from the catalogue's servers, commands and packages."""
    recorded = json.loads(BENCH_RESULTS.read_text(encoding="utf-8"))["servers"]
    assert set(recorded) <= set(BENCHED)
    for name, info in recorded.items():
        assert info["command"] == shlex.join(BENCHED[name].bench_argv(8000)), name
        assert list(info["versions"]) == list(BENCHED[name].packages), name


def test_every_recorded_package_is_pinned_in_the_requirements():
    pinned = set()
    for requirements in ("example.txt", "servers.txt"):
        text = (ROOT / "requirements" / requirements).read_text(encoding="utf-8")
        pinned |= {name.lower().replace("_", "-") for name in PINS.findall(text)}
    for server in BENCHED.values():
        assert set(server.packages) <= pinned, server.name


def test_each_expectation_says_what_its_behaviour_tests_need():
    for name, expect in EXPECTATIONS.items():
        server = expect.server
        argv = parse_command(snippet_path(name))
        # A refusal of HTTP/2 without TLS is checked by the answer it sends.
        assert server.http2_cleartext == (server.http2_preface_answer is None), name
        assert server.http2_refused is None or not server.http2_cleartext, name
        # A server that cuts the request in flight at SIGTERM says why.
        assert server.graceful or server.not_graceful_because, name
        # The worker count comes from the command itself.
        assert snippet_workers(name) >= 1, name
        # An access-log line is looked for exactly where the server logs requests.
        assert (expect.forwarded_request_log is not None) == server.access_log, name
        assert expect.root_path == "" or re.fullmatch(r"(/[\w-]+)+", expect.root_path), name
        assert expect.serves_prefixed_path <= bool(expect.root_path), name
        # The root path is set with the server's own option.
        given = [argv[i + 1] for i, token in enumerate(argv) if token == server.root_path_option]
        assert given == ([expect.root_path] if expect.root_path else []), name
        # The options an override is due to (the servers table names them).
        assert bool(expect.overrides) == bool(expect.because_of), name
        base = parse_command(snippet_path(f"{server.name}.sh"))
        for option in expect.because_of:
            assert option in argv and option not in base, (name, option)


def test_every_cell_of_the_servers_table_has_a_command_that_shows_it():
    for name, server in SERVERS.items():
        mine = [snippet for snippet, expect in EXPECTATIONS.items() if expect.server.name == name]
        # Its own <name>.sh has no overrides: it shows the server's own values.
        assert not EXPECTATIONS[f"{name}.sh"].overrides, name
        # --workers N: some snippet starts more than one worker.
        assert bool(server.workers_options) == any(snippet_workers(s) > 1 for s in mine), name
        # Where the root path reaches the application, one snippet shows how.
        root_path_snippets = [
            s
            for s in mine
            if EXPECTATIONS[s].root_path
            and "root_path_reaches_app" not in EXPECTATIONS[s].overrides
        ]
        assert len(root_path_snippets) == (1 if server.root_path_reaches_app else 0), name
        # A root path is only ever set where it reaches the application.
        assert all(
            EXPECTATIONS[s].server.root_path_reaches_app for s in mine if EXPECTATIONS[s].root_path
        )
        # A missing option is shown refused; a reload that does not restart, noticed.
        lacks = not server.workers_options or server.reload_option is None
        assert bool(server.unknown_option_error) == lacks, name
        assert (server.reload_noticed is None) == server.reload_restarts, name
        assert server.bind_attempts >= 1 and server.port_in_use_says, name


def test_uvicorn_trusts_proxy_headers_from_loopback_by_default():
    """What the pages say of --forwarded-allow-ips: default 127.0.0.1 and ::1 (uvicorn's Config)."""
    import os

    import uvicorn

    assert "FORWARDED_ALLOW_IPS" not in os.environ
    config = uvicorn.Config("mysite.asgi:application")
    assert config.proxy_headers is True
    assert config.forwarded_allow_ips == "127.0.0.1,::1"
