"""WebSockets through Channels' router, under every server, over a real WebSocket client.

Each server runs its command from the WebSockets how-to
(``snippets/server_commands/*-channels.sh``) against a real Redis server
(:mod:`guide.services.redis`), with a database of this module's own (the tests vote).
What a server does with a socket (how it refuses, what it logs, its size
limits) is a server fact, checked once; what Django and Channels do across
processes (the channel layer, Redis failing) is checked on every Django.
"""

import asyncio
import itertools
import json
import socket
import sys
import time
from contextlib import ExitStack, contextmanager

import httpx
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from guide.clients.websocket import (
    ORIGIN,
    burst,
    session_cookie,
    vote,
    wait_until_serving,
    ws_url,
)
from guide.servers.commands import command_env, server_argv
from guide.servers.expectations import WEBSOCKET_SNIPPETS, snippet_path
from guide.services.processes import ServerProcess, example_env, free_port, migrated_database
from guide.services.redis import RedisServer

CHANNELS_APP = "mysite.asgi_channels:application"
SERVER_FACT = pytest.mark.server_fact
pytestmark = pytest.mark.timeout(180)


@pytest.fixture(scope="module")
def ws_database(tmp_path_factory):
    return migrated_database(tmp_path_factory.mktemp("ws-db") / "db.sqlite3")


@pytest.fixture(scope="module")
def redis():
    with RedisServer() as server:
        yield server


@pytest.fixture(scope="module")
def alice(ws_database):
    """The session cookie of a logged-in user, alice."""
    return session_cookie(ws_database, "alice")


def env_for(database, **settings):
    return command_env(example_env(MYSITE_SQLITE_PATH=database, **settings))


@contextmanager
def serving(argv_for_port, env):
    port = free_port()
    server = ServerProcess(argv_for_port(port), port, env=env)
    with server:
        wait_until_serving(server)
        yield server


def uvicorn_argv(*options, app=CHANNELS_APP):
    return lambda port: [
        "uvicorn", app, "--host", "127.0.0.1", "--port", str(port), *options
    ]  # fmt: skip


def lines_with(server, text):
    return [line for line in server.output().splitlines() if text in line]


def wait_for_lines(server, text, count=1, timeout=10.0):
    deadline = time.monotonic() + timeout
    while len(lines_with(server, text)) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return lines_with(server, text)


def receive_json(ws, timeout=10):
    return json.loads(ws.recv(timeout=timeout))


def close_code(ws, timeout=15):
    """Wait for the server to close ``ws``; return the close code it sent (None: none)."""
    try:
        while True:
            ws.recv(timeout=timeout)
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else None


def votes_of(results):
    return [choice["votes"] for choice in results["choices"]]


# --- Every server, running the how-to's command ------------------------------


@pytest.fixture(scope="module", params=WEBSOCKET_SNIPPETS)
def each_server(request, ws_database, redis):
    argv = lambda port: server_argv(snippet_path(request.param), port)  # noqa: E731
    with serving(argv, env_for(ws_database, MYSITE_REDIS_URL=redis.url)) as server:
        server.name = request.param.removesuffix("-channels.sh")
        yield server


@SERVER_FACT
def test_hello_names_the_logged_in_user(each_server, alice):
    with connect(ws_url(each_server), origin=ORIGIN) as anonymous:
        hello = receive_json(anonymous)
    assert hello["type"] == "hello"
    assert hello["user"] is None
    assert hello["results"]["text"] == "What's new?"
    cookie = {"Cookie": f"sessionid={alice}"}
    with connect(ws_url(each_server), origin=ORIGIN, additional_headers=cookie) as ws:
        assert receive_json(ws)["user"] == "alice"


@SERVER_FACT
def test_request_answer_and_a_vote_broadcast(each_server):
    with connect(ws_url(each_server), origin=ORIGIN) as ws:
        before = votes_of(receive_json(ws)["results"])
        ws.send('{"type": "results"}')
        assert receive_json(ws)["type"] == "results"
        ws.send('{"type": "vote"}')
        assert receive_json(ws) == {"type": "error", "error": 'send {"type": "results"}'}
        assert vote(each_server.url, 1, 2).status_code == 200
        message = receive_json(ws)
        assert message["type"] == "votes"
        assert votes_of(message["results"]) == [before[0], before[1] + 1]
        ws.close()
        assert ws.protocol.close_rcvd.code == 1000


