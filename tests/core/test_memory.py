"""keep_freed_memory: a month's arrays reuse freed pages instead of faulting in new ones."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from wakusim.core.memory import _glibc, keep_freed_memory

# A fresh process (default allocator settings) frees 96 MB of arrays at once, five times,
# outside the block, inside it, and after it; it prints the minor page faults of each.
# SIZE is the length of each of the 12 arrays (1,000,000 float64: 8 MB each).
CHURN = """
import json, resource, sys, numpy as np
from wakusim.core.memory import keep_freed_memory

SIZE = int(sys.argv[1])

def churn():
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(5):
        arrays = [np.ones(SIZE) for _ in range(12)]
        del arrays
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before

outside = churn()
with keep_freed_memory() as applied:
    inside = churn()
after = churn()
print(json.dumps({"applied": applied, "outside": outside, "inside": inside, "after": after}))
"""

needs_glibc = pytest.mark.skipif(_glibc() is None, reason="mallopt is glibc's")


@needs_glibc
@pytest.mark.parametrize(
    "size",
    [1_000_000, 5_000_000],  # 8 MB arrays (under the mmap threshold) and 40 MB ones (over it)
)
def test_freed_memory_is_reused_within_the_block_and_returned_after(size):
    out = subprocess.run(
        [sys.executable, "-c", CHURN, str(size)], capture_output=True, text=True, check=True
    ).stdout
    faults = json.loads(out.splitlines()[-1])
    assert faults["applied"]
    # Outside, each round's 96 MB goes back to the system and comes back as new pages
    # (about 23,000 faults a round); inside, only the first round faults them in.
    assert faults["inside"] < faults["outside"] / 2, faults
    assert faults["after"] > faults["outside"] / 2, faults  # back to the defaults


def test_the_block_is_harmless_where_there_is_no_glibc(monkeypatch):
    monkeypatch.setattr("wakusim.core.memory._glibc", lambda: None)
    with keep_freed_memory() as applied:
        assert applied is False


class _RecordingLibc:
    """Stands in for glibc: records the calls."""

    def __init__(self):
        self.calls = []

    def mallopt(self, parameter, value):
        self.calls.append(("mallopt", parameter, value))
        return 1

    def malloc_trim(self, pad):
        self.calls.append(("malloc_trim", pad))
        return 1


def test_nested_blocks_restore_the_defaults_only_when_the_last_closes(monkeypatch):
    from wakusim.core import memory

    libc = _RecordingLibc()
    monkeypatch.setattr(memory, "_glibc", lambda: libc)
    with keep_freed_memory() as outer:
        with keep_freed_memory() as inner:
            assert outer and inner
        assert libc.calls == [
            ("mallopt", memory.M_MMAP_THRESHOLD, memory.HEAP_UP_TO),
            ("mallopt", memory.M_MMAP_MAX, memory.NO_MAPPINGS),
            ("mallopt", memory.M_TRIM_THRESHOLD, memory.KEEP),
        ]
    assert libc.calls[3:] == [
        ("mallopt", memory.M_MMAP_MAX, memory.DEFAULT_MMAP_MAX),
        ("mallopt", memory.M_TRIM_THRESHOLD, memory.DEFAULT_TRIM),
        ("malloc_trim", 0),
    ]
