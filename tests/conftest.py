"""Shared fixtures: a migrated throwaway SQLite database and real servers.

The example project is importable in-process (for ASGI-level tests that call
``application`` directly) and runs out-of-process under real servers.
"""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx
import pytest

from support import EXAMPLE_DIR, ROOT, example_env, free_port, migrated_database, uvicorn

_DB_DIR = Path(tempfile.mkdtemp(prefix="mysite-tests-"))
DB_PATH = _DB_DIR / "db.sqlite3"

# In-process Django (for the ASGI-level tests) uses the same throwaway file.
sys.path.insert(0, str(EXAMPLE_DIR))
os.environ["MYSITE_SQLITE_PATH"] = str(DB_PATH)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")


@pytest.fixture(scope="session")
def database():
    """A migrated SQLite database with the sample questions; returns its path."""
    return migrated_database(DB_PATH)


@pytest.fixture(scope="session")
def dev_env(database):
    """Environment for a server of the example with its development settings."""
    return example_env(MYSITE_SQLITE_PATH=database)


def _serve(app, env, *options):
    server = uvicorn(app, free_port(), env, *options)
    with server:
        yield server


@pytest.fixture(scope="module")
def wrapped_server(dev_env):
    """uvicorn serving ``mysite.asgi_wrapped:application`` (middleware + lifespan)."""
    yield from _serve("mysite.asgi_wrapped:application", dev_env)


@pytest.fixture(scope="module")
def plain_server(dev_env):
    """uvicorn serving Django's own ``mysite.asgi:application``."""
    yield from _serve("mysite.asgi:application", dev_env)


@pytest.fixture(scope="module")
def mounted_server(dev_env):
    """uvicorn serving ``mysite.asgi_mounted:application`` (Django under /django)."""
    yield from _serve("mysite.asgi_mounted:application", dev_env)


@pytest.fixture
def client():
    with httpx.Client(timeout=10) as http:
        yield http


@pytest.fixture(scope="session")
def site_dir(tmp_path_factory):
    """The built site: $SITE_DIR if the nox session built it, else a fresh strict build."""
    if os.environ.get("SITE_DIR"):
        return Path(os.environ["SITE_DIR"])
    out = tmp_path_factory.mktemp("site")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "-d", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return out
