"""An earlier version of wakusim and this one, side by side in one run.

The earlier version (any git revision) is checked out into a temporary git
worktree; after one untimed short run of each (which fills the new worktree's
cache of compiled kernels), each size runs in a fresh process once with each
version, alternating, so that the load of the machine weighs on both alike.
Both use this tree's ``_child.py`` (a tiny untimed run first, then the timed
run). With ``--repeat R`` each size runs R pairs, in the order before-after,
after-before, ... (so that a drift of the machine's speed weighs on both), and
the table gives the median of each version and the ratio of the medians, with
the lowest and highest ratio of a pair in brackets.
Usage::

    python benchmarks/bench_before_after.py --before 81de8ef
    python benchmarks/bench_before_after.py --before 81de8ef --sizes 1000 100000 --months 24
    python benchmarks/bench_before_after.py --before 81de8ef --sizes 1000000 --repeat 5
"""

from __future__ import annotations

import argparse
import statistics
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
    parser.add_argument("--repeat", type=int, default=1, help="pairs of runs per size")
    args = parser.parse_args()
    head = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    print(f"# before {args.before}, after {head} (+ working tree); {machine()}")
    print(
        f"# scenario {args.scenario}, {args.months} months, no warm-up, seed 1; "
        f"{args.repeat} pair(s) of runs per size"
    )
    print(
        f"| {'individuals':>11} | {'before steps/s':>14} | {'after steps/s':>13} "
        f"| {'speed-up':>21} | {'before MB':>9} | {'after MB':>8} | {'same result':>11} |"
    )
    print(f"|{'-' * 13}|{'-' * 16}|{'-' * 15}|{'-' * 23}|{'-' * 11}|{'-' * 10}|{'-' * 13}|")
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
                olds, news = [], []
                for r in range(args.repeat):
                    sources = (tree / "src", None) if r % 2 == 0 else (None, tree / "src")
                    runs = [measure(size, 0, args.scenario, args.months, source=s) for s in sources]
                    old, new = runs if r % 2 == 0 else runs[::-1]
                    olds.append(old)
                    news.append(new)
                same = all(_same_run(o, n) for o, n in zip(olds, news, strict=True))
                before = statistics.median(o["agent_steps_per_s"] for o in olds)
                after = statistics.median(n["agent_steps_per_s"] for n in news)
                pairs = [
                    n["agent_steps_per_s"] / o["agent_steps_per_s"]
                    for o, n in zip(olds, news, strict=True)
                ]
                ratio = f"{after / before:.2f}x"
                if args.repeat > 1:
                    ratio += f" ({min(pairs):.2f}-{max(pairs):.2f})"
                print(
                    f"| {size:>11,} | {before:>14,.0f} | {after:>13,.0f} | {ratio:>21} "
                    f"| {max(o['peak_rss_mb'] for o in olds):>9,.0f} "
                    f"| {max(n['peak_rss_mb'] for n in news):>8,.0f} "
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
