"""Commands of the ``wakusim`` command line, one module each.

Every module in this package that defines ``register(app: typer.Typer)`` is
registered on the main application, in alphabetical order of module names.
"""

from __future__ import annotations

import importlib
import pkgutil

import typer


def register_all(app: typer.Typer) -> None:
    """Register every command module of this package on ``app``."""
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(app)