# What each server logs when the origin validator refuses a handshake: the
# validator itself logs nothing; Hypercorn and Granian have no access log.
REFUSAL_LOG = {
    "uvicorn": '"WebSocket /ws/polls/1/" 403',
    "gunicorn": '"WebSocket /ws/polls/1/" 403',
    "daphne": '"WSREJECT /ws/polls/1/"',
    "hypercorn": None,
    "granian": None,
}


@SERVER_FACT
@pytest.mark.parametrize("origin", ["http://evil.example", None], ids=["foreign", "none"])
def test_a_foreign_or_missing_origin_is_refused_with_403(each_server, origin):
    log = REFUSAL_LOG[each_server.name]
    seen = len(lines_with(each_server, log)) if log else 0
    before = len(each_server.output())
    with pytest.raises(InvalidStatus) as refused:
        connect(ws_url(each_server), origin=origin)
    assert refused.value.response.status_code == 403
    if log:
        assert len(wait_for_lines(each_server, log, seen + 1)) == seen + 1
    else:
        time.sleep(0.5)
        assert "/ws/polls/1/" not in each_server.output()[before:]
    assert "polls.consumers" not in "".join(lines_with(each_server, "refused"))
    assert httpx.get(each_server.url + "/polls/1/", timeout=10).status_code == 200


TEN_MB = "x" * 10_000_000

BAD_INPUT = {
    "malformed-json": ("{not json", 4007, "malformed JSON"),
    "binary": (b"\x00\x01", 4003, "binary frame"),
    "10MB": (TEN_MB, 4009, "10000000 characters"),
}


@SERVER_FACT
@pytest.mark.parametrize("case", BAD_INPUT)
def test_bad_input_closes_with_its_code_and_one_log_line(each_server, case):
    data, code, why = BAD_INPUT[case]
    line = f"socket closed with {code}: {why}"
    seen = len(lines_with(each_server, line))
    received = None
    try:
        with connect(ws_url(each_server), origin=ORIGIN, max_size=None) as ws:
            receive_json(ws)
            ws.send(data)
            received = close_code(ws)
    except ConnectionClosed as closed:  # closed while the client was still sending
        received = closed.rcvd.code if closed.rcvd else None
    if case == "10MB" and each_server.name == "daphne":
        # Daphne's own limit (--websocket_max_message_size, 1 MiB by default)
        # fails the connection before the consumer sees the message.
        assert received in (None, 1009)
        assert len(lines_with(each_server, line)) == seen
    else:
        assert received == code
        assert len(wait_for_lines(each_server, line, seen + 1)) == seen + 1
    with connect(ws_url(each_server), origin=ORIGIN) as ws:
        assert receive_json(ws)["type"] == "hello"


@SERVER_FACT
def test_a_client_gone_mid_message_is_logged_and_others_are_served(each_server):
    seen = len(lines_with(each_server, "client gone"))
    with connect(ws_url(each_server), origin=ORIGIN) as ws:
        receive_json(ws)
        # The header of a masked 4096-byte text frame, then 3 bytes of it.
        ws.socket.sendall(b"\x81\xfe\x10\x00" + bytes(4) + b"abc")
        ws.socket.shutdown(socket.SHUT_RDWR)
    gone = wait_for_lines(each_server, "client gone", seen + 1)
    assert len(gone) == seen + 1
    assert gone[-1].endswith(("close code 1005", "close code 1006"))
    with connect(ws_url(each_server), origin=ORIGIN) as ws:
        assert receive_json(ws)["type"] == "hello"


# --- Across processes: the channel layer (every Django) ----------------------


@contextmanager
def two_sockets(database, **settings):
    """Two uvicorn processes sharing ``database``, and a WebSocket to each, its hello read.

    Yields ``(first server, second server, socket to the first, socket to the second)``.
    """
    env = env_for(database, **settings)
    with serving(uvicorn_argv(), env) as first, serving(uvicorn_argv(), env) as second:
        with (
            connect(ws_url(first), origin=ORIGIN) as here,
            connect(ws_url(second), origin=ORIGIN) as there,
        ):
            receive_json(here), receive_json(there)
            yield first, second, here, there


