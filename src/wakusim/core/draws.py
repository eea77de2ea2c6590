"""Uniform draws for a whole population, filled on two threads.

A month draws one uniform per individual twice (revision in step 4, arrests
in step 6). :func:`uniforms` returns exactly ``rng.random(n)`` and leaves the
generator exactly where ``rng.random(n)`` leaves it, but for large ``n`` and a
PCG64 generator (NumPy's default) it fills the second half on another thread
from a copy of the generator jumped ahead with ``advance`` (each float64
uses one 64-bit output). NumPy releases the GIL while it fills an array, so
both halves are drawn at once.
"""

from __future__ import annotations

import threading

import numpy as np

SPLIT_MIN = 1 << 18  # draws from which the second half is filled on another thread
_SPLITTABLE = (np.random.PCG64, np.random.PCG64DXSM)


def uniforms(rng: np.random.Generator, n: int) -> np.ndarray:
    """Return ``rng.random(n)``, drawn on two threads when ``n`` is large.

    Parameters
    ----------
    rng
        The run's generator; advanced by ``n`` draws, as ``rng.random(n)`` would.
    n
        Number of uniforms in ``[0, 1)``.
    """
    bitgen = rng.bit_generator
    if n < SPLIT_MIN or type(bitgen) not in _SPLITTABLE:
        return rng.random(n)
    start = bitgen.state
    ahead = type(bitgen)(0)
    ahead.state = start
    cut = n // 2
    ahead.advance(cut)
    out = np.empty(n)
    worker = threading.Thread(target=np.random.Generator(ahead).random, kwargs={"out": out[cut:]})
    worker.start()
    rng.random(out=out[:cut])
    worker.join()
    end = ahead.state
    # ``advance`` clears the buffered 32-bit half-draw; float64 draws never touch it.
    end["has_uint32"], end["uinteger"] = start["has_uint32"], start["uinteger"]
    bitgen.state = end
    return out
