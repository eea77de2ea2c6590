"""Statistical reference check: are the model's results unchanged within sampling error?

The core is bit-for-bit reproducible today, but performance work (float32 storage, fewer
random draws, a different order of draws) may change the realisation of every run without
changing what the model means. This script stores, for a set of period averages that users
and the validation patterns rely on, the mean and the standard deviation across seeds of the
current model (``make``), and later tests a changed model against them on *different* seeds
(``check``), so that the check is an independent sample and not a replay.

Usage::

    python benchmarks/statistical_reference.py make             # 40 seeds, 5,000 individuals
    python benchmarks/statistical_reference.py check            # 20 other seeds
    python benchmarks/statistical_reference.py check --seeds 40 --threshold 4

Test
----
For each statistic, with reference mean :math:`m_r`, standard error
:math:`s_r = sd_r / \\sqrt{n_r}` and the same for the current code,

.. math:: z = (m_c - m_r) / \\sqrt{s_r^2 + s_c^2}.

A statistic fails when :math:`|z| > 4` (``Z_THRESHOLD``). This is a Bonferroni-style
threshold for about 20-25 statistics: for a normal :math:`z` the two-sided p-value of
:math:`|z| > 4` is 6.3e-5 per statistic, so the family-wise false-alarm rate for the 24
statistics is at most 24 x 6.3e-5 = 0.15 %. The standard errors are estimated from the
seeds, so :math:`z` is closer to a Student t; with 40 reference and 20 check seeds
(Welch: about 38 degrees of freedom) the per-statistic rate is 2.8e-4 and the Bonferroni
bound 0.7 %. The statistics are positively correlated (the shares of one period, for
instance), so the true family-wise rate is lower than the bound. An unchanged model
therefore essentially never fails, while a change of meaning does: the largest difference
a statistic lets through is ``4 * sqrt(SE_ref**2 + SE_cur**2)``, printed as ``limit`` in
the table (for the mode shares 0.1-1.8 percentage points with the default seeds).

Both commands are deterministic: ``make`` uses seeds 0..S-1, ``check`` seeds 10,000 + s,
so a check of unchanged code always gives the same table.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import pandas as pd

import wakusim
from wakusim.outputs.results import environment

ROOT = Path(__file__).resolve().parents[1]
REFERENCE_PATH = ROOT / "tests" / "data" / "statistical_reference.json"
FORMAT = 1
Z_THRESHOLD = 4.0
CHECK_SEED_OFFSET = 10_000
DEFAULT_SIZE = 5000


@dataclass(frozen=True)
class Period:
    """A span of months (inclusive labels ``"YYYY-MM"``) of the history timeline."""

    start: str
    end: str
    description: str


# The periods follow src/wakusim/scenarios/builtin/history.yaml: closure 2020-01-31 (effective
# 2020-02), buffer zone 2020-08-25 (2020-09), partial reopening 2023-08 (ramp to 2023-12),
# permits reissued 2024-01, crackdown 2024-03 (inspections ramp up to 2024-08).
PERIODS: dict[str, Period] = {
    "open": Period("2019-01", "2019-12", "border open, before the COVID-19 closure"),
    "closing": Period(
        "2020-02", "2020-08", "closure in force, before the buffer zone (smugglers caught)"
    ),
    "closed": Period(
        "2021-01", "2023-07", "buffer zone in force, before the partial reopening of 2023-08"
    ),
    "crackdown": Period("2024-03", "2024-12", "crackdown on partnerships and its transition"),
    "after": Period("2025-01", "2026-12", "after the crackdown, settled"),
    "last_year": Period("2026-01", "2026-12", "the last twelve months"),
    "whole": Period("2019-01", "2026-12", "the whole recorded run"),
}


Reduce = Literal["mean", "sum"]


@dataclass(frozen=True)
class Statistic:
    """One summary statistic: a column of one scenario's timeseries reduced over a period.

    Attributes
    ----------
    scenario
        Built-in scenario name.
    column
        Column of ``SimulationResult.timeseries``.
    period
        Key of :data:`PERIODS`.
    reduce
        ``"mean"`` (average per month) or ``"sum"`` (total over the period).
    """

    scenario: str
    column: str
    period: str
    reduce: Reduce = "mean"

    def __post_init__(self) -> None:
        if self.period not in PERIODS:
            raise ValueError(f"unknown period {self.period!r}")
        if self.reduce not in ("mean", "sum"):
            raise ValueError(f"reduce must be 'mean' or 'sum', not {self.reduce!r}")

    @property
    def name(self) -> str:
        """Unique name, e.g. ``history:share_partner:closed:mean``."""
        return f"{self.scenario}:{self.column}:{self.period}:{self.reduce}"

    def definition(self) -> dict[str, str]:
        """The definition as stored in the reference, with the period's months."""
        period = PERIODS[self.period]
        return {
            "scenario": self.scenario,
            "column": self.column,
            "period": self.period,
            "start": period.start,
            "end": period.end,
            "reduce": self.reduce,
        }

    def value(self, timeseries: pd.DataFrame) -> float:
        """The statistic of one run's timeseries."""
        period = PERIODS[self.period]
        values = timeseries.loc[period.start : period.end, self.column].to_numpy(float)
        if len(values) == 0:
            raise ValueError(f"{self.name}: no months {period.start}..{period.end} in the run")
        return float(values.sum() if self.reduce == "sum" else values.mean())


