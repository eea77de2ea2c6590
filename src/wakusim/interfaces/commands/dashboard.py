"""``wakusim dashboard``: start the browser dashboard (a Streamlit app)."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib import resources
from pathlib import Path
from typing import Annotated

import typer

from wakusim.interfaces.console import err, fail


def app_path() -> Path:
    """Return the dashboard's Streamlit script inside the installed package."""
    return Path(str(resources.files("wakusim.interfaces.dashboard") / "app.py"))


def streamlit_command(port: int, host: str) -> list[str]:
    """Return the command that serves the dashboard on ``host:port``."""
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(app_path()),
        "--server.port",
        str(port),
        "--server.address",
        host,
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
    ]


def dashboard(
    port: Annotated[
        int, typer.Option("--port", "-p", min=1, max=65535, help="Port to serve on.")
    ] = 8501,
    host: Annotated[
        str,
        typer.Option("--host", help="Address to bind; 0.0.0.0 exposes it to the network."),
    ] = "127.0.0.1",
) -> None:
    """Open the interactive dashboard in the browser (Streamlit)."""
    try:
        import streamlit  # noqa: F401
    except ImportError:
        fail("the dashboard needs Streamlit: pip install 'wakusim[dashboard]'")
    command = streamlit_command(port, host)
    err.print(f"wakusim dashboard on [bold]http://{host}:{port}[/] (Ctrl+C to stop)")
    if os.name == "posix":
        sys.stdout.flush()
        sys.stderr.flush()
        os.execv(command[0], command)
    raise typer.Exit(subprocess.call(command))  # pragma: no cover - non-POSIX


def register(app: typer.Typer) -> None:
    """Add ``dashboard`` to the application."""
    app.command()(dashboard)
