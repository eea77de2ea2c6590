"""Enforcement with its compiled kernel equals the plain numpy formulation, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest
from test_trade_kernel import ALL_MODES, assert_same, numpy_trade, random_state

from wakusim.core.processes.enforcement import EnforcementOutcome, enforce
from wakusim.core.state import MEMBER, PARTNER, SMUGGLER


def numpy_enforce(state, outcome, policy, rng) -> EnforcementOutcome:
    """The numpy formulation of the enforcement step (masks, np.select, bincount)."""
    pop, comp = state.population, state.companies
    e = policy.enforcement
    mode = outcome.mode
    draw = rng.random(pop.size)
    inspected = comp.active & (rng.random(comp.size) < e.inspection_rate)
    smuggler = mode == SMUGGLER
    partner = mode == PARTNER
    member = mode == MEMBER
    company = np.where(partner | member, pop.company, 0)
    caught = np.zeros(pop.size, dtype=bool)
    caught[smuggler] = draw[smuggler] < e.smuggling_detection
    caught[partner] = inspected[company[partner]] & (draw[partner] < e.partner_detection)
    caught[member] = draw[member] < e.member_risk
    confiscated = np.where(caught, outcome.deployed, 0.0)
    fine = np.select([smuggler, partner], [e.smuggling_fine, e.partner_fine], e.member_fine)
    fined = np.where(caught, np.minimum(fine, np.maximum(pop.wealth - confiscated, 0.0)), 0.0)
    months = np.select(
        [smuggler, partner], [e.smuggling_detention, e.partner_detention], e.member_detention
    )
    detention = np.where(caught, months, 0).astype(np.int16)
    exposed_partners = np.bincount(company[partner & caught], minlength=comp.size)
    company_caught = inspected & (exposed_partners > 0)
    company_fined = np.where(company_caught, np.minimum(e.company_fine, comp.funds), 0.0)
    return EnforcementOutcome.from_individuals(
        caught=caught,
        confiscated=confiscated,
        fined=fined,
        detention=detention,
        inspected=inspected,
        company_caught=company_caught,
        company_fined=company_fined,
    )


RISKS = [
    {},  # the scenario's
    {"smuggling_detection": 0.5, "partner_detection": 0.5, "member_risk": 0.3},
    {"smuggling_detection": 1.0, "partner_detection": 1.0, "member_risk": 1.0},
    {"smuggling_detection": 0.0, "partner_detection": 0.0, "member_risk": 0.0},
]


def _policy(make_policy, scenario, risks, rng):
    """Random punishments (fines that wealth does or does not cover, detention or none)."""
    return make_policy(
        scenario,
        enforcement={
            "inspection_rate": float(rng.choice([0.0, 0.3, 1.0])),
            "smuggling_fine": float(rng.uniform(0, 1e5)),
            "partner_fine": float(rng.uniform(0, 1e5)),
            "member_fine": float(rng.choice([0.0, 3e4])),
            "smuggling_detention": int(rng.integers(0, 40)),
            "partner_detention": int(rng.integers(0, 40)),
            "member_detention": int(rng.choice([0, 3])),
            "company_fine": float(rng.uniform(0, 1e5)),
            **risks,
        },
    )


CASES = [
    (0, 3, ALL_MODES),
    (1, 1, (0.0, 0.0, 1.0, 0.0, 0.0)),
    (9, 2, ALL_MODES),
    (2_000, 6, ALL_MODES),
    (2_000, 6, (0.9, 0.0, 0.1, 0.0, 0.0)),  # partners only
    (2_000, 6, (0.8, 0.0, 0.0, 0.2, 0.0)),  # members only
    (2_000, 6, (1.0, 0.0, 0.0, 0.0, 0.0)),  # nobody trades
    (70_001, 30, ALL_MODES),  # more than a block of rows, not a multiple of one
]


@pytest.mark.parametrize("risks", RISKS)
@pytest.mark.parametrize(("n", "m", "shares"), CASES)
def test_enforce_equals_numpy(make_scenario, make_policy, make_state, n, m, shares, risks):
    scenario = make_scenario()
    rng = np.random.default_rng(n + 7 * m)
    policy = _policy(make_policy, scenario, risks, rng)
    state = random_state(make_state, scenario, rng, n, m, shares)
    outcome = numpy_trade(state, policy, scenario)
    got = enforce(state, outcome, policy, np.random.default_rng(11))
    want = numpy_enforce(state, outcome, policy, np.random.default_rng(11))
    assert_same(got, want)


def test_enforce_draws_in_documented_order(make_scenario, make_policy, make_state):
    scenario = make_scenario()
    rng = np.random.default_rng(5)
    policy = _policy(make_policy, scenario, RISKS[1], rng)
    state = random_state(make_state, scenario, rng, 500, 4)
    outcome = numpy_trade(state, policy, scenario)
    generator = np.random.default_rng(21)
    enforce(state, outcome, policy, generator)
    reference = np.random.default_rng(21)
    reference.random(500)
    reference.random(4)
    assert generator.random() == reference.random()
