"""Speed and memory of whole runs: agent-steps per second and peak memory.

Each size runs in a fresh process under ``/usr/bin/time -v`` (peak resident set
size of that process). Usage::

    python benchmarks/bench_run.py                       # default run and 1e6 x 96 months
    python benchmarks/bench_run.py --sizes 1000 10000 100000 --warmup 0
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path

CHILD = Path(__file__).with_name("_child.py")


def measure(
    size: int,
    warmup: int,
    scenario: str,
    months: int | None = None,
    source: Path | None = None,
) -> dict:
    """Run one size in a fresh process under ``/usr/bin/time -v``; return its JSON row.

    ``months`` (optional) sets the simulated calendar length from the scenario's start;
    ``source`` (optional) is a ``src`` folder to import wakusim from (another version).
    """
    cmd = ["/usr/bin/time", "-v", sys.executable, str(CHILD), str(size), str(warmup), scenario]
    if months is not None:
        cmd.append(str(months))
    env = dict(os.environ)
    if source is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(source), env.get("PYTHONPATH", "")])
    proc = subprocess.run(cmd, capture_output=True, text=True, check=True, env=env)
    row = json.loads(proc.stdout.strip().splitlines()[-1])
    peak_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr)[1])
    row["peak_rss_mb"] = peak_kb / 1024
    row["peak_bytes_per_individual"] = peak_kb * 1024 / size
    return row


def measure_repeated(size: int, warmup: int, scenario: str, months: int, repeat: int) -> list[dict]:
    """Run one size ``repeat`` times (fresh processes, one after the other); slowest first.

    The middle row is the run of median speed, the last the fastest.
    """
    runs = [measure(size, warmup, scenario, months) for _ in range(max(repeat, 1))]
    return sorted(runs, key=lambda row: row["agent_steps_per_s"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 1_000_000])
    parser.add_argument(
        "--warmup",
        type=int,
        nargs="+",
        default=[24, 0],
        help="warm-up months per size (last value repeats)",
    )
    parser.add_argument("--scenario", default="history")
    args = parser.parse_args()
    print(
        f"{'individuals':>12} {'months':>7} {'wall s':>9} {'agent-steps/s':>15} "
        f"{'peak RSS MB':>12} {'bytes/indiv':>12}"
    )
    for i, size in enumerate(args.sizes):
        warmup = args.warmup[min(i, len(args.warmup) - 1)]
        r = measure(size, warmup, args.scenario)
        print(
            f"{r['individuals']:>12,} {r['months']:>7} {r['wall_s']:>9.2f} "
            f"{r['agent_steps_per_s']:>15,.0f} {r['peak_rss_mb']:>12.0f} "
            f"{r['peak_bytes_per_individual']:>12,.0f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
