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
from contextlib import nullcontext
from typing import NamedTuple, TypeVar

import numba
import numpy as np

from wakusim.core.kernels import one_thread
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
# From this many individuals on, the record runs on another thread beside the next month's
# first processes, and within it the wealth sort and the tally of the modes run on threads of
# their own beside the tally of the trade (below, a thread costs more than it saves).
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


class MonthEnd(NamedTuple):
    """What a month's record reads, taken at the month's end (:func:`month_end`).

    The individuals' arrays at the end of the month, the month's per-individual
    flows, and the scalars the record copies (flows, companies, true risks, in
    the record's column order); nothing else of the month's outcomes, so that a
    record computed later holds on to no more of them than it needs.
    """

    wealth: np.ndarray
    mode: np.ndarray
    belief: np.ndarray
    income: np.ndarray
    trade_mode: np.ndarray
    caught: np.ndarray
    deployed: np.ndarray
    trade_income: np.ndarray
    fee_paid: np.ndarray
    flows: dict[str, float]
    companies: dict[str, float]
    risks: dict[str, float]
    released: int


def month_end(
    state: ModelState,
    policy: Policy,
    trade: TradeOutcome,
    enforcement: EnforcementOutcome,
    ledger: Ledger,
    expected_margin: float,
    copy_modes: bool = False,
) -> MonthEnd:
    """Take what the month's record reads (the modes copied with ``copy_modes``)."""
    pop, comp = state.population, state.companies
    flows: dict[str, float] = {
        "companies_inspected": int(enforcement.inspected.sum()),
        "companies_caught": int(enforcement.company_caught.sum()),
        "volume_smuggling": trade.volume_smuggling,
        "volume_partner": trade.volume_partner,
        "volume_member": trade.volume_member,
        "volume_company_own": trade.volume_own,
        "volume_company": trade.volume_company,
        "volume_total": trade.volume_total,
        "price": trade.price,
        "margin": trade.margin,
        "expected_margin": expected_margin,
        "revenue_surrender": ledger.revenue_surrender,
        "revenue_fines": ledger.revenue_fines,
        "revenue_confiscation": ledger.revenue_confiscation,
        "revenue_loyalty": ledger.revenue_loyalty,
        "revenue_total": (
            ledger.revenue_surrender
            + ledger.revenue_fines
            + ledger.revenue_confiscation
            + ledger.revenue_loyalty
        ),
    }
    companies: dict[str, float] = {
        "companies_accepting": int((comp.accepts_partners & comp.active).sum()),
        "companies_suspended": int((~comp.active).sum()),
        "company_funds": float(comp.funds.sum()),
    }
    return MonthEnd(
        wealth=pop.wealth,
        mode=pop.mode.copy() if copy_modes else pop.mode,
        belief=pop.belief,
        income=pop.income,
        trade_mode=trade.mode,
        caught=enforcement.caught,
        deployed=trade.deployed,
        trade_income=ledger.trade_income,
        fee_paid=ledger.fee_paid,
        flows=flows,
        companies=companies,
        risks={
            "true_risk_smuggler": policy.smuggler_risk,
            "true_risk_partner": policy.partner_risk,
        },
        released=ledger.released,
    )


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
    return record_of(month_end(state, policy, trade, enforcement, ledger, expected_margin))


