"""The ``wakusim`` command line (Typer + rich).

User errors (bad scenario values, unknown keys, malformed files, wrong
``--set`` paths, unwritable folders) end with exit code 2 and one message on
standard error, never a traceback.
"""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from wakusim import __version__
from wakusim.errors import WakusimInputError

app = typer.Typer(
    name="wakusim",
    help="Simulate the permit-based (waku) trade system on North Korea's border with China.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
scenarios_app = typer.Typer(help="List the built-in scenarios, or show one.", no_args_is_help=False)
app.add_typer(scenarios_app, name="scenarios")

out = Console(width=None if sys.stdout.isatty() else 120)
err = Console(stderr=True)


def _fail(message: str) -> None:
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code=2)


@app.command()
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
    from wakusim.api import simulate
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
        _fail(str(exc))
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
        view.add_row(str(name), *[_fmt(v) for v in row])
    out.print(view)
    seed_info = result.manifest["seed"]
    out.print(
        f"{result.manifest['run_seconds']:.2f} s; seed entropy {seed_info.get('entropy')}; "
        f"results in [bold]{saved}[/]"
    )


def _fmt(value: float) -> str:
    if value != value:  # NaN
        return "–"
    if abs(value) >= 100 or float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.2f}"


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


@scenarios_app.callback(invoke_without_command=True)
def scenarios(ctx: typer.Context) -> None:
    """List the built-in scenarios with a one-line description."""
    if ctx.invoked_subcommand is not None:
        return
    from wakusim.scenarios.loader import builtin_description, builtin_names

    view = Table(title="Built-in scenarios", title_justify="left")
    view.add_column("name", style="bold")
    view.add_column("description")
    for name in builtin_names():
        view.add_row(name, builtin_description(name))
    out.print(view)


@scenarios_app.command("show")
def scenarios_show(
    name: Annotated[str, typer.Argument(help="Built-in scenario name.")],
    resolved: Annotated[
        bool, typer.Option(help="Print the fully resolved scenario (extends applied).")
    ] = False,
) -> None:
    """Print a built-in scenario file (with its comments), or the resolved scenario."""
    import yaml

    from wakusim.scenarios.loader import builtin_names, builtin_path, load_scenario

    if name not in builtin_names():
        _fail(f"unknown scenario {name!r}; built-in scenarios: {', '.join(builtin_names())}")
    if resolved:
        text = yaml.safe_dump(load_scenario(name).to_dict(), sort_keys=False, allow_unicode=True)
    else:
        text = builtin_path(name).read_text(encoding="utf-8")
    sys.stdout.write(text)


@app.command()
def version() -> None:
    """Print the version."""
    out.print(f"wakusim {__version__}")


def main() -> None:
    """Entry point of the console script."""
    try:
        app()
    except WakusimInputError as exc:  # pragma: no cover - commands catch their own
        err.print(f"error: {exc}")
        sys.exit(2)
