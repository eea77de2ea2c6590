"""The experiment tab: open a stored experiment folder, plot observables against parameters.

An experiment folder (written by :mod:`wakusim.experiments`) holds Parquet
files, one or more per run, and a ``manifest.json``. The tables are tidy: one
row per run x statistic or run x month, the varied parameters as columns. This
module reads such a folder with pandas and does not import the experiments
package, so the tab works with any folder in that format.

The equilibrium curve uses :func:`wakusim.equilibrium.trace_curve` when that
module exists; it is imported lazily.
"""

from __future__ import annotations

import importlib
import inspect
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import altair as alt
import pandas as pd

from wakusim.errors import WakusimInputError

MANIFEST = "manifest.json"
TABLES = ("statistics", "timeseries")
"""Subfolders of the experiment store with observables (``runs/`` and ``points.parquet``
hold bookkeeping and the design)."""
ID_COLUMNS = {"run", "run_id", "point", "replication", "rep", "seed", "index", "file"}
LONG_NAME = ("statistic", "observable", "metric", "variable")
LONG_VALUE = ("value",)
_VARIED_KEYS = ("varied", "parameters", "factors", "varied_parameters", "design", "grid")

EXPECTED = (
    "An experiment folder (from `wakusim sweep --out FOLDER`) holds a manifest.json and "
    "Parquet files: statistics/<run>.parquet (one row per run x statistic, columns "
    "`statistic` and `value`) and timeseries/<run>.parquet (one row per run x month, "
    "observables as columns), each row with the varied parameters as columns (named in the "
    "manifest's `parameters`). A folder of such Parquet files without the subfolders works too."
)


@dataclass
class Experiment:
    """A loaded experiment folder.

    Attributes
    ----------
    folder
        The folder read.
    frame
        All Parquet files concatenated (column ``file`` says which).
    manifest
        ``manifest.json`` as data, or empty.
    varied
        Columns that are varied parameters (from the manifest, else guessed).
    """

    folder: Path
    frame: pd.DataFrame
    manifest: dict[str, Any] = field(default_factory=dict)
    varied: list[str] = field(default_factory=list)

    @property
    def long_columns(self) -> tuple[str, str] | None:
        """``(name column, value column)`` if the table is long (run x statistic)."""
        name = next((c for c in LONG_NAME if c in self.frame.columns), None)
        value = next((c for c in LONG_VALUE if c in self.frame.columns), None)
        return (name, value) if name and value else None

    @property
    def observables(self) -> list[str]:
        """What can go on the y axis: statistics (long table) or numeric non-parameter columns."""
        long = self.long_columns
        if long:
            return sorted(map(str, self.frame[long[0]].dropna().unique()))
        skip = set(self.varied) | ID_COLUMNS | {"month"}
        return [
            c
            for c in self.frame.columns
            if c not in skip and pd.api.types.is_numeric_dtype(self.frame[c])
        ]

    @property
    def months(self) -> list[str]:
        """Months present (run x month tables), else empty."""
        if "month" not in self.frame.columns:
            return []
        return sorted(map(str, self.frame["month"].dropna().unique()))


def tables(folder: str | Path) -> list[str]:
    """Return the store's tables with data (``statistics``, ``timeseries``), or ``[]``."""
    path = Path(str(folder)).expanduser()
    return [t for t in TABLES if (path / t).is_dir() and any((path / t).glob("*.parquet"))]


