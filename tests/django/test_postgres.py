"""The example on a real PostgreSQL: what the pages claim about connections and transactions.

A throwaway cluster (:mod:`guide.services.postgres`: Debian's PostgreSQL 15, ``initdb``
in a temporary folder, a free port) is started once for this module, and the
example is migrated into it. What is about serving runs through real uvicorn
processes; what is about one Python process (a connection object passed to
another thread, ``transaction.atomic`` behind ``sync_to_async``) runs in a
fresh process with the example's settings pointed at the cluster.
"""

import json
import re
import subprocess
import sys
import time

import httpx
import pytest

from guide.paths import EXAMPLE_DIR
from guide.services.postgres import DATABASE, ROLE, PostgresCluster, prepare_example
from guide.services.processes import example_env, free_port, uvicorn


@pytest.fixture(scope="module")
def pg():
    # log_connections: each new connection is a "connection authorized" line.
    with PostgresCluster(max_connections=40, settings={"log_connections": "on"}) as cluster:
        prepare_example(example_env(**cluster.example_env()))
        yield cluster


def serve(pg, **options):
    """uvicorn serving ``mysite.asgi:application`` on the cluster (see PostgresCluster.example_env)."""
    return uvicorn("mysite.asgi:application", free_port(), example_env(**pg.example_env(**options)))


def in_django(pg, code):
    """Run ``code`` in a fresh process with the example's settings on ``pg``; its JSON output."""
    prologue = "import asyncio, json, django\ndjango.setup()\n"
    result = subprocess.run(
        [sys.executable, "-c", prologue + code],
        cwd=EXAMPLE_DIR,
        env=example_env(DJANGO_SETTINGS_MODULE="mysite.settings", **pg.example_env()),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout)


def wait_for_connections(pg, expected, timeout=5.0):
    """``pg.active_connections()`` once it equals ``expected`` (or after ``timeout``)."""
    deadline = time.monotonic() + timeout
    while (count := pg.active_connections()) != expected and time.monotonic() < deadline:
        time.sleep(0.05)
    return count


def test_async_orm_reads_and_the_sync_view_writes_postgresql(pg):
    with serve(pg) as server, httpx.Client(base_url=server.url, timeout=10) as http:
        rows = int(pg.psql("SELECT count(*) FROM polls_question", database="mysite"))
        assert http.get("/polls/async/").json()["count"] == rows == 3

        # A row written by psql is what the async ORM reads next.
        pk = pg.psql(
            "INSERT INTO polls_question (question_text, pub_date) "
            "VALUES ('Served from PostgreSQL?', now()) RETURNING id",
            database="mysite",
        ).splitlines()[0]
        try:
            assert http.get("/polls/async/").json()["count"] == 4
            assert http.get(f"/polls/async/{pk}/").json() == {
                "id": int(pk),
                "text": "Served from PostgreSQL?",
            }
        finally:
            pg.psql(f"DELETE FROM polls_question WHERE id = {pk}", database="mysite")

        # A vote (sync view, CSRF-protected) lands in PostgreSQL's row.
        detail = http.get("/polls/3/").json()
        choice = detail["choices"][0]
        voted = http.post(
            "/polls/3/vote/",
            data={"choice": choice["id"]},
            headers={"X-CSRFToken": http.cookies["csrftoken"]},
        )
        assert voted.status_code == 200
        stored = pg.psql(f"SELECT votes FROM polls_choice WHERE id = {choice['id']}", "mysite")
        assert int(stored) == choice["votes"] + 1


ATOMIC = """
from asgiref.sync import sync_to_async
from django.core.exceptions import SynchronousOnlyOperation
from django.db import transaction
from django.db.models import F
from polls.models import Choice


@sync_to_async
def vote(pk, fail=False):
    # One sync function holds the whole transaction: one thread, one connection.
    with transaction.atomic():
        Choice.objects.filter(pk=pk).update(votes=F("votes") + 1)
        if fail:
            raise ValueError("refused after the update")


async def votes(pk):
    return (await Choice.objects.aget(pk=pk)).votes


async def main():
    out = {"before": await votes(1)}
    await vote(1)
    out["after_commit"] = await votes(1)
    try:
        await vote(1, fail=True)
    except ValueError as exc:
        out["error"] = str(exc)
    out["after_rollback"] = await votes(1)
    try:
        with transaction.atomic():
            pass
    except SynchronousOnlyOperation as exc:
        out["atomic_in_async"] = str(exc)
    return out


print(json.dumps(asyncio.run(main())))
"""


def test_atomic_in_one_sync_function_commits_and_rolls_back(pg):
    out = in_django(pg, ATOMIC)
    assert out["after_commit"] == out["before"] + 1
    assert out["error"] == "refused after the update"
    assert out["after_rollback"] == out["after_commit"]  # the update was rolled back
    # transaction.atomic() used directly in async code is refused.
    assert out["atomic_in_async"] == (
        "You cannot call this from an async context - use a thread or sync_to_async."
    )


CROSSING = """
from asgiref.sync import sync_to_async
from django.db import DatabaseError, connections


def count_questions(connection):
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM polls_question")
        return cursor.fetchone()[0]


async def main():
    out = {}
    connection = connections["default"]  # made in the event loop's thread
    try:
        await sync_to_async(count_questions)(connection)  # used in a worker thread
    except DatabaseError as exc:
        out["error"] = str(exc)
    # Right: the worker thread looks up its own connection.
    out["count"] = await sync_to_async(lambda: count_questions(connections["default"]))()
    return out


print(json.dumps(asyncio.run(main())))
"""


def test_a_connection_object_cannot_cross_sync_to_async(pg):
    out = in_django(pg, CROSSING)
    assert re.fullmatch(
        r"DatabaseWrapper objects created in a thread can only be used in that same thread\. "
        r"The object with alias 'default' was created in thread id \d+ and this is thread id \d+\.",
        out["error"],
    ), out["error"]
    assert out["count"] == 3


def test_atomic_requests_refuses_async_views(pg):
    with (
        serve(pg, MYSITE_ATOMIC_REQUESTS=1) as server,
        httpx.Client(base_url=server.url, timeout=10) as http,
    ):
        assert http.get("/polls/").status_code == 200  # a sync view runs in a transaction
        assert http.get("/polls/async/").status_code == 500
        server.wait_for_output("RuntimeError: You cannot use ATOMIC_REQUESTS with async views.")


def test_conn_max_age_0_closes_the_connection_at_the_end_of_each_request(pg):
    with serve(pg, conn_max_age=0) as server, httpx.Client(base_url=server.url) as http:
        for path in ["/polls/", "/polls/async/"] * 5:
            assert http.get(path).status_code == 200
        assert wait_for_connections(pg, 0) == 0


def _connections_opened(pg):
    return pg.output().count(f"connection authorized: user={ROLE} database={DATABASE}")


def test_conn_max_age_60_is_not_reused_under_asgi(pg):
    """Each request's sync code runs in a new thread, which opens a new connection."""
    with serve(pg, conn_max_age=60) as server, httpx.Client(base_url=server.url) as http:
        before = _connections_opened(pg)
        for _ in range(10):
            assert http.get("/polls/").status_code == 200
        # Reused, the ten requests would open one connection (or none).
        assert _connections_opened(pg) - before == 10
    assert wait_for_connections(pg, 0) == 0  # closed when the server exits


def test_django_pool_caps_the_connections(pg):
    with serve(pg, pool=(2, 4)) as server, httpx.Client(base_url=server.url) as http:
        for path in ["/polls/", "/polls/async/"] * 10:
            assert http.get(path).status_code == 200
        assert 2 <= pg.active_connections() <= 4
