"""manage.py asgi_audit: what your project's settings mean under ASGI.

Copy this file into the management/commands/ folder of any app in
INSTALLED_APPS (with an __init__.py in management/ and in commands/), then run
`python manage.py asgi_audit`. It reads the settings and the URLconf, and the
source of the packages they name; it opens no connection and serves nothing.

Each finding is a level (ok, warning, problem), what and why, and the page
of the guide "Django on ASGI" that explains it. The exit status is 1 when
there is a problem (or a warning, with --fail-on warning), else 0.
"""

import importlib
import itertools
import pathlib
import re
import sys
from urllib.parse import urlsplit

from asgiref.sync import iscoroutinefunction
from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connections
from django.urls import Resolver404, URLResolver, get_resolver, resolve
from django.utils.deprecation import MiddlewareMixin
from django.utils.module_loading import import_string

# Where the guide is: the links below are its pages, relative to this address.
GUIDE = ""

MIDDLEWARE_PAGE = "howto/auditing/#middleware"
TRIPS_PAGE = "explanation/request-handling/#one-thread-per-request-many-trips-to-it"
THREAD_LOCAL_PAGE = "howto/auditing/#3-thread-local-state"
CONNECTIONS_PAGE = "howto/production/#4-database-connections-conn_max_age-0-or-a-pool"
ATOMIC_PAGE = "troubleshooting/database/#atomic-requests"
PROXY_PAGE = "howto/reverse-proxy/#secure_proxy_ssl_header-djangos-side"
STATIC_PAGE = "howto/static-files/"
WHITENOISE_PAGE = "howto/static-files/#servestatic-not-whitenoise"
COLLECTSTATIC_PAGE = "howto/static-files/#production-collectstatic-and-hashed-names"
CHANNEL_LAYER_PAGE = "howto/websockets/#the-channel-layer-one-process-or-many"

LEVELS = ("ok", "warning", "problem")
STATIC_MIDDLEWARE = {
    "servestatic.middleware.ServeStaticMiddleware": None,
    "whitenoise.middleware.WhiteNoiseMiddleware": WHITENOISE_PAGE,
}
THREAD_LOCAL = re.compile(r"threading\.local\(|from threading import [^\n]*\blocal\b")


def middleware_chain(paths):
    """[(path, class, runs_async)] from the top, as Django's load_middleware()
    decides under ASGI: from the bottom up, a middleware runs async if it can,
    unless the handler below it is sync and it can run sync too."""
    chain = []
    below_is_async = True  # ASGIHandler's view layer, _get_response_async()
    for path in reversed(paths):
        cls = import_string(path)
        can_sync = getattr(cls, "sync_capable", True)  # Django's defaults
        can_async = getattr(cls, "async_capable", False)
        runs_async = can_async if below_is_async or not can_sync else False
        chain.insert(0, (path, cls, runs_async))
        below_is_async = runs_async
    return chain


def trips(cls, runs_async):
    """The hooks of one middleware that Django calls in a worker thread."""
    hooks = []
    for hook in ("request", "view", "response"):
        method = getattr(cls, f"process_{hook}", None)
        if method is None:
            continue
        if hook == "view":  # called by the async view layer, adapted if sync
            if not iscoroutinefunction(method):
                hooks.append(hook)
        elif runs_async and issubclass(cls, MiddlewareMixin):  # its __acall__()
            hooks.append(hook)
    return hooks


def switches(chain):
    """How many times a request crosses between the event loop and a thread
    in the chain: the server's side is async, the view layer is async."""
    modes = [True, *(runs_async for _, _, runs_async in chain), True]
    return sum(above != below for above, below in itertools.pairwise(modes))


def async_views(patterns, prefix=""):
    """[(route, view)] of every async view the URLconf routes to."""
    found = []
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            found += async_views(pattern.url_patterns, route)
        elif iscoroutinefunction(pattern.callback):
            found.append((route, pattern.callback))
    return found


