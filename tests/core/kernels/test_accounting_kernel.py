"""Accounting with its compiled kernels equals the plain numpy formulation, bit for bit."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from test_enforcement_kernel import RISKS, numpy_enforce
from test_trade_kernel import ALL_MODES, assert_same, numpy_trade, random_state

from wakusim.core.decisions import organisational_cost
from wakusim.core.kernels.pairwise import pairwise_sum_sparse
from wakusim.core.processes.accounting import MIN_WEALTH, Ledger, account
from wakusim.core.state import DETAINED, MEMBER, NO_COMPANY, OUTSIDE, PARTNER


def numpy_account(state, trade, enforcement, policy, scenario) -> Ledger:
    """The numpy formulation of the accounting step (masks, np.where, bincount)."""
    pop, comp = state.population, state.companies
    mk, e = scenario.market, policy.enforcement
    caught = enforcement.caught
    confiscated = enforcement.by_individual(enforcement.confiscated)
    fined = enforcement.by_individual(enforcement.fined)
    detention = enforcement.by_individual(enforcement.detention)
    was_detained = trade.mode == DETAINED
    free = ~was_detained
    safe = mk.safe_return * (pop.wealth - trade.deployed)
    trade_income = np.where(caught, -(confiscated + fined), trade.profit)
    _, _, pays_fee = organisational_cost(pop.wealth, pop.org_aversion, policy)
    fee_paid = np.where(
        free & pays_fee & (trade.mode != MEMBER), policy.state.inminban_fee / 12, 0.0
    )
    y0 = scenario.population.baseline_income
    income = np.where(free, y0 + safe + trade_income - fee_paid, 0.0)
    gains = np.where(free, safe + np.maximum(trade_income, 0.0), 0.0)
    losses = np.where(free, np.minimum(trade_income, 0.0) - fee_paid, 0.0)
    if not scenario.population.fixed_wealth:
        pop.wealth = np.maximum(
            pop.wealth + scenario.population.savings_rate * gains + losses, MIN_WEALTH
        )
    pop.income = income
    pop.detention_left[was_detained] -= 1
    released = was_detained & (pop.detention_left <= 0)
    pop.detention_left[released] = 0
    pop.mode[released] = OUTSIDE
    pop.must_revise[released] = True
    detain = caught & (detention > 0)
    pop.detention_left[detain] = detention[detain]
    pop.mode[detain] = DETAINED
    fined_only = caught & ~detain
    pop.mode[fined_only] = OUTSIDE
    pop.must_revise[fined_only] = True
    pop.company[caught] = NO_COMPANY
    m = comp.size
    attached = (trade.mode == PARTNER) | (trade.mode == MEMBER)
    paid = attached & ~caught
    commission = trade.by_individual(trade.commission)
    commission = np.bincount(trade.company[paid], weights=commission[paid], minlength=m)
    income_c = commission + trade.company_own_profit
    due = np.where(comp.active, policy.state.loyalty_payment, 0.0)
    from_income = np.minimum(due, income_c)
    funds = comp.funds - enforcement.company_fined
    from_funds = np.minimum(due - from_income, np.maximum(funds, 0.0))
    funds += scenario.companies.retention * (income_c - from_income) - from_funds
    comp.funds = np.clip(funds, 0.0, scenario.companies.own_funds_share * comp.quota)
    loyalty = from_income + from_funds
    was_suspended = ~comp.active
    comp.suspended_left[was_suspended] -= 1
    comp.suspended_left[enforcement.company_caught] = e.suspension_months
    state.partners_last = np.bincount(trade.company[trade.mode == PARTNER], minlength=m).astype(
        np.float64
    )
    return Ledger(
        trade_income=np.where(free, trade_income, 0.0),
        fee_paid=fee_paid,
        revenue_surrender=float(trade.by_individual(trade.surrender)[~caught].sum()),
        revenue_fines=float(fined.sum() + enforcement.company_fined.sum()),
        revenue_confiscation=float(confiscated.sum()),
        revenue_loyalty=float(loyalty.sum()),
        company_income=income_c,
        released=int(released.sum()),
        fee_total=float(fee_paid.sum()),
        wealth_total=float(pop.wealth.sum()),
    )


def _exact_factor(product: float, factor: float) -> float:
    """An x with ``factor * x == product`` exactly (if there is one near ``product / factor``)."""
    if factor == 0.0:
        return 1.0
    x = product / factor
    for _ in range(8):
        if factor * x < product:
            x = np.nextafter(x, np.inf)
        elif factor * x > product:
            x = np.nextafter(x, -np.inf)
    return float(x)


def _month(make_scenario, make_policy, make_state, n, m, shares, risks, seed, overrides=None):
    """A random state, its trade and enforcement (numpy), and the scenario and policy."""
    scenario = make_scenario(overrides)
    rng = np.random.default_rng(seed)
    policy = make_policy(
        scenario,
        enforcement={
            "inspection_rate": float(rng.choice([0.0, 0.5, 1.0])),
            "member_detention": int(rng.choice([0, 2])),
            "smuggling_fine": float(rng.uniform(0, 1e5)),
            **risks,
        },
        state={
            "inminban_fee": float(rng.choice([3_000.0, 30_000.0])),
            "loyalty_payment": float(rng.uniform(0, 2e4)),
        },
    )
    state = random_state(make_state, scenario, rng, n, m, shares)
    pop = state.population
    # some fees exactly at the wealth limit and at the burden (ties of <= and <)
    s = policy.state
    if n:
        pop.wealth[:: max(n // 50, 1)] = _exact_factor(s.inminban_fee, s.fee_wealth_limit)
        pop.org_aversion[1 :: max(n // 40, 1)] = _exact_factor(
            s.inminban_fee / 12.0, s.org_burden_base
        )
        pop.wealth[2 :: max(n // 30, 1)] = 1.0  # poorest: losses hit the wealth floor
    trade = numpy_trade(state, policy, scenario)
    enforcement = numpy_enforce(state, trade, policy, np.random.default_rng(seed + 1))
    return state, trade, enforcement, policy, scenario


def _assert_states_equal(got, want) -> None:
    for part in ("population", "companies"):
        assert_same(getattr(got, part), getattr(want, part))
    assert got.partners_last.dtype == want.partners_last.dtype
    np.testing.assert_array_equal(got.partners_last, want.partners_last)


CASES = [
    (0, 3, ALL_MODES),
    (1, 1, (0.0, 0.0, 1.0, 0.0, 0.0)),
    (1, 1, (0.0, 0.0, 0.0, 0.0, 1.0)),
    (11, 2, ALL_MODES),
    (3_000, 7, ALL_MODES),
    (3_000, 7, (0.9, 0.0, 0.1, 0.0, 0.0)),  # partners only
    (3_000, 7, (0.7, 0.0, 0.0, 0.2, 0.1)),  # members and detained only
    (3_000, 7, (1.0, 0.0, 0.0, 0.0, 0.0)),  # nobody trades
    (70_001, 30, ALL_MODES),  # more than a block of rows, not a multiple of one
]


@pytest.mark.parametrize("risks", RISKS[:3])
@pytest.mark.parametrize(("n", "m", "shares"), CASES)
def test_account_equals_numpy(make_scenario, make_policy, make_state, n, m, shares, risks):
    state, trade, enforcement, policy, scenario = _month(
        make_scenario, make_policy, make_state, n, m, shares, risks, seed=n + 13 * m
    )
    reference = copy.deepcopy(state)
    ledger = account(state, trade, enforcement, policy, scenario)
    want = numpy_account(reference, trade, enforcement, policy, scenario)
    assert_same(ledger, want)
    assert isinstance(ledger.released, int)
    assert isinstance(ledger.revenue_surrender, float)
    _assert_states_equal(state, reference)


@pytest.mark.parametrize("fixed_wealth", [False, True])
def test_account_equals_numpy_over_months(make_scenario, make_policy, make_state, fixed_wealth):
    """Several months in a row: releases, new detentions, suspensions counting down."""
    overrides = {"population.fixed_wealth": fixed_wealth}
    state, _, _, policy, scenario = _month(
        make_scenario, make_policy, make_state, 4_000, 5, ALL_MODES, RISKS[1], 3, overrides
    )
    reference = copy.deepcopy(state)
    for month in range(6):
        trade = numpy_trade(state, policy, scenario)
        enforcement = numpy_enforce(state, trade, policy, np.random.default_rng(month))
        ledger = account(state, trade, enforcement, policy, scenario)
        want = numpy_account(reference, trade, enforcement, policy, scenario)
        assert_same(ledger, want)
        _assert_states_equal(state, reference)
    assert ledger.released > 0


@pytest.mark.parametrize("n", [0, 1, 7, 8, 9, 127, 128, 129, 1_000, 65_537, 300_001])
@pytest.mark.parametrize("density", [0.0, 0.01, 0.3, 1.0])
def test_pairwise_sum_sparse_equals_numpy_sum(n, density):
    rng = np.random.default_rng(n)
    a = np.zeros(n)
    nonzero = rng.random(n) < density
    a[nonzero] = rng.standard_normal(nonzero.sum()) * 10.0 ** rng.integers(-8, 9, nonzero.sum())
    pos = np.flatnonzero(a)
    assert pairwise_sum_sparse(pos, a[pos], n) == float(a.sum())
