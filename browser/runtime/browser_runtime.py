"""Make Django and asgiref behave under Pyodide: one thread, one always-running loop.

Pyodide runs CPython in a browser tab (here: in a Web Worker). There are no
threads, and the event loop (Pyodide's ``WebLoop``, driven by the browser) is
always running. Django's ASGI support assumes the opposite: sync code runs in
worker threads, and ``@async_unsafe`` refuses to run the sync ORM on a thread
whose event loop is running. Unpatched, every ORM call would therefore raise
``SynchronousOnlyOperation`` and ``asyncio.run()`` / ``async_to_sync()`` would
fail or deadlock.

Call :func:`install` once, after the wheels are importable and before Django
handles a request::

    import browser_runtime
    browser_runtime.install()

The model
---------
Code counts as *sync* (as if it ran in a server's worker thread) if, walking the
Python stack outwards from the caller, a *sync boundary* comes before any
coroutine frame. Sync boundaries are:

* a function run through ``loop.run_in_executor()``. ``WebLoop`` already runs
  such functions inline; asgiref's ``sync_to_async`` and ``asyncio.to_thread``
  go through it. We mark the call with a known frame (:func:`_run_inline_as_thread`);
* the top-level code of a snippet: a ``<module>`` code object whose file name is
  ``<exec>`` (Pyodide's ``runPython``) or starts with ``<doctest `` (the snippet
  runner in ``guide_session``), even when it uses top-level ``await``, exactly
  like the interactive interpreter, where top-level code is sync;
* the bottom of the stack.

Anything first reached from a coroutine frame is *async*, and Django's
``@async_unsafe`` raises ``SynchronousOnlyOperation`` there, with CPython's exact
message. So the guide's lessons hold in the browser: a sync view runs (in a
"thread"), an async view that calls the sync ORM fails, ``await
sync_to_async(f)()`` works.

What is patched (and why)
-------------------------
``django.utils.asyncio.get_running_loop``
    The only thing ``@async_unsafe`` consults; replaced by a version that uses
    the model above.
``WebLoop.run_in_executor``
    Still runs the function inline, but through the boundary frame.
``asyncio.run`` and ``asgiref.sync.AsyncToSync.__call__``
    A second event loop cannot run (and cannot block) while the browser's loop
    runs. The coroutine runs as an *eager task* instead: it executes right away
    until it first has to wait. Django's async ORM never really waits here (its
    ``sync_to_async`` calls complete inline), so it completes synchronously. If it
    does have to wait (``asyncio.sleep(0.1)``, a JS ``fetch``), Pyodide's
    ``run_sync`` suspends the WebAssembly stack (JSPI) where the JS engine can;
    elsewhere a clear ``RuntimeError`` asks for top-level ``await`` instead.
``concurrent.futures.ThreadPoolExecutor.submit``
    Runs the function at once, through the boundary frame, and returns a
    finished future (no thread is started). servestatic stats the static files
    through a thread pool when the middleware is created.
``WebLoop._decrement_in_progress``
    WebLoop reports a task's exception as "Unhandled exception in event loop"
    the moment the task ends, if nothing has added a done-callback yet, and
    marks it retrieved. CPython reports it only when the task is collected
    with its exception never retrieved ("Task exception was never
    retrieved"), so a task awaited a little later (asgiref's
    ``ApplicationCommunicator`` does that) prints nothing on a server. The
    patch keeps WebLoop's bookkeeping and leaves the report to CPython's own
    ``Task.__del__``.
``asgiref.sync.ThreadSensitiveContext.__aexit__``
    asgiref >= 3.10 shuts the per-request executor down in a new
    ``threading.Thread``: "can't start new thread" here. Our executors never
    started a thread, so they are dropped first.
"""

import asyncio
import concurrent.futures
import inspect
import sys

__all__ = ["install", "in_async_context", "run_coroutine_sync", "run_as_sync", "is_toplevel_code"]

#: File names of top-level snippet code (see the module docstring).
TOPLEVEL_FILENAMES = frozenset({"<exec>"})
TOPLEVEL_PREFIXES = ("<doctest ",)

_ASYNC_FLAGS = inspect.CO_COROUTINE | inspect.CO_ASYNC_GENERATOR | inspect.CO_ITERABLE_COROUTINE

_installed = False
_orig_tsc_aexit = None


def _run_inline_as_thread(func, args):
    """Call ``func(*args)``. This frame's code object marks "a worker thread"."""
    return func(*args)


_BOUNDARY_CODE = _run_inline_as_thread.__code__


