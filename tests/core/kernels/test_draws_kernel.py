"""The compiled PCG64 stream is NumPy's, piece by piece and on any number of threads."""

from __future__ import annotations

import numba
import numpy as np
import pytest

from wakusim.core.draws import pcg64_halves as _state
from wakusim.core.kernels.draws import STREAMS, advance, fill_uniforms


@pytest.mark.parametrize("delta", [0, 1, 2, 3, 7, 1000, 2**31 + 5, 2**40 + 17, 2**63 - 1])
def test_advance_equals_numpy(delta):
    start = np.random.PCG64(np.random.SeedSequence(9, spawn_key=(delta % 5,)))
    moved = np.random.PCG64(0)
    moved.state = start.state
    moved.advance(delta)
    hi, lo = advance(*_state(start), delta)
    assert (int(hi) << 64) | int(lo) == moved.state["state"]["state"]


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("n", [0, 1, STREAMS - 1, STREAMS, STREAMS + 1, 1000, 65_543])
def test_fill_equals_generator_random(n, threads):
    bitgen = np.random.PCG64(np.random.SeedSequence(4, spawn_key=(n,)))
    reference = np.random.Generator(np.random.PCG64(0))
    reference.bit_generator.state = bitgen.state
    expected = reference.random(n)
    out = np.full(n, np.nan)
    before = numba.get_num_threads()
    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    try:
        hi, lo = fill_uniforms.parallel(out, *_state(bitgen))
    finally:
        numba.set_num_threads(before)
    np.testing.assert_array_equal(out, expected)
    assert (int(hi) << 64) | int(lo) == reference.bit_generator.state["state"]["state"]


def test_fill_fails_on_a_wrong_increment():
    """A stream with another increment differs (the test above can fail)."""
    bitgen = np.random.PCG64(5)
    expected = np.random.Generator(bitgen).random(100)
    bitgen = np.random.PCG64(5)
    hi, lo, inc_hi, inc_lo = _state(bitgen)
    out = np.empty(100)
    fill_uniforms.serial(out, hi, lo, inc_hi, inc_lo + np.uint64(2))
    assert not np.array_equal(out, expected)
