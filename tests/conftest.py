"""Shared fixtures: a migrated throwaway SQLite database and real servers.

The example project is importable in-process (for ASGI-level tests that call
``application`` directly) and runs out-of-process under real servers.
"""

import fcntl
import fnmatch
import os
import re
import shutil
import tempfile
import tomllib
from pathlib import Path

import httpx
import pytest

from guide.services.processes import example_env, free_port, migrated_database, uvicorn

_DB_DIR = Path(tempfile.mkdtemp(prefix="mysite-tests-"))
DB_PATH = _DB_DIR / "db.sqlite3"

# In-process Django (for the ASGI-level tests; examples/mysite is on pytest's
# pythonpath) uses the same throwaway file.
os.environ["MYSITE_SQLITE_PATH"] = str(DB_PATH)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")


def pytest_collection_modifyitems(items):
    """The tests marked ``slow`` first (a stable sort: the others keep their order).

    Two workers share the tests; a long test collected last would run alone
    at the end of its session while the other worker idles.
    """
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


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
    from helpers import build_site  # here: a copy of this file elsewhere has no helpers

    return build_site(tmp_path_factory.mktemp("site"))


@pytest.fixture(scope="session")
def public_site_dir(tmp_path_factory, request):
    """The site built as the Pages workflow builds it: for its public URL, with links to
    its repository (``helpers.PUBLIC_URL``, ``helpers.REPO_URL``).

    Built once per run: under pytest-xdist the workers share one build (the first
    to ask builds it in their common temporary folder, the others wait for it),
    since each module that uses it may run on another worker.
    """
    from helpers import PUBLIC_URL, REPO_URL, build_site

    if not hasattr(request.config, "workerinput"):  # not an xdist worker: this process alone
        return build_site(tmp_path_factory.mktemp("public-site"), PUBLIC_URL, REPO_URL)
    shared = tmp_path_factory.getbasetemp().parent  # the workers' common folder
    out, done = shared / "public-site", shared / "public-site.built"
    with open(shared / "public-site.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file is closed
        if not done.exists():
            shutil.rmtree(out, ignore_errors=True)  # a build that failed half-way
            build_site(out, PUBLIC_URL, REPO_URL)
            done.touch()
    return out


# -- skips are allowed only where tests/allowed_skips.toml lists them ----------------

ALLOWED_SKIPS = Path(__file__).with_name("allowed_skips.toml")


def allowed_pytest_skips():
    """``[(node id pattern, reason pattern)]`` from tests/allowed_skips.toml."""
    data = tomllib.loads(ALLOWED_SKIPS.read_text(encoding="utf-8"))
    return [(test, entry["reason"]) for test, entry in data.get("pytest", {}).items()]


def skip_is_allowed(nodeid, reason, allowed):
    return any(
        fnmatch.fnmatchcase(nodeid, test) and re.fullmatch(pattern, reason)
        for test, pattern in allowed
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        reason = reason.removeprefix("Skipped: ")
        if not skip_is_allowed(report.nodeid, reason, allowed_pytest_skips()):
            report.outcome = "failed"
            report.longrepr = (
                f"{report.nodeid} was skipped ({reason}), and {ALLOWED_SKIPS.name} does not "
                "list that skip: make the test run here, or list it with its reason"
            )
    return report
