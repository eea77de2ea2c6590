"""The local process pool shares the machine's cores among its workers."""

from __future__ import annotations

import os

import numba

from wakusim.experiments.executors import LocalEvaluator


def test_pool_workers_divide_the_cores_among_them():
    cores = os.cpu_count() or 1
    for workers in (1, 2):
        with LocalEvaluator(workers=workers) as evaluator:
            pool = evaluator._pool
            assert pool is not None
            threads = pool.submit(numba.get_num_threads).result(timeout=120)
        expected = max(1, min(cores // workers, numba.config.NUMBA_NUM_THREADS))
        assert threads == expected
