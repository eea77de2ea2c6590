"""One benchmark run in its own process (so its peak memory is its own). Prints JSON.

Usage: ``python _child.py SIZE WARMUP SCENARIO [MONTHS]``; ``MONTHS`` (optional)
shortens or lengthens the simulated calendar from the scenario's start.

Before the timed run, :func:`wakusim.api.prepare` loads the compiled kernels,
threaded variants included (numba's on-disk cache; compiling them if the cache
is empty); its time is reported as ``load_s`` and is not in ``wall_s``.
"""

import hashlib
import json
import sys
import time

import wakusim

try:
    from wakusim.api import prepare
except ImportError:  # an earlier version (bench_before_after.py) has no compiled kernels
    prepare = None
from wakusim.scenarios.calendar import month_index, month_label


def _column_digests(table) -> dict[str, str]:
    """SHA-256 of each numeric column's float64 bytes (compares whole runs across versions)."""
    digests = {}
    for name in table.columns:
        column = table[name]
        if column.dtype.kind in "biuf":
            data = column.to_numpy(dtype="float64").tobytes()
            digests[str(name)] = hashlib.sha256(data).hexdigest()
    return digests


def main() -> None:
    size, warmup, scenario = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    overrides: dict[str, object] = {"population.size": size, "warmup_months": warmup}
    if len(sys.argv) > 4:
        start = wakusim.load_scenario(scenario).start
        overrides["end"] = month_label(month_index(start) + int(sys.argv[4]) - 1)
    sc = wakusim.load_scenario(scenario, overrides)
    load = prepare() if prepare is not None else 0.0
    start = time.perf_counter()
    result = wakusim.simulate(sc, rng=1)
    wall = time.perf_counter() - start
    months = sc.n_months + sc.warmup_months
    last = result.timeseries.index[-1]
    key = "2025-03" if "2025-03" in result.timeseries.index else last
    print(
        json.dumps(
            {
                "individuals": size,
                "months": months,
                "wall_s": wall,
                "load_s": load,
                "agent_steps_per_s": size * months / wall,
                "share_member_at": key,
                "share_member": float(result.timeseries.loc[key, "share_member"]),
                "column_sha256": _column_digests(result.timeseries),
            }
        )
    )


if __name__ == "__main__":
    main()
