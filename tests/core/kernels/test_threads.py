"""Threaded kernels give what their one-thread variants give, on one thread and on two.

Sizes around the block of rows (:data:`wakusim.core.kernels.BLOCK`): none, exactly one and
two blocks, three blocks and a short fourth; a middle block without any reviser or arrest.
"""

from __future__ import annotations

import numba
import numpy as np
import pytest

from wakusim.core.kernels import BLOCK
from wakusim.core.kernels import accounting as accounting_kernels
from wakusim.core.kernels import choice as choice_kernels
from wakusim.core.kernels import enforcement as enforcement_kernels
from wakusim.core.kernels import learning as learning_kernels
from wakusim.core.kernels import records as records_kernels
from wakusim.core.kernels import trade as trade_kernels
from wakusim.core.state import DETAINED, MEMBER, NO_COMPANY, OUTSIDE, PARTNER, SMUGGLER

SIZES = [0, 1, BLOCK, 2 * BLOCK, 3 * BLOCK + 1]
M = 5


def _population(n: int, seed: int):
    rng = np.random.default_rng(seed)
    mode = rng.choice([OUTSIDE, SMUGGLER, PARTNER, MEMBER, DETAINED], size=n).astype(np.int8)
    company = np.where(
        (mode == PARTNER) | (mode == MEMBER), rng.integers(0, M, n), NO_COMPANY
    ).astype(np.int32)
    draw = rng.random(n)
    if n > 2 * BLOCK:  # the second block: all outside, high draws, nobody must revise
        second = slice(BLOCK, 2 * BLOCK)
        mode[second], company[second], draw[second] = OUTSIDE, NO_COMPANY, 0.999
    return rng, mode, company, draw


