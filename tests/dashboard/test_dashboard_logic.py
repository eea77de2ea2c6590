"""Lever definitions, cached runs, upload validation and exports, without Streamlit."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

import wakusim
from wakusim.errors import WakusimInputError
from wakusim.interfaces.dashboard import export, runs
from wakusim.interfaces.dashboard import levers as lv
from wakusim.scenarios.schema import Enforcement, State

WAKUSIM = shutil.which("wakusim") or str(Path(sys.executable).with_name("wakusim"))
HISTORY = wakusim.load_scenario("history")


def test_levers_take_range_and_unit_from_the_schema():
    by_path = {lever.path: lever for lever in lv.policy_levers(HISTORY)}
    rate = by_path["timeline.crackdown-2024.ramp.enforcement.inspection_rate"]
    assert (rate.minimum, rate.maximum, rate.unit, rate.default) == (0, 1, "/month", 0.1)
    assert rate.target == "crackdown" and rate.is_share
    assert "crackdown event" in rate.help and "<= 1" in rate.help
    detention = by_path["timeline.crackdown-2024.set.enforcement.partner_detention"]
    assert (detention.maximum, detention.unit, detention.default) == (600, "months", 24)
    assert detention.integer and not detention.is_share
    fee = by_path["state.inminban_fee"]
    assert (
        fee.unit == "CNY/year" and fee.maximum == State.model_fields["inminban_fee"].metadata[-1].le
    )
    smuggling = by_path["enforcement.smuggling_detection"]
    assert smuggling.default == HISTORY.enforcement.smuggling_detection
    assert "covid-closure, buffer-zone" in smuggling.help  # says which events change it later
    assert "no event changes it" in by_path["state.surrender_rate"].help
    assert by_path["enforcement.smuggling_fine"].unit == "CNY"
    assert Enforcement.model_fields["smuggling_fine"].description.endswith("CNY")


def test_every_lever_path_is_a_valid_override():
    for lever in lv.policy_levers(HISTORY):
        value = lever.clamp(lever.default * 2 if lever.default else lever.maximum / 2)
        sc = wakusim.load_scenario("history", {lever.path: value})
        assert sc != HISTORY, lever.path


def test_no_crackdown_scenario_has_only_initial_levers():
    levers = lv.policy_levers(wakusim.load_scenario("no-crackdown"))
    assert {lever.target for lever in levers} == {"initial"}
    assert len(levers) == len(lv.INITIAL_SPECS)


def test_overrides_only_for_moved_levers():
    levers = lv.policy_levers(HISTORY)
    values = {lever.key: lever.default for lever in levers}
    assert lv.overrides_from(levers, values) == {}
    values[levers[0].key] = 0.3
    assert lv.overrides_from(levers, values) == {levers[0].path: 0.3}


def test_population_default_from_environment(monkeypatch):
    monkeypatch.setenv(lv.POPULATION_ENV, "1234")
    assert lv.run_levers(HISTORY)[0].default == 1234
    monkeypatch.delenv(lv.POPULATION_ENV)
    assert lv.run_levers(HISTORY)[0].default == 20_000


def test_replication_seeds_are_fixed_and_first_is_the_seed():
    seeds = runs.replication_seeds(7, 3)
    assert seeds[0].entropy == 7 and seeds[0].spawn_key == ()
    assert [s.spawn_key for s in seeds[1:]] == [(0,), (1,)]
    assert [s.spawn_key for s in runs.replication_seeds(7, 2)] == [(), (0,)]


def test_runs_are_cached_and_replications_reused():
    runs.clear_cache()
    sc = runs.resolve("history", {"enforcement.member_risk": 0.0015}, 300, 3)
    ticks = []
    first = runs.run_set(sc, 3, 2, progress=lambda f, t: ticks.append(f))
    assert first.seconds > 0 and first.cached == 0 and ticks and max(ticks) <= 1.0
    assert runs.is_cached(sc, 3, 2) and not runs.is_cached(sc, 3, 3)
    again = runs.run_set(sc, 3, 2)
    assert again.seconds == 0 and again.cached == 2
    more = runs.run_set(sc, 3, 3)
    assert more.cached == 2
    pd.testing.assert_frame_equal(more.frames[1], first.frames[1])
    # replication 1 is exactly a run with the seed
    alone = wakusim.simulate(sc, rng=3).timeseries
    pd.testing.assert_frame_equal(first.frames[0], alone)
    nan = first.mean.isna()
    assert ((first.low <= first.mean + 1e-9) | nan).all().all()
    assert ((first.mean <= first.high + 1e-9) | nan).all().all()
    long = first.long()
    assert list(long.columns[:2]) == ["replication", "month"]
    assert set(long["replication"]) == {1, 2}


def test_key_numbers():
    sc = runs.resolve("history", None, 300, 1)
    numbers = runs.key_numbers(runs.run_set(sc, 1, 1))
    assert set(numbers) == {k[0] for k in runs.KEY_NUMBERS}
    assert 0 <= numbers["Members %"] <= 100


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("s.txt", b"name: x\n", "must end in .yaml or .yml"),
        ("s.yaml", b"a: [1,\n", "malformed YAML in s.yaml at line 2"),
        ("s.yaml", b"42\n", "must hold a mapping of sections, not int"),
        (
            "s.yaml",
            b"extends: history\nstate: {surrender_rate: 2}\n",
            "invalid scenario s.yaml:\n  - state.surrender_rate = 2: Input should be less than or "
            "equal to 1 (allowed: >= 0 and <= 1; share of members' FX profit surrendered)",
        ),
        ("s.yaml", b"extends: history\nbogus: 1\n", "bogus: unknown field"),
        ("s.yaml", b"x" * (runs.MAX_UPLOAD_BYTES + 1), "file too large"),
    ],
)
def test_upload_validation_errors(name, content, message):
    with pytest.raises(WakusimInputError) as info:
        runs.parse_upload(name, content)
    assert message in str(info.value)
    assert "wakusim-upload-" not in str(info.value)


def test_upload_valid_resolves_extends():
    data = runs.parse_upload("mine.yaml", b"extends: history\nname: mine\n")
    assert data["name"] == "mine" and "extends" not in data
    assert wakusim.load_scenario(data) == wakusim.load_scenario("history", {"name": "mine"})


def test_exports_reproduce_with_the_command_line(tmp_path):
    overrides = {"timeline.crackdown-2024.ramp.enforcement.inspection_rate": 0.25}
    sc = runs.resolve("history", {"name": "history-edited", **overrides}, 500, 11)
    shown = runs.run_set(sc, 11, 2)
    text = export.scenario_yaml(sc, 2)
    assert text.startswith("# history-edited: exported")
    assert "wakusim run history-edited.yaml --seed 11" in text
    path = tmp_path / "history-edited.yaml"
    path.write_text(text, encoding="utf-8")
    assert wakusim.load_scenario(path) == sc
    assert yaml.safe_load(text)["seed"] == 11
    out = tmp_path / "out"
    proc = subprocess.run(
        [WAKUSIM, "run", str(path), "--seed", "11", "--out", str(out), "--no-figures"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    reproduced = pd.read_parquet(out / "timeseries.parquet")
    pd.testing.assert_frame_equal(reproduced, shown.frames[0])
    # the downloads hold every replication
    csv = pd.read_csv(io.BytesIO(export.timeseries_csv(shown)))
    parquet = pd.read_parquet(io.BytesIO(export.timeseries_parquet(shown)))
    assert len(csv) == len(parquet) == 2 * sc.n_months
    first = parquet[parquet["replication"] == 1].set_index("month").drop(columns="replication")
    pd.testing.assert_frame_equal(first, shown.frames[0], check_names=False)
    assert np.allclose(csv["price"], parquet["price"])
    assert export.file_stem(shown) == "history-edited-seed11-n500"
