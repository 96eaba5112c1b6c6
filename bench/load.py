"""Load the example project under uvicorn and print throughput, latency and errors.

    nox -s bench                       # 5,000 requests, 50 at a time, per view
    nox -s bench -- --requests 1000 --concurrency 20

Starts uvicorn with the example project on a free port on 127.0.0.1 (one
worker, a throwaway migrated SQLite database), then, for the sync view
(``/polls/``) and the async view (``/polls/async/``), sends a bounded number of
GET requests over ``--concurrency`` keep-alive connections and prints
requests/s, p50 and p99 latency and the number of errors (any exception or
non-200 status).

The server runs the production settings (``DEBUG = False``), as a deployment
would, behind a pretend TLS proxy (``X-Forwarded-Proto: https``). The client is
aiohttp: httpx's async pool tops out near 300 requests/s on this machine, below
what uvicorn serves, so it would measure itself. Client and server share the
same 2-core machine, so the figures compare set-ups; they do not size a server.
"""

import argparse
import asyncio
import platform
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from support import example_env, free_port, manage, uvicorn  # noqa: E402

VIEWS = {"sync": "/polls/", "async": "/polls/async/"}
PROXY_HEADERS = {"X-Forwarded-Proto": "https"}


def production_env():
    """Production settings with a throwaway database and static root."""
    tmp = Path(tempfile.mkdtemp(prefix="mysite-bench-"))
    env = example_env(
        DJANGO_SETTINGS_MODULE="mysite.settings_production",
        DJANGO_SECRET_KEY="bench-only-" + "x7Qp2" * 12,
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_STATIC_ROOT=tmp / "static",
        MYSITE_SQLITE_PATH=tmp / "db.sqlite3",
    )
    for command in (
        ["migrate", "--no-input"],
        ["loaddata", "sample_questions"],
        ["collectstatic", "--no-input"],
    ):
        manage(*command, "-v", "0", env=env)
    return env


async def load(url, requests, concurrency):
    """Send ``requests`` GETs to ``url``, ``concurrency`` at a time."""
    latencies, errors = [], 0
    remaining = iter(range(requests))
    connector = aiohttp.TCPConnector(limit=concurrency)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(
        connector=connector, timeout=timeout, headers=PROXY_HEADERS
    ) as client:

        async def worker():
            nonlocal errors
            for _ in remaining:
                start = time.perf_counter()
                try:
                    async with client.get(url, allow_redirects=False) as response:
                        await response.read()
                        ok = response.status == 200
                except (aiohttp.ClientError, TimeoutError):
                    ok = False
                latencies.append(time.perf_counter() - start)
                errors += not ok

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - began
    return latencies, errors, elapsed


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--app", default="mysite.asgi:application")
    args = parser.parse_args(argv)
    if not (1 <= args.concurrency <= args.requests <= 100_000):
        parser.error("need 1 <= concurrency <= requests <= 100000")

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
    return 1 if total_errors else 0


if __name__ == "__main__":
    sys.exit(main())
