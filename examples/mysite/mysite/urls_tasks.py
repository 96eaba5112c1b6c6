"""The example's URLs, and async views that enqueue a task (background-work.md).

Served with ``mysite.settings_tasks``, whose backend stores each task in the
database; ``python manage.py db_worker`` runs them.
"""

from functools import partial

from asgiref.sync import sync_to_async
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import JsonResponse
from django.urls import include, path
from django.utils import timezone
from django.views.decorators.http import require_POST

from polls.models import Choice, Question
from polls.tasks import announce


# --8<-- [start:aenqueue]
@require_POST
async def announce_question(request, pk):
    result = await announce.aenqueue(pk)  # a row in the database, nothing more
    return JsonResponse({"task": str(result.id), "status": result.status}, status=202)


async def task_status(request, task_id):
    result = await announce.aget_result(task_id)
    answer = {"status": result.status}
    if result.status == "SUCCESSFUL":
        answer["return_value"] = result.return_value
    return JsonResponse(answer)


# --8<-- [end:aenqueue]


# --8<-- [start:on_commit]
def save_question(text, choices):
    with transaction.atomic():
        question = Question.objects.create(question_text=text, pub_date=timezone.now())
        # Enqueued once the transaction commits; never if it rolls back.
        transaction.on_commit(partial(announce.enqueue, question.pk))
        for choice_text in choices:
            choice = Choice(question=question, choice_text=choice_text)
            choice.full_clean()  # a ValidationError rolls it all back
            choice.save()
    return question


@require_POST
async def add_question(request):
    try:
        question = await sync_to_async(save_question)(
            request.POST["question_text"], request.POST.getlist("choice")
        )
    except ValidationError as error:
        return JsonResponse({"errors": error.messages}, status=400)
    return JsonResponse({"question": question.pk}, status=201)


# --8<-- [end:on_commit]

urlpatterns = [
    path("tasks/questions/", add_question),
    path("tasks/questions/<int:pk>/announce/", announce_question),
    path("tasks/<str:task_id>/", task_status),
    path("", include("mysite.urls")),
]
