"""guide.browser_build.snapshot_parts: the snapshot cut into parts of about equal compressed size."""

import itertools
import random
import zlib

import pytest

from guide.browser_build.snapshot_parts import BLOCK, cuts, part_name, split


def memory_like(blocks):
    """Bytes like a snapshot's: a long run of zeros in its first half, then data that
    barely compresses."""
    rng = random.Random(24)
    pieces = []
    for index in range(blocks):
        zeros = index < blocks // 2 and index % 4
        pieces.append(bytes(BLOCK) if zeros else rng.randbytes(BLOCK))
    return b"".join(pieces)


def test_part_names_keep_the_suffix():
    assert part_name("snapshot.bin", 1) == "snapshot.part1.bin"
    assert part_name("snapshot", 2) == "snapshot.part2"


def test_the_parts_compress_to_about_the_same_size_not_the_same_length():
    data = memory_like(40)
    offsets = cuts(data, 4)
    assert offsets[0] == 0 and offsets[-1] == len(data)
    assert offsets == sorted(offsets)
    assert all(offset % BLOCK == 0 for offset in offsets[:-1])
    packed = [len(zlib.compress(data[a:b], 1)) for a, b in itertools.pairwise(offsets)]
    assert max(packed) - min(packed) <= 1.1 * BLOCK, packed  # within about one block
    # Equal lengths would not be balanced here: the zeros are not spread evenly.
    assert offsets != [len(data) * i // 4 for i in range(5)]


def test_all_zeros_or_tiny_data_still_gives_every_part_in_order():
    assert cuts(bytes(3 * BLOCK), 4)[-1] == 3 * BLOCK
    tiny = cuts(b"abc", 4)
    assert tiny[0] == 0 and tiny[-1] == 3 and tiny == sorted(tiny) and len(tiny) == 5
    with pytest.raises(ValueError, match="at least 1"):
        cuts(b"abc", 0)


def test_split_writes_parts_that_join_to_the_snapshot_and_removes_it(tmp_path):
    data = memory_like(12)
    path = tmp_path / "snapshot.bin"
    path.write_bytes(data)
    parts = split(path, 3)
    assert [part.name for part in parts] == [f"snapshot.part{n}.bin" for n in (1, 2, 3)]
    assert b"".join(part.read_bytes() for part in parts) == data
    assert not path.exists()


def test_the_first_part_ends_after_the_head_the_others_share_the_rest(tmp_path):
    """The worker makes the module from the first part's head while the others download."""
    data = memory_like(40)
    path = tmp_path / "snapshot.bin"
    path.write_bytes(data)
    head = 5 * BLOCK + 100  # the .wasm's data ends inside the sixth block
    parts = split(path, 4, head=head)
    sizes = [len(part.read_bytes()) for part in parts]
    assert sizes[0] == 6 * BLOCK
    assert b"".join(part.read_bytes() for part in parts) == data
    rest = data[6 * BLOCK :]
    offsets = list(itertools.accumulate([0, *sizes[1:]]))
    assert offsets == cuts(rest, 3), "the rest cut as three parts of about equal size"
