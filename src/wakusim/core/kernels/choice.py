"""Compiled loops of step 4 (individuals decide).

:func:`revisers` lists who reconsiders this month and counts members per
company; :func:`choose_modes` values the feasible modes of each
reviser and draws one by logit. They compute, row by row and in the same
floating-point order, what :func:`wakusim.core.decisions.mode_values`,
:func:`~wakusim.core.decisions.choice_probabilities` and
:func:`~wakusim.core.decisions.draw_choices` compute on whole arrays (tests
check that they agree), but skip the modes a reviser cannot choose and never
build ``(n, 4)`` work arrays.
"""

from __future__ import annotations

import math

import numpy as np
from numba import prange

from wakusim.core.kernels import BLOCK, kernel

# Layout of the ``params`` vector of :func:`choose_modes`.
P_INVEST, P_CAPACITY, P_Y0, P_SAFE, P_GAIN = 0, 1, 2, 3, 4
P_FLOOR, P_BURDEN_MEMBER, P_BURDEN_BASE = 5, 6, 7
P_FEE, P_FEE_MONTH, P_FEE_LIMIT, P_MEMBER_RISK, P_NOISE = 8, 9, 10, 11, 12
P_PARTNER_MIN, P_MEMBER_MIN = 13, 14
N_PARAMS = 15

_OUTSIDE, _SMUGGLER, _PARTNER, _MEMBER, _DETAINED = 0, 1, 2, 3, 4


