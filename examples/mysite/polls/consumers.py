"""The polls app's WebSocket consumer: live vote counts for one question.

A browser opens ``/ws/polls/<pk>/``; the consumer joins the question's group
and sends the current counts. Whenever the ``vote`` view (a sync view, in
any process) counts a vote, it tells the group through the channel layer that
the counts changed; in each process, the consumers of that question then read
the counts once and send them to their sockets (see ``show_latest``).

Bad input, or more messages than ``RATE`` and ``BURST`` allow, closes the
socket with a code of its own (4003, 4007, 4008, 4009, 4011) and logs one line
on the ``polls`` logger; the process keeps serving the others.
"""

import json
import logging
import time
from collections import defaultdict

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from .models import Question
from .tokens import PROTOCOL

logger = logging.getLogger(__name__)

# --8<-- [start:close_codes]
MAX_MESSAGE = 4096
"""The longest text message accepted, in characters (a client sends a few bytes)."""

# Close codes from the 4000-4999 range (RFC 6455, 7.4.2: for applications),
# numbered after the standard code with the same meaning (1003, 1007, 1008,
# 1009, 1011). A server may refuse to send the standard ones itself: Daphne
# (through Autobahn) only sends 1000 and 3000-4999, and turns any other into an error.
UNSUPPORTED_DATA = 4003  # a binary frame: this consumer speaks JSON text only
INVALID_PAYLOAD = 4007  # text that is not JSON
TOO_MANY_MESSAGES = 4008  # a policy violation: more than RATE and BURST allow
MESSAGE_TOO_BIG = 4009  # longer than MAX_MESSAGE
LAYER_UNAVAILABLE = 4011  # the channel layer (Redis) cannot be reached, or was lost
# --8<-- [end:close_codes]

# --8<-- [start:rate]
RATE = 5
"""Messages a second a socket may send, on average (the live page sends none)."""
BURST = 10
"""Messages a socket may send at once, after a quiet moment."""


class Bucket:
    """A token bucket: holds up to BURST messages, refilled at RATE a second."""

    def __init__(self):
        self.allowance = BURST
        self.checked = time.monotonic()

    def take(self):
        """Whether one more message is allowed now (and count it)."""
        now = time.monotonic()
        self.allowance = min(BURST, self.allowance + (now - self.checked) * RATE)
        self.checked = now
        if self.allowance < 1:
            return False
        self.allowance -= 1
        return True


# --8<-- [end:rate]

try:  # what a lost Redis raises in the consumer's wait on the layer
    from redis.exceptions import RedisError as LayerError
except ImportError:  # no channels-redis: the in-memory layer cannot be lost
    LayerError = OSError


def group_name(pk):
    """The channel-layer group of the sockets watching question ``pk``."""
    return f"poll-{pk}"


@database_sync_to_async
def current_results(pk):
    from .views import _results

    return _results(Question.objects.get(pk=pk))


# --8<-- [start:latest]
# The sockets of this process, by question, and the questions being read now.
watching = defaultdict(set)
reading = {}


async def show_latest(pk):
    """Read question ``pk``'s counts once and send them to its sockets in this process.

    Called for every "counts changed" message. A call while a read is under
    way only asks that read to run once more when it ends, so the reads of a
    question in a process follow one another: each sees counts at least as new
    as the one before, and no socket is sent older counts after newer ones.
    Any message that reaches this process after a vote was counted leads to a
    read that includes it, so a message dropped by the layer (see
    ``CHANNEL_LAYERS``) leaves no socket behind for good.
    """
    if pk in reading:
        reading[pk] = True  # read again when the current read ends
        return
    reading[pk] = False
    try:
        while True:
            results = await current_results(pk)
            for consumer in list(watching[pk]):
                await consumer.show(results)
            if not reading[pk]:
                break
            reading[pk] = False
    finally:
        del reading[pk]


def total(results):
    return sum(choice["votes"] for choice in results["choices"])


# --8<-- [end:latest]


