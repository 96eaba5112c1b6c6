"""Sessions for the runnable guide: serve the site, run the example, test everything.

nox              # what CI runs: lint, tests on every Django, docs, browser
nox -s serve     # the site on http://127.0.0.1:8000/
nox -s example   # the example project under uvicorn on 127.0.0.1:8001
nox -s tests     # the test suite on Django 5.2, 6.0 and 6.1
nox -s docs      # strict site build + every snippet as a doctest
nox -s browser   # the built site in headless Chromium
"""

import os
from pathlib import Path

import nox

ROOT = Path(__file__).resolve().parent
EXAMPLE = ROOT / "examples" / "mysite"

# Each supported Django release on a Python it supports (Django 6.x needs 3.12+).
MATRIX = [("3.11", "5.2"), ("3.12", "6.0"), ("3.13", "6.1")]
DEFAULT_PYTHON, DEFAULT_DJANGO = MATRIX[-1]

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = ["lint", "tests", "docs", "browser"]
# A missing Python is a failure, never a silently skipped Django version.
nox.options.error_on_missing_interpreters = True
# Never let uv download an interpreter: use the ones on this machine.
os.environ.setdefault("UV_PYTHON_DOWNLOADS", "never")
os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")


def _add_pyenv_pythons_to_path():
    """Make pyenv's 3.11-3.13 findable as python3.X even if `pyenv global` lists one.

    pyenv's shims answer for every installed version but fail for the ones not
    selected, so put each version's own bin directory first on PATH.
    """
    root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    extra = []
    for version, _ in MATRIX:
        found = sorted(root.glob(f"{version}.*/bin/python{version}"), reverse=True)
        if found:
            extra.append(str(found[0].parent))
    if extra:
        os.environ["PATH"] = os.pathsep.join([*extra, os.environ.get("PATH", "")])


_add_pyenv_pythons_to_path()


def install_django(session, django):
    session.install(f"django~={django}.0")


def npm_ci(session):
    """Install the npm packages the site serves (Mermaid, Pyodide) if out of date."""
    marker = ROOT / "node_modules" / ".package-lock.json"
    lock = ROOT / "package-lock.json"
    if not lock.exists():
        return
    if not marker.exists() or marker.stat().st_mtime < lock.stat().st_mtime:
        session.run("npm", "ci", "--no-audit", "--no-fund", external=True)


RUNTIME_OUT = ROOT / "build" / "browser"


def _runtime_inputs_digest():
    """A hash of everything the browser runtime is built from."""
    import hashlib

    paths = [ROOT / "package-lock.json", ROOT / "requirements" / "browser.txt"]
    for folder in (ROOT / "browser", EXAMPLE):
        for path in sorted(folder.rglob("*")):
            rel = path.relative_to(ROOT).as_posix()
            skip = ("/.cache/", "/test/", "__pycache__", "/staticfiles/", "db.sqlite3")
            if path.is_file() and not any(part in f"/{rel}" for part in skip):
                paths.append(path)
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


def build_runtime(session):
    """Build the browser runtime (Pyodide + Django + the example) unless up to date."""
    npm_ci(session)
    stamp = RUNTIME_OUT / ".inputs-sha256"
    digest = _runtime_inputs_digest()
    if stamp.exists() and stamp.read_text() == digest:
        session.log(f"browser runtime in {RUNTIME_OUT.relative_to(ROOT)} is up to date")
        return
    session.install("pip")  # browser/build.py downloads the pinned wheels with pip
    session.run("python", "browser/build.py", str(RUNTIME_OUT))
    stamp.write_text(digest)


def build_site(session, site_dir):
    """``mkdocs build --strict``; prints how long it took."""
    import time

    npm_ci(session)
    started = time.perf_counter()
    session.run("mkdocs", "build", "--strict", "--quiet", "-d", str(site_dir))
    session.log(f"site built in {time.perf_counter() - started:.1f} s")


@nox.session(python=DEFAULT_PYTHON)
def example(session):
    """Run the example project under uvicorn on http://127.0.0.1:8001/ (Ctrl+C stops it)."""
    install_django(session, DEFAULT_DJANGO)
    session.install("-r", "requirements/example.txt")
    session.chdir(EXAMPLE)
    session.run("python", "manage.py", "migrate", "--no-input")
    session.run("python", "manage.py", "loaddata", "sample_questions")
    app = session.posargs[0] if session.posargs else "mysite.asgi_wrapped:application"
    session.run("uvicorn", app, "--host", "127.0.0.1", "--port", "8001")


