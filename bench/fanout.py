"""WebSocket fan-out and answers under one uvicorn process; writes bench/results/fanout.json.

    nox -s bench_fanout                  # 200 clients, 5 broadcasts per layer
    nox -s bench_fanout -- --clients 50

For each channel layer (in-memory, then Redis: a real ``redis-server`` started
by :mod:`guide.services.redis`), it starts one uvicorn process serving
``mysite.asgi_channels:application`` (development settings, a throwaway
migrated SQLite database), connects ``--clients`` WebSocket clients to
``/ws/polls/1/``, then, ``--broadcasts`` times, sends one vote through the sync
``vote`` view and records, for every client, the time from sending the vote to
receiving its broadcast: p50 and p99 over all clients and broadcasts. Then one
client sends ``{"type": "results"}`` ``--answers`` times, half a second apart
(the consumer limits how fast a socket may send): p50 of the time to each
answer (one database query). Client and server share the machine: the figures compare the layers,
they do not size a server.

Then, with the Redis layer and two uvicorn processes (the production set-up of
the WebSockets how-to, SQLite with its options for concurrent writers), what a
page is sent: ``--idle-sockets`` sockets held silent for ``--idle-seconds``,
then a vote (how many were dropped meanwhile); and ``--runs`` bursts of
``--votes`` votes, ``--concurrency`` at a time, watched by ``--sockets``
sockets per process (in how many runs every socket ended on the database's
count, and how many sockets were ever shown an older count after a newer one).
"""

import argparse
import asyncio
import itertools
import json
import platform
import tempfile
import time
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

import httpx
from websockets.asyncio.client import connect

from guide.bench.machine import add_allow_busy, idle_machine, write_results
from guide.clients.websocket import ORIGIN, burst, total_votes, vote, wait_until_serving, ws_url
from guide.services.processes import example_env, free_port, migrated_database, uvicorn
from guide.services.redis import RedisServer

SPACING = 0.5
"""Seconds between one client's requests: well within the consumer's rate limit."""

RESULTS = Path(__file__).resolve().parent / "results" / "fanout.json"
APP = "mysite.asgi_channels:application"


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


async def fan_out(server, clients, broadcasts):
    url = f"ws://127.0.0.1:{server.port}/ws/polls/1/"
    sockets = [await connect(url, origin=ORIGIN, max_size=None) for _ in range(clients)]
    for ws in sockets:
        json.loads(await ws.recv())  # the hello
    delays, missing = [], {}
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        token = (await http.get("/polls/1/")).cookies["csrftoken"]
        for _ in range(broadcasts):
            sent = time.perf_counter()

            async def receive(ws, sent):
                message = json.loads(await asyncio.wait_for(ws.recv(), 30))
                assert message["type"] == "votes", message
                return time.perf_counter() - sent

            waiting = [asyncio.ensure_future(receive(ws, sent)) for ws in sockets]
            response = await http.post(
                "/polls/1/vote/", data={"choice": "1"}, headers={"X-CSRFToken": token}
            )
            assert response.status_code == 200, response.text
            for result in await asyncio.gather(*waiting, return_exceptions=True):
                if isinstance(result, BaseException):
                    reason = f"{type(result).__name__}: {result}"[:120]
                    missing[reason] = missing.get(reason, 0) + 1
                else:
                    delays.append(result * 1000)
    for ws in sockets:
        await ws.close()
    return delays, missing


async def answers(server, count):
    """One client asks ``count`` times, ``SPACING`` apart: each answer's ms, in order."""
    url = f"ws://127.0.0.1:{server.port}/ws/polls/1/"
    times = []
    async with connect(url, origin=ORIGIN) as ws:
        await ws.recv()
        for _ in range(count):
            sent = time.perf_counter()
            await ws.send('{"type": "results"}')
            await ws.recv()
            times.append((time.perf_counter() - sent) * 1000)
            await asyncio.sleep(SPACING)
    return times


def measure(layer, settings, args, database):
    port = free_port()
    env = example_env(MYSITE_SQLITE_PATH=database, **settings)
    with uvicorn(APP, port, env, "--no-access-log", "--log-level", "warning") as server:
        wait_until_serving(server)
        delays, missing = asyncio.run(fan_out(server, args.clients, args.broadcasts))
        times = asyncio.run(answers(server, args.answers))
    row = {
        "layer": layer,
        "clients": args.clients,
        "broadcasts": args.broadcasts,
        "deliveries": len(delays),
        "missing": sum(missing.values()),
        "missing_reasons": missing,
        "p50_ms": percentile(delays, 0.50),
        "p99_ms": percentile(delays, 0.99),
        "answer_p50_ms": (answer_ms := percentile(times, 0.50)),
        "answer_min_ms": min(times),
        "answer_max_ms": max(times),
    }
    print(
        f"{layer:9} {args.clients} clients: broadcast p50 {row['p50_ms']:.1f} ms, "
        f"p99 {row['p99_ms']:.1f} ms, {row['missing']} missing {missing or ''}; "
        f"one client: answered in {answer_ms:.1f} ms (p50)"
    )
    return row


