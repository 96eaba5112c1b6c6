"""The browser runtime's build (guide.browser_build.build, guide.browser_build.wheels) and, when built, its suites.

The Node suite (browser/test/runtime.test.mjs) and the Chromium smoke test
run only when $BROWSER_BUILD names a build (``python -m guide.browser_build.build
build/browser; BROWSER_BUILD=build/browser pytest tests/browser/test_browser_runtime.py``)
and, for Chromium, when playwright and /usr/bin/chromium are installed;
otherwise they are skipped, so the suite on each Django stays fast. The lock
file tests need pyodide-lock (requirements/browser-build.txt, Python >= 3.12)
and are skipped without it.
"""

import importlib.util
import io
import json
import marshal
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from packaging.markers import InvalidMarker

from guide.browser_build import build, bundles, held_files, pins, wheels
from guide.browser_build import lock as runtime_lock
from guide.paths import ROOT

OUTDIR = ROOT / os.environ.get("BROWSER_BUILD", "build/browser")


def test_requirements_are_pinned_with_hashes():
    pinned = pins.read_requirements()
    assert {"django", "asgiref", "sqlparse", "servestatic", "tzdata"} <= set(pinned)
    assert {"uvicorn", "click", "h11", "python-dotenv"} <= set(pinned)
    assert "channels" in pinned
    assert pinned["django"][0] == "6.1.3"
    for version, hashes in pinned.values():
        assert version and hashes


@pytest.mark.parametrize(
    ("marker", "expected"),
    [
        ('sys_platform == "win32"', False),
        ('extra == "brotli"', False),
        ('python_version >= "3.10"', True),
        ('python_version < "3.11" and sys_platform != "win32"', False),
        ('(sys_platform == "emscripten" or os_name == "nt") and python_version >= "3.14"', True),
        # ~= is "compatible release", not >=: ~=3.12 is >=3.12,==3.*; ~=3.14.1 is >=3.14.1,==3.14.*
        ('python_version ~= "3.12"', True),
        ('python_version ~= "3.14.1"', False),
        ('python_full_version ~= "3.14.1"', True),
        ('python_full_version ~= "3.13.0"', False),
        ('"emscripten" in sys_platform', True),
        ('"win" not in sys_platform and platform_machine == "wasm32"', True),
        ('platform_system == "Emscripten" and implementation_name == "cpython"', True),
    ],
)
def test_marker_applies(marker, expected):
    assert runtime_lock.marker_applies(marker) is expected


def test_marker_rejects_what_it_cannot_evaluate():
    with pytest.raises(InvalidMarker):
        runtime_lock.marker_applies('platform_release == "1" or __import__("os")')


def _wheel(path, files):
    return wheels.write_wheel(path, {**files, "pkg-1.0.dist-info/RECORD": b""})


def _check_record(path):
    """Every member of the wheel is in its RECORD, with the right hash and size."""
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        record_name = next(n for n in names if n.endswith(".dist-info/RECORD"))
        rows = [line.split(",") for line in z.read(record_name).decode().splitlines()]
        assert sorted(r[0] for r in rows) == sorted(names)
        for name, digest, size in rows:
            if name != record_name:
                data = z.read(name)
                assert (digest, size) == (wheels.record_hash(data), str(len(data))), name
    return names


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


DJANGO_METADATA = (
    b"Metadata-Version: 2.1\nName: Django\nVersion: 6.1.3\n"
    b"Requires-Dist: asgiref>=3.9.1\nRequires-Dist: sqlparse>=0.5.0\n"
    b'Requires-Dist: tzdata; sys_platform == "win32"\n'
    b'Requires-Dist: argon2-cffi>=23; extra == "argon2"\n'
    b'Requires-Dist: bcrypt; python_version ~= "3.14.1"\n'
)


