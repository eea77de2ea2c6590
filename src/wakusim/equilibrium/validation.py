"""Helpers to compare the solver with the simulation (used by the tests and the docs).

:func:`fixed_policy_scenario` turns a dated policy of a scenario into a
scenario whose policy never changes, set up for the mean-field limit: no
learning, quotas and member posts that never bind, companies that always take
partners and are never suspended, wealth held fixed (``population.fixed_wealth``,
the mean-field's assumption). :func:`run_engine` runs the simulation's own
monthly step (:func:`wakusim.core.engine.step`) for a number of months, for a
population given as a finite mixture of types (which a scenario's log-normal
draws cannot express), optionally starting from a solved equilibrium: modes and
detention countdowns drawn from its stationary distribution and the expected
margin at its value.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from wakusim.core.engine import step
from wakusim.core.initial import initial_state
from wakusim.core.policy import policy_for_month
from wakusim.core.state import DETAINED, MEMBER, NO_COMPANY, OUTSIDE, PARTNER, ModelState
from wakusim.equilibrium.solver import Equilibrium, MeanField, policy_at
from wakusim.equilibrium.types import PopulationTypes
from wakusim.scenarios.loader import load_scenario
from wakusim.scenarios.schema import Scenario
from wakusim.scenarios.timeline import compile_timeline

MEAN_FIELD_SETTINGS: dict[str, Any] = {
    "learning.enabled": False,  # beliefs equal the true risks
    "companies.quota_ratio": 100,  # quotas never bind
    "companies.own_funds_share": 0.0,  # no company funds (their dynamics are not stationary)
    "companies.member_slots_per_1000": 1000,  # a post for everyone
    "companies.boldness.median": 1e9,  # every company takes partners
    "companies.boldness.sigma": 0.0,
    "enforcement.suspension_months": 0,  # no permit suspensions
    "population.fixed_wealth": True,  # the mean-field holds wealth fixed
}


def fixed_policy_scenario(
    base: str | Scenario, date: str, overrides: dict[str, Any] | None = None, months: int = 40
) -> Scenario:
    """Return ``base`` with its policy at ``date`` held fixed, in the mean-field limit.

    Parameters
    ----------
    base
        Built-in scenario name or a scenario.
    date
        Month whose policy to hold (``YYYY-MM``).
    overrides
        Further overrides, applied last (e.g. the population).
    months
        Months to simulate (no warm-up).
    """
    sc = load_scenario(base) if isinstance(base, str) else base
    policy, _ = policy_at(sc, date)
    values: dict[str, Any] = {
        f"{section}.{name}": value
        for section in ("border", "enforcement", "state")
        for name, value in getattr(policy, section).model_dump().items()
    }
    end_year, end_month = 2030 + (months - 1) // 12, (months - 1) % 12 + 1
    values.update(
        {
            "timeline": [],
            "start": "2030-01",
            "end": f"{end_year}-{end_month:02d}",
            "warmup_months": 0,
            **MEAN_FIELD_SETTINGS,
        }
    )
    values.update(overrides or {})
    return load_scenario(sc.to_dict(), values)


def set_types(state: ModelState, types: PopulationTypes, rng: np.random.Generator) -> np.ndarray:
    """Give individuals the types of a mixture (by weight); return their type ids."""
    pop = state.population
    counts = np.floor(types.weight * pop.size).astype(int)
    counts[np.argmax(types.weight)] += pop.size - counts.sum()
    ids = rng.permutation(np.repeat(np.arange(types.size), counts))
    pop.wealth = types.wealth[ids].copy()
    pop.risk_aversion = types.risk_aversion[ids].copy()
    pop.org_aversion = types.org_aversion[ids].copy()
    return ids


def start_at(
    state: ModelState,
    scenario: Scenario,
    equilibrium: Equilibrium,
    mean_field: MeanField,
    type_ids: np.ndarray,
    rng: np.random.Generator,
) -> None:
    """Put the state at a solved equilibrium: modes, detention countdowns and expectations."""
    pop, comp = state.population, state.companies
    st = mean_field.state(equilibrium.margin)["stationary"]
    det = mean_field.detention.astype(int)
    dmax = int(det.max())
    for k in range(mean_field.types.size):
        rows = np.flatnonzero(type_ids == k)
        # States: 4 free modes, R, then detention with 1..dmax months left.
        probs = np.zeros(5 + dmax)
        probs[:4] = st.free[k]
        probs[4] = st.recheck[k]
        for j in range(4):
            probs[5 : 5 + det[j]] += st.caught[k, j]
        probs /= probs.sum()
        drawn = rng.choice(probs.size, size=rows.size, p=probs)
        mode = np.where(drawn < 4, drawn, np.where(drawn == 4, OUTSIDE, DETAINED))
        pop.mode[rows] = mode
        pop.must_revise[rows] = drawn == 4
        pop.detention_left[rows] = np.where(drawn >= 5, drawn - 4, 0)
    share = comp.quota / comp.quota.sum()
    attached = (pop.mode == PARTNER) | (pop.mode == MEMBER)
    pop.company[:] = NO_COMPANY
    pop.company[attached] = rng.choice(comp.size, size=int(attached.sum()), p=share)
    state.market.expected_margin = equilibrium.margin
    state.market.price = equilibrium.price


def run_engine(
    scenario: Scenario,
    rng: int | np.random.Generator = 0,
    types: PopulationTypes | None = None,
    start: Equilibrium | None = None,
) -> pd.DataFrame:
    """Run the simulation's monthly step under the scenario's first-month policy.

    Parameters
    ----------
    scenario
        Usually from :func:`fixed_policy_scenario`; runs ``n_months`` months.
    rng
        Seed or generator.
    types
        A mixture to give the individuals instead of the scenario's draws.
    start
        Start from this equilibrium (of the same scenario and ``types``)
        instead of everyone outside.

    Returns
    -------
    pandas.DataFrame
        The monthly records, as ``simulate(...).timeseries`` (without policy columns).
    """
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    policy = policy_for_month(compile_timeline(scenario), 0)
    state = initial_state(scenario, policy, gen)
    type_ids = None
    if types is not None:
        type_ids = set_types(state, types, gen)
    if start is not None:
        mix = types or PopulationTypes(
            wealth=state.population.wealth[:1],
            risk_aversion=state.population.risk_aversion[:1],
            org_aversion=state.population.org_aversion[:1],
            weight=np.ones(1),
        )
        ids = type_ids if type_ids is not None else np.zeros(state.population.size, dtype=int)
        start_at(state, scenario, start, MeanField(scenario, policy, mix), ids, gen)
    records = [step(state, policy, [], scenario, gen) for _ in range(scenario.n_months)]
    return pd.DataFrame(records)
