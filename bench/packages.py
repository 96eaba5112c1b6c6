"""Third-party packages under ASGI, measured: what each costs and what fails.

    nox -s bench_packages                    # every package
    python bench/packages.py --only django-ratelimit --print   # one, not written

Each package of ``requirements/packages.txt`` (and ServeStatic, the example's)
is configured in the example project as its documentation says, in a process
of its own (Sentry and the debug toolbar patch Django when they load), on a
fresh copy of the sample database. The example's ``application`` is called
in-process with its request helper (``mysite.asgi_client.request``), and for
each request the script records:

- the status, and the exception a 500 came from (``got_request_exception``),
  and any warning raised while it was served;
- its thread trips: every ``sync_to_async`` call, recorded in the worker
  thread as the explanation's ``count_hops`` session does
  (``SyncToAsync.thread_handler``), and the same request without the package
  (its middleware taken out, or its view replaced by a plain Django view doing
  the same query), so the difference is the package's own;
- for each middleware the package adds, ``sync_capable`` and
  ``async_capable`` as Django reads them (``getattr`` with Django's defaults).

It also records whether each package's metadata declares the Django it runs on
(a ``Framework :: Django :: X.Y`` classifier). The results go to
``bench/results/packages.json``; ``docs/howto/packages.md`` shows them.
Behaviour, not speed: the machine's load does not change them.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import types
import warnings
from importlib import metadata
from pathlib import Path

from guide.paths import ROOT
from guide.services.processes import EXAMPLE_DIR, example_env, migrated_database
from guide.services.redis import RedisServer

RESULTS = ROOT / "bench" / "results" / "packages.json"

PACKAGES = [
    "djangorestframework",
    "adrf",
    "django-ninja",
    "sentry-sdk",
    "django-allauth",
    "django-debug-toolbar",
    "django-cors-headers",
    "django-ratelimit",
    "django-redis",
    "whitenoise",
    "servestatic",
]
"""The distributions measured, in the table's order."""

# --- In the measuring process ------------------------------------------------


class Recorder:
    """Every trip to a worker thread, as ``count_hops.pycon`` records them."""

    def __init__(self):
        from asgiref.sync import SyncToAsync

        self.hops = []
        original = SyncToAsync.thread_handler
        hops = self.hops

        def recording(self, *args, **kwargs):  # runs in the worker thread
            hops.append((self.func.__qualname__, threading.current_thread().name))
            return original(self, *args, **kwargs)

        SyncToAsync.thread_handler = recording


def measure(handler, recorder, path, **options):
    """One request: its status, trips, the exception of a 500, the warnings.

    Not the number of threads: the trips Django makes to handle an exception
    (``thread_sensitive=False``) land on whichever thread of the default
    executor is free, so that number changes from run to run.
    """
    from django.core.signals import got_request_exception

    from mysite.asgi_client import request

    errors = []

    def on_exception(sender, **kwargs):
        kind, value, _ = sys.exc_info()
        errors.append(f"{kind.__name__}: {value}".splitlines()[0])

    got_request_exception.connect(on_exception)
    recorder.hops.clear()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            response = request(handler, path, **options)
    finally:
        got_request_exception.disconnect(on_exception)
    return {
        "path": path,
        "status": response.status,
        "trips": len(recorder.hops),
        "trip_names": [name for name, _ in recorder.hops],
        "errors": errors,
        "warnings": sorted({str(w.message).splitlines()[0] for w in caught}),
        "response": response,
    }


def capabilities(paths):
    from django.utils.module_loading import import_string

    found = []
    for path in paths:
        cls = import_string(path)
        found.append(
            {
                "path": path,
                "sync_capable": getattr(cls, "sync_capable", True),  # Django's defaults
                "async_capable": getattr(cls, "async_capable", False),
            }
        )
    return found


URLCONFS = {}
PACKAGE_URLS = []  # the URLs the package's documentation adds
LOCMEM = "django.core.cache.backends.locmem.LocMemCache"


def urlconf(*patterns):
    """A URLconf module: the example's URLs, then ``patterns``."""
    from django.urls import path as route

    from mysite import urls

    name = f"package_urls_{len(URLCONFS)}"  # a new name: Django caches each URLconf's
    module = URLCONFS[name] = sys.modules[name] = types.ModuleType(name)
    routes = [route(p, v) for p, v in patterns]
    module.urlpatterns = [*urls.urlpatterns, *PACKAGE_URLS, *routes]
    return name


def plain_views():
    """The same query as each package's view, in plain Django: one sync, one async."""
    from django.http import JsonResponse

    from polls.models import Question

    def sync_view(request):
        return JsonResponse({"count": Question.objects.count()})

    async def async_view(request):
        return JsonResponse({"count": await Question.objects.acount()})

    return sync_view, async_view


