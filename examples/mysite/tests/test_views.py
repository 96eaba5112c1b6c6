"""The async views (polls/views.py) through AsyncClient and AsyncRequestFactory."""

import json

import pytest
from django.core.exceptions import SynchronousOnlyOperation
from django.test import AsyncClient, AsyncRequestFactory

from polls import views

pytestmark = pytest.mark.asyncio


# --8<-- [start:client]
async def test_the_client_goes_through_urls_and_middleware(sample_polls):
    client = AsyncClient()
    response = await client.get("/polls/async/")
    assert response.status_code == 200
    assert response.json()["count"] == 3
    assert response["X-Frame-Options"] == "DENY"  # XFrameOptionsMiddleware


async def test_a_missing_question_is_a_404(sample_polls):
    response = await AsyncClient().get("/polls/async/99/")
    assert response.status_code == 404


# --8<-- [end:client]


# --8<-- [start:factory]
async def test_the_factory_calls_the_view_alone(sample_polls):
    request = AsyncRequestFactory().get("/polls/async/1/")
    response = await views.async_detail(request, pk=1)
    assert json.loads(response.content) == {"id": 1, "text": "What's new?"}
    assert "X-Frame-Options" not in response  # no middleware ran


# --8<-- [end:factory]


# --8<-- [start:unsafe]
async def test_the_sync_orm_in_an_async_view_raises(db):
    # The client raises the view's exception, rather than answer a 500.
    with pytest.raises(SynchronousOnlyOperation):
        await AsyncClient().get("/polls/unsafe/")


# --8<-- [end:unsafe]
