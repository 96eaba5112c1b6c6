"""ASGI-level tests: call the example's ``application`` objects directly."""

import asyncio
import logging

import pytest
from asgiref.testing import ApplicationCommunicator
from django.core.exceptions import SynchronousOnlyOperation

from mysite.asgi_client import request


@pytest.fixture(scope="module")
def django_app(database):
    from mysite.asgi import application

    return application


def test_plain_application_answers_http(django_app):
    response = request(django_app, "/polls/")
    assert response.status == 200
    assert response.headers[b"content-type"] == b"application/json"
    assert response.json()["count"] == 3


def test_django_refuses_the_lifespan_scope(django_app):
    async def start_lifespan():
        communicator = ApplicationCommunicator(django_app, {"type": "lifespan"})
        await communicator.send_input({"type": "lifespan.startup"})
        await communicator.wait(5)

    with pytest.raises(
        ValueError, match="Django can only handle ASGI/HTTP connections, not lifespan."
    ):
        asyncio.run(start_lifespan())


def test_async_view_with_sync_orm_raises_synchronous_only_operation(django_app):
    # The project's LOGGING sends django.request to the console without
    # propagating, so listen on that logger itself.
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    try:
        status = request(django_app, "/polls/unsafe/").status
    finally:
        logger.removeHandler(handler)
    assert status == 500
    [record] = records
    assert record.exc_info[0] is SynchronousOnlyOperation
    assert str(record.exc_info[1]) == (
        "You cannot call this from an async context - use a thread or sync_to_async."
    )


def test_sync_orm_in_a_coroutine_raises(database):
    from polls.models import Question

    async def count():
        return Question.objects.count()

    with pytest.raises(SynchronousOnlyOperation):
        asyncio.run(count())


def test_sync_to_async_makes_the_sync_orm_usable_from_a_coroutine(database):
    from asgiref.sync import sync_to_async

    from polls.models import Question

    async def count():
        return await sync_to_async(Question.objects.count)(), await Question.objects.acount()

    assert asyncio.run(count()) == (3, 3)


def test_wrapped_application_adds_server_timing(database):
    from mysite.asgi_wrapped import application

    response = request(application, "/polls/async/")
    assert response.status == 200
    assert response.headers[b"server-timing"].startswith(b"app;dur=")


def test_prefix_router_sets_root_path_for_django(database):
    from mysite.asgi_mounted import application

    response = request(application, "/django/")
    assert response.status == 200
    assert response.json()["endpoints"]["stream"] == "/django/polls/stream/"


def test_prefix_router_adds_to_a_root_path_set_by_the_server(database):
    from mysite.asgi_mounted import application

    # e.g. `uvicorn --root-path /site` behind a proxy that strips nothing.
    response = request(application, "/site/django/", root_path="/site")
    assert response.status == 200
    payload = response.json()
    assert payload["script_name"] == "/site/django"
    assert payload["endpoints"]["index"] == "/site/django/polls/"
