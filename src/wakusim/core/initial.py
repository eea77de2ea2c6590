"""Build the initial state from a validated scenario (initialisation in the ODD)."""

from __future__ import annotations

import numpy as np

from wakusim.core.kernels import libm
from wakusim.core.network import small_world_contacts
from wakusim.core.policy import Policy
from wakusim.core.state import (
    NO_COMPANY,
    OUTSIDE,
    Companies,
    Market,
    ModelState,
    Population,
)
from wakusim.scenarios.schema import Scenario


def initial_state(scenario: Scenario, policy: Policy, rng: np.random.Generator) -> ModelState:
    """Draw individuals, companies and the contact network.

    Everyone starts ``outside`` and reconsiders in the first month; beliefs start
    at the true risks of the first month's policy, worth ``prior_weight``
    observations. The order of draws is fixed (it is part of reproducibility).
    Exponentials are the C library's (:mod:`wakusim.core.kernels.libm`), not
    numpy's, whose last bit depends on the processor: the same seed gives the
    same state on any x86-64 machine with the same C library.
    """
    pop, pref, comp = scenario.population, scenario.preferences, scenario.companies
    n = pop.size
    wealth = pop.wealth.median * libm.exp(pop.wealth.sigma * rng.standard_normal(n))
    ra = pref.risk_aversion
    risk_aversion = np.clip(ra.median * libm.exp(ra.sigma * rng.standard_normal(n)), ra.min, ra.max)
    oa = pref.org_aversion
    org_aversion = oa.median * libm.exp(oa.sigma * rng.standard_normal(n))
    contacts = small_world_contacts(n, pop.contacts.degree, pop.contacts.rewiring, rng)

    belief = np.empty((2, n), dtype=np.float64)
    belief[0] = policy.smuggler_risk
    belief[1] = policy.partner_risk
    population = Population(
        wealth=wealth,
        risk_aversion=risk_aversion,
        org_aversion=org_aversion,
        mode=np.full(n, OUTSIDE, dtype=np.int8),
        company=np.full(n, NO_COMPANY, dtype=np.int32),
        detention_left=np.zeros(n, dtype=np.int16),
        belief=belief,
        belief_weight=np.full((2, n), scenario.learning.prior_weight, dtype=np.float64),
        contacts=contacts,
        income=np.zeros(n),
        must_revise=np.ones(n, dtype=bool),
    )

    reference_volume = scenario.market.reference_volume_per_capita * n
    m = comp.count
    size = libm.exp(comp.quota_dispersion * rng.standard_normal(m))
    share = size / size.sum()
    quota = share * comp.quota_ratio * reference_volume
    slots_total = int(round(comp.member_slots_per_1000 * n / 1000.0))
    slots = _apportion(slots_total, share)
    boldness = comp.boldness.median * libm.exp(comp.boldness.sigma * rng.standard_normal(m))
    companies = Companies(
        quota=quota,
        funds=comp.own_funds_share * quota,
        member_slots=slots,
        boldness=boldness,
        accepts_partners=np.ones(m, dtype=bool),
        suspended_left=np.zeros(m, dtype=np.int16),
        perceived_inspection=np.full(m, policy.enforcement.inspection_rate),
    )
    market = Market(
        reference_volume=reference_volume,
        expected_margin=scenario.market.price_ref - 1.0,
        price=scenario.market.price_ref,
    )
    return ModelState(
        population=population,
        companies=companies,
        market=market,
        partners_last=np.zeros(m),
    )


def _apportion(total: int, share: np.ndarray) -> np.ndarray:
    """Split an integer total by shares (largest remainder), deterministically."""
    raw = total * share
    base = np.floor(raw).astype(np.int64)
    rest = total - int(base.sum())
    if rest > 0:
        order = np.argsort(-(raw - base), kind="stable")
        base[order[:rest]] += 1
    return base