def test_redis_layer_reaches_a_socket_held_by_another_process(ws_database, redis):
    with two_sockets(ws_database, MYSITE_REDIS_URL=redis.url) as (first, _, here, there):
        counted = vote(first.url, 1, 1).json()
        assert receive_json(here) == {"type": "votes", "results": counted}
        assert receive_json(there) == {"type": "votes", "results": counted}


def test_in_memory_layer_never_leaves_its_process(ws_database):
    with two_sockets(ws_database, MYSITE_CHANNEL_LAYER="memory") as (first, second, here, there):
        counted = vote(first.url, 1, 1).json()
        assert receive_json(here) == {"type": "votes", "results": counted}
        with pytest.raises(TimeoutError):
            there.recv(timeout=2)
        # The vote itself was counted: the other process reads it from the database.
        there.send('{"type": "results"}')
        assert receive_json(there) == {"type": "results", "results": counted}
    assert "broadcast failed" not in first.output() + second.output()


def test_redis_unavailable_at_start(ws_database):
    nowhere = f"redis://127.0.0.1:{free_port()}/0"
    with serving(uvicorn_argv(), env_for(ws_database, MYSITE_REDIS_URL=nowhere)) as server:
        with connect(ws_url(server), origin=ORIGIN) as ws:
            assert close_code(ws) == 4011
        closed = lines_with(server, "socket closed with 4011: channel layer unavailable")
        assert len(closed) == 1
        assert "Connection refused" in closed[0]
        response = vote(server.url, 1, 1)
        assert response.status_code == 200
        failed = wait_for_lines(server, "vote counted, broadcast failed")
        assert len(failed) == 1
        assert httpx.get(server.url + "/polls/1/", timeout=10).status_code == 200


def test_redis_killed_mid_run(ws_database):
    with RedisServer() as own_redis:
        env = env_for(ws_database, MYSITE_REDIS_URL=own_redis.url)
        with serving(uvicorn_argv(), env) as server:
            with connect(ws_url(server), origin=ORIGIN) as ws:
                receive_json(ws)
                own_redis.kill()
                assert vote(server.url, 1, 1).status_code == 200
                code = close_code(ws, timeout=30)
            # The consumer's wait on the layer fails: it closes the socket
            # with 4011 and says why in one line (a page reconnects); the
            # vote was counted all the same.
            assert code == 4011
            lost = lines_with(server, "socket closed with 4011: channel layer lost")
            assert len(lost) == 1
            assert "Connection closed by server." in lost[0]
            assert "Exception in ASGI application" not in server.output()
            assert len(wait_for_lines(server, "vote counted, broadcast failed")) == 1
            assert httpx.get(server.url + "/polls/1/", timeout=10).status_code == 200


def test_an_unrouted_path_is_refused_with_403_and_no_traceback(ws_database):
    """The router's last route takes any other path and closes it before accept."""
    with serving(uvicorn_argv(), env_for(ws_database)) as server:
        with pytest.raises(InvalidStatus) as refused:
            connect(f"ws://127.0.0.1:{server.port}/ws/nope/", origin=ORIGIN)
        assert refused.value.response.status_code == 403
        assert len(wait_for_lines(server, '"WebSocket /ws/nope/" 403')) == 1
        refusals = lines_with(server, "socket refused")
        assert refusals == ["INFO:     polls.consumers: socket refused, no route for '/ws/nope/'"]
        output = server.output()
        assert "Traceback" not in output
        assert "No route found" not in output
        with connect(ws_url(server), origin=ORIGIN) as ws:
            assert receive_json(ws)["type"] == "hello"


DEEP_JSON = "[" * 2040 + "]" * 2040  # 4,080 characters: under MAX_MESSAGE


