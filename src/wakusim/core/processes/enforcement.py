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
from wakusim.core.state import ModelState, spread


@dataclass
class EnforcementOutcome:
    """Who and what was caught this month.

    The losses of the caught are given per caught individual, in the order of
    :attr:`caught_rows` (:meth:`by_individual` spreads them over everyone).

    Attributes
    ----------
    caught
        Individuals caught (any channel), one flag per individual.
    caught_rows
        Rows of the caught, ascending (``numpy.flatnonzero(caught)``).
    confiscated
        Goods confiscated from each of the caught, CNY.
    fined
        Fine each of the caught paid, CNY.
    detention
        Months of detention each of the caught received.
    inspected
        Companies inspected.
    company_caught
        Companies caught with partners.
    company_fined
        Fine each company paid, CNY.
    """

    caught: np.ndarray
    caught_rows: np.ndarray
    confiscated: np.ndarray
    fined: np.ndarray
    detention: np.ndarray
    inspected: np.ndarray
    company_caught: np.ndarray
    company_fined: np.ndarray

    @classmethod
    def from_individuals(
        cls,
        caught: np.ndarray,
        confiscated: np.ndarray,
        fined: np.ndarray,
        detention: np.ndarray,
        inspected: np.ndarray,
        company_caught: np.ndarray,
        company_fined: np.ndarray,
    ) -> EnforcementOutcome:
        """Build an outcome from losses given per individual (their values for the caught)."""
        rows = np.flatnonzero(caught)
        return cls(
            caught=np.asarray(caught, dtype=bool),
            caught_rows=rows,
            confiscated=np.asarray(confiscated, dtype=np.float64)[rows],
            fined=np.asarray(fined, dtype=np.float64)[rows],
            detention=np.asarray(detention, dtype=np.int16)[rows],
            inspected=inspected,
            company_caught=company_caught,
            company_fined=company_fined,
        )

    def by_individual(self, values: np.ndarray) -> np.ndarray:
        """Spread ``values`` given per caught individual over everyone (0 for the others).

        For example ``outcome.by_individual(outcome.fined)`` is the fine of
        each individual.
        """
        return spread(values, self.caught_rows, self.caught.shape[0])


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
    # Everyone has a draw (the stream does not depend on who trades); only traders can be
    # caught, so only their rows are walked.
    traders = np.concatenate((outcome.smuggler_rows(), outcome.attached_rows()))
    caught = np.zeros(pop.size, dtype=bool)
    exposed = kernels.catch(
        traders,
        outcome.mode,
        pop.company,
        draw,
        inspected,
        np.array([e.smuggling_detection, e.partner_detection, e.member_risk], dtype=np.float64),
        caught,
    )
    caught_rows = np.flatnonzero(caught)
    confiscated, fined, detention = kernels.punish(
        caught_rows,
        outcome.mode,
        outcome.deployed,
        pop.wealth,
        np.array([e.smuggling_fine, e.partner_fine, e.member_fine], dtype=np.float64),
        np.array([e.smuggling_detention, e.partner_detention, e.member_detention], dtype=np.int64),
    )
    company_caught = inspected & exposed
    company_fined = np.where(company_caught, np.minimum(e.company_fine, comp.funds), 0.0)
    return EnforcementOutcome(
        caught=caught,
        caught_rows=caught_rows,
        confiscated=confiscated,
        fined=fined,
        detention=detention,
        inspected=inspected,
        company_caught=company_caught,
        company_fined=company_fined,
    )
