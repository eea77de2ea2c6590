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
        ("mallopt", memory.M_TRIM_THRESHOLD, memory.DEFAULT_TRIM),
        ("mallopt", memory.M_MMAP_MAX, memory.DEFAULT_MMAP_MAX),
        ("malloc_trim", 0),
    ]


class _FailingLibc(_RecordingLibc):
    """glibc whose ``mallopt`` refuses from its ``fail_from``-th call on."""

    def __init__(self, fail_from):
        super().__init__()
        self.fail_from = fail_from

    def mallopt(self, parameter, value):
        super().mallopt(parameter, value)
        return int(len(self.calls) < self.fail_from)


def test_only_what_was_applied_is_restored(monkeypatch):
    from wakusim.core import memory

    libc = _FailingLibc(fail_from=3)  # the third setting (the trim threshold) is refused
    monkeypatch.setattr(memory, "_glibc", lambda: libc)
    with keep_freed_memory() as applied:
        assert not applied
    assert libc.calls[3:] == [
        ("mallopt", memory.M_MMAP_MAX, memory.DEFAULT_MMAP_MAX),
        ("malloc_trim", 0),
    ]


def test_nothing_is_undone_when_nothing_was_applied(monkeypatch):
    from wakusim.core import memory

    libc = _FailingLibc(fail_from=1)
    monkeypatch.setattr(memory, "_glibc", lambda: libc)
    with keep_freed_memory() as applied:
        assert not applied
    assert libc.calls == [("mallopt", memory.M_MMAP_THRESHOLD, memory.HEAP_UP_TO)]


@pytest.mark.parametrize(
    ("name", "value"),
    [("MALLOC_MMAP_MAX_", "0"), ("GLIBC_TUNABLES", "glibc.malloc.trim_threshold=1000000")],
)
def test_an_allocator_tuned_by_the_environment_is_left_alone(monkeypatch, name, value):
    from wakusim.core import memory

    libc = _RecordingLibc()
    monkeypatch.setattr(memory, "_glibc", lambda: libc)
    monkeypatch.setenv(name, value)
    with keep_freed_memory() as applied:
        assert not applied
    assert libc.calls == []


# A fresh process runs 3,000,000 individuals for a month (its state is about 600 MB, its
# contact array, 120 MB, above the mmap threshold) and prints its resident memory before and
# after the run.
AFTER_RUN = """
import json, numpy as np, wakusim
from wakusim.api import prepare
from wakusim.core.engine import run

def resident_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20

prepare()
scenario = wakusim.load_scenario(
    "history", {"population.size": 3_000_000, "warmup_months": 0, "end": "2019-01"}
)
before = resident_mb()
out = run(scenario, rng=1)
print(json.dumps({"before": before, "after": resident_mb(), "months": len(out.records)}))
"""


@needs_glibc
def test_a_run_gives_its_memory_back_when_it_ends():
    out = subprocess.run(
        [sys.executable, "-c", AFTER_RUN], capture_output=True, text=True, check=True
    ).stdout
    mb = json.loads(out.splitlines()[-1])
    assert mb["months"] == 1
    # What stays is the allocator's and numba's small change (about 25 MB); with the state
    # freed after the block's end instead of inside it, about 90 MB stayed.
    assert mb["after"] - mb["before"] < 50, mb
