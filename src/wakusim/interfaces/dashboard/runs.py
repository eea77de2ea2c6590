"""Scenario resolution and cached runs for the dashboard.

Runs are cached in this module (one process-wide LRU dictionary), keyed by the
fully resolved scenario, the seed and the replication index, so that moving a
lever back to a setting already seen shows its charts at once, and raising the
number of replications only runs the new ones.

Replication 1 runs with the seed itself (exactly what ``wakusim run --seed S``
does); replications 2..n use ``SeedSequence(S).spawn(n - 1)`` in order, so a
replication's numbers do not depend on how many replications are asked for.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from wakusim.api import simulate
from wakusim.errors import WakusimInputError
from wakusim.scenarios.loader import load_scenario
from wakusim.scenarios.schema import Scenario

CACHE_SIZE = 256
"""Most single runs kept in memory (a 20,000-individual run is about 100 kB)."""

MAX_UPLOAD_BYTES = 1_000_000

_cache: OrderedDict[tuple[str, int, int], tuple[pd.DataFrame, list[tuple[str, str]]]] = (
    OrderedDict()
)
_lock = threading.Lock()

Progress = Callable[[float, str], None]


def scenario_key(scenario: Scenario) -> str:
    """Return a digest of the fully resolved scenario (the cache key's first part)."""
    text = json.dumps(scenario.to_dict(), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def replication_seeds(seed: int, replications: int) -> list[np.random.SeedSequence]:
    """Return the seed sequence of each replication, in order.

    The first is ``SeedSequence(seed)`` (what ``wakusim run --seed seed`` uses);
    the others are ``SeedSequence(seed).spawn(replications - 1)``.
    """
    root = np.random.SeedSequence(seed)
    return [np.random.SeedSequence(seed), *root.spawn(replications - 1)]


@dataclass
class RunSet:
    """The replications of one scenario.

    Attributes
    ----------
    scenario
        The fully resolved scenario (its ``seed`` is the dashboard's seed).
    seed
        The seed of replication 1.
    frames
        One time series per replication, in order.
    markers
        ``(month, label)`` of the timeline's events.
    seconds
        Wall time spent simulating (0 when everything came from the cache).
    cached
        Number of replications taken from the cache.
    """

    scenario: Scenario
    seed: int
    frames: list[pd.DataFrame]
    markers: list[tuple[str, str]]
    seconds: float = 0.0
    cached: int = 0

    @property
    def replications(self) -> int:
        """Number of replications."""
        return len(self.frames)

    def _stacked(self) -> pd.DataFrame:
        numeric = [f.select_dtypes(include=[np.number, bool]).astype(float) for f in self.frames]
        return pd.concat(numeric, keys=range(len(numeric)), names=["replication", "month"])

    @cached_property
    def mean(self) -> pd.DataFrame:
        """Mean over replications, one row per month (numeric columns)."""
        return self._stacked().groupby(level="month", sort=False).mean()

    @cached_property
    def low(self) -> pd.DataFrame:
        """Minimum over replications, one row per month."""
        return self._stacked().groupby(level="month", sort=False).min()

    @cached_property
    def high(self) -> pd.DataFrame:
        """Maximum over replications, one row per month."""
        return self._stacked().groupby(level="month", sort=False).max()

    def long(self) -> pd.DataFrame:
        """All replications in one table: columns ``replication`` (1..n), ``month``, observables."""
        parts = []
        for i, frame in enumerate(self.frames, start=1):
            part = frame.reset_index()
            part.insert(0, "replication", i)
            parts.append(part)
        return pd.concat(parts, ignore_index=True)


def resolve(
    source: str | dict[str, Any],
    overrides: dict[str, Any] | None = None,
    population: int | None = None,
    seed: int | None = None,
) -> Scenario:
    """Load ``source`` with the dashboard's edits applied and validated.

    Parameters
    ----------
    source
        A built-in scenario name, or resolved scenario data (an uploaded file).
    overrides
        Dotted path -> value (the levers that moved).
    population
        Number of individuals, if set.
    seed
        Seed written into the scenario, so that its YAML reproduces the run.

    Raises
    ------
    WakusimInputError
        With the loader's message (field, value and what is allowed).
    """
    changes = dict(overrides or {})
    if population is not None:
        changes["population.size"] = int(population)
    if seed is not None:
        changes["seed"] = int(seed)
    return load_scenario(source, changes)


def parse_upload(name: str, content: bytes) -> dict[str, Any]:
    """Validate an uploaded scenario file and return it resolved, as plain data.

    The file goes through :func:`wakusim.load_scenario`, so it gets the same
    checks and messages as ``wakusim run file.yaml``; messages name the
    uploaded file. ``extends`` may name a built-in scenario.

    Raises
    ------
    WakusimInputError
        If the file is too large, not YAML, or not a valid scenario.
    """
    base = Path(name).name or "upload.yaml"
    if not base.endswith((".yaml", ".yml")):
        raise WakusimInputError(f"{base}: a scenario file must end in .yaml or .yml")
    if len(content) > MAX_UPLOAD_BYTES:
        raise WakusimInputError(
            f"{base}: file too large ({len(content):,} bytes; at most {MAX_UPLOAD_BYTES:,})"
        )
    with tempfile.TemporaryDirectory(prefix="wakusim-upload-") as folder:
        path = Path(folder) / base
        path.write_bytes(content)
        try:
            scenario = load_scenario(path)
        except WakusimInputError as exc:
            raise WakusimInputError(str(exc).replace(str(path), base)) from None
    return scenario.to_dict()


def run_set(
    scenario: Scenario,
    seed: int,
    replications: int,
    progress: Progress | None = None,
    label: str = "",
) -> RunSet:
    """Run (or fetch from the cache) ``replications`` runs of ``scenario``.

    Parameters
    ----------
    scenario
        Fully resolved scenario.
    seed
        Seed of replication 1; see :func:`replication_seeds`.
    replications
        Number of runs.
    progress
        Called as ``progress(fraction_done, text)`` while simulating.
    label
        Name shown in progress texts.
    """
    key = scenario_key(scenario)
    seeds = replication_seeds(seed, replications)
    total = scenario.warmup_months + scenario.n_months
    frames: list[pd.DataFrame] = []
    markers: list[tuple[str, str]] = []
    cached = 0
    clock = time.perf_counter()
    for index, seq in enumerate(seeds):
        hit = cache_get((key, seed, index))
        if hit is not None:
            frame, markers = hit
            cached += 1
        else:

            def tick(done: int, _total: int, index: int = index) -> None:
                if progress is not None:
                    fraction = (index + done / max(total, 1)) / replications
                    progress(
                        min(fraction, 1.0),
                        f"{label} replication {index + 1}/{replications}: month {done}/{total}",
                    )

            result = simulate(scenario, rng=seq, progress=tick)
            frame, markers = result.timeseries, list(result.markers)
            cache_put((key, seed, index), (frame, markers))
        frames.append(frame)
    seconds = 0.0 if cached == replications else time.perf_counter() - clock
    return RunSet(scenario, seed, frames, markers, seconds=seconds, cached=cached)


def is_cached(scenario: Scenario, seed: int, replications: int) -> bool:
    """Whether every replication of this run set is in the cache."""
    key = scenario_key(scenario)
    with _lock:
        return all((key, seed, i) in _cache for i in range(replications))


def cache_get(key: tuple[str, int, int]) -> tuple[pd.DataFrame, list[tuple[str, str]]] | None:
    """Return a cached run and mark it recently used, or ``None``."""
    with _lock:
        hit = _cache.get(key)
        if hit is not None:
            _cache.move_to_end(key)
        return hit


def cache_put(key: tuple[str, int, int], value: tuple[pd.DataFrame, list[tuple[str, str]]]) -> None:
    """Store a run, dropping the least recently used beyond :data:`CACHE_SIZE`."""
    with _lock:
        _cache[key] = value
        _cache.move_to_end(key)
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)


def clear_cache() -> None:
    """Forget every cached run."""
    with _lock:
        _cache.clear()


def after_month(scenario: Scenario, frame: pd.DataFrame, which: str = "after") -> str:
    """Return the report's before/after-crackdown month, or the last month if not simulated."""
    month = (
        scenario.report.after_crackdown if which == "after" else scenario.report.before_crackdown
    )[:7]
    if month in frame.index:
        return month
    return str(frame.index[-1] if which == "after" else frame.index[0])


KEY_NUMBERS: list[tuple[str, str, str, float, str]] = [
    # label, column, how ("level" at the month or "sum12" over 12 months to it), scale, format
    ("Partners %", "share_partner", "level", 100.0, "{:.2f}"),
    ("Members %", "share_member", "level", 100.0, "{:.2f}"),
    ("Smugglers %", "share_smuggler", "level", 100.0, "{:.2f}"),
    ("Company imports M¥", "volume_company", "level", 1e-6, "{:.2f}"),
    ("Price per yuan", "price", "level", 1.0, "{:.3f}"),
    ("Partner arrests", "arrests_partner", "sum12", 1.0, "{:,.0f}"),
    ("State revenue k¥", "revenue_total", "sum12", 1e-3, "{:,.0f}"),
]
KEY_HELP = {
    "Partners %": "Share of free individuals trading as partners of a company, in the month.",
    "Members %": "Share of free individuals who are company members, in the month.",
    "Smugglers %": "Share of free individuals smuggling on their own, in the month.",
    "Company imports M¥": "Imports through companies (partners, members, own funds), "
    "million CNY of import cost in the month.",
    "Price per yuan": "Domestic sale value per yuan of import cost, in the month.",
    "Partner arrests": "Partners arrested over the 12 months up to the month.",
    "State revenue k¥": "State revenue (FX surrendered, fines, confiscated goods, loyalty "
    "funds) over the 12 months up to the month, thousand CNY.",
}


def key_numbers(runs: RunSet) -> dict[str, float]:
    """Return the key numbers at the after-crackdown date (means over replications)."""
    frame = runs.mean
    month = after_month(runs.scenario, frame)
    pos = frame.index.get_loc(month)
    window = frame.iloc[max(0, pos - 11) : pos + 1]
    values = {}
    for label, column, how, scale, _fmt in KEY_NUMBERS:
        raw = frame.loc[month, column] if how == "level" else window[column].sum()
        values[label] = float(raw) * scale
    return values