def _fake_wheels(folder):
    """Source wheels of django (metadata above), asgiref and sqlparse, with .py files."""
    folder.mkdir(exist_ok=True)

    def dist(name, version, metadata=None):
        metadata = metadata or f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode()
        return _wheel(
            folder / f"{name}-{version}-py3-none-any.whl",
            {
                f"{name}/__init__.py": b"VALUE = 1\n",
                f"{name}/sub/mod.py": b"",
                "pkg-1.0.dist-info/METADATA": metadata,
                "pkg-1.0.dist-info/WHEEL": b"Wheel-Version: 1.0\nTag: py3-none-any\n",
            },
        )

    return [
        dist("django", "6.1.3", DJANGO_METADATA),
        dist("asgiref", "3.13.0"),
        dist("sqlparse", "0.6.1"),
    ]


def test_wheel_depends(tmp_path):
    django, *_ = _fake_wheels(tmp_path)
    assert runtime_lock.wheel_metadata(django).name == "Django"
    assert runtime_lock.wheel_depends(django) == ["asgiref", "sqlparse"]


def test_lock_entry(tmp_path):
    pytest.importorskip("pyodide_lock")
    sources = _fake_wheels(tmp_path / "src")
    (tmp_path / "out").mkdir()
    shipped = [wheels.compile_wheel(w, tmp_path / "out", "/site") for w in sources]
    upstream = tmp_path / "upstream-lock.json"
    info = {"abi_version": "2026_0", "arch": "wasm32", "platform": "emscripten_5_0_3"}
    upstream.write_text(json.dumps({"info": {**info, "python": "3.14.2"}, "packages": {}}))
    lock = runtime_lock.write_lock(tmp_path / "out", sources, shipped, upstream)
    assert lock == json.loads((tmp_path / "out" / "pyodide-lock.json").read_text())
    assert lock["info"]["python"] == "3.14.2"
    assert sorted(lock["packages"]) == ["asgiref", "django", "sqlparse"]
    entry = lock["packages"]["django"]
    assert entry["depends"] == ["asgiref", "sqlparse"]
    assert entry["imports"] == ["django"]  # found in the source wheel's .py files
    assert (
        entry["file_name"] == shipped[0].name == f"django-6.1.3-{wheels.wheel_tag()}-none-any.whl"
    )
    assert entry["sha256"] == build.sha256_file(shipped[0])
    assert entry["install_dir"] == "site"


def test_lock_rejects_a_dependency_not_shipped(tmp_path):
    pytest.importorskip("pyodide_lock")
    django, _asgiref, sqlparse = _fake_wheels(tmp_path)
    upstream = tmp_path / "upstream-lock.json"
    info = {"arch": "wasm32", "platform": "emscripten_5_0_3", "python": "3.14.2"}
    # asgiref is in Pyodide's lock but not shipped by us: the build must refuse.
    asgiref = {"name": "asgiref", "version": "3.0", "file_name": "asgiref-3.0-py3-none-any.whl"}
    upstream.write_text(
        json.dumps({"info": info, "packages": {"asgiref": {**asgiref, "install_dir": "site"}}})
    )
    with pytest.raises(SystemExit, match="asgiref"):
        runtime_lock.lock_spec([django, sqlparse], [django, sqlparse], upstream)


def test_lock_of_the_npm_package(tmp_path):
    """pyodide-lock reads Pyodide's own lock file, and its Python is MARKER_ENV's."""
    pytest.importorskip("pyodide_lock")
    if not runtime_lock.UPSTREAM_LOCK.exists():
        pytest.skip("node_modules/pyodide is missing (npm ci)")
    from pyodide_lock import PyodideLockSpec
    from pyodide_lock.utils import _get_marker_environment

    spec = PyodideLockSpec.from_json(runtime_lock.UPSTREAM_LOCK)
    assert spec.info.python == runtime_lock.MARKER_ENV["python_full_version"]
    assert len(spec.packages) > 100
    theirs = _get_marker_environment(**spec.info.to_dict())
    for key in ("sys_platform", "platform_system", "os_name", "platform_machine"):
        assert theirs[key] == runtime_lock.MARKER_ENV[key], key
    for key in ("python_version", "python_full_version", "implementation_name"):
        assert theirs[key] == runtime_lock.MARKER_ENV[key], key
    sources = _fake_wheels(tmp_path)
    lock = runtime_lock.lock_spec(sources, sources).to_dict()
    assert lock["packages"]["django"]["depends"] == ["asgiref", "sqlparse"]


