"""Fixtures shared by the project's tests."""

import pytest
from django.core.management import call_command


# --8<-- [start:sample_polls]
@pytest.fixture
def sample_polls(transactional_db):
    """The sample questions and choices (polls/fixtures/), committed.

    Committed, because async code reads them from another thread, on a database
    connection of its own (test_database.py). transactional_db empties every
    table after the test.
    """
    call_command("loaddata", "sample_questions", "sample_choices", verbosity=0)


# --8<-- [end:sample_polls]
