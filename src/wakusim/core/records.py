"""The observables of a month: one flat record per month (tidy, one row)."""

from __future__ import annotations

import numpy as np

from wakusim.core.policy import Policy
from wakusim.core.processes.accounting import Ledger
from wakusim.core.processes.enforcement import EnforcementOutcome
from wakusim.core.processes.trade import TradeOutcome
from wakusim.core.state import (
    CHANNEL_PARTNER,
    CHANNEL_SMUGGLER,
    DETAINED,
    MEMBER,
    MODE_NAMES,
    OUTSIDE,
    PARTNER,
    SMUGGLER,
    ModelState,
)

WEALTH_GROUPS = 10


def gini(values: np.ndarray, presorted: bool = False) -> float:
    """Gini coefficient of non-negative values (0: equal; near 1: concentrated).

    ``presorted`` says that ``values`` are already in ascending order.
    """
    if values.size == 0 or values.sum() <= 0:
        return 0.0
    x = values if presorted else np.sort(values)
    n = x.size
    ranks = np.arange(1, n + 1)
    return float(2.0 * np.sum(ranks * x) / (n * x.sum()) - (n + 1.0) / n)


def member_share_by_wealth(
    wealth: np.ndarray, mode: np.ndarray, groups: int, sorted_free: np.ndarray | None = None
) -> np.ndarray:
    """Share of members in each wealth group (quantiles of the free), poorest first.

    ``sorted_free`` may give the wealth of the free already sorted (it saves a selection).
    """
    free = mode != DETAINED
    w, m = wealth[free], mode[free]
    if w.size == 0:
        return np.zeros(groups)
    source = w if sorted_free is None else sorted_free
    edges = np.quantile(source, np.linspace(0, 1, groups + 1)[1:-1])
    group = np.searchsorted(edges, w, side="right")
    total = np.bincount(group, minlength=groups)
    members = np.bincount(group, weights=(m == MEMBER), minlength=groups)
    return np.divide(members, total, out=np.zeros(groups), where=total > 0)


def _mean(values: np.ndarray) -> float:
    return float(values.mean()) if values.size else float("nan")


def _std(values: np.ndarray) -> float:
    return float(values.std()) if values.size > 1 else float("nan")


def month_record(
    state: ModelState,
    policy: Policy,
    trade: TradeOutcome,
    enforcement: EnforcementOutcome,
    ledger: Ledger,
    expected_margin: float,
) -> dict[str, float]:
    """Collect the month's observables after accounting.

    Counts and shares are at the end of the month (after arrests); arrests,
    volumes, incomes and revenue are flows of the month; incomes and returns
    are by the mode held during the month.
    """
    pop, comp = state.population, state.companies
    counts = np.bincount(pop.mode, minlength=5)
    n_free = int(counts[:4].sum())
    rec: dict[str, float] = {}
    for code, name in enumerate(MODE_NAMES):
        rec[f"n_{name}"] = int(counts[code])
    rec["n_free"] = n_free
    for code in (OUTSIDE, SMUGGLER, PARTNER, MEMBER):
        rec[f"share_{MODE_NAMES[code]}"] = counts[code] / n_free if n_free else float("nan")

    mode, caught = trade.mode, enforcement.caught
    for code in (SMUGGLER, PARTNER, MEMBER):
        rec[f"arrests_{MODE_NAMES[code]}"] = int((caught & (mode == code)).sum())
    rec["arrests_total"] = int(caught.sum())
    rec["companies_inspected"] = int(enforcement.inspected.sum())
    rec["companies_caught"] = int(enforcement.company_caught.sum())

    rec["volume_smuggling"] = trade.volume_smuggling
    rec["volume_partner"] = trade.volume_partner
    rec["volume_member"] = trade.volume_member
    rec["volume_company_own"] = trade.volume_own
    rec["volume_company"] = trade.volume_company
    rec["volume_total"] = trade.volume_total
    rec["price"] = trade.price
    rec["margin"] = trade.margin
    rec["expected_margin"] = expected_margin

    rec["revenue_surrender"] = ledger.revenue_surrender
    rec["revenue_fines"] = ledger.revenue_fines
    rec["revenue_confiscation"] = ledger.revenue_confiscation
    rec["revenue_loyalty"] = ledger.revenue_loyalty
    rec["revenue_total"] = (
        ledger.revenue_surrender
        + ledger.revenue_fines
        + ledger.revenue_confiscation
        + ledger.revenue_loyalty
    )
    rec["inminban_fees"] = float(ledger.fee_paid.sum())

    for code in (OUTSIDE, SMUGGLER, PARTNER, MEMBER):
        rec[f"income_{MODE_NAMES[code]}"] = _mean(pop.income[mode == code])
    for code in (SMUGGLER, PARTNER, MEMBER):
        name = MODE_NAMES[code]
        traded = (mode == code) & (trade.deployed > 0)
        ret = ledger.trade_income[traded] / trade.deployed[traded]
        ok = ~caught[traded]
        rec[f"return_{name}"] = _mean(ret)
        rec[f"return_sd_{name}"] = _std(ret)
        rec[f"return_uncaught_{name}"] = _mean(ret[ok])
        rec[f"capital_{name}"] = float(trade.deployed[mode == code].sum())

    rec["wealth_mean"] = float(pop.wealth.mean())
    # One sort of the free (and a small one of the detained) serves the Gini and the deciles.
    detained = pop.mode == DETAINED
    sorted_free = np.sort(pop.wealth[~detained])
    everyone = np.sort(np.concatenate([sorted_free, np.sort(pop.wealth[detained])]), kind="stable")
    rec["wealth_gini"] = gini(everyone, presorted=True)
    shares = member_share_by_wealth(pop.wealth, pop.mode, WEALTH_GROUPS, sorted_free)
    for g in range(WEALTH_GROUPS):
        rec[f"member_share_d{g + 1:02d}"] = float(shares[g])

    rec["companies_accepting"] = int((comp.accepts_partners & comp.active).sum())
    rec["companies_suspended"] = int((~comp.active).sum())
    rec["company_funds"] = float(comp.funds.sum())
    free = pop.mode != DETAINED
    rec["perceived_risk_smuggler"] = _mean(pop.belief[CHANNEL_SMUGGLER][free])
    rec["perceived_risk_partner"] = _mean(pop.belief[CHANNEL_PARTNER][free])
    rec["true_risk_smuggler"] = policy.smuggler_risk
    rec["true_risk_partner"] = policy.partner_risk
    rec["released"] = ledger.released
    return rec
