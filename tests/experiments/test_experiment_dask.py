"""The same sweep on the local pool and on a real Dask cluster (loopback) gives identical results.

A worker killed mid-sweep does not lose or duplicate runs.
"""

from __future__ import annotations

import os
import signal

import pandas as pd
from pandas.testing import assert_frame_equal

from wakusim.experiments import DaskEvaluator, LocalEvaluator, Store, load_experiment, run_sweep

VOLATILE = ["seconds", "worker", "attempts"]


def tables(folder) -> dict[str, pd.DataFrame]:
    store = Store.open(folder)
    return {
        "statistics": store.table("statistics"),
        "timeseries": store.table("timeseries"),
        "runs": store.table("runs").drop(columns=VOLATILE),
    }


def assert_same(a, b) -> None:
    for name in a:
        assert len(a[name]) > 0, name
        assert_frame_equal(a[name], b[name], check_exact=True, obj=name)


def test_local_pool_and_dask_cluster_store_identical_results(
    tmp_path, experiment_file, dask_cluster
):
    plan = load_experiment(experiment_file())
    one = run_sweep(plan, tmp_path / "local1", LocalEvaluator(workers=1))
    two = run_sweep(plan, tmp_path / "local2", LocalEvaluator(workers=2))
    cluster = dask_cluster(2)
    dask = run_sweep(plan, tmp_path / "dask", DaskEvaluator(cluster.address))
    assert one.completed == two.completed == dask.completed == 24
    assert one.failed == two.failed == dask.failed == 0
    reference = tables(tmp_path / "local1")
    assert_same(reference, tables(tmp_path / "local2"))
    assert_same(reference, tables(tmp_path / "dask"))
    # Both Dask workers did some of the work.
    workers = Store.open(tmp_path / "dask").table("runs")["worker"].nunique()
    assert workers == 2
    # The tidy tables carry every varied parameter and one row per run x month / statistic.
    stats = reference["statistics"]
    assert {"run_id", "point", "replication", "inspection_rate", "surrender"} <= set(stats)
    assert len(stats) == 24 * 3
    assert len(reference["timeseries"]) == 24 * 18


def test_killing_a_dask_worker_mid_sweep_loses_and_duplicates_nothing(
    tmp_path, experiment_file, dask_cluster
):
    plan = load_experiment(experiment_file())
    reference = run_sweep(plan, tmp_path / "ref", LocalEvaluator(workers=2))
    assert reference.completed == 24
    cluster = dask_cluster(2)
    evaluator = DaskEvaluator(cluster.address)
    killed: list[int] = []

    def kill_one_worker(done: int, failed: int, total: int) -> None:
        if done >= 6 and not killed:
            pids = cluster.worker_pids(evaluator._client)
            os.kill(pids[0], signal.SIGKILL)
            killed.append(pids[0])

    report = run_sweep(plan, tmp_path / "dask", evaluator, progress=kill_one_worker)
    assert killed, "the sweep ended before a worker could be killed"
    assert report.failed == 0
    store = Store.open(tmp_path / "dask")
    runs = store.table("runs")
    assert sorted(runs["run_id"]) == sorted(k.run_id for k in store.keys)
    assert runs["run_id"].is_unique
    assert len(list((tmp_path / "dask" / "statistics").glob("*.parquet"))) == 24
    assert_same(tables(tmp_path / "ref"), tables(tmp_path / "dask"))
