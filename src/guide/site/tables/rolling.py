"""The rolling-restart figures of the containers page, from ``bench/results/rolling.json``.

A page holding ``<!-- rolling-table -->`` gets, in its place, a Markdown table
written from the JSON that ``nox -s bench_rolling`` (``bench/rolling.py``)
writes: for each server and each upstream block (nginx's defaults, and
``snippets/nginx/rolling-upstream.conf`` as written), the requests that failed,
the streams cut and the streams not opened during one rolling restart of two
instances, and how each instance stopped; with the versions, the machine and
its load when it ran.
"""

from guide.bench.machine import load_text

MARKER = "<!-- rolling-table -->"
CONFIGURATIONS = {
    "defaults": "nginx's defaults",
    "max_fails=0": "`max_fails=0`",
}
"""``{configuration in the JSON: how the table names it}``."""


def stopped(restart, grace):
    if restart["killed"]:
        return f"SIGKILL at {grace:g} s"
    return f"{restart['stop_seconds']:.1f} s"


def back_after(restart):
    """Seconds from the SIGTERM to the new process answering ``/healthz``."""
    return restart["stop_seconds"] + restart["ready_seconds"]


def reasons(counts):
    return ", ".join(f"{count} × {reason}" for reason, count in counts.items())


def render(data):
    machine, settings = data["machine"], data["settings"]
    grace = settings["grace_seconds"]
    versions = ", ".join(f"{name} {v}" for name, v in data["versions"].items())
    stream_seconds = (settings["stream_events"] - 1) * settings["stream_interval_seconds"]
    lines = [
        f"Measured on {data['date'][:10]} on {machine['cpu']}, {machine['cores']} cores, "
        f"{load_text(machine)}; Python {data['python']}, {versions}. Two instances of each "
        f"server's command, grace period {grace:g} s, under "
        f"{settings['requests_per_second']:g} requests a second to "
        f"`{settings['request_path']}` and {settings['streams']} clients each reading "
        f"streams of {settings['stream_events']} events ({stream_seconds:g} s), "
        "client, nginx and servers on one machine.",
        "",
        "| Server | Upstream | Requests failed | Streams cut | Streams not opened "
        "| Each instance stopped | Answering again |",
        "|---|---|---:|---:|---:|---|---|",
    ]
    for row in data["results"]:
        sent = row["requests_ok"] + row["requests_failed"]
        opened = row["streams_complete"] + row["streams_cut"]
        stops = ", ".join(stopped(r, grace) for r in row["restarts"])
        back = ", ".join(f"{back_after(r):.1f} s" for r in row["restarts"])
        lines.append(
            f"| {row['server']} | {CONFIGURATIONS[row['configuration']]} "
            f"| {row['requests_failed']} of {sent} | {row['streams_cut']} of {opened} "
            f"| {row['streams_refused']} | {stops} | {back} |"
        )
    why = []
    for row in data["results"]:
        found = [
            f"{label} {reasons(row[key])}"
            for label, key in (
                ("requests", "request_failures"),
                ("streams cut", "stream_cuts"),
                ("streams not opened", "stream_refusals"),
            )
            if row[key]
        ]
        if found:
            configuration = CONFIGURATIONS[row["configuration"]]
            why.append(f"{row['server']} with {configuration}: " + "; ".join(found))
    lines += [
        "",
        "Each instance stopped, answering again: seconds from its SIGTERM to its "
        "exit, and to its new process answering `/healthz`, for each instance in turn. "
        "Streams not opened: attempts nginx did not answer with 200, each tried "
        f"again {settings['stream_interval_seconds']:g} s later. "
        + ("What failed: " + ". ".join(why) + "." if why else "Nothing failed."),
    ]
    return "\n".join(lines)


TABLES = {MARKER: ("rolling.json", render)}
