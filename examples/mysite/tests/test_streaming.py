"""A view that streams (``stream`` in polls/views.py): server-sent events."""

import json

import pytest
from django.test import AsyncClient

pytestmark = pytest.mark.asyncio


# --8<-- [start:stream]
async def test_the_events_are_read_with_async_for(sample_polls):
    query = {"count": 3, "interval": 0}
    response = await AsyncClient().get("/polls/stream/", query)
    assert response.streaming
    assert response["Content-Type"] == "text/event-stream"
    events = [chunk.decode() async for chunk in response.streaming_content]
    assert len(events) == 3
    assert events[0].startswith("id: 1\nevent: tick\n")
    assert json.loads(events[2].split("data: ")[1]) == {"n": 3, "questions": 3}


async def test_a_streaming_response_has_no_content(sample_polls):
    response = await AsyncClient().get("/polls/stream/", {"count": 1})
    with pytest.raises(AttributeError, match="Use `streaming_content` instead"):
        _ = response.content


# --8<-- [end:stream]


async def test_a_stream_that_reads_slowly_is_handed_the_latest_counts_only():
    """The vote events' hub (polls/events.py): one message waits per stream, the newest."""
    from polls.events import Hub

    hub = Hub()
    queue = hub.subscribe(1)
    for total in (1, 2, 3):
        hub.deliver({"question": 1, "total": total, "results": {}})
    hub.deliver({"question": 2, "total": 9, "results": {}})  # another question's
    assert queue.qsize() == 1
    assert (await queue.get())["total"] == 3
    hub.unsubscribe(1, queue)
    assert not hub.streams


async def test_the_vote_events_start_with_the_counts_and_their_id(sample_polls):
    response = await AsyncClient().get("/polls/1/events/")
    assert response["Content-Type"] == "text/event-stream"
    events = aiter(response.streaming_content)
    first = (await anext(events)).decode()
    assert first.startswith("id: 0\nevent: votes\ndata: ")
    await events.aclose()
