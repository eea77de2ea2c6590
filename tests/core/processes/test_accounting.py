"""Accounting: incomes, wealth, detention and suspension countdowns, company funds, revenue."""

from __future__ import annotations

import numpy as np
import pytest

from wakusim.core.processes.accounting import MIN_WEALTH, account
from wakusim.core.processes.enforcement import EnforcementOutcome
from wakusim.core.processes.trade import TradeOutcome
from wakusim.core.state import DETAINED, MEMBER, NO_COMPANY, OUTSIDE, PARTNER

N = NO_COMPANY


def _zeros(value, n, dtype=np.float64):
    return np.zeros(n, dtype=dtype) if value is None else np.asarray(value, dtype=dtype)


def _trade(
    mode, company, deployed=None, profit=None, commission=None, surrender=None, own_profit=None, m=3
):
    n = len(mode)
    mode = np.asarray(mode, dtype=np.int8)
    attached = (mode == PARTNER) | (mode == MEMBER)  # commission and surrender: theirs only
    return TradeOutcome(
        mode=mode,
        company=np.asarray(company, dtype=np.int32),
        deployed=_zeros(deployed, n),
        profit=_zeros(profit, n),
        commission=_zeros(commission, n)[attached],
        surrender=_zeros(surrender, n)[attached],
        ration=np.ones(m),
        company_own_profit=_zeros(own_profit, m),
        volume_smuggling=0.0,
        volume_partner=0.0,
        volume_member=0.0,
        volume_own=0.0,
        price=1.5,
        margin=0.5,
    )


def _enforcement(
    n,
    m=3,
    caught=None,
    confiscated=None,
    fined=None,
    detention=None,
    inspected=None,
    company_caught=None,
    company_fined=None,
):
    return EnforcementOutcome.from_individuals(
        caught=_zeros(caught, n, bool),
        confiscated=_zeros(confiscated, n),
        fined=_zeros(fined, n),
        detention=_zeros(detention, n, np.int16),
        inspected=_zeros(inspected, m, bool),
        company_caught=_zeros(company_caught, m, bool),
        company_fined=_zeros(company_fined, m),
    )


# 0 outside; 1 partner@0 (pays the neighbourhood fee); 2 partner@0 caught (3 months);
# 3 detained, last month; 4 detained, 3 months left; 5 member@1; 6 member@1 caught, no detention.
MODES = [OUTSIDE, PARTNER, PARTNER, DETAINED, DETAINED, MEMBER, MEMBER]
COMPANY = [N, 0, 0, N, N, 1, 1]
WEALTH = [10_000.0, 100_000.0, 40_000.0, 5_000.0, 5_000.0, 60_000.0, 50_000.0]
ORG = [300.0, 1_000.0, 300.0, 300.0, 300.0, 1_000.0, 300.0]


def _month(make_scenario, make_policy, make_state, overrides=None):
    # y0 400, safe 0.005, savings 0.3, retention 0.1, own funds share 0.05, company memory 0.7;
    # neighbourhood fee 3000/yr (limit 5 % of wealth), loyalty 3000/month per active company
    scenario = make_scenario(overrides)
    policy = make_policy(scenario, enforcement={"suspension_months": 6})
    state = make_state(
        WEALTH,
        mode=MODES,
        company=COMPANY,
        org_aversion=ORG,
        detention_left=[0, 0, 0, 1, 3, 0, 0],
        quota=(100_000.0, 200_000.0, 100_000.0),
        funds=(1_000.0, 9_800.0, 0.0),
        suspended_left=(0, 0, 2),
        perceived_inspection=0.1,
    )
    trade = _trade(
        MODES,
        COMPANY,
        deployed=[0, 50_000, 20_000, 0, 0, 30_000, 25_000],
        profit=[0, 4_000, 3_000, 0, 0, 2_000, 1_500],
        commission=[0, 12_000, 9_000, 0, 0, 9_000, 8_000],
        surrender=[0, 0, 0, 0, 0, 700, 600],
        own_profit=[1_000, 500, 0],
    )
    enforcement = _enforcement(
        7,
        caught=[0, 0, 1, 0, 0, 0, 1],
        confiscated=[0, 0, 20_000, 0, 0, 0, 25_000],
        fined=[0, 0, 5_000, 0, 0, 0, 2_000],
        detention=[0, 0, 3, 0, 0, 0, 0],
        inspected=[1, 0, 0],
        company_caught=[1, 0, 0],
        company_fined=[1_000, 0, 0],
    )
    ledger = account(state, trade, enforcement, policy, scenario)
    return state, ledger