def record_of(end: MonthEnd) -> dict[str, float]:
    """Compute the month's record from what :func:`month_end` took (see :func:`month_record`)."""
    size = end.wealth.shape[0]
    # One sort of everyone's wealth serves the Gini and the wealth groups of the free.
    # The sort and the tally of the end-of-month modes run beside the tally of the trade.
    sorted_wealth = _in_background(size, lambda: np.sort(end.wealth))
    trading = (SMUGGLER, PARTNER, MEMBER)
    modes_tally = _in_background(
        size, lambda: records_kernels.tally_modes(end.mode, end.wealth, end.belief)
    )
    tally = TradeTally(
        *records_kernels.tally_trade(
            end.trade_mode, end.caught, end.deployed, end.income, end.trade_income
        )
    )
    counts, wealth_detained, wealth_members, belief_sums, wealth_sum = modes_tally()
    # Sums, means and deviations of each trading mode's segment, as numpy's sum, mean and std.
    trading_modes = slice(SMUGGLER, DETAINED)
    seg, moments = tally.start[trading_modes], records_kernels.segment_moments
    _, income_mean, _ = moments(tally.income, seg, tally.counts[trading_modes], False)
    capital_sum, _, _ = moments(tally.capital, seg, tally.counts[trading_modes], False)
    _, return_mean, return_sd = moments(tally.returns, seg, tally.traded[trading_modes], True)
    _, return_ok_mean, _ = moments(tally.returns_ok, seg, tally.traded_ok[trading_modes], False)
    n_free = size - int(counts[DETAINED])
    rec: dict[str, float] = {}
    for code, name in enumerate(MODE_NAMES):
        rec[f"n_{name}"] = int(counts[code])
    rec["n_free"] = n_free
    for code in (OUTSIDE, SMUGGLER, PARTNER, MEMBER):
        rec[f"share_{MODE_NAMES[code]}"] = counts[code] / n_free if n_free else float("nan")

    for code in trading:
        rec[f"arrests_{MODE_NAMES[code]}"] = int(tally.arrests[code])
    rec["arrests_total"] = int(tally.arrests.sum())
    rec.update(end.flows)
    rec["inminban_fees"] = float(end.fee_paid.sum())

    rec["income_outside"] = _mean_of_sum(tally.income_outside, tally.counts[OUTSIDE])
    for code in trading:
        rec[f"income_{MODE_NAMES[code]}"] = float(income_mean[code - SMUGGLER])
    for code in trading:
        name, s = MODE_NAMES[code], code - SMUGGLER
        rec[f"return_{name}"] = float(return_mean[s])
        rec[f"return_sd_{name}"] = float(return_sd[s])
        rec[f"return_uncaught_{name}"] = float(return_ok_mean[s])
        rec[f"capital_{name}"] = float(capital_sum[s])

    rec["wealth_mean"] = _mean_of_sum(wealth_sum, size)
    everyone = sorted_wealth()
    rec["wealth_gini"] = _gini_sorted(everyone)
    shares = _member_shares(everyone, np.sort(wealth_detained), wealth_members, WEALTH_GROUPS)
    if shares is None:  # wealth that quantiles cannot order (NaN): the plain formulation
        shares = member_share_by_wealth(end.wealth, end.mode, WEALTH_GROUPS)
    for g in range(WEALTH_GROUPS):
        rec[f"member_share_d{g + 1:02d}"] = float(shares[g])

    rec.update(end.companies)
    rec["perceived_risk_smuggler"] = _mean_of_sum(belief_sums[CHANNEL_SMUGGLER], n_free)
    rec["perceived_risk_partner"] = _mean_of_sum(belief_sums[CHANNEL_PARTNER], n_free)
    rec.update(end.risks)
    rec["released"] = end.released
    return rec


def _threads_beside_others() -> bool:
    """Whether a second Python thread may run parallel kernels beside the main thread's.

    numba's OpenMP and TBB threading layers allow it (each Python thread gets a team
    of its own); its ``workqueue`` layer, used where neither is installed, does not.
    """
    try:
        return numba.threading_layer() in ("omp", "tbb")
    except ValueError:  # no parallel kernel has run yet: no layer chosen
        return False


class PendingRecord:
    """A month's record, computed on another thread (see :func:`start_month_record`)."""

    def __init__(self, work: Callable[[], dict[str, float]], background: bool) -> None:
        self._value: dict[str, float] | None = None
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None
        if not background:
            self._value = work()
            return

        threads = _threads_beside_others()

        def compute() -> None:
            try:
                with nullcontext() if threads else one_thread():
                    self._value = work()
            except BaseException as error:  # raised again by result(), in the caller's thread
                self._error = error

        self._thread = threading.Thread(target=compute, name="wakusim-record", daemon=True)
        self._thread.start()

    def wait(self) -> None:
        """Wait until the record is computed (or has failed)."""
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def result(self) -> dict[str, float]:
        """Wait for the record and return it (raise the error it raised, if any)."""
        self.wait()
        if self._error is not None:
            raise self._error
        assert self._value is not None
        return self._value


def start_month_record(
    state: ModelState,
    policy: Policy,
    trade: TradeOutcome,
    enforcement: EnforcementOutcome,
    ledger: Ledger,
    expected_margin: float,
) -> PendingRecord:
    """Start :func:`month_record` of the month that has just ended; return it pending.

    From :data:`BACKGROUND_MIN` individuals, with two or more numba threads, the
    record is computed on another thread while the caller goes on with the next
    month, so that the record's one-thread work can use a core that the next
    month's one-thread steps leave idle (its parallel kernels use threads of
    their own where numba's threading layer allows it, else one thread). The
    record reads the individuals' wealth, income and beliefs as they are now, so
    the caller must wait for it (:meth:`PendingRecord.result`) before anything
    changes them in place: the next month's learning and accounting, or its
    policy step where learning is off (the beliefs are set to the true risks).
    The individuals' modes, which the next month's decisions change first, are
    copied (1 byte an individual); the companies' values are taken now. Of the
    month's outcomes (new arrays each month) the record keeps only the five
    arrays it reads (:class:`MonthEnd`). Below that size, or on one thread, the
    record is computed now.
    """
    background = state.population.size >= BACKGROUND_MIN and numba.get_num_threads() >= 2
    end = month_end(state, policy, trade, enforcement, ledger, expected_margin, background)
    return PendingRecord(lambda: record_of(end), background)
