"""The example's ASGI application, traced with OpenTelemetry.

Serve ``mysite.asgi_observability:application``: each request is a trace,
whose spans go to the file ``MYSITE_TRACES_FILE`` names, one JSON line each.
"""

# --8<-- [start:asgi]
import os

from django.core.asgi import get_asgi_application

from mysite.observability import JsonLinesFile, configure_tracing

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings_observability")

configure_tracing(JsonLinesFile(os.environ.get("MYSITE_TRACES_FILE", "traces.jsonl")))
application = get_asgi_application()
# --8<-- [end:asgi]
