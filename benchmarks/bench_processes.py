"""Where a month's time goes: each of the eight processes of ``engine.step``, timed.

``engine.run`` calls an observer after the initial state and after each process
and record (``after_process``); the script passes a clock, so it times the
engine's own loop. Usage::

    python benchmarks/bench_processes.py                     # 1e6 individuals, 96 months
    python benchmarks/bench_processes.py --size 100000 --months 24
    python benchmarks/bench_processes.py --size 100000 --months 12 --memory   # peak memory
    python benchmarks/bench_processes.py --months 24 --kernels   # and each compiled kernel
    python benchmarks/bench_processes.py --months 24 --cpu       # and the CPU time of each

With ``--kernels`` every compiled kernel that the processes and the record call
from Python (and the record's wealth sort) is wrapped in a clock for the run:
the second table gives the time inside each, per month. Calls on the record's
background threads overlap the others, so the rows do not add up to the month.

With ``--cpu`` the process table also gives the CPU time of each process (all
threads, ``time.process_time``) and how many cores it kept busy on average
(CPU time over wall time; 2.0 is a perfect split on two cores). The script then
runs with ``OMP_WAIT_POLICY=passive`` (it restarts itself with it), so that the
kernels' threads sleep while they wait instead of spinning: spinning would count
as CPU time. Passive waiting makes the run itself a little slower.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import tracemalloc
import types
from collections import defaultdict
from collections.abc import Callable

import numba
import numpy as np

import wakusim
from wakusim.api import prepare
from wakusim.core.engine import PROCESSES
from wakusim.core.engine import run as engine_run
from wakusim.core.kernels import SizedKernel
from wakusim.scenarios.calendar import month_label
from wakusim.scenarios.schema import Scenario


def timed_run(
    scenario: Scenario, seed: int, memory: bool = False, cpu: dict[str, float] | None = None
) -> tuple[dict[str, float], float]:
    """Run ``engine.run``, timing each process; return seconds by process and the set-up's.

    With ``memory``, the values are instead the largest peak of traced memory
    (``tracemalloc``: bytes allocated above what was held when the process began)
    of each process over the run, and the run is slower. A ``cpu`` dictionary is
    filled with the CPU seconds of each process (all threads).
    """
    clock = time.perf_counter
    spent: dict[str, float] = defaultdict(float)
    last = [0.0, 0.0]  # the previous mark's clock and CPU time

    def mark(name: str) -> None:
        """Charge what happened since the previous mark to process ``name``."""
        if memory:
            current, peak = tracemalloc.get_traced_memory()
            spent[name] = max(spent[name], float(peak) - last[0])
            last[0] = float(current)
            tracemalloc.reset_peak()
        else:
            now = clock()
            spent[name] += now - last[0]
            last[0] = now
            if cpu is not None:
                used = time.process_time()
                cpu[name] = cpu.get(name, 0.0) + used - last[1]
                last[1] = used

    if memory:
        tracemalloc.start()
    last[0] = 0.0 if memory else clock()
    last[1] = time.process_time()
    engine_run(scenario, rng=seed, after_process=mark)
    if memory:
        tracemalloc.stop()
    setup = spent.pop("set-up", 0.0)
    if cpu is not None:
        cpu.pop("set-up", None)
    return dict(spent), setup


class _NumpyWithClockedSort:
    """numpy, except that ``sort`` is wrapped in a clock (the record's wealth sort)."""

    def __init__(self, sort: Callable[..., np.ndarray]) -> None:
        self.sort = sort

    def __getattr__(self, name: str) -> object:
        return getattr(np, name)


def clock_kernels() -> tuple[dict[str, float], dict[str, int]]:
    """Wrap each compiled kernel called from the core's Python modules in a clock.

    Returns the seconds spent in each kernel and its number of calls (filled as the run
    goes). The wrappers replace the names in the calling modules (a kernel module
    imported whole is replaced by a namespace of wrapped kernels), so that the kernels
    themselves, compiled and cached, are untouched.
    """
    spent: dict[str, float] = defaultdict(float)
    calls: dict[str, int] = defaultdict(int)
    clock = time.perf_counter

    def wrapped(name: str, kernel: Callable[..., object]) -> Callable[..., object]:
        def timed(*args: object) -> object:
            start = clock()
            try:
                return kernel(*args)
            finally:
                spent[name] += clock() - start
                calls[name] += 1

        return timed

    def is_kernel(value: object) -> bool:
        return isinstance(value, (SizedKernel, numba.core.dispatcher.Dispatcher))

    for name, module in list(sys.modules.items()):
        if not name.startswith("wakusim.core") or name.startswith("wakusim.core.kernels"):
            continue
        for attr, value in list(vars(module).items()):
            if is_kernel(value):
                setattr(module, attr, wrapped(attr, value))
            elif isinstance(value, types.ModuleType) and value.__name__.startswith(
                "wakusim.core.kernels"
            ):
                namespace = types.SimpleNamespace(**vars(value))
                for kernel_name, kernel in vars(value).items():
                    if is_kernel(kernel) and not kernel_name.startswith("_"):
                        setattr(namespace, kernel_name, wrapped(kernel_name, kernel))
                setattr(module, attr, namespace)
    records = sys.modules["wakusim.core.records"]
    records.np = _NumpyWithClockedSort(wrapped("numpy sort", np.sort))
    return spent, calls


def print_cpu(spent: dict[str, float], cpu: dict[str, float], months: int) -> None:
    """Print wall and CPU time of each process per month, and the cores it kept busy."""
    print()
    print(
        f"| {'process':<22} | {'wall ms/month':>13} | {'CPU ms/month':>12} | {'cores busy':>10} |"
    )
    print(f"|{'-' * 24}|{'-' * 15}|{'-' * 14}|{'-' * 12}|")
    for name in [*PROCESSES, "all"]:
        wall = sum(spent.values()) if name == "all" else spent.get(name, 0.0)
        used = sum(cpu.values()) if name == "all" else cpu.get(name, 0.0)
        busy = used / wall if wall > 0 else 0.0
        print(
            f"| {name:<22} | {1e3 * wall / months:>13.1f} | {1e3 * used / months:>12.1f} "
            f"| {busy:>10.2f} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--months", type=int, default=96)
    parser.add_argument("--warmup", type=int, default=0)
    parser.add_argument("--scenario", default="history")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--memory",
        action="store_true",
        help="report each process's peak traced memory (bytes per individual) instead of time",
    )
    parser.add_argument(
        "--kernels", action="store_true", help="also time each compiled kernel (a second table)"
    )
    parser.add_argument(
        "--cpu",
        action="store_true",
        help="also the CPU time of each process and the cores it kept busy (waiting threads sleep)",
    )
    args = parser.parse_args()
    if args.cpu and os.environ.get("OMP_WAIT_POLICY") != "passive":
        # libgomp reads its settings when it loads: restart with sleeping waiters.
        env = dict(os.environ, OMP_WAIT_POLICY="passive")
        os.execve(sys.executable, [sys.executable, *sys.argv], env)
    prepare()  # load every compiled kernel, threaded variants included, before timing
    start = wakusim.load_scenario(args.scenario).start_month
    end = month_label(start + args.months - 1)
    sc = wakusim.load_scenario(
        args.scenario,
        {"population.size": args.size, "warmup_months": args.warmup, "end": end},
    )
    months = sc.n_months + sc.warmup_months
    if args.memory:
        peaks, _ = timed_run(sc, args.seed, memory=True)
        print(f"# {args.size:,} individuals, {months} months: peak traced memory by process")
        print(f"| {'process':<22} | {'peak MB':>8} | {'bytes/indiv':>11} |")
        print(f"|{'-' * 24}|{'-' * 10}|{'-' * 13}|")
        for name in PROCESSES:
            b = peaks.get(name, 0.0)
            print(f"| {name:<22} | {b / 2**20:>8.1f} | {b / args.size:>11.0f} |")
        return
    in_kernels, kernel_calls = clock_kernels() if args.kernels else ({}, {})
    cpu: dict[str, float] | None = {} if args.cpu else None
    spent, setup = timed_run(sc, args.seed, cpu=cpu)
    total = sum(spent.values())
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"# {args.size:,} individuals, {months} months; set-up {setup:.2f} s; load average {load}"
    )
    print(
        f"| {'process':<22} | {'total s':>8} | {'ms/month':>9} | {'ns/indiv':>9} | {'share':>6} |"
    )
    print(f"|{'-' * 24}|{'-' * 10}|{'-' * 11}|{'-' * 11}|{'-' * 8}|")
    for name in PROCESSES:
        s = spent.get(name, 0.0)
        print(
            f"| {name:<22} | {s:>8.2f} | {1e3 * s / months:>9.1f} "
            f"| {1e9 * s / months / args.size:>9.1f} | {s / total:>6.1%} |"
        )
    print(
        f"| {'all':<22} | {total:>8.2f} | {1e3 * total / months:>9.1f} "
        f"| {1e9 * total / months / args.size:>9.1f} | {1:>6.0%} |"
    )
    print(f"# {args.size * months / (total + setup):,.0f} agent-steps/s including set-up")
    if cpu is not None:
        print_cpu(spent, cpu, months)
    if in_kernels:
        print()
        print(f"| {'kernel':<22} | {'total s':>8} | {'ms/month':>9} | {'calls/month':>11} |")
        print(f"|{'-' * 24}|{'-' * 10}|{'-' * 11}|{'-' * 13}|")
        for name, seconds in sorted(in_kernels.items(), key=lambda item: -item[1]):
            print(
                f"| {name:<22} | {seconds:>8.2f} | {1e3 * seconds / months:>9.2f} "
                f"| {kernel_calls[name] / months:>11.1f} |"
            )


if __name__ == "__main__":
    main()
