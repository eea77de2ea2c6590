"""Trade with its compiled kernels equals the plain numpy formulation, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from wakusim.core.decisions import margin_shares
from wakusim.core.market import sale_value
from wakusim.core.processes.trade import TradeOutcome, trade
from wakusim.core.state import MEMBER, NO_COMPANY, PARTNER, SMUGGLER

ALL_MODES = (0.6, 0.05, 0.2, 0.1, 0.05)


def numpy_trade(state, policy, scenario) -> TradeOutcome:
    """The numpy formulation of the trade step (masks, bincount, fancy indexing)."""
    pop, comp = state.population, state.companies
    mk = scenario.market
    mode = pop.mode.copy()
    m = comp.size
    smuggler = mode == SMUGGLER
    attached = (mode == PARTNER) | (mode == MEMBER)
    wanted = np.zeros(pop.size)
    wanted[smuggler] = np.minimum(mk.invest_share * pop.wealth[smuggler], mk.smuggling_capacity)
    wanted[attached] = mk.invest_share * pop.wealth[attached]
    company = np.where(attached, pop.company, 0)
    own = np.where(comp.active, comp.funds, 0.0)
    outside_capital = np.bincount(company[attached], weights=wanted[attached], minlength=m)
    demand = mk.turnover * (own + outside_capital)
    cap = comp.quota * policy.border.trade_level * comp.active
    with np.errstate(divide="ignore", invalid="ignore"):
        ration = np.where(demand > 0, np.minimum(1.0, cap / demand), 0.0)
    deployed = wanted.copy()
    deployed[attached] *= ration[company[attached]]
    is_partner = mode == PARTNER
    is_member = mode == MEMBER
    volume_smuggling = mk.turnover * float(deployed[smuggler].sum())
    volume_partner = mk.turnover * float(deployed[is_partner].sum())
    volume_member = mk.turnover * float(deployed[is_member].sum())
    own_deployed = own * ration
    volume_own = mk.turnover * float(own_deployed.sum())
    total = volume_smuggling + volume_partner + volume_member + volume_own
    price = sale_value(total, state.market.reference_volume, mk.price_ref, mk.elasticity)
    margin = price - 1.0
    gross = mk.turnover * margin * deployed
    shares = margin_shares(policy, scenario)
    profit = gross * shares[mode.clip(0, 3)] * (mode < 4)
    c, s = scenario.companies, policy.state
    commission = np.zeros(pop.size)
    commission[is_partner] = c.partner_commission * gross[is_partner]
    member_rest = (1.0 - c.member_commission) * gross[is_member]
    commission[is_member] = c.member_commission * gross[is_member] + s.unit_payment * member_rest
    surrender = np.zeros(pop.size)
    surrender[is_member] = s.surrender_rate * (1.0 - s.unit_payment) * member_rest
    return TradeOutcome(
        mode=mode,
        company=pop.company.copy(),
        deployed=deployed,
        profit=profit,
        commission=commission[attached],  # partners' and members', in row order
        surrender=surrender[attached],
        ration=ration,
        company_own_profit=mk.turnover * margin * own_deployed,
        volume_smuggling=volume_smuggling,
        volume_partner=volume_partner,
        volume_member=volume_member,
        volume_own=volume_own,
        price=price,
        margin=margin,
    )


def random_state(make_state, scenario, rng, n, m, shares=ALL_MODES, reference_volume=None):
    """A random population: modes, companies, wealth (some smugglers exactly at capacity)."""
    mode = rng.choice(5, size=n, p=shares).astype(np.int8)
    company = rng.integers(0, m, size=n).astype(np.int32)
    company[(mode != PARTNER) & (mode != MEMBER)] = NO_COMPANY
    wealth = np.exp(rng.normal(10.5, 1.5, size=n))
    mk = scenario.market
    wealth[rng.random(n) < 0.05] = mk.smuggling_capacity / mk.invest_share  # min() ties
    detention_left = np.where(mode == 4, rng.integers(1, 6, size=n), 0)
    org_aversion = rng.gamma(2.0, 300.0, size=n)
    quota = rng.uniform(1e3, 1e6, size=m)
    funds = rng.uniform(0.0, 5e4, size=m)
    funds[rng.random(m) < 0.2] = 0.0
    suspended = np.where(rng.random(m) < 0.2, rng.integers(1, 4, size=m), 0)
    if reference_volume is None:
        reference_volume = float(rng.uniform(1e4, 1e7))
    return make_state(
        wealth,
        mode=mode,
        company=company,
        org_aversion=org_aversion,
        detention_left=detention_left,
        quota=quota,
        funds=funds,
        suspended_left=suspended,
        reference_volume=reference_volume,
    )


def assert_same(got, want) -> None:
    """Every field equal, arrays with the same dtype."""
    for name in want.__dataclass_fields__:
        a, b = getattr(got, name), getattr(want, name)
        if name == "attached":  # listed by the kernel; found from the modes in the reference
            a, b = got.attached, want.attached_rows()
        if name == "smugglers":
            a, b = got.smugglers, want.smuggler_rows()
        if isinstance(b, np.ndarray):
            assert a.dtype == b.dtype, name
            np.testing.assert_array_equal(a, b, err_msg=name)
        else:
            assert a == b or (a != a and b != b), name


CASES = [
    # n, companies, mode shares
    (0, 3, ALL_MODES),
    (1, 1, (0.0, 0.0, 1.0, 0.0, 0.0)),
    (7, 2, ALL_MODES),
    (1_000, 5, ALL_MODES),
    (1_000, 5, (0.9, 0.0, 0.1, 0.0, 0.0)),  # no smugglers, no members
    (1_000, 5, (0.5, 0.5, 0.0, 0.0, 0.0)),  # nobody attached to a company
    (1_000, 5, (1.0, 0.0, 0.0, 0.0, 0.0)),  # nobody trades
    (70_001, 30, ALL_MODES),  # more than a block of rows, not a multiple of one
]


@pytest.mark.parametrize(("n", "m", "shares"), CASES)
def test_trade_equals_numpy(make_scenario, make_policy, make_state, n, m, shares):
    scenario = make_scenario()
    policy = make_policy(scenario)
    rng = np.random.default_rng(n + m)
    state = random_state(make_state, scenario, rng, n, m, shares)
    assert_same(trade(state, policy, scenario), numpy_trade(state, policy, scenario))


@pytest.mark.parametrize("seed", range(6))
def test_trade_equals_numpy_random_policies(make_scenario, make_policy, make_state, seed):
    rng = np.random.default_rng(100 + seed)
    scenario = make_scenario(
        {
            "market.invest_share": float(rng.uniform(0.1, 1.0)),
            "market.smuggling_capacity": float(rng.uniform(1e3, 1e5)),
            "market.turnover": float(rng.uniform(0.1, 3.0)),
            "companies.partner_commission": float(rng.uniform(0.0, 1.0)),
            "companies.member_commission": float(rng.uniform(0.0, 1.0)),
        }
    )
    policy = make_policy(
        scenario,
        border={"trade_level": float(rng.choice([0.0, 0.3, 1.0, 2.0]))},
        state={
            "unit_payment": float(rng.uniform(0.0, 0.5)),
            "surrender_rate": float(rng.uniform(0.0, 0.9)),
        },
    )
    # a small or a large reference volume: negative and positive margins
    reference_volume = float(rng.choice([1e3, 1e9]))
    state = random_state(make_state, scenario, rng, 5_000, 12, reference_volume=reference_volume)
    got, want = trade(state, policy, scenario), numpy_trade(state, policy, scenario)
    assert_same(got, want)
    # signed zeros too (the profit of those not trading is -0 when the margin is negative)
    np.testing.assert_array_equal(np.signbit(got.profit), np.signbit(want.profit))
    np.testing.assert_array_equal(np.signbit(got.commission), np.signbit(want.commission))


def test_trade_leaves_state_alone(make_scenario, make_policy, make_state):
    scenario = make_scenario()
    rng = np.random.default_rng(3)
    state = random_state(make_state, scenario, rng, 2_000, 4)
    before = [a.copy() for a in (state.population.mode, state.population.company)]
    out = trade(state, make_policy(scenario), scenario)
    np.testing.assert_array_equal(state.population.mode, before[0])
    np.testing.assert_array_equal(state.population.company, before[1])
    # the outcome keeps its own copies of the mode and the company
    assert not np.shares_memory(out.mode, state.population.mode)
    assert not np.shares_memory(out.company, state.population.company)


@pytest.mark.parametrize("mode", [PARTNER, MEMBER])
@pytest.mark.parametrize("bad", [NO_COMPANY, 4, 1000])
def test_trade_refuses_a_trader_without_a_valid_company(
    make_scenario, make_policy, make_state, mode, bad
):
    """Later kernels index companies by a partner's or member's company without checks."""
    scenario = make_scenario()
    rng = np.random.default_rng(4)
    state = random_state(make_state, scenario, rng, 500, 4)
    state.population.mode[17] = mode
    state.population.company[17] = bad
    with pytest.raises(ValueError, match="company is out of range"):
        trade(state, make_policy(scenario), scenario)
