"""Sensitivity analysis recovers known indices through the model's own code path.

The experiments below have a test function as their base instead of a scenario;
everything else -- sampler, seeds, local process pool, store, SALib analysis,
the ``wakusim sensitivity`` command -- is what a model experiment uses.
"""

from __future__ import annotations

import math
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from wakusim.experiments import LocalEvaluator, Store, load_experiment, run_sweep
from wakusim.experiments.functions import ishigami_indices
from wakusim.experiments.sensitivity import analyse

WAKUSIM = shutil.which("wakusim") or str(Path(sys.executable).with_name("wakusim"))
PI = math.pi

ISHIGAMI = {
    "name": "ishigami",
    "base": {"function": "ishigami"},
    "parameters": [{"path": f"x{i}", "range": [-PI, PI]} for i in (1, 2, 3)],
    "sampler": {"method": "sobol", "samples": 512, "seed": 1},
    "seed": 2024,
    "sensitivity": {"resamples": 200},
}


def test_sobol_indices_of_ishigami_are_recovered(tmp_path, experiment_file):
    out = tmp_path / "ishigami"
    run_sweep(load_experiment(experiment_file(ISHIGAMI)), out, LocalEvaluator(workers=2))
    proc = subprocess.run(
        [WAKUSIM, "sensitivity", str(out)], capture_output=True, text=True, timeout=300, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert "S1" in proc.stdout and "ST" in proc.stdout and "±" in proc.stdout
    assert (out / "sensitivity.png").stat().st_size > 10_000
    store = Store.open(out)
    assert len(store.done()) == 512 * 5
    table = analyse(store)
    truth = ishigami_indices()
    for index in ("S1", "ST"):
        part = table[table["index"] == index].set_index("parameter")
        for i, name in enumerate(["x1", "x2", "x3"]):
            estimate, conf = part.loc[name, "estimate"], part.loc[name, "conf"]
            assert abs(estimate - truth[index][i]) < 0.1, (index, name, estimate)
            assert abs(estimate - truth[index][i]) <= conf + 0.03, (index, name, estimate, conf)
            assert conf < 0.25
    # Exactly what SALib gives when it evaluates Ishigami itself on the same design.
    from SALib.analyze import sobol
    from SALib.test_functions import Ishigami

    design = store.design[["x1", "x2", "x3"]].to_numpy()
    problem = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-PI, PI]] * 3}
    direct = sobol.analyze(problem, Ishigami.evaluate(design), calc_second_order=False)
    for index in ("S1", "ST"):
        part = table[table["index"] == index]["estimate"].to_numpy()
        assert part == pytest.approx(direct[index], abs=1e-9)
    # The stored indices are what `analyse` gives, and the command on the folder agrees.
    stored = duckdb.sql(f"SELECT * FROM '{out}/sensitivity.parquet'").df()
    assert stored["estimate"].round(12).tolist() == table["estimate"].round(12).tolist()


def test_morris_ranks_the_linear_function_by_its_known_effects(tmp_path, experiment_file):
    data = {
        "name": "morris-linear",
        "base": {"function": "linear"},
        "parameters": [
            {"path": "x1", "range": [0, 1]},
            {"path": "x2", "range": [0, 1]},
            {"path": "x3", "range": [0, 2]},
        ],
        "sampler": {"method": "morris", "samples": 10, "levels": 4},
        "seed": 3,
    }
    plan = load_experiment(experiment_file(data))
    run_sweep(plan, tmp_path / "morris", LocalEvaluator(workers=1))
    table = analyse(Store.open(tmp_path / "morris"), ["y"])
    mu_star = table[table["index"] == "mu_star"].set_index("parameter")["estimate"]
    # y = x1 + 2 x2 + 3 x3: SALib scales effects to the unit range, so mu* = 1, 2, 3 * 2.
    assert mu_star.to_dict() == pytest.approx({"x1": 1.0, "x2": 2.0, "x3": 6.0})
    sigma = table[table["index"] == "sigma"]["estimate"]
    assert sigma.abs().max() < 1e-9


def test_sensitivity_refuses_a_factorial_sweep(tmp_path, experiment_file):
    data = {
        "name": "grid",
        "base": {"function": "linear"},
        "parameters": [{"path": "x1", "values": [0, 1]}],
        "seed": 1,
    }
    plan = load_experiment(experiment_file(data))
    run_sweep(plan, tmp_path / "grid", LocalEvaluator(workers=1))
    proc = subprocess.run(
        [WAKUSIM, "sensitivity", str(tmp_path / "grid")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 2
    assert "needs the sobol or morris sampler" in proc.stderr
    assert "Traceback" not in proc.stderr
