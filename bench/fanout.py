"""WebSocket fan-out and round trips under one uvicorn process; writes bench/results/fanout.json.

    nox -s bench_fanout                  # 200 clients, 5 broadcasts per layer
    nox -s bench_fanout -- --clients 50

For each channel layer (in-memory, then Redis: a real ``redis-server`` started
by :mod:`guide.services.redis`), it starts one uvicorn process serving
``mysite.asgi_channels:application`` (development settings, a throwaway
migrated SQLite database), connects ``--clients`` WebSocket clients to
``/ws/polls/1/``, then, ``--broadcasts`` times, sends one vote through the sync
``vote`` view and records, for every client, the time from sending the vote to
receiving its broadcast: p50 and p99 over all clients and broadcasts. Then one
client sends ``{"type": "results"}`` and waits for each answer for
``--seconds`` seconds: round trips per second (each answer is one database
query). Client and server share the machine: the figures compare the layers,
they do not size a server.
"""

import argparse
import asyncio
import json
import platform
import tempfile
import time
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

import httpx
from websockets.asyncio.client import connect

from guide.bench.machine import machine
from guide.clients.websocket import ORIGIN, wait_until_serving
from guide.services.processes import example_env, free_port, migrated_database, uvicorn
from guide.services.redis import RedisServer

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


async def round_trips(server, seconds):
    url = f"ws://127.0.0.1:{server.port}/ws/polls/1/"
    async with connect(url, origin=ORIGIN) as ws:
        await ws.recv()
        count, began = 0, time.perf_counter()
        while time.perf_counter() - began < seconds:
            await ws.send('{"type": "results"}')
            await ws.recv()
            count += 1
        return count / (time.perf_counter() - began)


def measure(layer, settings, args, database):
    port = free_port()
    env = example_env(MYSITE_SQLITE_PATH=database, **settings)
    with uvicorn(APP, port, env, "--no-access-log", "--log-level", "warning") as server:
        wait_until_serving(server)
        delays, missing = asyncio.run(fan_out(server, args.clients, args.broadcasts))
        per_second = asyncio.run(round_trips(server, args.seconds))
    row = {
        "layer": layer,
        "clients": args.clients,
        "broadcasts": args.broadcasts,
        "deliveries": len(delays),
        "missing": sum(missing.values()),
        "missing_reasons": missing,
        "p50_ms": percentile(delays, 0.50),
        "p99_ms": percentile(delays, 0.99),
        "round_trips_per_second": per_second,
    }
    print(
        f"{layer:9} {args.clients} clients: broadcast p50 {row['p50_ms']:.1f} ms, "
        f"p99 {row['p99_ms']:.1f} ms, {row['missing']} missing {missing or ''}; "
        f"one client: {per_second:.0f} round trips/s"
    )
    return row


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--broadcasts", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if not (1 <= args.clients <= 1000 and 1 <= args.broadcasts <= 100 and args.seconds > 0):
        parser.error("need 1 <= clients <= 1000, 1 <= broadcasts <= 100, seconds > 0")
    database = migrated_database(Path(tempfile.mkdtemp(prefix="bench-ws-")) / "db.sqlite3")
    machine_info = machine()  # the load average before the servers start
    rows = [measure("in-memory", {"MYSITE_CHANNEL_LAYER": "memory"}, args, database)]
    with RedisServer() as redis:
        rows.append(measure("Redis", {"MYSITE_REDIS_URL": redis.url}, args, database))
    data = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine_info,
        "python": platform.python_version(),
        "versions": {
            name: version(name)
            for name in ("django", "channels", "channels-redis", "uvicorn", "websockets")
        },
        "settings": {"app": APP, "workers": 1, "seconds": args.seconds},
        "results": rows,
    }
    args.out.write_text(json.dumps(data, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
