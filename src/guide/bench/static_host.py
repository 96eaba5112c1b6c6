"""The published site served on 127.0.0.1 as a static host serves it (the benchmarks share it).

:func:`serve` serves a folder written by :mod:`guide.site.publish`: the
precompressed file the browser accepts (``.br``, else ``.gz``; else the file as
it is) with ``Content-Encoding`` and ``Vary``, a ``304`` to a matching
``If-Modified-Since``, and each rule of its ``_headers`` file (the runtime's
files cached for a year, the pages revalidated). ``PublishedHandler.sent``
records every response's bytes (headers included) and ``accepted`` the
``Accept-Encoding`` headers the browser sent. :func:`published_and_served`
publishes a built site into a temporary folder first. Used by ``bench/browser.py``
and ``bench/lighthouse.py``.
"""

import http.server
import tempfile
import threading
import time
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit

from guide.site import publish
from guide.site.publish import read_headers_file


class PublishedHandler(http.server.SimpleHTTPRequestHandler):
    """A published folder served as a static host serves it (see the module's docstring).

    ``rules``: ``{url path: [(header, value)]}`` from ``_headers``; ``sent``: every
    response as ``(url path, Content-Encoding, bytes written, time.monotonic() when the
    request arrived)``, headers included.
    """

    rules = {}
    sent = []
    accepted = set()  # the Accept-Encoding headers Chromium sent

    def log_message(self, *args):
        pass

    def setup(self):
        super().setup()
        self.wfile = Counted(self.wfile)

    def send_rules(self, path):
        for name, value in self.rules.get(path, ()):
            if name != "Content-Type":
                self.send_header(name, value)

    def guess_type(self, path):
        rule = dict(self.rules.get(self.url_path, ()))
        return rule.get("Content-Type") or super().guess_type(path)

    def end_headers(self):
        self.send_rules(self.url_path)
        super().end_headers()

    def do_GET(self):
        arrived = time.monotonic()
        self.url_path = urlsplit(self.path).path
        self.wfile.count = 0
        encoding = ""
        try:
            encoding = self.send_precompressed()
            if encoding is None:
                encoding = ""
                super().do_GET()
        finally:
            self.sent.append((self.url_path, encoding, self.wfile.count, arrived))

    def send_precompressed(self):
        """Send the ``.br`` or ``.gz`` file the client accepts; its encoding, or None."""
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        accepts = self.headers.get("Accept-Encoding", "")
        self.accepted.add(accepts)
        for encoding, suffix in (("br", ".br"), ("gzip", ".gz")):
            packed = path.with_name(path.name + suffix)
            if encoding in accepts and packed.is_file():
                break
        else:
            return None
        modified = self.date_time_string(int(path.stat().st_mtime))
        if self.headers.get("If-Modified-Since") == modified:
            self.send_response(304)
            self.end_headers()
            return encoding
        body = packed.read_bytes()
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", encoding)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Last-Modified", modified)
        self.send_header("Vary", "Accept-Encoding")
        self.end_headers()
        self.wfile.write(body)
        return encoding


class Counted:
    """A response stream that counts the bytes written to it."""

    def __init__(self, stream):
        self.stream, self.count = stream, 0

    def write(self, data):
        self.count += len(data)
        return self.stream.write(data)

    def __getattr__(self, name):
        return getattr(self.stream, name)


def serve(published):
    PublishedHandler.rules = read_headers_file((published / "_headers").read_text(encoding="utf-8"))
    handler = partial(PublishedHandler, directory=str(published))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@contextmanager
def published_and_served(site, log=print):
    """``site`` (a built site) published into a temporary folder and served there.

    Yields ``(published folder, server)``; the server stops and the folder is removed
    on exit. ``log``: :func:`guide.site.publish.publish`'s.
    """
    with tempfile.TemporaryDirectory(prefix="bench-published-") as folder:
        published = Path(folder) / "site"
        publish.publish(site, published, log=log)
        server = serve(published)
        try:
            yield published, server
        finally:
            server.shutdown()
            server.server_close()