def load_experiment(folder: str | Path, table: str | None = None) -> Experiment:
    """Read the Parquet files under ``folder`` and its ``manifest.json``.

    Parameters
    ----------
    folder
        The experiment folder.
    table
        ``statistics`` or ``timeseries``: read only that subfolder of the
        experiment store. ``None``: the first of those present; if neither is,
        every Parquet file under the folder.

    Raises
    ------
    WakusimInputError
        If the folder does not exist or holds no readable Parquet file; the
        message says what folder is expected.
    """
    path = Path(str(folder)).expanduser()
    if not str(folder).strip():
        raise WakusimInputError(f"give the path of an experiment folder. {EXPECTED}")
    if not path.is_dir():
        raise WakusimInputError(f"{path}: no such folder. {EXPECTED}")
    present = tables(path)
    if table is not None and table not in present:
        raise WakusimInputError(f"{path}: no {table}/ folder with Parquet files. {EXPECTED}")
    chosen = table or (present[0] if present else None)
    root = path / chosen if chosen else path
    files = sorted(p for p in root.rglob("*.parquet") if p.is_file())
    if chosen and (path / "runs").is_dir():
        # A run counts as done once its runs/ record exists (written last): skip the data
        # files of runs still being written by a live sweep.
        done = {p.stem for p in (path / "runs").glob("*.parquet")}
        files = [f for f in files if f.stem in done]
    if not files:
        raise WakusimInputError(f"{path}: no Parquet files found. {EXPECTED}")
    parts = []
    for file in files:
        try:
            part = pd.read_parquet(file)
        except Exception as exc:  # noqa: BLE001 - any reader error becomes a user message
            raise WakusimInputError(f"{file}: cannot read as Parquet ({exc})") from None
        if part.index.name is not None or not isinstance(part.index, pd.RangeIndex):
            part = part.reset_index()
        part["file"] = str(file.relative_to(path))
        parts.append(part)
    frame = pd.concat(parts, ignore_index=True)
    manifest: dict[str, Any] = {}
    if (path / MANIFEST).is_file():
        try:
            manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise WakusimInputError(f"{path / MANIFEST}: not valid JSON ({exc})") from None
        if not isinstance(manifest, dict):
            manifest = {"content": manifest}
    return Experiment(path, frame, manifest, varied_columns(frame, manifest))


def varied_columns(frame: pd.DataFrame, manifest: dict[str, Any]) -> list[str]:
    """Return the varied-parameter columns.

    The manifest's ``varied``/``parameters``/``factors``/``design`` entry (a list of
    names, or a mapping whose keys are names) wins; otherwise every column whose
    name is a dotted scenario path (not ``policy.*``) and that takes more than one value.
    """
    for key in _VARIED_KEYS:
        entry = manifest.get(key)
        names: list[str] = []
        if isinstance(entry, dict):
            names = [str(k) for k in entry]
        elif isinstance(entry, list):
            names = [str(e["name"] if isinstance(e, dict) and "name" in e else e) for e in entry]
        names = [n for n in names if n in frame.columns]
        if names:
            return names
    return [
        c
        for c in frame.columns
        if "." in str(c) and not str(c).startswith("policy.") and frame[c].nunique(dropna=True) > 1
    ]


def select(exp: Experiment, observable: str, month: str | None = None) -> pd.DataFrame:
    """Return one value of ``observable`` per row, as column ``value``, with the parameters.

    Parameters
    ----------
    exp
        The experiment.
    observable
        A statistic (long table) or a column.
    month
        For run x month tables: keep this month only; ``None`` averages over months.
    """
    frame = exp.frame
    long = exp.long_columns
    if long:
        name, value = long
        rows = frame[frame[name].astype(str) == observable].copy()
        rows["value"] = rows[value].astype(float)
    else:
        rows = frame.copy()
        rows["value"] = rows[observable].astype(float)
    if "month" in rows.columns:
        if month is not None:
            rows = rows[rows["month"].astype(str) == month]
        else:
            keys = [c for c in rows.columns if c in set(exp.varied) | ID_COLUMNS]
            rows = rows.groupby(keys, dropna=False, as_index=False)["value"].mean()
    return rows


def summarise(rows: pd.DataFrame, x: str, group: str | None = None) -> pd.DataFrame:
    """Mean, min, max and count of ``value`` at each ``x`` (and ``group``)."""
    keys = [x] + ([group] if group else [])
    out = (
        rows.groupby(keys, dropna=False)["value"]
        .agg(mean="mean", low="min", high="max", runs="count")
        .reset_index()
    )
    return out.sort_values(keys, ignore_index=True)


def response_chart(
    summary: pd.DataFrame, x: str, observable: str, group: str | None = None
) -> alt.LayerChart:
    """Mean ``observable`` against ``x``, with the min–max band over runs."""
    xtype = "Q" if pd.api.types.is_numeric_dtype(summary[x]) else "N"
    enc: dict[str, Any] = {"x": alt.X(f"{x}:{xtype}", title=x)}
    if group:
        enc["color"] = alt.Color(f"{group}:N", title=group)
    base = alt.Chart(summary).encode(**enc)
    band = base.mark_area(opacity=0.2) if xtype == "Q" else base.mark_rule()
    band = band.encode(y="low:Q", y2="high:Q")
    line = base.mark_line(point=True).encode(
        y=alt.Y("mean:Q", title=observable),
        tooltip=[x, "mean:Q", "low:Q", "high:Q", "runs:Q"] + ([group] if group else []),
    )
    return alt.layer(band, line).properties(height=320, title=f"{observable} against {x}")


