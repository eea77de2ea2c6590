"""An earlier version of wakusim and this one, side by side in one run.

The earlier version (any git revision) is checked out into a temporary git
worktree; after one untimed short run of each (which fills the new worktree's
cache of compiled kernels), each size runs in a fresh process once with each
version, alternating, so that the load of the machine weighs on both alike.
Both use this tree's ``_child.py`` (a tiny untimed run first, then the timed
run).
Usage::

    python benchmarks/bench_before_after.py --before 81de8ef
    python benchmarks/bench_before_after.py --before 81de8ef --sizes 1000 100000 --months 24
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_run import measure  # noqa: E402
from bench_scaling import machine  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


def _same_run(old: dict, new: dict) -> bool:
    """Whether two runs' records agree: every numeric column both have, bit for bit."""
    a, b = old["column_sha256"], new["column_sha256"]  # both runs use this tree's _child.py
    common = set(a) & set(b)
    return bool(common) and all(a[c] == b[c] for c in common)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", required=True, help="git revision of the earlier version")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000, 1_000_000])
    parser.add_argument("--months", type=int, default=96, help="simulated months (no warm-up)")
    parser.add_argument("--scenario", default="history")
    args = parser.parse_args()
    head = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    print(f"# before {args.before}, after {head} (+ working tree); {machine()}")
    print(f"# scenario {args.scenario}, {args.months} months, no warm-up, seed 1")
    print(
        f"| {'individuals':>11} | {'before steps/s':>14} | {'after steps/s':>13} | {'speed-up':>8} "
        f"| {'before MB':>9} | {'after MB':>8} | {'same result':>11} |"
    )
    print(f"|{'-' * 13}|{'-' * 16}|{'-' * 15}|{'-' * 10}|{'-' * 11}|{'-' * 10}|{'-' * 13}|")
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "before"
        subprocess.run(
            ["git", "-C", str(REPO), "worktree", "add", "--detach", "-q", str(tree), args.before],
            check=True,
        )
        try:
            # Untimed first runs: the fresh worktree has no cache of compiled kernels, and a
            # kernel that wakusim.api.prepare() does not load would compile inside a timed run.
            for source in (tree / "src", None):
                measure(max(args.sizes), 0, args.scenario, 2, source=source)
            for size in args.sizes:
                old = measure(size, 0, args.scenario, args.months, source=tree / "src")
                new = measure(size, 0, args.scenario, args.months)
                same = _same_run(old, new)
                print(
                    f"| {size:>11,} | {old['agent_steps_per_s']:>14,.0f} "
                    f"| {new['agent_steps_per_s']:>13,.0f} "
                    f"| {new['agent_steps_per_s'] / old['agent_steps_per_s']:>7.1f}x "
                    f"| {old['peak_rss_mb']:>9,.0f} | {new['peak_rss_mb']:>8,.0f} "
                    f"| {'yes' if same else 'NO':>11} |",
                    flush=True,
                )
        finally:
            subprocess.run(
                ["git", "-C", str(REPO), "worktree", "remove", "--force", str(tree)], check=False
            )
    print("# 'same result': every numeric column of the records both versions have is identical")


if __name__ == "__main__":
    main()
