"""Health checks for a container's probes: ``/healthz``, and ``/healthz?db=1``.

A probe (Docker's HEALTHCHECK, a Kubernetes kubelet, a load balancer) asks the
container over plain HTTP, with its own Host header (often an IP address and
port, such as ``10.0.0.5:8000``). Under ``mysite.settings_production`` Django
would answer it 400 (the host is not in ``ALLOWED_HOSTS``: ``request.get_host()``,
first called by SecurityMiddleware's HTTPS redirect and CommonMiddleware) or 301
(``SECURE_SSL_REDIRECT``). This middleware is first in ``MIDDLEWARE``, so it
answers before either runs.
"""

# --8<-- [start:middleware]
from asgiref.sync import markcoroutinefunction, sync_to_async
from django.db import DatabaseError, connection
from django.http import HttpResponse

HEALTH_PATH = "/healthz"


def database_answers():
    """Whether the database answers a query (run in a thread: it blocks)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return False
    return True


class HealthCheckMiddleware:
    """Answer ``/healthz`` without the database; ``/healthz?db=1`` asks it too."""

    async_capable = True
    sync_capable = False

    def __init__(self, get_response):
        self.get_response = get_response
        markcoroutinefunction(self)

    async def __call__(self, request):
        if request.path != HEALTH_PATH:
            return await self.get_response(request)
        if request.GET.get("db") == "1":
            if not await sync_to_async(database_answers)():
                return HttpResponse(
                    "database unavailable\n", status=503, content_type="text/plain"
                )
        return HttpResponse("ok\n", content_type="text/plain")


# --8<-- [end:middleware]
