"""Unit tests of the pure-ASGI middleware, around tiny ASGI apps (no Django needed)."""

import asyncio

import pytest
from asgiref.testing import ApplicationCommunicator

from mysite.asgi_client import request
from mysite.asgi_middleware import LifespanMiddleware, PrefixRouter, ServerTimingMiddleware


async def echo_scope_app(scope, receive, send):
    body = f"{scope['root_path']}|{scope['path']}".encode()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"x-app", b"echo")]})
    await send({"type": "http.response.body", "body": body})


async def lifespan(app, *events, timeout=5):
    communicator = ApplicationCommunicator(app, {"type": "lifespan", "asgi": {"version": "3.0"}})
    replies = []
    for event in events:
        await communicator.send_input({"type": event})
        replies.append(await communicator.receive_output(timeout))
    await communicator.wait(timeout)
    return replies


def test_server_timing_keeps_existing_headers():
    response = request(ServerTimingMiddleware(echo_scope_app, name="django"), "/x")
    assert response.status == 200
    assert response.headers[b"x-app"] == b"echo"
    assert response.headers[b"server-timing"].startswith(b"django;dur=")


def test_lifespan_runs_sync_and_async_hooks_in_order():
    calls = []

    async def open_pool():
        calls.append("open")

    def warm_cache():
        calls.append("warm")

    app = LifespanMiddleware(
        echo_scope_app,
        on_startup=[open_pool, warm_cache],
        on_shutdown=[lambda: calls.append("close")],
    )
    replies = asyncio.run(lifespan(app, "lifespan.startup", "lifespan.shutdown"))
    assert [r["type"] for r in replies] == [
        "lifespan.startup.complete",
        "lifespan.shutdown.complete",
    ]
    assert calls == ["open", "warm", "close"]


def test_lifespan_reports_a_failing_startup_hook():
    def broken():
        raise RuntimeError("database unreachable")

    app = LifespanMiddleware(echo_scope_app, on_startup=[broken])
    [reply] = asyncio.run(lifespan(app, "lifespan.startup"))
    assert reply["type"] == "lifespan.startup.failed"
    assert reply["message"].endswith("broken failed: RuntimeError: database unreachable")


def test_lifespan_passes_http_through():
    response = request(LifespanMiddleware(echo_scope_app), "/a/b")
    assert (response.status, response.body) == (200, b"|/a/b")


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/api/items", b"/api|/api/items"),
        ("/api/v2/items", b"/api/v2|/api/v2/items"),  # the longest prefix wins
        ("/apix", b"|/apix"),  # /api must match a whole segment
        ("/", b"|/"),
    ],
)
def test_prefix_router_matches_longest_whole_segment_prefix(path, expected):
    router = PrefixRouter({"/api": echo_scope_app, "/api/v2": echo_scope_app, "": echo_scope_app})
    response = request(router, path)
    assert (response.status, response.body) == (200, expected)


def test_prefix_router_404_and_redirect():
    router = PrefixRouter({"/api": echo_scope_app})
    assert request(router, "/other").status == 404
    response = request(router, "/api?a=1")
    assert response.status == 308
    assert response.headers[b"location"] == b"/api/?a=1"


@pytest.mark.parametrize("prefix", ["api", "/api/"])
def test_prefix_router_rejects_malformed_prefixes(prefix):
    with pytest.raises(ValueError, match="must start with '/' and not end with '/'"):
        PrefixRouter({prefix: echo_scope_app})
