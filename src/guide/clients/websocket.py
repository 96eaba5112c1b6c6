"""What the WebSocket tests and the fan-out benchmark share: voting, logging in, waiting.

The servers run ``mysite.asgi_channels:application`` (the Channels router);
the clients are the ``websockets`` package's and httpx's, over real sockets.
"""

import subprocess
import sys

import httpx

from guide.paths import EXAMPLE_DIR
from guide.services.base import wait_until
from guide.services.processes import ServerError, example_env

ORIGIN = "http://127.0.0.1"
"""An Origin the example's ALLOWED_HOSTS accepts (what a browser on the page sends)."""


def ws_url(server, pk=1):
    """The live-results socket of question ``pk`` on ``server``."""
    return f"ws://127.0.0.1:{server.port}/ws/polls/{pk}/"


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