# --8<-- [start:consumer]
class VotesConsumer(AsyncJsonWebsocketConsumer):
    """Sends ``{"type": "hello", ...}`` on connect, then ``{"type": "votes", ...}``."""

    async def __call__(self, scope, receive, send):
        try:
            await super().__call__(scope, receive, send)
        except LayerError as exc:  # Redis lost while this socket waited on it
            watching[self.pk].discard(self)
            await self.refuse(LAYER_UNAVAILABLE, f"channel layer lost ({exc})")

    async def connect(self):
        self.pk = self.scope["url_route"]["kwargs"]["pk"]
        self.group = group_name(self.pk)
        self.closed_by_us = False
        self.bucket = Bucket()
        if not await Question.objects.filter(pk=self.pk).aexists():
            logger.warning("poll %s: socket refused, no such question", self.pk)
            self.closed_by_us = True
            await self.close()  # before accept(): the handshake is answered 403
            return
        # --8<-- [start:accept]
        # A client that sent a token (polls/tokens.py) offered ["polls.token",
        # TOKEN]; the handshake must name the one accepted, never the token.
        offered = self.scope.get("subprotocols", [])
        await self.accept(PROTOCOL if PROTOCOL in offered else None)
        # --8<-- [end:accept]
        if self.channel_layer is not None:
            try:
                await self.channel_layer.group_add(self.group, self.channel_name)
            except Exception as exc:  # Redis down: say so, rather than a silent socket
                why = f"channel layer unavailable ({exc})"
                return await self.refuse(LAYER_UNAVAILABLE, why)
        user = self.scope["user"]
        results = await current_results(self.pk)
        self.shown = total(results)
        await self.send_json(
            {
                "type": "hello",
                "user": user.username if user.is_authenticated else None,
                "results": results,
            }
        )
        watching[self.pk].add(self)

    async def receive(self, text_data=None, bytes_data=None):
        """Answer ``{"type": "results"}`` with the counts; close on malformed input."""
        # --8<-- [start:rate_check]
        if self.closed_by_us:
            return  # sent before our close reached the client: nothing to answer
        if not self.bucket.take():
            why = f"over {RATE} messages a second"
            return await self.refuse(TOO_MANY_MESSAGES, why)
        # --8<-- [end:rate_check]
        if text_data is None:
            return await self.refuse(UNSUPPORTED_DATA, "binary frame")
        if len(text_data) > MAX_MESSAGE:
            return await self.refuse(MESSAGE_TOO_BIG, f"{len(text_data)} characters")
        # json.loads recurses once per nested [ or {: on Python 3.11, 2,040
        # levels (4,080 characters) raise RecursionError, not ValueError. No
        # message needs more than a few, so refuse the text before parsing it.
        if text_data.count("[") + text_data.count("{") > 32:
            return await self.refuse(INVALID_PAYLOAD, "too many brackets (over 32)")
        try:
            content = json.loads(text_data)
        except ValueError:
            return await self.refuse(INVALID_PAYLOAD, "malformed JSON")
        if content != {"type": "results"}:
            await self.send_json({"type": "error", "error": 'send {"type": "results"}'})
            return
        results = await current_results(self.pk)
        await self.send_json({"type": "results", "results": results})

    async def votes_changed(self, event):
        """A ``{"type": "votes.changed"}`` group message, sent by the vote view."""
        await show_latest(self.pk)

    async def show(self, results):
        """Send ``results`` unless this socket has been shown these or newer counts."""
        if total(results) <= self.shown:  # votes are only ever added
            return
        self.shown = total(results)
        try:
            await self.send_json({"type": "votes", "results": results})
        except Exception as exc:  # the socket is closing; its disconnect() follows
            logger.info("poll %s: counts not sent, socket closing (%s)", self.pk, exc)

    async def refuse(self, code, why):
        logger.warning("poll %s: socket closed with %d: %s", self.pk, code, why)
        self.closed_by_us = True
        await self.close(code)

    async def disconnect(self, code):
        watching[self.pk].discard(self)
        # 1000, 1001: the client closed or left the page; 1012: the server is
        # stopping (uvicorn closes every open socket with it), a restart, say.
        if not getattr(self, "closed_by_us", True) and code not in (1000, 1001, 1012):
            # The client went away without a closing handshake (1006), say.
            logger.info("poll %s: client gone, close code %s", self.pk, code)
        if self.channel_layer is not None:
            try:
                await self.channel_layer.group_discard(self.group, self.channel_name)
            except Exception:
                pass  # the layer is down; its group entries expire by themselves


# --8<-- [end:consumer]


# --8<-- [start:no_route]
class NoRouteConsumer(AsyncJsonWebsocketConsumer):
    """Any path no other route matches: the handshake is refused (HTTP 403).

    Without it, Channels' URLRouter raises ``ValueError: No route found for
    path ...``: an error in the application, logged by the server with a
    traceback, and the handshake answered 500.
    """

    async def connect(self):
        logger.info("socket refused, no route for %r", self.scope["path"])
        await self.close()  # before accept(): the handshake is answered 403


# --8<-- [end:no_route]
