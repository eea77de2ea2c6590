"""The month's record equals the plain numpy formulation, bit for bit."""

from __future__ import annotations

import math

import numpy as np
import pytest

from wakusim.core.kernels import records as records_kernels
from wakusim.core.processes.accounting import Ledger
from wakusim.core.processes.enforcement import EnforcementOutcome
from wakusim.core.processes.trade import TradeOutcome
from wakusim.core.records import (
    BACKGROUND_MIN,
    GROUP_BOUNDS,
    WEALTH_GROUPS,
    _gini_sorted,
    _in_background,
    _member_shares,
    gini,
    member_share_by_wealth,
    month_record,
)
from wakusim.core.state import (
    CHANNEL_PARTNER,
    CHANNEL_SMUGGLER,
    DETAINED,
    MEMBER,
    MODE_NAMES,
    OUTSIDE,
    PARTNER,
    SMUGGLER,
)

N_COMPANIES = 4


def _mean(values):
    return float(values.mean()) if values.size else float("nan")


def _std(values):
    return float(values.std()) if values.size > 1 else float("nan")


def reference_record(state, policy, trade, enforcement, ledger, expected_margin):
    """The record as the plain numpy formulation computes it (a mask per mode)."""
    pop, comp = state.population, state.companies
    counts = np.bincount(pop.mode, minlength=5)
    n_free = int(counts[:4].sum())
    rec = {}
    for code, name in enumerate(MODE_NAMES):
        rec[f"n_{name}"] = int(counts[code])
    rec["n_free"] = n_free
    for code in (OUTSIDE, SMUGGLER, PARTNER, MEMBER):
        rec[f"share_{MODE_NAMES[code]}"] = counts[code] / n_free if n_free else float("nan")
    mode, caught = trade.mode, enforcement.caught
    for code in (SMUGGLER, PARTNER, MEMBER):
        rec[f"arrests_{MODE_NAMES[code]}"] = int((caught & (mode == code)).sum())
    rec["arrests_total"] = int(caught.sum())
    rec["companies_inspected"] = int(enforcement.inspected.sum())
    rec["companies_caught"] = int(enforcement.company_caught.sum())
    rec["volume_smuggling"] = trade.volume_smuggling
    rec["volume_partner"] = trade.volume_partner
    rec["volume_member"] = trade.volume_member
    rec["volume_company_own"] = trade.volume_own
    rec["volume_company"] = trade.volume_company
    rec["volume_total"] = trade.volume_total
    rec["price"] = trade.price
    rec["margin"] = trade.margin
    rec["expected_margin"] = expected_margin
    rec["revenue_surrender"] = ledger.revenue_surrender
    rec["revenue_fines"] = ledger.revenue_fines
    rec["revenue_confiscation"] = ledger.revenue_confiscation
    rec["revenue_loyalty"] = ledger.revenue_loyalty
    rec["revenue_total"] = (
        ledger.revenue_surrender
        + ledger.revenue_fines
        + ledger.revenue_confiscation
        + ledger.revenue_loyalty
    )
    rec["inminban_fees"] = float(ledger.fee_paid.sum())
    for code in (OUTSIDE, SMUGGLER, PARTNER, MEMBER):
        rec[f"income_{MODE_NAMES[code]}"] = _mean(pop.income[mode == code])
    for code in (SMUGGLER, PARTNER, MEMBER):
        name = MODE_NAMES[code]
        traded = (mode == code) & (trade.deployed > 0)
        ret = ledger.trade_income[traded] / trade.deployed[traded]
        ok = ~caught[traded]
        rec[f"return_{name}"] = _mean(ret)
        rec[f"return_sd_{name}"] = _std(ret)
        rec[f"return_uncaught_{name}"] = _mean(ret[ok])
        rec[f"capital_{name}"] = float(trade.deployed[mode == code].sum())
    rec["wealth_mean"] = float(pop.wealth.mean())
    rec["wealth_gini"] = gini(pop.wealth)
    shares = member_share_by_wealth(pop.wealth, pop.mode, WEALTH_GROUPS)
    for g in range(WEALTH_GROUPS):
        rec[f"member_share_d{g + 1:02d}"] = float(shares[g])
    rec["companies_accepting"] = int((comp.accepts_partners & comp.active).sum())
    rec["companies_suspended"] = int((~comp.active).sum())
    rec["company_funds"] = float(comp.funds.sum())
    free = pop.mode != DETAINED
    rec["perceived_risk_smuggler"] = _mean(pop.belief[CHANNEL_SMUGGLER][free])
    rec["perceived_risk_partner"] = _mean(pop.belief[CHANNEL_PARTNER][free])
    rec["true_risk_smuggler"] = policy.smuggler_risk
    rec["true_risk_partner"] = policy.partner_risk
    rec["released"] = ledger.released
    return rec


