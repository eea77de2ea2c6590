"""Shared pieces of the command line: consoles, the user-error exit, number formatting."""

from __future__ import annotations

import sys
from typing import NoReturn

import typer
from rich.console import Console
from rich.markup import escape

out = Console(width=None if sys.stdout.isatty() else 120)
err = Console(stderr=True)


def fail(message: str) -> NoReturn:
    """Print a user error on standard error and exit with code 2 (no traceback)."""
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code=2)


def fmt(value: float) -> str:
    """Format a number for a table: thousands separators, two decimals below 100."""
    if value != value:  # NaN
        return "–"
    if abs(value) >= 100 or float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.2f}"
