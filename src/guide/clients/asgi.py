"""Call an ASGI application directly, the way a server would, and collect what it sends."""

import asyncio

from asgiref.testing import ApplicationCommunicator


def http_scope(path, method="GET", headers=(), query_string=b"", root_path=""):
    """A minimal ASGI HTTP scope, as uvicorn would build it."""
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": root_path,
        "query_string": query_string,
        "headers": [(b"host", b"127.0.0.1"), *headers],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }


async def request(application, scope, body=b"", timeout=10):
    """Send one request; return ``(status, headers, body)`` from the messages sent back."""
    communicator = ApplicationCommunicator(application, scope)
    await communicator.send_input({"type": "http.request", "body": body, "more_body": False})
    start = await communicator.receive_output(timeout)
    assert start["type"] == "http.response.start", start
    chunks = []
    while True:
        message = await communicator.receive_output(timeout)
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    await communicator.wait(timeout)
    return start["status"], dict(start.get("headers", [])), b"".join(chunks)


def get(application, path, **scope):
    return asyncio.run(request(application, http_scope(path, **scope)))
