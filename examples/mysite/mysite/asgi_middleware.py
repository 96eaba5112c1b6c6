"""Pure ASGI middleware for wrapping a Django ``application``.

Each class here is a plain ASGI application that wraps another one: it is
called as ``await app(scope, receive, send)``, looks at the ``scope``, and
passes the call on, possibly with a wrapped ``receive`` or ``send``. Nothing
depends on Django, so they work around any ASGI application, and they run
before Django's own middleware ever sees the request.

Django's page on ASGI deployment shows the pattern:

    application = get_asgi_application()
    application = SomeMiddleware(application)

See ``mysite/asgi_wrapped.py`` for this project's wrapped application, and
``mysite/asgi_mounted.py`` for Django mounted under a prefix beside another
ASGI application.
"""

import inspect
import json
import time


class ServerTimingMiddleware:
    """Add a ``Server-Timing`` header to every HTTP response.

    The header reports the time from receiving the request to sending the
    response headers, in milliseconds, as the metric ``name``:

        server-timing: app;dur=3.2

    Browsers show it in their developer tools next to the network timings.
    For a streaming response the time covers the headers only, not the body.

    Args:
        app: the ASGI application to wrap.
        name: the metric name in the header.
    """

    def __init__(self, app, name="app"):
        self.app = app
        self.name = name

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()

        async def send_with_timing(message):
            if message["type"] == "http.response.start":
                elapsed_ms = (time.perf_counter() - start) * 1000
                value = f"{self.name};dur={elapsed_ms:.1f}".encode("latin-1")
                headers = [*message.get("headers", []), (b"server-timing", value)]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_timing)


class LifespanMiddleware:
    """Answer the ASGI ``lifespan`` protocol and run startup and shutdown hooks.

    Django's ASGI handler accepts only ``http`` scopes and raises for
    ``lifespan``, so uvicorn logs ``ASGI 'lifespan' protocol appears
    unsupported.`` and never tells the application that it starts or stops.
    Wrapped in this middleware, the application answers the protocol itself:
    each hook in ``on_startup`` runs before the server accepts connections,
    each in ``on_shutdown`` after the last connection closed.

    A hook is a callable taking no arguments; it may be a coroutine function.
    A hook that raises makes the server refuse to start (or report a failed
    shutdown) with the exception as the message, instead of serving requests
    with a half-initialised application.

    All other scopes go to the wrapped application unchanged.

    Args:
        app: the ASGI application to wrap.
        on_startup: hooks run, in order, at ``lifespan.startup``.
        on_shutdown: hooks run, in order, at ``lifespan.shutdown``.
    """

    def __init__(self, app, on_startup=(), on_shutdown=()):
        self.app = app
        self.on_startup = list(on_startup)
        self.on_shutdown = list(on_shutdown)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                error = await self._run(self.on_startup)
                if error:
                    await send({"type": "lifespan.startup.failed", "message": error})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                error = await self._run(self.on_shutdown)
                if error:
                    await send({"type": "lifespan.shutdown.failed", "message": error})
                else:
                    await send({"type": "lifespan.shutdown.complete"})
                return

    @staticmethod
    async def _run(hooks):
        """Run ``hooks`` in order; return an error message, or ``""``."""
        for hook in hooks:
            try:
                result = hook()
                if inspect.isawaitable(result):
                    await result
            except Exception as exc:  # reported to the server, not swallowed
                name = getattr(hook, "__qualname__", hook)
                return f"{name} failed: {type(exc).__name__}: {exc}"
        return ""


class PrefixRouter:
    """Route requests by path prefix to several ASGI applications.

    ``routes`` maps a prefix such as ``"/django"`` to an application. A request
    for ``/django/polls/`` goes to that application with ``root_path`` set to
    ``"/django"`` (added to any ``root_path`` the server already set) and
    ``path`` left whole, as the ASGI specification asks. Django reads
    ``root_path`` as its script prefix, so ``reverse()`` and ``request.path``
    carry the prefix while URL patterns match the rest.

    The longest matching prefix wins; ``""`` matches everything. A request
    for the bare prefix (``/django``) is redirected to ``/django/``. A path
    that matches no route gets a plain ``404 Not Found``. Lifespan events are
    not routed: wrap the router in :class:`LifespanMiddleware` instead.

    Args:
        routes: a mapping of path prefix to ASGI application. Prefixes start
            with ``/`` and do not end with one, or are ``""``.
    """

    def __init__(self, routes):
        for prefix in routes:
            if prefix and (not prefix.startswith("/") or prefix.endswith("/")):
                raise ValueError(
                    f"Route prefix {prefix!r} must start with '/' and not end with '/'"
                )
        self.routes = sorted(
            routes.items(), key=lambda item: len(item[0]), reverse=True
        )

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return  # lifespan: not supported here (see the class docstring)
        root_path = scope.get("root_path", "")
        path = scope["path"]
        # Per the ASGI spec, path includes root_path; match on the rest.
        local_path = path[len(root_path) :] if path.startswith(root_path) else path
        for prefix, app in self.routes:
            if local_path == prefix and prefix:
                await self._redirect(scope, send, root_path + prefix + "/")
                return
            if not prefix or local_path.startswith(prefix + "/"):
                await app({**scope, "root_path": root_path + prefix}, receive, send)
                return
        await self._not_found(scope, send)

    @staticmethod
    async def _redirect(scope, send, location):
        if scope["type"] != "http":
            await send({"type": "websocket.close", "code": 1000})
            return
        query = scope.get("query_string", b"")
        target = location.encode("utf-8") + (b"?" + query if query else b"")
        await send(
            {
                "type": "http.response.start",
                "status": 308,
                "headers": [(b"location", target), (b"content-length", b"0")],
            }
        )
        await send({"type": "http.response.body", "body": b""})

    @staticmethod
    async def _not_found(scope, send):
        if scope["type"] != "http":
            await send({"type": "websocket.close", "code": 1000})
            return
        body = b"Not Found\n"
        await send(
            {
                "type": "http.response.start",
                "status": 404,
                "headers": [
                    (b"content-type", b"text/plain; charset=utf-8"),
                    (b"content-length", str(len(body)).encode("ascii")),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


async def health_app(scope, receive, send):
    """A tiny non-Django ASGI application: ``GET /`` answers ``{"status": "ok"}``.

    It stands for whatever else shares the server with Django (a health check,
    a Starlette or FastAPI app) in :class:`PrefixRouter` examples.
    """
    if scope["type"] != "http":
        return
    body = json.dumps(
        {"status": "ok", "root_path": scope.get("root_path", "")}
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": body})
