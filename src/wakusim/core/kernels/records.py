"""Compiled loops behind the month's record (:mod:`wakusim.core.records`).

The record's means and sums must not move when their loops change, so every
floating-point sum here is numpy's to the last bit, added leaf by leaf as
numpy's pairwise summation adds (:mod:`wakusim.core.kernels.pairwise`); a leaf
whose values are not next to each other is first gathered into a small buffer
(a masked sum without the masked array).

- :func:`tally_modes`: counts by mode (after arrests); the detained's and the
  members' wealth; the sums of the free's beliefs.
- :func:`tally_trade`: counts by mode during the month and arrests; the sum
  of the outsiders' incomes; the traders' incomes, capital and returns packed
  by mode in individual order, exactly the arrays the numpy formulation
  selects with a mask.
- :func:`segment_moments`: sums, means and standard deviations of those
  packed segments, as numpy's ``sum``, ``mean`` and ``std`` compute them.
- :func:`group_edges` and :func:`member_shares`: the quantiles of the free's
  wealth (numpy's linear interpolation) from the sorted wealth of everyone and
  of the detained, and the members' share in each wealth group.
- :func:`ranked_sums`: ``x.sum()`` and ``numpy.sum(numpy.arange(1, n + 1) * x)``
  (the Gini coefficient) without the temporary arrays.
- :func:`group_counts`: how many values fall in each wealth group.

Selections are packed without branches where they are unpredictable (a
mispredicted branch costs more than a store): each value is written at the
next slot, which only advances for the selected, so such an array has one slot
more than it keeps. Large new arrays are avoided (fresh memory is slow to touch).
"""

from __future__ import annotations

import numpy as np
from numba import prange

from wakusim.core.kernels import kernel
from wakusim.core.kernels.pairwise import (
    PAIRWISE_BLOCK,
    U1,
    U2,
    U3,
    U4,
    U5,
    U6,
    U7,
    combine,
    leaf_sizes,
    leaf_starts,
    leaf_sum,
    sum_without,
)
from wakusim.core.state import DETAINED, MEMBER, OUTSIDE, PARTNER, SMUGGLER

N_MODES = 5


@kernel()
def _ranked_leaf(x: np.ndarray, start: int, n: int) -> float:
    """Sum of the leaf of ``(i + 1) * x[i]``, ``i`` from ``start``, ``n`` long, as numpy adds it.

    Positions are read unsigned, as in :func:`~wakusim.core.kernels.pairwise.leaf_sum`.
    """
    if n < 8:
        res = 0.0
        for i in range(start, start + n):
            res += (i + 1.0) * x[i]
        return res
    s = np.uint64(start)
    r0, r1 = (start + 1.0) * x[s], (start + 2.0) * x[s + U1]
    r2, r3 = (start + 3.0) * x[s + U2], (start + 4.0) * x[s + U3]
    r4, r5 = (start + 5.0) * x[s + U4], (start + 6.0) * x[s + U5]
    r6, r7 = (start + 7.0) * x[s + U6], (start + 8.0) * x[s + U7]
    main = start + n - n % 8
    for i in range(start + 8, main, 8):
        u = np.uint64(i)
        r0 += (i + 1.0) * x[u]
        r1 += (i + 2.0) * x[u + U1]
        r2 += (i + 3.0) * x[u + U2]
        r3 += (i + 4.0) * x[u + U3]
        r4 += (i + 5.0) * x[u + U4]
        r5 += (i + 6.0) * x[u + U5]
        r6 += (i + 7.0) * x[u + U6]
        r7 += (i + 8.0) * x[u + U7]
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    for i in range(main, start + n):
        res += (i + 1.0) * x[i]
    return res


@kernel(parallel=True)
def ranked_sums(x: np.ndarray) -> tuple[float, float]:
    """``x.sum()`` and ``numpy.sum(numpy.arange(1, n + 1) * x)``, to the last bit.

    Both sums have the same leaves, added on several threads; the second is
    without its two temporary arrays.
    """
    n = x.shape[0]
    sizes = leaf_sizes(n)
    starts = leaf_starts(sizes, 0)
    leaf_sums = np.empty(sizes.shape[0], dtype=np.float64)
    ranked_leaf_sums = np.empty(sizes.shape[0], dtype=np.float64)
    for j in prange(sizes.shape[0]):
        leaf_sums[j] = leaf_sum(x, starts[j], sizes[j])
        ranked_leaf_sums[j] = _ranked_leaf(x, starts[j], sizes[j])
    return combine(leaf_sums, n), combine(ranked_leaf_sums, n)


