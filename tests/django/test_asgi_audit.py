"""``manage.py asgi_audit`` (examples/mysite/polls/management/commands/asgi_audit.py).

On the example: what the auditing page shows it printing, and what each of the
example's switches (ATOMIC_REQUESTS, the in-memory channel layer, a pool with
CONN_MAX_AGE, the production settings) makes it find. On a project made by
``django-admin startproject``, the file copied into an app of its own, each
deliberate mistake gives its finding and the exit status follows; and where a
finding says what Django does, Django is asked too (its adaptation log lines,
``make_view_atomic()``, ``collectstatic``, the pool's refusal).
"""

import re
import shutil
import subprocess
import sys
import textwrap

import pytest

from guide.content import output_match, transcripts
from guide.paths import EXAMPLE_DIR, ROOT
from guide.services.processes import example_env

COMMAND = EXAMPLE_DIR / "polls" / "management" / "commands" / "asgi_audit.py"
CONSOLE = ROOT / "snippets" / "howto" / "auditing" / "asgi_audit.console"


def audit(*args, cwd=EXAMPLE_DIR, **env):
    result = subprocess.run(
        [sys.executable, "manage.py", "asgi_audit", *args],
        cwd=cwd,
        env=example_env(**env),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert not result.stderr, result.stderr
    return result


def findings(output):
    """``[(level, what)]`` of the command's output."""
    return re.findall(r"^(ok|warning|problem) +(.*)$", output, re.M)


# --- The example ------------------------------------------------------------------


def test_the_page_shows_what_it_prints_on_the_example():
    (step,) = transcripts.parse(CONSOLE)
    assert step.command == "python manage.py asgi_audit"
    result = audit()
    assert result.returncode == 0
    assert output_match.matches(list(step.expected), result.stdout), result.stdout
    assert [level for level, _ in findings(result.stdout)] == ["ok"] * 6


@pytest.mark.parametrize(
    ("env", "level", "what", "status"),
    [
        (
            {"MYSITE_ATOMIC_REQUESTS": "1"},
            "problem",
            "DATABASES['default']: ATOMIC_REQUESTS: 7 async view(s) raise",
            1,
        ),
        (
            {"MYSITE_CHANNEL_LAYER": "memory"},
            "warning",
            "CHANNEL_LAYERS['default']: in-memory: messages never leave the process",
            0,
        ),
        (
            {"MYSITE_DB": "postgres", "MYSITE_CONN_MAX_AGE": "60"},
            "problem",
            "DATABASES['default']: CONN_MAX_AGE = 60: a new connection per request",
            1,
        ),
        (
            {"MYSITE_DB": "postgres", "MYSITE_CONN_MAX_AGE": "60", "MYSITE_PG_POOL": "1"},
            "problem",
            "DATABASES['default']: a pool with CONN_MAX_AGE = 60: Django refuses it",
            1,
        ),
        (
            {"MYSITE_DB": "postgres", "MYSITE_PG_POOL": "2:10"},
            "ok",
            "DATABASES['default']: CONN_MAX_AGE = 0, a pool",
            0,
        ),
        (
            {
                "DJANGO_SETTINGS_MODULE": "mysite.settings_production",
                "DJANGO_SECRET_KEY": "x" * 50,
                "DJANGO_ALLOWED_HOSTS": "polls.example",
            },
            "ok",
            "SECURE_PROXY_SSL_HEADER: HTTP_X_FORWARDED_PROTO trusted: only behind a proxy",
            0,
        ),
    ],
)
def test_the_examples_switches(env, level, what, status):
    result = audit(**env)
    assert (level, what) in findings(result.stdout), result.stdout
    assert result.returncode == status, result.stdout


def test_fail_on_warning():
    assert audit("--fail-on", "warning").returncode == 0
    result = audit("--fail-on", "warning", MYSITE_CHANNEL_LAYER="memory")
    assert result.returncode == 1
    assert result.stdout.endswith("0 problem(s), 1 warning(s)\n")


# --- A project made by startproject ---------------------------------------------------

LEGACY = """\
class LegacyMiddleware:  # written the pre-3.1 way: sync only
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)
"""

CURRENT_USER = """\
import threading

_state = threading.local()
"""

ASYNC_URLS = """\
from django.http import HttpResponse
from django.urls import path
from django.db import transaction


async def fast(request):
    return HttpResponse("fast")


@transaction.non_atomic_requests
async def exempt(request):
    return HttpResponse("exempt")


def slow(request):
    return HttpResponse("slow")


urlpatterns = [path("fast/", fast), path("exempt/", exempt), path("slow/", slow)]
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """``startproject proj``, with an app ``auditapp`` holding a copy of the command."""
    root = tmp_path_factory.mktemp("startproject")
    subprocess.run(
        [sys.executable, "-m", "django", "startproject", "proj", str(root)],
        check=True,
        timeout=60,
    )
    commands = root / "auditapp" / "management" / "commands"
    commands.mkdir(parents=True)
    for folder in (root / "auditapp", commands.parent, commands):
        (folder / "__init__.py").write_text("")
    shutil.copyfile(COMMAND, commands / "asgi_audit.py")
    (root / "auditapp" / "legacy.py").write_text(LEGACY)
    (root / "auditapp" / "urls_async.py").write_text(ASYNC_URLS)
    (root / "currentuser").mkdir()
    (root / "currentuser" / "__init__.py").write_text(CURRENT_USER)
    (root / "whitenoise").mkdir()  # WhiteNoise's middleware path, sync only
    (root / "whitenoise" / "__init__.py").write_text("")
    (root / "whitenoise" / "middleware.py").write_text(
        LEGACY.replace("LegacyMiddleware", "WhiteNoiseMiddleware")
    )
    settings = root / "proj" / "settings.py"
    settings.write_text(settings.read_text() + '\nINSTALLED_APPS += ["auditapp"]\n')
    return root


def run_case(project, name, changes, *args):
    """The command under ``proj.settings`` plus ``changes``; the result."""
    module = f"case_{name}"
    text = "from .settings import *  # noqa\n" + textwrap.dedent(changes)
    (project / "proj" / f"{module}.py").write_text(text)
    return audit(*args, cwd=project, DJANGO_SETTINGS_MODULE=f"proj.{module}")


def test_a_new_project_has_no_problem_and_one_warning(project):
    result = run_case(project, "clean", "")
    assert result.returncode == 0, result.stdout
    assert [f for f in findings(result.stdout) if f[0] != "ok"] == [
        ("warning", "static files: nothing in the project serves /static/"),
    ]
    assert "no threading.local() in auditapp, django, proj" in result.stdout
    assert run_case(project, "clean", "", "--fail-on", "warning").returncode == 1


MISTAKES = {
    "conn_max_age": (
        'DATABASES["default"]["CONN_MAX_AGE"] = 600',
        [("problem", "DATABASES['default']: CONN_MAX_AGE = 600: a new connection per request")],
        1,
    ),
    "atomic_requests": (
        'DATABASES["default"]["ATOMIC_REQUESTS"] = True',
        [("warning", "DATABASES['default']: ATOMIC_REQUESTS: any async view would raise")],
        0,
    ),
    "atomic_requests_async_views": (
        """\
        DATABASES["default"]["ATOMIC_REQUESTS"] = True
        ROOT_URLCONF = "auditapp.urls_async"
        """,
        [("problem", "DATABASES['default']: ATOMIC_REQUESTS: 1 async view(s) raise")],
        1,
    ),
    "sync_middleware": (
        'MIDDLEWARE = [*MIDDLEWARE, "auditapp.legacy.LegacyMiddleware"]',
        [
            (
                "warning",
                "auditapp.legacy.LegacyMiddleware: sync only; a thread held per request below it",
            ),
            ("warning", "the chain crosses between event loop and thread 2 times"),
        ],
        0,
    ),
    "thread_local": (
        'INSTALLED_APPS = [*INSTALLED_APPS, "currentuser"]',
        [
            (
                "warning",
                "threading.local() at currentuser/__init__.py:3: per thread, not per request",
            )
        ],
        0,
    ),
    "debug_off": (
        """\
        DEBUG = False
        ALLOWED_HOSTS = ["proj.example"]
        """,
        [("problem", "DEBUG off and no STATIC_ROOT: collectstatic refuses to run")],
        1,
    ),
    "whitenoise": (
        """\
        MIDDLEWARE = [MIDDLEWARE[0], "whitenoise.middleware.WhiteNoiseMiddleware", *MIDDLEWARE[1:]]
        """,
        [
            (
                "warning",
                "whitenoise.middleware.WhiteNoiseMiddleware: sync only; a thread held per request below it",
            ),
            ("warning", "the chain crosses between event loop and thread 2 times"),
            (
                "warning",
                "whitenoise.middleware.WhiteNoiseMiddleware: reads each file whole under ASGI",
            ),
        ],
        0,
    ),
    "ssl_redirect": (
        "SECURE_SSL_REDIRECT = True",
        [("warning", "SECURE_SSL_REDIRECT without SECURE_PROXY_SSL_HEADER: a loop behind TLS")],
        0,
    ),
    "in_memory_layer": (
        'CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}',
        [("warning", "CHANNEL_LAYERS['default']: in-memory: messages never leave the process")],
        0,
    ),
    "pool_and_conn_max_age": (
        """\
        DATABASES = {"default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": "proj",
            "CONN_MAX_AGE": 60,
            "OPTIONS": {"pool": True},
        }}
        """,
        [("problem", "DATABASES['default']: a pool with CONN_MAX_AGE = 60: Django refuses it")],
        1,
    ),
}
# The clean project's one warning, gone where a mistake serves static files.
STATIC_WARNING = ("warning", "static files: nothing in the project serves /static/")


@pytest.mark.parametrize("name", MISTAKES)
def test_each_mistake_gives_its_finding(project, name):
    changes, expected, status = MISTAKES[name]
    result = run_case(project, name, changes)
    found = [f for f in findings(result.stdout) if f[0] != "ok" and f != STATIC_WARNING]
    assert found == expected, result.stdout
    assert result.returncode == status, result.stdout


# What Django itself does with the same settings, asked in the same project.
DJANGO_SAYS = """\
import logging
from django.conf import settings
from django.core.handlers.asgi import ASGIHandler
from auditapp.management.commands import asgi_audit

