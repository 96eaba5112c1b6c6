"""Writes under load: 2,000 votes at 50 concurrent, on SQLite (two ways) and PostgreSQL.

    nox -s bench_votes                                     # 2,000 votes, 50 concurrent
    nox -s bench_votes -- --votes 500 --concurrency 20

For each database the example is migrated into a throwaway database and
served by uvicorn (one worker, ``mysite.asgi:application``, the development
settings: the production ones mark the CSRF cookie ``Secure``, which a client
over plain HTTP does not send back). Fifty clients each GET
``/polls/3/`` for a ``csrftoken`` cookie, then POST votes for its first choice
with the token in ``X-CSRFToken`` (the view is ``polls.views.vote``: one
``UPDATE ... SET votes = votes + 1``), until ``--votes`` have been sent. It
prints, and writes to ``bench/results/votes.json``: the votes answered 200,
the other answers by status, the server's ``database is locked`` log lines,
and the votes counted (the choice's count after, less before). Exact means
every vote answered 200 and counted once.

The databases:

- SQLite with Django's defaults (the example without options);
- SQLite with the options of ``SQLITE_CONCURRENT_OPTIONS`` in
  ``examples/mysite/mysite/settings.py`` (``MYSITE_SQLITE_CONCURRENT=1``):
  ``transaction_mode = "IMMEDIATE"``, ``timeout = 20``, WAL;
- PostgreSQL 15, a throwaway cluster (:mod:`guide.services.postgres`), ``CONN_MAX_AGE = 0``.

It exits 1 if, with the concurrent-writer options or on PostgreSQL, a vote
fails or the count is not exact.
"""

import asyncio
import json
import sys
import tempfile
import urllib.request
from pathlib import Path

from guide.bench.db import header, votes
from guide.bench.load import load_arguments
from guide.bench.machine import write_results
from guide.paths import ROOT
from guide.services.postgres import PostgresCluster, prepare_example
from guide.services.processes import example_env, free_port, migrated_database, uvicorn

RESULTS = ROOT / "bench" / "results" / "votes.json"
APP = "mysite.asgi:application"
QUESTION = 3


def question(server):
    """The question's JSON, with its choices and their vote counts."""
    with urllib.request.urlopen(f"{server.url}/polls/{QUESTION}/", timeout=30) as response:
        return json.load(response)


SQLITE_MODES = [
    ("SQLite, Django's defaults", {}),
    ("SQLite, SQLITE_CONCURRENT_OPTIONS", {"MYSITE_SQLITE_CONCURRENT": "1"}),
]


def atomic_env(atomic):
    return {"MYSITE_ATOMIC_REQUESTS": "1"} if atomic else {}


def run(label, atomic, env, args):
    """Serve the example with ``env``, send the votes, return the result row."""
    with uvicorn(APP, free_port(), env, "--no-access-log") as server:
        choice = question(server)["choices"][0]
        outcome = asyncio.run(
            votes(server.url, QUESTION, choice["id"], args.votes, args.concurrency)
        )
        final = next(c["votes"] for c in question(server)["choices"] if c["id"] == choice["id"])
        log = server.output()
    errors = sum(outcome["statuses"].values()) + sum(outcome["exceptions"].values())
    return {
        "database": label,
        "atomic_requests": atomic,
        "votes_sent": args.votes,
        "answered_200": outcome["ok"],
        "errors": errors,
        "statuses": {str(k): v for k, v in sorted(outcome["statuses"].items())},
        "exceptions": outcome["exceptions"],
        "database_is_locked_errors": log.count(
            "django.db.utils.OperationalError: database is locked"
        ),
        "count_before": choice["votes"],
        "count_after": final,
        "counted": final - choice["votes"],
        "votes_per_second": round(args.votes / outcome["elapsed_s"], 1),
    }


def main(argv=None):
    args = load_arguments(__doc__.splitlines()[0], "votes", no_write=True, argv=argv)

    data = header(["django", "psycopg", "uvicorn"], args.allow_busy)
    print(
        f"uvicorn {APP}, 1 worker | {args.votes} votes, {args.concurrency} concurrent, "
        f"POST /polls/{QUESTION}/vote/"
    )
    print(
        f"{'database':<34} {'atomic':<6} {'200':>5} {'errors':>7} {'locked':>7} {'counted':>8} {'votes/s':>8}"
    )
    rows = []
    tmp = Path(tempfile.mkdtemp(prefix="mysite-votes-"))
    for number, (label, extra) in enumerate(SQLITE_MODES):
        for atomic in (False, True):
            path = migrated_database(tmp / f"votes-{number}-{atomic}.sqlite3")
            env = example_env(MYSITE_SQLITE_PATH=path, **extra, **atomic_env(atomic))
            rows.append(run(label, atomic, env, args))
            print_row(rows[-1])
    with PostgresCluster() as pg:
        version = pg.psql("SHOW server_version").split()[0]
        data["versions"]["postgresql"] = version
        for atomic in (False, True):
            env = example_env(**pg.example_env(conn_max_age=0), **atomic_env(atomic))
            prepare_example(env)
            rows.append(run(f"PostgreSQL {version}", atomic, env, args))
            print_row(rows[-1])

    data["settings"] = {
        "app": APP,
        "workers": 1,
        "django_settings_module": "mysite.settings",
        "votes": args.votes,
        "concurrency": args.concurrency,
        "endpoint": f"POST /polls/{QUESTION}/vote/",
    }
    data["results"] = rows
    if not args.no_write:
        write_results(RESULTS, data)
        print(f"wrote {RESULTS.relative_to(ROOT)}")
    must_be_exact = [r for r in rows if not r["database"].startswith("SQLite, Django's")]
    return 1 if any(r["errors"] or r["counted"] != args.votes for r in must_be_exact) else 0


def print_row(row):
    print(
        f"{row['database']:<34} {'yes' if row['atomic_requests'] else 'no':<6} "
        f"{row['answered_200']:>5} {row['errors']:>7} "
        f"{row['database_is_locked_errors']:>7} {row['counted']:>8} {row['votes_per_second']:>8.0f}"
    )


if __name__ == "__main__":
    sys.exit(main())