def test_deeply_nested_json_closes_with_4007_on_every_python(ws_database):
    if sys.version_info < (3, 12):  # what the consumer guards against
        with pytest.raises(RecursionError):
            json.loads(DEEP_JSON)
    line = "socket closed with 4007: "
    with serving(uvicorn_argv(), env_for(ws_database)) as server:
        with connect(ws_url(server), origin=ORIGIN) as ws:
            receive_json(ws)
            ws.send(DEEP_JSON)
            assert close_code(ws, timeout=5) == 4007
        assert len(wait_for_lines(server, line)) == 1
        assert "Traceback" not in server.output()
        with connect(ws_url(server), origin=ORIGIN) as ws:
            assert receive_json(ws)["type"] == "hello"


def test_live_page_and_its_script(ws_database):
    with serving(uvicorn_argv(), env_for(ws_database)) as server:
        page = httpx.get(server.url + "/polls/1/live/", timeout=10)
        assert page.status_code == 200
        assert '<ul id="choices" data-question="1">' in page.text
        assert "csrftoken" in page.cookies
        script = httpx.get(server.url + "/static/polls/live.js", timeout=10)
        assert script.status_code == 200
        assert "/ws/polls/${pk}/" in script.text
        assert httpx.get(server.url + "/polls/999/live/", timeout=10).status_code == 404


def test_django_alone_refuses_a_websocket(ws_database):
    """``mysite.asgi:application`` (no router) gets the websocket scope and raises."""
    with serving(uvicorn_argv(app="mysite.asgi:application"), env_for(ws_database)) as server:
        with pytest.raises(InvalidStatus) as refused:
            connect(ws_url(server), origin=ORIGIN)
        assert refused.value.response.status_code == 500
        message = "ValueError: Django can only handle ASGI/HTTP connections, not websocket."
        assert len(wait_for_lines(server, message)) == 1
        assert len(lines_with(server, "connection rejected (500 Internal Server Error)")) == 1


@SERVER_FACT
def test_uvicorn_without_a_websocket_library(ws_database):
    """``--ws none`` behaves as uvicorn without ``websockets`` or ``wsproto`` installed."""
    with serving(uvicorn_argv("--ws", "none"), env_for(ws_database)) as server:
        with pytest.raises(InvalidStatus) as refused:
            connect(ws_url(server), origin=ORIGIN)
        # The upgrade is passed on as a plain GET: the router sends it to
        # Django, which has no such URL.
        assert refused.value.response.status_code == 404
        assert len(wait_for_lines(server, "WARNING:  Unsupported upgrade request.")) == 1
        assert len(lines_with(server, "WARNING:  No supported WebSocket library detected.")) == 1
        assert len(lines_with(server, '"GET /ws/polls/1/ HTTP/1.1" 404 Not Found')) == 1


# --- The live page in production: idle sockets, a burst of votes (every Django) ----

IDLE_SECONDS = 8
"""Longer than channels_redis's blocking read on Redis (``RedisChannelLayer.brpop_timeout``, 5 s)."""


def test_idle_sockets_stay_open_across_two_processes(ws_database, redis):
    """Sockets held silent for longer than the layer's blocking read are still served.

    Each process's consumers wait on Redis with a blocking read of 5 s; with
    redis-py's default socket timeout (also 5 s) the read can time out first and
    the waiting consumer dies (no close frame, a traceback).
    """
    env = env_for(ws_database, MYSITE_REDIS_URL=redis.url)
    with (
        serving(uvicorn_argv(), env) as first,
        serving(uvicorn_argv(), env) as second,
        ExitStack() as stack,
    ):
        sockets = [
            stack.enter_context(connect(ws_url(server), origin=ORIGIN))
            for server in (first, second)
            for _ in range(5)
        ]
        for ws in sockets:
            assert receive_json(ws)["type"] == "hello"
        time.sleep(IDLE_SECONDS)
        counted = vote(first.url, 1, 1).json()
        for index, ws in enumerate(sockets):
            try:
                message = receive_json(ws)
            except ConnectionClosed as closed:
                pytest.fail(f"socket {index} was closed while idle: {closed!r}")
            assert message == {"type": "votes", "results": counted}
        outputs = first.output() + second.output()
    assert "Exception in ASGI application" not in outputs


CONCURRENT_SQLITE = {"MYSITE_SQLITE_CONCURRENT": "1"}
"""SQLite's options for concurrent writers (the production page's), as a burst of votes needs."""

