"""Scaling of whole runs: agent-steps per second and peak memory from 1e3 to 5e6 individuals.

Each size runs in a fresh process under ``/usr/bin/time -v`` (``bench_run.measure``,
``_child.py``), so the peak resident set size is that run's own. The memory slope
(bytes per additional individual) is measured between two large sizes, which
removes the fixed cost of the interpreter and imports. Usage::

    python benchmarks/bench_scaling.py                    # 1e3 .. 1e6, 96 months, slope 1e6-2e6
    python benchmarks/bench_scaling.py --with-5e6         # also 5 million (several minutes)
    python benchmarks/bench_scaling.py --sizes 1000 10000 --months 24 --slope 100000 200000
    python benchmarks/bench_scaling.py --sizes 1000000 --repeat 5 --slope 0 0

With ``--repeat R`` each size runs R times, each in a fresh process, one after the
other; the table gives the median run (wall time, agent-steps per second, peak
memory) and the fastest run's agent-steps per second. On a shared machine the
same run can take 20-30 % longer from one minute to the next: the median says
what to expect, the fastest what the code can do when the machine is not held
back.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_run import measure, measure_repeated  # noqa: E402


def machine() -> str:
    """One line describing the machine and its current load."""
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, load average {load}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000, 1_000_000])
    parser.add_argument("--with-5e6", action="store_true", help="add 5,000,000 individuals")
    parser.add_argument("--months", type=int, default=96, help="simulated months (no warm-up)")
    parser.add_argument("--warmup", type=int, default=0, help="warm-up months")
    parser.add_argument(
        "--slope",
        type=int,
        nargs=2,
        default=[1_000_000, 2_000_000],
        metavar=("SMALL", "LARGE"),
        help="sizes for the memory slope (0 0 to skip)",
    )
    parser.add_argument("--scenario", default="history")
    parser.add_argument("--repeat", type=int, default=1, help="runs per size (median, fastest)")
    args = parser.parse_args()
    sizes = list(args.sizes) + ([5_000_000] if args.with_5e6 else [])
    print(f"# {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {machine()}")
    print(f"# scenario {args.scenario}, {args.months} months, warm-up {args.warmup}")
    repeated = args.repeat > 1
    best_head, best_rule = (f" {'fastest steps/s':>15} |", f"{'-' * 17}|") if repeated else ("", "")
    print(
        f"| {'individuals':>11} | {'months':>6} | {'wall s':>8} | {'agent-steps/s':>13} "
        f"|{best_head} {'peak RSS MB':>11} | {'bytes/indiv':>11} |"
    )
    print(f"|{'-' * 13}|{'-' * 8}|{'-' * 10}|{'-' * 15}|{best_rule}{'-' * 13}|{'-' * 13}|")
    rows: dict[int, dict] = {}
    for size in sizes:
        runs = measure_repeated(size, args.warmup, args.scenario, args.months, args.repeat)
        r = runs[len(runs) // 2]  # the run of median speed
        rows[size] = r
        fastest = runs[-1]["agent_steps_per_s"]
        best = f" {fastest:>15,.0f} |" if repeated else ""
        print(
            f"| {size:>11,} | {r['months']:>6} | {r['wall_s']:>8.2f} "
            f"| {r['agent_steps_per_s']:>13,.0f} |{best} {r['peak_rss_mb']:>11,.0f} "
            f"| {r['peak_bytes_per_individual']:>11,.0f} |",
            flush=True,
        )
        if repeated:
            walls = ", ".join(f"{run['wall_s']:.2f}" for run in runs)
            spread = statistics.pstdev(run["wall_s"] for run in runs)
            print(f"#   {size:,}: wall s, slowest run first: {walls} (sd {spread:.2f})")
    small, large = args.slope
    if small and large and large > small:
        lo = rows.get(small) or measure(small, args.warmup, args.scenario, args.months)
        hi = rows.get(large) or measure(large, args.warmup, args.scenario, args.months)
        slope = (hi["peak_rss_mb"] - lo["peak_rss_mb"]) * 2**20 / (large - small)
        print(
            f"\nmemory slope {small:,} -> {large:,}: {slope:,.0f} bytes per individual "
            f"(peak RSS {lo['peak_rss_mb']:,.0f} MB -> {hi['peak_rss_mb']:,.0f} MB; "
            f"{large:,} ran at {hi['agent_steps_per_s']:,.0f} agent-steps/s)"
        )
    print(f"# finished; load average now {', '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
