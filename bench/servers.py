"""Compare the ASGI servers the docs teach: requests/s and latency, sync and async view.

    nox -s bench_servers                                 # 2,000 requests per cell
    nox -s bench_servers -- --requests 500 --concurrency 10
    nox -s bench_servers -- --servers uvicorn granian
    nox -s bench_servers -- --chart-only                 # redraw the chart from the data

For each server (uvicorn, Gunicorn with uvicorn workers, Daphne, Hypercorn,
Granian, and Gunicorn with its own ASGI worker) the example project runs with one worker process, the production
settings and a throwaway migrated SQLite database, on a free port on
127.0.0.1, with its access log off. Then, for the sync view (``/polls/``) and
the async view (``/polls/async/``), at each ``--concurrency`` level, it sends
a warm-up and then, ``--runs`` times, ``--requests`` GET requests over that many
keep-alive connections (``load()`` from :mod:`guide.bench.load`), and records
each run's requests/s, p50 and p99 latency and errors, and their medians (any
exception or non-200 status is an error; none are expected: the script exits 1
if there are any). It refuses to measure on a busy machine
(:mod:`guide.bench.machine`; ``--allow-busy``).

It writes ``bench/results/servers.json`` (the figures, each server's version
and command, Python, Django, the machine's CPU, cores and memory, the date)
and draws ``docs/assets/servers-bench.svg`` from it.

The servers, their commands, labels, colours and the packages whose versions
are recorded come from the catalogue, :mod:`guide.servers.catalogue` (``BENCHED``: its
servers and ``BENCH_VARIANTS``).

Client and servers share one machine, so the figures compare servers on it;
they do not size a deployment.
"""

import argparse
import asyncio
import datetime
import importlib.metadata
import json
import platform
import shlex
import statistics
import sys
from pathlib import Path

from guide.bench.chart import chart_svg
from guide.bench.load import VIEWS, load, percentile, production_env
from guide.bench.machine import add_allow_busy, idle_machine, write_results
from guide.paths import DOCS, ROOT
from guide.servers.catalogue import BENCH_APP, BENCHED
from guide.servers.commands import command_env
from guide.services.processes import ServerProcess, free_port

RESULTS = ROOT / "bench" / "results" / "servers.json"
CHART = DOCS / "assets" / "servers-bench.svg"


def versions(packages):
    return {name: importlib.metadata.version(name) for name in packages}


def measure(name, env, views, concurrencies, requests, warmup, runs=1):
    """Start one server, load each view at each concurrency ``runs`` times; return rows.

    A row's figures are the medians of its runs; ``runs`` keeps each run's.
    """
    port = free_port()
    argv = BENCHED[name].bench_argv(port)
    rows = []
    with ServerProcess(argv, port, env=command_env(env)) as server:
        for view, path in views.items():
            for concurrency in concurrencies:
                url = server.url + path
                asyncio.run(load(url, max(warmup, concurrency), concurrency))
                each = []
                for _ in range(runs):
                    latencies, errors, elapsed = asyncio.run(load(url, requests, concurrency))
                    each.append(
                        {
                            "requests": len(latencies),
                            "errors": errors,
                            "requests_per_second": round(len(latencies) / elapsed, 1),
                            "p50_ms": round(percentile(latencies, 0.50) * 1000, 2),
                            "p99_ms": round(percentile(latencies, 0.99) * 1000, 2),
                        }
                    )
                errors = sum(run["errors"] for run in each)
                row = {
                    "server": name,
                    "view": view,
                    "path": path,
                    "concurrency": concurrency,
                    "requests": each[0]["requests"],
                    "errors": errors,
                    **{
                        key: statistics.median(run[key] for run in each)
                        for key in ("requests_per_second", "p50_ms", "p99_ms")
                    },
                    "runs": each,
                }
                rows.append(row)
                print(
                    f"{BENCHED[name].chart_label:<26} {view:<6} {concurrency:>5} "
                    f"{row['requests_per_second']:>8.0f} {row['p50_ms']:>8.1f} "
                    f"{row['p99_ms']:>8.1f} {errors:>7}",
                    flush=True,
                )
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="per cell (default 2000)")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[10, 50])
    parser.add_argument("--warmup", type=int, default=200, help="requests before each cell")
    parser.add_argument("--runs", type=int, default=3, help="runs per cell (default 3)")
    parser.add_argument("--servers", nargs="+", choices=list(BENCHED), default=list(BENCHED))
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--chart", type=Path, default=CHART)
    parser.add_argument(
        "--chart-only", action="store_true", help="redraw the chart from --output; no load"
    )
    add_allow_busy(parser)
    args = parser.parse_args(argv)

    if args.chart_only:
        data = json.loads(args.output.read_text())
    else:
        if not all(1 <= c <= args.requests <= 100_000 for c in args.concurrency):
            parser.error("need 1 <= concurrency <= requests <= 100000")
        if not 1 <= args.runs <= 20:
            parser.error("--runs must be 1-20")
        host = idle_machine(args.allow_busy)  # before the load, for its load average
        env = production_env()
        django_version = importlib.metadata.version("django")
        print(
            f"{len(args.servers)} servers, 1 worker each, {BENCH_APP}, production settings | "
            f"Django {django_version} | Python {platform.python_version()} | "
            f"{args.requests} requests per cell"
        )
        print(
            f"{'server':<26} {'view':<6} {'conc':>5} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}"
        )
        results = []
        for name in args.servers:
            results += measure(
                name, env, VIEWS, args.concurrency, args.requests, args.warmup, args.runs
            )
        data = {
            "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "machine": host,
            "python": platform.python_version(),
            "django": django_version,
            "client": f"aiohttp {importlib.metadata.version('aiohttp')}",
            "settings": {
                "app": BENCH_APP,
                "django_settings_module": env["DJANGO_SETTINGS_MODULE"],
                "workers": 1,
                "requests": args.requests,
                "warmup": args.warmup,
                "runs": args.runs,
                "concurrency": args.concurrency,
                "views": VIEWS,
            },
            "servers": {
                name: {
                    "versions": versions(BENCHED[name].packages),
                    "command": shlex.join(BENCHED[name].bench_argv(8000)),
                }
                for name in args.servers
            },
            "results": results,
        }
        write_results(args.output, data)
        print(
            f"wrote {args.output.relative_to(ROOT) if args.output.is_relative_to(ROOT) else args.output}"
        )

    args.chart.parent.mkdir(parents=True, exist_ok=True)
    args.chart.write_text(chart_svg(data))
    print(
        f"wrote {args.chart.relative_to(ROOT) if args.chart.is_relative_to(ROOT) else args.chart}"
    )
    errors = sum(row["errors"] for row in data["results"])
    if errors:
        print(f"{errors} errors", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
