"""Rolling restart: requests and streams lost, per server, behind nginx.

    nox -s bench_rolling                               # every server, 10 s grace period
    nox -s bench_rolling -- --servers uvicorn --grace 10 --no-write

For each server, two instances run its command from the server pages
(``snippets/server_commands/<server>.sh``, the command a container runs in
exec form) with the production settings, on one throwaway SQLite database,
behind Debian's nginx with the reverse-proxy page's ``mysite.conf``, its
``upstream`` block replaced by ``snippets/nginx/rolling-upstream.conf``: once
without that file's ``max_fails=0`` (nginx's defaults), once as written. Through
nginx, over HTTPS:

- ``--rate`` GET requests a second to ``/polls/``, spread over ``--clients``
  clients, each request on a new connection;
- ``--streams`` clients, each reading ``/polls/stream/`` (``--events`` events
  half a second apart) and opening the next one when it ends.

After a warm-up, the rolling restart, as an orchestrator does it for each
instance in turn: SIGTERM to its main process, SIGKILL if it is still running
after ``--grace`` seconds, then the same command again, and on to the next one
once the new process answers ``/healthz``. Load and streams go on for a few
seconds more, then every stream still open ends.

Counted, per server and upstream block: requests answered 200, failed
(another status, a connection error or a timeout), streams complete (every
event), streams cut (opened, then ended early), streams not opened (not
answered 200: tried again half a second later), and per instance how it
stopped (exit code or SIGKILL), how long that took and how long its new
process took to answer ``/healthz``.

Writes ``bench/results/rolling.json``, shown on docs/howto/containers.md
(``guide.site.tables.rolling``). Client, nginx and servers share one machine.
"""

import argparse
import asyncio
import datetime
import importlib.metadata
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from guide.bench.load import production_env
from guide.bench.machine import add_allow_busy, idle_machine, write_results
from guide.paths import ROOT, SNIPPETS
from guide.servers.catalogue import SERVERS
from guide.servers.commands import command_env, parse_command, server_argv
from guide.services import nginx
from guide.services.base import kill_group, wait_until
from guide.services.processes import ServerProcess, free_port

RESULTS = ROOT / "bench" / "results" / "rolling.json"
SERVER_COMMANDS = SNIPPETS / "server_commands"
INSTANCES = ("A", "B")
REQUEST_PATH = "/polls/"
STREAM_INTERVAL = 0.5
SETTLE = 3.0
"""Seconds of load before the first SIGTERM and after the last instance is back."""
REQUEST_TIMEOUT = 10.0


def upstream(ports):
    """The ``upstream`` block of ``mysite.conf``, naming each instance."""
    servers = "".join(f"    server 127.0.0.1:{port};\n" for port in ports)
    return f"upstream mysite {{\n{servers}}}\n"


def plain(exc):
    """What a client saw, in plain words, for an exception of httpx."""
    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    if isinstance(exc, httpx.ConnectError):
        return "connection refused"
    if isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError)):
        return "connection closed"
    return type(exc).__name__


class Counts:
    def __init__(self):
        self.ok = self.failed = self.complete = self.cut = self.refused = 0
        self.failures, self.cuts, self.refusals = {}, {}, {}

    def fail(self, table, reason):
        table[reason] = table.get(reason, 0) + 1


async def request_loop(client, url, period, stop, counts):
    """One client: a GET every ``period`` seconds (or as fast as answers come) until ``stop``."""
    while not stop.is_set():
        began = time.monotonic()
        try:
            response = await client.get(url)
            if response.status_code == 200:
                counts.ok += 1
            else:
                counts.failed += 1
                counts.fail(counts.failures, str(response.status_code))
        except httpx.HTTPError as exc:
            counts.failed += 1
            counts.fail(counts.failures, plain(exc))
        await asyncio.sleep(max(0.0, period - (time.monotonic() - began)))


async def stream_loop(client, url, events, stop, counts):
    """One client: read a whole stream, then open the next, until ``stop``."""
    while not stop.is_set():
        received, opened, reason = 0, False, None
        try:
            async with client.stream("GET", url, timeout=httpx.Timeout(30.0)) as response:
                if response.status_code != 200:
                    reason = str(response.status_code)
                else:
                    opened = True
                    async for line in response.aiter_lines():
                        if line.startswith("data: "):
                            received += 1
        except httpx.HTTPError as exc:
            reason = plain(exc)
        if not opened:
            # Not answered 200: counted apart from a stream cut, and tried
            # again an event's interval later (as a browser's EventSource would).
            counts.refused += 1
            counts.fail(counts.refusals, reason)
            await asyncio.sleep(STREAM_INTERVAL)
        elif received == events and reason is None:
            counts.complete += 1
        else:
            counts.cut += 1
            counts.fail(counts.cuts, f"{reason or 'ended'} after {received} of {events} events")


