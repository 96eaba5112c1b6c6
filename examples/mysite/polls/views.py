"""Views that show each way a Django view can run under ASGI.

Each view answers JSON (or server-sent events) so that tests, benchmarks and
the documentation can read the result exactly.
"""

import asyncio
import json
import logging
import time

from asgiref.sync import async_to_sync, sync_to_async
from django import forms
from django.conf import settings
from django.core.validators import RegexValidator
from django.db import connection
from django.db.models import F
from django.http import HttpResponseBadRequest, JsonResponse, StreamingHttpResponse
from django.shortcuts import aget_object_or_404, get_object_or_404, render
from django.urls import reverse
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_POST

from . import events
from .models import Choice, Question

logger = logging.getLogger(__name__)


def _as_dict(question):
    return {"id": question.pk, "text": question.question_text}


def home(request):
    """Sync view: the project's endpoints, built with ``reverse()``.

    Under a path prefix (``root_path`` in the ASGI scope) every URL here
    carries the prefix.
    """
    names = ["index", "async_index", "blocking", "stream"]
    return JsonResponse(
        {
            "script_name": request.META["SCRIPT_NAME"],
            "path": request.path,
            "path_info": request.path_info,
            "endpoints": {name: reverse(f"polls:{name}") for name in names},
        }
    )


def index(request):
    """Sync view using the ORM. Under ASGI, Django runs it in a worker thread."""
    questions = [_as_dict(q) for q in Question.objects.order_by("pk")]
    return JsonResponse({"count": len(questions), "questions": questions})


# --8<-- [start:async_views]
async def async_index(request):
    """Async view using the async ORM.

    The view runs on the event loop; each query (``acount()``, ``async for``)
    runs in a worker thread through ``sync_to_async``, while the loop serves
    other requests.
    """
    count = await Question.objects.acount()
    questions = [_as_dict(q) async for q in Question.objects.order_by("pk")]
    return JsonResponse({"count": count, "questions": questions})


async def async_detail(request, pk):
    """Async view: ``aget()`` through ``aget_object_or_404`` (404 if missing)."""
    question = await aget_object_or_404(Question, pk=pk)
    return JsonResponse(_as_dict(question))


# --8<-- [end:async_views]


# --8<-- [start:blocking]
def legacy_report():
    """A blocking function, such as a call into a synchronous client library."""
    time.sleep(0.05)  # stands for blocking I/O
    return {"questions": Question.objects.count()}


async def blocking(request):
    """Async view that calls blocking code the right way: ``sync_to_async``.

    The blocking function runs in a worker thread, so the event loop keeps
    serving other requests while it waits.
    """
    report = await sync_to_async(legacy_report)()
    return JsonResponse(report)


# --8<-- [end:blocking]


# --8<-- [start:unsafe]
async def unsafe(request):
    """Deliberately wrong: an async view calling the sync ORM.

    Django refuses with ``SynchronousOnlyOperation`` (a 500 response), because
    a blocking database call here would stall the event loop.
    """
    return JsonResponse({"count": Question.objects.count()})


# --8<-- [end:unsafe]


