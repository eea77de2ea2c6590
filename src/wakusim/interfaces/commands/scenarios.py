"""``wakusim scenarios`` and ``wakusim scenarios show NAME``."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.table import Table

from wakusim.interfaces.console import fail, out

scenarios_app = typer.Typer(help="List the built-in scenarios, or show one.", no_args_is_help=False)


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
        fail(f"unknown scenario {name!r}; built-in scenarios: {', '.join(builtin_names())}")
    if resolved:
        text = yaml.safe_dump(load_scenario(name).to_dict(), sort_keys=False, allow_unicode=True)
    else:
        text = builtin_path(name).read_text(encoding="utf-8")
    sys.stdout.write(text)


def register(app: typer.Typer) -> None:
    """Add the ``scenarios`` group to the application."""
    app.add_typer(scenarios_app, name="scenarios")
