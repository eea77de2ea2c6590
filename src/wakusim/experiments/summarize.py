"""Summaries of a sweep: per point, the mean and 5-95 % band over replications.

:func:`summary` gives a table per point and statistic; :func:`fan_charts` draws
one PNG per kept time series, with each point's mean over replications and its
5-95 % band (a fan chart).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from wakusim.errors import WakusimInputError
from wakusim.experiments.sensitivity import save_figure
from wakusim.experiments.store import Store, write_parquet

SUMMARY_DIR = "summary"
MAX_LINES = 12


def summary(store: Store) -> pd.DataFrame:
    """Mean, 5 % and 95 % quantiles over replications, per point and statistic.

    Returns
    -------
    pandas.DataFrame
        Columns ``point``, every parameter, ``statistic``, ``runs``, ``mean``,
        ``p05``, ``p95``; rows ordered by point, then statistic as declared.
    """
    stats = store.table("statistics")
    if stats.empty:
        raise WakusimInputError(f"{store.folder} holds no completed runs with statistics")
    params = store.plan.parameter_columns
    grouped = stats.groupby(["point", "statistic"], sort=False)["value"]
    table = grouped.agg(
        runs="count",
        mean="mean",
        p05=lambda v: float(np.quantile(v, 0.05)),
        p95=lambda v: float(np.quantile(v, 0.95)),
    ).reset_index()
    table = table.merge(store.design[["point", *params]], on="point", how="left")
    order = {s: i for i, s in enumerate(store.manifest.get("statistics", []))}
    table["_rank"] = table["statistic"].map(order)
    table = table.sort_values(["point", "_rank"]).drop(columns="_rank")
    return table[["point", *params, "statistic", "runs", "mean", "p05", "p95"]].reset_index(
        drop=True
    )


def series_bands(store: Store, column: str) -> pd.DataFrame:
    """Per point and month: mean, 5 % and 95 % of one kept time series over replications."""
    series = store.table("timeseries")
    grouped = series.groupby(["point", "month"])[column]
    return grouped.agg(
        mean="mean",
        p05=lambda v: float(np.quantile(v, 0.05)),
        p95=lambda v: float(np.quantile(v, 0.95)),
    ).reset_index()


def _label(store: Store, point: int) -> str:
    values = store.parameters_of(point)
    return ", ".join(
        f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in values.items()
    )


def fan_charts(store: Store, folder: Path) -> list[Path]:
    """Draw one fan chart per kept time series; return the files written."""
    from matplotlib import colormaps
    from matplotlib.figure import Figure

    columns = list(store.manifest.get("timeseries", []))
    if not columns or not store.done():
        return []
    points = sorted(store.table("runs")["point"].unique().tolist())
    if len(points) > MAX_LINES:
        picks = np.linspace(0, len(points) - 1, MAX_LINES).round().astype(int)
        points = [points[i] for i in sorted(set(picks))]
    files = []
    for column in columns:
        bands = series_bands(store, column)
        fig = Figure(figsize=(10, 5.2), layout="constrained")
        ax = fig.subplots()
        cmap = colormaps["viridis"]
        for i, point in enumerate(points):
            part = bands[bands["point"] == point]
            x = pd.PeriodIndex(part["month"], freq="M").to_timestamp()
            colour = cmap(i / max(1, len(points) - 1))
            ax.fill_between(x, part["p05"], part["p95"], color=colour, alpha=0.15, linewidth=0)
            ax.plot(x, part["mean"], color=colour, linewidth=1.4, label=_label(store, point))
        ax.set_title(f"{store.plan.experiment.name}: {column} (mean and 5-95 % over replications)")
        ax.set_ylabel(column)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, ncol=2 if len(points) > 6 else 1, loc="best")
        path = folder / f"fan_{column}.png"
        save_figure(fig, path)
        files.append(path)
    return files


def write_summary(store: Store, figures: bool = True) -> tuple[pd.DataFrame, list[Path]]:
    """Compute the summary and write it (and the fan charts) to ``DIR/summary/``."""
    table = summary(store)
    folder = store.folder / SUMMARY_DIR
    folder.mkdir(exist_ok=True)
    write_parquet(table, folder / "summary.parquet")
    files = [folder / "summary.parquet"]
    if figures:
        files += fan_charts(store, folder)
    return table, files
