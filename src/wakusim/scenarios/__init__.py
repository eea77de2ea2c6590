"""Scenarios: validated parameters, the policy timeline, and the files that hold them."""

from wakusim.scenarios.loader import builtin_names, load_scenario
from wakusim.scenarios.schema import Scenario
from wakusim.scenarios.timeline import PolicySchedule, compile_timeline

__all__ = ["PolicySchedule", "Scenario", "builtin_names", "compile_timeline", "load_scenario"]
