"""The observables of a month: one flat record per month (tidy, one row).

The record walks the individuals in a few compiled passes
(:mod:`wakusim.core.kernels.records`) instead of a mask per mode and
quantity, and sorts the wealth once: the sorted wealth gives the Gini
coefficient and, with the few detained sorted apart, the quantiles of the
free's wealth (the wealth groups) and how many of the free fall in each
group. Every value is the one of the plain numpy formulation to the last
bit: the compiled loops add in numpy's pairwise order and interpolate
quantiles as numpy does. :func:`gini` and :func:`member_share_by_wealth` are
that plain formulation.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import NamedTuple, TypeVar

import numba
import numpy as np

from wakusim.core.kernels import records as records_kernels
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
T = TypeVar("T")
# From this many individuals on, the wealth sort and the tally of the modes run on other
# threads, beside the tally of the trade (below, a thread costs more than it saves).
BACKGROUND_MIN = 1 << 19


class TradeTally(NamedTuple):
    """The month's trade by mode, as :func:`wakusim.core.kernels.records.tally_trade` returns it."""

    counts: np.ndarray
    arrests: np.ndarray
    traded: np.ndarray
    traded_ok: np.ndarray
    income_outside: float
    start: np.ndarray
    income: np.ndarray
    capital: np.ndarray
    returns: np.ndarray
    returns_ok: np.ndarray


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


def _gini_sorted(x: np.ndarray) -> float:
    """:func:`gini` of ascending values, to the last bit, without its temporary arrays."""
    n = x.size
    if n == 0:
        return 0.0
    total, ranked = records_kernels.ranked_sums(x)
    if total <= 0:
        return 0.0
    return float(2.0 * ranked / (n * total) - (n + 1.0) / n)


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


def _mean_of_sum(total: float, count: int) -> float:
    """Return the mean of ``count`` values from their sum (as numpy divides it), NaN if none."""
    return float(total / count) if count else float("nan")


# The inner bounds of the wealth groups, as quantiles (numpy.linspace's values).
GROUP_BOUNDS = np.linspace(0, 1, WEALTH_GROUPS + 1)[1:-1]


def _bounds(groups: int) -> np.ndarray:
    """Inner bounds of ``groups`` equal wealth groups, as quantiles."""
    return GROUP_BOUNDS if groups == WEALTH_GROUPS else np.linspace(0, 1, groups + 1)[1:-1]


def _member_shares(
    everyone: np.ndarray, detained: np.ndarray, members: np.ndarray, groups: int
) -> np.ndarray | None:
    """:func:`member_share_by_wealth` from sorted wealth, without a walk over everyone.

    ``everyone`` is all wealth and ``detained`` the detained's, both ascending;
    ``members`` is the members' wealth (see
    :func:`wakusim.core.kernels.records.member_shares`). ``None`` when wealth
    is NaN or the edges are out of order (a rounding quirk), where only the
    plain formulation says what numpy does.
    """
    shares, ok = records_kernels.member_shares(everyone, detained, members, _bounds(groups))
    return shares if ok else None


