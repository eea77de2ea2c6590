"""The monthly loop: its observer sees every process in order and changes nothing."""

from __future__ import annotations

import pytest

from wakusim.core.engine import PROCESSES, run
from wakusim.scenarios.loader import load_scenario


@pytest.fixture(scope="module")
def scenario():
    return load_scenario("history", {"population.size": 400, "warmup_months": 2, "end": "2019-03"})


def test_after_process_sees_set_up_then_each_process_of_each_month(scenario):
    seen: list[str] = []
    run(scenario, rng=3, after_process=seen.append)
    months = scenario.warmup_months + scenario.n_months
    assert seen == ["set-up", *PROCESSES * months]
    assert len(PROCESSES) == 9 and PROCESSES[0] == "1 policy" and PROCESSES[-1] == "  records"


def test_an_observer_does_not_change_the_run(scenario):
    watched = run(scenario, rng=3, after_process=lambda name: None).records
    assert watched == run(scenario, rng=3).records
