"""A task of Django's tasks framework, run by a worker process (background-work.md).

The views that enqueue it are in ``mysite/urls_tasks.py``; the backend is set
in ``mysite/settings_tasks.py``.
"""

# --8<-- [start:task]
try:
    from django.tasks import task  # Django 6.0 and later
except ImportError:
    from django_tasks import task  # Django 5.2: the django-tasks backport

from polls.models import Question


@task
def announce(question_id):
    """Runs in the worker process, with what the view committed."""
    question = Question.objects.get(pk=question_id)
    return f"{question.question_text} ({question.choices.count()} choices)"


# --8<-- [end:task]
