"""Production settings: select them with
DJANGO_SETTINGS_MODULE=mysite.settings_production.

They start from the development settings. The secret key and the host names
come from the environment, never from the code.
"""

import os

from django.core.exceptions import ImproperlyConfigured

from .settings import *  # noqa: F403


def env_required(name):
    """The environment variable ``name``, or stop with a message naming it."""
    value = os.environ.get(name, "").strip()
    if not value:
        raise ImproperlyConfigured(f"{name} is not set")
    return value


DEBUG = False
SECRET_KEY = env_required("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env_required("DJANGO_ALLOWED_HOSTS").split(",")

# Behind a reverse proxy that terminates TLS and sets X-Forwarded-Proto.
# Only safe if the proxy always sets (or strips) that header.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True

# startproject's MAILERS prints email to the console, which check --deploy
# refuses: send it over SMTP.
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.smtp.EmailBackend"}}
