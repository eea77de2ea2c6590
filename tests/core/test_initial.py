"""The initial state's exponentials are the C library's (the same on any processor)."""

from __future__ import annotations

import math

import numpy as np

from wakusim.core.initial import initial_state
from wakusim.core.policy import Policy


def test_lognormal_attributes_use_the_c_library(make_scenario):
    scenario = make_scenario({"population.size": 5000})
    policy = Policy(scenario.border, scenario.enforcement, scenario.state)
    state = initial_state(scenario, policy, np.random.default_rng(11))
    replay = np.random.default_rng(11)  # the first draws: wealth, risk aversion, org aversion
    pop, pref = scenario.population, scenario.preferences
    ra, oa = pref.risk_aversion, pref.org_aversion
    wealth = [
        pop.wealth.median * math.exp(pop.wealth.sigma * z) for z in replay.standard_normal(5000)
    ]
    risk = [
        min(max(ra.median * math.exp(ra.sigma * z), ra.min), ra.max)
        for z in replay.standard_normal(5000)
    ]
    org = [oa.median * math.exp(oa.sigma * z) for z in replay.standard_normal(5000)]
    np.testing.assert_array_equal(state.population.wealth, wealth)
    np.testing.assert_array_equal(state.population.risk_aversion, risk)
    np.testing.assert_array_equal(state.population.org_aversion, org)
