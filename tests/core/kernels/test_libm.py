"""The array exp, log and power are the C library's, as the compiled kernels compute them."""

from __future__ import annotations

import math

import numba
import numpy as np

from wakusim.core.kernels import libm


@numba.njit
def _kernel_values(x, y):
    out = np.empty((3, x.size))
    for i in range(x.size):
        out[0, i] = math.exp(x[i])
        out[1, i] = math.log(y[i])
        out[2, i] = y[i] ** x[i]
    return out


def test_equal_to_the_kernels_and_the_c_library():
    rng = np.random.default_rng(0)
    x = rng.uniform(-30, 30, 20_000)
    y = rng.uniform(1e-9, 3.0, 20_000)
    want = _kernel_values(x, y)
    np.testing.assert_array_equal(libm.exp(x), want[0])
    np.testing.assert_array_equal(libm.log(y), want[1])
    np.testing.assert_array_equal(libm.power(y, x), want[2])
    np.testing.assert_array_equal(libm.exp(x[:500]), [math.exp(v) for v in x[:500]])
    np.testing.assert_array_equal(
        libm.power(y[:500], x[:500]),
        [math.pow(a, b) for a, b in zip(y[:500], x[:500], strict=True)],
    )


@numba.njit
def _kernel_power(x, y):
    out = np.empty(x.size)
    for i in range(x.size):
        out[i] = x[i] ** y
    return out


def test_special_values():
    x = np.array([0.0, -0.0, -1.0, 1.0, np.inf, -np.inf, np.nan])
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(libm.log(x), np.log(x))
        np.testing.assert_array_equal(libm.exp(x), np.exp(x))
        for y in (-1.0, 0.0, 0.5, 2.0, np.inf, np.nan):
            # the C library's pow (numpy's power takes a square root for 0.5: -0 at -0)
            np.testing.assert_array_equal(libm.power(x, y), _kernel_power(x, y))
