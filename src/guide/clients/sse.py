"""A server-sent events client over a plain socket: what the tests and ``bench/sse.py`` share.

One :class:`EventStream` is one HTTP/1.1 connection (TCP, or TLS to nginx),
read as it arrives: the response's head, then its chunked body, cut into
events at each blank line. It keeps the raw bytes of each chunk
(:attr:`EventStream.chunks`), so a test can look at what was on the wire
(a gzip stream, say) as well as at the events. A few hundred of them cost
little more than their sockets, which is what a benchmark of 500 open
streams needs.
"""

import asyncio
import ssl
import zlib


class StreamClosed(Exception):
    """The server (or the proxy) closed the connection."""


def parse(block):
    """``{"id": ..., "event": ..., "data": ...}`` of one event, or ``{"comment": ...}``."""
    fields = {}
    for line in block.split("\n"):
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "":
            fields.setdefault("comment", value)
        elif name == "data" and "data" in fields:
            fields["data"] += "\n" + value
        else:
            fields[name] = value
    return fields


class EventStream:
    """One open event stream. ``await EventStream.open(...)``, then :meth:`next`."""

    def __init__(self, reader, writer, status, headers):
        self.reader, self.writer = reader, writer
        self.status, self.headers = status, headers
        self.chunks = []
        self._text = ""
        self._gunzip = (
            zlib.decompressobj(wbits=31) if headers.get("content-encoding") == "gzip" else None
        )

    @classmethod
    async def open(cls, port, path, headers=None, host="127.0.0.1", tls=False):
        """GET ``path`` on ``host:port`` and read the response's head."""
        context = None
        if tls:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        reader, writer = await asyncio.open_connection(host, port, ssl=context, limit=2**20)
        lines = [f"GET {path} HTTP/1.1", "Host: 127.0.0.1", "Accept: text/event-stream"]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        await writer.drain()
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        status = int(head[0].split()[1])
        fields = {}
        for line in head[1:]:
            if line:
                name, _, value = line.partition(":")
                fields[name.strip().lower()] = value.strip()
        return cls(reader, writer, status, fields)

    async def _chunk(self):
        """The next chunk of the body, as sent (``b""`` at its end)."""
        try:
            size_line = await self.reader.readuntil(b"\r\n")
        except (asyncio.IncompleteReadError, ConnectionError) as exc:
            raise StreamClosed("the connection was closed") from exc
        size = int(size_line.split(b";")[0], 16)
        data = await self.reader.readexactly(size + 2)
        self.chunks.append(data[:-2])
        if size == 0:
            raise StreamClosed("the response ended")
        return data[:-2]

    def _gunzip_all(self, data):
        """Decompress ``data``, which may end one gzip member and start another."""
        out = b""
        while data:
            out += self._gunzip.decompress(data)
            if not self._gunzip.eof:
                break
            data = self._gunzip.unused_data
            self._gunzip = zlib.decompressobj(wbits=31)
        return out

    async def next(self, timeout=10.0):
        """The next event or comment (:func:`parse`), waiting at most ``timeout`` seconds."""
        async with asyncio.timeout(timeout):
            while "\n\n" not in self._text:
                data = await self._chunk()
                if self._gunzip is not None:
                    data = self._gunzip_all(data)
                self._text += data.decode()
        block, self._text = self._text.split("\n\n", 1)
        return parse(block)

    async def next_event(self, timeout=10.0):
        """The next event, skipping comments (heartbeats)."""
        while "comment" in (fields := await self.next(timeout)):
            pass
        return fields

    async def close(self):
        self.writer.close()
        try:
            await self.writer.wait_closed()
        except (ConnectionError, ssl.SSLError):
            pass
