"""``wakusim run``: run a scenario, print a summary, write a results folder."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from wakusim.errors import WakusimInputError
from wakusim.interfaces.console import err, fail, fmt, out


def run(
    scenario: Annotated[
        str, typer.Argument(help="Built-in scenario name or path to a YAML file.")
    ] = "history",
    agents: Annotated[
        int | None, typer.Option("--agents", "-n", help="Number of individuals.")
    ] = None,
    seed: Annotated[
        int | None, typer.Option("--seed", "-s", min=0, help="Random seed (default: scenario's).")
    ] = None,
    out_dir: Annotated[
        Path | None, typer.Option("--out", "-o", help="Results folder (replaced if it exists).")
    ] = None,
    overrides: Annotated[
        list[str] | None,
        typer.Option("--set", help="Override a scenario value: PATH=VALUE (repeatable)."),
    ] = None,
    figures: Annotated[bool, typer.Option(help="Draw the PNG figures.")] = True,
) -> None:
    """Run a scenario, print a summary and write a results folder."""
    from wakusim.api import prepare, simulate
    from wakusim.outputs.summary import summary_table
    from wakusim.scenarios.loader import load_scenario

    changes = list(overrides or [])
    if agents is not None:
        changes.append(f"population.size={agents}")
    try:
        sc = load_scenario(scenario, changes)
        target = out_dir or _default_out(sc.name, seed if seed is not None else sc.seed)
        _check_writable(target)
        total = sc.warmup_months + sc.n_months
        with err.status("Loading the compiled model (a machine's first run compiles it, ~20 s)"):
            prepare()
        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("months"),
            TimeRemainingColumn(),
            console=err,
            transient=True,
        ) as bar:
            task = bar.add_task(f"{sc.name}, {sc.population.size:,} individuals", total=total)
            result = simulate(
                sc,
                rng=seed,
                progress=lambda done, _total: bar.update(task, completed=done),
            )
        saved = result.save(target, figures=figures)
    except WakusimInputError as exc:
        fail(str(exc))
        return
    from wakusim.outputs.summary import FOOTNOTE

    table = summary_table(result)
    view = Table(
        title=f"{sc.name}: {sc.description}",
        title_justify="left",
        caption=FOOTNOTE,
        caption_justify="left",
    )
    view.add_column("", no_wrap=True)
    for col in table.columns:
        view.add_column(str(col), justify="right")
    for name, row in table.iterrows():
        view.add_row(str(name), *[fmt(v) for v in row])
    out.print(view)
    seed_info = result.manifest["seed"]
    out.print(
        f"{result.manifest['run_seconds']:.2f} s; seed entropy {seed_info.get('entropy')}; "
        f"results in [bold]{saved}[/]"
    )


def _default_out(name: str, seed: int | None) -> Path:
    if seed is not None:
        return Path("wakusim-results") / f"{name}-seed{seed}"
    return Path("wakusim-results") / f"{name}-{datetime.now():%Y%m%d-%H%M%S}"


def _check_writable(target: Path) -> None:
    probe = target
    while not probe.exists():
        probe = probe.parent
    if probe.is_file() and probe != target:
        raise WakusimInputError(f"cannot write results to {target}: {probe} is a file")
    if target.exists() and target.is_file():
        raise WakusimInputError(f"cannot write results to {target}: it is a file")


def register(app: typer.Typer) -> None:
    """Add ``run`` to the application."""
    app.command()(run)
