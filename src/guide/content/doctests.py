"""Run one snippet the way the documentation says it runs: a doctest in a fresh process.

Each snippet runs in a process of its own, with its own environment, working
directory, copy of the sample database and ``django.setup()``, so settings and
state never leak from one snippet to the next. The processes are started by
the standard library's ``multiprocessing`` *forkserver*, preloaded with
Django's framework modules and those ``django.setup()`` imports that import
without settings (:mod:`guide.browser_build.preload`, the same rule as the
browser's memory snapshot): a snippet's process is a fork of a process that
already imported them, which halves the time of a snippet compared with
starting Python afresh.

Used by the tests (:func:`run_snippet`) and by ``python -m guide.content.run_snippets``,
which runs one snippet alone (or all of them) on the installed Django.
"""

import doctest
import json
import multiprocessing
import os
import re
import shutil
import subprocess
import sys
import tempfile
import traceback
from pathlib import Path

from guide.browser_build import preload
from guide.paths import EXAMPLE_DIR

OPTIONFLAGS = doctest.ELLIPSIS

# Django's framework modules (guide.browser_build.preload, shared with the browser runtime),
# imported once by the fork server, before the set-up modules (settings_free_setup_imports).
PRELOAD = ["guide.content.doctests", *preload.PRELOAD]

_context = None

_FIND_SETUP_IMPORTS = """\
import importlib, json, sys
from guide.browser_build import preload
for name in preload.PRELOAD:
    importlib.import_module(name)
if sys.argv[1] == "setup":
    print(json.dumps(preload.setup_imports(sys.argv[2])))
else:
    print(json.dumps(preload.import_settings_free(json.loads(sys.stdin.read()))))
"""