@kernel(parallel=True)
def revisers(
    draw: np.ndarray,
    rate: float,
    mode: np.ndarray,
    company: np.ndarray,
    must_revise: np.ndarray,
    active: np.ndarray,
    accepting: np.ndarray,
    smuggling_open: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """List the free individuals who reconsider this month; count each company's members.

    An individual reconsiders if its revision draw is below ``rate`` or it must:
    flagged ``must_revise``, a smuggler with the border closed, a partner whose
    company is suspended or not taking partners, a member whose company is
    suspended (as :func:`wakusim.core.processes.choice.forced_revisions`).

    The rows are walked in blocks of :data:`BLOCK` on several threads; each
    block counts its revisers and members, and a second walk writes each
    block's revisers at its place, so the list is in row order whatever the
    number of threads.

    Returns
    -------
    idx
        Rows of the revisers, ascending (``numpy.flatnonzero`` of the mask).
    members
        Members attached to each company (``numpy.bincount`` of their companies).
    """
    n = mode.shape[0]
    n_companies = active.shape[0]
    n_blocks = max((n + BLOCK - 1) // BLOCK, 1)
    flag = np.empty(n, dtype=np.bool_)
    in_block = np.zeros(n_blocks, dtype=np.int64)
    members_in_block = np.zeros((n_blocks, n_companies), dtype=np.int64)
    closed = not smuggling_open
    for b in prange(n_blocks):
        count = 0
        for i in range(b * BLOCK, min(n, (b + 1) * BLOCK)):
            u = np.uint64(i)  # unsigned: no negative-index check (1.4x faster with the walk below)
            m = mode[u]
            c = company[u]
            r = must_revise[u] | (draw[u] < rate)
            if m == _SMUGGLER:
                r |= closed
            elif m == _PARTNER:
                r |= (c < 0) or not (active[c] and accepting[c])
            elif m == _MEMBER:
                r |= (c < 0) or not active[c]
                if c >= 0:
                    members_in_block[b, c] += 1
            r &= m != _DETAINED
            flag[u] = r
            count += r
        in_block[b] = count
    start = np.zeros(n_blocks + 1, dtype=np.int64)
    for b in range(n_blocks):
        start[b + 1] = start[b] + in_block[b]
    idx = np.empty(start[n_blocks], dtype=np.int64)
    for b in prange(n_blocks):
        # Without a branch per row (the flags are random): every row is written at the
        # next place, which only moves on for a reviser; the walk stops at the block's
        # last reviser, so no write reaches the next block's places (0.7-0.8x the time).
        at, end = start[b], start[b + 1]
        if at < end:
            for i in range(b * BLOCK, min(n, (b + 1) * BLOCK)):
                idx[np.uint64(at)] = i
                at += flag[np.uint64(i)]
                if at == end:
                    break
    members = np.zeros(n_companies, dtype=np.int64)
    for b in range(n_blocks):
        for c in range(n_companies):
            members[c] += members_in_block[b, c]
    return idx, members


@kernel()
def _weight(d: float) -> float:
    """``math.exp(d)``, without the call where its value is exact and known.

    The mode with the top value has ``d = 0`` (weight 1) and a mode that
    cannot be chosen ``d = -inf`` (weight 0): most revisers have one or two
    such modes, and the call costs about 10 ns.
    """
    if d == 0.0:
        return 1.0
    if d == -np.inf:
        return 0.0
    return math.exp(d)


@kernel()
def _lottery(
    w: float,
    floor: float,
    stake: float,
    org: float,
    mo: int,
    params: np.ndarray,
    by_mode: np.ndarray,
) -> tuple[float, float, float]:
    """Return the two outcomes of mode ``mo`` for a reviser of wealth ``w``, over their scale.

    ``by_mode`` holds the share of the margin kept, the fine and the detention loss
    (rows) by mode. Returns ``(scale, a, b)``: the larger outcome (the scale) and the
    outcomes if not caught and if caught over it. The larger outcome over itself is
    exactly 1: that division is skipped, and so are the powers and logarithms of 1 in
    :func:`choose_modes` (each costs several ns).
    """
    gain = stake * params[P_GAIN] * by_mode[0, mo]
    safe = params[P_Y0] + params[P_SAFE] * (w - stake)
    x_ok = w + safe + gain - org
    loss = stake + by_mode[1, mo] + by_mode[2, mo]
    x_bad = w + safe - loss - org
    x_ok = max(x_ok, floor)
    x_bad = max(x_bad, floor)
    scale = max(x_ok, x_bad)
    exact = 0.0 < scale < np.inf  # then scale / scale is exactly 1
    a = 1.0 if exact and x_ok == scale else x_ok / scale
    b = 1.0 if exact and x_bad == scale else x_bad / scale
    return scale, a, b


@kernel()
def _power(x: float, y: float) -> float:
    """``x ** y``, without the call where ``x`` is 1 (the result is exactly 1)."""
    return 1.0 if x == 1.0 else x**y


@kernel()
def _log(x: float) -> float:
    """``math.log(x)``, without the call where ``x`` is 1 (the result is exactly 0)."""
    return 0.0 if x == 1.0 else math.log(x)


@kernel()
def _gain(scale: float, ce: float, w: float, noise: float) -> float:
    """Value of a mode: its gain in certainty equivalent per unit of wealth, over the noise."""
    return ((scale * ce - w) / w) / noise


@kernel(parallel=True, min_rows=2048)  # a few hundred ns per reviser
def choose_modes(
    idx: np.ndarray,
    wealth: np.ndarray,
    gamma: np.ndarray,
    org_aversion: np.ndarray,
    belief_smuggler: np.ndarray,
    belief_partner: np.ndarray,
    mode: np.ndarray,
    company: np.ndarray,
    uniforms: np.ndarray,
    params: np.ndarray,
    shares: np.ndarray,
    fines: np.ndarray,
    detention_loss: np.ndarray,
    smuggling_open: bool,
    partners_taken: bool,
    posts_may_open: bool,
) -> np.ndarray:
    """Draw the mode of each reviser ``idx[j]`` with the uniform ``uniforms[j]``.

    Parameters
    ----------
    idx
        Rows of the revisers.
    wealth, gamma, org_aversion, belief_smuggler, belief_partner, mode, company
        Population arrays (length N).
    uniforms
        One uniform in ``[0, 1)`` per reviser.
    params
        Scalars, laid out as the ``P_*`` constants of this module.
    shares, fines, detention_loss
        Per mode (outside, smuggler, partner, member): share of the margin kept,
        fine, and months of detention times (livelihood + detention cost).
    smuggling_open, partners_taken, posts_may_open
        Whether smuggling is possible, any company takes partners, and a member
        post may be free to a newcomer.

    Returns
    -------
    numpy.ndarray
        ``int8`` mode per reviser.
    """
    n = idx.shape[0]
    out = np.empty(n, dtype=np.int8)
    by_mode = np.empty((3, 4))
    by_mode[0], by_mode[1], by_mode[2] = shares, fines, detention_loss
    invest, capacity = params[P_INVEST], params[P_CAPACITY]
    floor_share = params[P_FLOOR]
    burden_member, burden_base = params[P_BURDEN_MEMBER], params[P_BURDEN_BASE]
    fee, fee_month, fee_limit = params[P_FEE], params[P_FEE_MONTH], params[P_FEE_LIMIT]
    member_risk = params[P_MEMBER_RISK]
    partner_min, member_min = params[P_PARTNER_MIN], params[P_MEMBER_MIN]
    noise = params[P_NOISE]
    for j in prange(n):
        i = idx[j]
        w = wealth[i]
        g = gamma[i]
        keeps_post = mode[i] == _MEMBER and company[i] >= 0
        k = invest * w
        member_cost = org_aversion[i] * burden_member
        base_cost = org_aversion[i] * burden_base
        nonmember_cost = base_cost
        if fee <= fee_limit * w and fee_month < base_cost:
            nonmember_cost = fee_month
        floor = floor_share * w
        one = abs(g - 1.0) < 1e-9
        e = 0.5 if one else 1.0 - g
        # The feasible modes' lotteries; a mode that cannot be chosen is a sure 1 (no calls).
        can1 = smuggling_open
        can2 = partners_taken and w >= partner_min
        can3 = w >= member_min and (keeps_post or posts_may_open)
        s0, a0, b0 = _lottery(w, floor, 0.0, nonmember_cost, 0, params, by_mode)
        s1 = s2 = s3 = a1 = b1 = a2 = b2 = a3 = b3 = 1.0
        p0 = p1 = p2 = p3 = 0.0  # (the outside lottery is sure: p0 stays 0)
        if can1:
            s1, a1, b1 = _lottery(w, floor, min(k, capacity), nonmember_cost, 1, params, by_mode)
            p1 = belief_smuggler[i]
        if can2:
            s2, a2, b2 = _lottery(w, floor, k, nonmember_cost, 2, params, by_mode)
            p2 = belief_partner[i]
        if can3:
            s3, a3, b3 = _lottery(w, floor, k, member_cost, 3, params, by_mode)
            p3 = member_risk
        # Certainty equivalents (over the scale) of the four modes, each step for all four
        # before the next: the calls of different modes are independent, and the processor
        # overlaps them (0.86-0.94x the time of valuing one mode after the other, 1e6).
        if one:  # log utility: exp of the expected log
            l0, l1, l2, l3 = _log(a0), _log(a1), _log(a2), _log(a3)
            m0, m1, m2, m3 = _log(b0), _log(b1), _log(b2), _log(b3)
            ce0 = math.exp((1.0 - p0) * l0 + p0 * m0)
            ce1 = math.exp((1.0 - p1) * l1 + p1 * m1)
            ce2 = math.exp((1.0 - p2) * l2 + p2 * m2)
            ce3 = math.exp((1.0 - p3) * l3 + p3 * m3)
        else:  # CRRA: the e-th power's expectation to the 1/e
            inv_e = 1.0 / e
            t0, t1, t2, t3 = _power(a0, e), _power(a1, e), _power(a2, e), _power(a3, e)
            u0, u1, u2, u3 = _power(b0, e), _power(b1, e), _power(b2, e), _power(b3, e)
            ce0 = _power((1.0 - p0) * t0 + p0 * u0, inv_e)
            ce1 = _power((1.0 - p1) * t1 + p1 * u1, inv_e)
            ce2 = _power((1.0 - p2) * t2 + p2 * u2, inv_e)
            ce3 = _power((1.0 - p3) * t3 + p3 * u3, inv_e)
        z0 = _gain(s0, ce0, w, noise)
        z1 = _gain(s1, ce1, w, noise) if can1 else -np.inf
        z2 = _gain(s2, ce2, w, noise) if can2 else -np.inf
        z3 = _gain(s3, ce3, w, noise) if can3 else -np.inf
        top = max(max(z0, z1), max(z2, z3))
        w0 = _weight(z0 - top)
        w1 = _weight(z1 - top)
        w2 = _weight(z2 - top)
        w3 = _weight(z3 - top)
        total = w0 + w1 + w2 + w3
        u = uniforms[j]
        q0, q1, q2, q3 = w0 / total, w1 / total, w2 / total, w3 / total
        c0 = q0
        c1 = c0 + q1
        c2 = c1 + q2
        if u < c0:
            pick, q = 0, q0
        elif u < c1:
            pick, q = 1, q1
        elif u < c2:
            pick, q = 2, q2
        else:
            pick, q = 3, q3
        out[j] = pick if q > 0.0 else _OUTSIDE
    return out


@kernel()
def sort_out(
    choice: np.ndarray,
    old_mode: np.ndarray,
    old_company: np.ndarray,
    takes_partners: np.ndarray,
    active: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Sort the revisers' choices into stayers, newcomers and leavers.

    Parameters
    ----------
    choice
        Each reviser's chosen mode.
    old_mode, old_company
        Each reviser's mode and company before choosing.
    takes_partners, active
        Per company: takes partners this month; permit not suspended.

    Returns
    -------
    company, new_partners, new_members, vacated
        Each reviser's company if it stays a partner at a company that takes
        partners or stays a member keeping its post, else ``-1``; positions (in
        ``choice``) of the new partners and of the new members, in order; per
        company, posts left by members who chose something else (zero at
        suspended companies).
    """
    n = choice.shape[0]
    company = np.full(n, -1, dtype=np.int32)
    new_partners = np.empty(n, dtype=np.int64)
    new_members = np.empty(n, dtype=np.int64)
    vacated = np.zeros(active.shape[0], dtype=np.int64)
    n_partners = 0
    n_members = 0
    for j in range(n):
        c, was = old_company[j], old_mode[j]
        if choice[j] == _PARTNER:
            if was == _PARTNER and c >= 0 and takes_partners[c]:
                company[j] = c
            else:
                new_partners[n_partners] = j
                n_partners += 1
        elif choice[j] == _MEMBER:
            if was == _MEMBER and c >= 0:
                company[j] = c
            else:
                new_members[n_members] = j
                n_members += 1
        if was == _MEMBER and c >= 0 and choice[j] != _MEMBER and active[c]:
            vacated[c] += 1
    return company, new_partners[:n_partners], new_members[:n_members], vacated


@kernel()
def give_posts(
    order: np.ndarray,
    picked: np.ndarray,
    open_slots: np.ndarray,
    new_members: np.ndarray,
    idx: np.ndarray,
    company: np.ndarray,
    choice: np.ndarray,
    refused: np.ndarray,
) -> None:
    """Give the open posts to the new members in the drawn order, in place.

    New member ``j`` (taken in ``order``) gets a post at its picked company
    ``picked[j]`` while that company has posts left in ``open_slots``; one
    turned away (or without a company, ``-1``) chooses outside instead and is
    marked ``refused``.

    Parameters
    ----------
    order
        A permutation of the new members: the order in which posts are given.
    picked
        Company each new member asks for (``-1``: none).
    open_slots
        Open posts per company.
    new_members
        Positions of the new members among the revisers.
    idx
        Rows of the revisers.
    company, choice
        Per reviser: chosen company and mode (updated).
    refused
        Per individual: turned away this month (updated).
    """
    taken = np.zeros(open_slots.shape[0], dtype=np.int64)
    for t in range(order.shape[0]):
        j = order[t]
        c = picked[j]
        at = new_members[j]
        if c >= 0 and taken[c] < open_slots[c]:
            taken[c] += 1
            company[at] = c
        else:
            choice[at] = _OUTSIDE
            refused[idx[at]] = True


@kernel(parallel=True)
def commit_choices(
    idx: np.ndarray,
    choice: np.ndarray,
    chosen_company: np.ndarray,
    mode: np.ndarray,
    company: np.ndarray,
) -> None:
    """Write the revisers' modes, and companies for partners and members (else -1), in place.

    The revisers' rows are distinct, so they are written on several threads.
    """
    for j in prange(idx.shape[0]):
        i = idx[j]
        m = choice[j]
        mode[i] = m
        company[i] = chosen_company[j] if (m == _PARTNER or m == _MEMBER) else -1
