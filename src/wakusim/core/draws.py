"""Uniform draws for a whole population, filled by compiled threads.

A month draws one uniform per individual twice (revision in step 4, arrests
in step 6). :func:`uniforms` returns exactly ``rng.random(n)`` and leaves the
generator exactly where ``rng.random(n)`` leaves it, but for large ``n`` and
NumPy's default bit generator (PCG64) the compiled
:func:`wakusim.core.kernels.draws.fill_uniforms` computes the same stream in
fixed pieces on the kernels' threads (each float64 uses one 64-bit output).
"""

from __future__ import annotations

import numpy as np

from wakusim.core.kernels.draws import fill_uniforms

COMPILED_MIN = 1 << 16  # draws from which the compiled fill is used
_LOW = (1 << 64) - 1


def pcg64_halves(bitgen: np.random.PCG64) -> tuple[np.uint64, np.uint64, np.uint64, np.uint64]:
    """Return a PCG64's state and increment as (high, low) uint64 halves (the kernels' form)."""
    s = bitgen.state["state"]
    state, inc = s["state"], s["inc"]
    return (
        np.uint64(state >> 64),
        np.uint64(state & _LOW),
        np.uint64(inc >> 64),
        np.uint64(inc & _LOW),
    )


def move_pcg64(bitgen: np.random.PCG64, hi: np.uint64, lo: np.uint64) -> None:
    """Set a PCG64's state to ``(hi, lo)``, after float64 draws a kernel computed from it.

    The buffered 32-bit half-draw (``has_uint32``) is kept: float64 draws never
    touch it (``PCG64.advance`` would drop it).
    """
    state = bitgen.state
    state["state"]["state"] = (int(hi) << 64) | int(lo)
    bitgen.state = state


def uniforms(rng: np.random.Generator, n: int) -> np.ndarray:
    """Return ``rng.random(n)``, drawn by compiled threads when ``n`` is large.

    Parameters
    ----------
    rng
        The run's generator; advanced by ``n`` draws, as ``rng.random(n)`` would.
    n
        Number of uniforms in ``[0, 1)``.
    """
    bitgen = rng.bit_generator
    if n < COMPILED_MIN or type(bitgen) is not np.random.PCG64:
        return rng.random(n)
    out = np.empty(n)
    move_pcg64(bitgen, *fill_uniforms(out, *pcg64_halves(bitgen)))
    return out
