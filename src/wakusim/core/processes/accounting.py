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

from wakusim.core.kernels import accounting as kernels
from wakusim.core.kernels.pairwise import pairwise_sum_sparse
from wakusim.core.policy import Policy
from wakusim.core.processes.enforcement import EnforcementOutcome
from wakusim.core.processes.trade import TradeOutcome
from wakusim.core.state import ModelState
from wakusim.scenarios.schema import Scenario

MIN_WEALTH = 1.0


@dataclass
class Ledger:
    """Money flows of the month that are not kept in the state.

    ``fee_total`` is ``fee_paid.sum()``; ``wealth_total`` everyone's wealth
    after the month's flows (``wealth.sum()``), as numpy sums them.
    """

    trade_income: np.ndarray
    fee_paid: np.ndarray
    revenue_surrender: float
    revenue_fines: float
    revenue_confiscation: float
    revenue_loyalty: float
    company_income: np.ndarray
    released: int
    fee_total: float
    wealth_total: float


def account(
    state: ModelState,
    trade: TradeOutcome,
    enforcement: EnforcementOutcome,
    policy: Policy,
    scenario: Scenario,
) -> Ledger:
    """Apply the month's money flows and countdowns to the state, in place."""
    pop, comp = state.population, state.companies
    mk, e, s = scenario.market, policy.enforcement, policy.state

    # Individuals and detention. Wealth and income are updated in place; new arrays are
    # allocated by numpy (large ones get transparent huge pages: faster to touch first).
    n = pop.size
    trade_income, fee_paid = np.empty(n), np.empty(n)
    released, wealth_total, fee_total = kernels.settle(
        trade.mode,
        enforcement.caught,
        trade.deployed,
        trade.profit,
        enforcement.caught_rows,
        enforcement.confiscated,
        enforcement.fined,
        enforcement.detention,
        pop.org_aversion,
        mk.safe_return,
        scenario.population.baseline_income,
        scenario.population.savings_rate,
        MIN_WEALTH,
        not scenario.population.fixed_wealth,
        s.inminban_fee,
        s.fee_wealth_limit,
        s.org_burden_base,
        pop.wealth,
        pop.income,
        pop.mode,
        pop.company,
        pop.detention_left,
        pop.must_revise,
        trade_income,
        fee_paid,
    )
    # What companies receive, and surrender[~caught] given by its nonzero elements.
    caught_rows = enforcement.caught_rows
    commission, partners, surrender_pos, surrender_val, n_not_caught = kernels.company_sums(
        trade.attached_rows(),
        caught_rows,
        trade.mode,
        trade.company,
        trade.commission,
        trade.surrender,
        comp.size,
    )

    # Companies.
    income_c = commission + trade.company_own_profit
    due = np.where(comp.active, s.loyalty_payment, 0.0)
    from_income = np.minimum(due, income_c)
    funds = comp.funds - enforcement.company_fined  # enforcement capped fines at the funds
    from_funds = np.minimum(due - from_income, np.maximum(funds, 0.0))
    funds += scenario.companies.retention * (income_c - from_income) - from_funds
    comp.funds = np.clip(funds, 0.0, scenario.companies.own_funds_share * comp.quota)
    loyalty = from_income + from_funds
    was_suspended = ~comp.active
    comp.suspended_left[was_suspended] -= 1
    comp.suspended_left[enforcement.company_caught] = e.suspension_months
    state.partners_last = partners.astype(np.float64)

    return Ledger(
        trade_income=trade_income,
        fee_paid=fee_paid,
        # the numpy sum of surrender[~caught], from its nonzero elements
        revenue_surrender=pairwise_sum_sparse(surrender_pos, surrender_val, n_not_caught),
        # fines and goods confiscated, given for the caught only: the numpy sums of the
        # arrays over everyone (zero for the others)
        revenue_fines=float(
            pairwise_sum_sparse(caught_rows, enforcement.fined, n) + enforcement.company_fined.sum()
        ),
        revenue_confiscation=float(pairwise_sum_sparse(caught_rows, enforcement.confiscated, n)),
        revenue_loyalty=float(loyalty.sum()),
        company_income=income_c,
        released=released,
        fee_total=fee_total,
        wealth_total=wealth_total,
    )
