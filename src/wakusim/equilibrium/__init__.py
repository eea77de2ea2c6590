"""Stationary mean-field equilibria of the decision problem, solved without simulating.

``solve_equilibrium(scenario, date)`` finds every stationary equilibrium of the
policy in force at ``date`` (mode shares, margin and price, import volume,
state revenue); ``trace_curve`` follows them along one policy parameter and
draws the curve. See ``docs/equilibrium.md`` for the equations.
"""

from wakusim.equilibrium.curve import CURVE_PARAMETERS, curve_figure, trace_curve
from wakusim.equilibrium.solver import (
    Equilibrium,
    EquilibriumResult,
    MeanField,
    policy_at,
    solve_equilibrium,
    solve_policy,
    with_policy_value,
)
from wakusim.equilibrium.stationary import Stationary, stationary, transition_matrix
from wakusim.equilibrium.types import PopulationTypes, types_from_scenario

__all__ = [
    "CURVE_PARAMETERS",
    "Equilibrium",
    "EquilibriumResult",
    "MeanField",
    "PopulationTypes",
    "Stationary",
    "curve_figure",
    "policy_at",
    "solve_equilibrium",
    "solve_policy",
    "stationary",
    "trace_curve",
    "transition_matrix",
    "types_from_scenario",
    "with_policy_value",
]
