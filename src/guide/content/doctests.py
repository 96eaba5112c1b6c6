"""Run one snippet the way the documentation says it runs: a doctest in a fresh process.

Each snippet runs in a process of its own, with its own environment, working
directory, copy of the sample database and ``django.setup()``, so settings and
state never leak from one snippet to the next. The processes are started by
the standard library's ``multiprocessing`` *forkserver*, preloaded with
Django's framework modules (importing them reads no settings): a snippet's
process is a fork of a process that already imported Django, which halves
the time of a snippet compared with starting Python afresh.

Used by the tests (:func:`run_snippet`) and by ``python -m guide.content.run_snippets``,
which runs one snippet alone (or all of them) on the installed Django.
"""

import doctest
import multiprocessing
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

from guide.browser_build import preload
from guide.paths import EXAMPLE_DIR

OPTIONFLAGS = doctest.ELLIPSIS

# Django's framework modules (guide.browser_build.preload, shared with the browser runtime),
# imported once by the fork server.
PRELOAD = ["guide.content.doctests", *preload.PRELOAD]

_context = None


def _forkserver():
    global _context
    if _context is None:
        _context = multiprocessing.get_context("forkserver")
        _context.set_forkserver_preload(PRELOAD)
    return _context


def run_snippet(snippet, database):
    """Run ``snippet`` (a :class:`~guide.content.snippets.Snippet`) in a fresh process; ``(ok, output)``.

    ``database`` is a migrated SQLite file with the sample data; the snippet
    gets its own copy. A snippet still running after its timeout is killed.
    """
    options = snippet.options
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
    output, errors = workdir / "stdout.txt", workdir / "stderr.txt"
    try:
        process = _forkserver().Process(
            target=_child, args=(str(snippet.path), options.setup, env, str(output), str(errors))
        )
        process.start()
        process.join(options.timeout)
        timed_out = process.exitcode is None
        if timed_out:
            process.kill()
            process.join()
        text = output.read_text(errors="replace") if output.exists() else ""
        stderr = errors.read_text(errors="replace") if errors.exists() else ""
        if stderr:
            text += f"--- stderr ---\n{stderr}"
        if timed_out:
            return False, f"timed out after {options.timeout} s\n{text}"
        if process.exitcode == 0 and not stderr_matches(options.stderr, stderr):
            expected = f"to match {options.stderr!r}" if options.stderr else "to be empty"
            return False, f"{text}--- expected stderr {expected} (snippets.toml: stderr) ---\n"
        return process.exitcode == 0, text
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def stderr_matches(pattern, stderr):
    """True if ``stderr`` is what the snippet's ``stderr`` option allows (nothing, by default)."""
    if not pattern:
        return stderr == ""
    return re.fullmatch(pattern, stderr, re.DOTALL) is not None


def _child(path, setup, env, output, errors):
    """The snippet's own process: its environment, stdout and stderr to files, the doctest."""
    for name, target in ((output, 1), (errors, 2)):
        os.dup2(os.open(name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC), target)
    os.environ.clear()
    os.environ.update(env)
    os.chdir(EXAMPLE_DIR)
    # As `python manage.py shell` does: the project's folder is importable.
    sys.path.insert(0, str(EXAMPLE_DIR))
    status = 1
    try:
        if setup:
            import django

            django.setup()
        failures, tests = doctest.testfile(
            path, module_relative=False, optionflags=OPTIONFLAGS, encoding="utf-8"
        )
        if tests == 0:
            print(f"{path}: no examples found")
        else:
            status = 1 if failures else 0
    except SystemExit as exc:
        status = exc.code if isinstance(exc.code, int) else 1
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(status)
