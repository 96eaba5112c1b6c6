"""Run the guide's pycon snippets and ASGI requests inside Pyodide.

The Web Worker (``browser/core.mjs``) calls three functions, each of which
returns a JSON string:

``setup(project_dir, settings_module)``
    once: put the example project on ``sys.path``, apply
    :mod:`browser_runtime`'s patches, ``django.setup()``, remember the pristine
    database.
``run(text)``
    a doctest-style session (see :func:`run`).
``request(application, method, path, headers, body)``
    one HTTP request through an ASGI application (see :func:`request`).
"""

import ast
import asyncio
import builtins
import doctest
import importlib
import inspect
import io
import json
import linecache
import os
import re
import sys
import traceback
from contextlib import redirect_stderr, redirect_stdout

#: Outputs (and response bodies) are cut at this many UTF-8 bytes.
OUTPUT_LIMIT = 200_000
TRUNCATION_NOTICE = "[output truncated at 200 kB]"
#: What doctest prints for the stack of a traceback.
TRACEBACK_HEADER = "Traceback (most recent call last):\n  ...\n"

_PROMPT = re.compile(r"^\s*>>>( |$)", re.MULTILINE)
_state = {}


# -- set-up ---------------------------------------------------------------------------


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
    _state.update(project_dir=project_dir, db_path=db_path, pristine=pristine, apps={})
    import sqlite3

    return json.dumps(
        {
            "python": sys.version.split()[0],
            "django": django.get_version(),
            "sqlite": sqlite3.sqlite_version,
        }
    )


def reset():
    """Back to a pristine state: cwd, database file, no open connections."""
    import browser_runtime
    from django.db import connections

    # Called from run()/request(), which are coroutines: closing connections is
    # sync-only work, done here as if in a worker thread.
    browser_runtime.run_as_sync(connections.close_all)
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
    """The statements of a snippet: ``[(source, mode)]``.

    pycon text (``>>>`` prompts) is parsed with doctest's own parser, one
    statement per example, each run in ``"single"`` mode so that expression
    values are echoed like at the prompt. Text without prompts is one script.
    """
    if _PROMPT.search(text):
        return [(ex.source, "single") for ex in doctest.DocTestParser().get_examples(text)]
    return [(text, "exec")] if text.strip() else []


async def _run_statements(statements, namespace, out):
    flags = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
    for number, (source, mode) in enumerate(statements):
        filename = f"<doctest snippet[{number}]>"
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        try:
            code = compile(source, filename, mode, flags=flags, dont_inherit=True)
            result = eval(code, namespace)
            if code.co_flags & inspect.CO_COROUTINE:
                await result
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # like doctest: report, then go on
            out.write(format_exception(exc))


async def run(text):
    """Run a snippet like doctest runs an example session; returns JSON.

    Every statement runs in one fresh namespace (``__name__ == "__main__"``);
    the value of an expression statement is printed with ``repr()``; an
    exception prints doctest's short traceback and the next statement runs.
    Top-level ``await`` works. The database is reset first, so every run of a
    snippet gives the same output.

    Result: ``{"output", "stderr", "truncated"}``: ``output`` is what doctest
    would compare with the snippet's expected output.
    """
    reset()
    namespace = {"__name__": "__main__", "__builtins__": builtins}
    builtins.__dict__.pop("_", None)
    out, err = _LimitedText(), _LimitedText()
    saved_hook = sys.displayhook
    sys.displayhook = sys.__displayhook__
    try:
        with redirect_stdout(out), redirect_stderr(err):
            await _run_statements(parse(text), namespace, out)
    finally:
        sys.displayhook = saved_hook
        builtins.__dict__.pop("_", None)
    output, truncated = limit_text(out.getvalue())
    stderr, _ = limit_text(err.getvalue())
    return json.dumps({"output": output, "stderr": stderr, "truncated": truncated})


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
    if reset_db:
        reset()
    app = load_application(application)
    if isinstance(headers, str):  # JSON from the worker
        headers = json.loads(headers)
    if isinstance(headers, dict):
        headers = list(headers.items())
    headers = [
        (str(k).lower().encode("latin-1"), str(v).encode("latin-1")) for k, v in headers or []
    ]
    names = {k for k, _ in headers}
    body_bytes = body.encode("utf-8") if isinstance(body, str) else bytes(body or b"")
    if b"host" not in names:
        headers.insert(0, (b"host", b"localhost"))
    if body_bytes and b"content-length" not in names:
        headers.append((b"content-length", str(len(body_bytes)).encode()))
    raw_path, _, query = path.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method.upper(),
        "scheme": "http",
        "path": raw_path,
        "raw_path": raw_path.encode("utf-8"),
        "query_string": query.encode("latin-1"),
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("localhost", 80),
        "state": {},
    }
    pending = [{"type": "http.request", "body": body_bytes, "more_body": False}]
    finished = asyncio.Event()
    sent = []

    async def receive():
        if pending:
            return pending.pop(0)
        await finished.wait()  # the "connection" stays open until the response ends
        return {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)
        if message["type"] == "http.response.body" and not message.get("more_body"):
            finished.set()

    await app(scope, receive, send)
    finished.set()
    start = next((m for m in sent if m["type"] == "http.response.start"), None)
    if start is None:
        raise RuntimeError(f"{application} sent no http.response.start message")
    raw = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    text, truncated = limit_text(raw.decode("utf-8", "replace"))
    return json.dumps(
        {
            "status": start["status"],
            "headers": [[_text(k), _text(v)] for k, v in start.get("headers", [])],
            "body": text,
            "messages": [_jsonable(m) for m in sent],
            "truncated": truncated,
        }
    )
