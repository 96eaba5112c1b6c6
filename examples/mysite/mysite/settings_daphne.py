"""
Development settings for ``python manage.py runserver`` served by Daphne.

Select them with ``--settings mysite.settings_daphne``. With ``daphne`` in
``INSTALLED_APPS``, Daphne's own ``runserver`` command replaces Django's: it
serves the ASGI application that ``ASGI_APPLICATION`` names, with Django's
autoreloader. Without that setting it stops with "You have not set
ASGI_APPLICATION, which is needed to run the server."
"""

from .settings import *  # noqa: F403

# --8<-- [start:daphne]
# "daphne" first, so that its runserver command is the one Django finds.
INSTALLED_APPS = ["daphne", *INSTALLED_APPS]  # noqa: F405

ASGI_APPLICATION = "mysite.asgi.application"
# --8<-- [end:daphne]