def configure(name, base, env):
    """Change the example's settings module ``base`` for ``name``, before Django reads it.

    Returns what the package adds to MIDDLEWARE.
    """
    apps, middleware = [], []
    if name == "djangorestframework":
        apps = ["rest_framework"]
    elif name == "adrf":
        apps = ["rest_framework", "adrf"]
    elif name == "django-ninja":
        apps = []
    elif name == "django-allauth":
        apps = ["allauth", "allauth.account"]
        middleware = ["allauth.account.middleware.AccountMiddleware"]
        base.AUTHENTICATION_BACKENDS = [
            "django.contrib.auth.backends.ModelBackend",
            "allauth.account.auth_backends.AuthenticationBackend",
        ]
    elif name == "django-debug-toolbar":
        apps = ["debug_toolbar"]
        middleware = ["debug_toolbar.middleware.DebugToolbarMiddleware"]
        base.INTERNAL_IPS = ["127.0.0.1"]
        base.DEBUG = True
    elif name == "django-cors-headers":
        apps = ["corsheaders"]
        middleware = ["corsheaders.middleware.CorsMiddleware"]
        base.CORS_ALLOWED_ORIGINS = ["https://example.com"]
    elif name == "django-redis":
        base.CACHES = {
            "default": {
                "BACKEND": "django_redis.cache.RedisCache",
                "LOCATION": env["PACKAGES_REDIS_URL"],
            }
        }
    elif name == "whitenoise":
        apps = []
        middleware = ["whitenoise.middleware.WhiteNoiseMiddleware"]
        base.INSTALLED_APPS = [a for a in base.INSTALLED_APPS if a != "servestatic"]
    elif name == "servestatic":
        middleware = ["servestatic.middleware.ServeStaticMiddleware"]
    base.INSTALLED_APPS = [*base.INSTALLED_APPS, *apps]
    example = [m for m in base.MIDDLEWARE if "servestatic" not in m]
    if middleware:
        # Where the package's documentation puts it.
        first = name in ("django-cors-headers",)
        after_security = name in ("whitenoise", "servestatic")
        if first:
            base.MIDDLEWARE = [*middleware, *example]
        elif after_security:
            base.MIDDLEWARE = [example[0], *middleware, *example[1:]]
        else:
            base.MIDDLEWARE = [*example, *middleware]
    else:
        base.MIDDLEWARE = example
    return example, middleware


def views_for(name):
    """``[(label, url, view with the package, the same in plain Django)]``."""
    sync_view, async_view = plain_views()
    from polls.models import Question

    if name == "djangorestframework":
        from rest_framework.response import Response
        from rest_framework.views import APIView

        class Count(APIView):
            def get(self, request):
                return Response({"count": Question.objects.count()})

        return [("sync APIView", "drf/", Count.as_view(), sync_view)]
    if name == "adrf":
        from adrf.views import APIView
        from rest_framework.response import Response

        class Count(APIView):
            async def get(self, request):
                return Response({"count": await Question.objects.acount()})

        return [("async APIView", "adrf/", Count.as_view(), async_view)]
    if name == "django-ninja":
        from ninja import NinjaAPI

        api = NinjaAPI()

        @api.get("/count")
        async def count(request):
            return {"count": await Question.objects.acount()}

        @api.get("/sync-count")
        def sync_count(request):
            return {"count": Question.objects.count()}

        views = api.urls[0]  # (patterns, app_name, namespace)
        by_name = {p.pattern._route: p.callback for p in views}
        return [
            ("async operation", "api/count", by_name["count"], async_view),
            ("sync operation", "api/sync-count", by_name["sync-count"], sync_view),
        ]
    if name == "django-ratelimit":
        from django_ratelimit.decorators import ratelimit

        return [
            (
                "@ratelimit on a sync view",
                "limited/",
                ratelimit(key="ip", rate="100/m")(sync_view),
                sync_view,
            ),
            (
                "@ratelimit on an async view",
                "alimited/",
                ratelimit(key="ip", rate="100/m")(async_view),
                async_view,
            ),
        ]
    if name == "django-debug-toolbar":  # it shows itself in HTML pages only
        from django.http import HttpResponse

        async def html_view(request):
            count = await Question.objects.acount()
            return HttpResponse(f"<html><body><p>{count} questions</p></body></html>")

        return [("async view, an HTML page", "page/", html_view, html_view)]
    if name == "django-redis":
        from django.core.cache import cache
        from django.http import JsonResponse

        async def cached(request):
            await cache.aset("count", await Question.objects.acount())
            return JsonResponse({"count": await cache.aget("count")})

        return [("cache.aset() and aget() in an async view", "cached/", cached, None)]
    return []


