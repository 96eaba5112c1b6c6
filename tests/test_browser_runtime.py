"""The browser runtime's build script (stdlib parts) and, when built, its Node and Chromium suites.

The Node suite (browser/test/runtime.test.mjs) and the Chromium smoke test
run only when $BROWSER_BUILD names a build (``python browser/build.py
build/browser; BROWSER_BUILD=build/browser pytest tests/test_browser_runtime.py``)
and, for Chromium, when playwright and /usr/bin/chromium are installed;
otherwise they are skipped, so the suite on each Django stays fast.
"""

import importlib.util
import io
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OUTDIR = ROOT / os.environ.get("BROWSER_BUILD", "build/browser")


def _load_build():
    spec = importlib.util.spec_from_file_location("browser_build", ROOT / "browser" / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build = _load_build()


def test_requirements_are_pinned_with_hashes():
    pins = build.read_requirements()
    assert set(pins) == {"django", "asgiref", "sqlparse", "servestatic", "tzdata"}
    assert pins["django"][0] == "6.1.3"
    for version, hashes in pins.values():
        assert version and hashes


@pytest.mark.parametrize(
    ("marker", "expected"),
    [
        ('sys_platform == "win32"', False),
        ('extra == "brotli"', False),
        ('python_version >= "3.10"', True),
        ('python_version < "3.11" and sys_platform != "win32"', False),
        ('(sys_platform == "emscripten" or os_name == "nt") and python_version >= "3.14"', True),
    ],
)
def test_marker_applies(marker, expected):
    assert build.marker_applies(marker) is expected


def test_marker_rejects_what_it_cannot_evaluate():
    with pytest.raises(SystemExit):
        build.marker_applies('platform_release == "1" or __import__("os")')


def _wheel(path, files):
    build.write_wheel(path, {**files, "pkg-1.0.dist-info/RECORD": b""})
    return path


def test_slim_django_strips_and_rewrites_record(tmp_path):
    source = _wheel(
        tmp_path / "django-6.1.3-py3-none-any.whl",
        {
            "django/__init__.py": b"",
            "django/conf/locale/__init__.py": b"LANG_INFO = {}",
            "django/conf/locale/en/LC_MESSAGES/django.mo": b"mo",
            "django/conf/locale/en/LC_MESSAGES/django.po": b"po",
            "django/conf/locale/fr/LC_MESSAGES/django.mo": b"mo",
            "django/contrib/admin/static/admin/css/base.css": b"css",
            "django/contrib/gis/__init__.py": b"",
            "django/db/backends/postgresql/base.py": b"",
            "django/db/backends/sqlite3/base.py": b"",
            "pkg-1.0.dist-info/METADATA": b"Name: django\nVersion: 6.1.3\n",
        },
    )
    out = tmp_path / "out"
    out.mkdir()
    slim, stripped = build.slim_django(source, out)
    with zipfile.ZipFile(slim) as z:
        names = set(z.namelist())
        record = z.read("pkg-1.0.dist-info/RECORD").decode()
    assert names == {
        "django/__init__.py",
        "django/conf/locale/__init__.py",
        "django/conf/locale/en/LC_MESSAGES/django.mo",
        "django/db/backends/sqlite3/base.py",
        "pkg-1.0.dist-info/METADATA",
        "pkg-1.0.dist-info/RECORD",
    }
    assert "fr/" not in record and "django/__init__.py,sha256=" in record
    assert sum(v["files"] for v in stripped.values()) == 5


def test_lock_entry(tmp_path):
    wheel = _wheel(
        tmp_path / "django-6.1.3-py3-none-any.whl",
        {
            "django/__init__.py": b"",
            "pkg-1.0.dist-info/METADATA": (
                b"Metadata-Version: 2.1\nName: Django\nVersion: 6.1.3\n"
                b"Requires-Dist: asgiref>=3.9.1\nRequires-Dist: sqlparse>=0.5.0\n"
                b'Requires-Dist: tzdata; sys_platform == "win32"\n'
                b'Requires-Dist: argon2-cffi>=23; extra == "argon2"\n'
            ),
        },
    )
    name, entry = build.lock_entry(wheel, {"django", "asgiref", "sqlparse", "tzdata"})
    assert name == "django"
    assert entry["depends"] == ["asgiref", "sqlparse"]
    assert entry["imports"] == ["django"]
    assert entry["file_name"] == wheel.name
    assert entry["sha256"] == build.sha256_file(wheel)


def test_project_files_leave_out_local_state():
    names = build.project_files()
    assert "manage.py" in names and "polls/models.py" in names
    assert not [
        n for n in names if "__pycache__" in n or n.startswith(("db.sqlite3", "staticfiles"))
    ]


needs_build = pytest.mark.skipif(
    "BROWSER_BUILD" not in os.environ
    or not (OUTDIR / "pyodide" / "manifest.json").exists()
    or not shutil.which("node"),
    reason="set BROWSER_BUILD to a build of browser/build.py (and have node) to run",
)


@needs_build
def test_node_suite():
    tests = sorted(str(p) for p in (ROOT / "browser" / "test").glob("*.test.mjs"))
    env = {**os.environ, "BROWSER_BUILD": str(OUTDIR)}
    result = subprocess.run(
        ["node", "--test", *tests], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]


@needs_build
def test_chromium_smoke():
    pytest.importorskip("playwright")
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("no /usr/bin/chromium")
    result = subprocess.run(
        [sys.executable, str(ROOT / "browser" / "test" / "chromium_smoke.py"), str(OUTDIR)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
    report = json.load(io.StringIO(result.stdout))
    assert report["jspi"] is True
