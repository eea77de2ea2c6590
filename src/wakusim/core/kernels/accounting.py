"""Compiled loops of step 8 (accounting): incomes, wealth, countdowns, company sums.

:func:`settle` changes each individual's income, wealth, fee and detention,
each row on its own (in parallel), with no branch on the mode, and totals the
new wealth and fees as it goes.
:func:`company_sums` walks the rows of partners and members (listed by step
5) and adds their paid commissions and their number up by company in
individual order, as ``numpy.bincount`` does; it also lists the nonzero
surrenders of those not caught with their places in the masked array
``surrender[~caught]``, so that
:func:`wakusim.core.kernels.pairwise.pairwise_sum_sparse` sums that array
exactly as numpy sums it without building it (the same goes for the fines
and the goods confiscated, given for the caught only). The
floating-point operations are those of the numpy formulation, in the same
order.
"""

from __future__ import annotations

import numba
import numpy as np

from wakusim.core.kernels import kernel
from wakusim.core.kernels.pairwise import combine, leaf_sizes, leaf_starts, leaf_sum
from wakusim.core.state import DETAINED, MEMBER, NO_COMPANY, OUTSIDE, PARTNER


@kernel(parallel=True)
def settle(
    mode: np.ndarray,
    caught: np.ndarray,
    deployed: np.ndarray,
    profit: np.ndarray,
    caught_rows: np.ndarray,
    confiscated: np.ndarray,
    fined: np.ndarray,
    detention: np.ndarray,
    org_aversion: np.ndarray,
    safe_return: float,
    baseline_income: float,
    savings_rate: float,
    min_wealth: float,
    update_wealth: bool,
    inminban_fee: float,
    fee_wealth_limit: float,
    org_burden_base: float,
    wealth: np.ndarray,
    income: np.ndarray,
    state_mode: np.ndarray,
    state_company: np.ndarray,
    detention_left: np.ndarray,
    must_revise: np.ndarray,
    trade_income: np.ndarray,
    fee_paid: np.ndarray,
) -> tuple[int, float, float]:
    """Apply the month's flows and countdowns to each individual (each row on its own).

    The rows are walked leaf by leaf of numpy's pairwise sum over all rows
    (:func:`~wakusim.core.kernels.pairwise.leaf_sizes`, leaves on several
    threads), and each leaf's new wealth and fees are added while they are in
    cache: the totals are ``wealth.sum()`` and ``fee_paid.sum()`` after the
    walk, to the last bit, without reading the arrays again.

    Parameters
    ----------
    mode
        Mode during the month's trade.
    caught
        Individuals caught.
    deployed, profit
        From the month's trade, CNY.
    caught_rows
        Rows of the caught, ascending.
    confiscated, fined, detention
        From enforcement, for each of the caught (in the order of
        ``caught_rows``): goods and fine lost, months of detention.
    org_aversion
        Each individual's cost of organisational life, CNY.
    safe_return, baseline_income, savings_rate, min_wealth
        Monthly safe return, livelihood ``y0``, savings rate and floor of
        wealth.
    update_wealth
        Whether wealth changes (``False``: fixed wealth).
    inminban_fee, fee_wealth_limit, org_burden_base
        Neighbourhood-unit fee per year, the share of wealth up to which it is
        affordable, and the base burden of organisational life (a non-member
        pays the fee when affordable and cheaper than the burden, as in
        :func:`wakusim.core.decisions.organisational_cost`).
    wealth
        Each individual's capital; if ``update_wealth``, replaced in place by
        ``max(W + savings_rate * gains + losses, min_wealth)``.
    income
        Output (in place): free ``y0 + safe + trade_income - fee_paid``,
        detained 0, where ``safe = safe_return * (W - deployed)``.
    state_mode, state_company, detention_left, must_revise
        The population's arrays, changed in place: one month of detention
        served (at zero, released: outside and must revise), then the caught
        detained (or, without detention, outside and must revise), and the
        caught leave their company.
    trade_income
        Output: free ``-(confiscated + fined)`` if caught, else ``profit``;
        detained 0.
    fee_paid
        Output: the monthly fee, for free non-members who pay it; else 0.

    Returns
    -------
    released
        Individuals released from detention.
    wealth_total, fee_total
        ``wealth.sum()`` and ``fee_paid.sum()`` after the month's flows.
    """
    fee_month = inminban_fee / 12.0
    released = 0
    n = mode.shape[0]
    sizes = leaf_sizes(n)
    starts = leaf_starts(sizes, 0)
    wealth_leaves = np.empty(sizes.shape[0], dtype=np.float64)
    fee_leaves = np.empty(sizes.shape[0], dtype=np.float64)
    for j in numba.prange(sizes.shape[0]):
        lo, size = starts[j], sizes[j]
        for i in range(lo, lo + size):
            u = np.uint64(i)  # unsigned: no negative-index check
            m = mode[u]
            free = m != DETAINED
            is_caught = caught[u]
            w = wealth[u]
            safe = safe_return * (w - deployed[u])
            ti = profit[u]
            k = 0
            if is_caught:  # rare: a branch that is almost always predicted
                k = np.searchsorted(caught_rows, i)  # the place of the row among the caught
                ti = -(confiscated[k] + fined[k])
            # No branch on the mode or the fee (bitwise "and", selects).
            affordable = inminban_fee <= fee_wealth_limit * w
            cheaper = fee_month < org_aversion[u] * org_burden_base
            pays = affordable & cheaper & free & (m != MEMBER)
            fee = fee_month if pays else 0.0
            gain = ti if ti >= 0.0 or ti != ti else 0.0  # numpy.maximum(ti, 0)
            loss = ti if ti <= 0.0 or ti != ti else 0.0  # numpy.minimum(ti, 0)
            month_income = baseline_income + safe + ti - fee
            gains = safe + gain
            losses = loss - fee
            income[u] = month_income if free else 0.0
            trade_income[u] = ti if free else 0.0
            fee_paid[u] = fee
            gains = gains if free else 0.0
            losses = losses if free else 0.0
            if update_wealth:
                x = w + savings_rate * gains + losses
                wealth[u] = x if x >= min_wealth or x != x else min_wealth  # numpy.maximum

            if not free:
                detention_left[u] = detention_left[u] - 1
                if detention_left[u] <= 0:
                    detention_left[u] = 0
                    state_mode[u] = OUTSIDE
                    must_revise[u] = True
                    released += 1
            if is_caught:
                if detention[k] > 0:
                    detention_left[u] = detention[k]
                    state_mode[u] = DETAINED
                else:
                    state_mode[u] = OUTSIDE
                    must_revise[u] = True
                state_company[u] = NO_COMPANY
        # The leaf's new wealth and fees, still in cache, summed as numpy sums the arrays.
        wealth_leaves[j] = leaf_sum(wealth, lo, size)
        fee_leaves[j] = leaf_sum(fee_paid, lo, size)
    return released, combine(wealth_leaves, n), combine(fee_leaves, n)


