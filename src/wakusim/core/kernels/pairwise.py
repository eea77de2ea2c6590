"""numpy's pairwise summation, to the last bit, for compiled loops.

numpy sums ``n`` float64 values pairwise onto its identity 0: a run of more
than :data:`PAIRWISE_BLOCK` values is split at half its length rounded down to
a multiple of 8 and the halves' sums are added; a shorter run (a leaf) is
added in eight running sums, combined as ``((r0 + r1) + (r2 + r3)) + ((r4 +
r5) + (r6 + r7))``, and then the rest one by one (fewer than 8 values: one by
one from 0). :func:`leaf_sizes` lists the leaves of a sum of ``n`` values in
order, :func:`leaf_sum` adds one leaf, :func:`combine` adds the leaves' sums as
the halving does. On these: the sum of an array without some of its places
(:func:`sum_without`, a masked sum without the masked array) and of an array
given by its nonzero elements (:func:`pairwise_sum_sparse`). The record's and
the accounting's kernels use them, so that their totals are the ones the plain
numpy formulation gives. The leaves are independent: a threaded kernel can
add them in a ``prange`` and combine their sums in order (:func:`leaf_starts`
says where each leaf of a contiguous run starts; the record's rank-weighted
sum and segment moments do this, and accounting's settlement sums each leaf
of new wealth just after writing it).
"""

from __future__ import annotations

import numpy as np

from wakusim.core.kernels import kernel

PAIRWISE_BLOCK = 128  # numpy's PW_BLOCKSIZE: the longest run added without halving
_STACK = 256  # pending runs of a pairwise sum: at most a few per halving, 64 halvings