def healthy(port):
    try:
        response = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
    except httpx.HTTPError:
        return False
    return response.status_code == 200


class Instance:
    """One instance of a server's command on its own port, restarted in place."""

    def __init__(self, name, argv, port, env, logs):
        self.name, self.argv, self.port, self.env, self.logs = name, argv, port, env, logs
        self.runs = 0
        self.server = None

    def start(self):
        self.runs += 1
        log = self.logs / f"{self.name}-{self.runs}.log"
        self.server = ServerProcess(self.argv, self.port, env=self.env, log_path=log)
        began = time.monotonic()
        self.server.start(120)
        wait_until(
            lambda: healthy(self.port),
            60,
            f"{self.name} to answer /healthz",
            process=self.server.process,
            output=self.server.output,
        )
        return time.monotonic() - began

    def terminate(self, grace):
        """SIGTERM to the main process; SIGKILL (its group) after ``grace`` s."""
        process = self.server.process
        began = time.monotonic()
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(grace)
            killed = False
        except subprocess.TimeoutExpired:
            killed = True
        seconds = time.monotonic() - began
        self.server.kill()  # the group: SIGKILL, as the container's end kills all its processes
        return {
            "exit": None if killed else process.returncode,
            "killed": killed,
            "stop_seconds": round(seconds, 2),
        }

    def kill(self):
        if self.server is not None and self.server.process is not None:
            kill_group(self.server.process)


CONFIGURATIONS = {
    "defaults": False,
    "max_fails=0": True,
}
"""``{name: fixed}``: the upstream block of ``snippets/nginx/rolling-upstream.conf``
without its ``max_fails=0`` (nginx's defaults), and as written."""


async def rolling_restart(instances, configuration, nginx_dirs, args):
    """nginx in front of ``instances``, the load, one rolling restart: the counts."""
    certs, static_root, private_root = nginx_dirs
    text, https_port, http_port = nginx.two_instance_site(
        [i.port for i in instances],
        *certs,
        static_root,
        private_root,
        fixed=CONFIGURATIONS[configuration],
    )
    proxy = nginx.Nginx(text, [https_port, http_port])
    proxy.start()
    try:
        base = f"https://127.0.0.1:{https_port}"
        counts, stop = Counts(), asyncio.Event()
        limits = httpx.Limits(max_keepalive_connections=0)
        period = args.clients / args.rate
        stream_url = f"{base}/polls/stream/?count={args.events}&interval={STREAM_INTERVAL}"
        async with httpx.AsyncClient(
            verify=False, limits=limits, timeout=REQUEST_TIMEOUT
        ) as client:
            tasks = [
                asyncio.create_task(request_loop(client, base + REQUEST_PATH, period, stop, counts))
                for _ in range(args.clients)
            ] + [
                asyncio.create_task(stream_loop(client, stream_url, args.events, stop, counts))
                for _ in range(args.streams)
            ]
            await asyncio.sleep(SETTLE)
            restarts = []
            for instance in instances:
                stopped = await asyncio.to_thread(instance.terminate, args.grace)
                ready = await asyncio.to_thread(instance.start)
                restarts.append(
                    {"instance": instance.name, **stopped, "ready_seconds": round(ready, 2)}
                )
            await asyncio.sleep(SETTLE)
            stop.set()
            # Requests end at once; a stream open now runs to its end.
            await asyncio.wait_for(
                asyncio.gather(*tasks), args.events * STREAM_INTERVAL + REQUEST_TIMEOUT + 5
            )
    finally:
        proxy.stop()
        if args.keep_logs:
            print(f"  nginx's logs: {proxy.dir}")
        else:
            shutil.rmtree(proxy.dir, ignore_errors=True)
    return {
        "configuration": configuration,
        "requests_ok": counts.ok,
        "requests_failed": counts.failed,
        "request_failures": counts.failures,
        "streams_complete": counts.complete,
        "streams_cut": counts.cut,
        "stream_cuts": counts.cuts,
        "streams_refused": counts.refused,
        "stream_refusals": counts.refusals,
        "restarts": restarts,
    }


