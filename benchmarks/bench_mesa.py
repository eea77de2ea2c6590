"""wakusim against the Mesa reference implementation, side by side.

Both run the same scenario (no warm-up) at each size, each in a fresh process
under ``/usr/bin/time -v``; the Mesa model (one Python object per agent,
``benchmarks/mesa_reference``) may run fewer months at large sizes. Speed is
compared in agent-steps per second (individuals x months / wall time,
set-up included; the Mesa set-up time, building one object per agent and the
network, is shown apart). wakusim runs ``--repeat`` times at each size (default
3) and its median speed is compared: a run at 1e5 lasts about a second, so a
single run takes whatever the host does in that second (one run gave 90x where
the next gave 148x), while Mesa's long run averages the host's noise out.
Usage::

    python benchmarks/bench_mesa.py                               # 1e3, 1e4, 1e5
    python benchmarks/bench_mesa.py --sizes 1000 10000 --months 96 --mesa-months 96 24
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_run import measure_repeated  # noqa: E402
from bench_scaling import machine  # noqa: E402

MESA_CHILD = Path(__file__).with_name("_mesa_child.py")


def measure_mesa(size: int, months: int, scenario: str) -> dict:
    """Run the Mesa reference once in a fresh process; return its JSON row and peak RSS."""
    cmd = ["/usr/bin/time", "-v", sys.executable, str(MESA_CHILD), str(size), str(months)]
    proc = subprocess.run(cmd + [scenario], capture_output=True, text=True, check=True)
    row = json.loads(proc.stdout.strip().splitlines()[-1])
    peak_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr)[1])
    row["peak_rss_mb"] = peak_kb / 1024
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--months", type=int, default=96, help="wakusim months")
    parser.add_argument(
        "--mesa-months",
        type=int,
        nargs="+",
        default=[96, 96, 12],
        help="Mesa months per size (last value repeats)",
    )
    parser.add_argument("--scenario", default="history")
    parser.add_argument(
        "--repeat", type=int, default=3, help="wakusim runs per size (median speed)"
    )
    args = parser.parse_args()
    print(f"# {machine()}")
    print(
        f"| {'individuals':>11} | {'wakusim months':>14} | {'wakusim steps/s':>15} "
        f"| {'wakusim MB':>10} | {'Mesa months':>11} | {'Mesa steps/s':>12} "
        f"| {'Mesa set-up s':>13} | {'Mesa MB':>8} | {'ratio':>7} |"
    )
    widths = (13, 16, 17, 12, 13, 14, 15, 10, 9)
    print("|" + "|".join("-" * w for w in widths) + "|")
    for i, size in enumerate(args.sizes):
        mesa_months = args.mesa_months[min(i, len(args.mesa_months) - 1)]
        runs = measure_repeated(size, 0, args.scenario, args.months, args.repeat)
        w = runs[len(runs) // 2]  # the run of median speed
        m = measure_mesa(size, mesa_months, args.scenario)
        ratio = w["agent_steps_per_s"] / m["agent_steps_per_s"]
        print(
            f"| {size:>11,} | {w['months']:>14} | {w['agent_steps_per_s']:>15,.0f} "
            f"| {w['peak_rss_mb']:>10,.0f} | {m['months']:>11} "
            f"| {m['agent_steps_per_s']:>12,.0f} | {m['setup_s']:>13.2f} "
            f"| {m['peak_rss_mb']:>8,.0f} | {ratio:>6,.0f}x |",
            flush=True,
        )
    print(f"# finished; load average now {', '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
