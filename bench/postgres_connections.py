"""PostgreSQL connections under load: CONN_MAX_AGE = 0, CONN_MAX_AGE = 60, Django's pool.

    nox -s bench_postgres                                   # 2,000 requests, 50 concurrent
    nox -s bench_postgres -- --requests 500 --concurrency 20

Starts a throwaway PostgreSQL cluster (:mod:`guide.services.postgres`, ``max_connections
= 100``, PostgreSQL's default), migrates the example into it, then for each
database setting and each view (the sync ``/polls/`` and the async
``/polls/async/``) starts uvicorn (one worker, the production settings), sends
``--requests`` GET requests over ``--concurrency`` keep-alive connections while
a thread samples ``pg_stat_activity`` every 20 ms, waits a second, and
records: requests/s, errors (non-200 answers and client exceptions), the peak
number of connections during the load, and the number still open a second
after it (before the server stops).

Writes ``bench/results/postgres.json``, which docs/howto/production.md shows
(``guide.site.tables.db_bench``). Client, server and database share one machine:
the figures compare settings, they do not size a deployment.
"""

import asyncio
import re
import sys
import time

from guide.bench.db import ConnectionSampler, header
from guide.bench.load import VIEWS, load, load_arguments, production_env
from guide.bench.machine import write_results
from guide.paths import ROOT
from guide.services.postgres import PostgresCluster, prepare_example
from guide.services.processes import free_port, uvicorn

RESULTS = ROOT / "bench" / "results" / "postgres.json"
APP = "mysite.asgi:application"
MAX_CONNECTIONS = 100
REFUSED = re.compile(
    r"^django\.db\.utils\.OperationalError: connection failed: .*?FATAL: +(.+)$", re.M
)

# (label, PostgresCluster.example_env() arguments, the setting as a reader writes it)
MODES = [
    ("CONN_MAX_AGE = 0", {"conn_max_age": 0}, '"CONN_MAX_AGE": 0'),
    ("CONN_MAX_AGE = 60", {"conn_max_age": 60}, '"CONN_MAX_AGE": 60'),
    ("pool, defaults", {"pool": True}, '"OPTIONS": {"pool": True}'),
    (
        "pool, 2 to 10",
        {"pool": (2, 10)},
        '"OPTIONS": {"pool": {"min_size": 2, "max_size": 10}}',
    ),
]


def main(argv=None):
    args = load_arguments(__doc__.splitlines()[0], "requests", no_write=True, argv=argv)

    data = header(["django", "psycopg", "psycopg-pool", "uvicorn"], args.allow_busy)
    results = []
    print(
        f"uvicorn {APP}, 1 worker, production settings, PostgreSQL max_connections = "
        f"{MAX_CONNECTIONS} | {args.requests} requests, {args.concurrency} concurrent, per view"
    )
    print(
        f"{'setting':<18} {'view':<6} {'req/s':>7} {'errors':>7} {'refused':>8} {'peak':>5} {'after':>6}"
    )
    base_env = production_env()
    with PostgresCluster(max_connections=MAX_CONNECTIONS) as pg:
        data["versions"]["postgresql"] = pg.psql("SHOW server_version").split()[0]
        prepare_example({**base_env, **pg.example_env()})
        for label, options, setting in MODES:
            for view, path in VIEWS.items():
                env = {**base_env, **pg.example_env(**options)}
                with uvicorn(APP, free_port(), env, "--no-access-log") as server:
                    with ConnectionSampler(pg) as sampler:
                        latencies, errors, elapsed = asyncio.run(
                            load(server.url + path, args.requests, args.concurrency)
                        )
                    time.sleep(1)
                    after = pg.active_connections()
                    log = server.output()
                row = {
                    "setting": label,
                    "code": setting,
                    "view": view,
                    "requests_per_second": round(len(latencies) / elapsed, 1),
                    "errors": errors,
                    "peak_connections": sampler.peak,
                    "connections_after": after,
                    # One line per request that failed to connect (its traceback's last).
                    "connections_refused": len(refused := REFUSED.findall(log)),
                    "refusal_messages": sorted(set(refused)),
                }
                results.append(row)
                print(
                    f"{label:<18} {view:<6} {row['requests_per_second']:>7.0f} {errors:>7} "
                    f"{row['connections_refused']:>8} "
                    f"{sampler.peak:>5} {after:>6}"
                )
    data["settings"] = {
        "app": APP,
        "workers": 1,
        "django_settings_module": "mysite.settings_production",
        "requests": args.requests,
        "concurrency": args.concurrency,
        "max_connections": MAX_CONNECTIONS,
        "views": VIEWS,
        "sample_interval_ms": 20,
    }
    data["results"] = results
    if not args.no_write:
        write_results(RESULTS, data)
        print(f"wrote {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
