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

from wakusim.core.draws import uniforms
from wakusim.core.kernels import enforcement as kernels
from wakusim.core.policy import Policy
from wakusim.core.processes.trade import TradeOutcome
from wakusim.core.state import ModelState


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
    draw = uniforms(rng, pop.size)
    inspected = comp.active & (rng.random(comp.size) < e.inspection_rate)
    # Outputs zeroed on threads; the kernel writes only the rows of the caught.
    caught = np.empty(pop.size, dtype=bool)
    confiscated = np.empty(pop.size)
    fined = np.empty(pop.size)
    detention = np.empty(pop.size, dtype=np.int16)
    kernels.clear(caught, confiscated, fined, detention)
    # Everyone has a draw (the stream does not depend on who trades); only traders can be
    # caught, so only their rows are walked.
    traders = np.concatenate((outcome.smuggler_rows(), outcome.attached_rows()))
    exposed = kernels.catch(
        traders,
        outcome.mode,
        pop.company,
        draw,
        inspected,
        outcome.deployed,
        pop.wealth,
        np.array([e.smuggling_detection, e.partner_detection, e.member_risk], dtype=np.float64),
        np.array([e.smuggling_fine, e.partner_fine, e.member_fine], dtype=np.float64),
        np.array([e.smuggling_detention, e.partner_detention, e.member_detention], dtype=np.int64),
        caught,
        confiscated,
        fined,
        detention,
    )
    company_caught = inspected & exposed
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
