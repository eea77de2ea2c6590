"""Equilibria along one policy parameter, and the figure of the curve.

``trace_curve`` solves the equilibria at evenly spaced values of one numeric
policy field (e.g. ``enforcement.inspection_rate``), all else as in force at
the given date: how much enforcement buys how much compliance and revenue.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from wakusim.equilibrium.solver import policy_at, solve_policy, with_policy_value
from wakusim.equilibrium.types import PopulationTypes, types_from_scenario
from wakusim.errors import WakusimInputError
from wakusim.scenarios.schema import Border, Enforcement, Scenario, State
from wakusim.scenarios.timeline import describe_field

_SECTIONS = {"border": Border, "enforcement": Enforcement, "state": State}
CURVE_PARAMETERS: tuple[str, ...] = tuple(
    f"{section}.{name}"
    for section, model in _SECTIONS.items()
    for name, info in model.model_fields.items()
    if info.annotation is not bool
)
_COLOURS = {
    "outside": "tab:gray",
    "smuggler": "tab:red",
    "partner": "tab:orange",
    "member": "tab:blue",
}


def check_curve_range(param: str, start: float, stop: float) -> None:
    """Check that ``param`` is a numeric policy field and both ends are allowed values.

    Raises
    ------
    WakusimInputError
        Naming the allowed parameters, or the field's allowed range.
    """
    if param not in CURVE_PARAMETERS:
        raise WakusimInputError(
            f"unknown curve parameter {param!r}; allowed: {', '.join(CURVE_PARAMETERS)}"
        )
    section, _, name = param.partition(".")
    model = _SECTIONS[section]
    info = model.model_fields[name]
    for value in (start, stop):
        for meta in info.metadata:
            bad = (
                (getattr(meta, "ge", None) is not None and value < meta.ge)
                or (getattr(meta, "gt", None) is not None and value <= meta.gt)
                or (getattr(meta, "le", None) is not None and value > meta.le)
                or (getattr(meta, "lt", None) is not None and value >= meta.lt)
            )
            if bad:
                raise WakusimInputError(f"{param} = {value}: out of range ({describe_field(info)})")


def trace_curve(
    scenario: Scenario,
    param: str,
    start: float,
    stop: float,
    points: int = 41,
    date: str | None = None,
    types: PopulationTypes | None = None,
    starts: int = 120,
) -> pd.DataFrame:
    """Solve the equilibria along one policy parameter.

    Parameters
    ----------
    scenario
        A validated scenario.
    param
        A numeric policy field ``section.name`` (see ``CURVE_PARAMETERS``).
    start, stop
        Ends of the range (inclusive).
    points
        Number of values (at least 2).
    date
        Month whose policy is the baseline; ``None`` for the first month.
    types
        Population mixture; default from the scenario, on a coarser grid than
        :func:`~wakusim.equilibrium.solve_equilibrium` uses (24 x 5 x 5 types).
    starts
        Starting margins scanned at each value.

    Returns
    -------
    pandas.DataFrame
        One row per equilibrium per value: the parameter value (column
        ``param``), the equilibrium's number at that value, and its shares,
        margin, price, volumes, revenue, convergence and stability.

    Raises
    ------
    WakusimInputError
        For an unknown parameter, an out-of-range value or fewer than two points.
    """
    check_curve_range(param, start, stop)
    if points < 2:
        raise WakusimInputError(f"--points must be at least 2 (got {points})")
    base, label = policy_at(scenario, date)
    types = types if types is not None else types_from_scenario(scenario, 24, 5, 5)
    rows = []
    for value in np.linspace(start, stop, points):
        policy = with_policy_value(base, param, float(value))
        result = solve_policy(scenario, policy, types, starts=starts, date=label)
        for k, eq in enumerate(result.equilibria):
            rows.append({"param": param, "value": float(value), "equilibrium": k, **eq.to_row()})
    return pd.DataFrame(rows)


def curve_figure(curve: pd.DataFrame, title: str = "") -> Figure:
    """Draw shares (top) and state revenue (bottom) along the parameter.

    Stable equilibria are solid markers joined by lines; unstable ones are
    hollow markers. Uses matplotlib's object interface only.
    """
    fig = Figure(figsize=(7.5, 7.0), layout="constrained")
    FigureCanvasAgg(fig)
    ax_share, ax_rev = fig.subplots(2, 1, sharex=True)
    param = str(curve["param"].iloc[0]) if len(curve) else ""
    stable = curve[curve["stable"]]
    unstable = curve[~curve["stable"]]
    for mode, colour in _COLOURS.items():
        col = f"share_{mode}"
        for k, part in stable.groupby("equilibrium"):
            ax_share.plot(
                part["value"],
                100 * part[col],
                "o-" if k == 0 else "s--",
                color=colour,
                ms=3,
                label=mode if k == 0 else None,
            )
        if len(unstable):
            ax_share.plot(
                unstable["value"], 100 * unstable[col], "o", mfc="none", color=colour, ms=4
            )
    ax_share.set_ylabel("share of free individuals, %")
    ax_share.set_ylim(-2, 102)
    ax_share.legend(loc="best", fontsize="small")
    ax_share.grid(alpha=0.3)
    sources = ("surrender", "fines", "confiscation", "loyalty", "total")
    for source in sources:
        for k, part in stable.groupby("equilibrium"):
            ax_rev.plot(
                part["value"],
                part[f"revenue_{source}"] / 1e6,
                "-" if k == 0 else "--",
                lw=2.0 if source == "total" else 1.2,
                color="black" if source == "total" else None,
                label=source if k == 0 else None,
            )
    ax_rev.set_ylabel("state revenue, million CNY/month")
    ax_rev.set_xlabel(param)
    ax_rev.legend(loc="best", fontsize="small")
    ax_rev.grid(alpha=0.3)
    if title:
        fig.suptitle(title)
    return fig


def save_curve_figure(curve: pd.DataFrame, path: str | Path, title: str = "") -> Path:
    """Draw the curve and write it as a PNG; return the path."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    curve_figure(curve, title).savefig(target, dpi=120)
    return target
