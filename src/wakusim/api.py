"""The Python interface: load a scenario, simulate it, get a result."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

import pandas as pd

from wakusim import __version__
from wakusim.core.engine import RngLike, run
from wakusim.core.kernels import threads_at_every_size
from wakusim.outputs.results import SimulationResult, environment
from wakusim.scenarios.schema import Scenario


def prepare() -> float:
    """Load the compiled kernels, compiling them on a machine's first run; return seconds taken.

    Runs a tiny scenario twice (the second time with threads at every size), so
    that every kernel, one-thread and threaded, is ready. Compiled code is cached
    on disk: the first call on a machine takes about 20 s, later processes 1-2 s,
    later calls in the same process almost nothing. :func:`simulate` does not
    need it (kernels load on first use); it lets a program say what it is doing
    and keeps the loading out of timed runs.
    """
    from wakusim.scenarios.loader import load_scenario

    clock = time.perf_counter()
    tiny = load_scenario("history", {"population.size": 300, "warmup_months": 0, "end": "2019-02"})
    run(tiny, rng=0)
    with threads_at_every_size():
        run(tiny, rng=0)
    return time.perf_counter() - clock


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
