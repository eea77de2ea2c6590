"""Compiling the policy timeline: set, ramp, dates, ordering, markers, campaigns, bad values."""

from __future__ import annotations

import numpy as np
import pytest

from wakusim.core.policy import policy_for_month
from wakusim.errors import WakusimInputError
from wakusim.scenarios.loader import load_scenario
from wakusim.scenarios.schema import TIME_VARYING_SECTIONS
from wakusim.scenarios.timeline import check_event_value, compile_timeline, policy_fields

INSPECTION = "enforcement.inspection_rate"  # 0.02 in January 2019 (history)


def _scenario(timeline, start="2020-01", end="2020-12"):
    """History's initial policy, a calendar year, and only the events given."""
    return load_scenario(
        "history",
        {
            "population.size": 10,
            "start": start,
            "end": end,
            "warmup_months": 0,
            "timeline": timeline,
        },
    )


def _values(timeline, key=INSPECTION, **kwargs):
    return compile_timeline(_scenario(timeline, **kwargs)).values[key]


def _event(event_id, date, **fields):
    return {"id": event_id, "date": date, "label": event_id, **fields}


def test_no_events_keeps_initial_policy():
    schedule = compile_timeline(_scenario([]))
    assert set(schedule.values) == set(policy_fields())
    assert all(len(v) == 12 for v in schedule.values.values())
    np.testing.assert_allclose(schedule.values[INSPECTION], 0.02)
    assert schedule.values["border.smuggling_open"].dtype == bool
    assert schedule.markers == [] and schedule.campaigns == {}


def test_set_applies_from_its_month():
    values = _values([_event("a", "2020-03", set={INSPECTION: 0.5})])
    np.testing.assert_allclose(values, [0.02, 0.02] + [0.5] * 10)


def test_event_dated_after_the_first_applies_next_month():
    on_first = _values([_event("a", "2020-03-01", set={INSPECTION: 0.5})])
    mid_month = _values([_event("a", "2020-03-15", set={INSPECTION: 0.5})])
    np.testing.assert_allclose(on_first, [0.02, 0.02] + [0.5] * 10)  # March
    np.testing.assert_allclose(mid_month, [0.02, 0.02, 0.02] + [0.5] * 9)  # April


def test_ramp_exact_intermediate_values():
    # from 0.02 to 0.1 over 4 months, first step in the event's month (March, offset 2):
    # 0.02 + 0.08 * [1, 2, 3, 4] / 4 = 0.04, 0.06, 0.08, 0.10, then stays
    values = _values([_event("a", "2020-03", ramp={INSPECTION: 0.1}, ramp_months=4)])
    expected = [0.02, 0.02, 0.04, 0.06, 0.08, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1]
    np.testing.assert_allclose(values, expected, rtol=1e-12)


def test_ramp_default_is_twelve_months():
    # trade level 1.0 -> 0.4 from January: 1 - 0.6 * (t + 1) / 12
    values = _values(
        [_event("a", "2020-01", ramp={"border.trade_level": 0.4})], key="border.trade_level"
    )
    np.testing.assert_allclose(values, [1.0 - 0.05 * (t + 1) for t in range(12)], rtol=1e-12)
    assert values[-1] == pytest.approx(0.4)


def test_integer_field_ramps_in_whole_months():
    # partner detention 3 -> 12 over 3 months from March: 6, 9, 12
    scenario = _scenario(
        [_event("a", "2020-03", ramp={"enforcement.partner_detention": 12}, ramp_months=3)]
    )
    schedule = compile_timeline(scenario)
    np.testing.assert_array_equal(
        schedule.values["enforcement.partner_detention"], [3, 3, 6, 9, 12] + [12] * 7
    )
    assert policy_for_month(schedule, 3).enforcement.partner_detention == 9


def test_later_set_overrides_running_ramp():
    values = _values(
        [
            _event("ramp", "2020-03", ramp={INSPECTION: 0.1}, ramp_months=4),
            _event("set", "2020-05", set={INSPECTION: 0.05}),
        ]
    )
    # ramp gives 0.04 (March), 0.06 (April); the set stops it in May
    np.testing.assert_allclose(values, [0.02, 0.02, 0.04, 0.06] + [0.05] * 8, rtol=1e-12)


