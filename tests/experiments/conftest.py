"""Fixtures of the experiment tests: small experiment files and a real loopback Dask cluster.

Fixtures return paths or factories (conftest modules are not imported by tests).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

DASK = str(Path(sys.executable).with_name("dask"))

# A small model experiment: 6 points x 4 replications of a 1,000-person, 2-year run.
SMALL_MODEL: dict[str, Any] = {
    "name": "small",
    "description": "A small sweep for tests.",
    "base": {
        "scenario": "history",
        "overrides": {"population.size": 600, "warmup_months": 0, "end": "2020-06"},
    },
    "parameters": [
        {"path": "enforcement.inspection_rate", "values": [0.01, 0.05, 0.2]},
        {"path": "state.surrender_rate", "name": "surrender", "values": [0.1, 0.4]},
    ],
    "replications": 4,
    "seed": 11,
    "observables": {
        "timeseries": ["share_partner", "share_member", "revenue_total"],
        "statistics": [
            {"column": "share_member", "at": "2019-12", "name": "member_2019_12"},
            {"column": "revenue_total", "reduce": "sum", "name": "revenue"},
            {"column": "arrests_partner", "reduce": "sum", "from": "2019-06", "to": "2020-06"},
        ],
    },
}


def write_experiment(folder: Path, data: dict[str, Any], name: str = "exp.yaml") -> Path:
    path = folder / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def experiment_file(tmp_path: Path) -> Callable[..., Path]:
    """Factory: write an experiment (default: the small model sweep) and return its path."""

    def make(data: dict[str, Any] | None = None, name: str = "exp.yaml") -> Path:
        return write_experiment(tmp_path, data if data is not None else SMALL_MODEL, name)

    return make


@pytest.fixture
def small_model() -> dict[str, Any]:
    """A deep copy of the small model experiment, to modify."""
    import copy

    return copy.deepcopy(SMALL_MODEL)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Cluster:
    """A real Dask cluster on loopback: one scheduler and worker processes."""

    def __init__(self, workers: int, nanny: bool = True) -> None:
        self.port = _free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"
        self.procs: list[subprocess.Popen] = []
        env = dict(os.environ)
        self.scheduler = self._start(
            [DASK, "scheduler", "--host", "127.0.0.1", "--port", str(self.port), "--no-dashboard"],
            env,
        )
        worker_args = ["--nworkers", "1", "--nthreads", "1", "--no-dashboard"]
        if not nanny:
            worker_args.append("--no-nanny")
        self.workers = [
            self._start([DASK, "worker", self.address, *worker_args], env) for _ in range(workers)
        ]
        from distributed import Client

        deadline = time.monotonic() + 60
        while True:
            try:
                with Client(self.address, timeout="5s") as client:
                    client.wait_for_workers(workers, timeout=60)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)

    def _start(self, args: list[str], env: dict[str, str]) -> subprocess.Popen:
        proc = subprocess.Popen(
            args,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
        )
        self.procs.append(proc)
        return proc

    def worker_pids(self, client: Any) -> list[int]:
        """Pids of the processes that execute tasks (the nannies' children)."""
        info = client.run(os.getpid)
        return sorted(info.values())

    def close(self) -> None:
        for proc in reversed(self.procs):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)


@pytest.fixture
def dask_cluster() -> Iterator[Callable[..., Cluster]]:
    """Factory: start a loopback Dask cluster (torn down after the test)."""
    started: list[Cluster] = []

    def start(workers: int = 2, nanny: bool = True) -> Cluster:
        cluster = Cluster(workers, nanny)
        started.append(cluster)
        return cluster

    yield start
    for cluster in started:
        cluster.close()
