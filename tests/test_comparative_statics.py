"""Becker / Allingham-Sandmo comparative statics as property tests.

Raising a detection probability or a punishment never raises the share choosing
that illicit mode, other things equal: checked on the decision model for any
valid individual and policy (hypothesis), and on whole simulations.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import wakusim
from wakusim.core.decisions import choice_probabilities, mode_values
from wakusim.core.policy import Policy, policy_for_month
from wakusim.core.state import MEMBER, PARTNER, SMUGGLER
from wakusim.scenarios.timeline import compile_timeline

SCENARIO = wakusim.load_scenario("history")
BASE = policy_for_month(compile_timeline(SCENARIO), 0)

people = st.fixed_dictionaries(
    {
        "wealth": st.floats(100.0, 5e6),
        "gamma": st.floats(0.2, 8.0),
        "aversion": st.floats(0.0, 5000.0),
        "margin": st.floats(0.0, 3.0),
    }
)


def _with(policy: Policy, **changes) -> Policy:
    enforcement = policy.enforcement.model_copy(update=changes)
    return Policy(border=policy.border, enforcement=enforcement, state=policy.state)


def _probabilities(person, policy: Policy) -> np.ndarray:
    values = mode_values(
        np.array([person["wealth"]]),
        np.array([person["gamma"]]),
        np.array([person["aversion"]]),
        np.array([policy.smuggler_risk]),  # learning off: beliefs are the true risks
        np.array([policy.partner_risk]),
        person["margin"],
        policy,
        SCENARIO,
    )
    feasible = np.ones((1, 4), dtype=bool)
    return choice_probabilities(values, feasible, SCENARIO.preferences.choice_noise)[0]


SMUGGLING_LEVERS = {
    "smuggling_detection": st.floats(0.0, 1.0),
    "smuggling_fine": st.floats(0.0, 1e6),
    "smuggling_detention": st.integers(0, 240),
}
PARTNER_LEVERS = {
    "inspection_rate": st.floats(0.0, 1.0),
    "partner_detection": st.floats(0.0, 1.0),
    "partner_fine": st.floats(0.0, 1e6),
    "partner_detention": st.integers(0, 240),
}


@pytest.mark.parametrize("lever", sorted(SMUGGLING_LEVERS))
@settings(max_examples=150, deadline=None)
@given(data=st.data(), person=people)
def test_more_smuggling_enforcement_never_raises_smuggling(lever, data, person):
    low, high = sorted(data.draw(st.lists(SMUGGLING_LEVERS[lever], min_size=2, max_size=2)))
    p_low = _probabilities(person, _with(BASE, **{lever: low}))[SMUGGLER]
    p_high = _probabilities(person, _with(BASE, **{lever: high}))[SMUGGLER]
    assert p_high <= p_low + 1e-12


@pytest.mark.parametrize("lever", sorted(PARTNER_LEVERS))
@settings(max_examples=150, deadline=None)
@given(data=st.data(), person=people)
def test_more_partner_enforcement_never_raises_partnering(lever, data, person):
    low, high = sorted(data.draw(st.lists(PARTNER_LEVERS[lever], min_size=2, max_size=2)))
    p_low = _probabilities(person, _with(BASE, **{lever: low}))[PARTNER]
    p_high = _probabilities(person, _with(BASE, **{lever: high}))[PARTNER]
    assert p_high <= p_low + 1e-12


@settings(max_examples=150, deadline=None)
@given(person=people, rates=st.lists(st.floats(0.0, 1.0), min_size=2, max_size=2))
def test_higher_surrender_never_raises_membership(person, rates):
    low, high = sorted(rates)

    def member(rate: float) -> float:
        state = BASE.state.model_copy(update={"surrender_rate": rate})
        return _probabilities(person, Policy(BASE.border, BASE.enforcement, state))[MEMBER]

    assert member(high) <= member(low) + 1e-12


def _mean_share(overrides: dict, column: str, seeds=(1, 2, 3)) -> float:
    base = {"population.size": 4000, "warmup_months": 12, "end": "2019-12", "timeline": []}
    sc = wakusim.load_scenario("history", {**base, **overrides})
    return float(np.mean([wakusim.simulate(sc, rng=s).timeseries[column].mean() for s in seeds]))


@pytest.mark.parametrize(
    ("column", "lever", "low", "high"),
    [
        ("share_smuggler", "enforcement.smuggling_detection", 0.03, 0.15),
        ("share_smuggler", "enforcement.smuggling_detention", 1, 24),
        ("share_partner", "enforcement.inspection_rate", 0.01, 0.2),
        ("share_partner", "enforcement.partner_fine", 1000, 50000),
    ],
)
def test_simulated_share_falls_with_enforcement(column, lever, low, high):
    # Same seeds (common random numbers), learning on, a year of the 2019 policy.
    assert _mean_share({lever: high}, column) < _mean_share({lever: low}, column)
