"""Enforcement: who is caught, fines capped by wealth and funds, companies caught (by hand)."""

from __future__ import annotations

import numpy as np
import pytest

from wakusim.core.processes.enforcement import EnforcementOutcome, enforce
from wakusim.core.processes.trade import TradeOutcome
from wakusim.core.state import DETAINED, MEMBER, NO_COMPANY, OUTSIDE, PARTNER, SMUGGLER

#            0         1         2        3        4        5       6        7
MODES = [SMUGGLER, SMUGGLER, PARTNER, PARTNER, PARTNER, MEMBER, OUTSIDE, DETAINED]
COMPANY = [NO_COMPANY, NO_COMPANY, 0, 0, 1, 1, NO_COMPANY, NO_COMPANY]
WEALTH = [40_000.0, 8_000.0, 30_000.0, 100_000.0, 60_000.0, 80_000.0, 1e6, 1e6]
DEPLOYED = [10_000.0, 4_000.0, 15_000.0, 50_000.0, 30_000.0, 40_000.0, 0.0, 0.0]

PUNISHMENT = dict(
    smuggling_fine=10_000.0,
    smuggling_detention=36,
    partner_fine=20_000.0,
    partner_detention=24,
    member_fine=2_000.0,
    member_detention=0,
    company_fine=100_000.0,
)


def _outcome(mode, company, deployed, m=2):
    n = len(mode)
    attached = sum(1 for k in mode if k in (PARTNER, MEMBER))
    return TradeOutcome(
        mode=np.asarray(mode, dtype=np.int8),
        company=np.asarray(company, dtype=np.int32),
        deployed=np.asarray(deployed, dtype=np.float64),
        profit=np.zeros(n),
        commission=np.zeros(attached),  # (partners' and members')
        surrender=np.zeros(attached),
        ration=np.ones(m),
        company_own_profit=np.zeros(m),
        volume_smuggling=0.0,
        volume_partner=0.0,
        volume_member=0.0,
        volume_own=0.0,
        price=1.5,
        margin=0.5,
    )


def _setup(make_scenario, make_policy, make_state, risks, suspended=(0, 0), modes=MODES):
    scenario = make_scenario()
    policy = make_policy(scenario, enforcement={**PUNISHMENT, **risks})
    state = make_state(
        WEALTH, mode=modes, company=COMPANY, funds=(30_000.0, 500_000.0), suspended_left=suspended
    )
    return state, _outcome(modes, COMPANY, DEPLOYED), policy


ALL_ONE = dict(smuggling_detection=1.0, inspection_rate=1.0, partner_detection=1.0, member_risk=1.0)
ALL_ZERO = dict(
    smuggling_detection=0.0, inspection_rate=0.0, partner_detection=0.0, member_risk=0.0
)


def test_certain_detection_catches_every_trader(make_scenario, make_policy, make_state):
    state, outcome, policy = _setup(make_scenario, make_policy, make_state, ALL_ONE)
    out = enforce(state, outcome, policy, np.random.default_rng(0))
    np.testing.assert_array_equal(out.caught, [True] * 6 + [False, False])
    np.testing.assert_allclose(out.by_individual(out.confiscated), DEPLOYED[:6] + [0.0, 0.0])
    # fine = min(fine, W - confiscated):
    #   0: min(10,000, 30,000); 1: min(10,000, 4,000); 2: min(20,000, 15,000);
    #   3: min(20,000, 50,000); 4: min(20,000, 30,000); 5: min(2,000, 40,000)
    np.testing.assert_allclose(
        out.by_individual(out.fined),
        [10_000.0, 4_000.0, 15_000.0, 20_000.0, 20_000.0, 2_000.0, 0.0, 0.0],
    )
    np.testing.assert_array_equal(out.by_individual(out.detention), [36, 36, 24, 24, 24, 0, 0, 0])
    np.testing.assert_array_equal(out.caught_rows, np.arange(6))
    np.testing.assert_array_equal(out.inspected, [True, True])
    np.testing.assert_array_equal(out.company_caught, [True, True])
    # company fine capped by funds: min(100,000, 30,000), min(100,000, 500,000)
    np.testing.assert_allclose(out.company_fined, [30_000.0, 100_000.0])


def test_zero_risks_catch_nobody(make_scenario, make_policy, make_state):
    state, outcome, policy = _setup(make_scenario, make_policy, make_state, ALL_ZERO)
    out = enforce(state, outcome, policy, np.random.default_rng(0))
    assert not out.caught.any()
    assert not out.inspected.any()
    assert not out.company_caught.any()
    assert out.caught_rows.size == 0
    assert out.confiscated.size == out.fined.size == out.detention.size == 0
    assert out.company_fined.sum() == 0.0


def test_smuggling_detection_one_catches_only_smugglers(make_scenario, make_policy, make_state):
    risks = {**ALL_ZERO, "smuggling_detection": 1.0}
    state, outcome, policy = _setup(make_scenario, make_policy, make_state, risks)
    out = enforce(state, outcome, policy, np.random.default_rng(0))
    np.testing.assert_array_equal(out.caught, [True, True] + [False] * 6)


