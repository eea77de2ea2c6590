"""``exp``, ``log`` and ``power`` on arrays, computed by the C library as the kernels compute them.

numpy picks its own vectorised ``exp``, ``log`` and ``power`` by the
processor's instruction sets (AVX-512 machines get implementations whose last
bit differs from the C library's for a few percent of inputs). The compiled
kernels call the C library (``math.exp``, ``math.log``, ``**``). These numpy
ufuncs call the same functions, so that array code written with them gives
the kernels' values to the last bit on any machine: the initial state
(:mod:`wakusim.core.initial`), the companies' exposure
(:mod:`wakusim.core.processes.companies`) and the array formulation of the
decisions (:mod:`wakusim.core.decisions`, which the choice kernel is tested
against). glibc itself picks an FMA build of these functions on processors
that have FMA (every x86-64 processor since 2013); runs agree across
processors of that class with the same C library.

They compute in float64 (a float32 or integer input gives a float64 result).

:func:`power_single` is the one exception, by design: the powers of the
certainty equivalents (step 4) are taken in single precision where that is
accurate enough (:func:`pow_single`, :data:`SINGLE_EXPONENT_MAX`), which
halves the cost of the month's most expensive calls. The compiled choice kernel calls
:func:`pow_single`; the ufunc lets the array formulation do the same.
"""

from __future__ import annotations

import math

import numba
import numpy as np


@numba.vectorize(["float64(float64)"], cache=True, nopython=True)
def exp(x: float) -> float:
    """``math.exp`` as a ufunc."""
    return math.exp(x)


@numba.vectorize(["float64(float64)"], cache=True, nopython=True)
def log(x: float) -> float:
    """``math.log`` as a ufunc (``-inf`` at 0, NaN below, as numpy, but without its warnings)."""
    return math.log(x) if x > 0.0 else (-math.inf if x == 0.0 else math.nan)


@numba.vectorize(["float64(float64, float64)"], cache=True, nopython=True)
def power(x: float, y: float) -> float:
    """``x ** y`` as the kernels compute it, as a ufunc."""
    return x**y


# A certainty equivalent ``(sum_k q_k x_k ** e) ** (1 / e)`` takes its powers in single
# precision (:func:`pow_single`) when ``|1 / e|`` is at most this: a relative error ``d`` in the
# mixture becomes ``|1 / e| d`` in the certainty equivalent, so near log utility (``e`` near 0)
# the roundings of float32 (``2**-24``, about 6e-8) would grow without bound. Within the limit
# the certainty equivalent is within about ``(|1 / e| (2 + |ln mix|) + 2) * 2**-24`` (at most
# about 1.5e-6) of the double-precision value.
SINGLE_EXPONENT_MAX = 20.0
_FLOAT32_TINY = float(np.finfo(np.float32).tiny)
_FLOAT32_MAX = float(np.finfo(np.float32).max)


@numba.njit(cache=True)
def pow_single(x: float, y: float) -> float:
    """``x ** y`` from the C library's single-precision ``powf``, where it is exact enough.

    ``powf`` (about half the cost of ``pow``) is used on ``x`` and ``y``
    rounded to float32 when both ``x`` and the result are normal float32
    numbers, so that no bits are lost to subnormals or overflow; its relative
    error is then below about ``(|y| (1 + |ln x|) + 1) * 2**-24``. Everywhere
    else (and for NaN) it is the float64 ``x ** y``.
    """
    if _FLOAT32_TINY <= x <= _FLOAT32_MAX:
        t = float(np.float32(x) ** np.float32(y))
        if _FLOAT32_TINY <= t <= _FLOAT32_MAX:
            return t
    return x**y


@numba.vectorize(["float64(float64, float64)"], cache=True, nopython=True)
def power_single(x: float, y: float) -> float:
    """:func:`pow_single` as a ufunc (the choice kernel's powers, on arrays)."""
    return pow_single(x, y)