def _month(make_state, n, rng, shares=(0.8, 0.03, 0.1, 0.05, 0.02), same_return=False):
    """A random month's state and outcomes (modes before and after arrests)."""
    trade_mode = rng.choice(5, size=n, p=shares).astype(np.int8)
    trading = (trade_mode >= SMUGGLER) & (trade_mode <= MEMBER)
    caught = trading & (rng.random(n) < 0.1)
    mode = np.where(caught, DETAINED, trade_mode).astype(np.int8)
    mode[(trade_mode == DETAINED) & (rng.random(n) < 0.3)] = OUTSIDE  # released
    deployed = np.where(trading & (rng.random(n) < 0.9), rng.random(n) * 1e5, 0.0)
    if same_return:  # returns equal but for rounding: their s.d. is rounding noise
        trade_income = deployed * 0.0283927135
    else:
        trade_income = np.where(deployed > 0, rng.normal(0.02, 0.3, n) * deployed, 0.0)
    wealth = np.round(rng.lognormal(9, 1.2, n), -1)  # ties
    state = make_state(
        wealth,
        mode=mode,
        belief=rng.random((2, n)) * 0.1,
        quota=np.full(N_COMPANIES, 1e5),
        funds=rng.random(N_COMPANIES) * 1e6,
        accepts_partners=rng.random(N_COMPANIES) < 0.7,
        suspended_left=(rng.random(N_COMPANIES) < 0.3).astype(np.int16),
    )
    state.population.income[:] = rng.normal(500, 800, n)
    empty = np.zeros(n)
    trade = TradeOutcome(
        mode=trade_mode,
        company=np.zeros(n, dtype=np.int32),
        deployed=deployed,
        profit=empty,
        commission=np.zeros(int(((trade_mode == PARTNER) | (trade_mode == MEMBER)).sum())),
        surrender=np.zeros(int(((trade_mode == PARTNER) | (trade_mode == MEMBER)).sum())),
        ration=np.ones(N_COMPANIES),
        company_own_profit=np.zeros(N_COMPANIES),
        volume_smuggling=1.5e6,
        volume_partner=2.5e7,
        volume_member=1.1e7,
        volume_own=3e5,
        price=1.45,
        margin=0.45,
    )
    enforcement = EnforcementOutcome.from_individuals(
        caught=caught,
        confiscated=empty,
        fined=empty,
        detention=np.zeros(n, dtype=np.int16),
        inspected=rng.random(N_COMPANIES) < 0.5,
        company_caught=rng.random(N_COMPANIES) < 0.2,
        company_fined=np.zeros(N_COMPANIES),
    )
    fee_paid = rng.random(n) * 10
    ledger = Ledger(
        trade_income=trade_income,
        fee_paid=fee_paid,
        revenue_surrender=1e6,
        revenue_fines=2e5,
        revenue_confiscation=3e5,
        revenue_loyalty=8.7e4,
        company_income=np.zeros(N_COMPANIES),
        released=int(((trade_mode == DETAINED) & (mode == OUTSIDE)).sum()),
        fee_total=float(fee_paid.sum()),
        wealth_total=float(state.population.wealth.sum()),
    )
    return state, trade, enforcement, ledger


def _check(make_scenario, make_policy, make_state, n, seed, **kw):
    policy = make_policy(make_scenario())
    state, trade, enforcement, ledger = _month(make_state, n, np.random.default_rng(seed), **kw)
    mine = month_record(state, policy, trade, enforcement, ledger, 0.46)
    theirs = reference_record(state, policy, trade, enforcement, ledger, 0.46)
    assert list(mine) == list(theirs)
    for key, value in theirs.items():
        other = mine[key]
        assert type(other) is type(value), key
        same = value == other or (math.isnan(value) and math.isnan(other))
        assert same, (key, value, other)


