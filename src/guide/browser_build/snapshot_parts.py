"""The memory snapshot served as parts that download side by side.

One download of the snapshot (8 MB brotli, 45 MB once decoded) was the last to
arrive and ran at about 3.6 MB/s on an emulated 50 Mbit/s link where four parallel
downloads of its quarters ran at 4.9 MB/s (2.2 s against 1.6 s; at 20 Mbit/s,
4.1 s against 3.5 s: Chromium 156, ``Network.emulateNetworkConditions``,
``bench/browser.py``'s server). So the build cuts it into :data:`PARTS` files,
each listed in ``manifest.json``'s ``files`` (checked by its sha256 like any other)
and in ``boot``; the worker downloads them at once and joins them in order
(``browser/boot.mjs``). ``manifest["snapshot"]`` keeps naming the snapshot the
start restores, ``manifest["snapshot_parts"]`` its files.

The cuts fall where each part compresses to about the same size: the snapshot's
memory is zeros in long stretches, so equal lengths would give parts of 1.1 to
3.1 MB, and the largest would arrive last.

Except the first: it ends where the memory the worker needs before the rest
does (``head``: the stretch that holds the .wasm's data, :mod:`guide.browser_build.wasm_data`),
about 1 MB brotli. It arrives well before the others, and the worker makes
the module with it (instantiates the .wasm, starts Emscripten) while they
download, instead of after the last (``browser/interpreter.mjs``, ``restorer``:
119 ms at 20 Mbit/s when this was written).
"""

import itertools
import zlib

PARTS = 4
BLOCK = 1 << 18
"""Cuts fall on multiples of this (256 KiB): the balance is within one block's share."""


def part_name(snapshot, index):
    """``snapshot.bin``'s part ``index`` (from 1): ``snapshot.part1.bin``."""
    stem, dot, suffix = snapshot.rpartition(".")
    return f"{stem}.part{index}{dot}{suffix}" if dot else f"{snapshot}.part{index}"


def cuts(data, parts=PARTS):
    """Offsets that cut ``data`` into ``parts`` pieces of about equal compressed size.

    Returns ``parts + 1`` increasing offsets from 0 to ``len(data)``; a piece is empty
    only when ``data`` has fewer blocks than ``parts``.
    """
    if parts < 1:
        raise ValueError(f"parts must be at least 1, not {parts}")
    weights = [len(zlib.compress(data[i : i + BLOCK], 1)) for i in range(0, len(data), BLOCK)]
    total = sum(weights)
    offsets, running, block = [0], 0, 0
    for part in range(1, parts):
        target = total * part / parts
        while block < len(weights) and running + weights[block] / 2 < target:
            running += weights[block]
            block += 1
        offsets.append(min(max(block * BLOCK, offsets[-1]), len(data)))
    offsets.append(len(data))
    return offsets


def split(path, parts=PARTS, head=0):
    """Write ``path``'s parts beside it, remove ``path``; return the parts' paths in order.

    With ``head`` (an offset), the first part ends at the first multiple of
    :data:`BLOCK` at or after it, and the others cut the rest (:func:`cuts`).
    """
    data = path.read_bytes()
    first = min(-(-head // BLOCK) * BLOCK, len(data))
    if first and parts > 1:
        offsets = [0, *(first + offset for offset in cuts(data[first:], parts - 1))]
    else:
        offsets = cuts(data, parts)
    written = []
    for index, (start, end) in enumerate(itertools.pairwise(offsets), start=1):
        part = path.with_name(part_name(path.name, index))
        part.write_bytes(data[start:end])
        written.append(part)
    path.unlink()
    return written