def _stats(scenario: str, specs: Sequence[tuple[str, str, Reduce]]) -> list[Statistic]:
    return [Statistic(scenario, column, period, reduce) for column, period, reduce in specs]


# Note: margin is price - 1 (cost normalised to 1) in this version, so only price is checked;
# share_outside is 1 minus the other three shares and is left out for the same reason.
STATISTICS: tuple[Statistic, ...] = tuple(
    _stats(
        "history",
        [
            ("share_smuggler", "open", "mean"),
            ("share_partner", "open", "mean"),
            ("share_member", "open", "mean"),
            ("price", "open", "mean"),
            ("volume_total", "open", "mean"),
            ("arrests_total", "open", "sum"),
            ("arrests_smuggler", "closing", "sum"),
            ("share_partner", "closed", "mean"),
            ("share_member", "closed", "mean"),
            ("price", "closed", "mean"),
            ("volume_total", "closed", "mean"),
            ("arrests_total", "closed", "sum"),
            ("perceived_risk_partner", "closed", "mean"),
            ("arrests_partner", "crackdown", "sum"),
            ("companies_suspended", "crackdown", "mean"),
            ("share_partner", "after", "mean"),
            ("share_member", "after", "mean"),
            ("price", "after", "mean"),
            ("volume_total", "after", "mean"),
            ("wealth_gini", "last_year", "mean"),
            ("member_share_d10", "last_year", "mean"),
            ("revenue_total", "whole", "mean"),
        ],
    )
    + _stats(
        "no-crackdown",
        [
            ("share_partner", "after", "mean"),
            ("share_member", "after", "mean"),
        ],
    )
)


@dataclass(frozen=True)
class Summary:
    """Mean, standard deviation (ddof=1) and number of seeds of one statistic."""

    mean: float
    sd: float
    n: int

    @property
    def se(self) -> float:
        """Standard error of the mean."""
        return self.sd / math.sqrt(self.n) if self.n > 0 else math.nan


def scenarios_of(statistics: Sequence[Statistic] = STATISTICS) -> list[str]:
    """Scenario names the statistics need, in order of first use."""
    return list(dict.fromkeys(s.scenario for s in statistics))


def sample(
    scenario: str,
    seeds: Sequence[int],
    overrides: Mapping[str, Any],
    statistics: Sequence[Statistic] = STATISTICS,
) -> pd.DataFrame:
    """Run one scenario for each seed and compute its statistics.

    Parameters
    ----------
    scenario
        Built-in scenario name.
    seeds
        One run per seed, ``rng=seed``.
    overrides
        Scenario overrides (dotted names), e.g. ``{"population.size": 5000}``.
    statistics
        Only those of ``scenario`` are computed.

    Returns
    -------
    pandas.DataFrame
        One row per seed, one column per statistic name.
    """
    chosen = [s for s in statistics if s.scenario == scenario]
    loaded = wakusim.load_scenario(scenario, dict(overrides))
    rows = {}
    for seed in seeds:
        timeseries = wakusim.simulate(loaded, rng=int(seed)).timeseries
        rows[int(seed)] = {s.name: s.value(timeseries) for s in chosen}
    return pd.DataFrame.from_dict(rows, orient="index")


