"""Which thread the ORM runs on in an async test, and what that does to `db`.

pytest-asyncio runs an async test's event loop in the test's own thread. The
async ORM (``acount()``, ``acreate()``...) runs each query in another thread,
through ``sync_to_async``, on that thread's own database connection.
"""

import threading

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.db import OperationalError, connection
from django.utils import timezone

from polls.models import Question


# --8<-- [start:helpers]
def thread_name():
    return threading.current_thread().name


def in_transaction():
    return connection.in_atomic_block


@pytest.fixture
def question():
    """A question made by sync code, as most fixtures are."""
    return Question.objects.create(question_text="Sync?", pub_date=timezone.now())


@pytest.fixture
def fixture_saw():
    """The thread sync fixtures run on, and whether they are in a transaction."""
    return thread_name(), in_transaction()


# --8<-- [end:helpers]


# --8<-- [start:db]
@pytest.mark.django_db
@pytest.mark.asyncio
async def test_db_wraps_sync_code_not_the_async_orm(fixture_saw):
    # db opened a transaction for sync code on this thread, rolled back after
    # the test; the async ORM's queries run in another thread, outside it.
    assert fixture_saw == (thread_name(), True)
    assert await sync_to_async(thread_name)() != thread_name()
    assert not await sync_to_async(in_transaction)()


@pytest.mark.django_db
@pytest.mark.asyncio
async def test_so_rows_the_async_orm_writes_outlive_the_test():
    await Question.objects.acreate(question_text="Left?", pub_date=timezone.now())
    # Committed: a query from yet another thread (and connection) sees it.
    count = Question.objects.filter(question_text="Left?").count
    assert await sync_to_async(count, thread_sensitive=False)() == 1
    await Question.objects.filter(question_text="Left?").adelete()  # by hand


@pytest.mark.django_db
@pytest.mark.asyncio
async def test_and_a_sync_fixtures_rows_are_not_committed(question):
    # SQLite: the fixture's transaction locks the table for other connections.
    with pytest.raises(OperationalError, match="database table is locked"):
        await Question.objects.acount()


# --8<-- [end:db]


# --8<-- [start:transactional_db]
@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_transactional_db_commits_so_every_thread_sees(question, fixture_saw):
    assert fixture_saw == (thread_name(), False)
    assert await Question.objects.filter(pk=question.pk).aexists()


# --8<-- [end:transactional_db]


# --8<-- [start:async_to_sync]
@pytest.mark.django_db
def test_async_to_sync_runs_the_orm_back_on_the_tests_thread(question):
    test_thread = thread_name()

    async def check():
        assert await sync_to_async(thread_name)() == test_thread
        return await Question.objects.filter(pk=question.pk).aexists()

    assert async_to_sync(check)()


# --8<-- [end:async_to_sync]
