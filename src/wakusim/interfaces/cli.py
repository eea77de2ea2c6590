"""The ``wakusim`` command line (Typer + rich).

Each command lives in a module of :mod:`wakusim.interfaces.commands` with a
``register(app)`` function; every such module is registered here. User errors
(bad scenario values, unknown keys, malformed files, wrong ``--set`` paths,
unwritable folders) end with exit code 2 and one message on standard error,
never a traceback.
"""

from __future__ import annotations

import sys

import typer

from wakusim import __version__
from wakusim.errors import WakusimInputError
from wakusim.interfaces.commands import register_all
from wakusim.interfaces.console import err, out

app = typer.Typer(
    name="wakusim",
    help="Simulate the permit-based (waku) trade system on North Korea's border with China.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.command()
def version() -> None:
    """Print the version."""
    out.print(f"wakusim {__version__}")


register_all(app)


def main() -> None:
    """Entry point of the console script."""
    try:
        app()
    except WakusimInputError as exc:  # pragma: no cover - commands catch their own
        err.print(f"error: {exc}")
        sys.exit(2)
