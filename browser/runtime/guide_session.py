"""Run the guide's pycon snippets and ASGI requests inside Pyodide.

The Web Worker (``browser/pool.mjs``) calls these functions; all but
:func:`prepare` return a JSON string:

``prepare(project_dir, setup_imports)``
    on the interpreter the worker boots: the project on ``sys.path``, the
    working directory, Django's framework imported (:data:`PRELOAD`, then
    those of ``setup_imports`` that import without settings) and no settings
    read. The worker then takes a memory snapshot: the state of the test
    suite's fork server, from which every *fresh* interpreter starts.
``setup_imports(project_dir)``
    on a throwaway interpreter the build boots: what ``django.setup()``
    imports for the project (the list ``prepare`` is given).
``record_opens()``, ``opened()``
    on interpreters the build restores from the snapshot: the files a first
    run reads (``browser/tools/snapshot_worker.mjs``).
``setup(project_dir, settings_module)``
    the warm interpreter, once: apply :mod:`browser_runtime`'s patches,
    ``django.setup()``, remember the pristine state (see :func:`reset`).
``fresh(project_dir, environ, setup)``
    an interpreter restored from the snapshot, for one snippet that needs a
    process of its own (its own environment, ``setup = false``, another
    Django): the environment the server gives it, and ``django.setup()`` if
    the snippet's options ask for it. Nothing is reset: it is used once.
``run(text)``
    a doctest-style session (see :func:`run`).
``request(application, method, path, headers, body)``
    one HTTP request through an ASGI application (see :func:`request`).
"""

import ast
import builtins
import copy
import difflib
import doctest
import importlib
import inspect
import io
import itertools
import json
import linecache
import os
import re
import sys
import traceback
import warnings
from contextlib import redirect_stderr, redirect_stdout

# Django's framework modules, imported before the snapshot: the test suite's fork
# server imports the same (src/guide/browser_build/preload.py, shipped beside this module as
# guide_preload.py). Importing them reads no settings.
from guide_preload import PRELOAD, import_settings_free
from guide_preload import setup_imports as _setup_imports

#: Outputs (and response bodies) are cut at this many UTF-8 bytes.
OUTPUT_LIMIT = 200_000
TRUNCATION_NOTICE = "[output truncated at 200 kB]"
#: What doctest prints for the stack of a traceback.
TRACEBACK_HEADER = "Traceback (most recent call last):\n  ...\n"

#: How a statement's output is compared with the snippet's, as the tests compare them
#: (guide.content.doctests.OPTIONFLAGS).
OPTIONFLAGS = doctest.ELLIPSIS
_CHECKER = doctest.OutputChecker()

_PROMPT = re.compile(r"^\s*>>>( |$)", re.MULTILINE)
_state = {}


# -- set-up ---------------------------------------------------------------------------


# Project modules most snippets import, imported at set-up so that their
# pristine state is known (a module first imported by a snippet is forgotten
# after it, and imported afresh by the next one).
PROJECT_MODULES = ("mysite.urls", "polls.urls", "polls.views")


def prepare(project_dir, setup_imports="[]"):
    """The state a fresh process starts from (see the module docstring).

    ``setup_imports`` (JSON): the names :func:`setup_imports` found; those
    that import without settings are imported, as the test suite's fork
    server does (guide_preload.import_settings_free).
    """
    if project_dir not in sys.path:
        # As the server's snippet process (and `python manage.py shell`) does.
        sys.path.insert(0, project_dir)
    os.chdir(project_dir)
    import browser_runtime  # noqa: F401  (imported, not installed: no JS state)

    for name in PRELOAD:
        importlib.import_module(name)
    import_settings_free(json.loads(setup_imports))


def setup_imports(project_dir):
    """What ``django.setup()`` imports for the project, as JSON (for a throwaway interpreter).

    The interpreter is made a snippet's process first (:func:`fresh`, no
    set-up), so Django is set up as a snippet's would be.
    """
    fresh(project_dir, setup=False)
    return json.dumps(_setup_imports(project_dir))


_opened = []


def record_opens():
    """From now on, note every file this interpreter opens (for the build:
    browser/tools/snapshot_worker.mjs, which learns what a first run reads)."""
    sys.addaudithook(_note_open)


def _note_open(event, args):
    if event == "open" and isinstance(args[0], str):
        _opened.append(args[0])


