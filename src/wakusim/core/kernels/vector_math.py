"""``log`` and ``exp`` that compile to vector instructions, for first estimates.

The C library's ``log``, ``exp`` and ``pow`` (which the kernels call, see
:mod:`wakusim.core.kernels.libm`) are calls that a compiled loop cannot turn
into vector instructions; numba offers no vector versions of them here (its
SVML support needs an llvmlite built for it). :func:`log_estimate` and
:func:`exp_estimate` are short polynomials written out in arithmetic, so a loop
calling them runs four or eight values at once: about 1.6 ns a value on this
project's benchmark machine, against 7-10 ns for the C library.

Their values are *not* the C library's (they differ in the last few bits), so
no model quantity is ever set from them. The choice kernel uses them to value
the modes a first time, with a bound on the error
(:data:`RELATIVE_ERROR` per evaluation), and values again with the C library
the few revisers whose draw lies too close to a boundary for the bound to
decide (:func:`wakusim.core.kernels.choice.choose_modes`): the choices are
those of the C library's values, to the last bit.

Accuracy, measured by the tests on millions of values across every binade:
within 3 units in the last place of the C library's ``log`` for positive
normal inputs, and of its ``exp`` for inputs in ``[-708, 709]`` (relative
errors under 5e-16). :data:`RELATIVE_ERROR` assumes about 2,000 times that.
"""

from __future__ import annotations

from llvmlite import ir
from numba.core import cgutils, types
from numba.extending import intrinsic

from wakusim.core.kernels import kernel

# The relative error assumed for one estimate of log or exp (2**-40, about 9e-13): about
# 2,000 times what tests measure, so that a bound built from it holds with a wide margin.
RELATIVE_ERROR = 2.0**-40

_LN2_HI = 6.93147180369123816490e-01  # ln 2 in 32 bits: k * _LN2_HI is exact for |k| < 2**20
_LN2_LO = 1.90821492927058770002e-10  # ln 2 - _LN2_HI
_LOG2_E = 1.4426950408889634
_SHIFTER = 6755399441055744.0  # 1.5 * 2**52: adding it rounds to an integer, in the low bits
_SQRT_HALF_BITS = 0x3FE6A09E667F3BCD  # the bits of sqrt(1/2)


@intrinsic
def fma(typingctx, a, b, c):  # noqa: ARG001 (numba's intrinsic signature)
    """Return ``a * b + c`` rounded once (the processor's fused multiply-add)."""
    if not all(t == types.float64 for t in (a, b, c)):
        return None

    def codegen(context, builder, signature, args):  # noqa: ARG001
        d = ir.DoubleType()
        fn = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(d, [d, d, d]), "llvm.fma.f64"
        )
        return builder.call(fn, args)

    return types.float64(types.float64, types.float64, types.float64), codegen


@intrinsic
def bits_of(typingctx, x):  # noqa: ARG001
    """Return the 64 bits of a float, as an integer."""
    if x != types.float64:
        return None

    def codegen(context, builder, signature, args):  # noqa: ARG001
        return builder.bitcast(args[0], ir.IntType(64))

    return types.int64(types.float64), codegen


@intrinsic
def float_of(typingctx, x):  # noqa: ARG001
    """Return the float whose 64 bits are the integer ``x``."""
    if x != types.int64:
        return None

    def codegen(context, builder, signature, args):  # noqa: ARG001
        return builder.bitcast(args[0], ir.DoubleType())

    return types.float64(types.int64), codegen


@kernel(inline=True)
def log_estimate(x: float) -> float:
    """``log(x)`` for a positive normal ``x`` (else meaningless), within 3 ulp.

    ``x = 2**k * m`` with ``m`` in ``[sqrt(1/2), sqrt(2))``; ``log(m)`` is
    ``2 atanh(s)``, ``s = (m - 1) / (m + 1)``, whose series in ``s**2`` (at most
    0.0295) is summed to its 11th term by Estrin's scheme. ``log(1)`` is
    exactly 0.
    """
    bits = bits_of(x)
    k = (bits - _SQRT_HALF_BITS) >> 52
    m = float_of(bits - (k << 52))
    kf = float(k)
    f = m - 1.0
    s = f / (2.0 + f)
    z = s * s
    z2 = z * z
    z4 = z2 * z2
    z8 = z4 * z4
    # 1/3 + z/5 + z**2/7 + ... + z**9/21
    p01 = fma(z, 1.0 / 5.0, 1.0 / 3.0)
    p23 = fma(z, 1.0 / 9.0, 1.0 / 7.0)
    p45 = fma(z, 1.0 / 13.0, 1.0 / 11.0)
    p67 = fma(z, 1.0 / 17.0, 1.0 / 15.0)
    p89 = fma(z, 1.0 / 21.0, 1.0 / 19.0)
    p03 = fma(z2, p23, p01)
    p47 = fma(z2, p67, p45)
    p07 = fma(z4, p47, p03)
    p = fma(z8, p89, p07)
    two_s = s + s
    log_m = fma(two_s * z, p, two_s)
    return fma(kf, _LN2_HI, fma(kf, _LN2_LO, log_m))


@kernel(inline=True)
def exp_estimate(x: float) -> float:
    """``exp(x)`` for ``x`` in ``[-708, 709]`` (else meaningless), within 3 ulp.

    ``x = k ln 2 + r`` with ``|r| <= ln(2) / 2`` (``k ln 2`` subtracted in two
    parts); ``exp(r)`` is its Taylor polynomial of degree 12 (truncation under
    2e-16), summed by Estrin's scheme, and ``2**k`` is set in the exponent's
    bits. ``exp(0)`` is exactly 1.
    """
    t = fma(x, _LOG2_E, _SHIFTER)
    kf = t - _SHIFTER
    k = bits_of(t) - bits_of(_SHIFTER)
    r = fma(-kf, _LN2_LO, fma(-kf, _LN2_HI, x))
    r2 = r * r
    r4 = r2 * r2
    r8 = r4 * r4
    c01 = r + 1.0
    c23 = fma(r, 1.0 / 6.0, 0.5)
    c45 = fma(r, 1.0 / 120.0, 1.0 / 24.0)
    c67 = fma(r, 1.0 / 5040.0, 1.0 / 720.0)
    c89 = fma(r, 1.0 / 362880.0, 1.0 / 40320.0)
    c1011 = fma(r, 1.0 / 39916800.0, 1.0 / 3628800.0)
    c03 = fma(r2, c23, c01)
    c47 = fma(r2, c67, c45)
    c811 = fma(r2, c1011, c89)
    c07 = fma(r4, c47, c03)
    c812 = fma(r4, 1.0 / 479001600.0, c811)
    return fma(r8, c812, c07) * float_of((k + 1023) << 52)
