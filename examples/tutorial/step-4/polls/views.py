from django.http import JsonResponse
from django.shortcuts import aget_object_or_404

from .models import Question


def as_dict(question):
    return {"id": question.pk, "text": question.question_text}


def index(request):
    """A sync view: under ASGI, Django runs it in a worker thread."""
    questions = [as_dict(q) for q in Question.objects.order_by("pk")]
    return JsonResponse({"count": len(questions), "questions": questions})


async def async_index(request):
    """An async view: it runs on the event loop and awaits each query."""
    count = await Question.objects.acount()
    questions = [as_dict(q) async for q in Question.objects.order_by("pk")]
    return JsonResponse({"count": count, "questions": questions})


async def async_detail(request, pk):
    """An async view: a question, or 404 if there is none with this id."""
    question = await aget_object_or_404(Question, pk=pk)
    return JsonResponse(as_dict(question))
