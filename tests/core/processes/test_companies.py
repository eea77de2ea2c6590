"""Companies' decision to accept partners, and open member posts (hand-computed)."""

from __future__ import annotations

import numpy as np

from wakusim.core.processes.companies import decide_partners, open_member_slots


def _policy(make_scenario, make_policy, **enforcement):
    scenario = make_scenario()
    base = dict(partner_detection=0.3, company_fine=50_000.0, suspension_months=6)
    return scenario, make_policy(scenario, enforcement={**base, **enforcement})


def test_accept_and_refuse_by_hand(make_scenario, make_policy, make_state):
    scenario, policy = _policy(make_scenario, make_policy)  # partner_commission 0.75
    state = make_state(
        [1.0],
        quota=(100_000.0, 100_000.0, 100_000.0),
        boldness=0.3,
        perceived_inspection=0.1,
        accepts_partners=False,
        suspended_left=(0, 0, 2),
    )
    comp = state.companies
    comp.boldness[2] = 100.0  # bold, but suspended
    # commission = 0.75 * 0.4 * 100,000 * trade level 1 = 30,000; boldness x commission = 9,000
    # exposure 1 - 0.7^max(n, 1): n = 0 -> 0.3; n = 2 -> 0.51
    # expected loss = 0.1 * exposure * (50,000 + 6 * 30,000) = 0.1 * exposure * 230,000
    #   company 0: 6,900 <= 9,000 -> accepts; company 1: 11,730 > 9,000 -> refuses
    decide_partners(comp, 0.4, np.array([0.0, 2.0, 0.0]), policy, scenario)
    np.testing.assert_array_equal(comp.accepts_partners, [True, False, False])


def test_boundary_between_accept_and_refuse(make_scenario, make_policy, make_state):
    # Binary-exact numbers so that the tie is exact.
    scenario, policy = _policy(
        make_scenario, make_policy, partner_detection=0.5, company_fine=75_000.0
    )
    # commission = 0.75 * 0.5 * 100,000 = 37,500; exposure 1 - 0.5^1 = 0.5
    # expected loss = 0.125 * 0.5 * (75,000 + 6 * 37,500) = 0.0625 * 300,000 = 18,750
    # company 0: 0.5 * 37,500 = 18,750 = loss -> accepts (>=); company 1: 0.49 -> 18,375 refuses
    state = make_state([1.0], boldness=(0.5, 0.49), perceived_inspection=0.125)
    decide_partners(state.companies, 0.5, np.zeros(2), policy, scenario)
    np.testing.assert_array_equal(state.companies.accepts_partners, [True, False])


def test_trade_level_scales_commission(make_scenario, make_policy, make_state):
    scenario = make_scenario()
    policy = make_policy(
        scenario,
        border={"trade_level": 0.2},
        enforcement=dict(partner_detection=0.3, company_fine=50_000.0, suspension_months=6),
    )
    # commission = 0.75 * 0.4 * 100,000 * 0.2 = 6,000; loss = 0.1 * 0.3 * (50,000 + 36,000) = 2,580
    # boldness 0.5 -> 3,000 >= 2,580 accepts; boldness 0.4 -> 2,400 < 2,580 refuses
    state = make_state([1.0], boldness=(0.5, 0.4), perceived_inspection=0.1)
    decide_partners(state.companies, 0.4, np.zeros(2), policy, scenario)
    np.testing.assert_array_equal(state.companies.accepts_partners, [True, False])


def test_no_margin_means_no_partners(make_scenario, make_policy, make_state):
    scenario, policy = _policy(make_scenario, make_policy)
    state = make_state([1.0], boldness=100.0, perceived_inspection=0.0)
    decide_partners(state.companies, -0.2, np.zeros(2), policy, scenario)
    np.testing.assert_array_equal(state.companies.accepts_partners, [False, False])
    decide_partners(state.companies, 0.1, np.zeros(2), policy, scenario)
    np.testing.assert_array_equal(state.companies.accepts_partners, [True, True])


def test_open_member_slots(make_scenario, make_policy, make_state):
    scenario = make_scenario()
    policy = make_policy(scenario, state={"member_slots_level": 1.5})
    state = make_state(
        [1.0], quota=(1.0, 1.0, 1.0, 1.0), member_slots=(10, 5, 3, 4), suspended_left=(0, 0, 1, 0)
    )
    # capacity floor(slots * 1.5) = [15, 7, 4, 6]; minus members [3, 9, 0, 6]; suspended -> 0
    slots = open_member_slots(state.companies, np.array([3, 9, 0, 6]), policy)
    np.testing.assert_array_equal(slots, [12, 0, 0, 0])
