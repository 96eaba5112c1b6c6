"""Load the example project under uvicorn and print throughput, latency and errors.

    nox -s bench                       # 5,000 requests, 50 at a time, per view
    nox -s bench -- --requests 1000 --concurrency 20

Starts uvicorn with the example project on a free port on 127.0.0.1 (one
worker, a throwaway migrated SQLite database), then, for the sync view
(``/polls/``) and the async view (``/polls/async/``), sends a bounded number of
GET requests over ``--concurrency`` keep-alive connections and prints
requests/s, p50 and p99 latency and the number of errors (any exception or
non-200 status).

The server runs the production settings behind a pretend TLS proxy, and the
client is aiohttp: see :mod:`guide.bench.load`, shared with ``bench/servers.py``.
Client and server share the same 2-core machine, so the figures compare
set-ups; they do not size a server. It refuses to start on a busy machine
(:mod:`guide.bench.machine`; ``--allow-busy``) and prints the load at the end.
"""

import argparse
import asyncio
import platform
import sys

from guide.bench.load import VIEWS, load, percentile, production_env
from guide.bench.machine import add_allow_busy, idle_machine, load_now, load_text, too_busy
from guide.services.processes import free_port, uvicorn


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--app", default="mysite.asgi:application")
    add_allow_busy(parser)
    args = parser.parse_args(argv)
    if not (1 <= args.concurrency <= args.requests <= 100_000):
        parser.error("need 1 <= concurrency <= requests <= 100000")
    host = idle_machine(args.allow_busy)

    env = production_env()
    import django

    print(
        f"uvicorn {args.app}, 1 worker, production settings | Django {django.get_version()} | "
        f"Python {platform.python_version()} | {args.requests} requests, "
        f"{args.concurrency} concurrent, per view"
    )
    print(f"{'view':<6} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    total_errors = 0
    with uvicorn(args.app, free_port(), env, "--no-access-log") as server:
        for name, path in VIEWS.items():
            asyncio.run(
                load(server.url + path, min(200, args.requests), args.concurrency)
            )  # warm-up
            latencies, errors, elapsed = asyncio.run(
                load(server.url + path, args.requests, args.concurrency)
            )
            total_errors += errors
            print(
                f"{name:<6} {len(latencies) / elapsed:>8.0f} "
                f"{percentile(latencies, 0.50) * 1000:>8.1f} "
                f"{percentile(latencies, 0.99) * 1000:>8.1f} {errors:>7}"
            )
    host["load_average_at_end"] = load_now()
    print(f"{load_text(host)} on {host['cores']} cores")
    if reason := too_busy(host):
        print(f"Measured on a busy machine: {reason}.", file=sys.stderr)
    return 1 if total_errors else 0


if __name__ == "__main__":
    sys.exit(main())
