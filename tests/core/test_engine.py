"""The monthly loop: its observer sees every process in order and changes nothing."""

from __future__ import annotations

import threading

import numba
import pandas as pd
import pytest

from wakusim.core import records
from wakusim.core.engine import PROCESSES, run
from wakusim.scenarios.loader import load_scenario


@pytest.fixture(scope="module")
def scenario():
    return load_scenario("history", {"population.size": 400, "warmup_months": 2, "end": "2019-03"})


def test_after_process_sees_set_up_then_each_process_of_each_month(scenario):
    seen: list[str] = []
    run(scenario, rng=3, after_process=seen.append)
    assert len(PROCESSES) == 9 and PROCESSES[0] == "1 policy" and PROCESSES[-1] == "  records"
    steps, record = PROCESSES[:8], PROCESSES[8]
    # The warm-up keeps no records; a month's record is finished during the next month,
    # before its learning (step 7), and the last one at the end.
    later = [*steps[:6], record, *steps[6:]]
    months = [*steps * scenario.warmup_months, *steps, *later * (scenario.n_months - 1)]
    assert seen == ["set-up", *months, record]


def test_without_learning_the_record_is_finished_before_the_next_policy_step(scenario):
    quiet = scenario.model_copy(
        update={"learning": scenario.learning.model_copy(update={"enabled": False})}
    )
    seen: list[str] = []
    run(quiet, rng=3, after_process=seen.append)
    steps, record = PROCESSES[:8], PROCESSES[8]
    months = [*steps * quiet.warmup_months, *steps, *[record, *steps] * (quiet.n_months - 1)]
    assert seen == ["set-up", *months, record]


def test_an_observer_does_not_change_the_run(scenario):
    watched = run(scenario, rng=3, after_process=lambda name: None).records
    assert watched == run(scenario, rng=3).records


def _frame(records):
    return pd.DataFrame(records)


def test_a_record_computed_beside_the_next_month_is_the_months_own(scenario, monkeypatch):
    """The record's thread reads the month's end, however late it runs.

    Each record is held back until the next month's enforcement (step 6) has run, so its
    thread runs after that month's decisions and trade have changed modes and companies;
    the records must still be those computed at once.
    """
    if numba.get_num_threads() < 2:
        pytest.skip("on one thread the record is computed at once")
    at_once = run(scenario, rng=5).records
    monkeypatch.setattr(records, "BACKGROUND_MIN", 1)
    plain = records.record_of
    released = [threading.Event() for _ in range(scenario.n_months)]
    released[-1].set()  # the last month has no next month
    started: list[str] = []
    enforced = [-scenario.warmup_months]  # the warm-up keeps no records

    def held_back(*args):
        month = len(started)
        started.append(threading.current_thread().name)
        assert released[month].wait(timeout=30)  # the next month's step 6
        return plain(*args)

    def observer(name):
        if name == "6 enforcement":
            if enforced[0] >= 1:
                released[enforced[0] - 1].set()
            enforced[0] += 1

    monkeypatch.setattr(records, "record_of", held_back)
    later = run(scenario, rng=5, after_process=observer)
    assert started == ["wakusim-record"] * scenario.n_months
    assert _frame(later.records).equals(_frame(at_once))


def test_without_learning_a_record_on_its_thread_is_the_months_own(scenario, monkeypatch):
    if numba.get_num_threads() < 2:
        pytest.skip("on one thread the record is computed at once")
    quiet = scenario.model_copy(
        update={"learning": scenario.learning.model_copy(update={"enabled": False})}
    )
    at_once = run(quiet, rng=5).records
    monkeypatch.setattr(records, "BACKGROUND_MIN", 1)
    assert _frame(run(quiet, rng=5).records).equals(_frame(at_once))


def test_a_record_that_fails_on_its_thread_fails_the_run(scenario, monkeypatch):
    if numba.get_num_threads() < 2:
        pytest.skip("on one thread the record is computed at once")
    monkeypatch.setattr(records, "BACKGROUND_MIN", 1)
    plain, calls = records.record_of, []

    def fails_second(*args):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("the record failed")
        return plain(*args)

    monkeypatch.setattr(records, "record_of", fails_second)
    with pytest.raises(RuntimeError, match="the record failed"):
        run(scenario, rng=5)
    assert not [t for t in threading.enumerate() if t.name == "wakusim-record"]
