"""The example's URLs, and views that log, query and fail (observability.md)."""

import asyncio
import logging
import time

import sentry_sdk
from django.http import JsonResponse
from django.urls import include, path

from polls.models import Question

logger = logging.getLogger(__name__)


# --8<-- [start:views]
def sync_count(request):
    logger.info("counting questions")
    time.sleep(0.05)  # stands for slow work
    count = Question.objects.count()
    logger.info("%d questions", count)
    return JsonResponse({"count": count})


async def async_count(request):
    logger.info("counting questions")
    await asyncio.sleep(0.05)  # stands for slow work
    count = await Question.objects.acount()
    logger.info("%d questions", count)
    return JsonResponse({"count": count})


def sync_fail(request, pk):
    sentry_sdk.set_tag("question", pk)
    time.sleep(0.05)
    raise RuntimeError(f"sync view failed on question {pk}")


async def async_fail(request, pk):
    sentry_sdk.set_tag("question", pk)
    await asyncio.sleep(0.05)
    raise RuntimeError(f"async view failed on question {pk}")


# --8<-- [end:views]

urlpatterns = [
    path("observe/sync/", sync_count),
    path("observe/async/", async_count),
    path("observe/sync/fail/<int:pk>/", sync_fail),
    path("observe/async/fail/<int:pk>/", async_fail),
    path("", include("mysite.urls")),
]
