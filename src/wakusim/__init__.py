"""wakusim: an agent-based model of the permit-based (waku) trade system on North Korea's border.

Quick start::

    import wakusim
    scenario = wakusim.load_scenario("history", overrides={"population.size": 5000})
    result = wakusim.simulate(scenario, rng=42)
    result.timeseries[["share_partner", "share_member"]]
    result.save("my-run")
"""

__version__ = "0.1.0"

from wakusim.api import simulate  # noqa: E402
from wakusim.errors import WakusimInputError  # noqa: E402
from wakusim.outputs.results import SimulationResult  # noqa: E402
from wakusim.scenarios import Scenario, builtin_names, load_scenario  # noqa: E402

__all__ = [
    "Scenario",
    "SimulationResult",
    "WakusimInputError",
    "__version__",
    "builtin_names",
    "load_scenario",
    "simulate",
]