def measure(server, env, nginx_dirs, args, logs):
    """One server: two instances, then a rolling restart behind each configuration."""
    path = SERVER_COMMANDS / f"{server}.sh"  # what the container page runs as PID 1
    instances = []
    for name in INSTANCES:
        port = free_port()
        instances.append(Instance(f"{server}-{name}", server_argv(path, port), port, env, logs))
    rows = []
    try:
        for instance in instances:
            instance.start()
        for configuration in CONFIGURATIONS:
            row = asyncio.run(rolling_restart(instances, configuration, nginx_dirs, args))
            rows.append({"server": server, "command": " ".join(parse_command(path)), **row})
    finally:
        for instance in instances:
            instance.kill()
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--servers", nargs="+", choices=list(SERVERS), default=list(SERVERS))
    parser.add_argument("--grace", type=float, default=10.0, help="seconds before SIGKILL")
    parser.add_argument("--rate", type=float, default=50.0, help="requests a second, in all")
    parser.add_argument("--clients", type=int, default=5)
    parser.add_argument("--streams", type=int, default=4)
    parser.add_argument("--events", type=int, default=10, help="events per stream")
    parser.add_argument("--no-write", action="store_true", help="print only, keep the JSON")
    parser.add_argument("--keep-logs", action="store_true", help="keep and name nginx's logs")
    add_allow_busy(parser)
    args = parser.parse_args(argv)
    if not (1 <= args.clients <= args.rate <= 1000 and 0 < args.grace <= 120):
        parser.error("need 1 <= clients <= rate <= 1000 and 0 < grace <= 120")
    if not (0 <= args.streams <= 100 and 1 <= args.events <= 100):
        parser.error("need 0 <= streams <= 100 and 1 <= events <= 100")

    packages = ["django", "httpx"] + [p for s in args.servers for p in SERVERS[s].packages]
    data = {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "versions": {name: importlib.metadata.version(name) for name in packages},
        "machine": idle_machine(args.allow_busy),
    }
    data["versions"]["nginx"] = nginx_version()

    tmp = Path(tempfile.mkdtemp(prefix="rolling-"))
    certs_dir = nginx.shared_dir("rolling-certs-")
    static_root = nginx.shared_dir("rolling-static-")
    private_root = nginx.shared_dir("rolling-private-")
    env = command_env(production_env(tmp, static_root))
    print(
        f"two instances behind nginx | {args.rate:g} requests/s over {args.clients} clients, "
        f"{args.streams} streams of {args.events} events | grace period {args.grace:g} s"
    )
    print(
        f"{'server':<10} {'nginx':<12} {'req ok':>6} {'failed':>6} {'streams':>7} "
        f"{'cut':>4} {'refused':>7}  stops"
    )
    results = []
    try:
        certs = nginx.self_signed_certificate(certs_dir)
        for server in args.servers:
            for row in measure(server, env, (certs, static_root, private_root), args, tmp):
                results.append(row)
                print_row(row)
    finally:
        for folder in (certs_dir, static_root, private_root):
            shutil.rmtree(folder, ignore_errors=True)
    data["settings"] = {
        "django_settings_module": "mysite.settings_production",
        "instances": len(INSTANCES),
        "grace_seconds": args.grace,
        "requests_per_second": args.rate,
        "clients": args.clients,
        "request_path": REQUEST_PATH,
        "streams": args.streams,
        "stream_events": args.events,
        "stream_interval_seconds": STREAM_INTERVAL,
        "settle_seconds": SETTLE,
    }
    data["results"] = results
    if not args.no_write:
        write_results(RESULTS, data)
        print(f"wrote {RESULTS.relative_to(ROOT)}")
    if args.keep_logs:
        print(f"servers' logs: {tmp}")
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


def print_row(row):
    stops = ", ".join(
        f"SIGKILL after {r['stop_seconds']:g} s"
        if r["killed"]
        else f"exit {r['exit']} after {r['stop_seconds']:g} s"
        for r in row["restarts"]
    )
    print(
        f"{row['server']:<10} {row['configuration']:<12} {row['requests_ok']:>6} "
        f"{row['requests_failed']:>6} {row['streams_complete']:>7} {row['streams_cut']:>4} "
        f"{row['streams_refused']:>7}  {stops}"
    )
    for key in ("request_failures", "stream_cuts", "stream_refusals"):
        if row[key]:
            found = ", ".join(f"{count} × {reason}" for reason, count in row[key].items())
            print(f"{'':<23} {key}: {found}")


def nginx_version():
    result = subprocess.run([nginx.NGINX, "-v"], capture_output=True, text=True)
    return result.stderr.strip().rpartition("/")[2].split()[0]


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
