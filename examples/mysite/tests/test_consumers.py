"""The live results' consumer (polls/consumers.py) through WebsocketCommunicator."""

import pytest
from channels.testing import WebsocketCommunicator

from mysite.asgi_channels import application

pytestmark = pytest.mark.asyncio


# --8<-- [start:consumer]
def communicator(path):
    # The whole application (mysite/asgi_channels.py): routing, the user, the
    # Origin check, which refuses a handshake whose Origin is not allowed.
    origin = (b"origin", b"http://localhost")
    return WebsocketCommunicator(application, path, headers=[origin])


async def test_hello_carries_the_fixtures_question(sample_polls):
    socket = communicator("/ws/polls/2/")
    connected, _ = await socket.connect()
    assert connected
    hello = await socket.receive_json_from()
    assert hello["type"] == "hello"
    assert hello["user"] is None  # no session cookie: an anonymous user
    choices = hello["results"]["choices"]
    assert [choice["text"] for choice in choices] == ["Sync", "Async", "Both"]
    await socket.send_json_to({"type": "results"})
    answer = await socket.receive_json_from()
    assert answer == {"type": "results", "results": hello["results"]}
    await socket.disconnect()


async def test_a_question_that_does_not_exist_is_refused(sample_polls):
    connected, _ = await communicator("/ws/polls/99/").connect()
    assert not connected


async def test_a_handshake_from_another_origin_is_refused(sample_polls):
    other = [(b"origin", b"https://elsewhere.example")]
    socket = WebsocketCommunicator(application, "/ws/polls/2/", headers=other)
    connected, _ = await socket.connect()
    assert not connected


# --8<-- [end:consumer]
