"""Should you switch? The same app under Gunicorn sync workers (WSGI) and uvicorn workers (ASGI).

    nox -s bench_switch                                 # 1,000 requests per cell
    nox -s bench_switch -- --requests 300

The example project, with the production settings, on a throwaway PostgreSQL
cluster (:mod:`guide.services.postgres`) with Django's pool (2 to 4 connections per
process) in both cases, served by Gunicorn with ``--workers 2`` (the
machine's cores) and:

- its default sync workers, serving ``mysite.wsgi:application`` (WSGI);
- ``uvicorn_worker.UvicornWorker``, serving ``mysite.asgi:application`` (ASGI).

Both run at once. For three views, the sync ``/polls/``, the async
``/polls/async/`` and ``/polls/blocking/`` (an async view that waits 50 ms in
a worker thread, as for a call to another service), at 10 and 50 concurrent
clients, it sends each server in turn a warm-up and then ``--requests`` GET
requests (``load()`` of :mod:`guide.bench.load`) and records requests/s, p50
and p99 latency and errors.

Writes ``bench/results/switch.json``, which docs/explanation/should-you-switch.md
shows (``guide.site.tables.db_bench``). Client, servers and database share one
machine: the figures compare the two set-ups on it; they do not size a
deployment.
"""

import argparse
import asyncio
import contextlib
import shlex
import sys

from guide.bench.db import header
from guide.bench.load import load, percentile, production_env
from guide.bench.machine import add_allow_busy, write_results
from guide.paths import ROOT
from guide.services.postgres import PostgresCluster, prepare_example
from guide.services.processes import ServerProcess, free_port

RESULTS = ROOT / "bench" / "results" / "switch.json"
WORKERS = 2
POOL = (2, 4)
SERVERS = {
    "wsgi": (
        "Gunicorn, sync workers (WSGI)",
        "gunicorn mysite.wsgi:application --workers {workers} --bind 127.0.0.1:{port}",
    ),
    "asgi": (
        "Gunicorn, uvicorn workers (ASGI)",
        "gunicorn mysite.asgi:application -k uvicorn_worker.UvicornWorker "
        "--workers {workers} --bind 127.0.0.1:{port}",
    ),
}
VIEWS = {"sync": "/polls/", "async": "/polls/async/", "blocking": "/polls/blocking/"}
CONCURRENCY = [10, 50]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--no-write", action="store_true", help="print only, keep the JSON")
    add_allow_busy(parser)
    args = parser.parse_args(argv)
    if not (max(CONCURRENCY) <= args.requests <= 100_000):
        parser.error(f"--requests must be {max(CONCURRENCY)} to 100000")

    data = header(
        ["django", "gunicorn", "uvicorn", "uvicorn-worker", "psycopg", "psycopg-pool"],
        args.allow_busy,
    )
    warmup = min(200, args.requests)
    print(
        f"Gunicorn --workers {WORKERS}, production settings, PostgreSQL with Django's pool "
        f"({POOL[0]} to {POOL[1]} per process) | {args.requests} requests per cell"
    )
    print(
        f"{'server':<34} {'view':<9} {'conc':>4} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'err':>4}"
    )
    results = []
    base_env = production_env()
    with PostgresCluster() as pg:
        data["versions"]["postgresql"] = pg.psql("SHOW server_version").split()[0]
        env = {**base_env, **pg.example_env(pool=POOL)}
        prepare_example(env)
        servers = {}
        with contextlib.ExitStack() as stack:
            for name, (_, command) in SERVERS.items():
                port = free_port()
                argv = shlex.split(command.format(workers=WORKERS, port=port))
                servers[name] = stack.enter_context(ServerProcess(argv, port, env=env))
            # Both servers run throughout; each cell measures one, then the
            # other, so a change in the machine's load falls on both alike.
            for view, path in VIEWS.items():
                for concurrency in CONCURRENCY:
                    for name, (label, _) in SERVERS.items():
                        url = servers[name].url + path
                        asyncio.run(load(url, warmup, concurrency))
                        latencies, errors, elapsed = asyncio.run(
                            load(url, args.requests, concurrency)
                        )
                        row = {
                            "server": name,
                            "view": view,
                            "concurrency": concurrency,
                            "requests_per_second": round(len(latencies) / elapsed, 1),
                            "p50_ms": round(percentile(latencies, 0.5) * 1000, 1),
                            "p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
                            "errors": errors,
                        }
                        results.append(row)
                        print(
                            f"{label:<34} {view:<9} {concurrency:>4} "
                            f"{row['requests_per_second']:>7.0f} {row['p50_ms']:>7.1f} "
                            f"{row['p99_ms']:>7.1f} {errors:>4}"
                        )
    data["settings"] = {
        "django_settings_module": "mysite.settings_production",
        "workers": WORKERS,
        "pool": {"min_size": POOL[0], "max_size": POOL[1]},
        "requests": args.requests,
        "warmup": warmup,
        "views": VIEWS,
        "servers": {
            name: {"label": label, "command": command} for name, (label, command) in SERVERS.items()
        },
    }
    data["results"] = results
    if not args.no_write:
        write_results(RESULTS, data)
        print(f"wrote {RESULTS.relative_to(ROOT)}")
    return 1 if any(r["errors"] for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
