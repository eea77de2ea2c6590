"""``wakusim equilibrium``: solve the stationary mean-field equilibria, or trace a policy curve."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from wakusim.errors import WakusimInputError
from wakusim.interfaces.console import fail, fmt, out

_ROWS = [
    ("outside %", "share_outside", 100),
    ("smuggler %", "share_smuggler", 100),
    ("partner %", "share_partner", 100),
    ("member %", "share_member", 100),
    ("detained % of all", "share_detained_population", 100),
    ("expected margin", "margin", 1),
    ("sale value", "price", 1),
    ("imports, CNY/month", "volume_total", 1),
    ("revenue, FX surrender", "revenue_surrender", 1),
    ("revenue, fines", "revenue_fines", 1),
    ("revenue, confiscation", "revenue_confiscation", 1),
    ("revenue, loyalty funds", "revenue_loyalty", 1),
    ("revenue, total", "revenue_total", 1),
    ("residual", "residual", 1),
    ("iterations", "iterations", 1),
]


def equilibrium(
    scenario: Annotated[
        str, typer.Argument(help="Built-in scenario name or path to a YAML file.")
    ] = "history",
    date: Annotated[
        str | None,
        typer.Option("--date", "-d", help="Month whose policy to use, YYYY-MM (default: start)."),
    ] = None,
    overrides: Annotated[
        list[str] | None,
        typer.Option("--set", help="Override a scenario value: PATH=VALUE (repeatable)."),
    ] = None,
    curve: Annotated[
        str | None,
        typer.Option(
            "--curve",
            help="Trace the equilibria along this policy field, e.g. enforcement.inspection_rate.",
        ),
    ] = None,
    start: Annotated[float | None, typer.Option("--from", help="First value of --curve.")] = None,
    stop: Annotated[float | None, typer.Option("--to", help="Last value of --curve.")] = None,
    points: Annotated[int, typer.Option("--points", help="Values along --curve.")] = 21,
    out_png: Annotated[
        Path, typer.Option("--out", "-o", help="PNG file for the --curve figure.")
    ] = Path("equilibrium-curve.png"),
) -> None:
    """Solve the stationary mean-field equilibria of the policy in force at a date."""
    from wakusim.equilibrium import solve_equilibrium
    from wakusim.equilibrium.curve import check_curve_range, save_curve_figure, trace_curve
    from wakusim.scenarios.loader import load_scenario

    try:
        sc = load_scenario(scenario, list(overrides or []))
        if curve is None:
            if start is not None or stop is not None:
                raise WakusimInputError("--from and --to need --curve PARAM")
            result = solve_equilibrium(sc, date)
        else:
            if start is None or stop is None:
                raise WakusimInputError(f"--curve {curve} needs --from A and --to B")
            check_curve_range(curve, start, stop)
            if points < 2:
                raise WakusimInputError(f"--points must be at least 2 (got {points})")
            frame = trace_curve(sc, curve, start, stop, points=points, date=date)
            label = date or sc.start
            saved = save_curve_figure(
                frame, out_png, title=f"{sc.name}, policy of {label}: equilibria along {curve}"
            )
    except WakusimInputError as exc:
        fail(str(exc))
        return
    if curve is None:
        _print_result(result)
    else:
        _print_curve(frame, curve, saved)


def _print_result(result) -> None:  # noqa: ANN001 - an EquilibriumResult
    frame = result.to_frame()
    n = len(frame)
    view = Table(
        title=f"{result.scenario}: equilibria, policy of {result.date}",
        title_justify="left",
        caption=f"{result.n_types} types; {result.starts} starting margins; "
        "shares among free individuals",
        caption_justify="left",
    )
    view.add_column("", no_wrap=True)
    for k in range(n):
        kind = "stable" if frame["stable"].iloc[k] else "unstable"
        view.add_column(f"#{k + 1} ({kind})" if n > 1 else kind, justify="right")
    for label, col, scale in _ROWS:
        view.add_row(label, *[fmt(float(v) * scale) for v in frame[col]])
    view.add_row("converged", *["yes" if c else "no" for c in frame["converged"]])
    out.print(view)
    if n > 1:
        out.print(f"{n} equilibria: the outcome depends on where the market starts.")
    if frame["slots_bind"].any():
        out.print("note: the solution needs more member posts than companies have.")


def _print_curve(frame, param: str, saved: Path) -> None:  # noqa: ANN001 - a DataFrame
    view = Table(title=f"equilibria along {param}", title_justify="left")
    for name in (param, "eq.", "outside %", "smuggler %", "partner %", "member %", "revenue"):
        view.add_column(name, justify="right")
    for _, row in frame.iterrows():
        view.add_row(
            f"{row['value']:.4g}",
            f"{int(row['equilibrium']) + 1}{'' if row['stable'] else ' (unstable)'}",
            *[fmt(100 * row[f"share_{m}"]) for m in ("outside", "smuggler", "partner", "member")],
            fmt(row["revenue_total"]),
        )
    out.print(view)
    out.print(f"curve written to [bold]{saved}[/]")


def register(app: typer.Typer) -> None:
    """Add ``equilibrium`` to the application."""
    app.command()(equilibrium)
