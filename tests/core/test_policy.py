"""Policy in force per month (history timeline) and the true risks it implies."""

from __future__ import annotations

from dataclasses import FrozenInstanceError

import pytest
from pydantic import ValidationError

from wakusim.core.policy import Policy, policy_for_month
from wakusim.scenarios.loader import load_scenario
from wakusim.scenarios.schema import Border
from wakusim.scenarios.timeline import compile_timeline


@pytest.fixture(scope="module")
def schedule():
    return compile_timeline(load_scenario("history", {"population.size": 10}))


def test_january_2019_policy_and_true_risks(schedule):
    policy = policy_for_month(schedule, 0)
    assert isinstance(policy, Policy)
    assert policy.border.smuggling_open is True
    assert policy.border.trade_level == pytest.approx(1.0)
    assert policy.smuggler_risk == pytest.approx(0.05)
    # partner risk = inspection rate x partner detection = 0.02 * 0.3
    assert policy.partner_risk == pytest.approx(0.006, rel=1e-12)
    assert policy.state.unit_payment == pytest.approx(0.15)


def test_integer_fields_come_back_as_int(schedule):
    e = policy_for_month(schedule, 0).enforcement
    for name in (
        "smuggling_detention",
        "partner_detention",
        "member_detention",
        "suspension_months",
    ):
        assert type(getattr(e, name)) is int, name
    assert (e.smuggling_detention, e.partner_detention, e.suspension_months) == (3, 3, 6)


def test_covid_closure_dated_31_january_applies_in_february(schedule):
    jan, feb = policy_for_month(schedule, 12), policy_for_month(schedule, 13)  # 2020-01, 2020-02
    assert jan.border.trade_level == pytest.approx(1.0)
    assert jan.smuggler_risk == pytest.approx(0.05)
    assert feb.border.trade_level == pytest.approx(0.2)
    assert feb.smuggler_risk == pytest.approx(0.3)
    assert feb.enforcement.smuggling_detention == 36


def test_buffer_zone_closes_smuggling_from_september_2020(schedule):
    assert policy_for_month(schedule, 19).border.smuggling_open is True  # 2020-08
    sept = policy_for_month(schedule, 20)  # 2020-09 (event dated 2020-08-25)
    assert sept.border.smuggling_open is False
    assert sept.smuggler_risk == pytest.approx(0.9)
    assert sept.enforcement.smuggling_detention == 120


def test_enterprise_rules_cut_unit_payment_in_november_2020(schedule):
    assert policy_for_month(schedule, 21).state.unit_payment == pytest.approx(0.15)  # 2020-10
    assert policy_for_month(schedule, 22).state.unit_payment == pytest.approx(0.10)  # 2020-11


def test_partial_reopening_ramp_then_permits_reissued(schedule):
    # 2023-08 is offset 55; trade level 0.4 -> 0.8 over 5 months: 0.4 + 0.4 * j / 5
    assert policy_for_month(schedule, 54).border.trade_level == pytest.approx(0.4)
    for j in range(1, 6):
        level = policy_for_month(schedule, 54 + j).border.trade_level
        assert level == pytest.approx(0.4 + 0.4 * j / 5, rel=1e-12), j
    # 0.8 holds in 2023-12 (offset 59); 2024-01 (offset 60): permits reissued, set 0.9
    assert policy_for_month(schedule, 59).border.trade_level == pytest.approx(0.8)
    assert policy_for_month(schedule, 60).border.trade_level == pytest.approx(0.9)


def test_crackdown_2024_true_partner_risk(schedule):
    before = policy_for_month(schedule, 61)  # 2024-02
    assert before.partner_risk == pytest.approx(0.006, rel=1e-12)
    first = policy_for_month(schedule, 62)  # 2024-03: inspection 0.02 + 0.08/6, detection 0.6
    assert first.enforcement.inspection_rate == pytest.approx(0.02 + 0.08 / 6, rel=1e-12)
    assert first.partner_risk == pytest.approx((0.02 + 0.08 / 6) * 0.6, rel=1e-12)
    assert first.enforcement.partner_detention == 24
    assert first.enforcement.suspension_months == 12
    full = policy_for_month(schedule, 67)  # 2024-08: ramp complete, 0.1 * 0.6
    assert full.partner_risk == pytest.approx(0.06, rel=1e-12)
    assert policy_for_month(schedule, 95).partner_risk == pytest.approx(0.06, rel=1e-12)


def test_a_months_policy_is_read_only(schedule):
    """engine.run shares one policy between the months it is in force: nothing may edit it."""
    policy = policy_for_month(schedule, 0)
    with pytest.raises(FrozenInstanceError):
        policy.border = policy.border
    for part, field in (
        (policy.border, "trade_level"),
        (policy.enforcement, "smuggling_detection"),
        (policy.state, "unit_payment"),
    ):
        before = getattr(part, field)
        with pytest.raises(ValidationError, match="frozen"):
            setattr(part, field, 0.5)
        assert getattr(part, field) == before
    # the scenario's own sections stay editable
    assert not Border.model_config.get("frozen", False)
