"""Record kernels equal the plain numpy formulation, bit for bit, on random inputs."""

from __future__ import annotations

import numpy as np
import pytest

from wakusim.core.kernels import BLOCK
from wakusim.core.kernels.pairwise import sum_without
from wakusim.core.kernels.records import (
    _search_on,
    group_counts,
    group_edges,
    ranked_sums,
    segment_moments,
    tally_modes,
    tally_trade,
)
from wakusim.core.state import DETAINED, MEMBER, OUTSIDE, PARTNER, SMUGGLER

TRADING = (SMUGGLER, PARTNER, MEMBER)
# Sizes around numpy's pairwise leaf (128) and unroll (8), a block, and odd large ones.
SIZES = [0, 1, 2, 7, 8, 9, 15, 16, 127, 128, 129, 255, 257, 1000, 8191, BLOCK + 3, 250_007]


def _values(n, rng):
    """Values of mixed sign and magnitude, where the order of addition shows."""
    return rng.standard_normal(n) * 10.0 ** rng.uniform(-3, 6, n)


def _modes(n, rng, shares=(0.8, 0.03, 0.1, 0.05, 0.02)):
    return rng.choice(5, size=n, p=shares).astype(np.int8)


def _same(a, b):
    """Equal to the last bit (NaN equal to NaN)."""
    a, b = np.asarray(a), np.asarray(b)
    assert a.dtype == b.dtype or (a.dtype.kind == b.dtype.kind == "f")
    assert a.shape == b.shape
    assert np.array_equal(a, b, equal_nan=True), (a, b)


@pytest.mark.parametrize("n", SIZES)
def test_ranked_sums_are_numpys(n):
    rng = np.random.default_rng(n)
    for x in (np.sort(rng.random(n) * 1e5), _values(n, rng)):
        total, ranked = ranked_sums(x)
        assert total == x.sum()
        assert ranked == np.sum(np.arange(1, n + 1) * x)


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("share", [0.0, 0.002, 0.2, 0.9, 1.0])
def test_sum_without_holes_is_the_masked_sum(n, share):
    rng = np.random.default_rng([n, int(share * 1000)])
    values = _values(n, rng)
    hole = rng.random(n) < share
    holes = np.append(np.flatnonzero(hole), n)
    assert sum_without(values, holes, holes.size - 1) == values[~hole].sum()


def test_sum_without_runs_of_holes_at_the_ends():
    rng = np.random.default_rng(5)
    n = 3000
    values = _values(n, rng)
    hole = np.zeros(n, dtype=bool)
    hole[:200] = hole[1000:1300] = hole[-150:] = True
    holes = np.append(np.flatnonzero(hole), n)
    assert sum_without(values, holes, holes.size - 1) == values[~hole].sum()


def _check_modes(mode, wealth, belief):
    counts, wealth_detained, wealth_members, belief_sums = tally_modes(mode, wealth, belief)
    _same(counts, np.bincount(mode, minlength=5).astype(np.int64))
    _same(wealth_detained, wealth[mode == DETAINED])
    _same(wealth_members, wealth[mode == MEMBER])
    free = mode != DETAINED
    _same(belief_sums, np.array([row[free].sum() for row in belief]))


@pytest.mark.parametrize("n", SIZES)
def test_tally_modes(n):
    rng = np.random.default_rng(n)
    _check_modes(_modes(n, rng), rng.random(n) * 1e5, rng.random((2, n)))


@pytest.mark.parametrize("code", range(5))
def test_tally_modes_everyone_in_one_mode(code):
    rng = np.random.default_rng(code)
    n = 700
    _check_modes(np.full(n, code, dtype=np.int8), rng.random(n), rng.random((2, n)))


def _trade_inputs(n, rng, shares=(0.8, 0.03, 0.1, 0.05, 0.02)):
    mode = _modes(n, rng, shares)
    trading = (mode >= SMUGGLER) & (mode <= MEMBER)
    caught = trading & (rng.random(n) < 0.1)
    deployed = np.where(trading & (rng.random(n) < 0.9), rng.random(n) * 1e5, 0.0)
    income = _values(n, rng)
    trade_income = np.where(deployed > 0, _values(n, rng), 0.0)
    return mode, caught, deployed, income, trade_income


