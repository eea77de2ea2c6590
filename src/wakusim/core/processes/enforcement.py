"""Step 6: enforcement (M2, M4, M5).

Smugglers are caught with the border detection probability. Each company
whose permit is active is inspected with the inspection rate; an inspection
exposes each of its partners with the partner detection probability, so
arrests cluster by company. Members face only a small residual risk. The
caught lose the goods they had in trade (confiscated) and a fine (as far as
their remaining wealth allows) and are detained. A company with an exposed
partner pays a fine (as far as its funds allow) and loses its permit for
``suspension_months``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from wakusim.core.policy import Policy
from wakusim.core.processes.trade import TradeOutcome
from wakusim.core.state import MEMBER, PARTNER, SMUGGLER, ModelState


@dataclass
class EnforcementOutcome:
    """Who and what was caught this month.

    Attributes
    ----------
    caught
        Individuals caught (any channel).
    confiscated
        Goods confiscated from each individual, CNY.
    fined
        Fine each individual paid, CNY.
    detention
        Months of detention each caught individual received.
    inspected
        Companies inspected.
    company_caught
        Companies caught with partners.
    company_fined
        Fine each company paid, CNY.
    """

    caught: np.ndarray
    confiscated: np.ndarray
    fined: np.ndarray
    detention: np.ndarray
    inspected: np.ndarray
    company_caught: np.ndarray
    company_fined: np.ndarray


def enforce(
    state: ModelState, outcome: TradeOutcome, policy: Policy, rng: np.random.Generator
) -> EnforcementOutcome:
    """Draw arrests and inspections; does not change the state (accounting does).

    Random draws, in this order: one uniform per individual, one per company
    (inspection).
    """
    pop, comp = state.population, state.companies
    e = policy.enforcement
    mode = outcome.mode
    draw = rng.random(pop.size)
    inspected = comp.active & (rng.random(comp.size) < e.inspection_rate)

    smuggler = mode == SMUGGLER
    partner = mode == PARTNER
    member = mode == MEMBER
    company = np.where(partner | member, pop.company, 0)
    caught = np.zeros(pop.size, dtype=bool)
    caught[smuggler] = draw[smuggler] < e.smuggling_detection
    caught[partner] = inspected[company[partner]] & (draw[partner] < e.partner_detection)
    caught[member] = draw[member] < e.member_risk

    confiscated = np.where(caught, outcome.deployed, 0.0)
    fine = np.select([smuggler, partner], [e.smuggling_fine, e.partner_fine], e.member_fine)
    fined = np.where(caught, np.minimum(fine, np.maximum(pop.wealth - confiscated, 0.0)), 0.0)
    months = np.select(
        [smuggler, partner], [e.smuggling_detention, e.partner_detention], e.member_detention
    )
    detention = np.where(caught, months, 0).astype(np.int16)

    exposed_partners = np.bincount(company[partner & caught], minlength=comp.size)
    company_caught = inspected & (exposed_partners > 0)
    company_fined = np.where(company_caught, np.minimum(e.company_fine, comp.funds), 0.0)
    return EnforcementOutcome(
        caught=caught,
        confiscated=confiscated,
        fined=fined,
        detention=detention,
        inspected=inspected,
        company_caught=company_caught,
        company_fined=company_fined,
    )
