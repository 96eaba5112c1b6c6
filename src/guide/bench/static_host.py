"""The published site served on 127.0.0.1 as a static host serves it (the benchmarks share it).

:func:`serve` serves a folder written by :mod:`guide.site.publish`: the
precompressed file the browser accepts (``.br``, else ``.gz``; else the file as
it is) with ``Content-Encoding`` and ``Vary``, a ``304`` to a matching
``If-Modified-Since``, and each rule of its ``_headers`` file (the runtime's
files cached for a year, the pages revalidated). ``PublishedHandler.sent``
records every response's bytes (headers included) and ``accepted`` the
``Accept-Encoding`` headers the browser sent. Used by ``bench/browser.py`` and
``bench/lighthouse.py``.
"""

import http.server
import threading
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit


class PublishedHandler(http.server.SimpleHTTPRequestHandler):
    """A published folder served as a static host serves it (see the module's docstring).

    ``rules``: ``{url path: [(header, value)]}`` from ``_headers``; ``sent``: every
    response as ``(url path, Content-Encoding, bytes written)``, headers included.
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
        self.url_path = urlsplit(self.path).path
        self.wfile.count = 0
        encoding = ""
        try:
            encoding = self.send_precompressed()
            if encoding is None:
                encoding = ""
                super().do_GET()
        finally:
            self.sent.append((self.url_path, encoding, self.wfile.count))

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


def header_rules(text):
    """``{url path: [(name, value)]}`` of a published ``_headers`` file."""
    rules, current = {}, None
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if line.startswith("/"):
            current = rules.setdefault(line.strip(), [])
        else:
            name, value = (part.strip() for part in line.split(":", 1))
            current.append((name, value))
    return rules


def serve(published):
    PublishedHandler.rules = header_rules((published / "_headers").read_text(encoding="utf-8"))
    handler = partial(PublishedHandler, directory=str(published))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
