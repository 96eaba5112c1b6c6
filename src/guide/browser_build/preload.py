"""Django's framework modules a snippet's process has imported before it runs.

One list for both places that make such a process: the test suite's fork
server (:data:`guide.content.doctests.PRELOAD` adds ``guide.content.doctests`` itself) and the
browser runtime, whose memory snapshot holds them (``guide.browser_build.build``
ships this file in the runtime wheel as ``guide_preload.py``, imported by
``browser/runtime/guide_session.py``). Importing them reads no settings. This
module imports nothing, so that it runs as it is inside Pyodide.
"""

PRELOAD = (
    "asgiref.sync",
    "django",
    "django.core.handlers.asgi",
    "django.db.models",
    "django.http",
    "django.test",
)
