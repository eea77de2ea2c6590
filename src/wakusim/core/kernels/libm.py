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
"""

from __future__ import annotations

import math

import numba


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
