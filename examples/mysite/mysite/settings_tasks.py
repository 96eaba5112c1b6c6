"""Settings with a real backend for Django's tasks framework (background-work.md).

Select them with ``DJANGO_SETTINGS_MODULE=mysite.settings_tasks``: tasks are
rows in the project's database (django-tasks-db), run by a worker process
started apart from the server, ``python manage.py db_worker``.
"""

import django

from .settings import *  # noqa: F403
from .settings import INSTALLED_APPS

ROOT_URLCONF = "mysite.urls_tasks"

# --8<-- [start:settings]
INSTALLED_APPS = [*INSTALLED_APPS, "django_tasks_db"]
if django.VERSION < (6, 0):
    INSTALLED_APPS.append("django_tasks")  # Django 5.2: the django-tasks backport

TASKS = {
    "default": {"BACKEND": "django_tasks_db.DatabaseBackend"},
}
# --8<-- [end:settings]
