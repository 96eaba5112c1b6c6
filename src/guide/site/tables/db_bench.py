"""the database benchmarks' figures, from their JSON results.

- ``<!-- bench-postgres -->`` becomes the table of ``bench/results/postgres.json``
  (``nox -s bench_postgres``): PostgreSQL connections under load with
  ``CONN_MAX_AGE = 0``, ``60`` and Django's pool;
- ``<!-- bench-votes -->`` becomes the table of ``bench/results/votes.json``
  (``nox -s bench_votes``): concurrent votes on SQLite and PostgreSQL;
- ``<!-- bench-switch -->`` becomes the table of ``bench/results/switch.json``
  (``nox -s bench_switch``): Gunicorn sync workers (WSGI) against Gunicorn with
  uvicorn workers (ASGI) on PostgreSQL.

Each table says when, where and with what it was measured, so the page's
figures cannot drift from the measured ones. Each is a single run: the
figures are counts (errors, connections, votes) and rates of that run.
"""

from guide.bench.machine import load_text


def _measured(data):
    machine = data["machine"]
    versions = ", ".join(f"{name} {version}" for name, version in data["versions"].items())
    memory = f", {machine['memory_gib']} GiB of memory" if machine.get("memory_gib") else ""
    return (
        f"Measured on {data['date'][:10]} on {machine['cpu']}, {machine['cores']} cores"
        f"{memory} ({machine.get('os', 'unknown OS')}), {load_text(machine)}; "
        f"Python {data['python']}, "
        f"{versions}; client, server and database on the same machine."
    )


def render_postgres(data):
    settings = data["settings"]
    lines = [
        f"{_measured(data)} uvicorn, {settings['workers']} worker, "
        f"`{settings['django_settings_module']}`; {settings['requests']:,} GET requests per "
        f"row, {settings['concurrency']} concurrent; PostgreSQL `max_connections = "
        f"{settings['max_connections']}`; `pg_stat_activity` sampled every "
        f"{settings['sample_interval_ms']} ms.",
        "",
        "| Setting | View | Requests/s | Errors | Connections refused "
        "| Peak connections | Open 1 s after |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for row in data["results"]:
        view = f"{row['view']} `{settings['views'][row['view']]}`"
        lines.append(
            f"| `{row['code']}` | {view} | {row['requests_per_second']:.0f} | "
            f"{row['errors']:,} | {row['connections_refused']:,} | {row['peak_connections']} | "
            f"{row['connections_after']} |"
        )
    messages = sorted({m for row in data["results"] for m in row["refusal_messages"]})
    if messages:
        lines += ["", "PostgreSQL's refusals, as the server logged them:", ""]
        lines += [f"- `FATAL: {message}`" for message in messages]
    return "\n".join(lines)


def render_votes(data):
    settings = data["settings"]
    lines = [
        f"{_measured(data)} uvicorn, {settings['workers']} worker, "
        f"`{settings['django_settings_module']}`; {settings['votes']:,} votes per row "
        f"(`{settings['endpoint']}`), {settings['concurrency']} concurrent.",
        "",
        "| Database | `ATOMIC_REQUESTS` | Answered 200 | Errors | "
        "`OperationalError: database is locked` logged | Votes counted | "
        "Counted = answered 200 | Votes/s |",
        "|---|---|---:|---:|---:|---:|---|---:|",
    ]
    for row in data["results"]:
        lines.append(
            f"| {row['database']} | {'on' if row['atomic_requests'] else 'off'} | "
            f"{row['answered_200']:,} | {row['errors']:,} | "
            f"{row['database_is_locked_errors']:,} | {row['counted']:,} | "
            f"{'yes' if row['counted'] == row['answered_200'] else 'no'} | "
            f"{row['votes_per_second']:.0f} |"
        )
    return "\n".join(lines)


def render_switch(data):
    settings = data["settings"]
    servers = settings["servers"]
    by_key = {(r["server"], r["view"], r["concurrency"]): r for r in data["results"]}
    cells = []
    for row in data["results"]:
        if (row["view"], row["concurrency"]) not in cells:
            cells.append((row["view"], row["concurrency"]))
    errors = sum(r["errors"] for r in data["results"])
    commands = "; ".join(
        "`" + s["command"].format(workers=settings["workers"], port="PORT") + "`"
        for s in servers.values()
    )
    lines = [
        f"{_measured(data)} `{settings['django_settings_module']}` on PostgreSQL with "
        f"Django's pool ({settings['pool']['min_size']} to {settings['pool']['max_size']} "
        f"connections per process); {commands}; {settings['requests']:,} requests per cell "
        f"after {settings['warmup']} warm-up requests. Errors: {errors}.",
        "",
        "| View | Concurrent | "
        + " | ".join(f"{s['label']}: req/s, p50 / p99 ms" for s in servers.values())
        + " |",
        "|---|---:|" + "---:|" * len(servers),
    ]
    for view, concurrency in cells:
        values = []
        for name in servers:
            row = by_key.get((name, view, concurrency))
            values.append(
                f"{row['requests_per_second']:.0f}, {row['p50_ms']:.0f} / {row['p99_ms']:.0f}"
                if row
                else "not measured"
            )
        path = settings["views"][view]
        lines.append(f"| {view} `{path}` | {concurrency} | " + " | ".join(values) + " |")
    return "\n".join(lines)


TABLES = {
    "<!-- bench-postgres -->": ("postgres.json", render_postgres),
    "<!-- bench-votes -->": ("votes.json", render_votes),
    "<!-- bench-switch -->": ("switch.json", render_switch),
}
