"""Memory of each ASGI server over many requests and WebSocket cycles, with and without recycling.

    nox -s bench_memory                                   # 10,000 requests, 1,000 cycles
    nox -s bench_memory -- --requests 2000 --cycles 200 --allow-busy --output /tmp/m.json
    nox -s bench_memory -- --servers uvicorn gunicorn

For each server of the catalogue (:mod:`guide.servers.catalogue`, its
``bench_command``), the example project runs with the production settings, a
throwaway migrated SQLite database, and ``mysite.asgi_channels:application``
(Django for HTTP, Channels for the live-results socket ``/ws/polls/1/``), with
two worker processes where the server has a ``--workers`` option (Daphne has
none: one process). Each server runs once as it is, and once with its option
that replaces a worker after a number of requests (:data:`RECYCLING`):
uvicorn's ``--limit-max-requests`` (and jitter), Gunicorn's ``--max-requests``
(and jitter), Hypercorn's ``--max-requests``; Granian has no count of requests
and replaces a worker over a memory limit instead (``--workers-max-rss``, in
MiB, sampled every second; by default the smallest worker's RSS after the
warm-up in the run without it, so that the run sees recycles).

After a warm-up of ``--warmup`` requests, it sends ``--requests`` GET requests
to the sync view ``/polls/`` (``--concurrency`` at a time, ``load()`` of
:mod:`guide.bench.load`, any exception or status other than 200 counts as
failed; the slowest is recorded: while no worker accepts, a request waits),
then opens and closes the socket ``--cycles`` times, one after the
other (connect, receive the consumer's hello, close; anything else counts as
failed). Every ``--every`` requests and every ``--every-cycles`` cycles it
reads, from ``/proc``, the resident memory (RSS) of the server's whole process
tree (the main process and its workers) and the proportional share (PSS,
which counts a page shared by forked processes once), and the process ids of
the tree: a worker whose id is new was started in between (a recycle).

Writes ``bench/results/memory.json`` (``guide.site.tables.memory`` renders it on
docs/howto/memory.md). Client and servers share one machine: the figures
compare the servers on it; they do not size a deployment.
"""

import argparse
import asyncio
import datetime
import importlib.metadata
import json
import platform
import shlex
import signal
import sys
import time
from pathlib import Path

from websockets.asyncio.client import connect

from guide.bench.load import load, production_env
from guide.bench.machine import add_allow_busy, idle_machine, write_results
from guide.paths import ROOT
from guide.servers.catalogue import BENCH_APP, SERVERS
from guide.servers.commands import command_env
from guide.services.base import wait_until
from guide.services.processes import ServerProcess, free_port
from guide.services.proctree import memory, tree

RESULTS = ROOT / "bench" / "results" / "memory.json"
APP = "mysite.asgi_channels:application"
"""Django for HTTP and the polls consumer for WebSockets, in one application."""
PATH = "/polls/"
SOCKET = "/ws/polls/1/"
ORIGIN = "http://127.0.0.1"
STOP_TIMEOUT = 30.0
"""Seconds a server has to exit after SIGTERM, at the end of its run, before it is killed."""
WORKERS = 2
"""Worker processes, where the server has a ``--workers`` option (the machine's cores)."""

RECYCLING = {
    "uvicorn": ["--limit-max-requests", "{max}", "--limit-max-requests-jitter", "{jitter}"],
    "gunicorn": ["--max-requests", "{max}", "--max-requests-jitter", "{jitter}"],
    # hypercorn 0.18's __main__.py sets max_requests_jitter from --max-requests
    # (the jitter given is ignored): the count alone is passed.
    "hypercorn": ["--max-requests", "{max}"],
    "granian": ["--workers-max-rss", "{max_rss}", "--rss-sample-interval", "1"],
}
"""``{server: options}`` that replace a worker process; Daphne has none."""


def sample(server, done):
    """The memory and process ids of the server's process tree, after ``done`` requests/cycles."""
    each = {}
    for pid in tree(server.process.pid):
        measured = memory(pid)
        if measured is not None:  # else it exited between the two reads
            each[pid] = measured
    return {
        "done": done,
        "rss_mib": round(sum(rss for rss, _ in each.values()) / 1024, 1),
        "pss_mib": round(sum(pss for _, pss in each.values()) / 1024, 1),
        "pids": sorted(each),
        "rss_mib_by_pid": {str(pid): round(rss / 1024, 1) for pid, (rss, _) in each.items()},
    }


