"""docs/howto/observability.md: traces, request ids and error reports under ASGI.

The example's ``mysite.asgi_observability`` application (OpenTelemetry's
Django instrumentation, a span per query) and ``mysite.settings_observability``
(a request id in every log line, Sentry's Django integration writing its
events to a file) serve concurrent requests to a sync and an async view that
log and query, and to a sync and an async view that fail. What is checked:

- each request is one trace: one server span, and every query span (made in
  a worker thread) is its descendant; no span lands in another request's
  trace;
- each log line carries the id of the request that wrote it;
- each failure is one Sentry event with its own request's URL, method and
  tag, none with another request's.

Once in-process, with the SDK's ``InMemorySpanExporter`` (every Django), then
under each server with the example's ``JsonLinesFile`` exporter. What the
servers do with the context of each request (a task of its own) is a fact of
the server: uvicorn runs on every Django, the others once (``server_fact``).
"""

import asyncio
import json
import re
import shlex
import subprocess
import sys
import time

import httpx
import pytest

from guide.servers.catalogue import BENCH_APP, SERVERS
from guide.servers.commands import command_env
from guide.services.processes import EXAMPLE_DIR, ServerProcess, example_env, free_port

APP = "mysite.asgi_observability:application"
LIFESPAN_REFUSED = "Django can only handle ASGI/HTTP connections, not lifespan."
SETTINGS = "mysite.settings_observability"
CONCURRENT = 10
PAGE = EXAMPLE_DIR.parent.parent / "docs/howto/observability.md"  # its table of events

# In-process: the ASGI application called through httpx, spans kept in memory.
IN_PROCESS = """\
import asyncio, json, os, sys
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from mysite.observability import configure_tracing

exporter = InMemorySpanExporter()
configure_tracing(exporter)

from django.core.asgi import get_asgi_application
import httpx

app = get_asgi_application()
requests = json.loads(sys.argv[1])


async def main():
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
        answers = await asyncio.gather(
            *(c.get(path, headers={"X-Request-ID": rid}) for rid, path in requests)
        )
    return [[a.status_code, a.headers["X-Request-ID"]] for a in answers]


answers = asyncio.run(main())
spans = [json.loads(s.to_json(indent=None)) for s in exporter.get_finished_spans()]
print(json.dumps({"answers": answers, "spans": spans}))
"""


def requests_to_make():
    """``(request id, path)``: CONCURRENT requests to each view, each its own id."""
    made = []
    for n in range(1, CONCURRENT + 1):
        for kind in ("sync", "async"):
            made.append((f"{kind}-{n}", f"/observe/{kind}/?n={n}"))
            made.append((f"{kind}-fail-{n}", f"/observe/{kind}/fail/{n}/"))
    return made


def check_traces(spans, made):
    """One trace per request; each span in the trace of the request that made it."""
    made_ids = {path: rid for rid, path in made}
    by_trace = {}
    for span in spans:
        by_trace.setdefault(span["context"]["trace_id"], []).append(span)
    assert len(by_trace) == len(made)
    targets = set()
    for trace_spans in by_trace.values():
        servers = [s for s in trace_spans if s["kind"] == "SpanKind.SERVER"]
        assert len(servers) == 1, trace_spans
        (server,) = servers
        assert server["parent_id"] is None
        url = httpx.URL(server["attributes"]["http.url"])
        target = url.raw_path.decode()
        targets.add(target)
        assert server["attributes"]["request.id"] == made_ids[target]
        ids = {s["context"]["span_id"]: s for s in trace_spans}
        queries = [s for s in trace_spans if s is not server]
        if "/fail/" not in target:
            assert queries, f"no query span in the trace of {target}"
        for span in queries:
            assert span["name"] == "SELECT", span
            assert span["attributes"]["thread.name"].startswith("ThreadPoolExecutor")
            parent = span
            while parent["parent_id"] is not None:
                parent = ids[parent["parent_id"]]  # KeyError: a parent in another trace
            assert parent is server
    assert targets == {path for _, path in made}


LOG_LINE = re.compile(r"(INFO|ERROR) \[([^\]]+)\] ([\w.]+): (.*)")


def check_log_lines(output, made):
    """Each of the views' and the middleware's lines carries its request's id."""
    lines = {}
    for line in output.splitlines():
        if match := LOG_LINE.fullmatch(line):
            level, rid, logger, message = match.groups()
            lines.setdefault(rid, []).append((logger, message))
    for rid, path in made:
        access = ("mysite.observability", f"GET {path} {500 if 'fail' in rid else 200}")
        if "fail" in rid:
            expected = [("django.request", f"Internal Server Error: {path}"), access]
        else:
            expected = [
                ("mysite.urls_observability", "counting questions"),
                ("mysite.urls_observability", "3 questions"),
                access,
            ]
        assert lines.pop(rid) == expected, rid
    assert not lines  # no line without a request's id, or with another one