def _check_trade(mode, caught, deployed, income, trade_income):
    (
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
    ) = tally_trade(mode, caught, int(caught.sum()), deployed, income, trade_income)
    _same(counts, np.bincount(mode, minlength=5).astype(np.int64))
    for code in range(5):
        assert arrests[code] == (caught & (mode == code)).sum()
    assert arrests.sum() == caught.sum()
    assert income_outside == income[mode == OUTSIDE].sum()
    for code in TRADING:
        mine = mode == code
        has = mine & (deployed > 0)
        ret = trade_income[has] / deployed[has]
        ok = ~caught[has]
        assert traded[code] == has.sum() and traded_ok[code] == ok.sum()
        s = start[code]
        _same(income_trading[s : s + counts[code]], income[mine])
        _same(capital[s : s + counts[code]], deployed[mine])
        _same(returns[s : s + traded[code]], ret)
        _same(returns_ok[s : s + traded_ok[code]], ret[ok])
    assert traded[OUTSIDE] == traded[DETAINED] == traded_ok[OUTSIDE] == traded_ok[DETAINED] == 0


@pytest.mark.parametrize("n", SIZES)
def test_tally_trade(n):
    _check_trade(*_trade_inputs(n, np.random.default_rng(n)))


@pytest.mark.parametrize(
    "shares",
    [
        (1.0, 0.0, 0.0, 0.0, 0.0),  # all outside
        (0.0, 0.3, 0.3, 0.3, 0.1),  # nobody outside
        (0.5, 0.0, 0.5, 0.0, 0.0),  # no smugglers, members or detained
        (0.0, 0.0, 0.0, 0.0, 1.0),  # all detained
    ],
)
def test_tally_trade_with_empty_modes(shares):
    _check_trade(*_trade_inputs(999, np.random.default_rng(3), shares))


@pytest.mark.parametrize("n", [0, 1, 50, 5000])
def test_group_counts_is_bincount_of_searchsorted(n):
    rng = np.random.default_rng(n)
    values = np.round(rng.random(n) * 20)  # ties with the edges
    for edges in (np.arange(1.0, 20.0, 2.0), np.array([3.0, 3.0, 3.0, 7.0]), np.array([5.0])):
        expected = np.bincount(
            np.searchsorted(edges, values, side="right"), minlength=edges.size + 1
        )
        _same(group_counts(edges, values), expected.astype(np.int64))


@pytest.mark.parametrize("n", SIZES)
def test_segment_moments_are_numpys_sum_mean_and_std(n):
    rng = np.random.default_rng(n + 11)
    counts = np.array([n, n // 3, 0, 1, 2, 9])
    start = np.concatenate(([0], np.cumsum(counts)[:-1]))
    values = _values(int(counts.sum()), rng)
    total, mean, std = segment_moments(values, start, counts, True)
    _, mean_only, no_std = segment_moments(values, start, counts, False)
    for s, (a, c) in enumerate(zip(start, counts, strict=True)):
        x = values[a : a + c]
        _same(total[s], x.sum())
        _same(mean[s], x.mean() if c else np.nan)
        _same(std[s], x.std() if c > 1 else np.nan)
        _same(mean_only[s], mean[s])
        assert np.isnan(no_std[s])


def test_search_on_is_searchsorted_from_any_lower_place():
    rng = np.random.default_rng(3)
    for _ in range(2000):
        n = int(rng.integers(0, 5000))
        a = np.sort(np.round(rng.lognormal(3, 2, n)))  # ties, long gallops
        v = float(np.round(rng.lognormal(3, 2))) if rng.random() < 0.9 else float(a.max(initial=0))
        answer = int(np.searchsorted(a, v))
        lo = int(rng.integers(0, answer + 1))
        assert _search_on(a, v, lo) == answer


@pytest.mark.parametrize("where", ["low", "high", "both"])
def test_group_edges_with_the_detained_clustered(where):
    rng = np.random.default_rng(len(where))
    everyone = np.sort(np.round(rng.lognormal(8, 1.5, 200_000)))
    take = {"low": np.arange(3000), "high": np.arange(197_000, 200_000)}
    take["both"] = np.concatenate((take["low"], take["high"]))
    detained = everyone[take[where]]
    free = np.delete(everyone, take[where])
    expected = np.quantile(free, np.linspace(0, 1, 11)[1:-1])
    assert np.array_equal(group_edges(everyone, detained, np.linspace(0, 1, 11)[1:-1]), expected)