CAPACITY = 100
"""channels-redis's default capacity: messages waiting for one process, beyond which it drops."""


def test_a_process_that_falls_behind_past_capacity_ends_on_the_database_count(ws_database, redis):
    """A process too busy to read its messages misses some; none of its sockets stays behind.

    The second process is stopped (SIGSTOP, as a long pause would) while more
    votes than the layer's capacity are counted through the first: the layer
    keeps the first 100 messages for it and drops the rest, the last ones
    included, saying so on ``channels_redis.core`` (which the settings show).
    """
    env = env_for(ws_database, MYSITE_REDIS_URL=redis.url, **CONCURRENT_SQLITE)
    with serving(uvicorn_argv(), env) as first, serving(uvicorn_argv(), env) as second:
        database, shown = asyncio.run(burst([first, second], 10, CAPACITY + 10, 10, second))
        outputs = first.output() + second.output()
    assert "channels over capacity in group poll-1" in outputs
    stale = {index: totals[-1] for index, totals in enumerate(shown) if totals[-1] != database}
    assert not stale, f"the database counts {database}; sockets left on: {stale}"


def test_no_socket_is_shown_an_older_count_after_a_newer_one(ws_database, redis):
    env = env_for(ws_database, MYSITE_REDIS_URL=redis.url, **CONCURRENT_SQLITE)
    with serving(uvicorn_argv(), env) as first, serving(uvicorn_argv(), env) as second:
        database, shown = asyncio.run(burst([first, second], 5, 200, 25))
    backwards = {
        index: next((a, b) for a, b in itertools.pairwise(totals) if b < a)
        for index, totals in enumerate(shown)
        if any(b < a for a, b in itertools.pairwise(totals))
    }
    assert not backwards, f"sockets shown (newer, then older) totals: {backwards}"
    stale = {index: totals[-1] for index, totals in enumerate(shown) if totals[-1] != database}
    assert not stale, f"the database counts {database}; sockets left on: {stale}"


# --- Channels in production: a token instead of cookies, a rate limit (every Django) ---


@pytest.fixture(scope="module")
def one_server(ws_database):
    """One uvicorn process serving the router, no channel layer."""
    with serving(uvicorn_argv(), env_for(ws_database)) as server:
        yield server