def smallest_worker(row):
    """The smallest RSS, in MiB, of a process other than the main one, after the warm-up."""
    start = row["samples"]["requests"][0]
    return min(rss for pid, rss in start["rss_mib_by_pid"].items() if pid != str(row["main_pid"]))


def command(name, recycle, settings):
    """The server's ``bench_command`` on a free port, serving :data:`APP` with
    :data:`WORKERS` workers, plus its :data:`RECYCLING` options if ``recycle``:
    ``(argv, port, those options)``."""
    server = SERVERS[name]
    port = free_port()
    argv = [APP if part == BENCH_APP else part for part in server.bench_argv(port)]
    if server.workers_options:
        workers = [
            i for i, part in enumerate(argv) if part in server.workers_options and i + 1 < len(argv)
        ]
        for i in reversed(workers):
            del argv[i : i + 2]
        argv += ["--workers", str(WORKERS)]
    options = [part.format_map(settings) for part in RECYCLING[name]] if recycle else []
    return argv + options, port, options


async def cycles(url, count, every, on_sample):
    """Open and close the socket ``count`` times; the failures, sampling every ``every``."""
    failed = {}
    for done in range(1, count + 1):
        try:
            async with connect(url, origin=ORIGIN, open_timeout=10, close_timeout=5) as ws:
                hello = json.loads(await asyncio.wait_for(ws.recv(), 10))
                if hello.get("type") != "hello":
                    raise ValueError(f"first message {hello.get('type')!r}")
        except Exception as exc:  # refused, closed, timed out: the page lost its socket
            reason = f"{type(exc).__name__}: {exc}"[:100]
            failed[reason] = failed.get(reason, 0) + 1
        if done % every == 0 or done == count:
            on_sample(done)
    return failed


def wait_for_workers(server, expected, timeout=60.0):
    """Wait until the tree has ``expected`` processes answering (workers boot after the port opens)."""
    wait_until(
        lambda: len(tree(server.process.pid)) >= expected,
        timeout,
        f"{expected} processes under {server.argv[0]}",
        process=server.process,
        output=server.output,
        interval=0.2,
    )