@kernel()
def leaf_sizes(n: int) -> np.ndarray:
    """Lengths of the leaves of numpy's pairwise sum of ``n`` values, in order.

    Above :data:`PAIRWISE_BLOCK` values a run is halved into runs of at least
    64, so there are at most ``n // 64 + 1`` leaves.
    """
    sizes = np.empty(n // (PAIRWISE_BLOCK // 2) + 1, dtype=np.int64)
    pending = np.empty(_STACK, dtype=np.int64)
    pending[0] = n
    top = 1
    k = 0
    while top > 0:
        top -= 1
        m = pending[top]
        if m <= PAIRWISE_BLOCK:
            sizes[k] = m
            k += 1
        else:
            half = m // 2
            half -= half % 8
            pending[top] = m - half  # last in, first out: the first half comes first
            pending[top + 1] = half
            top += 2
    return sizes[:k]


@kernel()
def combine(leaf_sums: np.ndarray, n: int) -> float:
    """Add the leaves' sums of a pairwise sum of ``n`` values as numpy does (onto 0)."""
    pending = np.empty(_STACK, dtype=np.int64)  # -1: add the two sums on top
    sums = np.empty(_STACK, dtype=np.float64)
    pending[0] = n
    top = 1
    done = 0
    k = 0
    while top > 0:
        top -= 1
        m = pending[top]
        if m < 0:
            done -= 1
            sums[done - 1] = sums[done - 1] + sums[done]
        elif m <= PAIRWISE_BLOCK:
            sums[done] = leaf_sums[k]
            done += 1
            k += 1
        else:
            half = m // 2
            half -= half % 8
            # Last in, first out: the first half, then the second, then their sum.
            pending[top] = -1
            pending[top + 1] = m - half
            pending[top + 2] = half
            top += 3
    return 0.0 + sums[0]


# Offsets of the eight running sums, unsigned: indexed with an unsigned position, a load
# needs no check for a negative index (numpy's wrap-around), and the compiler adds the eight
# sums as one vector (about half the time of signed indices, the same additions).
U1, U2, U3, U4 = np.uint64(1), np.uint64(2), np.uint64(3), np.uint64(4)
U5, U6, U7 = np.uint64(5), np.uint64(6), np.uint64(7)


@kernel()
def leaf_sum(x: np.ndarray, start: int, n: int) -> float:
    """Sum of the leaf ``x[start:start + n]`` (at most :data:`PAIRWISE_BLOCK`) as numpy adds it.

    ``start`` is not negative (positions are read unsigned).
    """
    if n < 8:
        res = 0.0
        for i in range(start, start + n):
            res += x[i]
        return res
    s = np.uint64(start)
    r0, r1, r2, r3 = x[s], x[s + U1], x[s + U2], x[s + U3]
    r4, r5, r6, r7 = x[s + U4], x[s + U5], x[s + U6], x[s + U7]
    main = start + n - n % 8
    for i in range(start + 8, main, 8):
        u = np.uint64(i)
        r0 += x[u]
        r1 += x[u + U1]
        r2 += x[u + U2]
        r3 += x[u + U3]
        r4 += x[u + U4]
        r5 += x[u + U5]
        r6 += x[u + U6]
        r7 += x[u + U7]
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    for i in range(main, start + n):
        res += x[i]
    return res


@kernel()
def leaf_starts(sizes: np.ndarray, start: int) -> np.ndarray:
    """Where each leaf of :func:`leaf_sizes` starts, for a run that starts at ``start``."""
    starts = np.empty(sizes.shape[0], dtype=np.int64)
    for j in range(sizes.shape[0]):
        starts[j] = start
        start += sizes[j]
    return starts


@kernel()
def sum_without(values: np.ndarray, holes: np.ndarray, n_holes: int) -> float:
    """Sum ``values`` without the positions ``holes[:n_holes]``, as numpy adds.

    ``holes`` are ascending positions followed by one past the last value (a
    sentinel). A leaf without holes is added where it lies; a leaf with holes
    has its runs between holes first copied into a small buffer.
    """
    count = values.shape[0] - n_holes
    sizes = leaf_sizes(count)
    leaf_sums = np.empty(sizes.shape[0], dtype=np.float64)
    leaf = np.empty(PAIRWISE_BLOCK, dtype=np.float64)
    i = h = 0  # next position; next hole (holes[h] >= i)
    for j in range(sizes.shape[0]):
        size = sizes[j]
        if holes[h] >= i + size:
            leaf_sums[j] = leaf_sum(values, i, size)
            i += size
            continue
        k = 0
        while k < size:
            run = min(holes[h] - i, size - k)  # values before the next hole
            for t in range(run):  # unsigned positions: 0.6x the time
                leaf[np.uint64(k + t)] = values[np.uint64(i + t)]
            k += run
            i += run
            if k < size:  # i is a hole
                i += 1
                h += 1
        leaf_sums[j] = leaf_sum(leaf, 0, size)
    return combine(leaf_sums, count)


@kernel()
def pairwise_sum_sparse(pos: np.ndarray, val: np.ndarray, n: int) -> float:
    """``a.sum()`` as numpy adds it, for ``a`` of length ``n`` given by its nonzero elements.

    ``pos`` are the ascending places of the nonzero elements and ``val`` their
    values. A leaf with none of them sums to 0 and is not walked; a leaf with
    some is laid out in a small zeroed buffer and added as numpy adds it.
    """
    sizes = leaf_sizes(n)
    leaf_sums = np.zeros(sizes.shape[0], dtype=np.float64)
    leaf = np.empty(PAIRWISE_BLOCK, dtype=np.float64)
    nnz = pos.shape[0]
    k = 0  # next nonzero element
    start = 0
    for j in range(sizes.shape[0]):
        stop = start + sizes[j]
        if k < nnz and pos[k] < stop:
            leaf[: sizes[j]] = 0.0
            while k < nnz and pos[k] < stop:
                leaf[pos[k] - start] = val[k]
                k += 1
            leaf_sums[j] = leaf_sum(leaf, 0, sizes[j])
        start = stop
    return combine(leaf_sums, n)
