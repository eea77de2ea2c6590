"""Evaluators: where runs execute, separate from what the experiment is.

In the style of the EMA Workbench, an evaluator is a context manager that runs
:func:`wakusim.experiments.tasks.execute` on task specs: :class:`LocalEvaluator`
on a local process pool, :class:`DaskEvaluator` on an existing Dask
distributed cluster. Both offer the same two calls: :meth:`submit` (a chunk of one or more runs) and
:meth:`as_completed`, which yields ``(spec, result)`` for every run as its chunk
finishes, including chunks submitted while iterating. A worker that dies is reported as a
failed attempt (``result.lost``) and the caller decides whether to resubmit.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from types import TracebackType
from typing import Any

from wakusim.errors import WakusimInputError
from wakusim.experiments.tasks import TaskResult, TaskSpec, execute_many


class Evaluator(ABC):
    """Common interface of the evaluators (use as a context manager)."""

    label = "evaluator"

    @property
    @abstractmethod
    def capacity(self) -> int:
        """How many runs to keep submitted at once."""

    @property
    @abstractmethod
    def in_flight(self) -> int:
        """Chunks submitted and not yet yielded by :meth:`as_completed`."""

    @property
    @abstractmethod
    def workers(self) -> int:
        """Workers available now."""

    @abstractmethod
    def submit(self, specs: list[TaskSpec]) -> None:
        """Start a chunk of runs (performed one after the other by one worker)."""

    @abstractmethod
    def as_completed(self) -> Iterator[tuple[TaskSpec, TaskResult]]:
        """Yield ``(spec, result)`` as runs finish, until none is in flight."""

    def __enter__(self) -> Evaluator:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:  # noqa: B027 - optional hook: nothing to release by default
        """Release the workers."""


def _lost(spec: TaskSpec, why: str) -> TaskResult:
    return TaskResult(spec.run_id, ok=False, error=why, attempt=spec.attempt)


def _watch_parent(parent: int) -> None:
    """In a pool worker: exit when the driver that started it is gone."""

    def watch() -> None:
        while True:
            try:
                os.kill(parent, 0)
            except ProcessLookupError:
                os._exit(1)
            except PermissionError:  # pragma: no cover - pid reused by another user
                os._exit(1)
            time.sleep(0.5)

    threading.Thread(target=watch, daemon=True, name="wakusim-parent-watch").start()


def _init_worker(parent: int, threads: int) -> None:
    """In a pool worker: watch the driver, and share the cores with the other workers.

    Each worker gives the compiled kernels ``threads`` threads (the machine's
    cores divided among the workers), so that the workers do not fight over
    the cores; results do not depend on the number of threads.
    """
    _watch_parent(parent)
    import numba

    numba.set_num_threads(max(1, min(threads, numba.config.NUMBA_NUM_THREADS)))


PRELOAD = ["wakusim.experiments.tasks", "wakusim.api", "wakusim.scenarios.loader"]


class LocalEvaluator(Evaluator):
    """Runs on a pool of local processes (:class:`concurrent.futures.ProcessPoolExecutor`).

    Parameters
    ----------
    workers
        Number of worker processes (default: the number of CPUs).

    Notes
    -----
    Workers are forked from a clean ``forkserver`` process that has imported
    the model once (fast to start, safe in a threaded driver); they exit by
    themselves if the driver dies. Each worker's compiled kernels use the
    machine's cores divided by the number of workers (at least one thread).
    When a worker process dies, the pool breaks: every run then in flight is
    reported as a lost attempt and a fresh pool is started.
    """

    label = "local"

    def __init__(self, workers: int | None = None) -> None:
        self._workers = max(1, int(workers or os.cpu_count() or 1))
        self._pool: ProcessPoolExecutor | None = None
        self._futures: dict[Future[list[TaskResult]], list[TaskSpec]] = {}
        self.restarts = 0

    @property
    def workers(self) -> int:
        """Number of worker processes."""
        return self._workers

    @property
    def capacity(self) -> int:
        """Twice the workers: each has a chunk queued behind the one it performs."""
        return 2 * self.workers

    @property
    def in_flight(self) -> int:
        """Chunks submitted and not yet yielded."""
        return len(self._futures)

    def _start(self) -> ProcessPoolExecutor:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(PRELOAD)
        return ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=context,
            initializer=_init_worker,
            initargs=(os.getpid(), (os.cpu_count() or 1) // self.workers),
        )

    def __enter__(self) -> LocalEvaluator:
        self._pool = self._start()
        return self

    def submit(self, specs: list[TaskSpec]) -> None:
        """Start a chunk of runs on the pool."""
        if self._pool is None:
            raise RuntimeError("use the evaluator as a context manager")
        try:
            future = self._pool.submit(execute_many, specs)
        except BrokenProcessPool:
            self._restart()
            future = self._pool.submit(execute_many, specs)
        self._futures[future] = specs

    def _restart(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        self.restarts += 1
        self._pool = self._start()

    def as_completed(self) -> Iterator[tuple[TaskSpec, TaskResult]]:
        """Yield finished runs; a broken pool reports every run in flight as lost."""
        while self._futures:
            finished, _ = wait(list(self._futures), return_when=FIRST_COMPLETED)
            outcomes = [self._outcome(f, self._futures.pop(f)) for f in finished]
            if any(lost for _, lost in outcomes):
                # The pool is broken: every chunk still in flight is lost with it,
                # unless it finished just before.
                for future, specs in list(self._futures.items()):
                    outcomes.append(self._outcome(future, specs))
                self._futures.clear()
                self._restart()
            for pairs, _ in outcomes:
                yield from pairs

    @staticmethod
    def _outcome(
        future: Future[list[TaskResult]], specs: list[TaskSpec]
    ) -> tuple[list[tuple[TaskSpec, TaskResult]], bool]:
        why = "a worker process died while this run was in flight"
        if not future.done():
            return [(s, _lost(s, why)) for s in specs], True
        try:
            return list(zip(specs, future.result(), strict=True)), False
        except BrokenProcessPool:
            return [(s, _lost(s, why)) for s in specs], True
        except Exception as exc:  # noqa: BLE001 - e.g. a spec that cannot be pickled
            return [(s, _lost(s, f"{type(exc).__name__}: {exc}")) for s in specs], False

    def close(self) -> None:
        """Stop the pool (runs not yet started are cancelled)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


