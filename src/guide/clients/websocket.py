"""What the WebSocket tests and the fan-out benchmark share: voting, logging in, waiting.

The servers run ``mysite.asgi_channels:application`` (the Channels router);
the clients are the ``websockets`` package's and httpx's, over real sockets.
"""

import asyncio
import json
import os
import signal
import subprocess
import sys

import httpx
from websockets.asyncio.client import connect

from guide.paths import EXAMPLE_DIR
from guide.services.base import wait_until
from guide.services.processes import ServerError, example_env

ORIGIN = "http://127.0.0.1"
"""An Origin the example's ALLOWED_HOSTS accepts (what a browser on the page sends)."""


def ws_url(server, pk=1):
    """The live-results socket of question ``pk`` on ``server``."""
    return f"ws://127.0.0.1:{server.port}/ws/polls/{pk}/"


def total_votes(results):
    """The number of votes in a question's ``results`` (what the vote view answers)."""
    return sum(choice["votes"] for choice in results["choices"])


def wait_until_serving(server, timeout=30.0):
    """Wait until the server's application answers HTTP (workers may boot after the port opens)."""
    url = server.url + "/polls/1/"

    def answers():
        try:
            return httpx.get(url, timeout=5).status_code == 200
        except httpx.HTTPError:
            return False

    wait_until(
        answers,
        timeout,
        f"{url} to answer 200",
        process=server.process,
        output=server.output,
        interval=0.1,
    )
    return server


def vote(base_url, pk=1, choice=1):
    """One vote through the ``vote`` view, with its CSRF token, as the live page sends it."""
    with httpx.Client(base_url=base_url, timeout=10) as client:
        token = client.get(f"/polls/{pk}/").cookies["csrftoken"]
        return client.post(
            f"/polls/{pk}/vote/", data={"choice": str(choice)}, headers={"X-CSRFToken": token}
        )


_LOGIN = """
import django
django.setup()
from django.contrib.auth import get_user_model
from django.test import Client
user, _ = get_user_model().objects.get_or_create(username={username!r})
client = Client()
client.force_login(user)
print(client.cookies["sessionid"].value)
"""


def session_cookie(database, username):
    """A ``sessionid`` for ``username`` (created if missing) in the example's ``database``."""
    result = subprocess.run(
        [sys.executable, "-c", _LOGIN.format(username=username)],
        cwd=EXAMPLE_DIR,
        env=example_env(MYSITE_SQLITE_PATH=database, DJANGO_SETTINGS_MODULE="mysite.settings"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    if result.returncode != 0:
        raise ServerError(f"logging {username} in failed:\n{result.stderr}")
    return result.stdout.strip()


QUIET_SECONDS = 5
"""A socket that has shown nothing for this long after the last vote has been sent everything."""


async def burst(servers, sockets_per_server, votes, concurrency, paused=None):
    """``votes`` votes (``concurrency`` at a time, to the first server) while
    ``sockets_per_server`` sockets watch on each server (``paused``, if given,
    stopped until the votes are counted).

    Returns the database's vote total after the burst and, for every socket,
    the vote totals it was shown, in order (its hello's first). Shared by
    tests/django/test_websockets.py and bench/fanout.py.
    """
    sockets = [
        await connect(ws_url(server), origin=ORIGIN, max_size=None)
        for server in servers
        for _ in range(sockets_per_server)
    ]
    shown = [[] for _ in sockets]
    voted = asyncio.Event()

    async def watch(index, ws):
        while True:
            try:
                message = json.loads(await asyncio.wait_for(ws.recv(), QUIET_SECONDS))
            except TimeoutError:
                if voted.is_set():
                    return
                continue
            shown[index].append(total_votes(message["results"]))

    watchers = [asyncio.create_task(watch(i, ws)) for i, ws in enumerate(sockets)]
    async with httpx.AsyncClient(base_url=servers[0].url, timeout=30) as http:
        token = (await http.get("/polls/1/")).cookies["csrftoken"]
        limit = asyncio.Semaphore(concurrency)
        if paused:
            os.kill(paused.process.pid, signal.SIGSTOP)

        async def one(choice):
            async with limit:
                response = await http.post(
                    "/polls/1/vote/", data={"choice": choice}, headers={"X-CSRFToken": token}
                )
                if response.status_code != 200:
                    raise ServerError(f"a vote answered {response.status_code}")

        try:
            await asyncio.gather(*(one(str(1 + n % 2)) for n in range(votes)))
        finally:
            if paused:
                os.kill(paused.process.pid, signal.SIGCONT)
        database = total_votes((await http.get("/polls/1/")).json())
    voted.set()
    await asyncio.gather(*watchers)
    for ws in sockets:
        await ws.close()
    return database, shown
