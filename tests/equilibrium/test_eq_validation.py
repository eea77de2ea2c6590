"""The simulation converges to the mean-field equilibrium (MODEL.md section 5).

Setting (``wakusim.equilibrium.validation.MEAN_FIELD_SETTINGS``): learning off,
quotas and member posts that never bind, companies that always take partners
and are never suspended (suspensions would take whole companies out of trade
in turn, a non-stationary state the mean-field does not describe), no
company funds and fixed wealth (as the mean-field), a fixed
policy (that of the history scenario at the date), 200,000 individuals.

Two kinds of run, both with wealth held fixed (``population.fixed_wealth``):
the public ``wakusim.simulate`` on a homogeneous population, and the
simulation's own monthly step on a population set to a mixture of types
(which the scenario's log-normal draws cannot express). Shares are averaged
over the second half of the run.
"""

from __future__ import annotations

import numpy as np
import pytest

import wakusim
from wakusim.equilibrium import (
    PopulationTypes,
    policy_at,
    solve_equilibrium,
    solve_policy,
    types_from_scenario,
)
from wakusim.equilibrium.validation import fixed_policy_scenario, run_engine

MODES = ("outside", "smuggler", "partner", "member")
POINTS = {"pre-closure": "2019-01", "closure": "2021-06", "crackdown": "2025-03"}
HOMOGENEOUS = {
    "population.size": 200_000,
    "population.wealth.median": 50_000,
    "population.wealth.sigma": 0,
    "preferences.risk_aversion.sigma": 0,
    "preferences.org_aversion.sigma": 0,
}
MIX = PopulationTypes(
    wealth=np.array([20_000.0, 50_000.0, 150_000.0]),
    risk_aversion=np.array([1.0, 1.5, 3.0]),
    org_aversion=np.array([200.0, 300.0, 600.0]),
    weight=np.array([0.5, 0.3, 0.2]),
)
MONTHS = 36
TOLERANCE = 0.01


def tail_shares(ts) -> dict[str, float]:
    window = ts.iloc[MONTHS // 2 :]
    return {m: float(window[f"share_{m}"].mean()) for m in MODES}


def assert_close(solver: dict[str, float], sim: dict[str, float]) -> None:
    gaps = {m: abs(solver[m] - sim[m]) for m in MODES}
    assert max(gaps.values()) < TOLERANCE, (solver, sim)


@pytest.mark.parametrize("population", ["homogeneous", "three types"])
@pytest.mark.parametrize("regime", list(POINTS))
def test_engine_with_fixed_wealth_converges_to_the_solver(regime, population):
    sc = fixed_policy_scenario("history", POINTS[regime], HOMOGENEOUS, months=MONTHS)
    types = MIX if population == "three types" else None
    result = solve_policy(sc, solve_equilibrium(sc).policy, types)
    assert result.converged and len(result.equilibria) == 1
    ts = run_engine(sc, rng=12, types=types)
    eq = result.equilibria[0]
    assert_close(eq.shares, tail_shares(ts))
    assert ts["price"].iloc[MONTHS // 2 :].mean() == pytest.approx(eq.price, rel=0.01)


@pytest.mark.parametrize("regime", list(POINTS))
def test_simulate_converges_to_the_solver(regime):
    sc = fixed_policy_scenario("history", POINTS[regime], HOMOGENEOUS, months=MONTHS)
    result = solve_equilibrium(sc)
    assert result.converged and len(result.equilibria) == 1
    ts = wakusim.simulate(sc, rng=11).timeseries
    assert_close(result.equilibria[0].shares, tail_shares(ts))


# Long sentences and a steep demand curve: a "smuggling trap". When many smuggle,
# a 10-year sentence takes so many traders out of trade that imports collapse and
# the margin soars, which keeps smuggling worth its risk (the ruin floor caps the loss).
TWO_EQUILIBRIA = {
    **HOMOGENEOUS,
    "population.size": 100_000,
    "preferences.risk_aversion.median": 0.6,
    "market.elasticity": 0.5,
    "market.reference_volume_per_capita": 3000,
    "enforcement.smuggling_detection": 0.005,
    "enforcement.smuggling_detention": 120,
}


def test_two_stable_equilibria_and_the_simulation_stays_near_each():
    sc = fixed_policy_scenario("history", "2019-01", TWO_EQUILIBRIA, months=MONTHS)
    result = solve_equilibrium(sc)
    assert [e.stable for e in result.equilibria] == [True, False, True]
    low, _, high = result.equilibria
    assert high.shares["smuggler"] > 0.9 > 0.4 > low.shares["smuggler"]
    for k, eq in enumerate((low, high)):
        ts = run_engine(sc, rng=20 + k, start=eq)
        assert_close(eq.shares, tail_shares(ts))
        assert ts["margin"].iloc[MONTHS // 2 :].mean() == pytest.approx(eq.margin, rel=0.05)


def test_unique_equilibrium_found_from_every_start_in_the_history_scenario():
    for date in POINTS.values():
        history = wakusim.load_scenario("history")
        result = solve_policy(
            history, policy_at(history, date)[0], types_from_scenario(history, 24, 5, 5), 800
        )
        assert len(result.equilibria) == 1