def test_no_inspection_no_partner_caught(make_scenario, make_policy, make_state):
    risks = {**ALL_ONE, "inspection_rate": 0.0}
    state, outcome, policy = _setup(make_scenario, make_policy, make_state, risks)
    out = enforce(state, outcome, policy, np.random.default_rng(0))
    # smugglers and the member still caught; no partner, no company
    np.testing.assert_array_equal(out.caught, [True, True, False, False, False, True, False, False])
    assert not out.company_caught.any()
    assert out.company_fined.sum() == 0.0


def test_inspection_without_exposure_does_not_catch_company(make_scenario, make_policy, make_state):
    risks = {**ALL_ZERO, "inspection_rate": 1.0}
    state, outcome, policy = _setup(make_scenario, make_policy, make_state, risks)
    out = enforce(state, outcome, policy, np.random.default_rng(0))
    np.testing.assert_array_equal(out.inspected, [True, True])
    assert not out.caught.any()
    np.testing.assert_array_equal(out.company_caught, [False, False])


def test_company_with_only_members_not_caught(make_scenario, make_policy, make_state):
    modes = list(MODES)
    modes[4] = MEMBER  # company 1 now has members only (4 and 5), both caught by member risk
    state, outcome, policy = _setup(make_scenario, make_policy, make_state, ALL_ONE, modes=modes)
    out = enforce(state, outcome, policy, np.random.default_rng(0))
    assert out.caught[4] and out.caught[5]
    np.testing.assert_array_equal(out.company_caught, [True, False])
    np.testing.assert_allclose(out.company_fined, [30_000.0, 0.0])
    # member fine and detention: min(2,000, 30,000), 0 months
    assert out.by_individual(out.fined)[4] == pytest.approx(2_000.0)
    assert out.by_individual(out.detention)[4] == 0


def test_suspended_company_not_inspected(make_scenario, make_policy, make_state):
    risks = {**ALL_ONE, "member_risk": 0.0}
    state, outcome, policy = _setup(make_scenario, make_policy, make_state, risks, suspended=(0, 2))
    out = enforce(state, outcome, policy, np.random.default_rng(0))
    np.testing.assert_array_equal(out.inspected, [True, False])
    np.testing.assert_array_equal(out.caught[2:6], [True, True, False, False])
    np.testing.assert_array_equal(out.company_caught, [True, False])


def test_partners_caught_only_at_inspected_companies(make_scenario, make_policy, make_state):
    risks = {**ALL_ZERO, "inspection_rate": 0.5, "partner_detection": 0.5}
    state, outcome, policy = _setup(make_scenario, make_policy, make_state, risks)
    out = enforce(state, outcome, policy, np.random.default_rng(5))
    # Documented draw order: one uniform per individual, then one per company.
    # Seed 5: draws of partners 2, 3, 4 are >= .5, < .5, < .5; inspections [True, False].
    ref = np.random.default_rng(5)
    draw = ref.random(8)
    inspected = ref.random(2) < 0.5
    np.testing.assert_array_equal(inspected, [True, False])
    np.testing.assert_array_equal(draw[2:5] < 0.5, [False, True, True])
    np.testing.assert_array_equal(out.inspected, inspected)
    # partner 3 (inspected company, exposed) caught; 4 would be exposed, but company 1 was
    # not inspected
    np.testing.assert_array_equal(
        out.caught, [False, False, False, True, False, False, False, False]
    )
    np.testing.assert_array_equal(out.company_caught, [True, False])


def test_enforce_does_not_change_state(make_scenario, make_policy, make_state):
    state, outcome, policy = _setup(make_scenario, make_policy, make_state, ALL_ONE)
    enforce(state, outcome, policy, np.random.default_rng(0))
    np.testing.assert_array_equal(state.population.mode, MODES)
    np.testing.assert_array_equal(state.population.wealth, WEALTH)
    np.testing.assert_array_equal(state.companies.funds, [30_000.0, 500_000.0])
    np.testing.assert_array_equal(state.companies.suspended_left, [0, 0])


def test_losses_per_caught_spread_over_everyone():
    caught = np.array([False, True, False, True, True])
    outcome = EnforcementOutcome.from_individuals(
        caught=caught,
        confiscated=np.array([0.0, 5.0, 0.0, 7.0, 0.0]),
        fined=np.array([0.0, 1.0, 0.0, 2.0, 3.0]),
        detention=np.array([0, 6, 0, 0, 2]),
        inspected=np.array([True]),
        company_caught=np.array([False]),
        company_fined=np.array([0.0]),
    )
    np.testing.assert_array_equal(outcome.caught_rows, [1, 3, 4])
    np.testing.assert_array_equal(outcome.confiscated, [5.0, 7.0, 0.0])
    np.testing.assert_array_equal(outcome.fined, [1.0, 2.0, 3.0])
    assert outcome.detention.dtype == np.int16
    np.testing.assert_array_equal(outcome.by_individual(outcome.detention), [0, 6, 0, 0, 2])
    np.testing.assert_array_equal(outcome.by_individual(outcome.fined), [0.0, 1.0, 0.0, 2.0, 3.0])