def summarise(samples: pd.DataFrame) -> dict[str, Summary]:
    """Mean, sd and n of each column of :func:`sample`'s table.

    A NaN value makes the mean NaN (pandas would skip it), so that it fails loudly.
    """
    summaries = {}
    for name, column in samples.items():
        values = column.to_numpy(float)
        sd = float(values.std(ddof=1)) if len(values) > 1 else 0.0
        summaries[str(name)] = Summary(float(values.mean()), sd, len(values))
    return summaries


def make_reference(
    seeds_by_scenario: Mapping[str, Sequence[int]],
    size: int = DEFAULT_SIZE,
    statistics: Sequence[Statistic] = STATISTICS,
) -> dict[str, Any]:
    """Run the reference sample and return the reference document (a JSON-ready dict).

    Parameters
    ----------
    seeds_by_scenario
        Seeds to run for each scenario of :func:`scenarios_of`.
    size
        Population size (``population.size``); the check runs the same size.
    statistics
        Statistics to store.
    """
    overrides = {"population.size": int(size)}
    clock = time.perf_counter()
    summaries: dict[str, Summary] = {}
    scenarios = {}
    for scenario in scenarios_of(statistics):
        seeds = [int(s) for s in seeds_by_scenario[scenario]]
        summaries |= summarise(sample(scenario, seeds, overrides, statistics))
        scenarios[scenario] = {"overrides": overrides, "seeds": seeds}
    metadata = {
        "format": FORMAT,
        "wakusim_version": wakusim.__version__,
        "git_commit": git_commit(),
        "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "size": int(size),
        "scenarios": scenarios,
        "run_seconds": round(time.perf_counter() - clock, 1),
        "environment": environment(),
        "periods": {name: asdict(p) for name, p in PERIODS.items()},
    }
    stored = {s.name: {**s.definition(), **asdict(summaries[s.name])} for s in statistics}
    return {"metadata": metadata, "statistics": stored}


def git_commit() -> str | None:
    """The commit of the imported wakusim's working tree (``+dirty`` if changed), or None."""
    where = Path(wakusim.__file__).resolve().parent
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=where, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=where,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return commit + ("+dirty" if dirty else "")


def write_json_atomic(document: Mapping[str, Any], path: Path) -> None:
    """Write JSON to a temporary file in the same directory, then rename it over ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644  # mkstemp would give 0o600
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.chmod(temporary, mode)
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(_to_json(document) + "\n")
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _to_json(document: Mapping[str, Any]) -> str:
    """Indented JSON with lists of numbers (the seeds) kept on one line; no NaN allowed."""
    text = json.dumps(document, indent=2, allow_nan=False)
    return re.sub(r"\[\s+([-0-9.,\s]+?)\s+\]", lambda m: f"[{' '.join(m.group(1).split())}]", text)


def load_reference(path: Path = REFERENCE_PATH) -> dict[str, Any]:
    """Read a reference document and check that it matches this script's statistics.

    Raises
    ------
    ValueError
        If the format differs, or a statistic is missing or defined differently (the
        reference is stale: run ``make`` again from a trusted version).
    """
    document = json.loads(Path(path).read_text(encoding="utf-8"))
    if document.get("metadata", {}).get("format") != FORMAT:
        raise ValueError(f"{path}: reference format is not {FORMAT}")
    stored = document["statistics"]
    for statistic in STATISTICS:
        if statistic.name not in stored:
            raise ValueError(f"{path}: no statistic {statistic.name}; make the reference again")
        entry = stored[statistic.name]
        differs = {k: v for k, v in statistic.definition().items() if entry.get(k) != v}
        if differs:
            raise ValueError(f"{path}: {statistic.name} is defined differently: {differs}")
    return document


def check_seeds(count: int, offset: int = CHECK_SEED_OFFSET) -> list[int]:
    """Seeds of a check: ``offset + s`` for s in 0..count-1, disjoint from the reference's."""
    return [offset + s for s in range(count)]


