"""``mysite.asgi_client``: the request helper the pages' examples call."""

import asyncio
import doctest
import time

import pytest

import mysite.asgi_client
from mysite.asgi_client import arequest, request


def recording(*responses):
    """An ASGI app that records its scope and what it received, then sends ``responses``."""
    calls = []

    async def app(scope, receive, send):
        call = {"scope": scope, "received": [await receive()]}
        calls.append(call)
        for message in responses:
            await send(message)

    return app, calls


def plain(body=b"ok", headers=()):
    return (
        {"type": "http.response.start", "status": 200, "headers": list(headers)},
        {"type": "http.response.body", "body": body},
    )


def test_the_default_scope_is_what_a_server_sends():
    app, calls = recording(*plain())
    request(app, "/polls/")
    assert calls[0]["scope"] == {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/polls/",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"localhost")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    assert calls[0]["received"] == [{"type": "http.request", "body": b"", "more_body": False}]


def test_the_query_string_is_split_from_the_path():
    app, calls = recording(*plain())
    request(app, "/polls/stream/?count=3&interval=0.2")
    scope = calls[0]["scope"]
    assert (scope["path"], scope["query_string"]) == ("/polls/stream/", b"count=3&interval=0.2")


def test_keywords_override_any_scope_key():
    app, calls = recording(*plain())
    response = request(
        app,
        "/app/",
        method="POST",
        scheme="https",
        root_path="/app",
        client=("203.0.113.7", 51000),
        query_string=b"a=1",
        state={"pool": "x"},
    )
    scope = calls[0]["scope"]
    assert scope["method"] == "POST"
    assert scope["scheme"] == "https"
    assert scope["root_path"] == "/app"
    assert scope["client"] == ("203.0.113.7", 51000)
    assert scope["query_string"] == b"a=1"
    assert scope["state"] == {"pool": "x"}
    assert response.scope is scope


def test_a_host_header_given_replaces_the_default_and_names_are_lowercased():
    app, calls = recording(*plain())
    request(app, "/", headers=[(b"Host", b"example.com"), (b"X-Forwarded-Proto", b"https")])
    assert calls[0]["scope"]["headers"] == [
        (b"host", b"example.com"),
        (b"x-forwarded-proto", b"https"),
    ]


def test_the_body_is_delivered_with_its_length():
    app, calls = recording(*plain())
    request(app, "/", method="POST", body=b"choice=3")
    assert calls[0]["received"] == [
        {"type": "http.request", "body": b"choice=3", "more_body": False}
    ]
    assert (b"content-length", b"8") in calls[0]["scope"]["headers"]


def test_a_streamed_body_is_collected_and_every_message_kept():
    app, _ = recording(
        {"type": "http.response.start", "status": 200, "headers": []},
        {"type": "http.response.body", "body": b"one ", "more_body": True},
        {"type": "http.response.body", "body": b"two", "more_body": True},
        {"type": "http.response.body"},
    )
    response = request(app, "/")
    assert response.body == b"one two"
    assert response.text == "one two"
    assert [m.get("more_body", False) for m in response.messages[1:]] == [True, True, False]


def test_headers_are_looked_up_in_lower_case_and_repeats_joined():
    app, _ = recording(
        *plain(
            b'{"a": 1}',
            [(b"Content-Type", b"application/json"), (b"Vary", b"Cookie"), (b"vary", b"Accept")],
        )
    )
    response = request(app, "/")
    assert response.status == 200
    assert response.headers == {b"content-type": b"application/json", b"vary": b"Cookie, Accept"}
    assert response.json() == {"a": 1}


def test_receive_waits_after_the_body_until_the_response_is_complete():
    """A server's receive() does not answer again at once: it says http.disconnect
    only once the response is complete (uvicorn's ``RequestResponseCycle.receive``)."""
    seen = []

    async def app(scope, receive, send):
        await receive()  # the body
        second = asyncio.ensure_future(receive())
        await asyncio.sleep(0.05)
        seen.append(second.done())  # still waiting: the response has not ended
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "more_body": True})
        await asyncio.sleep(0)
        seen.append(second.done())  # a body with more to come: still waiting
        await send({"type": "http.response.body"})
        seen.append(await second)

    assert request(app, "/").status == 204
    assert seen == [False, False, {"type": "http.disconnect"}]


def test_a_hung_application_times_out():
    async def app(scope, receive, send):
        await asyncio.sleep(10)

    started = time.perf_counter()
    with pytest.raises(TimeoutError):
        request(app, "/", timeout=0.2)
    assert time.perf_counter() - started < 2


def test_arequest_runs_side_by_side():
    async def app(scope, receive, send):
        await asyncio.sleep(0.2)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": scope["path"].encode()})

    async def three():
        return await asyncio.gather(*(arequest(app, f"/{n}") for n in range(3)))

    started = time.perf_counter()
    responses = asyncio.run(three())
    assert time.perf_counter() - started < 0.5
    assert [r.body for r in responses] == [b"/0", b"/1", b"/2"]


def test_django_answers_through_it(database):
    from mysite.asgi import application

    response = request(application, "/polls/async/2/")
    assert response.status == 200
    assert response.headers[b"content-type"] == b"application/json"
    assert response.json() == {"id": 2, "text": "Sync or async?"}


def test_the_module_example_runs(database):
    result = doctest.testmod(mysite.asgi_client)
    assert (result.attempted, result.failed) == (4, 0)