def settings_free_setup_imports():
    """The modules ``django.setup()`` imports for the example project that import without settings.

    Found by :func:`guide.browser_build.preload.setup_imports` in a process
    with the project's settings, then
    :func:`~guide.browser_build.preload.import_settings_free` in one without:
    the names that imported there, in order (the fork server imports them as they are).
    """
    src = Path(preload.__file__).resolve().parents[2]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(EXAMPLE_DIR), str(src)]),
        "DJANGO_SETTINGS_MODULE": "mysite.settings",
    }

    def step(*args, given=""):
        done = subprocess.run(
            [sys.executable, "-c", _FIND_SETUP_IMPORTS, *args],
            input=given,
            env=env,
            cwd=EXAMPLE_DIR,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if done.returncode:
            raise RuntimeError(f"finding Django's set-up modules failed:\n{done.stderr}")
        return done.stdout

    found = step("setup", str(EXAMPLE_DIR))
    return json.loads(step("import", given=found))


def _forkserver():
    global _context
    if _context is None:
        _context = multiprocessing.get_context("forkserver")
        _context.set_forkserver_preload([*PRELOAD, *settings_free_setup_imports()])
    return _context


def run_snippet(snippet, database):
    """Run ``snippet`` (a :class:`~guide.content.snippets.Snippet`) in a fresh process; ``(ok, output)``.

    ``database`` is a migrated SQLite file with the sample data; the snippet
    gets its own copy. A snippet still running after its timeout is killed.
    """
    ok, output, _ = _run(snippet, database)
    return ok, output


def run_examples(snippet, database):
    """Run ``snippet`` as :func:`run_snippet` does, and say what each example did.

    ``(ok, output, outcomes)``: ``outcomes`` is one dict per example, in file
    order, with its ``line`` (1-based, its first ``>>>`` line) and ``status``:
    ``"ok"``; ``"output"`` (its output differs: ``got``); ``"exception"`` (it
    raised as expected, with another message: ``exc_msg``); ``"raised"`` (an
    exception no one expected: ``got``, its traceback). ``None`` if the process
    ended before it could say (killed after its timeout, or crashed first).
    Used by ``python -m guide.content.run_snippets --update``.
    """
    return _run(snippet, database, examples=True)


def _run(snippet, database, examples=False):
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
    results = workdir / "examples.json" if examples else None
    try:
        process = _forkserver().Process(
            target=_child,
            args=(str(snippet.path), options.setup, env, str(output), str(errors)),
            kwargs={"results": results and str(results)},
        )
        process.start()
        process.join(options.timeout)
        timed_out = process.exitcode is None
        if timed_out:
            process.kill()
            process.join()
        text = output.read_text(errors="replace") if output.exists() else ""
        stderr = errors.read_text(errors="replace") if errors.exists() else ""
        outcomes = json.loads(results.read_text()) if results and results.exists() else None
        if stderr:
            text += f"--- stderr ---\n{stderr}"
        if timed_out:
            return False, f"timed out after {options.timeout} s\n{text}", None
        if process.exitcode == 0 and not stderr_matches(options.stderr, stderr):
            expected = f"to match {options.stderr!r}" if options.stderr else "to be empty"
            return (
                False,
                f"{text}--- expected stderr {expected} (snippets.toml: stderr) ---\n",
                outcomes,
            )
        return process.exitcode == 0, text, outcomes
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def stderr_matches(pattern, stderr):
    """True if ``stderr`` is what the snippet's ``stderr`` option allows (nothing, by default)."""
    if not pattern:
        return stderr == ""
    return re.fullmatch(pattern, stderr, re.DOTALL) is not None


def _child(path, setup, env, output, errors, results=None):
    """The snippet's own process: its environment, stdout and stderr to files, the doctest.

    With ``results`` (a file name), each example's outcome is written there too
    (:class:`_Recorder`).
    """
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
        if results is None:
            failures, tests = doctest.testfile(
                path, module_relative=False, optionflags=OPTIONFLAGS, encoding="utf-8"
            )
        else:
            failures, tests = _record_examples(path, results)
        if tests == 0:
            print(f"{path}: no examples found")
        else:
            status = 1 if failures else 0
    except SystemExit as exc:
        status = exc.code if isinstance(exc.code, int) else 1
    except BaseException:
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(status)


class _RecordingChecker(doctest.OutputChecker):
    """doctest's checker, keeping what it compared (to tell a message from an output)."""

    def __init__(self):
        self.calls = []

    def check_output(self, want, got, optionflags):
        self.calls.append((want, got))
        return super().check_output(want, got, optionflags)


class _Recorder(doctest.DocTestRunner):
    """A doctest runner that notes what each example did (:func:`run_examples`)."""

    def __init__(self):
        super().__init__(checker=_RecordingChecker(), verbose=False, optionflags=OPTIONFLAGS)
        self.outcomes = []

    def report_start(self, out, test, example):
        self._checker.calls.clear()

    def report_success(self, out, test, example, got):
        self.outcomes.append({"line": example.lineno + 1, "status": "ok"})

    def report_failure(self, out, test, example, got):
        calls = self._checker.calls
        # An example that expects an exception is checked on the exception's
        # message alone when one was raised, on its output when none was.
        if example.exc_msg is not None and calls and calls[0][0] == example.exc_msg:
            outcome = {"status": "exception", "exc_msg": calls[0][1], "got": got}
        else:
            outcome = {"status": "output", "got": got}
        self.outcomes.append({"line": example.lineno + 1, **outcome})
        super().report_failure(out, test, example, got)

    def report_unexpected_exception(self, out, test, example, exc_info):
        kind, error, trace = exc_info
        # Its traceback from the snippet's own code on (doctest's frame left out).
        got = "".join(traceback.format_exception(kind, error, trace.tb_next or trace))
        self.outcomes.append({"line": example.lineno + 1, "status": "raised", "got": got})
        super().report_unexpected_exception(out, test, example, exc_info)


def _record_examples(path, results):
    """Run the doctest in ``path`` as :func:`doctest.testfile` does; write each outcome to ``results``."""
    text = Path(path).read_text(encoding="utf-8")
    name = os.path.basename(path)
    test = doctest.DocTestParser().get_doctest(text, {"__name__": "__main__"}, name, path, 0)
    runner = _Recorder()
    try:
        failures, tests = runner.run(test)
    finally:
        Path(results).write_text(json.dumps(runner.outcomes), encoding="utf-8")
    return failures, tests
