"""Where a month's time goes: each of the eight processes of ``engine.step``, timed.

The script holds a copy of ``wakusim.core.engine.run``/``step`` with a
``time.perf_counter`` around each process (the core is not edited). ``--check``
first runs the copy and ``engine.run`` on a small population with one seed and
stops if their records differ, so that a change to the engine that the copy
misses shows. Usage::

    python benchmarks/bench_processes.py                     # 1e6 individuals, 96 months
    python benchmarks/bench_processes.py --size 100000 --months 24 --check
    python benchmarks/bench_processes.py --size 100000 --months 12 --memory   # peak memory
"""

from __future__ import annotations

import argparse
import math
import os
import time
import tracemalloc
from collections import defaultdict
from typing import Any

import numpy as np

import wakusim
from wakusim.core.engine import run as engine_run
from wakusim.core.initial import initial_state
from wakusim.core.market import update_expectation
from wakusim.core.memory import keep_freed_memory
from wakusim.core.policy import policy_for_month
from wakusim.core.processes.accounting import account
from wakusim.core.processes.choice import revise_modes
from wakusim.core.processes.companies import decide_partners
from wakusim.core.processes.enforcement import enforce
from wakusim.core.processes.learning import (
    learn,
    set_true_beliefs,
    set_true_inspection,
    update_company_beliefs,
)
from wakusim.core.processes.trade import trade
from wakusim.core.records import month_record
from wakusim.scenarios.calendar import month_label
from wakusim.scenarios.schema import Scenario
from wakusim.scenarios.timeline import compile_timeline

PROCESSES = (
    "1 policy",
    "2 expectations",
    "3 companies decide",
    "4 individuals decide",
    "5 trade and market",
    "6 enforcement",
    "7 learning",
    "8 accounting",
    "  records",
)


def timed_run(
    scenario: Scenario, seed: int, memory: bool = False
) -> tuple[list[dict[str, Any]], dict[str, float], float]:
    """Run like ``engine.run``, timing each process; return records, seconds by process, setup.

    With ``memory``, the values are instead the largest peak of traced memory
    (``tracemalloc``: bytes allocated above what was held when the process began)
    of each process over the run, and the run is slower.
    """
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    clock = time.perf_counter
    spent: dict[str, float] = defaultdict(float)
    last = [0.0]

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

    if memory:
        tracemalloc.start()
    with keep_freed_memory():  # as engine.run
        t0 = clock()
        schedule = compile_timeline(scenario)
        first = policy_for_month(schedule, 0)
        state = initial_state(scenario, first, rng)
        setup = clock() - t0
        mark("set-up")
        records = []
        months = [(first, [], None)] * scenario.warmup_months + [
            (None, schedule.campaigns.get(t, []), t) for t in range(scenario.n_months)
        ]
        for policy, campaigns, t in months:
            if t is not None:
                policy = policy_for_month(schedule, t)
            if not scenario.learning.enabled:
                set_true_beliefs(state.population, policy)
                set_true_inspection(state.companies, policy)
            mark(PROCESSES[0])
            market = state.market
            market.expected_margin = update_expectation(
                market.expected_margin, market.price - 1.0, scenario.market.expectation_weight
            )
            mark(PROCESSES[1])
            decide_partners(
                state.companies, market.expected_margin, state.partners_last, policy, scenario
            )
            mark(PROCESSES[2])
            revise_modes(state, policy, scenario, rng)
            mark(PROCESSES[3])
            outcome = trade(state, policy, scenario)
            market.price = outcome.price
            mark(PROCESSES[4])
            caught = enforce(state, outcome, policy, rng)
            mark(PROCESSES[5])
            learn(
                state.population,
                outcome,
                caught,
                campaigns,
                policy,
                scenario.learning,
                state.companies.size,
            )
            update_company_beliefs(state.companies, caught.inspected, policy, scenario.learning)
            mark(PROCESSES[6])
            ledger = account(state, outcome, caught, policy, scenario)
            mark(PROCESSES[7])
            record = month_record(state, policy, outcome, caught, ledger, market.expected_margin)
            mark(PROCESSES[8])
            if t is not None:
                records.append(record)
    if memory:
        tracemalloc.stop()
    spent.pop("set-up", None)
    return records, dict(spent), setup


def check(scenario: Scenario, seed: int) -> None:
    """Stop unless the timed copy reproduces ``engine.run`` record for record."""
    mine, _, _ = timed_run(scenario, seed)
    theirs = engine_run(scenario, rng=seed).records
    for t, (a, b) in enumerate(zip(mine, theirs, strict=True)):
        for key, value in a.items():
            other = b[key]
            same = (isinstance(value, float) and math.isnan(value) and math.isnan(other)) or (
                value == other
            )
            if not same:
                raise SystemExit(
                    f"the timed copy differs from engine.run at month {t}, {key}: "
                    f"{value!r} != {other!r}; update benchmarks/bench_processes.py"
                )
    print(f"# check: the timed copy reproduces engine.run ({len(mine)} months)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--months", type=int, default=96)
    parser.add_argument("--warmup", type=int, default=0)
    parser.add_argument("--scenario", default="history")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--check", action="store_true", help="first compare with engine.run")
    parser.add_argument(
        "--memory",
        action="store_true",
        help="report each process's peak traced memory (bytes per individual) instead of time",
    )
    args = parser.parse_args()
    if args.check:
        check(wakusim.load_scenario(args.scenario, {"population.size": 2000}), args.seed)
    else:  # load the compiled kernels (numba's cache) before timing, as the check does
        timed_run(wakusim.load_scenario(args.scenario, {"population.size": 200}), args.seed)
    start = wakusim.load_scenario(args.scenario).start_month
    end = month_label(start + args.months - 1)
    sc = wakusim.load_scenario(
        args.scenario,
        {"population.size": args.size, "warmup_months": args.warmup, "end": end},
    )
    months = sc.n_months + sc.warmup_months
    if args.memory:
        _, peaks, _ = timed_run(sc, args.seed, memory=True)
        print(f"# {args.size:,} individuals, {months} months: peak traced memory by process")
        print(f"| {'process':<22} | {'peak MB':>8} | {'bytes/indiv':>11} |")
        print(f"|{'-' * 24}|{'-' * 10}|{'-' * 13}|")
        for name in PROCESSES:
            b = peaks.get(name, 0.0)
            print(f"| {name:<22} | {b / 2**20:>8.1f} | {b / args.size:>11.0f} |")
        return
    _, spent, setup = timed_run(sc, args.seed)
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


if __name__ == "__main__":
    main()
