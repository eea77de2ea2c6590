"""Results on disk: the files a run writes, atomically."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest

import wakusim
from wakusim.outputs.results import SimulationResult


@pytest.fixture(scope="module")
def result() -> SimulationResult:
    sc = wakusim.load_scenario("history", {"population.size": 1000, "warmup_months": 3})
    return wakusim.simulate(sc, rng=5)


def test_timeseries_has_one_row_per_month_and_the_observables(result):
    ts = result.timeseries
    assert len(ts) == 96 and ts.index[0] == "2019-01" and ts.index[-1] == "2026-12"
    for col in [
        "n_outside",
        "n_smuggler",
        "n_partner",
        "n_member",
        "n_detained",
        "arrests_smuggler",
        "arrests_partner",
        "arrests_member",
        "volume_smuggling",
        "volume_partner",
        "volume_member",
        "volume_company",
        "price",
        "margin",
        "revenue_surrender",
        "revenue_fines",
        "revenue_confiscation",
        "revenue_loyalty",
        "income_outside",
        "income_partner",
        "income_member",
        "wealth_gini",
        "member_share_d01",
        "member_share_d10",
        "companies_accepting",
        "companies_suspended",
        "policy.enforcement.inspection_rate",
    ]:
        assert col in ts.columns, col
    counts = ts[["n_outside", "n_smuggler", "n_partner", "n_member", "n_detained"]].sum(axis=1)
    assert (counts == 1000).all()
    shares = ts[["share_outside", "share_smuggler", "share_partner", "share_member"]].sum(axis=1)
    assert ((shares - 1).abs() < 1e-12).all()
    assert ts["wealth_gini"].between(0, 1).all()


def test_save_writes_complete_folder_and_loads_back(result, tmp_path):
    out = result.save(tmp_path / "run")
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(
        [
            "timeseries.parquet",
            "manifest.json",
            "modes.png",
            "market.png",
            "revenue.png",
            "members_by_wealth.png",
        ]
    )
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["wakusim_version"] == wakusim.__version__
    assert manifest["seed"]["entropy"] == "5" and manifest["seed"]["spawn_key"] == []
    assert manifest["scenario"]["population"]["size"] == 1000
    assert manifest["run_seconds"] > 0
    for png in out.glob("*.png"):
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    back = SimulationResult.load(out)
    pd.testing.assert_frame_equal(back.timeseries, result.timeseries)
    rerun = wakusim.simulate(back.scenario, rng=int(manifest["seed"]["entropy"]))
    pd.testing.assert_frame_equal(rerun.timeseries, result.timeseries)


def test_save_replaces_existing_folder(result, tmp_path):
    target = tmp_path / "run"
    target.mkdir()
    (target / "stale.txt").write_text("old")
    result.save(target, figures=False)
    assert not (target / "stale.txt").exists()
    assert sorted(p.name for p in target.iterdir()) == ["manifest.json", "timeseries.parquet"]
    assert [p for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_failed_save_leaves_nothing_half_written(result, tmp_path, monkeypatch):
    target = tmp_path / "run"
    previous = result.save(target, figures=False)
    before = (previous / "manifest.json").read_bytes()

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("wakusim.outputs.figures.draw_all", explode)
    with pytest.raises(RuntimeError, match="disk full"):
        result.save(target)
    assert (target / "manifest.json").read_bytes() == before  # old results intact
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]  # no partial folder left


def test_save_into_unwritable_place_is_a_clear_error(result, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(wakusim.WakusimInputError, match="cannot write results"):
        result.save(blocker / "run")
    if os.geteuid() != 0:  # root ignores permissions
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        with pytest.raises(wakusim.WakusimInputError):
            result.save(Path(locked) / "run")