def sample_current(
    reference: Mapping[str, Any],
    seeds_by_scenario: Mapping[str, Sequence[int]],
    extra_overrides: Mapping[str, Any] | None = None,
    statistics: Sequence[Statistic] = STATISTICS,
) -> dict[str, Summary]:
    """Run the current code on the reference's scenarios and summarise the statistics.

    Parameters
    ----------
    reference
        The reference document (its overrides, e.g. the population size, are reused).
    seeds_by_scenario
        Seeds per scenario; scenarios left out are not run (their statistics not compared).
    extra_overrides
        Added to every scenario's overrides: a deliberate change of the model, for
        showing that the check detects it.
    statistics
        Statistics to compute.
    """
    summaries: dict[str, Summary] = {}
    for scenario in scenarios_of(statistics):
        if scenario not in seeds_by_scenario:
            continue
        overrides = dict(reference["metadata"]["scenarios"][scenario]["overrides"])
        overrides |= dict(extra_overrides or {})
        reference_seeds = set(reference["metadata"]["scenarios"][scenario]["seeds"])
        seeds = list(seeds_by_scenario[scenario])
        if reference_seeds.intersection(seeds):
            raise ValueError(f"{scenario}: check seeds overlap the reference's; use others")
        summaries |= summarise(sample(scenario, seeds, overrides, statistics))
    return summaries


def z_score(reference: Summary, current: Summary) -> float:
    """Difference of the means over its standard error (``inf`` if that is 0 and they differ)."""
    difference = current.mean - reference.mean
    se = math.hypot(reference.se, current.se)
    if se > 0:
        return difference / se
    return 0.0 if difference == 0 else math.copysign(math.inf, difference)


def compare(
    reference: Mapping[str, Any],
    current: Mapping[str, Summary],
    threshold: float = Z_THRESHOLD,
) -> pd.DataFrame:
    """Compare the current summaries with the reference, one row per statistic.

    Only statistics present in ``current`` are compared.

    Returns
    -------
    pandas.DataFrame
        Indexed by statistic name, with columns ``ref_mean``, ``ref_se``, ``cur_mean``,
        ``cur_se``, ``z``, ``limit`` (the largest difference that passes) and ``passed``.
    """
    rows = {}
    for name, cur in current.items():
        entry = reference["statistics"][name]
        ref = Summary(float(entry["mean"]), float(entry["sd"]), int(entry["n"]))
        z = z_score(ref, cur)
        rows[name] = {
            "ref_mean": ref.mean,
            "ref_se": ref.se,
            "cur_mean": cur.mean,
            "cur_se": cur.se,
            "z": z,
            "limit": threshold * math.hypot(ref.se, cur.se),
            "passed": bool(abs(z) <= threshold),
        }
    return pd.DataFrame.from_dict(rows, orient="index")


def format_table(table: pd.DataFrame, threshold: float = Z_THRESHOLD) -> str:
    """The comparison as a fixed-width text table with a final verdict line."""
    width = max(len("statistic"), *(len(name) for name in table.index))
    lines = [
        f"{'statistic':<{width}}  {'reference mean ± SE':>24}  {'current mean ± SE':>24}"
        f"  {'z':>7}  {'limit':>10}  result"
    ]
    for name, row in table.iterrows():
        lines.append(
            f"{name:<{width}}  {_pm(row.ref_mean, row.ref_se):>24}"
            f"  {_pm(row.cur_mean, row.cur_se):>24}  {row.z:>7.2f}  {row.limit:>10.4g}"
            f"  {'pass' if row.passed else 'FAIL'}"
        )
    failed = int((~table["passed"]).sum())
    lines.append(
        f"{len(table) - failed} of {len(table)} statistics within |z| <= {threshold:g}"
        + (f"; {failed} FAILED" if failed else "")
    )
    return "\n".join(lines)


def _pm(mean: float, se: float) -> str:
    return f"{mean:.5g} ± {se:.2g}"


