"""The server-sent events figures, from ``bench/results/sse.json``.

A page holding ``<!-- sse-table -->`` gets, in its place, a Markdown table
written from the JSON that ``nox -s bench_sse`` (``bench/sse.py``) writes: for
each broker, the open streams, the time from a vote to its event reaching the
streams (p50 / p99, and until the last stream had it), the server's memory
per open stream and the database connections held while they were open, with
the versions, the machine and its load when it ran.
"""

from guide.bench.machine import load_text

MARKER = "<!-- sse-table -->"
BROKERS = {"redis": "Redis pub/sub", "postgres": "PostgreSQL LISTEN/NOTIFY"}


def render(data):
    machine = data["machine"]
    versions = ", ".join(f"{name} {v}" for name, v in data["versions"].items())
    lines = [
        f"Measured on {data['date'][:10]} on {machine['cpu']}, {machine['cores']} cores, "
        f"{load_text(machine)}; Python {data['python']}, {versions}; "
        f"`{data['settings']['app']}` under one uvicorn process on "
        f"{data['settings']['database']}, clients on the same machine.",
        "",
        "| Broker | Open streams | Votes | Vote to stream, p50 / p99 (ms) "
        "| Vote to the last stream, median (ms) | Missing | Memory per stream (KiB) "
        "| Database connections while open |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in data["results"]:
        last = row["all_reached_p50_ms"]
        lines.append(
            f"| {BROKERS[row['broker']]} | {row['streams']} | {row['events']} "
            f"| {row['p50_ms']:.0f} / {row['p99_ms']:.0f} "
            f"| {'–' if last is None else f'{last:.0f}'} | {row['missing']} "
            f"| {row['rss_per_stream_kib']:.0f} | {row['database_connections_while_open']} |"
        )
    lines += [
        "",
        "Memory per stream: the server's resident memory after the streams opened, less "
        "before, divided by their number. Missing: events a stream had not received "
        f"{data['settings']['wait_s']} s after the vote.",
    ]
    return "\n".join(lines)


TABLES = {MARKER: ("sse.json", render)}
