"""Experiment files: validation with clear errors, samplers, seeds, the shipped example, the CLI."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import numpy as np
import pytest

from wakusim.errors import WakusimInputError
from wakusim.experiments import LocalEvaluator, Store, example_names, load_experiment, run_sweep
from wakusim.experiments.samplers import sample
from wakusim.experiments.seeds import run_keys

WAKUSIM = shutil.which("wakusim") or str(Path(sys.executable).with_name("wakusim"))


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [WAKUSIM, *args], capture_output=True, text=True, cwd=cwd, timeout=300, check=False
    )


def broken(small_model, path: str, value):
    data = copy.deepcopy(small_model)
    node = data
    parts = path.split(".")
    for part in parts[:-1]:
        node = node[int(part)] if part.isdigit() else node[part]
    last = parts[-1]
    if last.isdigit():
        node[int(last)] = value
    else:
        node[last] = value
    return data


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        ("replications", 0, "replications = 0: Input should be greater than or equal to 1"),
        ("sampler", {"method": "halton"}, "sampler.method = 'halton': Input should be"),
        ("bogus", 1, "bogus: unknown field; allowed here: name, description, base"),
        (
            "parameters.0",
            {"path": "enforcement.inspection_rat", "values": [0.1]},
            "parameters[0] (enforcement.inspection_rat) = 0.1: enforcement.inspection_rat: "
            "enforcement has no field 'inspection_rat'; its fields are:",
        ),
        (
            "parameters.0",
            {"path": "enforcement.inspection_rate", "values": [0.1, 1.5]},
            "parameters[0] (enforcement.inspection_rate) = 1.5: enforcement.inspection_rate = "
            "1.5: Input should be less than or equal to 1 (allowed: >= 0 and <= 1",
        ),
        (
            "parameters.0",
            {"path": "enforcement.inspection_rate", "range": [0.2, 0.1], "levels": 2},
            "range must be [low, high] with low < high",
        ),
        (
            "parameters.0",
            {"path": "enforcement.inspection_rate", "range": [0.0, 0.1]},
            "the factorial sampler needs values, or a range with levels",
        ),
        ("sampler", {"method": "sobol", "samples": 100}, "sobol samples must be a power of 2"),
        ("sampler", {"method": "lhs", "samples": 8}, "the lhs sampler needs a range"),
        (
            "observables.statistics.0",
            {"column": "share_membr", "at": "2019-12"},
            "observables.statistics[0].column = 'share_membr': not an observable",
        ),
        (
            "observables.statistics.0",
            {"column": "share_member", "at": "2031-01"},
            "observables.statistics[0].at = '2031-01': outside the simulated months "
            "2019-01 to 2020-06",
        ),
        (
            "observables.timeseries",
            ["price", "nope"],
            "observables.timeseries[1] = 'nope': not an observable",
        ),
        (
            "base.overrides",
            {"population.size": 2},
            "base: population.size = 2: Input should be greater than or equal to 10",
        ),
        ("base", {"scenario": "histry"}, "base: unknown scenario 'histry'"),
        ("base", {"function": "rosenbrock"}, "unknown test function 'rosenbrock'"),
        (
            "sensitivity",
            {"outputs": ["member_2019_13"]},
            "sensitivity.outputs member_2019_13 are not statistics",
        ),
    ],
)
def test_bad_experiments_get_one_clear_message(
    tmp_path, experiment_file, small_model, path, value, expected
):
    file = experiment_file(broken(small_model, path, value))
    with pytest.raises(WakusimInputError) as info:
        load_experiment(file)
    message = str(info.value)
    assert message.startswith(f"invalid experiment {file}:"), message
    assert expected in message, message


def test_a_ranged_integer_field_needs_integer_true(experiment_file, small_model):
    small_model["sampler"] = {"method": "lhs", "samples": 4}
    small_model["parameters"] = [{"path": "enforcement.partner_detention", "range": [6, 48]}]
    with pytest.raises(WakusimInputError, match="add integer: true to this parameter"):
        load_experiment(experiment_file(small_model))
    small_model["parameters"][0]["integer"] = True
    assert load_experiment(experiment_file(small_model)).parameter_columns == ["partner_detention"]


def test_bad_experiment_on_the_command_line_exits_2_without_traceback(
    tmp_path, experiment_file, small_model
):
    file = experiment_file(broken(small_model, "replications", -3))
    proc = cli("sweep", str(file), "--out", str(tmp_path / "out"))
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: invalid experiment")
    assert "replications = -3" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "out").exists()
    malformed = tmp_path / "bad.yaml"
    malformed.write_text("name: [unclosed\n")
    proc = cli("sweep", str(malformed))
    assert proc.returncode == 2 and "malformed YAML in" in proc.stderr
    proc = cli("sweep", str(tmp_path / "missing.yaml"))
    assert proc.returncode == 2 and "no such file" in proc.stderr
    proc = cli("sweep", "--example", "nope")
    assert proc.returncode == 2 and "unknown example experiment 'nope'" in proc.stderr
    proc = cli("sweep", "--example", "crackdown", "--workers", "2", "--scheduler", "tcp://x:1")
    assert proc.returncode == 2 and "not both" in proc.stderr


def test_samplers_and_seeds(small_model, experiment_file):
    plan = load_experiment(experiment_file())
    design = sample(plan.experiment, seed=0)
    assert design.to_dict("list") == {
        "inspection_rate": [0.01, 0.01, 0.05, 0.05, 0.2, 0.2],
        "surrender": [0.1, 0.4, 0.1, 0.4, 0.1, 0.4],
    }
    keys = run_keys(6, 4)
    assert [k.run_id for k in keys[:5]] == [
        "p00000-r000", "p00000-r001", "p00000-r002", "p00000-r003", "p00001-r000",
    ]  # fmt: skip
    children = np.random.SeedSequence(11).spawn(24)
    for key in keys:
        got = key.seed_sequence(11).generate_state(4)
        assert (got == children[key.index].generate_state(4)).all()
    for method, extra in [("lhs", {}), ("morris", {"levels": 4})]:
        data = copy.deepcopy(small_model)
        data["sampler"] = {"method": method, "samples": 5, **extra}
        data["parameters"] = [
            {"path": "enforcement.inspection_rate", "range": [0.0, 0.3]},
            {"path": "enforcement.partner_detention", "range": [0, 48], "integer": True},
        ]
        exp = load_experiment(experiment_file(data, f"{method}.yaml")).experiment
        first, again = sample(exp, seed=4), sample(exp, seed=4)
        assert first.equals(again)
        assert len(first) == (5 if method == "lhs" else 5 * 3)
        assert first["partner_detention"].dtype == np.int64
        assert first["inspection_rate"].between(0, 0.3).all()


def test_the_shipped_example_is_valid():
    assert "crackdown" in example_names()
    plan = load_experiment("crackdown")
    assert plan.experiment.replications >= 3
    assert {"inspection_rate", "partner_detention"} == set(plan.parameter_columns)
    labels = {s.label for s in plan.statistics}
    assert {"partner_2025_03", "member_2025_03", "revenue_crackdown", "partner_arrests"} <= labels


def test_sweep_resume_summarize_and_query(tmp_path, experiment_file, small_model):
    small_model["replications"] = 2
    path = experiment_file(small_model)
    out = tmp_path / "sweep"
    proc = cli("sweep", str(path), "--workers", "2", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "12 runs done" in proc.stdout and "12 of 12 complete, 0 failed" in proc.stdout
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["root_seed"]["entropy"] == "11"
    assert manifest["wakusim_version"] and manifest["plan"]["experiment"]["name"] == "small"
    # The same command again completes what is missing: nothing.
    again = cli("sweep", str(path), "--workers", "1", "--out", str(out), "--resume")
    assert again.returncode == 0 and "0 runs done" in again.stdout
    # A changed experiment may not be mixed into the folder; retry settings may change.
    small_model["replications"] = 3
    changed = experiment_file(small_model, "changed.yaml")
    proc = cli("sweep", str(changed), "--out", str(out))
    assert proc.returncode == 2 and "different experiment" in proc.stderr
    small_model["replications"] = 2
    small_model["max_attempts"] = 5
    small_model["description"] = "Retried."
    store = Store.create(out, load_experiment(experiment_file(small_model, "retry.yaml")))
    assert store.plan.experiment.max_attempts == 5
    # One writer at a time.
    store.lock()
    with pytest.raises(WakusimInputError, match="another wakusim sweep is writing"):
        Store.open(out).lock()
    store.unlock()
    # Summaries: a table and fan charts.
    proc = cli("summarize", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "member_2019_12" in proc.stdout and "5-95 %" in proc.stdout
    for column in ("share_partner", "share_member", "revenue_total"):
        assert (out / "summary" / f"fan_{column}.png").stat().st_size > 10_000
    # DuckDB straight on the folder.
    query = f"""
        SELECT inspection_rate, surrender, count(*) AS runs, avg(value) AS member
        FROM '{out}/statistics/*.parquet' WHERE statistic = 'member_2019_12'
        GROUP BY ALL ORDER BY ALL
    """
    rows = duckdb.sql(query).fetchall()
    assert len(rows) == 6 and all(r[2] == 2 for r in rows)
    months = duckdb.sql(f"SELECT count(*) FROM '{out}/timeseries/*.parquet'").fetchall()[0][0]
    assert months == 12 * 18
    # Any run can be re-run alone from its recorded seed.
    store = Store.open(out)
    run = store.table("runs").iloc[7]
    import wakusim

    scenario = wakusim.load_scenario(store.plan.base_scenario, store.overrides_of(run["point"]))
    seq = np.random.SeedSequence(int(run["seed_entropy"]), spawn_key=(int(run["spawn_key"]),))
    alone = wakusim.simulate(scenario, rng=seq).timeseries
    stored = store.table("timeseries")
    stored = stored[stored["run_id"] == run["run_id"]].set_index("month")
    assert np.array_equal(alone["share_member"].to_numpy(), stored["share_member"].to_numpy())


def test_fresh_root_seed_is_recorded_and_reused_on_resume(tmp_path, experiment_file):
    data = {
        "name": "noisy",
        "base": {"function": "ishigami", "options": {"noise": 1.0}},
        "parameters": [{"path": f"x{i}", "values": [0.0, 1.0]} for i in (1, 2, 3)],
        "replications": 2,
    }
    plan = load_experiment(experiment_file(data))
    out = tmp_path / "noisy"
    store = Store.create(out, plan)
    entropy = store.entropy
    run_sweep(plan, out, LocalEvaluator(workers=1))
    assert Store.open(out).entropy == entropy
    first = Store.open(out).table("statistics")
    ref = tmp_path / "noisy2"
    shutil.copytree(out, ref)
    for name in ("runs", "statistics"):
        for f in sorted((out / name).glob("*.parquet"))[::2]:
            f.unlink()
    run_sweep(plan, out, LocalEvaluator(workers=1))
    assert Store.open(out).table("statistics").equals(first)
