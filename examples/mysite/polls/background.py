"""Work that goes on after the response: a task started with ``asyncio.create_task``.

Each view answers at once and starts a task that writes a mark file after a
delay: ``finished`` if it ran to the end, ``cancelled`` if it was cancelled
(the server shutting down, say). No file means the task was lost with its
process. The marks go to the folder named by ``MYSITE_MARKS_DIR``, else the
system's temporary folder.
"""

import asyncio
import os
import secrets
import tempfile
from pathlib import Path

from django.http import HttpResponseBadRequest, JsonResponse

MARKS_DIR = Path(os.environ.get("MYSITE_MARKS_DIR", tempfile.gettempdir()))


async def write_mark(name, delay):
    path = MARKS_DIR / f"{name}.mark"
    try:
        await asyncio.sleep(delay)
    except asyncio.CancelledError:
        path.write_text("cancelled")
        raise
    path.write_text("finished")


def _delay(request):
    try:
        delay = float(request.GET.get("delay", "1"))
    except ValueError:
        return None
    return delay if 0 <= delay <= 30 else None


# --8<-- [start:strong_reference]
background_tasks = set()


async def later(request):
    """Answer now; write the mark ``delay`` seconds later, in a task."""
    delay = _delay(request)
    if delay is None:
        return HttpResponseBadRequest("delay: a number of seconds, 0 to 30")
    name = secrets.token_hex(8)
    task = asyncio.create_task(write_mark(name, delay))
    # The event loop keeps only a weak reference to a task: keep a strong
    # one until it is done, or it can be garbage-collected mid-way.
    background_tasks.add(task)
    task.add_done_callback(background_tasks.discard)
    return JsonResponse({"mark": name, "delay": delay})


# --8<-- [end:strong_reference]