@kernel()
def segment_moments(
    values: np.ndarray, start: np.ndarray, count: np.ndarray, deviations: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sum, mean and standard deviation of segments of ``values``, to numpy's last bit.

    Segment ``s`` is ``x = values[start[s]:start[s] + count[s]]``; its sum is
    ``x.sum()``, its mean ``x.mean()`` (NaN if empty) and its deviation
    ``x.std()`` (NaN if fewer than two values, or not ``deviations``),
    computed as numpy computes them: the mean is the pairwise sum over ``n``;
    the variance the pairwise sum of ``(x - mean) ** 2`` (each difference
    multiplied by itself) over ``n``; the deviation its square root, the
    squares added leaf by leaf from a buffer of one leaf.

    One thread: the record calls this while its wealth sort holds a core, and
    a threaded loop would wait for that core (in runs at 1e6, 4.3 ms a month
    on threads, 1.3-1.8 ms on one).
    """
    segments = start.shape[0]
    total = np.empty(segments, dtype=np.float64)
    mean = np.full(segments, np.nan)
    std = np.full(segments, np.nan)
    squares = np.empty(PAIRWISE_BLOCK, dtype=np.float64)
    for s in range(segments):
        a, n = start[s], count[s]
        sizes = leaf_sizes(n)
        starts = leaf_starts(sizes, a)
        leaf_sums = np.empty(sizes.shape[0], dtype=np.float64)
        for j in range(sizes.shape[0]):
            leaf_sums[j] = leaf_sum(values, starts[j], sizes[j])
        total[s] = combine(leaf_sums, n)
        if n == 0:
            continue
        m = total[s] / n
        mean[s] = m
        if n < 2 or not deviations:
            continue
        for j in range(sizes.shape[0]):
            for i in range(sizes[j]):
                d = values[starts[j] + i] - m
                squares[i] = d * d
            leaf_sums[j] = leaf_sum(squares, 0, sizes[j])
        std[s] = np.sqrt(combine(leaf_sums, n) / n)
    return total, mean, std


@kernel()
def _search_on(a: np.ndarray, v: float, lo: int) -> int:
    """``numpy.searchsorted(a, v)`` (left) for ascending ``a``, knowing it is at least ``lo``.

    Gallops from ``lo`` in steps of 1, 2, 4, ... to bracket the place, then
    bisects the bracket: cheap when successive values lie close together.
    """
    n = a.shape[0]
    if lo >= n or not a[lo] < v:
        return lo
    step = 1
    hi = lo + 1  # a[lo] < v: the place is above lo
    while hi < n and a[hi] < v:
        lo = hi
        hi = lo + step
        step *= 2
    hi = min(hi, n)
    # a[lo] < v, and a[hi] >= v or hi == n: bisect (lo, hi].
    lo += 1
    while lo < hi:
        mid = (lo + hi) // 2
        if a[mid] < v:
            lo = mid + 1
        else:
            hi = mid
    return lo


@kernel()
def group_edges(everyone: np.ndarray, detained: np.ndarray, q: np.ndarray) -> np.ndarray:
    """``numpy.quantile(free, q)`` of the free's wealth, without sorting or selecting it.

    ``everyone`` is all wealth and ``detained`` the detained's, both ascending
    (a sub-multiset), with at least one free individual. The free value of rank
    ``r`` is ``everyone[r + m]``, ``m`` being the number of detained positions
    (for ties, the first not yet removed) with at most ``r`` free values before
    them. The interpolation is numpy's default (linear) method, step by step.
    """
    n = everyone.shape[0] - detained.shape[0]
    d = detained.shape[0]
    # Places of the detained in ``everyone`` (``numpy.searchsorted``, left), found by
    # galloping on from the previous one, minus the detained before them (the first
    # of equal values, numpy.searchsorted of the detained in themselves).
    gaps = np.empty(d, dtype=np.int64)
    at = 0
    first = 0
    for j in range(d):
        v = detained[j]
        at = _search_on(everyone, v, at)
        if j > 0 and detained[j - 1] != v:
            first = j
        gaps[j] = at - first
    edges = np.empty(q.shape[0], dtype=np.float64)
    for e in range(q.shape[0]):
        virtual = (n - 1) * q[e]
        previous = np.floor(virtual)
        following = previous + 1
        if virtual >= n - 1:
            previous = -1.0
            following = -1.0
        gamma = virtual - previous
        lo = int(previous) if previous >= 0 else n - 1
        hi = int(following) if following >= 0 else n - 1
        a = everyone[lo + np.searchsorted(gaps, lo, side="right")]
        b = everyone[hi + np.searchsorted(gaps, hi, side="right")]
        diff = b - a
        edges[e] = b - diff * (1 - gamma) if gamma >= 0.5 else a + diff * gamma
    return edges


@kernel()
def member_shares(
    everyone: np.ndarray, detained: np.ndarray, members: np.ndarray, q: np.ndarray
) -> tuple[np.ndarray, bool]:
    """Share of members in each wealth group of the free (quantiles ``q``), poorest first.

    ``everyone`` is all wealth and ``detained`` the detained's, both
    ascending; ``members`` the members' wealth. The free in each group are
    counted by bisecting the sorted wealth at :func:`group_edges`, the members
    by placing each (:func:`group_counts`). The flag is false, with no shares,
    when wealth is NaN or the edges are out of order (a rounding quirk): then
    only the plain formulation says what numpy does.
    """
    groups = q.shape[0] + 1
    shares = np.zeros(groups, dtype=np.float64)
    n_free = everyone.shape[0] - detained.shape[0]
    if n_free == 0:
        return shares, True
    if np.isnan(everyone[-1]):  # NaN sorts last
        return shares, False
    edges = group_edges(everyone, detained, q)
    for e in range(1, edges.shape[0]):
        if not edges[e] >= edges[e - 1]:
            return shares, False
    in_group = group_counts(edges, members)
    below = 0
    for g in range(groups):
        upto = n_free
        if g < groups - 1:
            upto = np.searchsorted(everyone, edges[g]) - np.searchsorted(detained, edges[g])
        total = upto - below
        below = upto
        if total > 0:
            shares[g] = in_group[g] / total
    return shares, True


@kernel()
def group_counts(edges: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``numpy.bincount(numpy.searchsorted(edges, values, side="right"), minlength=G)``.

    ``G - 1`` ascending ``edges``; ``values`` not NaN. A value's group is the
    number of edges at or below it (counted without branches).
    """
    groups = edges.shape[0] + 1
    counts = np.zeros(groups, dtype=np.int64)
    for i in range(values.shape[0]):
        v = values[i]
        g = 0
        for e in range(groups - 1):
            g += edges[e] <= v
        counts[g] += 1
    return counts


@kernel()
def _count_modes(mode: np.ndarray) -> np.ndarray:
    """``numpy.bincount(mode, minlength=5)`` for modes 0 to 4 (a walk numba vectorises)."""
    n = mode.shape[0]
    c0 = c1 = c2 = c3 = 0
    for i in range(n):
        m = mode[i]
        c0 += m == OUTSIDE
        c1 += m == SMUGGLER
        c2 += m == PARTNER
        c3 += m == MEMBER
    return np.array([c0, c1, c2, c3, n - c0 - c1 - c2 - c3], dtype=np.int64)


@kernel()
def tally_modes(
    mode: np.ndarray, wealth: np.ndarray, belief: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Count the individuals by mode; what the record needs of the detained and the members.

    Parameters
    ----------
    mode
        Each individual's mode (0 to 4).
    wealth
        Each individual's wealth, CNY.
    belief
        ``C x N`` perceived risks, one row per channel.

    Returns
    -------
    counts
        Individuals in each mode (``numpy.bincount(mode, minlength=5)``).
    wealth_detained, wealth_members
        ``wealth[mode == DETAINED]`` and ``wealth[mode == MEMBER]``.
    belief_sums
        ``belief[c, mode != DETAINED].sum()`` for each channel ``c``, to the
        last bit.
    """
    n = mode.shape[0]
    counts = _count_modes(mode)
    n_detained, n_members = counts[DETAINED], counts[MEMBER]
    detained = np.empty(n_detained + 1, dtype=np.int64)
    members = np.empty(n_members + 1, dtype=np.int64)
    d = k = 0
    for i in range(n):
        m = mode[i]
        detained[np.uint64(d)] = i  # unsigned places: no negative-index checks
        members[np.uint64(k)] = i
        d += m == DETAINED
        k += m == MEMBER
    detained[n_detained] = n
    wealth_detained = np.empty(n_detained, dtype=np.float64)
    for j in range(n_detained):
        wealth_detained[j] = wealth[np.uint64(detained[j])]
    wealth_members = np.empty(n_members, dtype=np.float64)
    for j in range(n_members):
        wealth_members[j] = wealth[np.uint64(members[j])]
    belief_sums = np.empty(belief.shape[0], dtype=np.float64)
    for c in range(belief.shape[0]):
        belief_sums[c] = sum_without(belief[c], detained, n_detained)
    return counts, wealth_detained, wealth_members, belief_sums


@kernel()
def tally_trade(
    mode: np.ndarray,
    caught: np.ndarray,
    n_caught: int,
    deployed: np.ndarray,
    income: np.ndarray,
    trade_income: np.ndarray,
) -> tuple[
    np.ndarray,
    np.ndarray,
    np.ndarray,
    np.ndarray,
    float,
    np.ndarray,
    np.ndarray,
    np.ndarray,
    np.ndarray,
    np.ndarray,
]:
    """Count the month's traders and arrests; sum or pack incomes, capital and returns by mode.

    Parameters
    ----------
    mode
        Each individual's mode during the month (0 to 4).
    caught
        Individuals caught this month.
    n_caught
        How many were caught (``caught.sum()``; enforcement lists their rows).
    deployed
        Capital each individual had in goods, CNY.
    income
        Each individual's income of the month, CNY.
    trade_income
        Each individual's trade income of the month, CNY.

    Returns
    -------
    counts
        Individuals in each mode.
    arrests
        Individuals caught, by mode.
    traded, traded_ok
        Individuals with capital in goods, by trading mode (``SMUGGLER`` to
        ``MEMBER``; 0 for the other modes): all, and those not caught.
    income_outside
        ``income[mode == OUTSIDE].sum()``, to the last bit.
    start
        Where each trading mode's segment starts in the packed arrays below.
    income_trading, capital
        ``income[mode == k]`` and ``deployed[mode == k]`` for each trading mode
        ``k`` (``counts[k]`` values from ``start[k]``).
    returns, returns_ok
        The returns ``trade_income / deployed`` of the traders in mode ``k``
        with capital in goods (``traded[k]`` values from ``start[k]``), and of
        those of them not caught (``traded_ok[k]`` values from ``start[k]``).
    """
    n = mode.shape[0]
    counts = _count_modes(mode)
    # The outsiders' income, summed leaf by leaf as the walk gathers it; and
    # those not outside (traders and detained, a minority), in order.
    n_outside = counts[OUTSIDE]
    others = np.empty(n - n_outside + 1, dtype=np.int64)
    others_income = np.empty(n - n_outside + 1, dtype=np.float64)
    sizes = leaf_sizes(n_outside)
    leaf_sums = np.empty(sizes.shape[0], dtype=np.float64)
    leaf = np.empty(PAIRWISE_BLOCK, dtype=np.float64)
    leaf_sums[0] = 0.0  # no outsiders: one empty leaf
    j = k = h = 0  # leaf; its values so far; others so far
    size = sizes[0]
    for i in range(n):
        outside = mode[i] == OUTSIDE
        y = income[i]
        leaf[np.uint64(k)] = y  # unsigned places: no negative-index checks
        others[np.uint64(h)] = i
        others_income[np.uint64(h)] = y
        k += outside
        h += not outside
        if k == size:
            leaf_sums[j] = leaf_sum(leaf, 0, size)
            j += 1
            k = 0
            size = sizes[j] if j < sizes.shape[0] else -1
    income_outside = combine(leaf_sums, n_outside)
    n_others = h

    start = np.zeros(N_MODES, dtype=np.int64)
    for m in range(SMUGGLER + 1, N_MODES):
        start[m] = start[m - 1] + counts[m - 1]
    size = start[DETAINED]
    income_trading = np.empty(size, dtype=np.float64)
    capital = np.empty(size, dtype=np.float64)
    returns = np.empty(size, dtype=np.float64)
    returns_ok = np.empty(size, dtype=np.float64)
    at = start.copy()
    returns_at = start.copy()
    returns_ok_at = start.copy()
    arrests = np.zeros(N_MODES, dtype=np.int64)
    for j in range(n_others):
        i = np.uint64(others[j])  # unsigned places: no negative-index checks
        m = np.uint64(mode[i])
        arrests[m] += caught[i]
        if m == DETAINED:
            continue
        d = deployed[i]
        p = np.uint64(at[m])
        income_trading[p] = others_income[j]
        capital[p] = d
        at[m] = p + 1
        if d > 0:
            r = trade_income[i] / d
            p = np.uint64(returns_at[m])
            returns[p] = r
            returns_at[m] = p + 1
            if not caught[i]:
                p = np.uint64(returns_ok_at[m])
                returns_ok[p] = r
                returns_ok_at[m] = p + 1
    arrests[OUTSIDE] = n_caught - arrests.sum()
    traded = np.zeros(N_MODES, dtype=np.int64)
    traded_ok = np.zeros(N_MODES, dtype=np.int64)
    for m in range(SMUGGLER, DETAINED):
        traded[m] = returns_at[m] - start[m]
        traded_ok[m] = returns_ok_at[m] - start[m]
    return (
        counts,
        arrests,
        traded,
        traded_ok,
        income_outside,
        start,
        income_trading,
        capital,
        returns,
        returns_ok,
    )
