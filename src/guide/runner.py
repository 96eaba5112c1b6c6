"""Run one snippet the way the documentation says it runs.

A snippet is a file under ``snippets/``:

- ``*.pycon``: an interactive session, run as a doctest (``>>>`` lines are
  executed, the lines after them are the expected output; ``...`` in an
  output matches anything, for output that truly varies, such as timings).
- ``*.py``: a script, run with ``python FILE``; it must exit with status 0.

By default a snippet runs as in ``python manage.py shell`` in
``examples/mysite``: ``DJANGO_SETTINGS_MODULE=mysite.settings``,
``django.setup()`` already called, and a fresh copy of the migrated sample
database. ``snippets/snippets.toml`` changes that for the snippets that need
it: each ``snippets.toml`` under ``snippets/`` sets :class:`Options` for
snippets in its own folder, keyed by file name.

Used by the tests (:func:`run_snippet`, each snippet in its own process so that
settings and state never leak between snippets) and as a command::

    python tests/doctest_runner.py snippets/howto/async_safety/unsafe.pycon
"""

import doctest
import json
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SNIPPETS = ROOT / "snippets"
EXAMPLE_DIR = ROOT / "examples" / "mysite"
OPTIONS_FILE_NAME = "snippets.toml"
OPTIONFLAGS = doctest.ELLIPSIS


@dataclass
class Options:
    """How one snippet runs; set in the ``snippets.toml`` beside it."""

    setup: bool = True
    """Call ``django.setup()`` before the snippet (as ``manage.py shell`` does)."""
    env: dict = field(default_factory=dict)
    """Extra environment variables."""
    unset: list = field(default_factory=list)
    """Environment variables to remove (e.g. ``DJANGO_SETTINGS_MODULE``)."""
    django: list = field(default_factory=list)
    """Django versions (``"5.2"``) the snippet is for; empty means all."""
    browser: str = ""
    """Why the snippet cannot run in a browser; empty means it can."""
    timeout: float = 60.0


def load_options():
    """``{path relative to snippets/: Options}`` from every ``snippets.toml``.

    Each file's table names are snippet file names in that file's folder.
    """
    options = {}
    for toml in sorted(SNIPPETS.rglob(OPTIONS_FILE_NAME)):
        data = tomllib.loads(toml.read_text(encoding="utf-8"))
        where = toml.relative_to(ROOT)
        for name, values in data.items():
            snippet = toml.parent / name
            if not snippet.is_file():
                raise ValueError(f"{where}: no snippet {name!r} in {toml.parent.relative_to(ROOT)}")
            unknown = set(values) - set(Options.__dataclass_fields__)
            if unknown:
                raise ValueError(f"{where}: [{name}] has unknown keys {sorted(unknown)}")
            options[snippet.relative_to(SNIPPETS).as_posix()] = Options(**values)
    return options


def all_snippets():
    """Every runnable snippet file, sorted."""
    return sorted(p for p in SNIPPETS.rglob("*") if p.suffix in (".pycon", ".py"))


def run_snippet(path, options, database):
    """Run the snippet at ``path`` in a fresh process; return ``(ok, output)``.

    ``database`` is a migrated SQLite file with the sample data; the snippet
    gets its own copy.
    """
    workdir = Path(tempfile.mkdtemp(prefix="snippet-"))
    db_copy = workdir / "db.sqlite3"
    shutil.copyfile(database, db_copy)
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="mysite.settings",
        MYSITE_SQLITE_PATH=str(db_copy),
        PYTHONPATH=str(EXAMPLE_DIR),
        PYTHONUNBUFFERED="1",
    )
    env.update({key: str(value) for key, value in options.env.items()})
    for key in options.unset:
        env.pop(key, None)
    try:
        return _forkserver().run(path, options, env, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


class ForkServer:
    """A process that imports Django's framework once, then forks one child per snippet.

    Each snippet still runs in a process of its own, with its own environment,
    working directory and ``django.setup()``; only the imports of Django's own
    modules (which read no settings) are shared, which halves the time of a
    snippet. A child that runs longer than the snippet's timeout is killed.
    """

    def __init__(self):
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--serve"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=EXAMPLE_DIR,
        )

    def run(self, path, options, env, workdir):
        request = {
            "path": str(path),
            "setup": options.setup,
            "env": env,
            "output": str(workdir / "output.txt"),
            "timeout": options.timeout,
        }
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        reply = self.process.stdout.readline()
        if not reply:
            raise RuntimeError(f"the snippet fork server exited ({self.process.wait()})")
        reply = json.loads(reply)
        return reply["ok"], reply["output"]


_server = None


def _forkserver():
    global _server
    if _server is None or _server.process.poll() is not None:
        _server = ForkServer()
    return _server


def _serve():
    """The fork server's loop: one JSON request per line in, one reply per line out."""
    import runpy
    import signal
    import time

    # Django's framework modules: importing them reads no settings.
    import asgiref.sync  # noqa: F401
    import django  # noqa: F401
    import django.core.handlers.asgi  # noqa: F401
    import django.db.models  # noqa: F401
    import django.http  # noqa: F401
    import django.test  # noqa: F401

    for line in sys.stdin:
        request = json.loads(line)
        sys.stdout.flush()
        pid = os.fork()
        if pid == 0:  # the snippet's own process
            status = 1
            try:
                fd = os.open(request["output"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
                os.dup2(fd, 1)
                os.dup2(fd, 2)
                os.environ.clear()
                os.environ.update(request["env"])
                os.chdir(EXAMPLE_DIR)
                path = Path(request["path"])
                if path.suffix == ".py":
                    sys.argv = [str(path)]
                    sys.path.insert(0, str(EXAMPLE_DIR))
                    runpy.run_path(str(path), run_name="__main__")
                    status = 0
                else:
                    status = _run_doctest_here(path, request["setup"])
            except SystemExit as exc:
                status = exc.code if isinstance(exc.code, int) else 1
            except BaseException:
                import traceback

                traceback.print_exc()
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(status)
        deadline = time.monotonic() + request["timeout"]
        timed_out = False
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                timed_out = True
                break
            time.sleep(0.01)
        output = Path(request["output"]).read_text(errors="replace")
        if timed_out:
            output = f"timed out after {request['timeout']} s\n{output}"
        ok = not timed_out and os.waitstatus_to_exitcode(status) == 0
        print(json.dumps({"ok": ok, "output": output}), flush=True)


def _run_doctest_here(path, setup):
    """Inside the snippet's process: set Django up if asked, run the doctest."""
    sys.path.insert(0, str(EXAMPLE_DIR))
    if setup:
        import django

        django.setup()
    failures, tests = doctest.testfile(
        str(path), module_relative=False, optionflags=OPTIONFLAGS, encoding="utf-8"
    )
    if tests == 0:
        print(f"{path}: no examples found")
        return 1
    return 1 if failures else 0


def main(argv):
    if argv[:1] == ["--serve"]:
        _serve()
        return 0
    import django

    from support import migrated_database

    options = load_options()
    status = 0
    database = migrated_database(Path(tempfile.mkdtemp(prefix="snippets-")) / "db.sqlite3")
    for name in argv or [str(p) for p in all_snippets()]:
        path = Path(name).resolve()
        rel = path.relative_to(SNIPPETS).as_posix()
        opts = options.get(rel, Options())
        if opts.django and django.get_version().rsplit(".", 1)[0] not in opts.django:
            print(f"skip {rel}: for Django {', '.join(opts.django)}")
            continue
        ok, output = run_snippet(path, opts, database)
        print(("ok   " if ok else "FAIL ") + rel)
        if not ok:
            print(output)
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
