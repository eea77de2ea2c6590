"""Uniforms drawn by compiled threads are ``rng.random(n)``; the stream goes on the same."""

from __future__ import annotations

import numpy as np
import pytest

from wakusim.core.draws import COMPILED_MIN, uniforms


def _then(rng: np.random.Generator) -> list[np.ndarray]:
    """Draws after the uniforms: 32-bit integers (buffered halves), a permutation, floats."""
    return [
        rng.integers(0, 1000, size=7, dtype=np.int32),
        rng.permutation(11),
        rng.random(5),
        rng.integers(0, 2**40, size=3),
    ]


def _assert_same_state(x: object, y: object) -> None:
    if isinstance(x, dict):
        assert isinstance(y, dict) and x.keys() == y.keys()
        for key in x:
            _assert_same_state(x[key], y[key])
    else:
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize(
    "n",
    [
        0,
        1,
        1000,
        COMPILED_MIN - 1,
        COMPILED_MIN,
        COMPILED_MIN + 1,
        3 * COMPILED_MIN + 7,
        16 * COMPILED_MIN + 5,
    ],
)
@pytest.mark.parametrize("bitgen", [np.random.PCG64, np.random.PCG64DXSM, np.random.MT19937])
@pytest.mark.parametrize("buffered", [False, True])
def test_uniforms_equal_rng_random(n, bitgen, buffered):
    a = np.random.Generator(bitgen(np.random.SeedSequence(42, spawn_key=(3,))))
    b = np.random.Generator(bitgen(np.random.SeedSequence(42, spawn_key=(3,))))
    if buffered:  # leave half of a 64-bit output in the generator's 32-bit buffer
        a.integers(0, 10, size=1, dtype=np.int32)
        b.integers(0, 10, size=1, dtype=np.int32)
    expected = a.random(n)
    got = uniforms(b, n)
    np.testing.assert_array_equal(got, expected)
    assert got.dtype == np.float64 and got.shape == (n,)
    _assert_same_state(a.bit_generator.state, b.bit_generator.state)
    for x, y in zip(_then(a), _then(b), strict=True):
        np.testing.assert_array_equal(x, y)
