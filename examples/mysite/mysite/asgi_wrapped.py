"""
ASGI config for mysite, wrapped in pure ASGI middleware.

This is ``asgi.py`` with the step Django's ASGI deployment page describes:
``application = SomeMiddleware(application)``. It lives beside ``asgi.py``
rather than replacing it so that ``asgi.py`` stays exactly as
``django-admin startproject`` writes it (compare it with your own), and so
that both can be served and compared: run ``uvicorn mysite.asgi:application``
and uvicorn logs that lifespan is unsupported; run
``uvicorn mysite.asgi_wrapped:application`` and the startup and shutdown hooks
below run, and every response carries a ``Server-Timing`` header.

In your own project, these lines can go straight into ``asgi.py``.
"""

import logging
import os
import time

# --8<-- [start:setup]
from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")

# get_asgi_application() calls django.setup(), which loads the settings and the
# apps. Import anything that may import models only after it.
application = get_asgi_application()

from mysite.asgi_middleware import (  # noqa: E402
    LifespanMiddleware,
    ServerTimingMiddleware,
)
from polls.models import Question  # noqa: E402

# --8<-- [end:setup]

logger = logging.getLogger("mysite.lifespan")
started_at = time.monotonic()


async def check_database():
    """Startup hook: fail fast if the database is unreachable or not migrated."""
    count = await Question.objects.acount()
    logger.info("startup hook ran: database ready, %d questions", count)


async def say_goodbye():
    """Shutdown hook: where a project closes clients and pools it opened."""
    logger.info("shutdown hook ran after %.1f s", time.monotonic() - started_at)


application = ServerTimingMiddleware(application)
application = LifespanMiddleware(
    application, on_startup=[check_database], on_shutdown=[say_goodbye]
)
