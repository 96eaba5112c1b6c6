"""Traces, request ids and error reports (docs/howto/observability.md).

Only ``settings_observability.py`` and ``asgi_observability.py`` load this
module: the example's default settings use none of it.
"""

import contextvars
import json
import logging
import os
import re
import threading
import uuid

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.db.backends.signals import connection_created
from opentelemetry import trace
from opentelemetry.instrumentation.django import DjangoInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    SimpleSpanProcessor,
    SpanExporter,
    SpanExportResult,
)
from sentry_sdk.transport import Transport

logger = logging.getLogger(__name__)


# --8<-- [start:tracing]
def configure_tracing(exporter):
    """Send every finished span to ``exporter``; trace requests and queries.

    Call it before Django builds its handler (``get_asgi_application()``):
    ``DjangoInstrumentor`` adds its middleware to ``settings.MIDDLEWARE``.
    """
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    DjangoInstrumentor().instrument()
    connection_created.connect(trace_queries)


tracer = trace.get_tracer(__name__)


def trace_queries(sender, connection, **kwargs):
    """Wrap each query on a new database connection in a span of its own."""
    connection.execute_wrappers.append(query_span)


def query_span(execute, sql, params, many, context):
    attributes = {
        "db.query.text": sql,
        "thread.name": threading.current_thread().name,
    }
    with tracer.start_as_current_span(sql.split()[0], attributes=attributes):
        return execute(sql, params, many, context)


# --8<-- [end:tracing]


# --8<-- [start:exporter]
class JsonLinesFile(SpanExporter):
    """Each finished span as one line of JSON, appended to a file.

    One ``os.write`` per line on a file opened for appending: the lines of
    concurrent threads and worker processes never mix.
    """

    def __init__(self, path):
        self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)

    def export(self, spans):
        for span in spans:
            os.write(self.fd, (span.to_json(indent=None) + "\n").encode())
        return SpanExportResult.SUCCESS

    def shutdown(self):
        os.close(self.fd)


# --8<-- [end:exporter]


# --8<-- [start:request_id]
request_id = contextvars.ContextVar("request_id", default="-")
VALID_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


class RequestIdMiddleware:
    """Give each request an id, in a context variable, for its log lines.

    The id is the ``X-Request-ID`` header a proxy sent, if it looks like one,
    or a new random one; the response carries it back, and so does the
    request's span when OpenTelemetry traces it. The middleware works
    in both modes, so a sync or an async view costs it no thread hop.
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request):
        if iscoroutinefunction(self):
            return self.__acall__(request)
        token = self.start(request)
        try:
            return self.finish(request, self.get_response(request))
        finally:
            request_id.reset(token)

    async def __acall__(self, request):
        token = self.start(request)
        try:
            return self.finish(request, await self.get_response(request))
        finally:
            request_id.reset(token)

    @staticmethod
    def start(request):
        given = request.headers.get("X-Request-ID", "")
        new_id = given if VALID_ID.fullmatch(given) else uuid.uuid4().hex
        # The request's trace, if it is traced, carries the id too.
        trace.get_current_span().set_attribute("request.id", new_id)
        return request_id.set(new_id)

    @staticmethod
    def finish(request, response):
        response["X-Request-ID"] = request_id.get()
        path = request.get_full_path()
        logger.info("%s %s %s", request.method, path, response.status_code)
        return response


class RequestIdFilter(logging.Filter):
    """Add the current request's id to each record, as ``%(request_id)s``."""

    def filter(self, record):
        record.request_id = request_id.get()
        return True


# --8<-- [end:request_id]


# --8<-- [start:transport]
class EventFile(Transport):
    """A Sentry transport that appends each event to a file, one JSON line each.

    It stands for Sentry's servers: the events are the ones the SDK would
    send, and nothing leaves the machine.
    """

    def __init__(self, path):
        super().__init__()
        self.path = path
        self.lock = threading.Lock()

    def capture_envelope(self, envelope):
        for item in envelope.items:
            if item.type == "event":
                line = json.dumps(item.payload.json) + "\n"
                with self.lock, open(self.path, "a") as file:
                    file.write(line)


# --8<-- [end:transport]


# --8<-- [start:before_send]
LIFESPAN_REFUSED = "Django can only handle ASGI/HTTP connections, not lifespan."


def drop_lifespan_error(event, hint):
    """Sentry's ``before_send``: drop Django's refusal of the lifespan protocol.

    Django's ASGI application has no lifespan support: it raises this
    ``ValueError``, and a server that tries lifespan logs it and goes on.
    Sentry reports it first, once for each worker that starts.
    """
    exception = hint.get("exc_info", (None, None, None))[1]
    if isinstance(exception, ValueError) and str(exception) == LIFESPAN_REFUSED:
        return None
    return event


# --8<-- [end:before_send]
