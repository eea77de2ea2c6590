"""Runs per second of a small fixed sweep: 1 and 2 local workers, and a loopback Dask cluster.

Usage: python benchmarks/bench_sweep.py [--replications 6]

The experiment: 4 points x R replications of the history scenario with 1,000
individuals, 2019-01 to 2020-12, no warm-up. Wall time includes starting the
workers (pool or connection); the Dask cluster (scheduler + 2 workers with one
thread each, on 127.0.0.1) is started before timing.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from wakusim.experiments import (
    DaskEvaluator,
    LocalEvaluator,
    Store,
    load_experiment,
    run_sweep,
)

EXPERIMENT = {
    "name": "bench",
    "base": {
        "scenario": "history",
        "overrides": {"population.size": 1000, "warmup_months": 0, "end": "2020-12"},
    },
    "parameters": [
        {"path": "enforcement.inspection_rate", "values": [0.02, 0.1]},
        {"path": "enforcement.partner_detention", "values": [6, 24]},
    ],
    "replications": 6,
    "seed": 1,
    "observables": {
        "timeseries": ["share_partner", "share_member", "revenue_total"],
        "statistics": [{"column": "share_member", "at": "2020-12", "name": "member"}],
    },
}


def start_cluster(workers: int) -> tuple[str, list[subprocess.Popen]]:
    dask = str(Path(sys.executable).with_name("dask"))
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    procs = [
        subprocess.Popen(
            [dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    ]
    for _ in range(workers):
        procs.append(
            subprocess.Popen(
                [dask, "worker", address, "--nworkers", "1", "--nthreads", "1", "--no-dashboard"],
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        )
    from distributed import Client

    time.sleep(1)
    with Client(address, timeout="30s") as client:
        client.wait_for_workers(workers, timeout=60)
    return address, procs


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--replications", type=int, default=6)
    args = parser.parse_args()
    EXPERIMENT["replications"] = args.replications
    folder = Path(tempfile.mkdtemp(prefix="wakusim-bench-"))
    import yaml

    path = folder / "bench.yaml"
    path.write_text(yaml.safe_dump(EXPERIMENT))
    plan = load_experiment(path)
    # Start-up costs, kept out of the rates below: the forkserver that imports the model
    # once for all local pools, and the import of the model on each Dask worker.
    clock = time.perf_counter()
    with LocalEvaluator(1) as warm:
        warm.submit([])
        list(warm.as_completed())
    print(f"local forkserver start-up (once per driver): {time.perf_counter() - clock:.2f} s")
    rows = []
    for label, make in [
        ("local, 1 worker", lambda: LocalEvaluator(1)),
        ("local, 2 workers", lambda: LocalEvaluator(2)),
    ]:
        report = run_sweep(plan, folder / label.replace(" ", "").replace(",", "-"), make())
        rows.append((label, report))
    clock = time.perf_counter()
    address, procs = start_cluster(2)
    print(f"loopback Dask cluster start-up: {time.perf_counter() - clock:.2f} s")
    try:
        from distributed import Client

        with Client(address) as client:
            client.run(__import__, "wakusim.experiments.tasks")
        report = run_sweep(plan, folder / "dask", DaskEvaluator(address))
        rows.append(("dask loopback, 2 workers", report))
    finally:
        for proc in reversed(procs):
            os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            proc.wait(timeout=30)
    runs = Store.open(folder / "dask").table("runs")
    overrides = EXPERIMENT["base"]["overrides"]
    print(f"{len(runs)} runs of {overrides}; mean run {runs.seconds.mean():.3f} s")
    print(f"{'executor':28s} {'runs':>5s} {'wall s':>8s} {'runs/s':>8s}")
    for label, report in rows:
        print(
            f"{label:28s} {report.completed:5d} {report.seconds:8.2f} {report.runs_per_second:8.2f}"
        )
    print(f"stores in {folder}")


if __name__ == "__main__":
    main()