def thread_locals(module_names):
    """[(where, line)] of each threading.local() in the named packages' source."""
    found = []
    for package in sorted({name.split(".")[0] for name in module_names}):
        module = importlib.import_module(package)
        folders = getattr(module, "__path__", None)
        files = (
            [
                (pathlib.Path(f), path)
                for f in folders
                for path in pathlib.Path(f).rglob("*.py")
            ]
            if folders
            else [(pathlib.Path(module.__file__).parent, pathlib.Path(module.__file__))]
        )
        for folder, path in sorted(files):
            if path.resolve() == pathlib.Path(__file__).resolve():
                continue  # this file names what it looks for
            lines = path.read_text("utf-8", errors="replace").splitlines()
            for number, line in enumerate(lines, 1):
                if THREAD_LOCAL.search(line):
                    name = path.relative_to(folder).as_posix()
                    where = f"{package}/{name}" if folders else name
                    found.append((f"{where}:{number}", line.strip()))
    return found


class Command(BaseCommand):
    help = "Check the settings that decide how this project runs under ASGI."

    def add_arguments(self, parser):
        parser.add_argument(
            "--fail-on",
            choices=("problem", "warning"),
            default="problem",
            help="exit with status 1 on a problem (default), or on a warning too",
        )

    def handle(self, *args, fail_on, **options):
        self.found = []
        self.check_middleware()
        self.check_thread_locals()
        self.check_databases()
        self.check_proxy()
        self.check_static_files()
        self.check_channel_layers()
        problems = self.found.count("problem")
        warnings = self.found.count("warning")
        self.stdout.write(f"{problems} problem(s), {warnings} warning(s)")
        if problems or (fail_on == "warning" and warnings):
            sys.exit(1)

    def finding(self, level, what, page):
        assert level in LEVELS
        self.found.append(level)
        self.stdout.write(f"{level:8} {what}\n{'':8} see {GUIDE}{page}")

    def check_middleware(self):
        chain = middleware_chain(settings.MIDDLEWARE)
        self.stdout.write("MIDDLEWARE, from the top, and where Django runs each entry:")
        total = 0
        for _path, cls, runs_async in chain:
            hooks = trips(cls, runs_async)
            total += len(hooks)
            if not getattr(cls, "async_capable", False):
                does = "sync only"
            elif not getattr(cls, "sync_capable", True):
                does = "async only"
            else:
                does = "either"
            what = f"{len(hooks)} trip(s): process_" + "/".join(hooks) if hooks else ""
            mode = "async" if runs_async else "sync"
            self.stdout.write(
                f"  {mode:6} {cls.__name__[:26]:26} {does:10} {what}".rstrip()
            )
        sync_only = [
            path for path, cls, _ in chain if not getattr(cls, "async_capable", False)
        ]
        for path in sync_only:
            self.finding(
                "warning",
                f"{path}: sync only; a thread held per request below it",
                MIDDLEWARE_PAGE,
            )
        crossings = switches(chain)
        if crossings:
            what = f"the chain crosses between event loop and thread {crossings} times"
            self.finding("warning", what, MIDDLEWARE_PAGE)
        else:
            self.finding(
                "ok", "the middleware chain runs on the event loop", MIDDLEWARE_PAGE
            )
        what = f"{total} trip(s) to a thread per request for middleware hooks"
        self.finding("ok", what, TRIPS_PAGE)

    def check_thread_locals(self):
        names = [*settings.INSTALLED_APPS, *settings.MIDDLEWARE, settings.ROOT_URLCONF]
        found = thread_locals(names)
        for where, _line in found:
            what = f"threading.local() at {where}: per thread, not per request"
            self.finding("warning", what, THREAD_LOCAL_PAGE)
        if not found:
            packages = ", ".join(sorted({name.split(".")[0] for name in names}))
            self.finding("ok", f"no threading.local() in {packages}", THREAD_LOCAL_PAGE)

    def check_databases(self):
        views = None
        for alias, db in connections.settings.items():
            name = f"DATABASES[{alias!r}]"
            age = db["CONN_MAX_AGE"]
            pooled = db["OPTIONS"].get("pool") and db["ENGINE"].endswith(
                (".postgresql", ".oracle")
            )
            if pooled and age != 0:
                what = f"{name}: a pool with CONN_MAX_AGE = {age}: Django refuses it"
                self.finding("problem", what, CONNECTIONS_PAGE)
            elif age != 0:
                what = f"{name}: CONN_MAX_AGE = {age}: a new connection per request"
                self.finding("problem", what, CONNECTIONS_PAGE)
            else:
                how = "a pool" if pooled else "one connection per request"
                self.finding("ok", f"{name}: CONN_MAX_AGE = 0, {how}", CONNECTIONS_PAGE)
            if db["ATOMIC_REQUESTS"]:
                if views is None:
                    views = async_views(get_resolver().url_patterns)
                atomic = [
                    r
                    for r, v in views
                    if alias not in getattr(v, "_non_atomic_requests", ())
                ]
                if atomic:
                    what = f"{name}: ATOMIC_REQUESTS: {len(atomic)} async view(s) raise"
                    self.finding("problem", what, ATOMIC_PAGE)
                else:
                    what = f"{name}: ATOMIC_REQUESTS: any async view would raise"
                    self.finding("warning", what, ATOMIC_PAGE)

    def check_proxy(self):
        header = settings.SECURE_PROXY_SSL_HEADER
        if header:
            what = f"SECURE_PROXY_SSL_HEADER: {header[0]} trusted: only behind a proxy"
            self.finding("ok", what, PROXY_PAGE)
        elif settings.SECURE_SSL_REDIRECT:
            what = (
                "SECURE_SSL_REDIRECT without SECURE_PROXY_SSL_HEADER: a loop behind TLS"
            )
            self.finding("warning", what, PROXY_PAGE)
        else:
            what = "SECURE_PROXY_SSL_HEADER unset: no forwarded header trusted"
            self.finding("ok", what, PROXY_PAGE)

    def check_static_files(self):
        if "django.contrib.staticfiles" not in settings.INSTALLED_APPS:
            return
        if not settings.DEBUG and not settings.STATIC_ROOT:
            what = "DEBUG off and no STATIC_ROOT: collectstatic refuses to run"
            self.finding("problem", what, COLLECTSTATIC_PAGE)
        served_by = [path for path in settings.MIDDLEWARE if path in STATIC_MIDDLEWARE]
        for path in served_by:
            page = STATIC_MIDDLEWARE[path]
            if page:
                what = f"{path}: reads each file whole under ASGI"
                self.finding("warning", what, page)
            else:
                self.finding("ok", f"static files: served by {path}", STATIC_PAGE)
        if served_by:
            return
        url = urlsplit(settings.STATIC_URL or "")
        if url.netloc:
            self.finding("ok", f"static files: served from {url.netloc}", STATIC_PAGE)
            return
        try:
            resolve(url.path + "asgi-audit.css")
        except Resolver404:
            what = f"static files: nothing in the project serves {url.path}"
            self.finding("warning", what, STATIC_PAGE)
        else:
            self.finding(
                "ok", f"static files: the URLconf serves {url.path}", STATIC_PAGE
            )

    def check_channel_layers(self):
        for alias, layer in getattr(settings, "CHANNEL_LAYERS", {}).items():
            backend = layer.get("BACKEND", "")
            name = f"CHANNEL_LAYERS[{alias!r}]"
            if backend == "channels.layers.InMemoryChannelLayer":
                what = f"{name}: in-memory: messages never leave the process"
                self.finding("warning", what, CHANNEL_LAYER_PAGE)
            else:
                self.finding("ok", f"{name}: {backend}", CHANNEL_LAYER_PAGE)
