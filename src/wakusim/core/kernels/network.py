"""Compiled construction of the small-world contact network (:mod:`wakusim.core.network`).

The plain construction draws one uniform per tie into an ``N x k`` float
array (2 GB at 25 million individuals), compares it with ``beta`` and finds
the rewired ties with ``numpy.nonzero``. Here each block of rows computes its
own piece of the same PCG64 stream (:mod:`wakusim.core.kernels.draws`) twice:
once to count its rewired ties, once to list each one's row, slot and new
contact (the next of those drawn meanwhile by NumPy). No array per tie is
made, only three per rewired tie, and the ties, draws and generator state are
the plain construction's.
"""

from __future__ import annotations

import numba
import numpy as np

from wakusim.core.kernels import kernel
from wakusim.core.kernels.draws import MULT_HI, MULT_LO, _mul_add, _uniform, advance

ROWS = 1 << 14  # rows per block


@kernel(parallel=True, min_rows=0)
def count_rewired(
    counts: np.ndarray,
    n: int,
    k: int,
    beta: float,
    hi: np.uint64,
    lo: np.uint64,
    inc_hi: np.uint64,
    inc_lo: np.uint64,
) -> None:
    """Count the rewired ties in each block of rows (uniform of the tie below ``beta``).

    Parameters
    ----------
    counts
        Output: rewired ties per block of :data:`ROWS` rows (one element per block).
    n, k
        Individuals and ties per individual; tie ``(i, s)`` uses the uniform
        ``i * k + s`` of the stream.
    beta
        Rewiring probability.
    hi, lo, inc_hi, inc_lo
        The generator's PCG64 state and increment, as (high, low) uint64 halves.
    """
    for b in numba.prange(counts.shape[0]):
        first, last = b * ROWS, min(n, (b + 1) * ROWS)
        h, low = advance(hi, lo, inc_hi, inc_lo, first * k)
        count = 0
        for _ in range((last - first) * k):
            h, low = _mul_add(h, low, MULT_HI, MULT_LO, inc_hi, inc_lo)
            count += _uniform(h, low) < beta
        counts[b] = count


@kernel(parallel=True, min_rows=0)
def write_rewired(
    starts: np.ndarray,
    n: int,
    k: int,
    target: np.ndarray,
    beta: float,
    hi: np.uint64,
    lo: np.uint64,
    inc_hi: np.uint64,
    inc_lo: np.uint64,
    source: np.ndarray,
    slot: np.ndarray,
) -> None:
    """List the rewired ties: each one's row and slot, and its new contact.

    Parameters
    ----------
    starts
        Per block, the number of rewired ties in the blocks before it (its first draw).
    n, k
        Individuals and ties per individual.
    target
        In: one uniform draw over ``0 .. n - 2`` per rewired tie, in row-major order.
        Out: the new contact; a draw at or above the row ``i`` stands for one more
        (no tie to oneself).
    beta, hi, lo, inc_hi, inc_lo
        As for :func:`count_rewired` (the same uniforms).
    source, slot
        Out: the row and the slot (``0 .. k - 1``) of each rewired tie.
    """
    for b in numba.prange(starts.shape[0]):
        first, last = b * ROWS, min(n, (b + 1) * ROWS)
        h, low = advance(hi, lo, inc_hi, inc_lo, first * k)
        at = starts[b]
        for i in range(first, last):
            for s in range(k):
                h, low = _mul_add(h, low, MULT_HI, MULT_LO, inc_hi, inc_lo)
                if _uniform(h, low) < beta:
                    d = target[at]
                    target[at] = d + 1 if d >= i else d
                    source[at] = i
                    slot[at] = s
                    at += 1
