"""A gzip-compressing reverse proxy for ``mkdocs serve``: ``nox -s serve``.

``mkdocs serve`` sends every file uncompressed. A real static host compresses
them, and the browser runtime is built for that: its bundles are stored, not
deflated, so that the host's gzip or brotli compresses them as a whole (see
browser/README.md). Served uncompressed, the runtime would cost 19 MB instead
of 8-10 MB, and the numbers a writer sees would not be the readers'.

This proxy forwards each request to ``mkdocs serve`` (so live reload keeps
working: its long-polling requests just pass through) and gzips the answer
when the client accepts gzip and the type is worth compressing. Standard
library only; for local use, never for a deployment (``nox -s publish``
writes precompressed files for that).

    python -m guide.site.gzip_proxy --upstream http://127.0.0.1:8001 --port 8000
"""

import argparse
import gzip
import http.server
import sys
import urllib.error
import urllib.request

#: Content types worth compressing (the .wasm, the bundles, text).
COMPRESSIBLE = (
    "text/",
    "application/javascript",
    "application/json",
    "application/wasm",
    "application/octet-stream",
    "image/svg+xml",
)
#: Headers not passed on from mkdocs serve (the proxy sets its own).
HOP_HEADERS = {
    "connection",
    "content-length",
    "content-encoding",
    "transfer-encoding",
    "keep-alive",
    "server",
    "date",
}


def compressible(content_type, size):
    return size > 1024 and content_type.split(";")[0].strip().startswith(COMPRESSIBLE)


class Handler(http.server.BaseHTTPRequestHandler):
    upstream = "http://127.0.0.1:8001"
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _forward(self):
        headers = {
            k: v for k, v in self.headers.items() if k.lower() not in ("host", "accept-encoding")
        }
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        request = urllib.request.Request(
            self.upstream + self.path, data=body, headers=headers, method=self.command
        )
        try:
            with urllib.request.urlopen(request, timeout=None) as response:
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read()
        except OSError as error:
            message = f"guide.site.gzip_proxy: {self.upstream} did not answer: {error}\n".encode()
            return 502, {"Content-Type": "text/plain; charset=utf-8"}, message

    def _answer(self, send_body=True):
        status, headers, body = self._forward()
        content_type = headers.get("Content-Type", "")
        accepts = "gzip" in self.headers.get("Accept-Encoding", "")
        zipped = status == 200 and accepts and compressible(content_type, len(body))
        if zipped:
            body = gzip.compress(body, 6)
        self.send_response(status)
        for name, value in headers.items():
            if name.lower() not in HOP_HEADERS:
                self.send_header(name, value)
        if zipped:
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Vary", "Accept-Encoding")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    def do_GET(self):
        self._answer()

    def do_HEAD(self):
        self._answer(send_body=False)

    def do_POST(self):
        self._answer()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upstream", default="http://127.0.0.1:8001")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    Handler.upstream = args.upstream.rstrip("/")
    server = http.server.ThreadingHTTPServer((args.host, args.port), Handler)
    print(f"Serving {args.upstream} gzip-compressed on http://{args.host}:{args.port}/", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