def equilibrium_module() -> tuple[Any, str]:
    """Import :mod:`wakusim.equilibrium` lazily.

    Returns
    -------
    tuple
        ``(trace_curve, "")`` if available, else ``(None, reason)``.
    """
    try:
        module = importlib.import_module("wakusim.equilibrium")
    except ImportError as exc:
        return None, f"the equilibrium solver (wakusim.equilibrium) is not installed yet ({exc})"
    func = getattr(module, "trace_curve", None)
    if func is None:
        return None, "wakusim.equilibrium has no trace_curve function yet"
    return func, ""


def curve_parameters() -> list[str]:
    """Return the policy fields the solver can trace (``CURVE_PARAMETERS``), or ``[]``."""
    try:
        module = importlib.import_module("wakusim.equilibrium")
    except ImportError:
        return []
    return list(getattr(module, "CURVE_PARAMETERS", []))


def call_trace_curve(
    func: Any,
    scenario: Any,
    lever: str,
    values: list[float],
    date: str | None = None,
) -> Any:
    """Call ``trace_curve`` along ``lever`` over ``values``.

    With the solver's signature ``trace_curve(scenario, param, start, stop,
    points, date)`` the range and count come from ``values``; other
    signatures get the lever and values by parameter name
    (``lever``/``parameter``/``path``/``field``, ``values``/``grid``/``levels``).
    """
    params = list(inspect.signature(func).parameters)
    if {"param", "start", "stop"} <= set(params):
        kwargs_: dict[str, Any] = {"points": len(values)}
        if "date" in params:
            kwargs_["date"] = date
        return func(scenario, lever, float(min(values)), float(max(values)), **kwargs_)
    kwargs: dict[str, Any] = {}
    for name in params:
        if name in ("lever", "parameter", "path", "field", "param"):
            kwargs[name] = lever
        elif name in ("values", "grid", "points", "levels"):
            kwargs[name] = values
    if not params:
        raise TypeError("trace_curve takes no arguments")
    return func(scenario, **kwargs)


def curve_chart(curve: pd.DataFrame, x: str) -> alt.Chart:
    """Mode shares (%) of each equilibrium along ``x``; hollow points are unstable."""
    modes = [c for c in curve.columns if str(c).startswith("share_") and "detained" not in c]
    keep = [x] + [c for c in ("equilibrium", "stable") if c in curve.columns]
    data = curve.melt(id_vars=keep, value_vars=modes, var_name="mode", value_name="share")
    data["share"] = 100 * data["share"].astype(float)
    data["mode"] = data["mode"].str.removeprefix("share_")
    if "equilibrium" not in data.columns:
        data["equilibrium"] = 0
    if "stable" not in data.columns:
        data["stable"] = True
    base = alt.Chart(data).encode(
        x=alt.X(f"{x}:Q", title=x),
        y=alt.Y("share:Q", title="% of free individuals at equilibrium"),
        color=alt.Color("mode:N", title=None),
        detail="equilibrium:N",
    )
    lines = base.transform_filter("datum.stable").mark_line()
    points = base.mark_point(size=40).encode(
        fill=alt.condition("datum.stable", alt.Color("mode:N", title=None), alt.value("white")),
        tooltip=[x, "mode:N", alt.Tooltip("share:Q", format=".2f"), "equilibrium:N", "stable:N"],
    )
    return alt.layer(lines, points).properties(height=320, title="Equilibrium curve")


def curve_frame(result: Any, lever: str) -> pd.DataFrame:
    """Turn what ``trace_curve`` returned into a DataFrame (best effort)."""
    if isinstance(result, pd.DataFrame):
        return result.reset_index() if lever not in result.columns else result
    for attr in ("frame", "curve", "table", "to_frame", "to_dataframe"):
        value = getattr(result, attr, None)
        if callable(value):
            value = value()
        if isinstance(value, pd.DataFrame):
            return value.reset_index() if lever not in value.columns else value
    return pd.DataFrame(result)
