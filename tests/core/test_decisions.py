"""Decision model: CRRA certainty equivalents, mode values, logit choice (hand-computed)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from wakusim.core.decisions import (
    capital_at_stake,
    certainty_equivalent,
    choice_probabilities,
    draw_choices,
    margin_shares,
    mode_values,
    organisational_cost,
)
from wakusim.core.state import MEMBER, OUTSIDE, PARTNER, SMUGGLER

# --- certainty_equivalent -------------------------------------------------------------------


def test_ce_log_utility_is_geometric_mean():
    # gamma = 1: CE = exp(0.5 ln 100 + 0.5 ln 25) = sqrt(100 * 25) = 50
    ce = certainty_equivalent(np.array([100.0]), np.array([25.0]), np.array([0.5]), np.array([1.0]))
    assert ce[0] == pytest.approx(50.0, rel=1e-12)


def test_ce_gamma_two_is_harmonic_mean():
    # gamma = 2: u = -1/x; CE = 1 / (0.5/100 + 0.5/25) = 1 / 0.025 = 40
    ce = certainty_equivalent(np.array([100.0]), np.array([25.0]), np.array([0.5]), np.array([2.0]))
    assert ce[0] == pytest.approx(40.0, rel=1e-12)


def test_ce_gamma_zero_is_expected_value():
    # risk neutral: CE = 0.75 * 100 + 0.25 * 20 = 80
    ce = certainty_equivalent(
        np.array([100.0]), np.array([20.0]), np.array([0.25]), np.array([0.0])
    )
    assert ce[0] == pytest.approx(80.0, rel=1e-12)


def test_ce_gamma_three():
    # gamma = 3: u = -x^-2 / 2; E[x^-2] = 0.5 / 4 + 0.5 / 1 = 0.625; CE = 0.625^-0.5 = sqrt(1.6)
    ce = certainty_equivalent(np.array([2.0]), np.array([1.0]), np.array([0.5]), np.array([3.0]))
    assert ce[0] == pytest.approx(math.sqrt(1.6), rel=1e-12)


@pytest.mark.parametrize("gamma", [0.3, 1.0, 2.0, 8.0])
def test_ce_p_zero_gives_x_ok_and_p_one_gives_x_bad(gamma):
    x_ok, x_bad = np.array([1234.0, 50.0]), np.array([10.0, 49.0])
    g = np.full(2, gamma)
    np.testing.assert_allclose(certainty_equivalent(x_ok, x_bad, np.zeros(2), g), x_ok, rtol=1e-12)
    np.testing.assert_allclose(certainty_equivalent(x_ok, x_bad, np.ones(2), g), x_bad, rtol=1e-12)


def test_ce_mixed_gammas_in_one_call():
    # Element-wise: the log branch for gamma = 1 must not leak into the gamma = 2 element.
    x_ok = np.array([100.0, 100.0])
    x_bad = np.array([25.0, 25.0])
    ce = certainty_equivalent(x_ok, x_bad, np.array([0.5, 0.5]), np.array([1.0, 2.0]))
    np.testing.assert_allclose(ce, [50.0, 40.0], rtol=1e-12)


def test_ce_large_wealth_high_gamma_is_finite():
    # gamma = 8 on 1e12 vs 5e11: CE = 1e12 * (0.5 * 1 + 0.5 * 0.5^-7)^(-1/7) = 1e12 * 64.5^(-1/7)
    ce = certainty_equivalent(np.array([1e12]), np.array([5e11]), np.array([0.5]), np.array([8.0]))
    assert ce[0] == pytest.approx(1e12 * 64.5 ** (-1.0 / 7.0), rel=1e-10)


def test_ce_falls_with_risk_aversion_and_with_p():
    x_ok, x_bad = np.full(3, 100.0), np.full(3, 25.0)
    by_gamma = certainty_equivalent(x_ok, x_bad, np.full(3, 0.3), np.array([0.5, 1.0, 4.0]))
    assert by_gamma[0] > by_gamma[1] > by_gamma[2]
    by_p = certainty_equivalent(x_ok, x_bad, np.array([0.1, 0.2, 0.3]), np.full(3, 2.0))
    assert by_p[0] > by_p[1] > by_p[2]


# --- margins, stakes, organisational cost --------------------------------------------------


def test_margin_shares_history_2019(make_scenario, make_policy):
    scenario = make_scenario()
    shares = margin_shares(make_policy(scenario), scenario)
    # outside 0; smuggler 1 - 0.3; partner 1 - 0.75; member (1 - 0.75)(1 - 0.15)(1 - 0.3) = 0.14875
    np.testing.assert_allclose(shares, [0.0, 0.7, 0.25, 0.14875], rtol=1e-12)


def test_capital_at_stake(make_scenario):
    scenario = make_scenario()  # invest_share 0.5, smuggling_capacity 10,000
    stake = capital_at_stake(np.array([10_000.0, 40_000.0]), scenario)
    np.testing.assert_allclose(stake[:, OUTSIDE], [0.0, 0.0])
    np.testing.assert_allclose(stake[:, SMUGGLER], [5_000.0, 10_000.0])  # min(0.5 W, 10,000)
    np.testing.assert_allclose(stake[:, PARTNER], [5_000.0, 20_000.0])
    np.testing.assert_allclose(stake[:, MEMBER], [5_000.0, 20_000.0])


def test_organisational_cost_fee_or_burden(make_scenario, make_policy):
    scenario = make_scenario()
    policy = make_policy(scenario)  # burden member 1.0, base 0.5; fee 3000/yr; limit 5 % of W
    wealth = np.array([100_000.0, 50_000.0, 100_000.0, 60_000.0])
    org = np.array([1_000.0, 1_000.0, 300.0, 1_000.0])
    member, nonmember, pays = organisational_cost(wealth, org, policy)
    np.testing.assert_allclose(member, [1_000.0, 1_000.0, 300.0, 1_000.0])
    # 0: affordable (3000 <= 5000) and 250/month < base 500 -> pays 250
    # 1: not affordable (3000 > 2500) -> bears base 500
    # 2: affordable but base 150 < 250 -> bears 150
    # 3: at the limit (3000 <= 0.05 * 60,000) -> pays 250
    np.testing.assert_array_equal(pays, [True, False, False, True])
    np.testing.assert_allclose(nonmember, [250.0, 500.0, 150.0, 250.0])


# --- mode_values -----------------------------------------------------------------------------


def test_mode_values_by_hand(make_scenario, make_policy):
    scenario = make_scenario()
    policy = make_policy(scenario)
    w = 40_000.0
    values = mode_values(
        np.array([w]),
        np.array([1.0]),  # log utility
        np.array([300.0]),
        np.array([0.05]),  # perceived smuggler risk
        np.array([0.006]),  # perceived partner risk
        0.6,  # expected margin
        policy,
        scenario,
    )[0]
    # Stakes: smuggler min(20,000, 10,000) = 10,000; partner = member = 20,000.
    # Gains K * 0.25 * 0.6 * share: smuggler 10,000*0.15*0.7 = 1050; partner 20,000*0.15*0.25 = 750;
    #   member 20,000*0.15*0.14875 = 446.25.
    # Safe income y0 + 0.005 (W - K): outside 600, smuggler 550, partner/member 500.
    # Org cost: non-member 150 (fee not affordable at W = 40,000), member 300.
    x_ok = {OUTSIDE: 40_450.0, SMUGGLER: 41_450.0, PARTNER: 41_100.0, MEMBER: 40_646.25}
    # Losses K + fine + months (400 + 1000): smuggler 10,000 + 2000 + 3*1400 = 16,200;
    #   partner 20,000 + 5000 + 3*1400 = 29,200; member 20,000 + 2000 + 0 = 22,000.
    # x_bad = W + safe - loss - org: 24,200; 11,150; 18,200 (all above the floor 2000).
    x_bad = {SMUGGLER: 24_200.0, PARTNER: 11_150.0, MEMBER: 18_200.0}
    p = {SMUGGLER: 0.05, PARTNER: 0.006, MEMBER: 0.001}
    assert values[OUTSIDE] == pytest.approx(450.0 / w, rel=1e-12)
    for j in (SMUGGLER, PARTNER, MEMBER):
        ce = math.exp((1 - p[j]) * math.log(x_ok[j]) + p[j] * math.log(x_bad[j]))
        assert values[j] == pytest.approx((ce - w) / w, rel=1e-9), j


def test_mode_values_ruin_floor(make_scenario, make_policy):
    scenario = make_scenario()
    policy = make_policy(scenario)
    # W = 1000, a partner surely caught (p = 1):
    # x_bad = 1000 + 400 + 2.5 - (500 + 5000 + 4200) - 150 is negative, so the floor
    # 0.05 * 1000 = 50 applies: value (50 - 1000) / 1000 = -0.95.
    values = mode_values(
        np.array([1_000.0]),
        np.array([2.0]),
        np.array([300.0]),
        np.array([1.0]),
        np.array([1.0]),
        0.6,
        policy,
        scenario,
    )[0]
    assert values[PARTNER] == pytest.approx(-0.95, rel=1e-12)
    assert values[SMUGGLER] == pytest.approx(-0.95, rel=1e-12)


def test_mode_values_fall_with_perceived_risk(make_scenario, make_policy):
    scenario = make_scenario()
    policy = make_policy(scenario)
    risks = np.array([0.0, 0.05, 0.2])
    values = mode_values(
        np.full(3, 50_000.0),
        np.full(3, 1.5),
        np.full(3, 300.0),
        risks,
        risks,
        0.6,
        policy,
        scenario,
    )
    assert values[0, SMUGGLER] > values[1, SMUGGLER] > values[2, SMUGGLER]
    assert values[0, PARTNER] > values[1, PARTNER] > values[2, PARTNER]
    np.testing.assert_allclose(values[:, OUTSIDE], values[0, OUTSIDE])
    np.testing.assert_allclose(values[:, MEMBER], values[0, MEMBER])


# --- logit choice ----------------------------------------------------------------------------


def test_choice_probabilities_all_feasible():
    # z = values / noise = [0, 1, 2, 0]; P = e^z / (2 + e + e^2)
    values = np.array([[0.0, 0.01, 0.02, 0.0]])
    probs = choice_probabilities(values, np.ones((1, 4), dtype=bool), 0.01)
    denom = 2.0 + math.e + math.e**2
    np.testing.assert_allclose(probs[0], [1 / denom, math.e / denom, math.e**2 / denom, 1 / denom])


def test_choice_probabilities_infeasible_get_zero():
    # Only outside (z = 0) and partner (z = 2) feasible: P = [1, 0, e^2, 0] / (1 + e^2)
    values = np.array([[0.0, 0.05, 0.02, 0.03], [0.0, 0.05, 0.02, 0.03]])
    feasible = np.array([[True, False, True, False], [True, False, False, False]])
    probs = choice_probabilities(values, feasible, 0.01)
    d = 1.0 + math.e**2
    np.testing.assert_allclose(probs[0], [1 / d, 0.0, math.e**2 / d, 0.0])
    np.testing.assert_array_equal(probs[1], [1.0, 0.0, 0.0, 0.0])


def test_choice_probabilities_no_overflow():
    # Values / noise of 1e5 would overflow exp without the max shift.
    values = np.array([[0.0, 100.0, 100.0, -100.0]])
    probs = choice_probabilities(values, np.ones((1, 4), dtype=bool), 0.001)
    np.testing.assert_allclose(probs[0], [0.0, 0.5, 0.5, 0.0], atol=1e-300)


def test_draw_choices_with_given_uniforms():
    # Binary-exact probabilities, cumulative [0.125, 0.375, 0.75, 1.0]:
    # u in [0, .125) -> 0, [.125, .375) -> 1, [.375, .75) -> 2, [.75, 1) -> 3
    probs = np.tile([0.125, 0.25, 0.375, 0.25], (7, 1))
    u = np.array([0.0, 0.124, 0.125, 0.374, 0.5, 0.75, 0.9999])
    np.testing.assert_array_equal(draw_choices(probs, u), [0, 0, 1, 1, 2, 3, 3])


def test_draw_choices_never_picks_zero_probability_mode():
    # cumulative [0.5, 0.5, 1, 1]: u = 0.5 skips the empty smuggler column to partner.
    probs = np.tile([0.5, 0.0, 0.5, 0.0], (4, 1))
    u = np.array([0.2, 0.5, 0.7, 0.9999999])
    np.testing.assert_array_equal(draw_choices(probs, u), [0, 2, 2, 2])


def test_draw_choices_frequencies_match_probabilities():
    rng = np.random.default_rng(7)
    p = np.array([0.1, 0.2, 0.3, 0.4])
    choice = draw_choices(np.tile(p, (20_000, 1)), rng.random(20_000))
    freq = np.bincount(choice, minlength=4) / 20_000
    np.testing.assert_allclose(freq, p, atol=0.015)
