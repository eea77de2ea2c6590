"""Factories for tiny hand-made model states, scenarios and policies.

Fixtures return factory functions (conftest modules are not imported by tests).
Every array a test does not give gets a neutral default, so that a test states
only the numbers its hand computation depends on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pytest

from wakusim.core.network import ContactNetwork
from wakusim.core.policy import Policy
from wakusim.core.state import (
    NO_COMPANY,
    OUTSIDE,
    Companies,
    Market,
    ModelState,
    Population,
)
from wakusim.scenarios.loader import load_scenario
from wakusim.scenarios.schema import Scenario


def _scenario(overrides: dict[str, Any] | None = None) -> Scenario:
    return load_scenario("history", {"population.size": 10, **(overrides or {})})


def _policy(
    scenario: Scenario,
    border: dict[str, Any] | None = None,
    enforcement: dict[str, Any] | None = None,
    state: dict[str, Any] | None = None,
) -> Policy:
    """The scenario's initial (January 2019) policy, with some fields changed."""
    return Policy(
        border=scenario.border.model_copy(update=border or {}),
        enforcement=scenario.enforcement.model_copy(update=enforcement or {}),
        state=scenario.state.model_copy(update=state or {}),
    )


def _array(value: Any, n: int, dtype: Any) -> np.ndarray:
    if value is None:
        return np.zeros(n, dtype=dtype)
    arr = np.asarray(value, dtype=dtype)
    return np.full(n, arr, dtype=dtype) if arr.ndim == 0 else arr.copy()


def _state(
    wealth: Sequence[float],
    *,
    mode: Sequence[int] | None = None,
    company: Sequence[int] | None = None,
    risk_aversion: Any = 1.0,
    org_aversion: Any = 300.0,
    detention_left: Sequence[int] | None = None,
    belief: Sequence[Sequence[float]] | None = None,
    belief_weight: Any = 10.0,
    contacts: Sequence[Sequence[int]] | None = None,
    must_revise: Any = False,
    quota: Sequence[float] = (100_000.0, 100_000.0),
    funds: Any = 0.0,
    member_slots: Any = 0,
    boldness: Any = 1.0,
    accepts_partners: Any = True,
    suspended_left: Any = 0,
    perceived_inspection: Any = 0.02,
    reference_volume: float = 100_000.0,
    expected_margin: float = 0.5,
    price: float = 1.5,
) -> ModelState:
    """Build a ModelState from the arrays given; the rest gets neutral defaults."""
    w = np.asarray(wealth, dtype=np.float64)
    n = w.shape[0]
    m = len(quota)
    if mode is None:
        mode_arr = np.full(n, OUTSIDE, dtype=np.int8)
    else:
        mode_arr = np.asarray(mode, dtype=np.int8)
    if company is None:
        company_arr = np.full(n, NO_COMPANY, dtype=np.int32)
    else:
        company_arr = np.asarray(company, dtype=np.int32)
    if belief is None:
        belief_arr = np.vstack([np.full(n, 0.05), np.full(n, 0.006)])
    else:
        belief_arr = np.asarray(belief, dtype=np.float64).copy()
    weight = np.asarray(belief_weight, dtype=np.float64)
    weight_arr = np.full((2, n), weight) if weight.ndim == 0 else weight.copy()
    if contacts is None:
        contacts_arr = ((np.arange(n)[:, None] + np.array([1, -1])[None, :]) % n).astype(np.int32)
    else:
        contacts_arr = np.asarray(contacts, dtype=np.int32)
    population = Population(
        wealth=w.copy(),
        risk_aversion=_array(risk_aversion, n, np.float64),
        org_aversion=_array(org_aversion, n, np.float64),
        mode=mode_arr,
        company=company_arr,
        detention_left=_array(detention_left, n, np.int16),
        belief=belief_arr,
        belief_weight=weight_arr,
        contacts=ContactNetwork.from_dense(contacts_arr),
        income=np.zeros(n),
        must_revise=_array(must_revise, n, bool),
    )
    companies = Companies(
        quota=np.asarray(quota, dtype=np.float64).copy(),
        funds=_array(funds, m, np.float64),
        member_slots=_array(member_slots, m, np.int64),
        boldness=_array(boldness, m, np.float64),
        accepts_partners=_array(accepts_partners, m, bool),
        suspended_left=_array(suspended_left, m, np.int16),
        perceived_inspection=_array(perceived_inspection, m, np.float64),
    )
    market = Market(reference_volume=reference_volume, expected_margin=expected_margin, price=price)
    return ModelState(
        population=population,
        companies=companies,
        market=market,
        partners_last=np.zeros(m),
    )


@pytest.fixture
def make_scenario() -> Callable[..., Scenario]:
    """``make_scenario({"market.safe_return": 0.0})``: history with overrides, 10 people."""
    return _scenario


@pytest.fixture
def make_policy() -> Callable[..., Policy]:
    """``make_policy(scenario, enforcement={...})``: the initial policy with changes."""
    return _policy


@pytest.fixture
def make_state() -> Callable[..., ModelState]:
    """``make_state(wealth, mode=..., company=..., quota=...)``: a hand-made state."""
    return _state
