"""ASGI middleware: each class wraps an ASGI application and is one itself."""

import time


class ServerTimingMiddleware:
    """Add a Server-Timing header: the time until the response's headers, in ms."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()

        async def send_with_timing(message):
            if message["type"] == "http.response.start":
                duration = (time.perf_counter() - start) * 1000
                header = (b"server-timing", f"app;dur={duration:.1f}".encode())
                message = {**message, "headers": [*message["headers"], header]}
            await send(message)

        await self.app(scope, receive, send_with_timing)


class LifespanMiddleware:
    """Answer the lifespan protocol: run hooks when the server starts and stops.

    A hook is an async function without arguments. One that raises makes the
    server refuse to start, instead of serving with a broken application.
    """

    def __init__(self, app, on_startup=(), on_shutdown=()):
        self.app = app
        self.hooks = {"startup": list(on_startup), "shutdown": list(on_shutdown)}

    async def __call__(self, scope, receive, send):
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return
        while True:
            message = await receive()
            event = message["type"].removeprefix("lifespan.")  # startup, shutdown
            try:
                for hook in self.hooks[event]:
                    await hook()
            except Exception as exc:
                await send({"type": f"lifespan.{event}.failed", "message": repr(exc)})
            else:
                await send({"type": f"lifespan.{event}.complete"})
            if event == "shutdown":
                return