def test_income_and_wealth(make_scenario, make_policy, make_state):
    state, ledger = _month(make_scenario, make_policy, make_state)
    pop = state.population
    # 0: safe 0.005 * 10,000 = 50; income 400 + 50 = 450; wealth + 0.3 * 50 = 10,015
    # 1: safe 0.005 * 50,000 = 250; fee 3000/12 = 250 (affordable, cheaper than 0.5 * 1000);
    #    income 400 + 250 + 4000 - 250 = 4400; wealth 100,000 + 0.3 * 4250 - 250 = 101,025
    # 2: caught: trade income -(20,000 + 5,000); safe 100; income 400 + 100 - 25,000 = -24,500;
    #    wealth 40,000 + 0.3 * 100 - 25,000 = 15,030
    # 3, 4: detained: no income, wealth unchanged
    # 5: member pays no fee; safe 150; income 2550; wealth 60,000 + 0.3 * 2150 = 60,645
    # 6: caught member: safe 125; income 525 - 27,000 = -26,475; wealth 50,000 + 37.5 - 27,000
    np.testing.assert_allclose(
        pop.income, [450.0, 4_400.0, -24_500.0, 0.0, 0.0, 2_550.0, -26_475.0]
    )
    np.testing.assert_allclose(
        pop.wealth, [10_015.0, 101_025.0, 15_030.0, 5_000.0, 5_000.0, 60_645.0, 23_037.5]
    )
    np.testing.assert_allclose(
        ledger.trade_income, [0.0, 4_000.0, -25_000.0, 0.0, 0.0, 2_000.0, -27_000.0]
    )
    np.testing.assert_allclose(ledger.fee_paid, [0.0, 250.0, 0.0, 0.0, 0.0, 0.0, 0.0])


def test_savings_rate_one_keeps_all_gains(make_scenario, make_policy, make_state):
    state, _ = _month(make_scenario, make_policy, make_state, {"population.savings_rate": 1.0})
    # 0: 10,000 + 50; 1: 100,000 + 4250 - 250
    np.testing.assert_allclose(state.population.wealth[:2], [10_050.0, 104_000.0])


def test_detention_release_and_new_arrests(make_scenario, make_policy, make_state):
    state, ledger = _month(make_scenario, make_policy, make_state)
    pop = state.population
    # 2 newly detained for 3 months; 3 released (1 -> 0) and must revise; 4: 3 -> 2;
    # 6 caught without detention goes back outside and must revise
    np.testing.assert_array_equal(
        pop.mode, [OUTSIDE, PARTNER, DETAINED, OUTSIDE, DETAINED, MEMBER, OUTSIDE]
    )
    np.testing.assert_array_equal(pop.detention_left, [0, 0, 3, 0, 2, 0, 0])
    np.testing.assert_array_equal(pop.must_revise, [False, False, False, True, False, False, True])
    np.testing.assert_array_equal(pop.company, [N, 0, N, N, N, 1, N])
    assert ledger.released == 1


def test_company_accounts(make_scenario, make_policy, make_state):
    state, ledger = _month(make_scenario, make_policy, make_state)
    comp = state.companies
    # income: commissions of traders not caught + own profit: [12,000 + 1000, 9000 + 500, 0]
    np.testing.assert_allclose(ledger.company_income, [13_000.0, 9_500.0, 0.0])
    # funds: clip(funds - fine + 0.1 * (income - loyalty 3000), 0, 0.05 * quota)
    # (company 2 is suspended: no loyalty due):
    #   0: 1000 + 0.1 * 10,000 - 1000 = 1000; 1: 9800 + 650 = 10,450 -> capped at 10,000; 2: 0
    np.testing.assert_allclose(comp.funds, [1_000.0, 10_000.0, 0.0])
    # company 0 caught: suspended 6 months; company 2 counts down 2 -> 1
    np.testing.assert_array_equal(comp.suspended_left, [6, 0, 1])
    # partners during the month, caught included
    np.testing.assert_allclose(state.partners_last, [2.0, 0.0, 0.0])