def _on_threads(kernel, args, threads):
    if threads > numba.config.NUMBA_NUM_THREADS:
        pytest.skip("needs two threads")
    before = numba.get_num_threads()
    numba.set_num_threads(threads)
    try:
        return kernel.parallel(*args)
    finally:
        numba.set_num_threads(before)


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("n", SIZES)
def test_revisers_on_threads(n, threads):
    rng, mode, company, draw = _population(n, n)
    must = rng.random(n) < 0.05
    if n > 2 * BLOCK:
        must[BLOCK : 2 * BLOCK] = False
    active, accepting = rng.random(M) < 0.8, rng.random(M) < 0.7
    args = (draw, 0.2, mode, company, must, active, accepting, False)
    want = choice_kernels.revisers.serial(*args)
    got = _on_threads(choice_kernels.revisers, args, threads)
    for a, b in zip(got, want, strict=True):
        np.testing.assert_array_equal(a, b)
        assert a.dtype == b.dtype
    idx = got[0]
    np.testing.assert_array_equal(got[1], mode[idx])
    np.testing.assert_array_equal(got[2], company[idx])
    if n > 2 * BLOCK:
        assert not ((idx >= BLOCK) & (idx < 2 * BLOCK)).any()  # the empty block


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("n", SIZES)
def test_invest_on_threads(n, threads):
    rng, mode, company, _ = _population(n, n + 1)
    if n > 2 * BLOCK:  # traders at the first and last rows of the first and third blocks
        mode[[0, BLOCK - 1, 2 * BLOCK, 3 * BLOCK - 1]] = [SMUGGLER, PARTNER, MEMBER, SMUGGLER]
        company[[BLOCK - 1, 2 * BLOCK]] = [1, 2]
    wealth = rng.lognormal(9.0, 1.5, n)
    args = (mode, wealth, company, 0.5, 20_000.0, M)
    want = trade_kernels.invest.serial(*args)
    got = _on_threads(trade_kernels.invest, args, threads)
    for mine, theirs in zip(got, want, strict=True):
        np.testing.assert_array_equal(mine, theirs)
    np.testing.assert_array_equal(got[2], np.flatnonzero(mode == SMUGGLER))
    np.testing.assert_array_equal(got[6], np.flatnonzero((mode == PARTNER) | (mode == MEMBER)))
    if n > 2 * BLOCK:
        bad = company.copy()
        bad[BLOCK - 1] = M  # a partner's company out of range
        with pytest.raises(ValueError, match="out of range"):
            _on_threads(trade_kernels.invest, (mode, wealth, bad, 0.5, 20_000.0, M), threads)


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("n", SIZES)
def test_company_shares_on_threads(n, threads):
    rng, mode, _, _ = _population(n, n + 6)
    deployed = rng.random(n) * 1e4
    attached = np.flatnonzero((mode == PARTNER) | (mode == MEMBER))
    args = (attached, mode, deployed, 0.19, 0.75, 0.6, 0.4, 0.15, 0.255)
    want = trade_kernels.company_shares.serial(*args)
    got = _on_threads(trade_kernels.company_shares, args, threads)
    for a, b in zip(got, want, strict=True):
        np.testing.assert_array_equal(a, b)
    gross = 0.19 * deployed[attached]
    member = mode[attached] == MEMBER
    np.testing.assert_array_equal(got[1][~member], 0.0)
    np.testing.assert_array_equal(got[0][~member], 0.75 * gross[~member])


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("n", SIZES)
def test_catch_on_threads(n, threads):
    rng, mode, company, draw = _population(n, n + 1)
    if n:
        # the only partner of company 0 caught sits in the last (short) block
        company[(mode == PARTNER) & (company == 0)] = 1
        mode[-1], company[-1], draw[-1] = PARTNER, 0, 0.0
    inspected = np.ones(M, dtype=bool)
    detection = np.array([0.05, 0.1, 0.02])
    rows = np.arange(n)  # everyone: blocks of rows on threads
    inputs = (rows, mode, company, draw, inspected, detection)
    want = np.zeros(n, dtype=bool)
    want_exposed = enforcement_kernels.catch.serial(*inputs, want)
    traders = np.flatnonzero((mode == SMUGGLER) | (mode == PARTNER) | (mode == MEMBER))
    only = np.zeros(n, dtype=bool)  # the traders' rows alone, in another order: the same arrests
    only_exposed = enforcement_kernels.catch.serial(rng.permutation(traders), *inputs[1:], only)
    np.testing.assert_array_equal(only_exposed, want_exposed)
    np.testing.assert_array_equal(only, want)
    got = np.zeros(n, dtype=bool)
    exposed = _on_threads(enforcement_kernels.catch, (*inputs, got), threads)
    np.testing.assert_array_equal(exposed, want_exposed)
    np.testing.assert_array_equal(got, want)
    if n:
        assert exposed[0]


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("n", SIZES)
def test_settle_on_threads(n, threads):
    rng, mode, company, _ = _population(n, n + 4)
    caught = ((mode == SMUGGLER) | (mode == PARTNER) | (mode == MEMBER)) & (rng.random(n) < 0.1)
    caught_rows = np.flatnonzero(caught)
    k = caught_rows.size
    trading = (mode != OUTSIDE) & (mode != DETAINED)
    deployed = np.where(trading, rng.random(n) * 1e4, 0.0)
    profit = np.where(trading, rng.standard_normal(n) * 1e3, 0.0)
    losses = (rng.random(k) * 1e4, rng.random(k) * 5e3, rng.integers(0, 4, k).astype(np.int16))
    inputs = (mode, caught, deployed, profit, caught_rows, *losses, rng.random(n) * 500)
    scalars = (0.005, 400.0, 0.3, 1.0, True, 3000.0, 0.05, 1.0)
    detention_left = np.where(mode == DETAINED, rng.integers(1, 4, n), 0).astype(np.int16)
    wealth = rng.lognormal(9, 1.5, n)

    def state():  # wealth, income, mode, company, detention left, must revise, two outputs
        return (
            wealth.copy(),
            np.zeros(n),
            mode.copy(),
            company.copy(),
            detention_left.copy(),
            np.zeros(n, dtype=bool),
            np.empty(n),
            np.empty(n),
        )

    want = state()
    want_totals = accounting_kernels.settle.serial(*inputs, *scalars, *want)
    got = state()
    totals = _on_threads(accounting_kernels.settle, (*inputs, *scalars, *got), threads)
    assert totals == want_totals
    for a, b in zip(got, want, strict=True):
        np.testing.assert_array_equal(a, b)
    assert totals[1] == got[0].sum() and totals[2] == got[7].sum()  # numpy's sums, to the bit
    assert totals[0] == int(((mode == DETAINED) & (detention_left == 1)).sum())


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("n", SIZES)
def test_ranked_sums_on_threads(n, threads):
    rng = np.random.default_rng(n + 2)
    x = rng.standard_normal(n) * 10.0 ** rng.uniform(-3, 6, n)
    assert _on_threads(records_kernels.ranked_sums, (x,), threads) == (
        records_kernels.ranked_sums.serial(x)
    )


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("n", SIZES)
def test_partner_arrests_on_threads(n, threads):
    rng, mode, company, draw = _population(n, n + 3)
    caught = draw < 0.1
    code = learning_kernels.channel_codes(mode, caught, SMUGGLER, PARTNER)
    rows = np.arange(n)  # every row: blocks of rows on threads
    want = learning_kernels.partner_arrests.serial(rows, code, company, M)
    np.testing.assert_array_equal(
        _on_threads(learning_kernels.partner_arrests, (rows, code, company, M), threads), want
    )
    partner = mode == PARTNER
    np.testing.assert_array_equal(want[0], np.bincount(company[partner], minlength=M))
    np.testing.assert_array_equal(want[1], np.bincount(company[partner & caught], minlength=M))
    if n > 2 * BLOCK:  # a partner's company out of range in the last block, on threads too
        company[-1], mode[-1] = M, PARTNER
        code = learning_kernels.channel_codes(mode, caught, SMUGGLER, PARTNER)
        with pytest.raises(ValueError, match="out of range"):
            _on_threads(learning_kernels.partner_arrests, (rows, code, company, M), threads)


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("n", SIZES)
def test_commit_choices_on_threads(n, threads):
    rng, _, _, _ = _population(n, n + 5)
    choice = rng.integers(0, 4, n).astype(np.int8)
    company = rng.integers(-1, M, n).astype(np.int32)
    idx = np.sort(rng.choice(2 * n, size=n, replace=False)) if n else np.zeros(0, np.int64)
    mode = rng.integers(0, 5, 2 * n).astype(np.int8)
    firm = rng.integers(-1, M, 2 * n).astype(np.int32)
    want_mode, want_firm = mode.copy(), firm.copy()
    choice_kernels.commit_choices.serial(idx, choice, company, want_mode, want_firm)
    _on_threads(choice_kernels.commit_choices, (idx, choice, company, mode, firm), threads)
    np.testing.assert_array_equal(mode, want_mode)
    np.testing.assert_array_equal(firm, want_firm)