def run_as_sync(func, *args):
    """Call ``func(*args)`` as sync code, even from a coroutine (as if in a thread)."""
    return _run_inline_as_thread(func, args)


def is_toplevel_code(code):
    """True for the ``<module>`` code of a snippet typed at the "prompt"."""
    if code.co_name != "<module>":
        return False
    name = code.co_filename
    return name in TOPLEVEL_FILENAMES or name.startswith(TOPLEVEL_PREFIXES)


def in_async_context(depth=1):
    """True if the caller would be on the event loop's thread, inside a coroutine."""
    frame = sys._getframe(depth)
    while frame is not None:
        code = frame.f_code
        if code is _BOUNDARY_CODE:
            return False
        # Checked before the coroutine flag: top-level code compiled with
        # PyCF_ALLOW_TOP_LEVEL_AWAIT is itself flagged CO_COROUTINE.
        if is_toplevel_code(code):
            return False
        if code.co_flags & _ASYNC_FLAGS:
            return True
        frame = frame.f_back
    return False


def _django_get_running_loop():
    """Stands in for ``asyncio.get_running_loop`` inside ``django.utils.asyncio``."""
    if in_async_context(depth=2):
        return asyncio.get_running_loop()
    # What CPython raises on a thread without a running loop.
    raise RuntimeError("no running event loop")


def _run_in_executor(self, executor, func, *args):
    """``WebLoop.run_in_executor``: run inline, marked as running "in a thread"."""
    future = self.create_future()
    try:
        future.set_result(_run_inline_as_thread(func, args))
    except BaseException as exc:  # mirror WebLoop: the future carries the error
        future.set_exception(exc)
    return future


def _pool_submit(self, fn, /, *args, **kwargs):
    """``ThreadPoolExecutor.submit`` without threads: run now, return a done future."""
    future = concurrent.futures.Future()
    try:
        future.set_result(_run_inline_as_thread(lambda: fn(*args, **kwargs), ()))
    except BaseException as exc:
        future.set_exception(exc)
    return future


def run_coroutine_sync(coro):
    """Run a coroutine to completion from sync code, without a second event loop.

    See "asyncio.run" in the module docstring.
    """
    from pyodide.ffi import can_run_sync, run_sync

    loop = asyncio.get_event_loop()
    task = asyncio.Task(coro, loop=loop, eager_start=True)
    if task.done():
        return task.result()
    if can_run_sync():
        return run_sync(task)
    task.cancel()
    raise RuntimeError(
        "This coroutine has to wait on the event loop, which sync code cannot do in "
        "this browser (no WebAssembly stack switching, JSPI). Use top-level `await` "
        "instead of asyncio.run() or async_to_sync()."
    )


def _asyncio_run(main, *, debug=None, loop_factory=None):
    if not asyncio.iscoroutine(main):
        raise ValueError(f"a coroutine was expected, got {main!r}")
    if in_async_context(depth=2):
        main.close()
        raise RuntimeError("asyncio.run() cannot be called from a running event loop")
    return run_coroutine_sync(main)


def _async_to_sync_call(self, *args, **kwargs):
    # asgiref would hand the coroutine to the loop's thread and block on a queue:
    # a deadlock with one thread. Context-variable changes made inside are not
    # copied back, unlike asgiref (the guide's snippets do not rely on it).
    if in_async_context(depth=2):
        raise RuntimeError(
            "You cannot use AsyncToSync in the same thread as an async event loop - "
            "just await the async function directly."
        )
    return run_coroutine_sync(self.awaitable(*args, **kwargs))


async def _tsc_aexit(self, exc, value, tb):
    import asgiref.sync

    asgiref.sync.SyncToAsync.context_to_thread_executor.pop(self, None)
    return await _orig_tsc_aexit(self, exc, value, tb)


def install():
    """Apply the patches (idempotent)."""
    global _installed, _orig_tsc_aexit
    if _installed:
        return
    import asgiref.sync
    import django.utils.asyncio
    from pyodide.webloop import WebLoop

    WebLoop.run_in_executor = _run_in_executor
    _orig_decrement = WebLoop._decrement_in_progress
    WebLoop._decrement_in_progress = lambda self, fut=None: _orig_decrement(self)
    concurrent.futures.ThreadPoolExecutor.submit = _pool_submit
    django.utils.asyncio.get_running_loop = _django_get_running_loop
    asyncio.run = _asyncio_run
    asgiref.sync.AsyncToSync.__call__ = _async_to_sync_call
    _orig_tsc_aexit = asgiref.sync.ThreadSensitiveContext.__aexit__
    asgiref.sync.ThreadSensitiveContext.__aexit__ = _tsc_aexit
    _installed = True
