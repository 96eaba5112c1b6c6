"""Django for HTTP, plus a WebSocket echo endpoint, in one pure-ASGI application.

Serve ``mysite.asgi_websocket:application`` with any server that speaks
WebSocket. A ``websocket`` connection to ``/ws/echo/`` is accepted and each
text message is sent back; every other connection (HTTP, lifespan) goes to
Django's own application. No Django Channels: a WebSocket scope is just
another ASGI scope.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")

django_application = get_asgi_application()

ECHO_PATH = "/ws/echo/"


# --8<-- [start:echo]
async def echo(scope, receive, send):
    """Accept the connection, echo each text message, close when the client does."""
    while True:
        event = await receive()
        if event["type"] == "websocket.connect":
            await send({"type": "websocket.accept"})
        elif event["type"] == "websocket.receive":
            if event.get("text") is not None:
                await send({"type": "websocket.send", "text": event["text"]})
        elif event["type"] == "websocket.disconnect":
            return


async def application(scope, receive, send):
    if scope["type"] == "websocket":
        path = scope["path"].removeprefix(scope.get("root_path", ""))
        if path == ECHO_PATH:
            return await echo(scope, receive, send)
        # Any other WebSocket path: refuse the handshake (403).
        await receive()  # websocket.connect
        return await send({"type": "websocket.close"})
    return await django_application(scope, receive, send)


# --8<-- [end:echo]