class DaskEvaluator(Evaluator):
    """Runs on an existing Dask distributed cluster.

    Parameters
    ----------
    address
        The scheduler, e.g. ``tcp://10.0.0.5:8786``. Workers must have the same
        version of wakusim installed; they need no shared file system (the
        driver writes every result).
    timeout
        Seconds to wait for the scheduler.

    Notes
    -----
    The scheduler itself reschedules the runs of a worker that dies; a run
    whose workers die too often comes back as ``KilledWorker`` and is reported
    as a lost attempt.
    """

    label = "dask"

    def __init__(self, address: str, timeout: float = 20.0) -> None:
        self.address = address
        self.timeout = timeout
        self._client: Any = None
        self._pending: Any = None
        self._specs: dict[str, list[TaskSpec]] = {}
        self._token = uuid.uuid4().hex[:8]

    def __enter__(self) -> DaskEvaluator:
        try:
            from distributed import Client, as_completed
        except ImportError:  # pragma: no cover - depends on the installation
            raise WakusimInputError(
                "--scheduler needs dask distributed: pip install 'wakusim[experiments]'"
            ) from None
        try:
            self._client = Client(self.address, timeout=f"{self.timeout}s", set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            raise WakusimInputError(
                f"cannot connect to the Dask scheduler at {self.address}: {exc}"
            ) from None
        self._pending = as_completed([], loop=self._client.loop)
        return self

    @property
    def workers(self) -> int:
        """Threads available on the cluster now."""
        info = self._client.scheduler_info() if self._client else {}
        return sum(w.get("nthreads", 1) for w in info.get("workers", {}).values())

    @property
    def capacity(self) -> int:
        """Twice the cluster's threads (at least 2)."""
        return max(2, 2 * self.workers)

    @property
    def in_flight(self) -> int:
        """Chunks submitted and not yet yielded."""
        return len(self._specs)

    def submit(self, specs: list[TaskSpec]) -> None:
        """Send a chunk of runs to the cluster."""
        first = specs[0]
        key = f"wakusim-{first.run_id}-n{len(specs)}-a{first.attempt}-{self._token}"
        future = self._client.submit(execute_many, specs, key=key, pure=False, retries=0)
        self._specs[future.key] = specs
        self._pending.add(future)

    def as_completed(self) -> Iterator[tuple[TaskSpec, TaskResult]]:
        """Yield finished runs; a ``KilledWorker`` is reported as a lost attempt."""
        from distributed import KilledWorker

        for future in self._pending:
            specs = self._specs.pop(future.key)
            try:
                results = future.result()
            except KilledWorker as exc:
                why = f"workers died while running it (KilledWorker: {exc})"
                results = [_lost(s, why) for s in specs]
            except Exception as exc:  # noqa: BLE001 - e.g. cancelled, cannot deserialise
                results = [_lost(s, f"{type(exc).__name__}: {exc}") for s in specs]
            future.release()
            yield from zip(specs, results, strict=True)

    def close(self) -> None:
        """Disconnect (pending runs are forgotten by the scheduler)."""
        if self._client is not None:
            self._client.close()
            self._client = None
