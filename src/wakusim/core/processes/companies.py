"""Step 3: companies decide whether to accept partners this month (M3, M4).

A company weighs the commission it expects from filling its permit with
partners' capital against the punishment it expects: its perceived inspection
rate, times the chance that an inspection exposes at least one of its partners,
times the fine plus the permit's value over the suspension. It accepts
partners if ``boldness * commission >= expected punishment``.
"""

from __future__ import annotations

import numpy as np

from wakusim.core.kernels import libm
from wakusim.core.policy import Policy
from wakusim.core.state import Companies
from wakusim.scenarios.schema import Scenario


def decide_partners(
    companies: Companies,
    expected_margin: float,
    partners_last: np.ndarray,
    policy: Policy,
    scenario: Scenario,
) -> None:
    """Set ``companies.accepts_partners`` in place.

    Parameters
    ----------
    companies
        Company arrays (updated in place).
    expected_margin
        Expected margin per yuan of import cost.
    partners_last
        Number of partners each company had last month.
    policy
        Policy in force.
    scenario
        Static parameters.
    """
    e = policy.enforcement
    permit_volume = companies.quota * policy.border.trade_level
    commission = scenario.companies.partner_commission * max(expected_margin, 0.0) * permit_volume
    # (the C library's power, as everywhere in a run: numpy's differs by processor)
    exposed = 1.0 - libm.power(1.0 - e.partner_detection, np.maximum(partners_last, 1.0))
    expected_loss = (
        companies.perceived_inspection
        * exposed
        * (e.company_fine + e.suspension_months * commission)
    )
    companies.accepts_partners = (
        companies.active & (companies.boldness * commission >= expected_loss) & (commission > 0)
    )


def open_member_slots(companies: Companies, members: np.ndarray, policy: Policy) -> np.ndarray:
    """Member posts still open at each company (zero while suspended)."""
    capacity = np.floor(companies.member_slots * policy.state.member_slots_level)
    return np.where(companies.active, np.maximum(capacity - members, 0), 0).astype(np.int64)