lines = []
logger = logging.getLogger("django.request")
logger.setLevel(logging.DEBUG)
logger.addHandler(type("H", (logging.Handler,), {"emit": lambda s, r: lines.append(r)})())
handler = ASGIHandler()
chain = asgi_audit.middleware_chain(settings.MIDDLEWARE)
top_is_sync = not chain[0][2]
print("django", len(lines) + top_is_sync, "audit", asgi_audit.switches(chain))
sync_chain = [p for p, _, runs_async in chain if not runs_async]
print("sync", sync_chain)
"""


@pytest.mark.parametrize(
    "middleware",
    [
        "MIDDLEWARE",
        '[*MIDDLEWARE, "auditapp.legacy.LegacyMiddleware"]',
        '["auditapp.legacy.LegacyMiddleware", *MIDDLEWARE]',
        '[MIDDLEWARE[0], "auditapp.legacy.LegacyMiddleware", *MIDDLEWARE[1:],'
        ' "auditapp.legacy.LegacyMiddleware"]',
    ],
)
def test_the_crossings_are_djangos_adaptations(project, middleware):
    """Django logs each adaptation of the chain (DEBUG on), but for the top one."""
    (project / "proj" / "case_chain.py").write_text(
        f"from .settings import *  # noqa\nDEBUG = True\nMIDDLEWARE = {middleware}\n"
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-v", "0", "-c", DJANGO_SAYS],
        cwd=project,
        env=example_env(DJANGO_SETTINGS_MODULE="proj.case_chain"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    counts = re.search(r"^django (\d+) audit (\d+)$", result.stdout, re.M)
    assert counts, result.stdout + result.stderr
    assert counts[1] == counts[2]
    if middleware == "MIDDLEWARE":
        assert counts[1] == "0"
    else:
        assert int(counts[1]) > 0


def django_shell(project, name, changes, code):
    (project / "proj" / f"case_{name}.py").write_text(
        "from .settings import *  # noqa\n" + textwrap.dedent(changes)
    )
    return subprocess.run(
        [sys.executable, "manage.py", "shell", "-v", "0", "-c", code],
        cwd=project,
        env=example_env(DJANGO_SETTINGS_MODULE=f"proj.case_{name}"),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_async_views_found_are_those_django_refuses_under_atomic_requests(project):
    code = (
        "from django.core.handlers.base import BaseHandler\n"
        "from django.urls import resolve\n"
        "for url in ('/fast/', '/exempt/', '/slow/'):\n"
        "    try:\n"
        "        BaseHandler().make_view_atomic(resolve(url).func)\n"
        "    except RuntimeError as exc:\n"
        "        print(url, exc)\n"
    )
    changes = MISTAKES["atomic_requests_async_views"][0]
    result = django_shell(project, "atomic_requests_async_views", changes, code)
    assert result.stdout == "/fast/ You cannot use ATOMIC_REQUESTS with async views.\n", (
        result.stdout + result.stderr
    )


def test_django_refuses_a_pool_with_conn_max_age(project):
    code = "from django.db import connection\nconnection.pool\n"
    result = django_shell(
        project, "pool_and_conn_max_age", MISTAKES["pool_and_conn_max_age"][0], code
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured: Pooling doesn't support persistent connections." in (
        result.stderr
    )


def test_collectstatic_refuses_to_run_without_static_root(project):
    changes = MISTAKES["debug_off"][0]
    django_shell(project, "debug_off", changes, "")
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input"],
        cwd=project,
        env=example_env(DJANGO_SETTINGS_MODULE="proj.case_debug_off"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "without having set the STATIC_ROOT setting" in result.stderr


def test_a_sync_only_middleware_at_the_end_of_the_examples_list(tmp_path):
    """The auditing page's case: every "either" entry above it runs sync."""
    (tmp_path / "legacy.py").write_text(LEGACY)
    (tmp_path / "audit_legacy.py").write_text(
        "from mysite.settings import *  # noqa\n"
        'MIDDLEWARE = [*MIDDLEWARE, "legacy.LegacyMiddleware"]  # noqa: F405\n'
    )
    result = audit(DJANGO_SETTINGS_MODULE="audit_legacy", PYTHONPATH=tmp_path)
    assert result.returncode == 0
    modes = re.findall(r"^  (async|sync) +(\w+)", result.stdout, re.M)
    assert modes[:3] == [
        ("async", "SecurityMiddleware"),
        ("async", "ServeStaticMiddleware"),
        ("sync", "SessionMiddleware"),
    ]
    assert {mode for mode, _ in modes[2:]} == {"sync"}
    assert [f for f in findings(result.stdout) if f[0] != "ok"] == [
        ("warning", "legacy.LegacyMiddleware: sync only; a thread held per request below it"),
        ("warning", "the chain crosses between event loop and thread 2 times"),
    ]
