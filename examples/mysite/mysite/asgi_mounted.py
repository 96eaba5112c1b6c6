"""
ASGI config for mysite, mounted under ``/django`` beside another ASGI app.

One server process serves two applications:

- ``/django/...`` goes to Django. ``PrefixRouter`` sets ``root_path`` to
  ``/django``, so Django's ``reverse()`` yields ``/django/polls/`` and the URL
  patterns match ``polls/`` as usual; nothing in ``urls.py`` changes.
- ``/health/`` goes to a tiny ASGI application that is not Django.

Run it with ``uvicorn mysite.asgi_mounted:application``.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")

django_application = get_asgi_application()

from mysite.asgi_middleware import (  # noqa: E402
    LifespanMiddleware,
    PrefixRouter,
    ServerTimingMiddleware,
    health_app,
)

application = LifespanMiddleware(
    PrefixRouter(
        {
            "/django": ServerTimingMiddleware(django_application),
            "/health": health_app,
        }
    )
)