def test_loyalty_shortfall_comes_out_of_funds(make_scenario, make_policy, make_state):
    scenario = make_scenario({"state.loyalty_payment": 15_000.0})
    state, ledger = _month(
        make_scenario, make_policy, make_state, {"state.loyalty_payment": 15_000.0}
    )
    # company 0: income 13,000 < 15,000 due; funds 1000 - fine 1000 = 0 -> pays 13,000
    # company 1: income 9,500; shortfall 5,500 out of funds 9,800 -> funds 4,300 (no retention)
    np.testing.assert_allclose(state.companies.funds, [0.0, 4_300.0, 0.0])
    assert ledger.revenue_loyalty == pytest.approx(13_000.0 + 15_000.0)
    assert scenario.state.loyalty_payment == 15_000.0


def test_state_revenue(make_scenario, make_policy, make_state):
    _, ledger = _month(make_scenario, make_policy, make_state)
    assert ledger.revenue_surrender == pytest.approx(700.0)  # caught member's 600 not collected
    assert ledger.revenue_fines == pytest.approx(8_000.0)  # 5000 + 2000 + company 1000
    assert ledger.revenue_confiscation == pytest.approx(45_000.0)  # 20,000 + 25,000
    assert ledger.revenue_loyalty == pytest.approx(6_000.0)  # 2 active companies x 3000


def test_company_beliefs_follow_inspections(make_scenario, make_policy, make_state):
    from wakusim.core.processes.learning import update_company_beliefs

    scenario = make_scenario()
    policy = make_policy(scenario)
    state = make_state(
        [1000.0],
        quota=[1000.0, 1000.0, 1000.0],
        suspended_left=[0, 0, 2],
        perceived_inspection=0.1,
    )
    # 1 inspected of 2 active -> 0.5; memory 0.7: 0.7 * 0.1 + 0.3 * 0.5 = 0.22
    update_company_beliefs(
        state.companies, np.array([True, False, False]), policy, scenario.learning
    )
    np.testing.assert_allclose(state.companies.perceived_inspection, [0.22] * 3, rtol=1e-12)
    off = make_scenario({"learning.enabled": False})
    update_company_beliefs(state.companies, np.array([True, True, False]), policy, off.learning)
    np.testing.assert_allclose(
        state.companies.perceived_inspection, [policy.enforcement.inspection_rate] * 3
    )


def test_wealth_floor(make_scenario, make_policy, make_state):
    scenario = make_scenario()
    policy = make_policy(scenario)
    state = make_state([1_000.0], mode=[PARTNER], company=[0], quota=(100_000.0,))
    trade = _trade([PARTNER], [0], deployed=[500.0], m=1)
    # everything lost: 1000 + 0.3 * 2.5 - 1000 = 0.75 -> floored at MIN_WEALTH
    enforcement = _enforcement(
        1, m=1, caught=[1], confiscated=[500.0], fined=[500.0], detention=[3]
    )
    account(state, trade, enforcement, policy, scenario)
    assert state.population.wealth[0] == MIN_WEALTH == 1.0


def test_detention_and_suspension_count_down_to_release(make_scenario, make_policy, make_state):
    scenario = make_scenario()
    policy = make_policy(scenario)
    state = make_state(
        [5_000.0, 5_000.0],
        mode=[DETAINED, DETAINED],
        detention_left=[2, 1],
        quota=(100_000.0, 100_000.0),
        suspended_left=(2, 1),
    )
    pop, comp = state.population, state.companies
    months = []
    for _ in range(2):
        trade = _trade(pop.mode.copy(), pop.company.copy(), m=2)
        account(state, trade, _enforcement(2, m=2), policy, scenario)
        months.append(
            (pop.mode.tolist(), pop.detention_left.tolist(), comp.suspended_left.tolist())
        )
    # month 1: [2, 1] -> [1, 0]: second released; companies [2, 1] -> [1, 0]
    # month 2: first released; companies -> [0, 0]
    assert months[0] == ([DETAINED, OUTSIDE], [1, 0], [1, 0])
    assert months[1] == ([OUTSIDE, OUTSIDE], [0, 0], [0, 0])
    np.testing.assert_array_equal(pop.must_revise, [True, True])
    # no income while detained; the second is free in month 2: + 0.3 * 0.005 * 5000 = 7.5
    np.testing.assert_allclose(pop.wealth, [5_000.0, 5_007.5])
