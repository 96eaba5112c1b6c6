"""asgi.py's application, wrapped in ASGI middleware.

In your own project these lines can go straight into asgi.py.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")

# get_asgi_application() sets Django up: import models only after it.
application = get_asgi_application()

from mysite.asgi_middleware import (  # noqa: E402
    LifespanMiddleware,
    ServerTimingMiddleware,
)
from polls.models import Question  # noqa: E402


async def check_database():
    """Startup hook: refuse to start if the database is unreachable or not migrated."""
    await Question.objects.aexists()


application = ServerTimingMiddleware(application)
application = LifespanMiddleware(application, on_startup=[check_database])