def delivery(args, database, redis):
    """Idle sockets and bursts of votes across two processes sharing the Redis layer."""
    env = example_env(
        MYSITE_SQLITE_PATH=database, MYSITE_REDIS_URL=redis.url, MYSITE_SQLITE_CONCURRENT="1"
    )
    quiet = ("--no-access-log", "--log-level", "warning")
    with (
        uvicorn(APP, free_port(), env, *quiet) as first,
        uvicorn(APP, free_port(), env, *quiet) as second,
    ):
        wait_until_serving(first), wait_until_serving(second)
        dropped = asyncio.run(idle(first, second, args.idle_sockets, args.idle_seconds))
        print(
            f"idle: {args.idle_sockets} sockets silent {args.idle_seconds:.0f} s, {dropped} dropped"
        )
        on_count = went_back = 0
        for run in range(args.runs):
            database_total, shown = asyncio.run(
                burst([first, second], args.sockets, args.votes, args.concurrency)
            )
            ended = sum(totals[-1] == database_total for totals in shown)
            back = sum(any(b < a for a, b in itertools.pairwise(t)) for t in shown)
            on_count += ended == len(shown)
            went_back += back
            print(
                f"run {run + 1}: {ended} of {len(shown)} sockets on {database_total}, {back} went back"
            )
    return {
        "processes": 2,
        "idle_sockets": args.idle_sockets,
        "idle_seconds": args.idle_seconds,
        "idle_dropped": dropped,
        "runs": args.runs,
        "votes": args.votes,
        "concurrency": args.concurrency,
        "sockets_per_process": args.sockets,
        "runs_all_on_database_count": on_count,
        "sockets_shown_an_older_count": went_back,
    }


async def idle(first, second, count, seconds):
    """Hold ``count`` sockets (half on each process) silent, vote: how many were dropped."""
    servers = (first, second)
    sockets = [await connect(ws_url(servers[index % 2]), origin=ORIGIN) for index in range(count)]
    for ws in sockets:
        await ws.recv()  # the hello
    await asyncio.sleep(seconds)
    counted = total_votes((await asyncio.to_thread(vote, first.url)).json())
    dropped = 0
    for ws in sockets:
        try:
            message = json.loads(await asyncio.wait_for(ws.recv(), 10))
            dropped += total_votes(message["results"]) != counted
        except Exception:  # closed, or nothing came: the socket is lost to its page
            dropped += 1
        await ws.close()
    return dropped


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--broadcasts", type=int, default=5)
    parser.add_argument("--answers", type=int, default=20)
    parser.add_argument("--idle-sockets", type=int, default=10)
    parser.add_argument("--idle-seconds", type=float, default=60.0)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--votes", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=25)
    parser.add_argument("--sockets", type=int, default=50, help="per process, in each run")
    parser.add_argument("--out", type=Path, default=RESULTS)
    add_allow_busy(parser)
    args = parser.parse_args(argv)
    if not (1 <= args.clients <= 1000 and 1 <= args.broadcasts <= 100 and args.answers >= 1):
        parser.error("need 1 <= clients <= 1000, 1 <= broadcasts <= 100, answers >= 1")
    if not (args.idle_sockets >= 2 and args.idle_seconds >= 0 and args.runs >= 1):
        parser.error("need --idle-sockets >= 2, --idle-seconds >= 0, --runs >= 1")
    if not (1 <= args.votes and 1 <= args.concurrency and 1 <= args.sockets <= 500):
        parser.error("need --votes >= 1, --concurrency >= 1, 1 <= --sockets <= 500")
    machine_info = idle_machine(args.allow_busy)  # before anything starts
    database = migrated_database(Path(tempfile.mkdtemp(prefix="bench-ws-")) / "db.sqlite3")
    rows = [measure("in-memory", {"MYSITE_CHANNEL_LAYER": "memory"}, args, database)]
    with RedisServer() as redis:
        rows.append(measure("Redis", {"MYSITE_REDIS_URL": redis.url}, args, database))
        delivered = delivery(args, database, redis)
    data = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine_info,
        "python": platform.python_version(),
        "versions": {
            name: version(name)
            for name in ("django", "channels", "channels-redis", "uvicorn", "websockets")
        },
        "settings": {"app": APP, "workers": 1, "answers": args.answers},
        "results": rows,
        "delivery": delivered,
    }
    write_results(args.out, data)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
