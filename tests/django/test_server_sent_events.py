"""Server-sent events of vote counts (``vote_events`` in polls/views.py, polls/events.py).

Real uvicorn processes serving ``mysite.asgi:application``, a real Redis
(:mod:`guide.services.redis`) and PostgreSQL (:mod:`guide.services.postgres`),
and Debian's nginx with ``snippets/nginx/mysite.conf`` as the page shows it.
The client is :mod:`guide.clients.sse`, over plain sockets. What the page
claims rests on these tests:

- one vote reaches every open stream, in both processes, through Redis and
  through LISTEN/NOTIFY; the ``memory`` broker stays in its process;
- ``Last-Event-ID`` resumes: the first event is the counts missed, or none;
- open streams hold no database connection (one LISTEN connection per
  process with the ``postgres`` broker), where a view that reads inside its
  stream holds one per stream;
- heartbeats keep a quiet stream open through nginx past its
  ``proxy_read_timeout``, which closes a stream without them;
- what ``GZipMiddleware`` does to a stream, on each Django (5.2, 6.0 and 6.1 differ).
"""

import asyncio
import json
import zlib

import django
import pytest

from guide.clients.sse import EventStream, StreamClosed
from guide.clients.websocket import total_votes, vote, wait_until_serving
from guide.services import nginx
from guide.services.postgres import PostgresCluster, prepare_example
from guide.services.processes import example_env, free_port, migrated_database, uvicorn
from guide.services.redis import RedisServer

APP = "mysite.asgi:application"
QUIET = ("--no-access-log",)
EVENTS = "/polls/1/events/"


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    return migrated_database(tmp_path_factory.mktemp("sse-db") / "db.sqlite3")


@pytest.fixture(scope="module")
def redis():
    with RedisServer() as server:
        yield server


@pytest.fixture(scope="module")
def pg():
    with PostgresCluster(max_connections=60) as cluster:
        prepare_example(example_env(**cluster.example_env()))
        yield cluster


def serve(env, *options):
    server = uvicorn(APP, free_port(), env, *QUIET, *options)
    server.start()
    try:
        wait_until_serving(server)
    except BaseException:
        server.stop()
        raise
    return server


async def open_streams(servers, per_server, headers=None):
    streams = [
        await EventStream.open(server.port, EVENTS, headers)
        for server in servers
        for _ in range(per_server)
    ]
    first = [await stream.next_event() for stream in streams]
    return streams, first


async def close_all(streams):
    for stream in streams:
        await stream.close()


def broker_env(kind, database, redis, pg):
    if kind == "redis":
        return example_env(
            MYSITE_SQLITE_PATH=database,
            MYSITE_SQLITE_CONCURRENT="1",
            MYSITE_EVENTS_BROKER="redis",
            MYSITE_REDIS_URL=redis.url,
        )
    return example_env(**pg.example_env(MYSITE_EVENTS_BROKER="postgres"))


@pytest.mark.parametrize("kind", ["redis", "postgres"])
def test_one_vote_reaches_every_stream_in_two_processes(kind, database, redis, pg):
    env = broker_env(kind, database, redis, pg)
    first, second = serve(env), serve(env)
    try:

        async def main():
            streams, hello = await open_streams([first, second], 10)
            assert {event["event"] for event in hello} == {"votes"}
            before = int(hello[0]["id"])
            counted = (await asyncio.to_thread(vote, first.url)).json()
            events = [await stream.next_event() for stream in streams]
            await close_all(streams)
            return before, counted, events

        before, counted, events = asyncio.run(main())
        assert total_votes(counted) == before + 1
        assert len(events) == 20
        assert {event["id"] for event in events} == {str(before + 1)}
        assert all(json.loads(event["data"]) == counted for event in events)
    finally:
        first.stop(), second.stop()


def test_the_memory_broker_stays_in_its_process(database):
    env = example_env(MYSITE_SQLITE_PATH=database, MYSITE_SQLITE_CONCURRENT="1")
    first, second = serve(env), serve(env)
    try:

        async def main():
            (here, there), _ = await open_streams([first, second], 1)
            await asyncio.to_thread(vote, first.url)
            event = await here.next_event()
            with pytest.raises(TimeoutError):
                await there.next_event(timeout=2)
            await close_all([here, there])
            return event

        assert asyncio.run(main())["event"] == "votes"
    finally:
        first.stop(), second.stop()


