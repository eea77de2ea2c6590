"""One benchmark run in its own process (so its peak memory is its own). Prints JSON."""

import json
import sys
import time

import wakusim


def main() -> None:
    size, warmup, scenario = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    sc = wakusim.load_scenario(scenario, {"population.size": size, "warmup_months": warmup})
    start = time.perf_counter()
    result = wakusim.simulate(sc, rng=1)
    wall = time.perf_counter() - start
    months = sc.n_months + sc.warmup_months
    print(
        json.dumps(
            {
                "individuals": size,
                "months": months,
                "wall_s": wall,
                "agent_steps_per_s": size * months / wall,
                "share_member_2025_03": float(result.timeseries.loc["2025-03", "share_member"]),
            }
        )
    )


if __name__ == "__main__":
    main()
