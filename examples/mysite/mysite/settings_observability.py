"""Settings with request ids in the logs and Sentry's error reports.

Select them with ``DJANGO_SETTINGS_MODULE=mysite.settings_observability`` and
serve ``mysite.asgi_observability:application``, which also traces each
request with OpenTelemetry. ``MYSITE_ERRORS_FILE`` and ``MYSITE_TRACES_FILE``
name the files that stand for Sentry and for a tracing backend.
"""

import copy
import os

import sentry_sdk
from sentry_sdk.integrations.django import DjangoIntegration

from .observability import EventFile, drop_lifespan_error
from .settings import *  # noqa: F403
from .settings import LOGGING, MIDDLEWARE

ROOT_URLCONF = "mysite.urls_observability"

# --8<-- [start:settings]
# First: every middleware after it, and the view, log with the request's id.
MIDDLEWARE = ["mysite.observability.RequestIdMiddleware", *MIDDLEWARE]

LOGGING = copy.deepcopy(LOGGING)
LOGGING["filters"] = {
    "request_id": {"()": "mysite.observability.RequestIdFilter"},
}
LOGGING["formatters"]["plain"]["format"] = (
    "%(levelname)s [%(request_id)s] %(name)s: %(message)s"
)
LOGGING["handlers"]["console"]["filters"] = ["request_id"]

sentry_sdk.init(
    dsn="https://public@sentry.example.com/1",
    transport=EventFile(os.environ.get("MYSITE_ERRORS_FILE", "errors.jsonl")),
    integrations=[DjangoIntegration()],
    before_send=drop_lifespan_error,
)
# --8<-- [end:settings]