def test_write_wheel_is_reproducible_with_a_complete_record(tmp_path):
    files = {"b.py": b"B = 2\n", "a/__init__.py": b"", "pkg-1.0.dist-info/METADATA": b"Name: pkg\n"}
    one, two = _wheel(tmp_path / "one.whl", files), _wheel(tmp_path / "two.whl", files)
    assert one.read_bytes() == two.read_bytes()
    assert _check_record(one)[-1] == "pkg-1.0.dist-info/RECORD"


def test_compile_wheel(tmp_path):
    source = _fake_wheels(tmp_path)[1]
    compiled = wheels.compile_wheel(source, tmp_path, "/site")
    names = _check_record(compiled)
    assert "asgiref/__init__.pyc" in names and "asgiref/sub/mod.pyc" in names
    assert not [n for n in names if n.endswith(".py")]
    with zipfile.ZipFile(compiled) as z:
        assert f"Tag: {wheels.wheel_tag()}-none-any" in z.read("pkg-1.0.dist-info/WHEEL").decode()
        pyc = z.read("asgiref/__init__.pyc")
    assert pyc[:4] == importlib.util.MAGIC_NUMBER
    namespace = {}
    exec(marshal.loads(pyc[16:]), namespace)
    assert namespace["VALUE"] == 1


def test_add_unchecked_pycs():
    files = wheels.add_unchecked_pycs({"manage.py": b"", "polls/models.py": b"X = 1\n"}, "/p")
    tag = sys.implementation.cache_tag
    assert set(files) == {
        "manage.py",
        "polls/models.py",
        f"__pycache__/manage.{tag}.pyc",
        f"polls/__pycache__/models.{tag}.pyc",
    }
    # flags: hash-based (1), not checked (no 2)
    assert int.from_bytes(files[f"polls/__pycache__/models.{tag}.pyc"][4:8], "little") == 1


def test_project_files_leave_out_local_state_and_the_projects_tests():
    names = build.project_files()
    assert "manage.py" in names and "polls/models.py" in names
    assert not [
        n
        for n in names
        if "__pycache__" in n or n.startswith(("db.sqlite3", "staticfiles", "tests/", "pytest.ini"))
    ]


needs_build = pytest.mark.skipif(
    "BROWSER_BUILD" not in os.environ
    or not (OUTDIR / "pyodide" / "manifest.json").exists()
    or not shutil.which("node"),
    reason="set BROWSER_BUILD to a build of guide.browser_build.build (and have node) to run",
)


# One test per file of the Node suite, so that the two workers share them
# (node --test runs its files one at a time on a 2-core machine). The two that
# boot the runtime take half a minute or more: they start first.
NODE_TESTS = sorted((ROOT / "browser" / "test").glob("*.test.mjs"))
BOOTS_THE_RUNTIME = {"runtime.test.mjs", "runner-worker.test.mjs"}


