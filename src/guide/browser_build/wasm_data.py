"""pyodide.asm.wasm without its data segments, and those segments as a memory image of their own.

A WebAssembly module's *active data segments* are bytes the engine copies
into memory when the module is instantiated: for Pyodide, 3.3 MB of CPython's
static data (1.1 MB brotli of the .wasm's 2.7). Python restored from the
memory snapshot never reads them: the snapshot overwrites the whole memory.
So the build serves the .wasm without them (:func:`split_data`), and writes
them once, as one image of the memory they fill, to ``pyodide.asm.data``. A
boot from scratch (another Django release, an engine without the snapshot's
stack switching) downloads that image and writes it into memory before any
of the module's code runs (``browser/interpreter.mjs`` ``withWasmData``), as
instantiating the whole module would have.

Restored from the snapshot, Python does not read that data, but the
module's constructors run before Pyodide writes the snapshot into memory, and
they call through tables of function pointers in it (with zeros there, they
stop on "null function"). The snapshot's own copy of that stretch of memory
is the data as Python left it; the build writes how the two differ
(:func:`difference`, ``snapshot.wasm-data.bin``, 52 kB brotli), and the worker
gets the data back from the snapshot and that (``browser/boot.mjs``).

Only what the WebAssembly specification calls an active segment of memory 0
at a constant offset is moved (all of Pyodide's, checked when this was
written); a passive one, which the code copies itself with ``memory.init``, is
left in place. The segments stay, each with no bytes, so that their indices
and the data count section still match.
"""

DATA_SECTION = 11
_I32_CONST = 0x41
_END = 0x0B


class WasmDataError(ValueError):
    """The module is not one whose data this can move (the message says why)."""


def _leb(data, i, signed=False):
    """The LEB128 number at ``data[i]`` and the index after it."""
    result = shift = 0
    while True:
        byte = data[i]
        i += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            if signed and byte & 0x40:
                result -= 1 << shift
            return result, i


def _uleb(data, i):
    return _leb(data, i)


def _sleb(data, i):
    return _leb(data, i, signed=True)


def _uleb_bytes(value):
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _sleb_bytes(value):
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        done = (value == 0 and not byte & 0x40) or (value == -1 and byte & 0x40)
        out.append(byte | (0 if done else 0x80))
        if done:
            return bytes(out)


def _sections(wasm):
    """``(id, start of contents, end)`` of each section."""
    if wasm[:4] != b"\0asm":
        raise WasmDataError("not a WebAssembly module")
    i = 8
    while i < len(wasm):
        section = wasm[i]
        size, start = _uleb(wasm, i + 1)
        yield section, start, start + size
        i = start + size


def split_data(wasm):
    """``(module, offset, image)``: ``wasm`` with its active segments emptied, and their memory.

    ``image`` holds the bytes the segments put in memory from ``offset`` on
    (zeros between segments, which memory has before instantiation anyway).
    """
    found = [(start, end) for kind, start, end in _sections(wasm) if kind == DATA_SECTION]
    if not found:
        raise WasmDataError("the module has no data section")
    [(start, end)] = found
    count, i = _uleb(wasm, start)
    segments = []  # (offset or None, bytes, the segment's encoding without its bytes)
    for _ in range(count):
        flag, j = _uleb(wasm, i)
        if flag == 0:
            if wasm[j] != _I32_CONST:
                raise WasmDataError("a data segment's offset is not an i32.const")
            offset, j = _sleb(wasm, j + 1)
            if wasm[j] != _END:
                raise WasmDataError("a data segment's offset is not a single i32.const")
            size, j = _uleb(wasm, j + 1)
            segments.append((offset, wasm[j : j + size], None))
        elif flag == 1:
            size, k = _uleb(wasm, j)
            segments.append((None, None, wasm[i : k + size]))
            j = k
        else:
            raise WasmDataError(f"a data segment of kind {flag} (another memory)")
        i = j + size
    if i != end:
        raise WasmDataError("the data section does not end where its segments do")
    active = [(offset, payload) for offset, payload, _ in segments if offset is not None]
    if not active:
        raise WasmDataError("the module has no active data segment")
    low = min(offset for offset, _ in active)
    high = max(offset + len(payload) for offset, payload in active)
    image = bytearray(high - low)
    body = bytearray(_uleb_bytes(count))
    for offset, payload, kept in segments:
        if kept is not None:
            body += kept
            continue
        image[offset - low : offset - low + len(payload)] = payload
        body += bytes([0, _I32_CONST]) + _sleb_bytes(offset) + bytes([_END, 0])
    section_start = start - len(_uleb_bytes(end - start)) - 1
    module = (
        wasm[:section_start]
        + bytes([DATA_SECTION])
        + _uleb_bytes(len(body))
        + bytes(body)
        + wasm[end:]
    )
    return module, low, bytes(image)


def memory_start(snapshot):
    """Where the memory starts in a Pyodide memory snapshot.

    Pyodide 314's snapshot is a header, then the memory; the header's second
    32-bit word (little-endian) is where the memory starts (``pyodide.asm.mjs``,
    ``API.makeSnapshot`` and ``API.restoreSnapshot``).
    """
    return int.from_bytes(snapshot[4:8], "little")


def snapshot_memory(snapshot, offset, length):
    """The ``length`` bytes of memory from ``offset`` on, in a Pyodide memory snapshot."""
    start = memory_start(snapshot)
    return snapshot[start + offset : start + offset + length]


def difference(a, b):
    """``a`` XOR ``b`` (of one length): XOR it with either to get the other."""
    if len(a) != len(b):
        raise WasmDataError(f"{len(a)} bytes against {len(b)}")
    return (int.from_bytes(a, "little") ^ int.from_bytes(b, "little")).to_bytes(len(a), "little")
