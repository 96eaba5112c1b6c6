"""guide.browser_build.wasm_data: the .wasm without its data, the data as an image of memory."""

import json
import shutil
import subprocess

import pytest

from guide.browser_build.wasm_data import WasmDataError, split_data

HEADER = b"\0asm\x01\0\0\0"
MEMORY = bytes([5, 3, 1, 0, 1])  # one memory of one page
EXPORT = bytes([7, 7, 1, 3]) + b"mem" + bytes([2, 0])  # exported as "mem"
DATA_COUNT = bytes([12, 1, 3])


def section(kind, body):
    assert len(body) < 128
    return bytes([kind, len(body)]) + body


def module(segments):
    return HEADER + MEMORY + EXPORT + DATA_COUNT + section(11, bytes([3]) + segments)


# An active segment at 16 ("abc"), a passive one ("zz"), an active one at 100
# ("xy"): 100 is 0xE4 0x00 as a signed LEB128, the case a one-byte reader gets wrong.
SEGMENTS = (
    bytes([0, 0x41, 16, 0x0B, 3])
    + b"abc"
    + bytes([1, 2])
    + b"zz"
    + bytes([0, 0x41, 0xE4, 0x00, 0x0B, 2])
    + b"xy"
)

NODE_MEMORY = """
const [whole, stripped, image, offset] = process.argv.slice(1).map((a, i) =>
  i < 3 ? Buffer.from(a, "hex") : Number(a));
const memoryOf = async (bytes) => new Uint8Array(
  (await WebAssembly.instantiate(bytes)).instance.exports.mem.buffer);
const a = await memoryOf(whole);
const b = await memoryOf(stripped);
const emptied = b.subarray(0, 200).every((x) => x === 0);
b.set(image, offset);
console.log(JSON.stringify({
  valid: WebAssembly.validate(stripped),
  emptied,
  same: a.every((x, i) => x === b[i]),
}));
"""


def test_the_data_moves_to_an_image_of_memory():
    wasm = module(SEGMENTS)
    stripped, offset, image = split_data(wasm)
    assert offset == 16
    assert image == b"abc" + bytes(100 - 19) + b"xy"
    assert b"abc" not in stripped and b"xy" not in stripped
    assert b"zz" in stripped  # a passive segment stays: the code copies it itself


@pytest.mark.skipif(shutil.which("node") is None, reason="needs Node")
def test_the_image_written_into_memory_gives_the_memory_of_the_whole_module():
    wasm = module(SEGMENTS)
    stripped, offset, image = split_data(wasm)
    done = subprocess.run(
        ["node", "--input-type=module", "-e", NODE_MEMORY]
        + [wasm.hex(), stripped.hex(), image.hex(), str(offset)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(done.stdout) == {"valid": True, "emptied": True, "same": True}


def test_what_it_cannot_move_is_named():
    with pytest.raises(WasmDataError, match="not a WebAssembly module"):
        split_data(b"not wasm")
    with pytest.raises(WasmDataError, match="no data section"):
        split_data(HEADER + MEMORY)
    with pytest.raises(WasmDataError, match="another memory"):
        split_data(module(bytes([2, 1, 0x41, 0, 0x0B, 0])))