def _seeds_by_scenario(seeds: list[int], counterfactual: list[int]) -> dict[str, list[int]]:
    return {s: seeds if s == "history" else counterfactual for s in scenarios_of()}


def _seed_options(command: argparse.ArgumentParser, seeds: int) -> None:
    """Add ``--seeds`` (of history, default ``seeds``) and ``--counterfactual-seeds``."""
    command.add_argument(
        "--seeds", type=int, default=seeds, help=f"seeds of history (default {seeds})"
    )
    command.add_argument(
        "--counterfactual-seeds",
        type=int,
        default=None,
        metavar="S",
        help="seeds of no-crackdown (default: as --seeds)",
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``make`` or ``check``; returns the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    make = commands.add_parser("make", help="run seeds 0..S-1 and store the reference")
    _seed_options(make, 40)
    make.add_argument("--size", type=int, default=DEFAULT_SIZE, help="population size")
    make.add_argument("--out", type=Path, default=REFERENCE_PATH)
    check = commands.add_parser("check", help="compare the current code with the reference")
    _seed_options(check, 20)
    check.add_argument("--reference", type=Path, default=REFERENCE_PATH)
    check.add_argument("--threshold", type=float, default=Z_THRESHOLD, help="largest |z| passing")
    check.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra scenario override (JSON value), to see a change detected",
    )
    args = parser.parse_args(argv)
    counterfactual = args.seeds if args.counterfactual_seeds is None else args.counterfactual_seeds
    if min(args.seeds, counterfactual) < 2:
        parser.error("at least 2 seeds per scenario are needed for a standard deviation")
    if args.command == "make":
        return _make(args.seeds, counterfactual, args.size, args.out)
    try:
        reference = load_reference(args.reference)
        extra = dict(_override(item) for item in args.set)
    except (OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return _check(reference, args.seeds, counterfactual, extra, args.threshold)


def _override(item: str) -> tuple[str, Any]:
    """``NAME=VALUE`` as a pair, VALUE read as JSON where it is JSON, else as a string."""
    name, equals, value = item.partition("=")
    if not equals or not name:
        raise ValueError(f"--set {item!r}: expected NAME=VALUE")
    try:
        return name, json.loads(value)
    except json.JSONDecodeError:
        return name, value


def _prepare() -> None:
    from wakusim.api import prepare

    print(f"loading compiled kernels: {prepare():.1f} s", file=sys.stderr)


def _make(seeds: int, counterfactual: int, size: int, out: Path) -> int:
    _prepare()
    clock = time.perf_counter()
    document = make_reference(
        _seeds_by_scenario(list(range(seeds)), list(range(counterfactual))), size=size
    )
    write_json_atomic(document, out)
    print(
        f"wrote {out} ({len(document['statistics'])} statistics)"
        f" in {time.perf_counter() - clock:.1f} s"
    )
    return 0


def _check(
    reference: Mapping[str, Any],
    seeds: int,
    counterfactual: int,
    extra: Mapping[str, Any],
    threshold: float,
) -> int:
    _prepare()
    clock = time.perf_counter()
    by_scenario = _seeds_by_scenario(check_seeds(seeds), check_seeds(counterfactual))
    try:
        current = sample_current(reference, by_scenario, extra)
    except wakusim.WakusimInputError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    table = compare(reference, current, threshold)
    meta = reference["metadata"]
    print(
        f"reference: wakusim {meta['wakusim_version']}, commit {meta['git_commit']},"
        f" {meta['created_utc']}, {meta['size']} individuals"
    )
    print(
        f"current:   wakusim {wakusim.__version__} from {Path(wakusim.__file__).parent},"
        f" commit {git_commit()}"
    )
    print(
        f"           seeds {CHECK_SEED_OFFSET}.. ({seeds} history, {counterfactual}"
        f" no-crackdown)" + (f", overrides {dict(extra)}" if extra else "")
    )
    print(format_table(table, threshold))
    print(f"check took {time.perf_counter() - clock:.1f} s", file=sys.stderr)
    return 0 if table["passed"].all() else 1


if __name__ == "__main__":
    sys.exit(main())
