"""Figures of one run (PNG), drawn with matplotlib's object interface (no global pyplot state)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

if TYPE_CHECKING:
    from wakusim.outputs.results import SimulationResult

MODE_COLOURS = {
    "outside": "#9e9e9e",
    "smuggler": "#d62728",
    "partner": "#ff7f0e",
    "member": "#1f77b4",
}
DPI = 120


def _dates(frame: pd.DataFrame) -> pd.DatetimeIndex:
    return pd.to_datetime(frame.index.astype(str), format="%Y-%m")


def mark_events(ax: Axes, markers: list[tuple[str, str]], labels: bool = True) -> None:
    """Draw a dashed vertical line, and optionally a label, at each timeline event."""
    top = ax.get_ylim()[1]
    for i, (month, label) in enumerate(markers):
        x = pd.Timestamp(f"{month}-01")
        ax.axvline(x, color="#555555", linestyle="--", linewidth=0.8, alpha=0.7)
        if labels:
            ax.text(
                x,
                top * (0.97 - 0.08 * (i % 4)),
                f" {label}",
                fontsize=7,
                va="top",
                color="#333333",
            )


def modes_figure(result: SimulationResult) -> Figure:
    """Mode shares among free individuals over time, with timeline events marked."""
    ts = result.timeseries
    fig = Figure(figsize=(10, 5.2))
    ax = fig.add_subplot()
    x = _dates(ts)
    for mode, colour in MODE_COLOURS.items():
        if mode == "outside":
            continue
        ax.plot(x, 100 * ts[f"share_{mode}"], color=colour, label=mode, linewidth=1.8)
    ax.set_ylabel("% of free individuals")
    ax.set_ylim(
        0,
        max(5.0, 100 * ts[["share_smuggler", "share_partner", "share_member"]].max().max() * 1.35),
    )
    ax2 = ax.twinx()
    ax2.plot(
        x,
        100 * ts["share_outside"],
        color=MODE_COLOURS["outside"],
        linewidth=1.2,
        linestyle=":",
        label="outside (right axis)",
    )
    ax2.set_ylabel("% outside")
    ax2.set_ylim(0, 100)
    mark_events(ax, result.markers)
    lines = ax.get_legend_handles_labels()
    lines2 = ax2.get_legend_handles_labels()
    ax.legend(
        lines[0] + lines2[0],
        lines[1] + lines2[1],
        loc="upper left",
        fontsize=8,
        bbox_to_anchor=(0.0, -0.08),
        ncol=4,
        frameon=False,
    )
    ax.set_title(f"Modes of free individuals — {result.scenario.name}")
    fig.tight_layout()
    return fig


def market_figure(result: SimulationResult) -> Figure:
    """Import volume by channel (stacked) and the sale value per yuan of import cost."""
    ts = result.timeseries
    fig = Figure(figsize=(10, 6.5))
    ax, axp = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [2, 1]})
    x = _dates(ts)
    parts = {
        "smuggling": ts["volume_smuggling"],
        "partners": ts["volume_partner"],
        "members": ts["volume_member"],
        "companies' own funds": ts["volume_company_own"],
    }
    colours = ["#d62728", "#ff7f0e", "#1f77b4", "#2ca02c"]
    ax.stackplot(
        x, *[v / 1e6 for v in parts.values()], labels=list(parts), colors=colours, alpha=0.85
    )
    ax.set_ylabel("imports, million CNY/month")
    ax.legend(loc="upper right", fontsize=8)
    mark_events(ax, result.markers, labels=False)
    axp.plot(x, ts["price"], color="black", linewidth=1.5, label="sale value per yuan")
    axp.axhline(
        result.scenario.market.price_ref,
        color="grey",
        linestyle=":",
        linewidth=1,
        label="reference (2019 car example)",
    )
    axp.set_ylabel("CNY per yuan of cost")
    axp.legend(loc="upper right", fontsize=8)
    mark_events(axp, result.markers, labels=False)
    ax.set_title(f"Import volume and price — {result.scenario.name}")
    fig.tight_layout()
    return fig


def revenue_figure(result: SimulationResult) -> Figure:
    """State revenue by source (stacked)."""
    ts = result.timeseries
    fig = Figure(figsize=(10, 4.8))
    ax = fig.add_subplot()
    x = _dates(ts)
    parts = {
        "foreign currency surrendered": ts["revenue_surrender"],
        "fines": ts["revenue_fines"],
        "confiscated goods": ts["revenue_confiscation"],
        "loyalty funds": ts["revenue_loyalty"],
    }
    ax.stackplot(
        x,
        *[v / 1e3 for v in parts.values()],
        labels=list(parts),
        colors=["#1f77b4", "#d62728", "#9467bd", "#8c564b"],
        alpha=0.85,
    )
    ax.set_ylabel("thousand CNY/month")
    ax.legend(loc="upper left", fontsize=8, bbox_to_anchor=(0.0, -0.08), ncol=4, frameon=False)
    mark_events(ax, result.markers)
    ax.set_title(f"State revenue by source — {result.scenario.name}")
    fig.tight_layout()
    return fig


def member_wealth_figure(result: SimulationResult) -> Figure:
    """Member share by wealth decile, before and after the crackdown."""
    ts = result.timeseries
    report = result.scenario.report
    cols = sorted(c for c in ts.columns if c.startswith("member_share_d"))
    fig = Figure(figsize=(7, 4.5))
    ax = fig.add_subplot()
    width = 0.38
    pos = np.arange(len(cols))
    for offset, (label, month) in zip(
        (-width / 2, width / 2),
        (
            ("before crackdown", report.before_crackdown),
            ("after crackdown", report.after_crackdown),
        ),
        strict=True,
    ):
        key = month[:7]
        values = (
            100 * ts.loc[key, cols].to_numpy(dtype=float)
            if key in ts.index
            else np.zeros(len(cols))
        )
        ax.bar(pos + offset, values, width, label=f"{label} ({key})")
    ax.set_xticks(pos, [f"D{i + 1}" for i in range(len(cols))])
    ax.set_xlabel("wealth decile of free individuals (D1 poorest)")
    ax.set_ylabel("% who are members")
    ax.legend(fontsize=8)
    ax.set_title("Who joins trading companies")
    fig.tight_layout()
    return fig


FIGURES = {
    "modes.png": modes_figure,
    "market.png": market_figure,
    "revenue.png": revenue_figure,
    "members_by_wealth.png": member_wealth_figure,
}


def draw_all(result: SimulationResult, folder: Path) -> list[str]:
    """Draw every figure into ``folder``; return the file names."""
    names = []
    for name, draw in FIGURES.items():
        fig = draw(result)
        fig.savefig(folder / name, dpi=DPI)
        names.append(name)
    return names
