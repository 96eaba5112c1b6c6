"""Vote counts for the event streams (``views.events``): one subscription per process.

Each open stream is a queue in this process's :data:`hub`. A vote, in any
process, is published once (:func:`publish`); each process receives it
through ONE subscription, whatever the number of its streams, and hands it
to the streams of that question (:meth:`Hub.deliver`). No stream reads the
database to learn about a vote: the message carries the counts, and its
``total`` (the question's votes, which only grow) orders the messages, so a
stream skips any message older than what it has sent.

Where the messages go is ``POLLS_EVENTS_BROKER`` in the settings:

- ``"memory"`` (the default): this process only. Enough for one process,
  as under ``runserver`` or one uvicorn process; a vote counted by another
  process never reaches this one's streams.
- ``"redis"``: a Redis channel (``PUBLISH``), with one ``SUBSCRIBE``
  connection per process (redis.asyncio), at ``POLLS_EVENTS_REDIS_URL``.
- ``"postgres"``: PostgreSQL's ``NOTIFY``, sent on the vote's own database
  connection, with one ``LISTEN`` connection per process (psycopg's
  ``AsyncConnection``), to the database of ``DATABASES["default"]``.
"""

import asyncio
import contextvars
import functools
import json
import logging
from collections import defaultdict

from django.conf import settings

logger = logging.getLogger(__name__)

CHANNEL = "polls_votes"
"""The Redis channel, or the PostgreSQL notification channel, of the votes."""
RETRY = 1.0
"""Seconds before a lost subscription is made again."""


def message_of(results):
    """The message of one question's counts (``views._results``): what a stream sends."""
    total = sum(choice["votes"] for choice in results["choices"])
    return {"question": results["id"], "total": total, "results": results}


# --8<-- [start:hub]
class Hub:
    """This process's open streams, by question, and its one subscription."""

    def __init__(self):
        self.streams = defaultdict(set)
        self.loop = None
        self.listener = None

    def subscribe(self, pk):
        """A queue that receives question ``pk``'s messages; call on the event loop."""
        loop = asyncio.get_running_loop()
        if self.loop is not loop or self.listener is None or self.listener.done():
            self.loop = loop
            listen = LISTENERS[settings.POLLS_EVENTS_BROKER]
            if listen is not None:
                # In a context of its own: the task outlives the request that
                # started it, and must not run in that request's thread.
                coroutine = listen(self.deliver)
                self.listener = contextvars.Context().run(loop.create_task, coroutine)
        # One slot, the latest message: a slow client gets the newest counts,
        # never a growing backlog of older ones.
        queue = asyncio.Queue(maxsize=1)
        self.streams[pk].add(queue)
        return queue

    def unsubscribe(self, pk, queue):
        self.streams[pk].discard(queue)
        if not self.streams[pk]:
            del self.streams[pk]

    def deliver(self, message):
        """Hand ``message`` to every stream of its question; on the event loop."""
        for queue in self.streams.get(message["question"], ()):
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(message)

    def deliver_threadsafe(self, message):
        """:meth:`deliver`, from any thread (the ``"memory"`` broker's publish)."""
        loop = self.loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self.deliver, message)


hub = Hub()
# --8<-- [end:hub]


# --8<-- [start:publish]
def publish(results):
    """Send one question's new counts to the streams of every process.

    Called by the ``vote`` view (sync) once the vote is counted. If the broker
    cannot be reached, that is logged and the vote still counts.
    """
    message = message_of(results)
    broker = settings.POLLS_EVENTS_BROKER
    try:
        if broker == "redis":
            redis_client().publish(CHANNEL, json.dumps(message))
        elif broker == "postgres":
            from django.db import connection

            with connection.cursor() as cursor:
                # Sent when the vote's transaction commits (at once in autocommit).
                cursor.execute(
                    "SELECT pg_notify(%s, %s)", [CHANNEL, json.dumps(message)]
                )
        else:
            hub.deliver_threadsafe(message)
    except Exception as exc:
        logger.warning("poll %s: vote counted, event not sent (%s)", results["id"], exc)


@functools.cache
def redis_client():
    import redis

    return redis.Redis.from_url(settings.POLLS_EVENTS_REDIS_URL)


# --8<-- [end:publish]


# --8<-- [start:listeners]
async def listen_redis(deliver):
    """One SUBSCRIBE connection for the whole process, made again if lost."""
    import redis.asyncio as redis

    while True:
        try:
            # socket_timeout None: a quiet channel is not an error.
            client = redis.from_url(
                settings.POLLS_EVENTS_REDIS_URL, socket_timeout=None
            )
            async with client, client.pubsub() as pubsub:
                await pubsub.subscribe(CHANNEL)
                async for item in pubsub.listen():
                    if item["type"] == "message":
                        deliver(json.loads(item["data"]))
        except Exception as exc:
            logger.warning("event subscription lost (%s); again in %s s", exc, RETRY)
            await asyncio.sleep(RETRY)


async def listen_postgres(deliver):
    """One LISTEN connection for the whole process, made again if lost."""
    import psycopg

    database = settings.DATABASES["default"]
    while True:
        try:
            connection = await psycopg.AsyncConnection.connect(
                host=database["HOST"],
                port=database["PORT"],
                dbname=database["NAME"],
                user=database["USER"],
                password=database["PASSWORD"],
                autocommit=True,
            )
            async with connection:
                await connection.execute(f"LISTEN {CHANNEL}")
                async for notify in connection.notifies():
                    deliver(json.loads(notify.payload))
        except Exception as exc:
            logger.warning("event subscription lost (%s); again in %s s", exc, RETRY)
            await asyncio.sleep(RETRY)


LISTENERS = {"memory": None, "redis": listen_redis, "postgres": listen_postgres}
# --8<-- [end:listeners]