@needs_build
@pytest.mark.parametrize(
    "test_file",
    [
        pytest.param(path, id=path.name, marks=[pytest.mark.slow])
        if path.name in BOOTS_THE_RUNTIME
        else pytest.param(path, id=path.name)
        for path in NODE_TESTS
    ],
)
def test_node_suite(test_file):
    env = {**os.environ, "BROWSER_BUILD": str(OUTDIR)}
    result = subprocess.run(
        ["node", "--test", str(test_file)], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
    assert "# pass 0\n" not in result.stdout, f"{test_file.name} ran no test"


def test_every_file_of_the_node_suite_is_run():
    assert {path.name for path in NODE_TESTS} >= BOOTS_THE_RUNTIME
    assert len(NODE_TESTS) >= 9


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


def test_bundle_round_trip(tmp_path):
    files = {"b/x.pyc": b"\x00\x01", "a.py": b"A = 1\n", "empty.txt": b""}
    path = bundles.write_bundle(tmp_path / "x.bundle", "/lib/site", files)
    assert bundles.read_bundle(path) == ("/lib/site", files)
    path.write_bytes(path.read_bytes() + b"extra")
    with pytest.raises(ValueError, match="5 bytes after the last file"):
        bundles.read_bundle(path)


def test_restored_bundles_empty_only_the_files_of_held_modules(tmp_path):
    site = {"django/__init__.pyc": b"held", "django/templatetags/i18n.pyc": b"held too"}
    site |= {"django/contrib/admin/models.pyc": b"not imported", "tzdata/zones": b"data"}
    bundles.write_bundle(tmp_path / "django.bundle", "/lib/site", site)
    bundles.write_bundle(tmp_path / "project.bundle", "/home/p", {"manage.py": b"main()"})
    held = ["/lib/site/django/__init__.pyc", "/lib/site/django/templatetags/i18n.pyc"]
    held.append("/lib/python314.zip/os.py")  # the standard library stays whole

    names, emptied, later = held_files.write_restored_bundles(
        tmp_path, ["django.bundle", "project.bundle"], held
    )

    assert names == ["django.restored.bundle", "project.bundle"]
    assert emptied == {
        "django.restored.bundle": ["django/__init__.pyc", "django/templatetags/i18n.pyc"]
    }
    root, files = bundles.read_bundle(tmp_path / "django.restored.bundle")
    # Every name stays (Django lists templatetags folders), the held ones empty.
    assert root == "/lib/site" and files.keys() == site.keys()
    assert {name for name, data in files.items() if not data} == set(emptied[names[0]])
    assert files["django/contrib/admin/models.pyc"] == b"not imported"
    assert not (tmp_path / "project.restored.bundle").exists()
    assert later == {} and "later" not in bundles.read_header(tmp_path / names[0])


def test_files_the_start_does_not_read_move_to_later_bundles(tmp_path):
    """Grouped by the first runs that read them, else by package (small ones together)."""
    big = b"x" * held_files.GROUP_MIN_BYTES
    site = {"django/__init__.pyc": b"held", "django/contrib/auth/models.pyc": b"read"}
    site |= {"django/db/a.pyc": b"run 1", "django/db/b.pyc": b"runs 1, 2", "django/c.pyc": b"all"}
    site |= {"django/core/management/base.pyc": big, "django/db/x.pyc": b"small", "a.html": b"<p>"}
    bundles.write_bundle(tmp_path / "django.bundle", "/lib/site", site)
    bundles.write_bundle(tmp_path / "project.bundle", "/home/p", {"manage.py": b"main()"})
    held = ["/lib/site/django/__init__.pyc"]
    start = ["/lib/site/django/contrib/auth/models.pyc", "/lib/site/django/__init__.pyc"]
    runs = [
        ["/lib/site/django/db/a.pyc", "/lib/site/django/db/b.pyc", "/lib/site/django/c.pyc"],
        ["/lib/site/django/db/b.pyc", "/lib/site/django/c.pyc", "/home/p/manage.py"],
        ["/lib/site/django/c.pyc"],
    ]

    names, emptied, later = held_files.write_restored_bundles(
        tmp_path, ["django.bundle", "project.bundle"], held, start, runs
    )

    assert names == ["django.restored.bundle", "project.bundle"]
    assert emptied == {"django.restored.bundle": ["django/__init__.pyc"]}
    site_path = "/lib/site/"
    assert later == {
        # read by the first run only, then by the first two (in the order of the runs)
        "django.later.first1.bundle": [site_path + "django/db/a.pyc"],
        "django.later.first2.bundle": [site_path + "django/db/b.pyc"],
        # read by none: by package, the small ones in "rest"
        "django.later.django-core.bundle": [site_path + "django/core/management/base.pyc"],
        "django.later.rest.bundle": [site_path + "a.html", site_path + "django/db/x.pyc"],
    }
    # What the start or every first run reads stays; the held files, empty.
    root, files = bundles.read_bundle(tmp_path / "django.restored.bundle")
    assert files == {
        "django/__init__.pyc": b"",
        "django/c.pyc": b"all",
        "django/contrib/auth/models.pyc": b"read",
    }
    listing = bundles.read_header(tmp_path / "django.restored.bundle")["later"]
    assert [entry["bundle"] for entry in listing] == sorted(later)
    assert {
        "bundle": "django.later.rest.bundle",
        "files": [["a.html", 3], ["django/db/x.pyc", 5]],
    } in listing
    assert bundles.read_bundle(tmp_path / "django.later.first2.bundle") == (
        "/lib/site",
        {"django/db/b.pyc": b"runs 1, 2"},
    )
    # The project's bundle holds nothing the snapshot holds: it stays whole.
    assert not list(tmp_path.glob("project.*.bundle"))


def test_later_groups_are_packages_and_django_s_subpackages():
    assert held_files.later_group("click/core.pyc") == "click"
    assert held_files.later_group("django/db/models/sql/query.pyc") == "django-db"
    assert held_files.later_group("django/contrib/admin/sites.pyc") == "django-contrib-admin"
    assert held_files.later_group("django/shortcuts.pyc") == "django"
    assert held_files.later_group("Django-6.1.dist-info/RECORD") == "rest"
    assert held_files.later_group("_cffi_backend.so") == "rest"


def test_other_djangos_are_pinned_with_hashes(tmp_path):
    found = pins.read_other_djangos()
    assert set(found) == {"5.2", "6.0"}
    for minor, (version, hashes) in found.items():
        assert version.startswith(minor + ".") and hashes
    bad = tmp_path / "bad.txt"
    bad.write_text("django==5.2.19\n")
    with pytest.raises(SystemExit, match="--hash"):
        pins.read_other_djangos(bad)


def test_store_zip_keeps_every_member_uncompressed(tmp_path):
    """The standard library's zip is re-stored: the host's brotli then compresses it whole."""
    source = tmp_path / "deflated.zip"
    members = {"os.pyc": b"\0" * 5000 + b"os", "json/__init__.pyc": b"json" * 900, "empty/": b""}
    with zipfile.ZipFile(source, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(zipfile.ZipInfo(name, (2025, 1, 2, 3, 4, 6)), data, zipfile.ZIP_DEFLATED)
    target = tmp_path / "stored.zip"
    build.store_zip(source, target)
    with zipfile.ZipFile(target) as z:
        assert z.namelist() == list(members)
        for info in z.infolist():
            assert info.compress_type == zipfile.ZIP_STORED, info.filename
            assert info.date_time == (2025, 1, 2, 3, 4, 6)
            assert z.read(info) == members[info.filename]
    again = tmp_path / "again.zip"
    build.store_zip(source, again)
    assert again.read_bytes() == target.read_bytes(), "the same bytes on every build"


@needs_build
def test_the_built_standard_library_is_stored_with_npm_s_files():
    with zipfile.ZipFile(build.PYODIDE_NPM / "python_stdlib.zip") as z:
        npm = {info.filename: info.CRC for info in z.infolist()}
    with zipfile.ZipFile(OUTDIR / "pyodide" / "python_stdlib.zip") as z:
        built = {info.filename: info.CRC for info in z.infolist()}
        assert {info.compress_type for info in z.infolist()} == {zipfile.ZIP_STORED}
    assert built == npm