def _in_background(size: int, work: Callable[[], T]) -> Callable[[], T]:
    """Start ``work`` on another thread; return a function that waits for its result.

    numpy's sort and the compiled tallies release the GIL, so they run beside
    each other on the cores: same values, less time. The record runs the sort
    and the tally of the modes each on its own thread beside the tally of the
    trade (three threads on two cores took 26-29 ms a month at 1e6 where the
    sort beside both tallies, one after the other, took 27-30 ms). For fewer than
    :data:`BACKGROUND_MIN` individuals, or with numba limited to one
    thread (``NUMBA_NUM_THREADS=1``), ``work`` runs when the result is asked for.
    """
    if size < BACKGROUND_MIN or numba.get_num_threads() < 2:
        return work
    result: list[T] = []
    thread = threading.Thread(target=lambda: result.append(work()), daemon=True)
    thread.start()

    def wait() -> T:
        thread.join()
        # The thread failed (its traceback is printed): do the work here, where it raises.
        return result[0] if result else work()

    return wait


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
    are by the mode held during the month. Total wealth and fees are the
    totals accounting took as it settled (``ledger``), so wealth must not
    change between accounting and the record.
    """
    pop, comp = state.population, state.companies
    # One sort of everyone's wealth serves the Gini and the wealth groups of the free.
    # The sort and the tally of the end-of-month modes run beside the tally of the trade.
    sorted_wealth = _in_background(pop.size, lambda: np.sort(pop.wealth))
    trading = (SMUGGLER, PARTNER, MEMBER)
    modes_tally = _in_background(
        pop.size, lambda: records_kernels.tally_modes(pop.mode, pop.wealth, pop.belief)
    )
    tally = TradeTally(
        *records_kernels.tally_trade(
            trade.mode,
            enforcement.caught,
            enforcement.caught_rows.size,
            trade.deployed,
            pop.income,
            ledger.trade_income,
        )
    )
    counts, wealth_detained, wealth_members, belief_sums = modes_tally()
    # Sums, means and deviations of each trading mode's segment, as numpy's sum, mean and std.
    trading_modes = slice(SMUGGLER, DETAINED)
    seg, moments = tally.start[trading_modes], records_kernels.segment_moments
    _, income_mean, _ = moments(tally.income, seg, tally.counts[trading_modes], False)
    capital_sum, _, _ = moments(tally.capital, seg, tally.counts[trading_modes], False)
    _, return_mean, return_sd = moments(tally.returns, seg, tally.traded[trading_modes], True)
    _, return_ok_mean, _ = moments(tally.returns_ok, seg, tally.traded_ok[trading_modes], False)
    n_free = pop.size - int(counts[DETAINED])
    rec: dict[str, float] = {}
    for code, name in enumerate(MODE_NAMES):
        rec[f"n_{name}"] = int(counts[code])
    rec["n_free"] = n_free
    for code in (OUTSIDE, SMUGGLER, PARTNER, MEMBER):
        rec[f"share_{MODE_NAMES[code]}"] = counts[code] / n_free if n_free else float("nan")

    for code in trading:
        rec[f"arrests_{MODE_NAMES[code]}"] = int(tally.arrests[code])
    rec["arrests_total"] = int(tally.arrests.sum())
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
    rec["inminban_fees"] = float(ledger.fee_total)

    rec["income_outside"] = _mean_of_sum(tally.income_outside, tally.counts[OUTSIDE])
    for code in trading:
        rec[f"income_{MODE_NAMES[code]}"] = float(income_mean[code - SMUGGLER])
    for code in trading:
        name, s = MODE_NAMES[code], code - SMUGGLER
        rec[f"return_{name}"] = float(return_mean[s])
        rec[f"return_sd_{name}"] = float(return_sd[s])
        rec[f"return_uncaught_{name}"] = float(return_ok_mean[s])
        rec[f"capital_{name}"] = float(capital_sum[s])

    rec["wealth_mean"] = _mean_of_sum(ledger.wealth_total, pop.size)
    everyone = sorted_wealth()
    rec["wealth_gini"] = _gini_sorted(everyone)
    shares = _member_shares(everyone, np.sort(wealth_detained), wealth_members, WEALTH_GROUPS)
    if shares is None:  # wealth that quantiles cannot order (NaN): the plain formulation
        shares = member_share_by_wealth(pop.wealth, pop.mode, WEALTH_GROUPS)
    for g in range(WEALTH_GROUPS):
        rec[f"member_share_d{g + 1:02d}"] = float(shares[g])

    rec["companies_accepting"] = int((comp.accepts_partners & comp.active).sum())
    rec["companies_suspended"] = int((~comp.active).sum())
    rec["company_funds"] = float(comp.funds.sum())
    rec["perceived_risk_smuggler"] = _mean_of_sum(belief_sums[CHANNEL_SMUGGLER], n_free)
    rec["perceived_risk_partner"] = _mean_of_sum(belief_sums[CHANNEL_PARTNER], n_free)
    rec["true_risk_smuggler"] = policy.smuggler_risk
    rec["true_risk_partner"] = policy.partner_risk
    rec["released"] = ledger.released
    return rec
