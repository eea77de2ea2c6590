"""Compiled loops of step 5 (trade): capital wanted, company demand, deployment, profit split.

:func:`invest` lists the traders' rows (in blocks of rows, on several
threads) and packs them in individual order: the smugglers' wanted capital,
and the partners' and members' wanted capital with their companies; it then
adds the latter up by company in that order, as ``numpy.bincount`` does.
:func:`deploy_attached` rations the packed partners and members and
separates them, so that the deployed capital of each mode is packed exactly
as ``deployed[mode == k]`` and numpy can sum it as it summed the masked array
(pairwise). Once the price is known, :func:`split` computes each
individual's deployed capital and profit in parallel (each row on its own),
and :func:`company_shares` the commission and surrender of each partner and
member, packed in the order of their rows (they are zero for everyone else:
per-individual arrays would be mostly zeros to write and to read again).

The loops over all individuals avoid branches on the mode (a mispredicted
branch costs more than computing every case and selecting one): rows are
packed by always writing the next free place and moving on only for the rows
that belong there. The floating-point operations are those of the
numpy formulation, in the same order.
"""

from __future__ import annotations

import numba
import numpy as np
from numba import prange

from wakusim.core.kernels import BLOCK, kernel
from wakusim.core.state import MEMBER, PARTNER, SMUGGLER


@kernel()
def _rows_of_block(
    mode: np.ndarray, lo: int, hi: int, rows: np.ndarray, at: int, end: int, smugglers: bool
) -> None:
    """Write the rows ``lo .. hi - 1`` of smugglers (else of partners and members) at ``at``.

    Every row is written at the next place, which only moves on for the rows
    listed (no branch to mispredict); the walk stops once ``end`` is reached,
    so that no write reaches the places of the next block.
    """
    if at == end:
        return
    for i in range(lo, hi):
        m = mode[np.uint64(i)]  # unsigned: no negative-index check
        rows[np.uint64(at)] = i
        at += (m == SMUGGLER) if smugglers else ((m == PARTNER) | (m == MEMBER))
        if at == end:
            return


