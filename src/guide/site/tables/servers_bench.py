"""render the server benchmark's figures from its JSON results.

A page that holds the marker ``<!-- bench-table -->`` gets, in its place,
Markdown tables built from ``bench/results/servers.json`` (written by
``nox -s bench_servers``): requests/s and p50 / p99 latency for each server,
view and concurrency, with the versions, the machine, its load average and
the date the file records. The page's figures therefore cannot drift from the
measured ones: re-running the benchmark updates both the chart and the tables.
"""

from guide.bench.machine import load_text
from guide.servers.catalogue import BENCHED

MARKER = "<!-- bench-table -->"
# The servers' names in the tables, from the catalogue (a server it does not
# know is shown by the name the results file records).
LABELS = {name: server.label for name, server in BENCHED.items()}


def _versions(info):
    return ", ".join(f"{name} {version}" for name, version in info["versions"].items())


def _cells(data):
    """``[(view, concurrency)]`` in the order the benchmark measured them."""
    order = []
    for row in data["results"]:
        cell = (row["view"], row["concurrency"])
        if cell not in order:
            order.append(cell)
    return order


def _spread(row, key):
    """`` (lowest–highest)`` of ``key`` over the row's runs, or ``""`` for a single run."""
    runs = row.get("runs") or []
    if len(runs) < 2:
        return ""
    values = [run[key] for run in runs]
    return f" ({min(values):.0f}–{max(values):.0f})"


def render(data):
    """The Markdown that replaces the marker."""
    cells = _cells(data)
    by_key = {(r["server"], r["view"], r["concurrency"]): r for r in data["results"]}
    views = data["settings"]["views"]
    header = "| Server | " + " | ".join(
        f"{view} `{views.get(view, '')}`, {concurrency} concurrent" for view, concurrency in cells
    )
    rule = "|---|" + "---:|" * len(cells)

    def table(fmt):
        lines = [header + " |", rule]
        for name, info in data["servers"].items():
            values = []
            for view, concurrency in cells:
                row = by_key.get((name, view, concurrency))
                values.append(fmt(row) if row else "not measured")
            label = f"{LABELS.get(name, name)} ({_versions(info)})"
            lines.append(f"| {label} | " + " | ".join(values) + " |")
        return "\n".join(lines)

    machine = data["machine"]
    memory = f", {machine['memory_gib']} GiB of memory" if machine.get("memory_gib") else ""
    settings = data["settings"]
    errors = sum(r["errors"] for r in data["results"])
    runs = settings.get("runs", 1)
    spread = (
        f"Each figure is the median of {runs} runs of {settings['requests']:,} requests, "
        "the lowest and highest run in brackets."
        if runs > 1
        else f"Each figure is from one run of {settings['requests']:,} requests: "
        "no spread was recorded."
    )
    return "\n".join(
        [
            f"Measured on {data['date'][:10]} on {machine['cpu']}, {machine['cores']} cores"
            f"{memory} ({machine.get('os', 'unknown OS')}), {load_text(machine)}; "
            f"Django {data['django']}, Python {data['python']}, "
            f"`{settings['django_settings_module']}`, `{settings['app']}`, "
            f"{settings['workers']} worker per server, {settings['warmup']} warm-up requests "
            f"per cell, client {data['client']} on the same machine. {spread} "
            f"Errors: {errors}.",
            "",
            "Requests per second (higher is better):",
            "",
            table(lambda r: f"{r['requests_per_second']:.0f}{_spread(r, 'requests_per_second')}"),
            "",
            "Latency in milliseconds, p50 / p99 (lower is better"
            + ("; in brackets, the p99's lowest and highest run" if runs > 1 else "")
            + "):",
            "",
            table(lambda r: f"{r['p50_ms']:.0f} / {r['p99_ms']:.0f}{_spread(r, 'p99_ms')}"),
        ]
    )


CHART_MARKER = "<!-- bench-chart -->"
CHART = "../assets/servers-bench.svg"
"""The chart ``bench/servers.py`` draws from the same file (:mod:`guide.bench.chart`)."""


def render_chart(data):
    """The chart, described for a reader who cannot see it.

    It is drawn at its own width (its text is 12 px or more): on a narrower
    screen it scrolls sideways in a box (``bench-chart`` in ``extra.css``)
    instead of shrinking.
    """
    names = [LABELS.get(name, name) for name in data["servers"]]
    return "\n".join(
        [
            '<div class="md-typeset__scrollwrap bench-chart" markdown>',
            "",
            f"![Requests per second and p99 latency of the example's sync and async views on "
            f"{', '.join(names[:-1])} and {names[-1]}, measured on {data['date'][:10]}]({CHART})",
            "",
            "</div>",
        ]
    )


TABLES = {MARKER: ("servers.json", render), CHART_MARKER: ("servers.json", render_chart)}
