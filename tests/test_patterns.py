"""Pattern-oriented validation: MODEL.md patterns P1-P6 on the default scenario.

Each pattern is checked over five seeds at the default population (20,000
individuals). "In the large majority of seeds" is written as: at least four of
five seeds, and the mean over seeds, satisfy the threshold.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

import wakusim

# WAKUSIM_PATTERN_SEEDS="21,22,23,24,25" checks the patterns on other seeds.
SEEDS = [int(s) for s in os.environ.get("WAKUSIM_PATTERN_SEEDS", "11,12,13,14,15").split(",")]
MAJORITY = max(1, round(0.8 * len(SEEDS)))


def _runs(name: str, overrides: dict | None = None) -> list[pd.DataFrame]:
    scenario = wakusim.load_scenario(name, overrides or {})
    return [wakusim.simulate(scenario, rng=seed).timeseries for seed in SEEDS]


@pytest.fixture(scope="module")
def history() -> list[pd.DataFrame]:
    return _runs("history")


@pytest.fixture(scope="module")
def no_crackdown() -> list[pd.DataFrame]:
    return _runs("no-crackdown")


@pytest.fixture(scope="module")
def report() -> wakusim.Scenario:
    return wakusim.load_scenario("history").report


def _holds(flags: list[bool]) -> bool:
    return sum(flags) >= MAJORITY


def test_p1_smuggling_collapses_after_closure_while_company_trade_continues(history):
    # Closure at 2020-01-31 (effective 2020-02); six months later is 2020-07.
    before = [ts.loc["2019-12", "share_smuggler"] for ts in history]
    after = [ts.loc["2020-07", "share_smuggler"] for ts in history]
    assert np.mean(before) > 0.05, "smuggling should be common before the closure"
    assert all(a < 0.02 for a in after), f"smugglers within 6 months: {after}"
    for ts in history:
        closed = ts.loc["2020-02":"2023-07"]
        assert (closed["volume_company"] > 0).all()
        assert (closed["share_partner"] + closed["share_member"]).min() > 0.05
        assert closed["volume_smuggling"].iloc[-1] == 0


def test_p2_members_replace_partners_after_the_crackdown(history, report):
    b, a = report.before_crackdown, report.after_crackdown
    partners_lead = [ts.loc[b, "share_partner"] > ts.loc[b, "share_member"] for ts in history]
    members_rise = [ts.loc[a, "share_member"] > ts.loc[b, "share_member"] + 0.01 for ts in history]
    partners_fall = [
        ts.loc[a, "share_partner"] < 0.5 * ts.loc[b, "share_partner"] for ts in history
    ]
    assert _holds(partners_lead), partners_lead
    assert _holds(members_rise), members_rise
    assert _holds(partners_fall), partners_fall


def test_p3_members_are_wealthier(history, report):
    a = report.after_crackdown
    cols = [f"member_share_d{i:02d}" for i in range(1, 11)]
    monotone = [bool(np.all(np.diff(ts.loc[a, cols].to_numpy(float)) >= 0)) for ts in history]
    gap = [ts.loc[a, "member_share_d10"] - ts.loc[a, "member_share_d01"] > 0.3 for ts in history]
    assert _holds(monotone), monotone
    assert _holds(gap), gap


def test_p4_members_earn_less_per_yuan_but_lose_far_less(history):
    for ts in history:
        period = ts.loc["2020-02":]
        assert period["return_uncaught_member"].mean() < period["return_uncaught_partner"].mean()
        assert period["return_sd_member"].mean() < 0.5 * period["return_sd_partner"].mean()
        loss_member = (period["return_uncaught_member"] - period["return_member"]).mean()
        loss_partner = (period["return_uncaught_partner"] - period["return_partner"]).mean()
        assert loss_member < 0.25 * loss_partner


def test_p5_transition_is_incomplete(history, report):
    a = report.after_crackdown
    # The wealthiest tenth: a clear share (over a fifth) are not members.
    wealthy_not_members = [1 - ts.loc[a, "member_share_d10"] for ts in history]
    assert all(share > 0.2 for share in wealthy_not_members), wealthy_not_members


@pytest.mark.parametrize(
    "overrides",
    [
        {"state.surrender_rate": 0.6},
        {
            "state.org_burden_member": 2.0,
            "timeline.reactionary-ideology-law.set.state.org_burden_member": 2.6,
        },
    ],
    ids=["higher-surrender", "heavier-organisational-life"],
)
def test_p5_more_burden_or_surrender_means_fewer_members(history, report, overrides):
    a = report.after_crackdown
    heavier = _runs("history", overrides)
    base = [ts.loc["2024-06":"2025-12", "share_member"].mean() for ts in history]
    alt = [ts.loc["2024-06":"2025-12", "share_member"].mean() for ts in heavier]
    assert _holds([x < y for x, y in zip(alt, base, strict=True)]), (alt, base)
    assert np.mean(alt) < np.mean(base)
    assert a in heavier[0].index


def test_p6_suppressing_partnerships_cuts_volume_and_raises_price(history, no_crackdown):
    window = slice("2024-06", "2025-12")
    vol = [
        h.loc[window, "volume_company"].mean() < n.loc[window, "volume_company"].mean()
        for h, n in zip(history, no_crackdown, strict=True)
    ]
    price = [
        h.loc[window, "price"].mean() > n.loc[window, "price"].mean()
        for h, n in zip(history, no_crackdown, strict=True)
    ]
    assert _holds(vol), vol
    assert _holds(price), price
    # Companies lack funds: outside capital finances most of their trade before the crackdown.
    for ts in history:
        pre = ts.loc["2023-12"]
        assert pre["volume_company_own"] < 0.25 * pre["volume_company"]
    # Identical until the crackdown (same seed, same draws).
    for h, n in zip(history, no_crackdown, strict=True):
        pd.testing.assert_frame_equal(
            h.loc[:"2024-02"].filter(regex="^(share|volume|price)"),
            n.loc[:"2024-02"].filter(regex="^(share|volume|price)"),
        )