@kernel()
def company_sums(
    attached: np.ndarray,
    caught_rows: np.ndarray,
    mode: np.ndarray,
    company: np.ndarray,
    commission: np.ndarray,
    surrender: np.ndarray,
    n_companies: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    """Sum what the companies receive; list the nonzero surrenders of those not caught.

    Only the rows of partners and members are read.

    Parameters
    ----------
    attached
        Rows of the partners and members, ascending.
    caught_rows
        Rows of the individuals caught, ascending.
    mode, company
        Mode and company during the month's trade (the companies of partners
        and members in ``0 .. n_companies - 1``, as
        :func:`wakusim.core.kernels.trade.invest` checks: read unchecked).
    commission
        From the month's trade, CNY, for each row in ``attached``.
    surrender
        From the month's trade, CNY, for each row in ``attached``: zero but
        for members.
    n_companies
        Number of companies.

    Returns
    -------
    company_commission
        Commission of each company's partners and members not caught, added
        in individual order (as ``numpy.bincount``).
    partners
        Each company's partners (caught included).
    surrender_pos, surrender_val
        Places in ``surrender[~caught]`` (the surrenders spread over everyone,
        zero for those not listed) of its nonzero elements, and their values.
    n_not_caught
        Length of ``surrender[~caught]``.
    """
    n_attached = attached.shape[0]
    n_caught = caught_rows.shape[0]
    company_commission = np.zeros(n_companies)
    partners = np.zeros(n_companies, dtype=np.int64)
    surrender_pos = np.empty(n_attached + 1, dtype=np.int64)
    surrender_val = np.empty(n_attached + 1)
    n_surrender = 0
    caught_before = 0  # caught rows before the current one (both lists ascend)
    for j in range(n_attached):
        i = attached[j]
        while caught_before < n_caught and caught_rows[caught_before] < i:
            caught_before += 1
        u = np.uint64(i)  # unsigned places: no negative-index checks
        c = np.uint64(company[u])
        if not (caught_before < n_caught and caught_rows[caught_before] == i):  # not caught
            company_commission[c] += commission[j]
            s = surrender[j]
            k = np.uint64(n_surrender)
            surrender_pos[k] = i - caught_before  # its place in surrender[~caught]
            surrender_val[k] = s
            n_surrender += s != 0.0
        partners[c] += mode[u] == PARTNER
    return (
        company_commission,
        partners,
        surrender_pos[:n_surrender],
        surrender_val[:n_surrender],
        mode.shape[0] - n_caught,
    )