@pytest.mark.parametrize("n", [1, 2, 3, 9, 130, 1000, 20_000, BACKGROUND_MIN + 5])
def test_record_is_the_plain_formulation(make_scenario, make_policy, make_state, n):
    _check(make_scenario, make_policy, make_state, n, n)


@pytest.mark.parametrize(
    "shares",
    [
        (1.0, 0.0, 0.0, 0.0, 0.0),  # all outside: no traders, no one detained
        (0.0, 0.0, 0.0, 0.0, 1.0),  # all detained: no one free
        (0.6, 0.0, 0.4, 0.0, 0.0),  # no smugglers or members
        (0.0, 0.4, 0.3, 0.3, 0.0),  # no outsiders
    ],
)
def test_record_with_empty_modes(make_scenario, make_policy, make_state, shares):
    _check(make_scenario, make_policy, make_state, 3000, 1, shares=shares)


def test_record_keeps_a_rounding_noise_sd(make_scenario, make_policy, make_state):
    # Equal returns but for rounding: the s.d. is a few ulps of the mean and
    # moves with the slightest change in how the mean is added.
    _check(make_scenario, make_policy, make_state, 50_000, 2, same_return=True)


@pytest.mark.parametrize("n", [1, 2, 5, 128, 129, 10_001])
def test_gini_sorted_is_gini(n):
    rng = np.random.default_rng(n)
    for x in (rng.lognormal(9, 1.2, n), np.zeros(n), np.full(n, 3.0)):
        x = np.sort(x)
        assert _gini_sorted(x) == gini(x, presorted=True)
    assert _gini_sorted(np.zeros(0)) == gini(np.zeros(0)) == 0.0


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 9, 10, 11, 12, 19, 21, 101, 5000])
@pytest.mark.parametrize("n_detained", [0, 1, 3, 40, 700])
def test_group_edges_are_numpys_quantiles(n, n_detained):
    rng = np.random.default_rng([n, n_detained])
    free = np.round(rng.lognormal(3, 1, n))  # ties
    detained = np.round(rng.lognormal(3, 1, n_detained))
    ties = min(n, n_detained // 2)
    detained[:ties] = free[:ties]  # detained with the wealth of some of the free
    everyone = np.sort(np.concatenate([free, detained]))
    expected = np.quantile(free, np.linspace(0, 1, WEALTH_GROUPS + 1)[1:-1])
    edges = records_kernels.group_edges(everyone, np.sort(detained), GROUP_BOUNDS)
    assert np.array_equal(edges, expected)


@pytest.mark.parametrize("n", [1, 7, 100, 5000])
def test_member_shares_are_the_plain_formulation(n):
    rng = np.random.default_rng(n)
    mode = rng.choice(5, size=n, p=(0.7, 0.05, 0.1, 0.1, 0.05)).astype(np.int8)
    wealth = np.round(rng.lognormal(5, 1, n))
    shares = _member_shares(
        np.sort(wealth),
        np.sort(wealth[mode == DETAINED]),
        wealth[mode == MEMBER],
        WEALTH_GROUPS,
    )
    assert np.array_equal(shares, member_share_by_wealth(wealth, mode, WEALTH_GROUPS))


def test_member_shares_leave_nan_wealth_to_the_plain_formulation():
    wealth = np.array([1.0, np.nan, 3.0, 2.0])  # members 0 and 2, individual 3 detained
    assert _member_shares(np.sort(wealth), np.array([2.0]), wealth[[0, 2]], 10) is None


def test_member_shares_without_free():
    assert np.array_equal(_member_shares(np.ones(3), np.ones(3), np.zeros(0), 4), np.zeros(4))


@pytest.mark.parametrize("n", [10, BACKGROUND_MIN + 1])
def test_work_in_background(n):
    values = np.random.default_rng(n).random(n)
    assert np.array_equal(_in_background(n, lambda: np.sort(values))(), np.sort(values))


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_work_in_background_that_fails_is_done_again_when_asked():
    import numba

    if numba.get_num_threads() < 2:
        pytest.skip("work runs inline on one thread")
    calls = []

    def work():
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("first attempt fails")
        return 42

    assert _in_background(BACKGROUND_MIN, work)() == 42
    assert len(calls) == 2