def test_ramp_starts_from_value_in_force():
    values = _values(
        [
            _event("set", "2020-02", set={INSPECTION: 0.5}),
            _event("ramp", "2020-04", ramp={INSPECTION: 0.1}, ramp_months=2),
        ]
    )
    # 0.5 -> 0.1 over 2 months from April: 0.3, 0.1
    np.testing.assert_allclose(
        values, [0.02, 0.5, 0.5, 0.3, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1], rtol=1e-12
    )


def test_events_apply_in_date_order_not_list_order():
    values = _values(
        [
            _event("late", "2020-06", set={INSPECTION: 0.3}),
            _event("early", "2020-02", set={INSPECTION: 0.5}),
        ]
    )
    np.testing.assert_allclose(values, [0.02] + [0.5] * 4 + [0.3] * 7)


def test_same_month_later_listed_event_wins():
    values = _values(
        [
            _event("first", "2020-03", set={INSPECTION: 0.5}),
            _event("second", "2020-03-01", set={INSPECTION: 0.7}),
        ]
    )
    np.testing.assert_allclose(values, [0.02, 0.02] + [0.7] * 10)


def test_event_before_start_is_in_force_but_not_marked():
    scenario = _scenario(
        [
            _event("before", "2019-06", set={INSPECTION: 0.5}),
            _event("during", "2020-04", set={"border.smuggling_open": False}, label="Closed"),
            _event("quiet", "2020-05", set={INSPECTION: 0.4}, marker=False),
        ]
    )
    schedule = compile_timeline(scenario)
    np.testing.assert_allclose(schedule.values[INSPECTION], [0.5] * 4 + [0.4] * 8)
    np.testing.assert_array_equal(
        schedule.values["border.smuggling_open"], [True] * 3 + [False] * 9
    )
    assert schedule.markers == [(3, "Closed")]
    assert policy_for_month(schedule, 3).border.smuggling_open is False


def test_campaigns_are_keyed_by_month_offset():
    campaign = {"channel": "partner", "weight": 20, "risk": 0.06}
    scenario = _scenario([_event("show-trial", "2020-07-10", campaigns=[campaign])])
    schedule = compile_timeline(scenario)
    assert list(schedule.campaigns) == [7]  # dated after the 1st: August, offset 7
    (got,) = schedule.campaigns[7]
    assert (got.channel, got.weight, got.risk) == ("partner", 20, 0.06)


def test_ramp_dated_before_start_continues_from_its_date():
    # Ramp 0.02 -> 0.1 over 4 months from March 2020; a run starting in May 2020 should see
    # the third step (0.08) in May and the target from June on, as a run from January does.
    from_january = _values([_event("a", "2020-03", ramp={INSPECTION: 0.1}, ramp_months=4)])
    from_may = _values(
        [_event("a", "2020-03", ramp={INSPECTION: 0.1}, ramp_months=4)], start="2020-05"
    )
    np.testing.assert_allclose(from_may, from_january[4:], rtol=1e-12)


# --- bad event values -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"set": {INSPECTION: 1.5}}, "inspection_rate"),
        ({"set": {"enforcement.partner_detention": 2.5}}, "partner_detention"),
        ({"set": {"state.surrender_rate": -0.1}}, "surrender_rate"),
        ({"ramp": {"border.trade_level": 20}}, "trade_level"),
        ({"set": {"enforcement.bogus": 1}}, "unknown policy field"),
        ({"set": {"market.elasticity": 2}}, "unknown policy field"),
        ({"ramp": {"border.smuggling_open": 0}}, "cannot be ramped"),
    ],
)
def test_bad_event_values_raise_on_load(fields, words):
    with pytest.raises(WakusimInputError, match=words):
        _scenario([_event("bad", "2020-03", **fields)])


def test_check_event_value_converts_and_rejects():
    scenario = _scenario([])
    current = {s: getattr(scenario, s).model_dump() for s in TIME_VARYING_SECTIONS}
    assert check_event_value("enforcement.partner_detention", 24.0, current) == 24
    assert check_event_value("border.smuggling_open", "false", current) is False
    with pytest.raises(ValueError, match=r"inspection_rate = 1\.5.*<= 1"):
        check_event_value(INSPECTION, 1.5, current)
    with pytest.raises(ValueError, match="unknown policy field 'state.nothing'"):
        check_event_value("state.nothing", 1, current)


def test_compile_rejects_bad_value_added_after_loading():
    scenario = _scenario([_event("ok", "2020-03", set={INSPECTION: 0.5})])
    scenario.timeline[0].set = {INSPECTION: 2.0}  # bypasses the loader's checks
    with pytest.raises(ValueError, match="inspection_rate"):
        compile_timeline(scenario)
