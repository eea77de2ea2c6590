"""The experiment tab on hand-written folders in the store's tidy format, and the solver hook."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from conftest import new_app

from wakusim.errors import WakusimInputError
from wakusim.interfaces.dashboard import experiment_tab as xt

RATES = [0.02, 0.1, 0.2]


@pytest.fixture
def stat_folder(tmp_path):
    """run x statistic: one Parquet file per run, varied parameters as columns."""
    folder = tmp_path / "exp-stats"
    (folder / "runs").mkdir(parents=True)
    run = 0
    for rate in RATES:
        for rep in range(2):
            rows = pd.DataFrame(
                {
                    "run": run,
                    "replication": rep,
                    "enforcement.inspection_rate": rate,
                    "state.surrender_rate": 0.3,
                    "statistic": ["share_partner_after", "share_member_after"],
                    "value": [0.1 - rate / 4 + rep * 0.001, 0.05 + rate / 2],
                }
            )
            rows.to_parquet(folder / "runs" / f"run-{run:03d}.parquet", index=False)
            run += 1
    manifest = {"name": "inspection sweep", "varied": {"enforcement.inspection_rate": RATES}}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


@pytest.fixture
def month_folder(tmp_path):
    """run x month: observables as columns, no manifest (parameters guessed)."""
    folder = tmp_path / "exp-months"
    folder.mkdir()
    for run, detention in enumerate([3, 24]):
        pd.DataFrame(
            {
                "run": run,
                "month": ["2025-01", "2025-02", "2025-03"],
                "enforcement.partner_detention": detention,
                "policy.enforcement.inspection_rate": 0.1,
                "share_partner": [0.1, 0.09, 0.08 - detention / 1000],
                "price": [1.6, 1.7, 1.8],
            }
        ).to_parquet(folder / f"{run}.parquet", index=False)
    return folder


def test_load_long_folder_uses_manifest(stat_folder):
    exp = xt.load_experiment(stat_folder)
    assert exp.varied == ["enforcement.inspection_rate"]
    assert exp.long_columns == ("statistic", "value")
    assert exp.observables == ["share_member_after", "share_partner_after"]
    rows = xt.select(exp, "share_member_after")
    summary = xt.summarise(rows, "enforcement.inspection_rate")
    assert list(summary["enforcement.inspection_rate"]) == RATES
    assert list(summary["runs"]) == [2, 2, 2]
    assert summary["mean"].is_monotonic_increasing
    chart = xt.response_chart(summary, "enforcement.inspection_rate", "share_member_after")
    assert chart.to_dict()["layer"]


def test_load_month_folder_guesses_parameters(month_folder):
    exp = xt.load_experiment(month_folder)
    assert exp.varied == ["enforcement.partner_detention"]  # policy.* and constants left out
    assert exp.months == ["2025-01", "2025-02", "2025-03"]
    assert "share_partner" in exp.observables and "run" not in exp.observables
    last = xt.summarise(xt.select(exp, "share_partner", "2025-03"), "enforcement.partner_detention")
    assert last["mean"].round(3).tolist() == [0.077, 0.056]
    mean = xt.summarise(xt.select(exp, "price"), "enforcement.partner_detention")
    assert mean["mean"].round(3).tolist() == [1.7, 1.7]


def test_missing_or_empty_folder_explains_what_is_expected(tmp_path):
    with pytest.raises(WakusimInputError, match="no such folder.*manifest.json"):
        xt.load_experiment(tmp_path / "nope")
    with pytest.raises(WakusimInputError, match="no Parquet files found"):
        xt.load_experiment(tmp_path)
    (tmp_path / "x.parquet").write_text("not parquet")
    with pytest.raises(WakusimInputError, match="cannot read as Parquet"):
        xt.load_experiment(tmp_path)


def test_equilibrium_hook_with_and_without_solver(monkeypatch):
    func, reason = xt.equilibrium_module()
    if func is None:
        assert "equilibrium" in reason

    def trace_curve(scenario, lever, values, seed=0):
        return pd.DataFrame({lever: values, "share_member": [v / 2 for v in values]})

    curve = xt.curve_frame(
        xt.call_trace_curve(trace_curve, "sc", "enforcement.inspection_rate", [0.0, 0.2]),
        "enforcement.inspection_rate",
    )
    assert curve["share_member"].tolist() == [0.0, 0.1]


def test_experiment_tab_in_the_app(stat_folder, tmp_path):
    at = new_app()
    at.run()
    at.text_input(key="experiment_folder").input(str(tmp_path / "missing")).run()
    assert "no such folder" in "\n".join(e.value for e in at.error)
    at.text_input(key="experiment_folder").input(str(stat_folder)).run()
    assert not at.exception
    assert "12 rows from 6 file(s)" in "\n".join(s.value for s in at.success)
    at.selectbox(key="exp_y").set_value("share_partner_after").run()
    assert not at.exception
    at.selectbox(key="exp_group").set_value("state.surrender_rate")
    table = at.dataframe[-1].value
    assert list(table["enforcement.inspection_rate"]) == RATES
    func, _reason = xt.equilibrium_module()
    infos = "\n".join(i.value for i in at.info)
    if func is None:
        assert "equilibrium solver" in infos


def test_equilibrium_curve_in_the_app_with_a_solver(monkeypatch):
    import sys
    import types

    calls = []

    def trace_curve(scenario, lever, values):
        calls.append((scenario.name, lever, list(values)))
        return pd.DataFrame({lever: values, "share_member": [0.05 + v for v in values]})

    fake = types.ModuleType("wakusim.equilibrium")
    fake.trace_curve = trace_curve
    monkeypatch.setitem(sys.modules, "wakusim.equilibrium", fake)
    at = new_app()
    at.run()
    at.selectbox(key="eq_lever").set_value(at.selectbox(key="eq_lever").options[0])
    at.number_input(key="eq_points").set_value(3)
    at.button(key="eq_run").click().run()
    assert not at.exception
    assert calls and calls[0][1] == "enforcement.smuggling_detection"
    assert len(calls[0][2]) == 3
    assert "share_member" in at.dataframe[-1].value.columns


def test_equilibrium_solver_error_is_shown(monkeypatch):
    import sys
    import types

    def trace_curve(scenario, lever, values):
        raise RuntimeError("no fixed point")

    fake = types.ModuleType("wakusim.equilibrium")
    fake.trace_curve = trace_curve
    monkeypatch.setitem(sys.modules, "wakusim.equilibrium", fake)
    at = new_app()
    at.run()
    at.button(key="eq_run").click().run()
    assert not at.exception
    assert "trace_curve failed: no fixed point" in "\n".join(e.value for e in at.error)


def test_store_layout_folder(tmp_path):
    """The experiment store's layout: statistics/, timeseries/, runs/, points.parquet."""
    folder = tmp_path / "store"
    for sub in ("statistics", "timeseries", "runs"):
        (folder / sub).mkdir(parents=True)
    pd.DataFrame({"point": [0, 1], "inspection_rate": [0.05, 0.2]}).to_parquet(
        folder / "points.parquet"
    )
    for run, rate in enumerate([0.05, 0.2]):
        common = {"run_id": f"r{run}", "point": run, "replication": 0, "inspection_rate": rate}
        pd.DataFrame(
            {**common, "statistic": ["member_2025_03"], "value": [0.05 + rate]}
        ).to_parquet(folder / "statistics" / f"r{run}.parquet")
        pd.DataFrame(
            {**common, "month": ["2025-02", "2025-03"], "share_member": [0.05, 0.05 + rate]}
        ).to_parquet(folder / "timeseries" / f"r{run}.parquet")
        pd.DataFrame({"run_id": [f"r{run}"], "seconds": [1.0]}).to_parquet(
            folder / "runs" / f"r{run}.parquet"
        )
    (folder / "manifest.json").write_text(json.dumps({"parameters": ["inspection_rate"]}))
    # A run still being written by a live sweep: data file present, no runs/ record yet.
    pd.DataFrame(
        {
            "run_id": ["r9"],
            "point": [9],
            "replication": [0],
            "inspection_rate": [0.9],
            "statistic": ["member_2025_03"],
            "value": [0.99],
        }
    ).to_parquet(folder / "statistics" / "r9.parquet")
    assert xt.tables(folder) == ["statistics", "timeseries"]
    stats = xt.load_experiment(folder)
    assert sorted(stats.frame["run_id"]) == ["r0", "r1"]
    assert stats.varied == ["inspection_rate"] and stats.observables == ["member_2025_03"]
    assert "seconds" not in stats.frame.columns  # runs/ bookkeeping not mixed in
    series = xt.load_experiment(folder, "timeseries")
    assert series.observables == ["share_member"]
    summary = xt.summarise(xt.select(series, "share_member", "2025-03"), "inspection_rate")
    assert summary["mean"].round(2).tolist() == [0.1, 0.25]
    with pytest.raises(WakusimInputError, match="no points/ folder"):
        xt.load_experiment(folder, "points")
    at = new_app()
    at.run()
    at.text_input(key="experiment_folder").input(str(folder)).run()
    assert not at.exception
    at.radio(key="experiment_table").set_value("timeseries").run()
    assert not at.exception
    assert at.selectbox(key="exp_month").options[-1] == "2025-03"


def test_real_equilibrium_solver_in_the_app():
    func, reason = xt.equilibrium_module()
    if func is None:
        pytest.skip(f"wakusim.equilibrium not present in this checkout: {reason}")
    at = new_app()
    at.run()
    at.selectbox(key="eq_lever").set_value("enforcement.inspection_rate")
    at.slider(key="eq_range").set_value((0.0, 0.3))
    at.number_input(key="eq_points").set_value(3)
    at.button(key="eq_run").click().run()
    assert not at.exception
    assert not [e.value for e in at.error]
    curve = at.dataframe[-1].value
    assert curve["value"].round(3).unique().tolist() == [0.0, 0.15, 0.3]
    assert "share_member" in curve.columns
