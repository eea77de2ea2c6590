"""Run an experiment: every missing run, on an evaluator, into a store.

The driver keeps a bounded number of runs in flight, records each result as it
arrives, resubmits a run whose attempt failed (an exception or a dead worker)
until ``max_attempts``, then records it as failed and goes on with the rest.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

from wakusim.experiments.executors import Evaluator
from wakusim.experiments.schema import ExperimentPlan
from wakusim.experiments.seeds import RunKey
from wakusim.experiments.store import Store
from wakusim.experiments.tasks import TaskResult, TaskSpec

Progress = Callable[[int, int, int], None]


@dataclass(frozen=True)
class SweepReport:
    """What a sweep did."""

    total: int
    already_done: int
    completed: int
    failed: int
    retried: int
    seconds: float

    @property
    def runs_per_second(self) -> float:
        """Runs completed by this sweep per second of wall time."""
        return self.completed / self.seconds if self.seconds > 0 else float("nan")


def task_spec(store: Store, key: RunKey) -> TaskSpec:
    """Build the self-contained spec of one run of a store's experiment."""
    plan = store.plan
    stats = tuple(
        {
            "name": s.label,
            "column": s.column,
            "at": s.at,
            "reduce": s.reduce,
            "from": s.start,
            "to": s.end,
        }
        for s in plan.statistics
    )
    base = plan.experiment.base
    return TaskSpec(
        run_id=key.run_id,
        point=key.point,
        replication=key.replication,
        index=key.index,
        entropy=store.entropy,
        overrides=store.overrides_of(key.point),
        base_scenario=plan.base_scenario,
        function=base.function,
        options=dict(base.options),
        timeseries=tuple(plan.timeseries),
        statistics=stats,
    )


def run_sweep(
    plan: ExperimentPlan,
    out: str | Path,
    evaluator: Evaluator,
    progress: Progress | None = None,
) -> SweepReport:
    """Run every missing run of an experiment and store the results.

    Parameters
    ----------
    plan
        The loaded experiment (:func:`wakusim.experiments.load_experiment`).
    out
        The results folder: created, or resumed if it holds the same experiment.
    evaluator
        Where runs execute (entered here; do not enter it yourself).
    progress
        Called as ``progress(done, failed, total)`` after every run.

    Returns
    -------
    SweepReport
        Counts and wall time.
    """
    store = Store.create(out, plan)
    return run_store(store, evaluator, progress)


def run_store(store: Store, evaluator: Evaluator, progress: Progress | None = None) -> SweepReport:
    """Run every missing run of an opened store (see :func:`run_sweep`).

    Quick runs are sent in chunks (sized so that a chunk takes about
    :data:`CHUNK_SECONDS`), and results are written by a few threads, so that
    the driver keeps up with many workers.
    """
    store.lock()
    try:
        return _run_locked(store, evaluator, progress)
    finally:
        store.unlock()


def _run_locked(store: Store, evaluator: Evaluator, progress: Progress | None) -> SweepReport:
    store.tidy()
    started = time.perf_counter()
    total = len(store.keys)
    missing = store.missing()
    already = total - len(missing)
    keys = {k.run_id: k for k in missing}
    max_attempts = store.plan.experiment.max_attempts
    queue: deque[TaskSpec] = deque(task_spec(store, k) for k in missing)
    counts = {"done": already, "failed": 0, "retried": 0}
    timing = _Timing()
    writes: deque[Future[str]] = deque()
    if progress:
        progress(already, 0, total)

    def settle(block: bool) -> None:
        # Count finished writes in submission order; re-raise a write error.
        while writes and (block or writes[0].done()):
            outcome = writes.popleft().result()
            counts[outcome] += 1
            if progress:
                progress(counts["done"], counts["failed"], total)

    with ThreadPoolExecutor(WRITERS, thread_name_prefix="wakusim-store") as writer, evaluator:

        def top_up() -> None:
            while queue and evaluator.in_flight < evaluator.capacity:
                size = timing.chunk(len(queue), evaluator.capacity)
                evaluator.submit([queue.popleft() for _ in range(min(size, len(queue)))])

        top_up()
        for spec, result in evaluator.as_completed():
            key = keys[spec.run_id]
            if result.ok:
                timing.add(result.seconds)
                writes.append(writer.submit(_record, store, key, result))
            elif spec.attempt < max_attempts:
                queue.appendleft(replace(spec, attempt=spec.attempt + 1))
                counts["retried"] += 1
            else:
                writes.append(writer.submit(_record_failure, store, key, result))
            settle(block=len(writes) > 4 * WRITERS)
            top_up()
        settle(block=True)
    return SweepReport(
        total=total,
        already_done=already,
        completed=counts["done"] - already,
        failed=counts["failed"],
        retried=counts["retried"],
        seconds=time.perf_counter() - started,
    )


WRITERS = 4
CHUNK_SECONDS = 0.2
MAX_CHUNK = 200


def _record(store: Store, key: RunKey, result: TaskResult) -> str:
    store.record(key, result)
    return "done"


def _record_failure(store: Store, key: RunKey, result: TaskResult) -> str:
    store.record_failure(key, result)
    return "failed"


class _Timing:
    """Running mean of run times, to size chunks."""

    def __init__(self) -> None:
        self.count = 0
        self.mean = 0.0

    def add(self, seconds: float) -> None:
        self.count += 1
        self.mean += (seconds - self.mean) / self.count

    def chunk(self, queued: int, capacity: int) -> int:
        """Size a chunk: one run until run times are known, then about CHUNK_SECONDS of work."""
        if self.count < 2:
            return 1
        size = int(CHUNK_SECONDS / max(self.mean, 1e-6))
        balance = max(1, queued // max(1, capacity))  # keep every worker busy to the end
        return max(1, min(size, MAX_CHUNK, balance))