def test_last_event_id_resumes_with_what_was_missed(database):
    env = example_env(MYSITE_SQLITE_PATH=database, MYSITE_EVENTS_HEARTBEAT="0.5")
    server = serve(env)
    try:

        async def main():
            stream = await EventStream.open(server.port, EVENTS)
            seen = int((await stream.next_event())["id"])
            await stream.close()
            for _ in range(2):  # counted while the client was away
                await asyncio.to_thread(vote, server.url)
            resumed = await EventStream.open(server.port, EVENTS, {"Last-Event-ID": seen})
            caught_up = await resumed.next_event()
            await resumed.close()
            # Up to date: no event, only heartbeats, until the next vote.
            current = await EventStream.open(
                server.port, EVENTS, {"Last-Event-ID": caught_up["id"]}
            )
            quiet = [await current.next(timeout=3) for _ in range(2)]
            counted = (await asyncio.to_thread(vote, server.url)).json()
            after = await current.next_event()
            await current.close()
            return seen, caught_up, quiet, counted, after

        seen, caught_up, quiet, counted, after = asyncio.run(main())
        assert caught_up["id"] == str(seen + 2)
        assert quiet == [{"comment": "heartbeat"}] * 2
        assert after["id"] == str(seen + 3)
        assert json.loads(after["data"]) == counted
    finally:
        server.stop()


@pytest.mark.parametrize(("kind", "held"), [("redis", 0), ("postgres", 1)])
def test_open_streams_hold_no_database_connection(kind, held, redis, pg):
    env = example_env(**pg.example_env(MYSITE_EVENTS_BROKER=kind, MYSITE_REDIS_URL=redis.url))
    server = serve(env)
    try:

        async def main():
            streams, _ = await open_streams([server], 20)
            await asyncio.sleep(0.5)
            idle = pg.active_connections()
            await asyncio.to_thread(vote, server.url)
            await asyncio.gather(*(stream.next_event() for stream in streams))
            after_vote = pg.active_connections()
            await close_all(streams)
            return idle, after_vote

        # With the postgres broker, the one connection is the process's LISTEN.
        assert asyncio.run(main()) == (held, held)
    finally:
        server.stop()


def test_a_view_that_reads_in_its_stream_holds_a_connection_per_stream(pg):
    """The control: ``stream`` (polls/views.py) queries between its events."""
    server = serve(example_env(**pg.example_env()))
    try:

        async def main():
            path = "/polls/stream/?count=100&interval=5"
            streams = [await EventStream.open(server.port, path) for _ in range(20)]
            for stream in streams:
                await stream.next_event()
            held = pg.active_connections()
            await close_all(streams)
            return held

        assert asyncio.run(main()) == 20
    finally:
        server.stop()


# --- nginx -------------------------------------------------------------------

NGINX_READ_TIMEOUT = 60
"""nginx's proxy_read_timeout: mysite.conf's ``location /`` does not set it."""


def test_mysite_conf_leaves_the_read_timeout_of_location_slash_at_nginx_default():
    proxy = nginx.sections(nginx.snippet("mysite.conf"))["proxy"]
    assert "proxy_read_timeout" not in proxy and "proxy_buffering off;" in proxy


def heartbeats_through_nginx(database, heartbeat, wait, read_timeout=None):
    """Two quiet streams through the page's nginx, one server sending a heartbeat every
    ``heartbeat`` seconds, the other none, both held ``wait`` seconds; then a vote.

    ``read_timeout``: a ``proxy_read_timeout`` added to ``location /`` (else the
    page's configuration as it is, nginx's default). Returns the heartbeats the
    first stream received meanwhile, the vote's counts and the event that
    reached it, and what nginx logged for the second.
    """
    certs = nginx.shared_dir("sse-certs-")
    cert, key = nginx.self_signed_certificate(certs)
    static_root, private_root = nginx.shared_dir("sse-static-"), nginx.shared_dir("sse-private-")
    replace = None
    if read_timeout is not None:
        proxy = nginx.sections(nginx.snippet("mysite.conf"))["proxy"]
        at = proxy.rindex("}")
        replace = {
            "proxy": f"{proxy[:at]}    proxy_read_timeout {read_timeout}s;\n    {proxy[at:]}"
        }
    env = {"MYSITE_SQLITE_PATH": database, "MYSITE_SQLITE_CONCURRENT": "1"}
    beating = serve(example_env(**env, MYSITE_EVENTS_HEARTBEAT=str(heartbeat)))
    silent = serve(example_env(**env, MYSITE_EVENTS_HEARTBEAT="3600"))
    proxies = []
    try:
        for server in (beating, silent):
            text, https_port, http_port = nginx.site(
                f"127.0.0.1:{server.port}", cert, key, static_root, private_root, replace
            )
            proxy = nginx.Nginx(text, [https_port, http_port])
            proxy.start()
            proxies.append((proxy, https_port))

        async def main():
            streams = []
            for _, port in proxies:
                stream = await EventStream.open(port, EVENTS, tls=True)
                await stream.next_event()
                streams.append(stream)
            kept, cut = streams
            await asyncio.sleep(wait)
            with pytest.raises(StreamClosed):
                await cut.next(timeout=5)
            beats = 0  # the heartbeats that arrived meanwhile
            try:
                while "comment" in await kept.next(timeout=min(1, heartbeat / 5)):
                    beats += 1
            except TimeoutError:
                pass
            counted = (await asyncio.to_thread(vote, beating.url)).json()
            event = await kept.next_event()
            await close_all(streams)
            return beats, counted, event

        beats, counted, event = asyncio.run(main())
        return beats, counted, event, proxies[1][0].errors()
    finally:
        for proxy, _ in proxies:
            proxy.stop()
        beating.stop(), silent.stop()


