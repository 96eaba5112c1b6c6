"""Send one HTTP request to an ASGI application, as a server would, without a server.

    >>> from mysite.asgi import application
    >>> from mysite.asgi_client import request
    >>> response = request(application, "/polls/async/2/")
    >>> response.status, response.json()
    (200, {'id': 2, 'text': 'Sync or async?'})

Any other keyword is a scope key, given as is: ``scheme="https"``,
``root_path="/app"``, ``client=("203.0.113.7", 51000)``.
"""

import asyncio
import json


async def arequest(
    application, path="/", *, method="GET", headers=(), body=b"", timeout=10, **scope
):
    """Call ``application`` once; return the :class:`Response` it sent."""
    path, _, query = path.partition("?")  # as the server splits the request line
    headers = [(name.lower(), value) for name, value in headers]
    names = {name for name, _ in headers}
    if b"host" not in names:  # every HTTP/1.1 client sends one
        headers.insert(0, (b"host", b"localhost"))
    if body and b"content-length" not in names:
        headers.append((b"content-length", str(len(body)).encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "query_string": query.encode(),
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        **scope,
    }
    incoming = [{"type": "http.request", "body": body, "more_body": False}]
    sent, complete = [], asyncio.Event()

    async def receive():
        if incoming:
            return incoming.pop(0)
        await complete.wait()  # the client is still there until the response ends
        return {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)
        if message["type"] == "http.response.body" and not message.get("more_body"):
            complete.set()

    await asyncio.wait_for(application(scope, receive, send), timeout)
    return Response(scope, sent)


def request(application, path="/", **options):
    """:func:`arequest` in an event loop of its own."""
    return asyncio.run(arequest(application, path, **options))


class Response:
    """What the application sent back."""

    def __init__(self, scope, messages):
        self.scope = scope  # the scope it was called with
        self.messages = messages  # every message it sent, in order
        start = messages[0]
        self.status = start["status"]
        self.headers = {}  # names in lower case; a repeated header's values joined
        for name, value in start.get("headers", []):
            name = name.lower()
            if name in self.headers:
                value = self.headers[name] + b", " + value
            self.headers[name] = value
        self.body = b"".join(message.get("body", b"") for message in messages[1:])

    @property
    def text(self):
        return self.body.decode()

    def json(self):
        return json.loads(self.body)
