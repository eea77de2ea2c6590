"""What a worker executes: one run, from its spec to the numbers kept.

:func:`run_task` is a pure function of its :class:`TaskSpec` (which carries the
resolved base scenario itself, not a path, so that workers need no shared file
system). :func:`execute` wraps it for executors: an exception becomes a
:class:`TaskResult` with the error text instead of propagating.
"""

from __future__ import annotations

import os
import socket
import time
import traceback
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from wakusim.scenarios.calendar import month_index


@dataclass(frozen=True)
class TaskSpec:
    """Everything needed to perform one run, picklable and self-contained."""

    run_id: str
    point: int
    replication: int
    index: int
    entropy: int
    overrides: dict[str, Any]
    base_scenario: dict[str, Any] | None = None
    function: str | None = None
    options: dict[str, float] = field(default_factory=dict)
    timeseries: tuple[str, ...] = ()
    statistics: tuple[dict[str, Any], ...] = ()
    attempt: int = 1

    @property
    def spawn_key(self) -> tuple[int, ...]:
        """Spawn key of the run's ``SeedSequence`` under the root."""
        return (self.index,)

    def seed_sequence(self) -> np.random.SeedSequence:
        """Return the run's ``SeedSequence``."""
        return np.random.SeedSequence(self.entropy, spawn_key=self.spawn_key)


@dataclass
class TaskResult:
    """The outcome of one attempt at a run."""

    run_id: str
    ok: bool
    timeseries: pd.DataFrame | None = None
    statistics: dict[str, float] = field(default_factory=dict)
    error: str = ""
    seconds: float = 0.0
    worker: str = ""
    attempt: int = 1


def run_task(spec: TaskSpec) -> tuple[pd.DataFrame | None, dict[str, float]]:
    """Perform one run and reduce it to the kept observables.

    Parameters
    ----------
    spec
        The run: base (scenario data or test function), the point's overrides,
        the root entropy and the run's spawn index.

    Returns
    -------
    tuple
        The kept monthly series (index ``month``) or ``None``, and the
        statistics by name.
    """
    if spec.function is not None:
        from wakusim.experiments.functions import FUNCTIONS

        rng = np.random.default_rng(spec.seed_sequence())
        outputs = FUNCTIONS[spec.function](rng, **spec.options, **spec.overrides)
        return None, {s["name"]: float(outputs[s["column"]]) for s in spec.statistics}
    from wakusim.api import simulate
    from wakusim.scenarios.loader import load_scenario

    scenario = load_scenario(spec.base_scenario or {}, dict(spec.overrides))
    frame = simulate(scenario, rng=spec.seed_sequence()).timeseries
    kept = frame[list(spec.timeseries)].copy() if spec.timeseries else None
    return kept, {s["name"]: reduce_statistic(frame, s) for s in spec.statistics}


def reduce_statistic(frame: pd.DataFrame, stat: dict[str, Any]) -> float:
    """One statistic of a run's monthly frame (index ``YYYY-MM``).

    ``stat`` holds ``column`` and either ``at`` (a month) or ``reduce`` with an
    optional window ``from``/``to``.
    """
    series = frame[stat["column"]].astype(float)
    if stat.get("at"):
        return float(series.loc[stat["at"]])
    months = np.array([month_index(m) for m in frame.index])
    keep = np.ones(len(series), dtype=bool)
    if stat.get("from"):
        keep &= months >= month_index(stat["from"])
    if stat.get("to"):
        keep &= months <= month_index(stat["to"])
    values = series[keep]
    how = stat.get("reduce") or "mean"
    if how == "first":
        return float(values.iloc[0])
    if how == "last":
        return float(values.iloc[-1])
    return float(getattr(values, how)())


def execute(spec: TaskSpec) -> TaskResult:
    """Run a task on a worker; an exception is returned as a failed result with its text."""
    started = time.perf_counter()
    worker = f"{socket.gethostname()}:{os.getpid()}"
    try:
        series, stats = run_task(spec)
    except Exception as exc:  # noqa: BLE001 - recorded as the run's error
        text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        detail = "".join(traceback.format_exception(exc))
        return TaskResult(
            spec.run_id,
            ok=False,
            error=f"{text}\n\n{detail}",
            seconds=time.perf_counter() - started,
            worker=worker,
            attempt=spec.attempt,
        )
    return TaskResult(
        spec.run_id,
        ok=True,
        timeseries=series,
        statistics=stats,
        seconds=time.perf_counter() - started,
        worker=worker,
        attempt=spec.attempt,
    )


def execute_many(specs: list[TaskSpec]) -> list[TaskResult]:
    """Run a chunk of tasks one after the other (fewer round trips for quick runs)."""
    return [execute(spec) for spec in specs]
