"""
Production settings for mysite.

Select them with ``DJANGO_SETTINGS_MODULE=mysite.settings_production``. They
start from the development settings and override what production needs. The
secrets and host names come from the environment, never from the code:

- ``DJANGO_SECRET_KEY`` (required): a long random string.
- ``DJANGO_ALLOWED_HOSTS`` (required): comma-separated host names.
- ``DJANGO_STATIC_ROOT`` (optional): where ``collectstatic`` writes.
- ``DJANGO_CSRF_TRUSTED_ORIGINS`` (optional): comma-separated origins such as
  ``https://example.com``, needed when a proxy terminates HTTPS on another
  origin.

Started without a required variable, Django stops with ImproperlyConfigured
naming it. With them set, ``python manage.py check --deploy`` reports no issues.
"""

# --8<-- [start:env]
import os

from django.core.exceptions import ImproperlyConfigured

from .settings import *  # noqa: F403


def env_required(name):
    """Return the environment variable ``name``, or stop with a clear message."""
    value = os.environ.get(name, "").strip()
    if not value:
        raise ImproperlyConfigured(
            f"The {name} environment variable is required by "
            f"mysite.settings_production but is not set."
        )
    return value


def env_list(name, default=""):
    """Split a comma-separated environment variable into a list."""
    return [
        item.strip()
        for item in os.environ.get(name, default).split(",")
        if item.strip()
    ]


DEBUG = False

SECRET_KEY = env_required("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS") or env_required("DJANGO_ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")
# --8<-- [end:env]

# --8<-- [start:proxy]
# Behind a reverse proxy that terminates TLS and sets X-Forwarded-Proto.
# Only safe if the proxy always sets (or strips) that header.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
# --8<-- [end:proxy]

# --8<-- [start:email]
# Django 6.1's startproject writes MAILERS with the console backend, which
# `check --deploy` refuses (mail.E001): send email over SMTP. (Django 5.2 and
# 6.0 ignore MAILERS; their EMAIL_BACKEND is SMTP by default.)
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.smtp.EmailBackend"}}
# --8<-- [end:email]

# --8<-- [start:static]
# Static files: run `manage.py collectstatic` at deploy time; ServeStatic then
# serves the content-hashed copies (compressed where that
# makes them smaller) with far-future cache headers.
STATIC_ROOT = os.environ.get(
    "DJANGO_STATIC_ROOT",
    BASE_DIR / "staticfiles",  # noqa: F405
)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "servestatic.storage.CompressedManifestStaticFilesStorage"
    },
}
# --8<-- [end:static]

# --8<-- [start:disallowed_host]
# Scanners send requests for other host names all day. Django answers each
# with 400 and logs it on django.security.DisallowedHost at ERROR, with a full
# traceback. Send that logger to a NullHandler; the 400s stay in the server's
# access log. (A copy of LOGGING, so that mysite.settings keeps its own.)
LOGGING = {
    **LOGGING,  # noqa: F405
    "handlers": {
        **LOGGING["handlers"],  # noqa: F405
        "null": {"class": "logging.NullHandler"},
    },
    "loggers": {
        **LOGGING["loggers"],  # noqa: F405
        "django.security.DisallowedHost": {"handlers": ["null"], "propagate": False},
    },
}
# --8<-- [end:disallowed_host]

# --8<-- [start:asyncio_noise]
# Python 3.14+: client disconnects can log "CancelledError exception in
# shielded future" on the asyncio logger. Drop exactly those records.
LOGGING["filters"] = {
    **LOGGING.get("filters", {}),
    "shielded_cancel": {"()": "mysite.logging_filters.IgnoreShieldedCancelledError"},
}
LOGGING["loggers"]["asyncio"] = {
    "handlers": ["console"],
    "level": "WARNING",
    "filters": ["shielded_cancel"],
    "propagate": False,
}
# --8<-- [end:asyncio_noise]

# --8<-- [start:request_limits]
# A body over DATA_UPLOAD_MAX_MEMORY_SIZE, or more form fields than
# DATA_UPLOAD_MAX_NUMBER_FIELDS, is answered 400 and logged on
# django.security.<exception> at ERROR, with a traceback. Log one WARNING
# line instead: the message names the setting that refused the request.
LOGGING["filters"]["client_error"] = {
    "()": "mysite.logging_filters.ClientErrorWithoutTraceback",
}
for name in ("RequestDataTooBig", "TooManyFieldsSent"):
    LOGGING["loggers"][f"django.security.{name}"] = {
        "handlers": ["console"],
        "filters": ["client_error"],
        "propagate": False,
    }
# --8<-- [end:request_limits]

# --8<-- [start:health]
# First: a probe's /healthz is answered before SecurityMiddleware's HTTPS
# redirect and before any ALLOWED_HOSTS check (mysite/health.py).
MIDDLEWARE = ["mysite.health.HealthCheckMiddleware", *MIDDLEWARE]  # noqa: F405
# --8<-- [end:health]
