"""the WebSocket fan-out figures, from ``bench/results/fanout.json``.

A page holding ``<!-- fanout-table -->`` gets, in its place, a Markdown table
written from the JSON that ``nox -s bench_fanout`` (``bench/fanout.py``)
writes: for each channel layer, the time from a vote to its broadcast reaching
every connected client (p50 / p99) and the time one client waits for an
answer (p50), with the versions, the machine and its load when it ran; then,
when the JSON has them, what pages were sent across two processes (idle
sockets dropped, bursts of votes ending every socket on the database's count).
"""

from guide.bench.machine import load_text

MARKER = "<!-- fanout-table -->"
WAIT_S = 30
"""How long ``bench/fanout.py`` waits for each client's broadcast before counting it missing."""


def render(data):
    machine = data["machine"]
    versions = ", ".join(f"{name} {v}" for name, v in data["versions"].items())
    rows = data["results"]
    lines = [
        f"Measured on {data['date'][:10]} on {machine['cpu']}, {machine['cores']} cores, "
        f"{load_text(machine)}; "
        f"Python {data['python']}, {versions}; `{data['settings']['app']}` under one uvicorn "
        "process, clients on the same machine.",
        "",
        "| Channel layer | Clients | Broadcasts | Vote to client, p50 / p99 (ms) | Missing "
        "| One client, request to answer, p50 (ms) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        answer = f"{row['answer_p50_ms']:.1f}"
        if "answer_min_ms" in row:
            answer += f" ({row['answer_min_ms']:.1f}–{row['answer_max_ms']:.1f})"
        lines.append(
            f"| {row['layer']} | {row['clients']} | {row['broadcasts']} "
            f"| {row['p50_ms']:.0f} / {row['p99_ms']:.0f} | {row['missing']} "
            f"| {answer} |"
        )
    answers = data["settings"]["answers"]
    lines += [
        "",
        f"Missing: broadcasts a client had not received {WAIT_S} s after the vote, of "
        "clients × broadcasts. Either layer drops a broadcast, rather than let it wait, "
        "where `capacity` messages (100 by default) already wait: in memory, for one "
        "socket; in Redis, for one process "
        "(messages dropped at capacity, under "
        "[Broadcasting from a sync view](#broadcasting-from-a-sync-view)). "
        f"One client's answers: the median of {answers}"
        + (
            ", the fastest and slowest in brackets."
            if any("answer_min_ms" in row for row in rows)
            else "; the spread was not recorded."
        ),
    ]
    reasons = [
        f"{row['layer']}: {count} × `{reason}`"
        for row in rows
        for reason, count in row.get("missing_reasons", {}).items()
    ]
    if reasons:
        lines += [
            "",
            "Deliveries missing (the client's socket was closed): " + "; ".join(reasons) + ".",
        ]
    if "delivery" in data:
        lines += ["", delivery_text(data["delivery"])]
    return "\n".join(lines)


def delivery_text(d):
    """The two-process figures in a sentence each."""
    return (
        f"With the Redis layer and {d['processes']} uvicorn processes: "
        f"{d['idle_sockets']} sockets held silent for {d['idle_seconds']:.0f} s, then a "
        f"vote: {d['idle_dropped']} dropped. {d['runs']} bursts of {d['votes']} votes, "
        f"{d['concurrency']} at a time, watched by {d['sockets_per_process']} sockets "
        f"per process: every socket ended on the database's count in "
        f"{d['runs_all_on_database_count']} of {d['runs']} runs, and "
        f"{d['sockets_shown_an_older_count']} sockets were ever shown an older count "
        "after a newer one."
    )


TABLES = {MARKER: ("fanout.json", render)}