def child(name):
    """Measure ``name`` in this process (started by :func:`run`); print its JSON."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "mysite.settings"
    import mysite.settings as base

    example_middleware, added = configure(name, base, os.environ)
    if name == "sentry-sdk":
        import sentry_sdk

        # A DSN to an address nothing listens on: the SDK sets up its integrations
        # (the Django one is found by itself); nothing is sent for a 200.
        sentry_sdk.init(dsn="http://key@127.0.0.1:9/1")
    import django

    django.setup()
    from django.conf import settings
    from django.core.handlers.asgi import ASGIHandler
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.urls import include, path

    if name == "django-allauth":
        PACKAGE_URLS.append(path("accounts/", include("allauth.urls")))
    elif name == "django-debug-toolbar":
        from debug_toolbar.toolbar import debug_toolbar_urls

        PACKAGE_URLS.extend(debug_toolbar_urls())
    views = views_for(name)
    settings.ROOT_URLCONF = urlconf(*((url, view) for _, url, view, _ in views))
    recorder = Recorder()
    checks, facts = [], {}

    def both(label, path, without=None, compare=True, **options):
        """``path`` with the package, then without: the example's middleware, ``without``."""
        from django.test import override_settings

        row = {"request": label, **measure(ASGIHandler(), recorder, path, **options)}
        response = row.pop("response")
        row["without"] = None
        if compare:
            with override_settings(MIDDLEWARE=example_middleware, **(without or {})):
                plain = measure(ASGIHandler(), recorder, path, **options)
            keys = ("status", "trips", "trip_names")
            row["without"] = {key: plain[key] for key in keys}
        checks.append(row)
        return response

    for label, url, _, plain in views:
        if plain is None:  # the same view with Django's default cache, in memory
            without = {"CACHES": {"default": {"BACKEND": LOCMEM}}}
        else:  # the plain Django view in place of the package's
            without = {
                "ROOT_URLCONF": urlconf(*((u, p if u == url else v) for _, u, v, p in views))
            }
        page = both(label, "/" + url, without)
    if name == "django-cors-headers":
        headers = [(b"origin", b"https://example.com")]
        answer = both("async view, cross-origin", "/polls/async/", headers=headers)
        facts["cors_header"] = b"access-control-allow-origin" in answer.headers
    elif name == "django-allauth":
        both("async view", "/polls/async/")
        both("its login page", "/accounts/login/", compare=False)
    elif name == "django-debug-toolbar":
        facts["toolbar_shown"] = b'id="djDebug"' in page.body
    elif name == "sentry-sdk":
        import sentry_sdk

        facts["django_integration"] = "django" in sentry_sdk.get_client().integrations
        both("async view", "/polls/async/")
    elif name in ("whitenoise", "servestatic"):
        both("async view", "/polls/async/")
        both("static file", "/static/polls/style.css")
    distribution = metadata.distribution(name)
    classifiers = distribution.metadata.get_all("Classifier") or []
    changelogs = [
        str(file)
        for file in distribution.files or []
        # at the top of the package or of its metadata, as projects ship them
        if len(file.parts) <= 2
        and re.match(r"(changelog|changes|history|news|release)", file.name, re.IGNORECASE)
    ]
    print(
        json.dumps(
            {
                "package": name,
                "version": distribution.version,
                "django_classifiers": sorted(
                    c.rsplit(" :: ", 1)[1]
                    for c in classifiers
                    if c.startswith("Framework :: Django :: ")
                ),
                "middleware": capabilities(added),
                "checks": checks,
                "facts": facts,
                "changelog_files": changelogs,
            }
        )
    )


# --- The driver ----------------------------------------------------------------


def run(name, redis_url):
    """Measure ``name`` in a process of its own; its result."""
    with tempfile.TemporaryDirectory() as folder:
        database = migrated_database(Path(folder) / "db.sqlite3")
        env = example_env(MYSITE_SQLITE_PATH=database, PACKAGES_REDIS_URL=redis_url)
        # The guide's tools and the example project (mysite, polls) importable there.
        env["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(ROOT / "src"), str(EXAMPLE_DIR), env.get("PYTHONPATH")])
        )
        done = subprocess.run(
            [sys.executable, __file__, "--child", name],
            cwd=EXAMPLE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    if done.returncode:
        raise SystemExit(f"{name}: exit {done.returncode}\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure_all(names):
    with RedisServer() as redis:
        return [run(name, redis.url) for name in names]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--only", action="append", choices=PACKAGES)
    parser.add_argument("--print", action="store_true", help="print, do not write the JSON")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(args.child)
    import django

    rows = measure_all(args.only or PACKAGES)
    data = {
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "python": ".".join(map(str, sys.version_info[:3])),
        "django": django.__version__,
        "asgiref": metadata.version("asgiref"),
        "packages": rows,
    }
    text = json.dumps(data, indent=2) + "\n"
    if args.print or args.only:
        print(text)
    else:
        RESULTS.write_text(text, encoding="utf-8")
        print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
