"""Step 8: accounting. Incomes, wealth, detention, company accounts, state revenue.

An individual's income for the month is the livelihood ``y0``, the safe return
on capital not in goods, and the trade profit, less what was confiscated and
fined if caught, less the neighbourhood-unit fee if paid. The livelihood is
consumed; a ``savings_rate`` share of capital and trade income is added to
wealth; losses and the fee come out of wealth in full. The caught start their
detention (or, without detention, go back outside); detention counts down and
the released reconsider at once. Companies pay fines out of their own funds
(as far as they go) and loyalty funds out of the month's income, the shortfall
out of own funds; they rebuild own funds from a ``retention`` share of the
income left, never beyond ``own_funds_share`` of their quota (the rest is
remitted to the plan and leaves the model's accounts: companies stay short of
funds). The state collects
surrendered foreign currency, fines, confiscated goods and loyalty funds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from wakusim.core.decisions import organisational_cost
from wakusim.core.policy import Policy
from wakusim.core.processes.enforcement import EnforcementOutcome
from wakusim.core.processes.trade import TradeOutcome
from wakusim.core.state import DETAINED, MEMBER, NO_COMPANY, OUTSIDE, PARTNER, ModelState
from wakusim.scenarios.schema import Scenario

MIN_WEALTH = 1.0


@dataclass
class Ledger:
    """Money flows of the month that are not kept in the state."""

    trade_income: np.ndarray
    fee_paid: np.ndarray
    revenue_surrender: float
    revenue_fines: float
    revenue_confiscation: float
    revenue_loyalty: float
    company_income: np.ndarray
    released: int


def account(
    state: ModelState,
    trade: TradeOutcome,
    enforcement: EnforcementOutcome,
    policy: Policy,
    scenario: Scenario,
) -> Ledger:
    """Apply the month's money flows and countdowns to the state, in place."""
    pop, comp = state.population, state.companies
    mk, e = scenario.market, policy.enforcement
    caught = enforcement.caught
    was_detained = trade.mode == DETAINED
    free = ~was_detained

    # Individuals.
    safe = mk.safe_return * (pop.wealth - trade.deployed)
    trade_income = np.where(caught, -(enforcement.confiscated + enforcement.fined), trade.profit)
    _, _, pays_fee = organisational_cost(pop.wealth, pop.org_aversion, policy)
    fee_paid = np.where(
        free & pays_fee & (trade.mode != MEMBER), policy.state.inminban_fee / 12, 0.0
    )
    y0 = scenario.population.baseline_income
    income = np.where(free, y0 + safe + trade_income - fee_paid, 0.0)
    gains = np.where(free, safe + np.maximum(trade_income, 0.0), 0.0)
    losses = np.where(free, np.minimum(trade_income, 0.0) - fee_paid, 0.0)
    if not scenario.population.fixed_wealth:
        pop.wealth = np.maximum(
            pop.wealth + scenario.population.savings_rate * gains + losses, MIN_WEALTH
        )
    pop.income = income

    # Detention: serve a month, release at zero, then lock up the newly caught.
    pop.detention_left[was_detained] -= 1
    released = was_detained & (pop.detention_left <= 0)
    pop.detention_left[released] = 0
    pop.mode[released] = OUTSIDE
    pop.must_revise[released] = True
    detain = caught & (enforcement.detention > 0)
    pop.detention_left[detain] = enforcement.detention[detain]
    pop.mode[detain] = DETAINED
    fined_only = caught & ~detain
    pop.mode[fined_only] = OUTSIDE
    pop.must_revise[fined_only] = True
    pop.company[caught] = NO_COMPANY

    # Companies.
    m = comp.size
    attached = (trade.mode == PARTNER) | (trade.mode == MEMBER)
    paid = attached & ~caught
    commission = np.bincount(trade.company[paid], weights=trade.commission[paid], minlength=m)
    income_c = commission + trade.company_own_profit
    due = np.where(comp.active, policy.state.loyalty_payment, 0.0)
    from_income = np.minimum(due, income_c)
    funds = comp.funds - enforcement.company_fined  # enforcement capped fines at the funds
    from_funds = np.minimum(due - from_income, np.maximum(funds, 0.0))
    funds += scenario.companies.retention * (income_c - from_income) - from_funds
    comp.funds = np.clip(funds, 0.0, scenario.companies.own_funds_share * comp.quota)
    loyalty = from_income + from_funds
    was_suspended = ~comp.active
    comp.suspended_left[was_suspended] -= 1
    comp.suspended_left[enforcement.company_caught] = e.suspension_months
    state.partners_last = np.bincount(trade.company[trade.mode == PARTNER], minlength=m).astype(
        np.float64
    )

    return Ledger(
        trade_income=np.where(free, trade_income, 0.0),
        fee_paid=fee_paid,
        revenue_surrender=float(trade.surrender[~caught].sum()),
        revenue_fines=float(enforcement.fined.sum() + enforcement.company_fined.sum()),
        revenue_confiscation=float(enforcement.confiscated.sum()),
        revenue_loyalty=float(loyalty.sum()),
        company_income=income_c,
        released=int(released.sum()),
    )
