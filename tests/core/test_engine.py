"""The monthly loop: its observer sees every process in order and changes nothing."""

from __future__ import annotations

import numpy as np
import pytest

from wakusim.core.engine import PROCESSES, run, step
from wakusim.core.initial import initial_state
from wakusim.core.policy import policy_for_month, policy_from_values
from wakusim.scenarios.calendar import month_label
from wakusim.scenarios.loader import load_scenario
from wakusim.scenarios.timeline import compile_timeline


@pytest.fixture(scope="module")
def scenario():
    return load_scenario("history", {"population.size": 400, "warmup_months": 2, "end": "2019-03"})


def test_after_process_sees_set_up_then_each_process_of_each_month(scenario):
    seen: list[str] = []
    run(scenario, rng=3, after_process=seen.append)
    steps = PROCESSES[:-1]  # the warm-up's months keep no record, so none is computed
    assert seen == ["set-up", *steps * scenario.warmup_months, *PROCESSES * scenario.n_months]
    assert len(PROCESSES) == 9 and PROCESSES[0] == "1 policy" and PROCESSES[-1] == "  records"


def test_the_warm_up_without_records_leaves_the_run_as_it_was(scenario):
    """The warm-up used to compute each month's record and drop it: the record changes nothing."""
    schedule, gen = compile_timeline(scenario), np.random.default_rng(3)
    first = policy_for_month(schedule, 0)
    state = initial_state(scenario, first, gen)
    for _ in range(scenario.warmup_months):
        step(state, first, [], scenario, gen)  # with the record, as the warm-up did
    later = run(scenario, rng=3, keep_state=True)
    for t in range(scenario.n_months):
        policy, campaigns = policy_from_values(schedule.at(t)), schedule.campaigns.get(t, [])
        mine = step(state, policy, campaigns, scenario, gen)
        theirs = later.records[t]
        assert theirs["month"] == month_label(schedule.start_month + t)
        assert all(mine[k] == theirs[k] for k in mine), t
    assert later.final_state is not None
    assert np.array_equal(state.population.wealth, later.final_state.population.wealth)
    assert np.array_equal(state.population.mode, later.final_state.population.mode)


def test_an_observer_does_not_change_the_run(scenario):
    watched = run(scenario, rng=3, after_process=lambda name: None).records
    assert watched == run(scenario, rng=3).records
