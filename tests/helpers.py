"""Code that several test modules share (tests/ is on pytest's pythonpath).

Fixtures live in the conftest.py files; what is here is plain functions and
classes that a test calls.
"""

import pytest

from guide.services.processes import ServerError, example_env

# A key `check --deploy` accepts (50+ characters, 5+ distinct, not "django-insecure-").
PRODUCTION_SECRET_KEY = "k3y-" + "".join(chr(ord("a") + (i * 7) % 26) for i in range(60)) + "-Z9!x"


def production_env(database, static_root, allowed_hosts, secret_key=PRODUCTION_SECRET_KEY, **more):
    """Environment for the example under ``mysite.settings_production``.

    ``database``: the SQLite file; ``static_root``: where collectstatic writes
    (and ServeStatic serves from); ``allowed_hosts``: DJANGO_ALLOWED_HOSTS as
    written ("a.example,127.0.0.1"); ``more``: any other variables.
    """
    return example_env(
        DJANGO_SETTINGS_MODULE="mysite.settings_production",
        DJANGO_SECRET_KEY=secret_key,
        DJANGO_ALLOWED_HOSTS=allowed_hosts,
        DJANGO_STATIC_ROOT=static_root,
        MYSITE_SQLITE_PATH=database,
        **more,
    )


def failed_start(server):
    """Start ``server``, which must fail (ServerError, a non-zero exit); return what it said."""
    with pytest.raises(ServerError) as failure:
        server.start()
    assert server.returncode != 0
    return str(failure.value)
