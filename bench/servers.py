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
from xml.sax.saxutils import escape

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


# --- The chart: an SVG drawn by hand from the data -------------------------


def _text(x, y, content, size=12, anchor="start", weight="normal", fill="#222"):
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
        f'font-weight="{weight}" fill="{fill}">{escape(str(content))}</text>'
    )


def _nice_max(value):
    """A round axis maximum at or above ``value``."""
    if value <= 0:
        return 1
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude


FONT_MIN = 12
"""The smallest font size in the chart: it is drawn at its own width (:data:`CHART_WIDTH`)."""
CHART_WIDTH = 680
"""At most the pages' content column at 1280 px, so the browser does not shrink the text."""


def _range(row, key):
    """``(lowest, highest)`` of ``key`` over the row's runs, or ``None`` for a single run."""
    runs = row.get("runs") or []
    if len(runs) < 2:
        return None
    values = [run[key] for run in runs]
    return min(values), max(values)


def chart_svg(data):
    """A horizontal bar chart: requests/s (left) and p99 latency (right) per cell.

    A bar is the median of the cell's runs; a black line over it spans the
    lowest to the highest run, when the results file records several.
    """
    results = data["results"]
    servers = [name for name in BENCHED if any(r["server"] == name for r in results)]
    groups = []
    for view in VIEWS:
        for concurrency in data["settings"]["concurrency"]:
            rows = {
                r["server"]: r
                for r in results
                if r["view"] == view and r["concurrency"] == concurrency
            }
            if rows:
                groups.append((view, concurrency, rows))

    label_w, panel_w, gap, bar_h, bar_gap, head_h = 182, 190, 60, 16, 4, 26
    width = CHART_WIDTH
    top = 132
    group_h = head_h + len(servers) * (bar_h + bar_gap) + 10
    height = top + len(groups) * group_h + 40
    panels = [
        ("requests/s (higher is better)", "requests_per_second", "{:.0f}"),
        ("p99 latency, ms (lower is better)", "p99_ms", "{:.0f}"),
    ]

    def highest(row, key):
        spread = _range(row, key)
        return spread[1] if spread else row[key]

    maxima = {key: _nice_max(max(highest(r, key) for r in results)) for _, key, _ in panels}

    machine_info = data["machine"]
    settings = data["settings"]
    runs = settings.get("runs", 1)
    memory = f", {machine_info['memory_gib']} GiB" if machine_info.get("memory_gib") else ""
    load = machine_info.get("load_average_at_start")
    load = f", load average {load:g} at start" if load is not None else ""
    end = machine_info.get("load_average_at_end")
    load += f", {end:g} at end" if end is not None else ""
    lines = [
        f"Django {data['django']}, Python {data['python']}, production settings, "
        "1 worker per server,",
        f"{settings['requests']} requests per run, aiohttp client on the same machine;",
        f"{machine_info['cpu']}, {machine_info['cores']} cores{memory}{load}; {data['date'][:10]}",
        (
            f"Bars: median of {runs} runs per cell; black lines: lowest to highest run."
            if runs > 1
            else "One run per cell (no spread recorded)."
        ),
    ]
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="system-ui, -apple-system, '
        f'Segoe UI, Helvetica, Arial, sans-serif" role="img" '
        f'aria-label="Requests per second and p99 latency of Django on the ASGI servers">',
        f'<rect width="{width}" height="{height}" fill="#fff"/>',
        _text(12, 24, "Django on ASGI servers: the sync and the async view", 16, weight="bold"),
    ]
    out += [_text(12, 46 + 17 * i, line, FONT_MIN, fill="#444") for i, line in enumerate(lines)]
    for index, (title, key, _) in enumerate(panels):
        x0 = label_w + index * (panel_w + gap)
        out.append(_text(x0, top - 10, title, FONT_MIN, weight="bold"))
        axis_y = top + len(groups) * group_h
        for tick in range(5):
            value = maxima[key] * tick / 4
            x = x0 + panel_w * tick / 4
            out.append(
                f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{axis_y}" '
                f'stroke="#e3e3e3" stroke-width="1"/>'
            )
            if tick % 2 == 0:  # three labels a panel: room for four digits at 12 px
                out.append(
                    _text(x, axis_y + 16, f"{value:g}", FONT_MIN, anchor="middle", fill="#444")
                )
    for g_index, (view, concurrency, rows) in enumerate(groups):
        y = top + g_index * group_h
        path = VIEWS[view]
        out.append(
            _text(12, y + 17, f"{view} view {path}, {concurrency} concurrent", 13, weight="bold")
        )
        for s_index, name in enumerate(servers):
            row = rows.get(name)
            by = y + head_h + s_index * (bar_h + bar_gap)
            out.append(
                _text(label_w - 8, by + bar_h - 4, BENCHED[name].chart_label, FONT_MIN, "end")
            )
            if row is None:
                continue
            for p_index, (_, key, fmt) in enumerate(panels):
                x0 = label_w + p_index * (panel_w + gap)
                w = panel_w * row[key] / maxima[key]
                spread = _range(row, key)
                spread_text = (
                    f" (runs {fmt.format(spread[0])} to {fmt.format(spread[1])})" if spread else ""
                )
                out.append(
                    f'<rect x="{x0}" y="{by}" width="{w:.1f}" height="{bar_h}" '
                    f'fill="{BENCHED[name].colour}" rx="2"><title>'
                    f"{escape(BENCHED[name].chart_label)}, {view}, {concurrency} concurrent: "
                    f"{row['requests_per_second']:.0f} req/s, p50 {row['p50_ms']:.1f} ms, "
                    f"p99 {row['p99_ms']:.1f} ms, {row['errors']} errors"
                    f"{spread_text}</title></rect>"
                )
                end_x = x0 + w
                if spread:
                    low = x0 + panel_w * spread[0] / maxima[key]
                    high = x0 + panel_w * spread[1] / maxima[key]
                    mid = by + bar_h / 2
                    out.append(
                        f'<path d="M{low:.1f} {mid - 4:.1f}v8M{low:.1f} {mid:.1f}H{high:.1f}'
                        f'M{high:.1f} {mid - 4:.1f}v8" stroke="#111" stroke-width="1.5" '
                        'fill="none"/>'
                    )
                    end_x = max(end_x, high)
                out.append(_text(end_x + 4, by + bar_h - 3, fmt.format(row[key]), FONT_MIN))
    out.append("</svg>")
    return "\n".join(out) + "\n"


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
        write_results(args.output, data, args.allow_busy)
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
