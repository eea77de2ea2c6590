"""The array exp, log and power are the C library's, as the compiled kernels compute them."""

from __future__ import annotations

import ctypes
import ctypes.util
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


@numba.njit
def _kernel_power_single(x, y):
    out = np.empty(x.size)
    for i in range(x.size):
        out[i] = libm.pow_single(x[i], y[i])
    return out


def test_power_single_is_powf_within_its_error_bound():
    rng = np.random.default_rng(1)
    # the certainty equivalents' bases (outcome over the larger outcome, mixtures) and
    # exponents (1 - gamma for gamma from 0.2 to 8, and inverses up to the limit)
    x = rng.uniform(0.01, 1.0, 50_000)
    y = np.concatenate([rng.uniform(-7.0, 0.8, 25_000), rng.uniform(-20.0, 20.0, 25_000)])
    with np.errstate(over="ignore"):  # powf overflows before the fall-back (0.01 ** -20)
        got = libm.power_single(x, y)
    np.testing.assert_array_equal(got, _kernel_power_single(x, y))
    # the C library's powf on the float32-rounded base and exponent
    powf = ctypes.CDLL(ctypes.util.find_library("m")).powf
    powf.restype, powf.argtypes = ctypes.c_float, [ctypes.c_float, ctypes.c_float]
    x32, y32 = x[:2000].astype(np.float32), y[:2000].astype(np.float32)
    want = [powf(a, b) for a, b in zip(x32.tolist(), y32.tolist(), strict=True)]
    np.testing.assert_array_equal(got[:2000], want)
    error = np.abs(got / libm.power(x, y) - 1.0)
    assert np.all(error <= 2.0 * (np.abs(y) * (1.0 + np.abs(np.log(x))) + 1.0) * 2.0**-24)
    assert error.max() > 1e-9  # really single precision


def test_power_single_falls_back_to_double():
    # base or result outside float32's normal numbers; NaN; zero
    x = np.array([1e-40, 1e39, 0.5, 2.0, np.nan, 0.5, 0.0, 3e-39])
    y = np.array([0.5, 0.5, 200.0, 200.0, 1.0, np.nan, -1.0, 1.0])
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(libm.power_single(x, y), libm.power(x, y))
    assert libm.power_single(0.3, 0.7) == float(np.float32(0.3) ** np.float32(0.7))
    assert libm.power_single(0.3, 0.7) != libm.power(0.3, 0.7)