def measure(name, recycle, env, args):
    """One server, as it is or recycling: its samples, failures and restarts."""
    argv, port, options = command(name, recycle, vars(args))
    expected = WORKERS + 1 if SERVERS[name].workers_options else 1
    print(f"$ {shlex.join(argv)}", flush=True)
    server = ServerProcess(argv, port, env=command_env(env))
    # A server still running STOP_TIMEOUT s after SIGTERM is killed, and the row says so.
    server.strict_stop = False
    server.stop_timeout = STOP_TIMEOUT
    with server:
        wait_for_workers(server, expected)
        url = server.url + PATH
        asyncio.run(load(url, args.warmup, min(args.concurrency, args.warmup)))
        http = [sample(server, 0)]
        started = time.perf_counter()
        http_failed = 0
        slowest = 0.0
        done = 0
        while done < args.requests:
            chunk = min(args.every, args.requests - done)
            latencies, errors, _ = asyncio.run(load(url, chunk, min(args.concurrency, chunk)))
            http_failed += errors
            slowest = max(slowest, *latencies)
            done += chunk
            http.append(sample(server, done))
        http_seconds = time.perf_counter() - started
        ws = [sample(server, 0)]
        ws_url = f"ws://127.0.0.1:{port}{SOCKET}"
        ws_failed = asyncio.run(
            cycles(ws_url, args.cycles, args.every_cycles, lambda n: ws.append(sample(server, n)))
        )
        first = set(http[0]["pids"])
        processes = len(first)
        main_pid = server.process.pid
        seen = {pid for s in http + ws for pid in s["pids"]}
    row = {
        "server": name,
        "recycling": recycle,
        "options": shlex.join(options),
        "command": shlex.join(argv).replace(str(port), "8000"),
        "processes": processes,
        "main_pid": main_pid,
        "rss_mib_start": http[0]["rss_mib"],
        "rss_mib_after_requests": http[-1]["rss_mib"],
        "rss_mib_after_cycles": ws[-1]["rss_mib"],
        "rss_mib_peak": max(s["rss_mib"] for s in http + ws),
        "pss_mib_start": http[0]["pss_mib"],
        "pss_mib_after_cycles": ws[-1]["pss_mib"],
        "restarts": len(seen - first),
        "requests": args.requests,
        "requests_failed": http_failed,
        "requests_seconds": round(http_seconds, 1),
        "slowest_request_ms": round(slowest * 1000),
        "cycles": args.cycles,
        "cycles_failed": sum(ws_failed.values()),
        "cycles_failed_reasons": ws_failed,
        "stopped_by_sigterm": server.returncode != -signal.SIGKILL,
        "samples": {"requests": http, "cycles": ws},
    }
    print(
        f"{name:<10} {'recycling' if recycle else 'as is':<10} {processes:>3} "
        f"{row['rss_mib_start']:>8.1f} {row['rss_mib_after_requests']:>8.1f} "
        f"{row['rss_mib_after_cycles']:>8.1f} {row['restarts']:>5} "
        f"{http_failed:>6} {row['cycles_failed']:>6}"
        + ("" if row["stopped_by_sigterm"] else f"  (killed {STOP_TIMEOUT:g} s after SIGTERM)"),
        flush=True,
    )
    return row


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--every", type=int, default=500, help="requests between samples")
    parser.add_argument("--cycles", type=int, default=1000, help="WebSocket connect/close")
    parser.add_argument("--every-cycles", type=int, default=100, help="cycles between samples")
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--max", type=int, default=1000, help="requests before a recycle")
    parser.add_argument("--jitter", type=int, default=100)
    parser.add_argument(
        "--max-rss",
        type=int,
        help="Granian's --workers-max-rss, MiB per worker (default: its smallest worker's "
        "RSS after the warm-up, without the option)",
    )
    parser.add_argument("--servers", nargs="+", choices=list(SERVERS), default=list(SERVERS))
    parser.add_argument("--output", type=Path, default=RESULTS)
    add_allow_busy(parser)
    args = parser.parse_args(argv)
    if not (1 <= args.concurrency <= args.every <= args.requests <= 100_000):
        parser.error("need 1 <= concurrency <= every <= requests <= 100000")
    if not (1 <= args.every_cycles <= args.cycles <= 10_000):
        parser.error("need 1 <= every-cycles <= cycles <= 10000")

    host = idle_machine(args.allow_busy)  # before anything starts
    env = production_env()
    print(
        f"{APP}, production settings | Django {importlib.metadata.version('django')} | "
        f"{args.requests} requests, {args.cycles} WebSocket cycles per server"
    )
    print(
        f"{'server':<10} {'':<10} {'procs':>3} {'RSS MiB':>8} {'+reqs':>8} {'+cycles':>8} "
        f"{'restarts':>5} {'failed':>6} {'ws failed':>6}"
    )
    results = []
    for name in args.servers:
        for recycle in (False, True) if name in RECYCLING else (False,):
            if recycle and name == "granian" and args.max_rss is None:
                # No leak to wait for: a limit at the smallest worker's size
                # after the warm-up, as is, so that the run sees recycles.
                args.max_rss = int(smallest_worker(results[-1]))
            results.append(measure(name, recycle, env, args))
    packages = sorted({p for name in args.servers for p in SERVERS[name].packages})
    data = {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": host,
        "python": platform.python_version(),
        "versions": {
            name: importlib.metadata.version(name)
            for name in ["django", "channels", "websockets", *packages]
        },
        "settings": {
            "app": APP,
            "django_settings_module": env["DJANGO_SETTINGS_MODULE"],
            "path": PATH,
            "socket": SOCKET,
            "workers": WORKERS,
            "requests": args.requests,
            "every": args.every,
            "cycles": args.cycles,
            "every_cycles": args.every_cycles,
            "concurrency": args.concurrency,
            "warmup": args.warmup,
            "max_requests": args.max,
            "max_requests_jitter": args.jitter,
            "granian_max_rss_mib": args.max_rss,
        },
        "results": results,
    }
    write_results(args.output, data)
    shown = args.output.relative_to(ROOT) if args.output.is_relative_to(ROOT) else args.output
    print(f"wrote {shown}")
    # Requests or WebSocket cycles that failed are a result (the page's table
    # shows them), not a failure of the measurement.
    for row in results:
        kind = "recycling" if row["recycling"] else "as is"
        if row["requests_failed"]:
            print(f"{row['server']} {kind}: {row['requests_failed']} requests failed")
        for reason, count in row["cycles_failed_reasons"].items():
            print(f"{row['server']} {kind}: {count} WebSocket cycles failed: {reason}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
