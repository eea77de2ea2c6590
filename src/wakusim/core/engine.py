"""The monthly loop: initial state, then the eight processes each month, in order."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from wakusim.core.initial import initial_state
from wakusim.core.market import update_expectation
from wakusim.core.memory import keep_freed_memory
from wakusim.core.policy import Policy, policy_for_month, policy_from_values
from wakusim.core.processes.accounting import Ledger, account
from wakusim.core.processes.choice import revise_modes
from wakusim.core.processes.companies import decide_partners
from wakusim.core.processes.enforcement import EnforcementOutcome, enforce
from wakusim.core.processes.learning import (
    learn,
    set_true_beliefs,
    set_true_inspection,
    update_company_beliefs,
)
from wakusim.core.processes.trade import TradeOutcome, trade
from wakusim.core.records import month_record
from wakusim.core.state import ModelState
from wakusim.scenarios.calendar import month_label
from wakusim.scenarios.schema import Campaign, Scenario
from wakusim.scenarios.timeline import PolicySchedule, compile_timeline

RngLike = None | int | np.random.SeedSequence | np.random.Generator


@dataclass
class RunOutput:
    """What one run produced: one record per month, plus what is needed to re-run it."""

    records: list[dict[str, Any]]
    markers: list[tuple[str, str]]
    seed: dict[str, Any]
    final_state: ModelState | None = field(default=None, repr=False)


def resolve_rng(
    rng: RngLike, default_seed: int | None = None
) -> tuple[np.random.Generator, dict[str, Any]]:
    """Turn the ``rng`` argument into a Generator and a record of how to recreate it.

    ``None`` uses ``default_seed`` (the scenario's seed) when given, else fresh
    entropy. The record holds the seed sequence's entropy and spawn key; for a
    Generator passed in, also its bit generator state at the start.
    """
    if isinstance(rng, np.random.Generator):
        seq = getattr(rng.bit_generator, "seed_seq", None)
        info: dict[str, Any] = {"kind": "generator", "state": rng.bit_generator.state}
        if isinstance(seq, np.random.SeedSequence):
            info.update(entropy=str(seq.entropy), spawn_key=list(seq.spawn_key))
        return rng, _jsonable(info)
    if isinstance(rng, np.random.SeedSequence):
        seq = rng
    elif rng is None:
        seq = np.random.SeedSequence(default_seed)
    elif isinstance(rng, int | np.integer) and not isinstance(rng, bool):
        seq = np.random.SeedSequence(int(rng))
    else:
        raise TypeError(f"rng must be None, an int, a SeedSequence or a Generator, not {rng!r}")
    info = {"kind": "seed_sequence", "entropy": str(seq.entropy), "spawn_key": list(seq.spawn_key)}
    return np.random.default_rng(seq), info


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.integer | int) and not isinstance(value, bool):
        return int(value) if abs(int(value)) < 2**53 else str(value)
    return value


# The monthly processes in order, and the record: the names an ``after_process``
# observer of :func:`run` is called with (after ``"set-up"``, the initial state).
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


def _ignore(name: str) -> None:
    """Observe nothing (the default observer of :func:`step`)."""


def _advance(
    state: ModelState,
    policy: Policy,
    campaigns: list[Campaign],
    scenario: Scenario,
    rng: np.random.Generator,
    after_process: Callable[[str], None],
) -> tuple[TradeOutcome, EnforcementOutcome, Ledger]:
    """Run the eight processes of a month; return what its record reads besides the state.

    ``after_process(name)`` is called after each process (the first eight names of
    :data:`PROCESSES`).
    """
    done = iter(PROCESSES)
    # 1 policy is given; with learning off, beliefs are the true risks.
    if not scenario.learning.enabled:
        set_true_beliefs(state.population, policy)
        set_true_inspection(state.companies, policy)
    after_process(next(done))
    # 2 expectations from last month's market.
    market = state.market
    market.expected_margin = update_expectation(
        market.expected_margin, market.price - 1.0, scenario.market.expectation_weight
    )
    after_process(next(done))
    # 3 companies decide.
    decide_partners(state.companies, market.expected_margin, state.partners_last, policy, scenario)
    after_process(next(done))
    # 4 individuals decide.
    revise_modes(state, policy, scenario, rng)
    after_process(next(done))
    # 5 trade and market.
    outcome = trade(state, policy, scenario)
    market.price = outcome.price
    after_process(next(done))
    # 6 enforcement.
    caught = enforce(state, outcome, policy, rng)
    after_process(next(done))
    # 7 learning.
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
    after_process(next(done))
    # 8 accounting.
    ledger = account(state, outcome, caught, policy, scenario)
    after_process(next(done))
    return outcome, caught, ledger


def step(
    state: ModelState,
    policy: Policy,
    campaigns: list[Campaign],
    scenario: Scenario,
    rng: np.random.Generator,
    after_process: Callable[[str], None] = _ignore,
) -> dict[str, Any]:
    """Advance the state by one month and return the month's observables.

    ``after_process(name)`` is called after each process and after the record,
    with its name in :data:`PROCESSES` (for profiling; it must not change the state).
    """
    outcome, caught, ledger = _advance(state, policy, campaigns, scenario, rng, after_process)
    record = month_record(state, policy, outcome, caught, ledger, state.market.expected_margin)
    after_process(PROCESSES[-1])
    return record


def run(
    scenario: Scenario,
    rng: RngLike = None,
    progress: Callable[[int, int], None] | None = None,
    keep_state: bool = False,
    after_process: Callable[[str], None] = _ignore,
) -> RunOutput:
    """Simulate a scenario month by month.

    Parameters
    ----------
    scenario
        A validated scenario.
    rng
        ``None`` (the scenario's seed, else fresh entropy), an int, a
        ``SeedSequence`` or a ``Generator``. All randomness comes from it.
    progress
        Called as ``progress(done, total)`` after every month (warm-up included).
    keep_state
        Keep the final state in the output (for inspection and tests).
    after_process
        Called as ``after_process(name)`` once the initial state is drawn
        (``"set-up"``) and then after each process of every month and its
        record (names in :data:`PROCESSES`; the warm-up's months have no
        record): a profiler's clock (``benchmarks/bench_processes.py``). It
        must not change the state.
    """
    generator, seed_info = resolve_rng(rng, scenario.seed)
    schedule: PolicySchedule = compile_timeline(scenario)
    first = policy_for_month(schedule, 0)
    total = scenario.warmup_months + scenario.n_months
    records = []
    policies: dict[tuple[str, ...], Policy] = {}  # the timeline repeats a few policies
    # Each month reuses the memory the month before freed (no fresh pages to fault in).
    with keep_freed_memory():
        state = initial_state(scenario, first, generator)
        after_process("set-up")
        for w in range(scenario.warmup_months):  # (the warm-up's records are not kept)
            _advance(state, first, [], scenario, generator, after_process)
            if progress:
                progress(w + 1, total)
        for t in range(scenario.n_months):
            values = schedule.at(t)
            key = tuple(map(repr, values.values()))  # repr: -0.0 is not 0.0
            if key not in policies:
                policies[key] = policy_from_values(values)
            policy = policies[key]
            record = {"month": month_label(schedule.start_month + t)}
            campaigns = schedule.campaigns.get(t, [])
            record.update(step(state, policy, campaigns, scenario, generator, after_process))
            record.update({f"policy.{k}": v for k, v in values.items()})
            records.append(record)
            if progress:
                progress(scenario.warmup_months + t + 1, total)
        # Freed inside the block, so that its end gives the memory back (see core/memory.py).
        final_state = state if keep_state else None
        del state
    markers = [(month_label(schedule.start_month + t), label) for t, label in schedule.markers]
    return RunOutput(records=records, markers=markers, seed=seed_info, final_state=final_state)