def socket_token(server, sessionid):
    """What a logged-in single-page app gets from the ``socket_token`` view."""
    answer = httpx.get(
        server.url + "/polls/socket-token/", cookies={"sessionid": sessionid}, timeout=10
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["protocol"] == "polls.token"
    return answer.json()["token"]


def test_the_socket_token_view_needs_a_logged_in_user(one_server):
    answer = httpx.get(one_server.url + "/polls/socket-token/", timeout=10)
    assert answer.status_code == 403
    assert answer.json() == {"error": "log in first"}


def test_a_token_in_the_query_string_is_written_to_the_access_log(one_server, alice):
    token = socket_token(one_server, alice)
    with connect(f"{ws_url(one_server)}?token={token}", origin=ORIGIN) as ws:
        assert receive_json(ws)["user"] is None  # the example reads no query string
    logged = wait_for_lines(one_server, token)
    assert len(logged) == 1
    assert logged[0].endswith(f'"WebSocket /ws/polls/1/?token={token}" [accepted]')


def test_a_token_sent_as_a_subprotocol_opens_the_socket_as_its_user(one_server, alice):
    token = socket_token(one_server, alice)
    seen = len(lines_with(one_server, '"WebSocket /ws/polls/1/" [accepted]'))
    before = len(one_server.output())
    with connect(ws_url(one_server), origin=ORIGIN, subprotocols=["polls.token", token]) as ws:
        assert ws.subprotocol == "polls.token"  # the handshake's answer names no token
        assert receive_json(ws)["user"] == "alice"
    accepted = wait_for_lines(one_server, '"WebSocket /ws/polls/1/" [accepted]', seen + 1)
    assert len(accepted) == seen + 1
    # (A token issued in the same second is the same token: read from here on.)
    assert token not in one_server.output()[before:]
    # The session cookie still works as before, and without either, no user.
    cookie = {"Cookie": f"sessionid={alice}"}
    with connect(ws_url(one_server), origin=ORIGIN, additional_headers=cookie) as ws:
        assert ws.subprotocol is None
        assert receive_json(ws)["user"] == "alice"
    with connect(ws_url(one_server), origin=ORIGIN) as ws:
        assert receive_json(ws)["user"] is None


def expired(token):
    """``token``'s user, signed ``MAX_AGE`` + 1 seconds ago."""
    from django.core import signing

    from polls import tokens

    signer = tokens.signer()
    pk = signer.unsign_object(token)
    signer.timestamp = lambda: signing.b62_encode(int(time.time()) - tokens.MAX_AGE - 1)
    return signer.sign_object(pk)


BAD_TOKENS = {
    "tampered": (lambda token: token[:-2] + ("AA" if token[-2:] != "AA" else "BB"), "bad token"),
    "expired": (expired, "token expired"),
    "missing": (None, "bad token"),
}


@pytest.mark.parametrize("case", BAD_TOKENS)
def test_a_bad_or_expired_token_is_refused_with_403_and_one_line(one_server, alice, case):
    spoil, why = BAD_TOKENS[case]
    offered = ["polls.token"] + ([spoil(socket_token(one_server, alice))] if spoil else [])
    line = f"polls.tokens: socket refused for /ws/polls/1/: {why}"
    seen = len(lines_with(one_server, line))
    with pytest.raises(InvalidStatus) as refused:
        connect(ws_url(one_server), origin=ORIGIN, subprotocols=offered)
    assert refused.value.response.status_code == 403
    assert len(wait_for_lines(one_server, line, seen + 1)) == seen + 1
    assert "Traceback" not in one_server.output()


RATE, BURST = 5, 10
"""The example's limit (``polls/consumers.py``): 5 messages a second, 10 at once."""

RESULTS = '{"type": "results"}'


def test_a_flood_of_messages_is_closed_with_4008_and_one_line(one_server):
    line = "socket closed with 4008: over 5 messages a second"
    seen = len(lines_with(one_server, line))
    answered, code = 0, None
    with connect(ws_url(one_server), origin=ORIGIN) as ws:
        receive_json(ws)
        try:
            for _ in range(100):
                ws.send(RESULTS)
        except ConnectionClosed:
            pass  # closed by the server before the flood was all sent (a busy machine)
        try:
            while receive_json(ws)["type"] == "results":
                answered += 1
        except ConnectionClosed as closed:
            code = closed.rcvd.code if closed.rcvd else None
    assert code == 4008
    # The burst, and what the bucket refilled while they were answered (more on a
    # busy machine, where answering takes longer), never the whole flood.
    assert BURST <= answered < 50, answered
    assert len(wait_for_lines(one_server, line, seen + 1)) == seen + 1
    assert "Traceback" not in one_server.output()
    with connect(ws_url(one_server), origin=ORIGIN) as ws:
        assert receive_json(ws)["type"] == "hello"


def test_a_client_within_the_limit_is_served(one_server):
    before = len(one_server.output())
    with connect(ws_url(one_server), origin=ORIGIN) as ws:
        receive_json(ws)
        for _ in range(BURST):  # a burst at once,
            ws.send(RESULTS)
        for _ in range(BURST):
            assert receive_json(ws)["type"] == "results"
        for _ in range(2 * RATE):  # then just under RATE a second, for 2.5 s
            time.sleep(1.25 / RATE)
            ws.send(RESULTS)
            assert receive_json(ws)["type"] == "results"
    assert "4008" not in one_server.output()[before:]


def test_a_server_stopping_closes_its_sockets_with_1012_and_logs_no_client_gone(ws_database):
    """What a rolling restart does to the sockets of the process it stops."""
    with serving(uvicorn_argv(), env_for(ws_database)) as server:
        with connect(ws_url(server), origin=ORIGIN) as ws:
            receive_json(ws)
            server.stop()  # SIGTERM, as a process manager sends it
            assert close_code(ws, timeout=5) == 1012
    output = server.output()
    assert "Shutting down" in output
    assert "client gone" not in output
    assert "Traceback" not in output
