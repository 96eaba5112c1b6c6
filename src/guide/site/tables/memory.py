"""The memory and recycling figures, from ``bench/results/memory.json``.

A page holding ``<!-- memory-table -->`` gets, in its place, a Markdown table
written from the JSON that ``nox -s bench_memory`` (``bench/memory.py``)
writes: for each server, as it is and with its option that replaces a worker,
the resident memory of its whole process tree after the warm-up, after the
requests and after the WebSocket cycles, how many worker processes were
replaced, how many requests and cycles failed, and the slowest request; with
the versions, the machine and its load when it ran.
"""

from guide.bench.machine import load_text
from guide.servers.catalogue import SERVERS

MARKER = "<!-- memory-table -->"


def render(data):
    machine = data["machine"]
    settings = data["settings"]
    versions = ", ".join(f"{name} {v}" for name, v in data["versions"].items())
    requests = f"{settings['requests']:,}"
    cycles = f"{settings['cycles']:,}"
    lines = [
        f"Measured on {data['date'][:10]} on {machine['cpu']}, {machine['cores']} cores, "
        f"{load_text(machine)}; Python {data['python']}, {versions}; "
        f"`{settings['app']}` with the production settings, {settings['workers']} worker "
        "processes (Daphne: one process), clients on the same machine. RSS: the resident "
        "memory of the server's main process and its workers, added up (MiB).",
        "",
        f"| Server | Option | Processes | RSS after warm-up | after {requests} requests "
        f"| after {cycles} WebSocket cycles | Workers replaced | Failed requests "
        "| Slowest request (s) | Failed cycles |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in data["results"]:
        option = f"`{row['options']}`" if row["options"] else "none"
        lines.append(
            f"| {SERVERS[row['server']].label} | {option} | {row['processes']} "
            f"| {row['rss_mib_start']:.0f} | {row['rss_mib_after_requests']:.0f} "
            f"| {row['rss_mib_after_cycles']:.0f} | {row['restarts']} "
            f"| {row['requests_failed']} | {row['slowest_request_ms'] / 1000:.1f} "
            f"| {row['cycles_failed']} |"
        )
    lines += [
        "",
        f"Requests: GET `{settings['path']}`, {settings['concurrency']} at a time; a cycle "
        f"opens `{settings['socket']}`, receives the first message and closes. Processes: "
        "in the server's tree after the warm-up. Workers replaced: process ids that "
        "appeared after it.",
    ]
    reasons = [
        f"{SERVERS[row['server']].label} ({row['options'] or 'no option'}): {count} × `{reason}`"
        for row in data["results"]
        for reason, count in row["cycles_failed_reasons"].items()
    ]
    if reasons:
        lines += ["", "Failed cycles: " + "; ".join(reasons) + "."]
    killed = [
        f"{SERVERS[row['server']].label} ({row['options'] or 'no option'})"
        for row in data["results"]
        if not row["stopped_by_sigterm"]
    ]
    if killed:
        lines += [
            "",
            "Still running 30 s after SIGTERM at the end of its run, and killed: "
            + ", ".join(killed)
            + ".",
        ]
    return "\n".join(lines)


TABLES = {MARKER: ("memory.json", render)}
