"""The benchmarks' load generator: bounded GET requests over keep-alive connections.

Read by ``bench/load.py`` (uvicorn, the sync and the async view) and
``bench/servers.py`` (each server of :mod:`guide.servers.catalogue`). The server under
load runs the production settings (``DEBUG = False``) on a throwaway migrated
SQLite database (:func:`production_env`), as a deployment would, behind a
pretend TLS proxy (``X-Forwarded-Proto: https``).

The client is aiohttp (``requirements/bench.txt``): httpx's async pool tops
out near 300 requests/s on a 2-core machine, below what uvicorn serves, so it
would measure itself.
"""

import asyncio
import tempfile
import time
from pathlib import Path

import aiohttp

from guide.services.processes import example_env, manage

VIEWS = {"sync": "/polls/", "async": "/polls/async/"}
"""``{view: path}``: the example's sync and async view, in the order they are measured."""

PROXY_HEADERS = {"X-Forwarded-Proto": "https"}


def production_env(tmp=None, static_root=None):
    """Production settings with a throwaway database (in ``tmp``, a new folder by
    default) and static root (``static_root``, or ``tmp``/static), migrated, loaded
    with the sample questions and the static files collected."""
    tmp = Path(tmp or tempfile.mkdtemp(prefix="mysite-bench-"))
    env = example_env(
        DJANGO_SETTINGS_MODULE="mysite.settings_production",
        DJANGO_SECRET_KEY="bench-only-" + "x7Qp2" * 12,
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_STATIC_ROOT=static_root or tmp / "static",
        MYSITE_SQLITE_PATH=tmp / "db.sqlite3",
    )
    for command in (
        ["migrate", "--no-input"],
        ["loaddata", "sample_questions", "sample_choices"],
        ["collectstatic", "--no-input"],
    ):
        manage(*command, "-v", "0", env=env)
    return env


async def load(url, requests, concurrency):
    """Send ``requests`` GETs to ``url``, ``concurrency`` at a time.

    Returns ``(latencies in seconds, errors, elapsed seconds)``; an error is any
    exception or a status other than 200.
    """
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
    """The value at ``fraction`` (0 to 1) of ``values`` sorted: nearest rank, no interpolation."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def load_arguments(description, count="requests", default=2000, no_write=False, argv=None):
    """The bench scripts' common options: ``--<count> N --concurrency C`` (and ``--no-write``).

    Parsed from ``argv``; ``1 <= concurrency <= count <= 100000`` or the script
    exits with argparse's usage message.
    """
    import argparse

    from guide.bench.machine import add_allow_busy

    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(f"--{count}", type=int, default=default)
    parser.add_argument("--concurrency", type=int, default=50)
    if no_write:
        parser.add_argument("--no-write", action="store_true", help="print only, keep the JSON")
        add_allow_busy(parser)
    args = parser.parse_args(argv)
    if not (1 <= args.concurrency <= getattr(args, count) <= 100_000):
        parser.error(f"need 1 <= concurrency <= {count} <= 100000")
    return args