async def stream(request):
    """Server-sent events from an async iterator.

    ``?count=`` events (1 to 100, default 5), one every ``?interval=`` seconds
    (0 to 5, default 0.5). When the client disconnects, Django cancels the
    iterator: the ``CancelledError`` is logged and re-raised, and the
    ``finally`` block runs, so nothing keeps running for a client that left.
    """
    try:
        count = int(request.GET.get("count", 5))
        interval = float(request.GET.get("interval", 0.5))
    except ValueError:
        return HttpResponseBadRequest(
            "count must be an integer and interval a number\n"
        )
    if not (1 <= count <= 100 and 0 <= interval <= 5):
        return HttpResponseBadRequest("count must be 1-100 and interval 0-5 seconds\n")

    async def events():
        sent = 0
        try:
            for number in range(1, count + 1):
                data = json.dumps(
                    {"n": number, "questions": await Question.objects.acount()}
                )
                yield f"id: {number}\nevent: tick\ndata: {data}\n\n"
                sent += 1
                if number < count:
                    await asyncio.sleep(interval)
            logger.info("stream finished after %d events", sent)
        except asyncio.CancelledError:
            logger.info("stream cancelled: client disconnected after %d events", sent)
            raise

    return StreamingHttpResponse(
        events(),
        content_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


def _results(question):
    return {
        "id": question.pk,
        "text": question.question_text,
        "choices": [
            {"id": c.pk, "text": c.choice_text, "votes": c.votes}
            for c in question.choices.order_by("pk")
        ],
    }


@ensure_csrf_cookie
def detail(request, pk):
    """Sync view: a question with its choices and vote counts.

    It also sets the ``csrftoken`` cookie, so that a client can then POST a
    vote with the token in an ``X-CSRFToken`` header.
    """
    return JsonResponse(_results(get_object_or_404(Question, pk=pk)))


# --8<-- [start:vote]
class VoteForm(forms.Form):
    """What a vote posts: ``choice``, the id of a choice, in ASCII digits.

    ``str.isdigit()`` and ``\\d`` in a regular expression take other Unicode
    digits too: "²", which ``int()`` refuses (a 500), and "١" (Arabic-Indic
    one), which ``int()`` reads as 1. ``max_length`` keeps ``int()`` under
    its 4,300-digit limit.
    """

    choice = forms.CharField(
        max_length=19,  # a BigAutoField id has 19 digits at most
        validators=[RegexValidator(r"\A[0-9]+\Z")],
    )


@require_POST
def vote(request, pk):
    """Sync view that writes: one vote for ``choice`` (a form field).

    CSRF-protected like any POST, its input validated by ``VoteForm``. The
    count is incremented in the database (``F("votes") + 1``), not read,
    changed and saved in Python, so concurrent votes are never lost.
    """
    question = get_object_or_404(Question, pk=pk)
    form = VoteForm(request.POST)
    if not form.is_valid():
        error = "choice must be the id of one of the choices"
        return JsonResponse({"error": error}, status=400)
    choice_id = int(form.cleaned_data["choice"])
    choices = Choice.objects.filter(pk=choice_id, question=question)
    if not choices.update(votes=F("votes") + 1):
        error = f"question {pk} has no choice {choice_id}"
        return JsonResponse({"error": error}, status=404)
    results = _results(question)
    broadcast(pk)
    events.publish(results)
    return JsonResponse(results)


# --8<-- [end:vote]


# --8<-- [start:request_info]
def request_info(request):
    """What Django made of the request: scheme, host, client, paths, the URLs it builds.

    Behind a proxy, each value depends on what the proxy forwards and on what
    the server and the settings trust.
    """
    return JsonResponse(
        {
            "is_secure": request.is_secure(),
            "absolute_uri": request.build_absolute_uri(),
            "host": request.get_host(),
            "remote_addr": request.META.get("REMOTE_ADDR"),
            "script_name": request.META["SCRIPT_NAME"],
            "path": request.path,
            "path_info": request.path_info,
            "reverse": reverse("polls:request_info"),
        }
    )


# --8<-- [end:request_info]


# --8<-- [start:private_file]
def private_file(request, token):
    """A private file, sent by nginx once Django has said yes.

    ``token`` is the file's name, signed by Django (``signing.dumps``) and
    valid for an hour. The view only checks it and answers an empty response
    with ``X-Accel-Redirect``; nginx then sends the file from an ``internal``
    location, and no byte of it passes through Python.
    """
    from urllib.parse import quote

    from django.core import signing
    from django.http import HttpResponse, HttpResponseForbidden

    try:
        name = signing.loads(token, salt="polls.private_file", max_age=3600)
    except signing.BadSignature:
        return HttpResponseForbidden("invalid or expired link\n")
    response = HttpResponse(content_type="application/octet-stream")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Accel-Redirect"] = f"/protected/{quote(name)}"
    return response


# --8<-- [end:private_file]


# --8<-- [start:events]
@sync_to_async
def current_message(pk):
    """Question ``pk``'s counts as a stream's message, then close the connection.

    A stream may stay open for hours: without ``close()``, the connection
    this read opened would be held until the stream ends (Django closes it
    when the request finishes).
    """
    try:
        return events.message_of(_results(get_object_or_404(Question, pk=pk)))
    finally:
        connection.close()


def last_event_id(request):
    """The ``Last-Event-ID`` a reconnecting client sends: the last ``id`` it got."""
    value = request.headers.get("Last-Event-ID", "")
    return (
        int(value) if value.isascii() and value.isdigit() and len(value) < 19 else None
    )


async def vote_events(request, pk):
    """Server-sent events: question ``pk``'s counts, each time a vote changes them.

    Each event's ``id`` is the question's total of votes. A browser that
    reconnects sends the last one as ``Last-Event-ID``: if votes were counted
    since, the first event is the current counts; otherwise it waits for the
    next vote. A comment line every ``POLLS_EVENTS_HEARTBEAT`` seconds keeps a
    quiet stream from looking idle to a proxy. The stream holds no database
    connection: the counts come from the vote (``events.publish``).
    """
    queue = events.hub.subscribe(pk)  # first: no vote is missed during the read
    try:
        current = await current_message(pk)
    except BaseException:
        events.hub.unsubscribe(pk, queue)
        raise
    sent = last_event_id(request)
    heartbeat = settings.POLLS_EVENTS_HEARTBEAT

    async def stream():
        nonlocal sent
        message = current if current["total"] != sent else None
        try:
            while True:
                if message is not None:
                    data = json.dumps(message["results"])
                    yield f"id: {message['total']}\nevent: votes\ndata: {data}\n\n"
                    sent = message["total"]
                try:
                    message = await asyncio.wait_for(queue.get(), heartbeat)
                except TimeoutError:
                    message = None
                    yield ": heartbeat\n\n"
                    continue
                if message["total"] <= sent:
                    message = None  # counts this stream has sent already, or older ones
        finally:
            events.hub.unsubscribe(pk, queue)

    return StreamingHttpResponse(
        stream(),
        content_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


# --8<-- [end:events]


# --8<-- [start:broadcast]
def broadcast(pk):
    """Tell the sockets watching question ``pk`` (consumers.py) that its counts changed.

    The message carries no counts: each process's consumers read them once
    when it arrives (``show_latest``), so counts read by two concurrent votes
    can never reach a page in the wrong order. A sync view reaches the async
    channel layer through ``async_to_sync``. Without Channels installed (the
    tutorial's project) or with no channel layer configured there is nothing
    to send. The vote is already counted: if the layer (Redis) is unreachable,
    that is logged and the vote still answers 200.
    """
    try:
        from channels.layers import get_channel_layer
    except ImportError:
        return
    from .consumers import group_name

    layer = get_channel_layer()
    if layer is None:
        return
    message = {"type": "votes.changed"}
    try:
        async_to_sync(layer.group_send)(group_name(pk), message)
    except Exception as exc:
        logger.warning("poll %s: vote counted, broadcast failed (%s)", pk, exc)


# --8<-- [end:broadcast]


@ensure_csrf_cookie
def live(request, pk):
    """The live results page: counts pushed over a WebSocket, votes sent by fetch()."""
    question = get_object_or_404(Question, pk=pk)
    return render(request, "polls/live.html", {"question": question})


# --8<-- [start:socket_token]
def socket_token(request):
    """A token for a client without cookies to open sockets as this user (tokens.py)."""
    from .tokens import MAX_AGE, PROTOCOL, socket_token

    if not request.user.is_authenticated:
        return JsonResponse({"error": "log in first"}, status=403)
    token = socket_token(request.user)
    return JsonResponse({"protocol": PROTOCOL, "token": token, "max_age": MAX_AGE})


# --8<-- [end:socket_token]
