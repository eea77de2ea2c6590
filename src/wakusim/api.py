"""The Python interface: load a scenario, simulate it, get a result."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

import pandas as pd

from wakusim import __version__
from wakusim.core.engine import RngLike, run
from wakusim.outputs.results import SimulationResult, environment
from wakusim.scenarios.schema import Scenario


def simulate(
    scenario: Scenario,
    rng: RngLike = None,
    progress: Callable[[int, int], None] | None = None,
) -> SimulationResult:
    """Run a scenario and return its result.

    Parameters
    ----------
    scenario
        A validated scenario, e.g. from :func:`wakusim.load_scenario`.
    rng
        ``None`` (the scenario's ``seed``, else fresh entropy), an int, a
        ``numpy.random.SeedSequence`` or a ``numpy.random.Generator``. The
        manifest records the seed entropy and spawn key, so any run can be
        repeated alone.
    progress
        Called as ``progress(months_done, months_total)`` after each month.

    Returns
    -------
    SimulationResult
        ``.timeseries`` (one row per month), ``.manifest`` and ``.save(dir)``.
    """
    started = datetime.now(UTC)
    clock = time.perf_counter()
    output = run(scenario, rng=rng, progress=progress)
    elapsed = time.perf_counter() - clock
    frame = pd.DataFrame(output.records).set_index("month")
    manifest = {
        "wakusim_version": __version__,
        "scenario_name": scenario.name,
        "seed": output.seed,
        "started_utc": started.isoformat(timespec="seconds"),
        "run_seconds": round(elapsed, 3),
        "individuals": scenario.population.size,
        "months": scenario.n_months,
        "warmup_months": scenario.warmup_months,
        "environment": environment(),
        "markers": [list(m) for m in output.markers],
        "scenario": scenario.to_dict(),
    }
    return SimulationResult(
        timeseries=frame, scenario=scenario, manifest=manifest, markers=output.markers
    )
