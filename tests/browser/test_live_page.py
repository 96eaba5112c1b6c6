"""The example's live results page in Chromium: a vote in one tab arrives in another.

The example under uvicorn with the Channels router and the in-memory channel
layer (one process: both tabs' sockets are in it), as `nox -s example` serves
it (there with Redis).
"""

import tempfile
from pathlib import Path

import pytest

from guide.services.processes import example_env, free_port, migrated_database, uvicorn


@pytest.fixture(scope="module")
def live_server():
    database = migrated_database(Path(tempfile.mkdtemp(prefix="live-page-")) / "db.sqlite3")
    env = example_env(MYSITE_SQLITE_PATH=database, MYSITE_CHANNEL_LAYER="memory")
    with uvicorn("mysite.asgi_channels:application", free_port(), env) as server:
        yield server


def test_a_vote_in_one_tab_arrives_in_the_other(chromium, live_server):
    context = chromium.new_context()
    try:
        voter, watcher = context.new_page(), context.new_page()
        url = f"{live_server.url}/polls/3/live/"
        for page in (voter, watcher):
            page.goto(url)
            page.wait_for_function(
                "document.getElementById('status').textContent.startsWith('live')"
            )
        granian = "#choices li:has-text('Granian')"
        before = int(watcher.locator(f"{granian} output").text_content())
        voter.locator(f"{granian} button").click()
        watcher.locator(f"{granian} output").filter(has_text=str(before + 1)).wait_for(
            timeout=10_000
        )
        assert voter.locator(f"{granian} output").text_content() == str(before + 1)
    finally:
        context.close()