def opened():
    """The files opened since :func:`record_opens`, as JSON (sorted, once each)."""
    return json.dumps(sorted(set(_opened)))


def _versions():
    import sqlite3

    import django

    return {
        "python": sys.version.split()[0],
        "django": django.get_version(),
        "sqlite": sqlite3.sqlite_version,
    }


def fresh(project_dir, environ="{}", setup=True, db_name="db.sqlite3"):
    """Make this (fresh) interpreter the process a server starts for one snippet.

    ``environ`` (JSON): ``{"env": {name: value}, "unset": [name, ...]}``, applied
    after what guide.content.doctests sets for every snippet (``DJANGO_SETTINGS_MODULE=mysite.settings``,
    ``MYSITE_SQLITE_PATH``, ``PYTHONPATH``, ``PYTHONUNBUFFERED``), as it does.
    """
    import browser_runtime

    options = json.loads(environ) if isinstance(environ, str) else dict(environ)
    prepare(project_dir)
    db_path = os.path.join(project_dir, db_name)
    # What guide.content.doctests.run_snippet gives every snippet's process on a server.
    os.environ.update(
        DJANGO_SETTINGS_MODULE="mysite.settings",
        MYSITE_SQLITE_PATH=db_path,
        PYTHONPATH=project_dir,
        PYTHONUNBUFFERED="1",
    )
    os.environ.update({str(k): str(v) for k, v in (options.get("env") or {}).items()})
    for name in options.get("unset") or []:
        os.environ.pop(name, None)
    browser_runtime.install()
    _state.update(project_dir=project_dir, db_path=db_path, fresh=True)
    _state.setdefault("apps", {})
    if setup:
        import django

        django.setup()
    return json.dumps(_versions())


