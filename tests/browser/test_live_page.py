"""The example's live results page in Chromium: a vote in one tab arrives in another.

The example under uvicorn with the Channels router and the in-memory channel
layer (one process: both tabs' sockets are in it), as `nox -s example` serves
it (there with Redis). The page also comes back on its own after its server
restarts, and a client without cookies opens a socket with a token.
"""

import tempfile
import time
from pathlib import Path

import httpx
import pytest

from guide.clients.websocket import session_cookie, vote
from guide.services.processes import example_env, free_port, migrated_database, uvicorn

APP = "mysite.asgi_channels:application"


@pytest.fixture(scope="module")
def live_database():
    return migrated_database(Path(tempfile.mkdtemp(prefix="live-page-")) / "db.sqlite3")


@pytest.fixture(scope="module")
def live_env(live_database):
    return example_env(MYSITE_SQLITE_PATH=live_database, MYSITE_CHANNEL_LAYER="memory")


@pytest.fixture(scope="module")
def live_server(live_env):
    with uvicorn(APP, free_port(), live_env) as server:
        yield server


def wait_until_live(page, timeout=10_000):
    page.wait_for_function(
        "document.getElementById('status').textContent.startsWith('live')", timeout=timeout
    )


def test_a_vote_in_one_tab_arrives_in_the_other(chromium, live_server):
    context = chromium.new_context()
    try:
        voter, watcher = context.new_page(), context.new_page()
        url = f"{live_server.url}/polls/3/live/"
        for page in (voter, watcher):
            page.goto(url)
            wait_until_live(page)
        granian = "#choices li:has-text('Granian')"
        before = int(watcher.locator(f"{granian} output").text_content())
        voter.locator(f"{granian} button").click()
        watcher.locator(f"{granian} output").filter(has_text=str(before + 1)).wait_for(
            timeout=10_000
        )
        assert voter.locator(f"{granian} output").text_content() == str(before + 1)
    finally:
        context.close()


RECORD_STATUS = """() => {
  window.statuses = [];
  const status = document.getElementById("status");
  new MutationObserver(() => window.statuses.push(status.textContent))
    .observe(status, { childList: true, characterData: true, subtree: true });
}"""


@pytest.mark.slow
def test_the_page_reconnects_after_its_server_restarts(chromium, live_env):
    """uvicorn stopped (SIGTERM) and started again on the same port under an open page.

    Meanwhile another process of the site counts a vote: the page shows it
    from the hello of its new socket, then a vote after the restart as usual.
    """
    port = free_port()
    context = chromium.new_context()
    server = uvicorn(APP, port, live_env).start()
    try:
        with uvicorn(APP, free_port(), live_env) as other:
            page = context.new_page()
            page.goto(f"{server.url}/polls/2/live/")
            wait_until_live(page)
            page.evaluate(RECORD_STATUS)
            output = page.locator("#choices [data-choice] output").first
            server.stop()
            page.wait_for_function(
                "document.getElementById('status').textContent.startsWith('closed')"
            )
            counted = vote(other.url, 2, 3).json()["choices"][0]["votes"]
            server = uvicorn(APP, port, live_env).start()
            restarted = time.monotonic()
            wait_until_live(page, timeout=20_000)
            reconnected = time.monotonic() - restarted
            assert page.locator("#status").text_content() == "live (hello)"
            assert output.text_content() == str(counted)
            # A vote after the restart reaches the page through its new socket.
            again = vote(server.url, 2, 3).json()["choices"][0]["votes"]
            output.filter(has_text=str(again)).wait_for(timeout=10_000)
            assert page.locator("#status").text_content() == "live (votes)"
            statuses = page.evaluate("window.statuses")
    finally:
        context.close()
        server.stop()
    print(f"reconnected {reconnected:.1f} s after the restart; statuses: {statuses}")
    # uvicorn closes open sockets with 1012 (service restart) when it stops;
    # the tries while it is down fail without a close frame (1006).
    *closes, hello, votes = statuses
    assert closes[0].startswith("closed (code 1012), reconnecting in 0.")
    assert all(close.startswith("closed (code 1006)") for close in closes[1:])
    assert (hello, votes) == ("live (hello)", "live (votes)")
    assert reconnected < 10


OPEN_WITH = """async ([token]) => {
  const opened = (protocols) => new Promise((resolve) => {
    const socket = new WebSocket(`ws://${location.host}/ws/polls/3/`, protocols);
    socket.onmessage = (event) => {
      resolve({ protocol: socket.protocol, user: JSON.parse(event.data).user });
      socket.close();
    };
    socket.onclose = (event) => resolve({ closed: event.code });
  });
  let colon;
  try {
    new WebSocket(`ws://${location.host}/ws/polls/3/`, ["polls.token", "MQ:1xa:sig"]);
    colon = "opened";
  } catch (error) {
    colon = error.name;
  }
  return {
    token: await opened(["polls.token", token]),
    other: await opened(["chat"]),
    colon,
  };
}"""


def test_chromium_opens_a_socket_with_a_token_as_subprotocol(chromium, live_server, live_database):
    """A client without the session cookie: the token from ``socket_token``, as a subprotocol."""
    sessionid = session_cookie(live_database, "alice")
    answer = httpx.get(
        live_server.url + "/polls/socket-token/", cookies={"sessionid": sessionid}, timeout=10
    )
    context = chromium.new_context()  # no cookie of alice's
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/polls/3/live/")
        opened = page.evaluate(OPEN_WITH, [answer.json()["token"]])
    finally:
        context.close()
    assert opened["token"] == {"protocol": "polls.token", "user": "alice"}
    # A subprotocol the server does not name in its answer: Chromium fails
    # the connection (no close frame: 1006) although the server accepted it.
    assert opened["other"] == {"closed": 1006}
    # signing.dumps() separates with ":", which a subprotocol may not hold.
    assert opened["colon"] == "SyntaxError"
