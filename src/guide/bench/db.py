"""What the database benchmarks share: the machine, a ``pg_stat_activity`` sampler, a vote load.

Read by ``bench/postgres_connections.py`` (connections under load with
``CONN_MAX_AGE = 0``, ``60`` and Django's pool) and ``bench/votes.py`` (2,000
CSRF-protected votes at 50 concurrent: errors and the final count).
"""

import asyncio
import datetime
import importlib.metadata
import platform
import threading
import time

import aiohttp
import psycopg

from guide.bench.machine import idle_machine


def header(packages, allow_busy=False):
    """The fields every results file starts with: date, versions, machine.

    Exits with status 1 if the machine is busy, unless ``allow_busy``
    (:func:`guide.bench.machine.idle_machine`).
    """
    return {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "versions": {name: importlib.metadata.version(name) for name in packages},
        "machine": idle_machine(allow_busy),
    }


class ConnectionSampler:
    """Samples how many client connections a database has, every ``interval`` seconds.

    A thread of its own, connected as PostgreSQL's superuser over the
    cluster's Unix socket (its own connection is not counted: it is to the
    ``postgres`` database). ``peak`` and ``samples`` are read after the
    ``with`` block.
    """

    QUERY = (
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = %s AND backend_type = 'client backend'"
    )

    def __init__(self, cluster, database="mysite", interval=0.02):
        self.cluster = cluster
        self.database = database
        self.interval = interval
        self.samples = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @property
    def peak(self):
        return max(self.samples, default=0)

    def _run(self):
        with psycopg.connect(
            host=str(self.cluster.socket_dir),
            port=self.cluster.port,
            user="postgres",
            dbname="postgres",
            autocommit=True,
        ) as conn:
            while not self._stop.is_set():
                (count,) = conn.execute(self.QUERY, (self.database,)).fetchone()
                self.samples.append(count)
                self._stop.wait(self.interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc_info):
        self._stop.set()
        self._thread.join(10)


async def votes(base_url, question, choice, total, concurrency, headers=None):
    """POST ``total`` votes for ``choice`` of ``question``, ``concurrency`` at a time.

    Each of the ``concurrency`` clients first GETs ``/polls/<question>/`` for
    its ``csrftoken`` cookie, then POSTs ``choice`` to
    ``/polls/<question>/vote/`` with the token in ``X-CSRFToken``, as a page's
    script would. Returns ``{"ok": n, "statuses": {status: n}, "exceptions":
    {name: n}, "elapsed_s": seconds}``; every answer other than 200 counts
    under its status.
    """
    remaining = iter(range(total))
    statuses, exceptions, ok = {}, {}, 0
    timeout = aiohttp.ClientTimeout(total=60)

    async def client():
        nonlocal ok
        # unsafe=True: keep cookies from an IP address such as 127.0.0.1.
        jar = aiohttp.CookieJar(unsafe=True)
        async with aiohttp.ClientSession(
            base_url, timeout=timeout, headers=headers or {}, cookie_jar=jar
        ) as session:
            async with session.get(f"/polls/{question}/") as response:
                await response.read()
                token = response.cookies["csrftoken"].value
            for _ in remaining:
                try:
                    async with session.post(
                        f"/polls/{question}/vote/",
                        data={"choice": str(choice)},
                        headers={"X-CSRFToken": token},
                    ) as response:
                        await response.read()
                        if response.status == 200:
                            ok += 1
                        else:
                            statuses[response.status] = statuses.get(response.status, 0) + 1
                except (aiohttp.ClientError, TimeoutError) as exc:
                    name = type(exc).__name__
                    exceptions[name] = exceptions.get(name, 0) + 1

    began = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    return {
        "ok": ok,
        "statuses": statuses,
        "exceptions": exceptions,
        "elapsed_s": round(time.perf_counter() - began, 2),
    }