def setup(project_dir, settings_module="mysite.settings", db_name="db.sqlite3"):
    """Prepare Django once per worker. Returns versions as JSON."""
    import browser_runtime
    import django

    if project_dir not in sys.path:
        sys.path.insert(0, project_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = settings_module
    os.chdir(project_dir)
    db_path = os.path.join(project_dir, db_name)
    with open(db_path, "rb") as f:
        pristine = f.read()
    browser_runtime.install()
    django.setup()
    # The receivers that clear Django's caches when a setting changes (what
    # override_settings relies on): reset() restores settings through them.
    importlib.import_module("django.test.signals")
    for name in PROJECT_MODULES:
        importlib.import_module(name)
    _state.update(project_dir=project_dir, db_path=db_path, pristine=pristine, apps={})
    _state["pristine_state"] = _capture()
    return json.dumps(_versions())


# -- a fresh process's state, restored before every run ------------------------------
#
# On a server each snippet runs in a process of its own. Here one interpreter
# runs them all, so what a snippet changes is put back before the next run:
# the environment, ``sys.path``, Django's settings (and the caches that follow
# them, through the ``setting_changed`` signal, as ``override_settings`` does),
# the project's modules and the classes defined in them, logging, warnings
# filters, the working directory and the database. What lies outside that
# (an attribute set on a Django class, say) would leak; browser/README.md says so.


def _project_modules():
    root = _state["project_dir"] + os.sep
    return {
        name: module
        for name, module in list(sys.modules.items())
        if (getattr(module, "__file__", None) or "").startswith(root)
    }


def _class_dicts(module):
    return {
        name: (value, dict(vars(value)))
        for name, value in vars(module).items()
        if isinstance(value, type) and value.__module__ == module.__name__
    }


def _loggers():
    import logging

    found = {"": logging.getLogger()}
    found.update(
        (name, logger)
        for name, logger in logging.Logger.manager.loggerDict.items()
        if isinstance(logger, logging.Logger)
    )
    return found


def _capture():
    import logging

    from django.conf import settings

    modules = _project_modules()
    return {
        "environ": dict(os.environ),
        "sys_path": list(sys.path),
        "settings_wrapped": settings._wrapped,
        "settings": copy.deepcopy(vars(settings._wrapped)),
        "modules": {name: (m, dict(vars(m)), _class_dicts(m)) for name, m in modules.items()},
        "loggers": {
            name: (
                logger.level,
                list(logger.handlers),
                list(logger.filters),
                logger.propagate,
                logger.disabled,
            )
            for name, logger in _loggers().items()
        },
        "logging_disable": logging.root.manager.disable,
        "warnings": list(warnings.filters),
    }


def _restore_dict(target, saved, setter, deleter):
    for name in [n for n in target if n not in saved]:
        deleter(name)
    for name, value in saved.items():
        if name not in target or target[name] is not value:
            setter(name, value)


def _restore_settings(saved):
    from django.conf import settings
    from django.core.signals import setting_changed

    if settings._wrapped is not saved["settings_wrapped"]:
        settings._wrapped = saved["settings_wrapped"]
    wrapped = vars(settings._wrapped)
    changed = {
        k
        for k in wrapped.keys() | saved["settings"].keys()
        if wrapped.get(k, _MISSING) != saved["settings"].get(k, _MISSING)
    }
    wrapped.clear()
    wrapped.update(copy.deepcopy(saved["settings"]))
    # LazySettings caches what it read; forget it (as its __setattr__ does).
    cached = object.__getattribute__(settings, "__dict__")
    for name in [n for n in cached if n != "_wrapped"]:
        del cached[name]
    for name in sorted(changed):
        if name.isupper():
            setting_changed.send(
                sender=type(settings._wrapped),
                setting=name,
                value=getattr(settings, name, None),
                enter=False,
            )


def _restore_modules(saved):
    for name in _project_modules().keys() - saved.keys():
        del sys.modules[name]  # first imported by the last snippet: imported afresh next time
    for name, (module, namespace, classes) in saved.items():
        sys.modules[name] = module
        _restore_dict(
            vars(module),
            namespace,
            lambda k, v, m=module: setattr(m, k, v),
            lambda k, m=module: delattr(m, k),
        )
        for cls, attributes in classes.values():
            _restore_dict(
                dict(vars(cls)),
                attributes,
                lambda k, v, c=cls: setattr(c, k, v),
                lambda k, c=cls: delattr(c, k),
            )


def _restore_logging(saved):
    import logging

    for name, logger in _loggers().items():
        level, handlers, filters, propagate, disabled = saved["loggers"].get(
            name, (logging.NOTSET, [], [], True, False)
        )
        logger.setLevel(level)
        logger.handlers[:] = handlers
        logger.filters[:] = filters
        logger.propagate = propagate
        logger.disabled = disabled
    logging.disable(saved["logging_disable"])


_MISSING = object()


def reset():
    """Back to the state of a fresh process: see the comment above :func:`_capture`."""
    import browser_runtime
    from django.db import connections

    # Called from run()/request(), which are coroutines: closing connections is
    # sync-only work, done here as if in a worker thread.
    browser_runtime.run_as_sync(connections.close_all)
    saved = _state["pristine_state"]
    os.environ.clear()
    os.environ.update(saved["environ"])
    sys.path[:] = saved["sys_path"]
    _restore_settings(saved)
    _restore_modules(saved["modules"])
    _restore_logging(saved)
    warnings.filters[:] = saved["warnings"]
    warnings._filters_mutated()
    with open(_state["db_path"], "wb") as f:
        f.write(_state["pristine"])
    os.chdir(_state["project_dir"])


# -- output ---------------------------------------------------------------------------


class _LimitedText(io.TextIOBase):
    """A text stream that keeps at most about ``limit`` characters."""

    def __init__(self, limit=OUTPUT_LIMIT):
        self._parts = []
        self._size = 0
        self._limit = limit + 1  # one more, to know that the limit was passed

    def writable(self):
        return True

    def write(self, s):
        if not isinstance(s, str):
            raise TypeError(f"write() argument must be str, not {type(s).__name__}")
        room = self._limit - self._size
        if room > 0:
            kept = s[:room]
            self._parts.append(kept)
            self._size += len(kept)
        return len(s)

    @property
    def size(self):
        """Characters kept so far."""
        return self._size

    def getvalue(self):
        return "".join(self._parts)


def limit_text(text, limit=OUTPUT_LIMIT):
    """``(text, truncated)``: ``text`` cut at ``limit`` UTF-8 bytes, plus a notice."""
    data = text.encode("utf-8", "surrogatepass")
    if len(data) <= limit:
        return text, False
    text = data[:limit].decode("utf-8", "ignore")
    if not text.endswith("\n"):
        text += "\n"
    return text + TRUNCATION_NOTICE + "\n", True


def format_exception(exc):
    """The lines doctest compares for an exception (stack elided)."""
    lines = traceback.format_exception_only(type(exc), exc)
    if isinstance(exc, SyntaxError):
        # Drop the indented location and caret lines, as doctest's comparison does.
        lines = [line for line in lines if not line.startswith("  ")]
    return TRACEBACK_HEADER + "".join(lines)


# -- snippets -------------------------------------------------------------------------


def parse(text):
    """The statements of a snippet: ``[(source, mode, example)]``.

    pycon text (``>>>`` prompts) is parsed with doctest's own parser, one
    statement per example (``example``: its :class:`doctest.Example`, with the
    expected output), each run in ``"single"`` mode so that expression values
    are echoed like at the prompt. Text without prompts is one script, with
    nothing to compare (``example`` is None).
    """
    if _PROMPT.search(text):
        return [(ex.source, "single", ex) for ex in doctest.DocTestParser().get_examples(text)]
    return [(text, "exec", None)] if text.strip() else []


def format_traceback(exc):
    """The whole traceback, as Python prints it, without this module's own frames.

    A statement that does not compile gets what Python prints for it: the
    file, the line, the caret and the error.
    """
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename == _HERE:
        tb = tb.tb_next
    return "".join(traceback.format_exception(type(exc), exc, tb))


async def _run_statements(statements, namespace, out):
    """Run each statement.

    Returns ``(ends, raised)``: the offsets in ``out`` where each one's output
    ends, and for each ``None``, or ``(offset, whole traceback)`` if it raised
    (``offset``: where doctest's short traceback starts in ``out``).
    """
    flags = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
    ends, raised = [], []
    for number, (source, mode, _) in enumerate(statements):
        filename = f"<doctest snippet[{number}]>"
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        failure = None
        try:
            code = compile(source, filename, mode, flags=flags, dont_inherit=True)
            result = eval(code, namespace)
            if code.co_flags & inspect.CO_COROUTINE:
                await result
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # like doctest: report, then go on
            failure = (out.size, format_traceback(exc))
            out.write(format_exception(exc))
        ends.append(out.size)
        raised.append(failure)
    return ends, raised


_HERE = _run_statements.__code__.co_filename


def expected(example):
    """What doctest compares a statement's output with (a traceback as doctest reduces it)."""
    if example.exc_msg is not None:
        return TRACEBACK_HEADER + example.exc_msg
    return example.want


def matches(example, got):
    """Whether ``got`` is what ``example`` expects, by doctest's rule (ELLIPSIS, and the
    example's own ``# doctest:`` options)."""
    flags = OPTIONFLAGS
    for flag, on in example.options.items():
        flags = flags | flag if on else flags & ~flag
    return _CHECKER.check_output(expected(example), got, flags)


def line_diff(want, got, context=1):
    """A short line diff: ``- `` expected lines, ``+ `` lines got, a line of context
    around each change; longer runs of equal lines are one ``  … N lines as expected``."""
    want = re.sub(r"(?m)^<BLANKLINE>$", "", want)
    lines = [
        line
        for line in difflib.ndiff(want.splitlines(), got.splitlines())
        if not line.startswith("? ")
    ]
    changed = [i for i, line in enumerate(lines) if not line.startswith("  ")]
    keep = {j for i in changed for j in range(i - context, i + context + 1)}
    shown, skipped = [], 0
    for i, line in enumerate(lines):
        if i in keep:
            if skipped:
                shown.append(f"  … {skipped} line{'s' if skipped > 1 else ''} as expected")
                skipped = 0
            shown.append(line)
        else:
            skipped += 1
    if skipped:
        shown.append(f"  … {skipped} line{'s' if skipped > 1 else ''} as expected")
    return shown


def _statement(source, example, got, failure):
    """One statement of a run, for the page: see :func:`run`."""
    whole = None
    if failure is not None:
        offset, tb = failure
        whole = got[:offset] + limit_text(tb)[0]
    if example is None:
        return {"source": source, "want": None, "matches": None, "diff": None, "whole": whole}
    ok = matches(example, got)
    return {
        "source": source,
        "want": expected(example),
        "matches": ok,
        "diff": None if ok else line_diff(expected(example), got),
        "whole": whole,
    }


async def run(text):
    """Run a snippet like doctest runs an example session; returns JSON.

    Every statement runs in one fresh namespace (``__name__ == "__main__"``);
    the value of an expression statement is printed with ``repr()``; an
    exception prints doctest's short traceback and the next statement runs.
    Top-level ``await`` works. The database is reset first, so every run of a
    snippet gives the same output.

    Result: ``{"output", "stderr", "truncated", "examples", "statements"}``:
    ``output`` is what doctest would compare with the snippet's expected
    output, and ``examples`` the part of it each statement printed (empty if
    truncated), which doctest compares example by example. ``statements``
    (empty if truncated) has, for each example, its ``source`` (no prompts),
    what doctest expects of it (``want``, None for a script without prompts),
    whether its output ``matches`` by doctest's rule (None: nothing to
    compare), the ``diff`` (:func:`line_diff`) when it does not, and, for a
    statement that raised, its output with the ``whole`` traceback in place
    of doctest's short one (else None).
    """
    if not _state.get("fresh"):
        reset()
    namespace = {"__name__": "__main__", "__builtins__": builtins}
    builtins.__dict__.pop("_", None)
    out, err = _LimitedText(), _LimitedText()
    saved_hook = sys.displayhook
    sys.displayhook = sys.__displayhook__
    statements = parse(text)
    try:
        with redirect_stdout(out), redirect_stderr(err):
            ends, raised = await _run_statements(statements, namespace, out)
    finally:
        sys.displayhook = saved_hook
        builtins.__dict__.pop("_", None)
    whole = out.getvalue()
    output, truncated = limit_text(whole)
    stderr, _ = limit_text(err.getvalue())
    starts = [0, *ends]
    examples = [] if truncated else [whole[a:b] for a, b in itertools.pairwise(starts)]
    shown = []
    if not truncated:
        for (source, _, example), got, start, failure in zip(
            statements, examples, starts[:-1], raised, strict=True
        ):
            if failure is not None:
                failure = (failure[0] - start, failure[1])
            shown.append(_statement(source, example, got, failure))
    return json.dumps(
        {
            "output": output,
            "stderr": stderr,
            "truncated": truncated,
            "examples": examples,
            "statements": shown,
        }
    )


# -- ASGI requests ----------------------------------------------------------------------


def load_application(path):
    """``"package.module:attribute"`` -> the ASGI application (imported once)."""
    apps = _state["apps"]
    if path not in apps:
        module_name, _, attribute = path.partition(":")
        app = importlib.import_module(module_name)
        for name in (attribute or "application").split("."):
            app = getattr(app, name)
        apps[path] = app
    return apps[path]


def _text(value):
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode("utf-8", "replace")
    return value


def _jsonable(message):
    out = {}
    for key, value in message.items():
        if key == "headers":
            value = [[_text(k), _text(v)] for k, v in value]
        elif key == "body":
            value = limit_text(_text(value))[0]
        out[key] = _text(value)
    return out


def check_command(text):
    """The command checker's report on a server command line, as JSON
    (``guide.servers.command_check``, shipped as it is in the guide)."""
    from guide.servers.command_check import check_json

    return check_json(text)


async def request(
    application="mysite.asgi:application",
    method="GET",
    path="/",
    headers=None,
    body="",
    reset_db=True,
):
    """Call an ASGI application once, as a server would; returns JSON.

    ``headers`` is a list of ``[name, value]`` pairs or a mapping (or either
    as JSON); ``Host``
    defaults to ``localhost``. ``path`` may carry a query string. The request
    body is sent in one ``http.request`` message; ``receive()`` then waits until
    the response is complete and reports ``http.disconnect``.

    Result: ``{"status", "headers", "body", "messages", "truncated"}``, where
    ``messages`` are the ASGI messages the application sent, bodies as text.
    """
    if reset_db and not _state.get("fresh"):
        reset()
    app = load_application(application)
    if isinstance(headers, str):  # JSON from the worker
        headers = json.loads(headers)
    if isinstance(headers, dict):
        headers = list(headers.items())
    headers = [(str(k).encode("latin-1"), str(v).encode("latin-1")) for k, v in headers or []]
    body_bytes = body.encode("utf-8") if isinstance(body, str) else bytes(body or b"")
    from mysite.asgi_client import arequest  # the pages' helper: the example's own file

    response = await arequest(
        app, path, method=method.upper(), headers=headers, body=body_bytes, timeout=None
    )
    start = response.messages[0]  # its headers as sent, names not lowercased
    text, truncated = limit_text(response.body.decode("utf-8", "replace"))
    return json.dumps(
        {
            "status": response.status,
            "headers": [[_text(k), _text(v)] for k, v in start.get("headers", [])],
            "body": text,
            "messages": [_jsonable(m) for m in response.messages],
            "truncated": truncated,
        }
    )
