"""Server-sent events under one uvicorn process; writes bench/results/sse.json.

    nox -s bench_sse                     # 500 streams, 5 votes per broker
    nox -s bench_sse -- --streams 50 --events 2 --allow-busy

For each broker of polls/events.py, Redis pub/sub (a real ``redis-server``,
:mod:`guide.services.redis`) then PostgreSQL's LISTEN/NOTIFY, it starts one
uvicorn process serving ``mysite.asgi:application`` on a throwaway
PostgreSQL cluster (:mod:`guide.services.postgres`: the database is the same
for both, only the broker changes), opens ``--streams`` event streams to
``/polls/1/events/`` (:mod:`guide.clients.sse`, one socket each) and reads
each stream's first event. It records the server's resident memory (RSS)
before and after, and the database connections open meanwhile. Then
``--events`` times, it sends one vote through the sync ``vote`` view and
records, for every stream, the time from sending the vote to receiving its
event: p50 and p99 over all streams and votes, and the median over the votes
of the time until the last stream had it. Client and server share the
machine: the figures compare the brokers, they do not size a server.
"""

import argparse
import asyncio
import platform
import resource
import statistics
import time
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

import httpx

from guide.bench.machine import add_allow_busy, idle_machine, write_results
from guide.clients.sse import EventStream
from guide.clients.websocket import wait_until_serving
from guide.services.postgres import PostgresCluster
from guide.services.processes import example_env, free_port, prepare_example, uvicorn
from guide.services.redis import RedisServer

RESULTS = Path(__file__).resolve().parent / "results" / "sse.json"
APP = "mysite.asgi:application"
PATH = "/polls/1/events/"
WAIT_S = 30
"""Seconds to wait for each stream's event before counting it missing."""


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def rss_kib(pid):
    """The resident memory of process ``pid``, in KiB (``VmRSS``)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise ValueError(f"no VmRSS for process {pid}")


async def measure_streams(server, pg, count, events):
    pid = server.process.pid
    http = httpx.AsyncClient(base_url=server.url, timeout=30)
    token = (await http.get("/polls/1/")).cookies["csrftoken"]

    async def send_vote():
        response = await http.post(
            "/polls/1/vote/", data={"choice": "1"}, headers={"X-CSRFToken": token}
        )
        assert response.status_code == 200, response.text

    # Warm-up, not measured: the first stream starts the subscription, the
    # first vote imports what the vote view needs.
    warm = await EventStream.open(server.port, PATH)
    await warm.next_event()
    await send_vote()
    await warm.next_event()
    await warm.close()
    await asyncio.sleep(0.5)
    before = rss_kib(pid)
    streams = []
    for _ in range(count):
        stream = await EventStream.open(server.port, PATH)
        await stream.next_event()
        streams.append(stream)
    await asyncio.sleep(0.5)
    after = rss_kib(pid)
    connections = pg.active_connections()
    delays, reached_all, missing = [], [], 0
    for _ in range(events):
        sent = time.perf_counter()

        async def receive(stream, sent=sent):
            await stream.next_event(timeout=WAIT_S)
            return time.perf_counter() - sent

        waiting = [asyncio.ensure_future(receive(stream)) for stream in streams]
        await send_vote()
        results = await asyncio.gather(*waiting, return_exceptions=True)
        arrived = [r * 1000 for r in results if not isinstance(r, BaseException)]
        missing += len(results) - len(arrived)
        delays += arrived
        if len(arrived) == len(results):
            reached_all.append(max(arrived))
    await http.aclose()
    for stream in streams:
        await stream.close()
    return {
        "rss_before_kib": before,
        "rss_after_kib": after,
        "rss_per_stream_kib": (after - before) / count,
        "database_connections_while_open": connections,
        "deliveries": len(delays),
        "missing": missing,
        "p50_ms": percentile(delays, 0.50),
        "p99_ms": percentile(delays, 0.99),
        "all_reached_p50_ms": statistics.median(reached_all) if reached_all else None,
    }


def measure(broker, pg, redis, args):
    env = example_env(**pg.example_env(MYSITE_EVENTS_BROKER=broker, MYSITE_REDIS_URL=redis.url))
    with uvicorn(APP, free_port(), env, "--no-access-log", "--log-level", "warning") as server:
        wait_until_serving(server)
        row = asyncio.run(measure_streams(server, pg, args.streams, args.events))
    row = {"broker": broker, "streams": args.streams, "events": args.events, **row}
    print(
        f"{broker:8} {args.streams} streams: vote to stream p50 {row['p50_ms']:.1f} ms, "
        f"p99 {row['p99_ms']:.1f} ms, {row['missing']} missing; "
        f"{row['rss_per_stream_kib']:.1f} KiB per stream; "
        f"{row['database_connections_while_open']} database connections"
    )
    return row


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", type=int, default=500)
    parser.add_argument("--events", type=int, default=5)
    parser.add_argument("--out", type=Path, default=RESULTS)
    add_allow_busy(parser)
    args = parser.parse_args(argv)
    if not (1 <= args.streams <= 2000 and 1 <= args.events <= 100):
        parser.error("need 1 <= --streams <= 2000 and 1 <= --events <= 100")
    machine_info = idle_machine(args.allow_busy)  # before anything starts
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = args.streams + 100
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, hard), hard))
    with PostgresCluster(max_connections=50) as pg, RedisServer() as redis:
        prepare_example(example_env(**pg.example_env()))
        rows = [measure(broker, pg, redis, args) for broker in ("redis", "postgres")]
    data = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine_info,
        "python": platform.python_version(),
        "versions": {name: version(name) for name in ("django", "uvicorn", "redis", "psycopg")},
        "settings": {"app": APP, "workers": 1, "database": "PostgreSQL", "wait_s": WAIT_S},
        "results": rows,
    }
    write_results(args.out, data)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