def test_heartbeats_keep_a_stream_open_through_nginx_past_its_read_timeout(database):
    """On each Django: the example's stream, its heartbeats every 0.5 s, through the
    page's nginx with a read timeout of 2 s (the page's is nginx's default, 60 s:
    the next test), held 4 s: the stream with heartbeats stays open, the other is cut."""
    beats, counted, event, errors = heartbeats_through_nginx(database, 0.5, 4, read_timeout=2)
    assert beats >= 4 // 0.5 - 2
    assert json.loads(event["data"]) == counted
    assert "upstream timed out" in errors


@pytest.mark.server_fact
@pytest.mark.timeout(300)
def test_at_nginx_default_read_timeout_heartbeats_every_15_s_keep_a_stream_open(database):
    """The page's configuration as it is (nginx's default read timeout, 60 s) and the
    example's default heartbeat (15 s), held 70 s: what the page says.

    Once (``server_fact``, the newest Django): what it adds to the test above is
    nginx's own, its default timeout; the stream and its heartbeats through each
    Django are the test above's. (70 s of waiting, once instead of on each Django.)
    """
    wait = NGINX_READ_TIMEOUT + 10
    beats, counted, event, errors = heartbeats_through_nginx(database, 15, wait)
    assert beats >= wait // 15 - 1
    assert json.loads(event["data"]) == counted
    assert "upstream timed out" in errors


# --- GZipMiddleware ----------------------------------------------------------

GZIP_MAGIC = b"\x1f\x8b"


def gzip_stream(database, seconds):
    """Through GZipMiddleware, heartbeats every 0.5 s: the stream's chunks and events.

    Reads the first event, votes, reads the vote's event: what came in ``seconds``.
    """
    env = example_env(MYSITE_SQLITE_PATH=database, MYSITE_GZIP="1", MYSITE_EVENTS_HEARTBEAT="0.5")
    server = serve(env)
    try:

        async def main():
            stream = await EventStream.open(server.port, EVENTS, {"Accept-Encoding": "gzip"})
            events, counted = [], None
            try:
                async with asyncio.timeout(seconds):
                    events.append(await stream.next_event(timeout=seconds))
                    counted = (await asyncio.to_thread(vote, server.url)).json()
                    events.append(await stream.next_event(timeout=seconds))
            except TimeoutError:
                pass
            finally:
                await stream.close()
            return stream, events, counted

        return asyncio.run(main())
    finally:
        server.stop()


def test_what_gzip_middleware_does_to_a_stream(database):
    """Each supported Django compresses an async stream in a way of its own."""
    holds_back = django.VERSION[:2] == (6, 0)
    stream, events, counted = gzip_stream(database, 3 if holds_back else 10)
    assert stream.headers["content-encoding"] == "gzip"
    assert stream.headers["vary"] == "Accept-Encoding"
    members = sum(chunk.startswith(GZIP_MAGIC) for chunk in stream.chunks)
    if django.VERSION >= (6, 1):
        # acompress_sequence: one GzipFile, flushed after each chunk.
        assert len(events) == 2 and json.loads(events[1]["data"]) == counted
        assert members == 1
    elif holds_back:
        # acompress_sequence without a flush: the compressor keeps the first
        # event and the heartbeats; in 3 s, only the gzip header was sent.
        assert events == []
        assert len(stream.chunks) == 1 and members == 1
        assert zlib.decompressobj(wbits=31).decompress(stream.chunks[0]) == b""
    else:
        # compress_string() on each chunk: a whole gzip member each. A decoder
        # that reads one member stops after it.
        assert len(events) == 2 and json.loads(events[1]["data"]) == counted
        assert members == len(stream.chunks) >= 2
        one = zlib.decompressobj(wbits=31)
        one.decompress(b"".join(stream.chunks))
        assert one.eof and one.unused_data.startswith(GZIP_MAGIC)
