"""wakusim: an agent-based model of the permit-based (waku) trade system on North Korea's border.

Quick start::

    import wakusim
    scenario = wakusim.load_scenario("history", overrides={"population.size": 5000})
    result = wakusim.simulate(scenario, rng=42)
    result.timeseries[["share_partner", "share_member"]]
    result.save("my-run")

``simulate`` and ``SimulationResult`` are imported on first use, so that the
command line starts without loading pandas until a command needs it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

from wakusim.errors import WakusimInputError  # noqa: E402
from wakusim.scenarios import Scenario, builtin_names, load_scenario  # noqa: E402

if TYPE_CHECKING:
    from wakusim.api import simulate
    from wakusim.outputs.results import SimulationResult

_LAZY = {"simulate": "wakusim.api", "SimulationResult": "wakusim.outputs.results"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'wakusim' has no attribute {name!r}")


__all__ = [
    "Scenario",
    "SimulationResult",
    "WakusimInputError",
    "__version__",
    "builtin_names",
    "load_scenario",
    "simulate",
]
