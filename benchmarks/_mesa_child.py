"""One Mesa reference run in its own process (for its own peak memory). Prints JSON.

Usage: ``python _mesa_child.py SIZE MONTHS SCENARIO`` (no warm-up).
"""

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import wakusim  # noqa: E402
from benchmarks.mesa_reference import WakuModel  # noqa: E402
from wakusim.scenarios.calendar import month_index, month_label  # noqa: E402


def main() -> None:
    size, months, scenario = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    start = wakusim.load_scenario(scenario).start
    end = month_label(month_index(start) + months - 1)
    sc = wakusim.load_scenario(scenario, {"population.size": size, "warmup_months": 0, "end": end})
    t0 = time.perf_counter()
    model = WakuModel(sc, seed=1)
    setup = time.perf_counter() - t0
    for _ in range(months):
        model.step()
    wall = time.perf_counter() - t0
    frame = model.timeseries()
    print(
        json.dumps(
            {
                "individuals": size,
                "months": months,
                "wall_s": wall,
                "setup_s": setup,
                "agent_steps_per_s": size * months / wall,
                "share_member": float(frame["share_member"].iloc[-1]),
            }
        )
    )


if __name__ == "__main__":
    main()