@nox.session
@nox.parametrize(("python", "django"), MATRIX, ids=[f"django{d}" for _, d in MATRIX])
def tests(session, django):
    """The test suite against one Django release: real uvicorn, real HTTP, real SQLite."""
    install_django(session, django)
    session.install("-r", "requirements/tests.txt", "-r", "requirements/docs.txt")
    npm_ci(session)
    session.run(
        "python",
        "-c",
        "import django, sys; print('Django', django.get_version(), 'on Python', sys.version.split()[0])",
    )
    if session.posargs:
        session.run("pytest", *session.posargs)
        return
    # Snippets are independent processes: run them two at a time (2 cores).
    session.run("pytest", "--ignore=tests/browser", "--ignore=tests/test_snippets.py")
    session.run("pytest", "-n", "2", "tests/test_snippets.py")


@nox.session(python=DEFAULT_PYTHON)
def bench_servers(session):
    """Compare the ASGI servers (requests/s, p50/p99 at a few concurrencies).

    Writes bench/results/servers.json and redraws docs/assets/servers-bench.svg.
    """
    install_django(session, DEFAULT_DJANGO)
    session.install("-r", "requirements/bench.txt", "-r", "requirements/servers.txt")
    session.run("python", "bench/servers.py", *session.posargs)


@nox.session(python=DEFAULT_PYTHON)
def bench_browser(session):
    """The in-browser runtime in headless Chromium: Run to first result, warm re-run, bytes."""
    session.install("-r", "requirements/docs.txt", "-r", "requirements/browser-tests.txt")
    site_dir = ROOT / "site"
    build_runtime(session)
    build_site(session, site_dir)
    session.run("python", "bench/browser.py", "--site", str(site_dir), *session.posargs)


@nox.session(python=DEFAULT_PYTHON)
def docs(session):
    """Build the site strictly (broken links fail), then run every snippet as a doctest."""
    install_django(session, DEFAULT_DJANGO)
    session.install("-r", "requirements/tests.txt", "-r", "requirements/docs.txt")
    site_dir = ROOT / "site"
    build_runtime(session)
    build_site(session, site_dir)
    session.run(
        "pytest",
        "-n",
        "2",
        "tests/test_docs.py",
        "tests/test_snippets.py",
        *session.posargs,
        env={"SITE_DIR": str(site_dir)},
    )


@nox.session(python=DEFAULT_PYTHON)
def serve(session):
    """Serve the site with live reload on http://127.0.0.1:8000/ (Ctrl+C stops it)."""
    session.install("-r", "requirements/docs.txt")
    build_runtime(session)
    session.run("mkdocs", "serve", "--dev-addr", "127.0.0.1:8000", *session.posargs)


@nox.session(python=DEFAULT_PYTHON)
def browser(session):
    """The runtime's Node tests, then the built site in headless Chromium (Debian's chromium).

    Every doctest snippet on the site is run through its Run button and its
    output compared with the doctest's expected output.
    """
    install_django(session, DEFAULT_DJANGO)
    session.install(
        "-r",
        "requirements/tests.txt",
        "-r",
        "requirements/docs.txt",
        "-r",
        "requirements/browser-tests.txt",
    )
    site_dir = ROOT / "site"
    build_runtime(session)
    build_site(session, site_dir)
    tests = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "browser" / "test").glob("*.test.mjs"))
    session.run("node", "--test", *tests, external=True, env={"BROWSER_BUILD": str(RUNTIME_OUT)})
    session.run(
        "pytest",
        "tests/browser",
        "tests/test_browser_runtime.py",
        *session.posargs,
        env={"SITE_DIR": str(site_dir), "BROWSER_BUILD": str(RUNTIME_OUT)},
    )


@nox.session(python=DEFAULT_PYTHON)
def lint(session):
    """ruff: lint and format check of the project's Python."""
    session.install("ruff==0.17.5")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(python=DEFAULT_PYTHON)
def bench(session):
    """Load test of the example under uvicorn; prints requests/s, latency and errors."""
    install_django(session, DEFAULT_DJANGO)
    session.install("-r", "requirements/bench.txt")
    session.run("python", "bench/load.py", *session.posargs)
