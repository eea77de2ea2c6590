"""Crashes lose nothing: a killed pool worker, a killed driver, runs that raise."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import psutil
from pandas.testing import assert_frame_equal

from wakusim.experiments import LocalEvaluator, Store, load_experiment, run_sweep

WAKUSIM = shutil.which("wakusim") or str(Path(sys.executable).with_name("wakusim"))
VOLATILE = ["seconds", "worker", "attempts"]


def tables(folder: Path) -> dict[str, pd.DataFrame]:
    store = Store.open(folder)
    return {
        "statistics": store.table("statistics"),
        "timeseries": store.table("timeseries"),
        "runs": store.table("runs").drop(columns=VOLATILE),
    }


def assert_same(a: dict[str, pd.DataFrame], b: dict[str, pd.DataFrame]) -> None:
    for name in a:
        assert len(a[name]) > 0
        assert_frame_equal(a[name], b[name], check_exact=True, obj=name)


def assert_each_run_once(folder: Path) -> None:
    store = Store.open(folder)
    expected = sorted(k.run_id for k in store.keys)
    for table in ("runs", "statistics", "timeseries"):
        files = sorted(p.stem for p in (folder / table).glob("*.parquet"))
        assert files == expected, table
    assert not list(folder.rglob(".*.tmp-*"))
    runs = store.table("runs")
    assert runs["run_id"].tolist() == expected


def test_killing_a_local_worker_mid_sweep_loses_and_duplicates_nothing(tmp_path, experiment_file):
    plan = load_experiment(experiment_file())
    run_sweep(plan, tmp_path / "ref", LocalEvaluator(workers=1))
    evaluator = LocalEvaluator(workers=2)
    killed: list[int] = []

    def kill_one_worker(done: int, failed: int, total: int) -> None:
        if done >= 5 and not killed:
            pid = sorted(evaluator._pool._processes)[0]
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    report = run_sweep(plan, tmp_path / "killed", evaluator, progress=kill_one_worker)
    assert killed
    assert evaluator.restarts >= 1
    assert report.failed == 0 and report.retried >= 1
    assert_each_run_once(tmp_path / "killed")
    assert_same(tables(tmp_path / "ref"), tables(tmp_path / "killed"))


def test_killing_the_driver_then_resume_completes_identically(
    tmp_path, experiment_file, small_model
):
    small_model["replications"] = 8  # 48 runs
    path = experiment_file(small_model)
    run_sweep(load_experiment(path), tmp_path / "ref", LocalEvaluator(workers=2))
    out = tmp_path / "killed"
    command = [WAKUSIM, "sweep", str(path), "--workers", "2", "--out", str(out)]
    driver = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while len(list((out / "runs").glob("*.parquet"))) < 8:
        assert driver.poll() is None, driver.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.02)
    children = psutil.Process(driver.pid).children(recursive=True)
    assert children, "the driver should have started pool workers"
    os.kill(driver.pid, signal.SIGKILL)
    driver.wait()
    stored = len(list((out / "runs").glob("*.parquet")))
    assert 8 <= stored < 48, "the sweep should have been interrupted"
    proc = subprocess.run(
        [*command, "--resume"], capture_output=True, text=True, timeout=300, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert f"{stored:,} were already stored" in proc.stdout.replace("\n", " ")
    assert_each_run_once(out)
    assert_same(tables(tmp_path / "ref"), tables(out))
    # The orphaned pool workers of the killed driver have exited by themselves.
    _, alive = psutil.wait_procs(children, timeout=10)
    assert alive == []
    # Re-running the same command again does nothing more.
    again = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert again.returncode == 0, again.stderr
    assert "0 runs done" in again.stdout


LINEAR = {
    "name": "flaky",
    "base": {"function": "linear", "options": {"fail_above": 0.6}},
    "parameters": [
        {"path": "x1", "values": [0.1, 0.5, 0.9]},
        {"path": "x2", "values": [1.0, 2.0]},
    ],
    "replications": 2,
    "seed": 5,
    "max_attempts": 2,
}


def test_a_run_that_raises_is_retried_then_recorded_as_failed(tmp_path, experiment_file):
    path = experiment_file(LINEAR)
    out = tmp_path / "flaky"
    proc = subprocess.run(
        [WAKUSIM, "sweep", str(path), "--workers", "2", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr
    assert "8 of 12 complete, 4 failed" in proc.stdout.replace("\n", " ")
    assert "RuntimeError: x1 = 0.9 is above fail_above = 0.6" in proc.stdout
    store = Store.open(out)
    failures = store.failures()
    assert sorted(failures) == ["p00004-r000", "p00004-r001", "p00005-r000", "p00005-r001"]
    record = failures["p00004-r000"]
    assert record["attempts"] == 2
    assert record["parameters"] == {"x1": 0.9, "x2": 1.0}
    assert "Traceback" in record["error"]
    stats = store.table("statistics")
    assert len(stats) == 8 * 2  # outputs y and draw
    y = stats[stats["statistic"] == "y"]
    assert (y["value"] == y["x1"] + 2 * y["x2"]).all()