@kernel(parallel=True)
def invest(
    mode: np.ndarray,
    wealth: np.ndarray,
    company: np.ndarray,
    invest_share: float,
    smuggling_capacity: float,
    n_companies: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Pack the traders' wanted capital and rows; sum the partners' and members' by company.

    Parameters
    ----------
    mode, wealth, company
        Each individual's mode, capital and company.
    invest_share
        Share of wealth a trader puts into goods.
    smuggling_capacity
        Most a smuggler can move across the border, CNY.
    n_companies
        Number of companies.

    Returns
    -------
    outside_capital
        Each company's sum of ``attached_wanted``, added in individual order.
    smuggled
        Each smuggler's wanted capital ``min(invest_share * W,
        smuggling_capacity)``, in individual order.
    smuggler_rows
        The rows of the smugglers, ascending.
    attached_wanted, attached_company, attached_partner
        For each partner and member in individual order, the wanted capital
        ``invest_share * W``, the company and whether a partner (else a
        member).
    attached_rows
        The rows of the partners and members, ascending.

    Raises
    ------
    ValueError
        If a partner's or member's company is not in ``0 .. n_companies - 1``
        (the month's later kernels index companies by it unchecked).

    Notes
    -----
    The rows are walked in blocks of :data:`BLOCK` on several threads: each
    block counts its traders, then writes their rows at its place in the lists
    (in row order whatever the number of threads); the traders' values are then
    gathered from their rows on several threads, and the companies' sums added
    in individual order on one.
    """
    n = mode.shape[0]
    n_blocks = max((n + BLOCK - 1) // BLOCK, 1)
    smugglers_in = np.zeros(n_blocks, dtype=np.int64)
    attached_in = np.zeros(n_blocks, dtype=np.int64)
    for b in prange(n_blocks):
        s = t = 0
        for i in range(b * BLOCK, min(n, (b + 1) * BLOCK)):
            m = mode[np.uint64(i)]
            s += m == SMUGGLER
            t += (m == PARTNER) | (m == MEMBER)
        smugglers_in[b] = s
        attached_in[b] = t
    s_start = np.zeros(n_blocks + 1, dtype=np.int64)
    t_start = np.zeros(n_blocks + 1, dtype=np.int64)
    for b in range(n_blocks):
        s_start[b + 1] = s_start[b] + smugglers_in[b]
        t_start[b + 1] = t_start[b] + attached_in[b]
    n_smugglers, n_attached = s_start[n_blocks], t_start[n_blocks]
    smuggler_rows = np.empty(n_smugglers, dtype=np.int64)
    attached_rows = np.empty(n_attached, dtype=np.int64)
    for b in prange(n_blocks):
        lo, hi = b * BLOCK, min(n, (b + 1) * BLOCK)
        _rows_of_block(mode, lo, hi, smuggler_rows, s_start[b], s_start[b + 1], True)
        _rows_of_block(mode, lo, hi, attached_rows, t_start[b], t_start[b + 1], False)
    smuggled = np.empty(n_smugglers)
    for j in prange(n_smugglers):
        k = invest_share * wealth[smuggler_rows[j]]
        smuggled[j] = smuggling_capacity if k > smuggling_capacity else k  # numpy.minimum
    attached_wanted = np.empty(n_attached)
    attached_company = np.empty(n_attached, dtype=company.dtype)
    attached_partner = np.empty(n_attached, dtype=np.bool_)
    for j in prange(n_attached):
        i = attached_rows[j]
        attached_wanted[j] = invest_share * wealth[i]
        attached_company[j] = company[i]
        attached_partner[j] = mode[i] == PARTNER
    outside = np.zeros(n_companies)
    for j in range(n_attached):
        c = attached_company[j]
        if c < 0 or c >= n_companies:  # (an index out of range would not be caught below)
            raise ValueError("a partner's or member's company is out of range")
        outside[c] += attached_wanted[j]
    return (
        outside,
        smuggled,
        smuggler_rows,
        attached_wanted,
        attached_company,
        attached_partner,
        attached_rows,
    )


@kernel()
def deploy_attached(
    attached_wanted: np.ndarray,
    attached_company: np.ndarray,
    attached_partner: np.ndarray,
    ration: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Ration the packed partners and members; separate them, each in individual order.

    Parameters
    ----------
    attached_wanted, attached_company, attached_partner
        From :func:`invest`.
    ration
        Share of demanded volume each company can import.

    Returns
    -------
    partners, members
        ``wanted * ration[company]`` of the packed partners, and of the packed
        members.
    """
    n_attached = attached_wanted.shape[0]
    partners = np.empty(n_attached + 1)
    members = np.empty(n_attached + 1)
    n_partners = 0
    n_members = 0
    for j in range(n_attached):
        d = attached_wanted[j] * ration[np.uint64(attached_company[j])]  # unsigned: no check
        is_partner = attached_partner[j]
        partners[np.uint64(n_partners)] = d
        members[np.uint64(n_members)] = d
        n_partners += is_partner
        n_members += not is_partner
    return partners[:n_partners], members[:n_members]


@kernel(parallel=True)
def split(
    mode: np.ndarray,
    company: np.ndarray,
    wealth: np.ndarray,
    invest_share: float,
    smuggling_capacity: float,
    ration: np.ndarray,
    gross_per_yuan: float,
    shares: np.ndarray,
    deployed: np.ndarray,
    profit: np.ndarray,
) -> None:
    """Deployed capital and each trader's share of its gross margin, into the arrays given.

    Parameters
    ----------
    mode, company, wealth
        Each individual's mode, company and capital.
    invest_share, smuggling_capacity
        As for :func:`invest`.
    ration
        Share of demanded volume each company can import, with one more
        element, 1, at the end (used for everyone but partners and members).
    gross_per_yuan
        ``turnover * margin``: gross margin per yuan deployed.
    shares
        Share of the gross margin a trader keeps, by mode 0-3.
    deployed
        Output: the wanted capital (as in :func:`invest`; 0 for those not
        trading), times the company's ration for partners and members.
    profit
        Output: ``gross * shares[mode] * (mode < 4)``, with
        ``gross = gross_per_yuan * deployed``.
    """
    # Every case is computed, then one selected (no branch on the mode to mispredict).
    pad = ration.shape[0] - 1
    for i in numba.prange(mode.shape[0]):
        m = mode[i]
        is_smuggler = m == SMUGGLER
        is_partner = m == PARTNER
        is_member = m == MEMBER
        attached = is_partner | is_member
        k = invest_share * wealth[i]
        capped = smuggling_capacity if k > smuggling_capacity else k  # numpy.minimum
        wanted = capped if is_smuggler else k
        wanted = wanted if attached | is_smuggler else 0.0
        c = company[i]
        c = c if attached else pad
        d = wanted * ration[c]  # ration 1 (exact) for those not attached
        deployed[i] = d
        gross = gross_per_yuan * d
        alive = 1.0 if m < 4 else 0.0
        profit[i] = gross * shares[min(max(m, 0), 3)] * alive


@kernel(parallel=True)
def company_shares(
    attached: np.ndarray,
    mode: np.ndarray,
    deployed: np.ndarray,
    gross_per_yuan: float,
    partner_commission: float,
    member_commission: float,
    member_rest_share: float,
    unit_payment: float,
    surrender_per_rest: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Compute what each partner and member pays its company and surrenders to the state.

    Parameters
    ----------
    attached
        Rows of the partners and members (as :func:`invest` lists them).
    mode, deployed
        Each individual's mode, and capital in goods (from :func:`split`).
    gross_per_yuan
        ``turnover * margin``: gross margin per yuan deployed.
    partner_commission, member_commission
        Company's share of a partner's and a member's gross margin.
    member_rest_share
        ``1 - member_commission``.
    unit_payment
        Share of a member's rest paid to the unit.
    surrender_per_rest
        ``surrender_rate * (1 - unit_payment)``.

    Returns
    -------
    commission
        For each row listed, with ``gross = gross_per_yuan * deployed``:
        partners ``partner_commission * gross``; members ``member_commission
        * gross + unit_payment * rest`` with ``rest = member_rest_share *
        gross``.
    surrender
        Members ``surrender_per_rest * rest``; partners 0.
    """
    n = attached.shape[0]
    commission = np.empty(n)
    surrender = np.empty(n)
    for j in prange(n):
        i = attached[j]
        is_member = mode[i] == MEMBER
        gross = gross_per_yuan * deployed[i]
        rest = member_rest_share * gross
        by_member = member_commission * gross + unit_payment * rest
        by_partner = partner_commission * gross
        commission[j] = by_member if is_member else by_partner
        surrender[j] = surrender_per_rest * rest if is_member else 0.0
    return commission, surrender