def check_events(events, made):
    """One Sentry event per failed request, with that request's data only."""
    failed = {path: rid for rid, path in made if "fail" in rid}
    assert len(events) == len(failed)
    seen = set()
    for event in events:
        url = event["request"]["url"]
        path = httpx.URL(url).path
        kind, _, pk = failed[path].partition("-fail-")
        assert event["request"]["method"] == "GET"
        assert str(event["tags"]["question"]) == pk
        headers = {k.lower(): v for k, v in event["request"]["headers"].items()}
        assert headers["x-request-id"] == failed[path]
        (exception,) = event["exception"]["values"]
        assert exception["value"] == f"{kind} view failed on question {pk}"
        seen.add(path)
    assert seen == set(failed)


def test_in_process_each_request_is_one_trace_with_its_logs_and_errors(database, tmp_path):
    made = requests_to_make()
    errors = tmp_path / "errors.jsonl"
    env = example_env(
        DJANGO_SETTINGS_MODULE=SETTINGS,
        MYSITE_SQLITE_PATH=database,
        MYSITE_ERRORS_FILE=errors,
    )
    result = subprocess.run(
        [sys.executable, "-c", IN_PROCESS, json.dumps(made)],
        cwd=EXAMPLE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert sorted(found["answers"]) == sorted(
        [500 if "fail" in rid else 200, rid] for rid, _ in made
    )
    check_traces(found["spans"], made)
    check_log_lines(result.stderr, made)
    check_events([json.loads(line) for line in errors.read_text().splitlines()], made)


def serve(name, env):
    port = free_port()
    command = SERVERS[name].bench_command.replace(BENCH_APP, APP).format(port=port)
    assert APP in command
    return ServerProcess(shlex.split(command), port, env=command_env(env))


async def send_all(base_url, made):
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        answers = await asyncio.gather(
            *(client.get(path, headers={"X-Request-ID": rid}) for rid, path in made)
        )
    return [(a.status_code, a.headers.get("X-Request-ID")) for a in answers]


def wait_for_lines(path, count, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and len(path.read_text().splitlines()) >= count:
            break
        time.sleep(0.1)
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


WITHOUT_HOOK = """\
import os

import sentry_sdk
from sentry_sdk.integrations.django import DjangoIntegration

from mysite.observability import EventFile
from mysite.settings_observability import *  # noqa: F403

sentry_sdk.init(
    dsn="https://public@sentry.example.com/1",
    transport=EventFile(os.environ["MYSITE_ERRORS_FILE"]),
    integrations=[DjangoIntegration()],
)
"""

SERVER_PARAMS = [
    pytest.param(name, marks=() if name == "uvicorn" else pytest.mark.server_fact)
    for name in SERVERS
]


@pytest.mark.parametrize("name", SERVER_PARAMS)
def test_each_server_keeps_each_request_in_its_own_trace_logs_and_events(name, database, tmp_path):
    made = requests_to_make()
    traces, errors = tmp_path / "traces.jsonl", tmp_path / "errors.jsonl"
    env = example_env(
        DJANGO_SETTINGS_MODULE=SETTINGS,
        MYSITE_SQLITE_PATH=database,
        MYSITE_TRACES_FILE=traces,
        MYSITE_ERRORS_FILE=errors,
    )
    with serve(name, env) as server:
        answers = asyncio.run(send_all(server.url, made))
        assert sorted(answers) == sorted((500 if "fail" in rid else 200, rid) for rid, _ in made)
        servers_spans = len(made)
        spans = wait_for_lines(traces, servers_spans)
        deadline = time.monotonic() + 20
        while (
            sum(s["kind"] == "SpanKind.SERVER" for s in spans) < servers_spans
            and time.monotonic() < deadline
        ):
            time.sleep(0.1)
            spans = wait_for_lines(traces, 0)
        events = wait_for_lines(errors, sum("fail" in rid for rid, _ in made))
        time.sleep(0.3)  # the last log lines
        output = server.output()
    check_traces(spans, made)
    check_log_lines(output, made)
    check_events(events, made)


@pytest.mark.parametrize("name", SERVER_PARAMS)
def test_without_before_send_a_server_that_tries_lifespan_reports_djangos_refusal(
    name, database, tmp_path
):
    """The settings' ``before_send`` is what keeps that event out of Sentry."""
    (tmp_path / "without_hook.py").write_text(WITHOUT_HOOK)
    errors = tmp_path / "errors.jsonl"
    env = example_env(
        DJANGO_SETTINGS_MODULE="without_hook",
        PYTHONPATH=tmp_path,
        MYSITE_SQLITE_PATH=database,
        MYSITE_TRACES_FILE=tmp_path / "traces.jsonl",
        MYSITE_ERRORS_FILE=errors,
    )
    tries_lifespan = SERVERS[name].lifespan_unsupported is not None
    with serve(name, env) as server:
        assert httpx.get(f"{server.url}/observe/sync/", timeout=30).status_code == 200
        events = wait_for_lines(errors, 1, timeout=5 if tries_lifespan else 1)
    values = [v["value"] for e in events for v in e["exception"]["values"]]
    assert values == ([LIFESPAN_REFUSED] if tries_lifespan else [])
    assert f"| {SERVERS[name].label} | {len(values)} |" in PAGE.read_text().splitlines()
