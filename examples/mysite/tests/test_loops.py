"""The event loop that async fixtures and tests run on (pytest.ini: one per test)."""

import asyncio

import pytest
import pytest_asyncio


# --8<-- [start:function]
@pytest_asyncio.fixture
async def fixture_loop():
    return asyncio.get_running_loop()


@pytest.mark.asyncio
async def test_a_fixture_and_its_test_share_a_loop(fixture_loop):
    assert asyncio.get_running_loop() is fixture_loop


# --8<-- [end:function]


# --8<-- [start:module]
@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def module_loop():
    """Made once for the module, on a loop that lasts as long as the module."""
    return asyncio.get_running_loop()


@pytest.mark.asyncio
async def test_a_test_runs_on_its_own_loop(module_loop):
    assert asyncio.get_running_loop() is not module_loop


@pytest.mark.asyncio(loop_scope="module")
async def test_unless_it_asks_for_the_modules_loop(module_loop):
    assert asyncio.get_running_loop() is module_loop


# --8<-- [end:module]
