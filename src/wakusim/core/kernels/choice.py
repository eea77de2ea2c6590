"""Compiled loops of step 4 (individuals decide).

:func:`revisers` lists who reconsiders this month and counts members per
company; :func:`choose_modes` values the feasible modes of each
reviser and draws one by logit. The modes drawn are those of
:func:`_choose_one`, which computes, row by row and in the same
floating-point order, what :func:`wakusim.core.decisions.mode_values`,
:func:`~wakusim.core.decisions.choice_probabilities` and
:func:`~wakusim.core.decisions.draw_choices` compute on whole arrays (tests
check that they agree), but skips the modes a reviser cannot choose and never
builds ``(n, 4)`` work arrays. :func:`choose_modes` first values the revisers
with vectorised estimates and an error bound (:func:`_estimate_block`) and
calls :func:`_choose_one` only for the few the bound cannot decide.
"""

from __future__ import annotations

import math

import numpy as np
from numba import prange

from wakusim.core.kernels import BLOCK, kernel
from wakusim.core.kernels.vector_math import RELATIVE_ERROR, exp_estimate, log_estimate

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
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """List the free individuals who reconsider this month; count each company's members.

    An individual reconsiders if its revision draw is below ``rate`` or it must:
    flagged ``must_revise``, a smuggler with the border closed, a partner whose
    company is suspended or not taking partners, a member whose company is
    suspended (as :func:`wakusim.core.processes.choice.forced_revisions`).

    The rows are walked in blocks of :data:`BLOCK` on several threads; each
    block counts its revisers and members, and a second walk writes each
    block's revisers at its place, so the list is in row order whatever the
    number of threads, and gathers their modes and companies.

    Returns
    -------
    idx
        Rows of the revisers, ascending (``numpy.flatnonzero`` of the mask).
    old_mode, old_company
        ``mode[idx]`` and ``company[idx]``: each reviser's mode and company
        before choosing.
    members
        Members attached to each company (``numpy.bincount`` of their companies).
    """
    n = mode.shape[0]
    n_companies = active.shape[0]
    n_blocks = max((n + BLOCK - 1) // BLOCK, 1)
    flag = np.empty(n, dtype=np.bool_)
    in_block = np.zeros(n_blocks, dtype=np.int64)
    members_in_block = np.zeros((n_blocks, n_companies), dtype=np.int64)
    # Whether mode m at company c (column c + 1; column 0: none) must reconsider, looked
    # up without a branch on the mode (0.8x the time of branching on it at 1e6).
    forced = np.zeros((_DETAINED + 1, n_companies + 1), dtype=np.bool_)
    forced[_SMUGGLER, :] = not smuggling_open
    forced[_PARTNER, 0] = True
    forced[_MEMBER, 0] = True
    for c in range(n_companies):
        forced[_PARTNER, c + 1] = not (active[c] and accepting[c])
        forced[_MEMBER, c + 1] = not active[c]
    for b in prange(n_blocks):
        count = 0
        for i in range(b * BLOCK, min(n, (b + 1) * BLOCK)):
            u = np.uint64(i)  # unsigned: no negative-index check (1.4x faster with the walk below)
            m = mode[u]
            c = company[u]
            r = must_revise[u] | (draw[u] < rate) | forced[m, c + 1]
            r &= m != _DETAINED
            flag[u] = r
            count += r
            if (m == _MEMBER) & (c >= 0):
                members_in_block[b, c] += 1
        in_block[b] = count
    start = np.zeros(n_blocks + 1, dtype=np.int64)
    for b in range(n_blocks):
        start[b + 1] = start[b] + in_block[b]
    idx = np.empty(start[n_blocks], dtype=np.int64)
    old_mode = np.empty(start[n_blocks], dtype=mode.dtype)
    old_company = np.empty(start[n_blocks], dtype=company.dtype)
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
        for j in range(start[b], end):
            i = np.uint64(idx[j])
            old_mode[j] = mode[i]
            old_company[j] = company[i]
    members = np.zeros(n_companies, dtype=np.int64)
    for b in range(n_blocks):
        for c in range(n_companies):
            members[c] += members_in_block[b, c]
    return idx, old_mode, old_company, members


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


@kernel(inline=True)
def _reviser_terms(
    w: float,
    org: float,
    keeps_post: bool,
    params: np.ndarray,
    smuggling_open: bool,
    partners_taken: bool,
    posts_may_open: bool,
) -> tuple[float, float, float, float, float, bool, bool, bool]:
    """Return what a reviser's lotteries need besides its risks, for both valuations.

    Returns ``(k, stake_smuggler, member_cost, nonmember_cost, floor, can1, can2,
    can3)``: the capital put in goods (a smuggler's capped at the capacity), the
    organisational cost as a member and as a non-member (the inminban fee instead
    of the base burden where it is lower and affordable), the ruin floor, and
    whether smuggling, partnering and membership can be chosen. Written without
    branches, so that :func:`_estimate_block` compiles to vector instructions.
    """
    k = params[P_INVEST] * w
    member_cost = org * params[P_BURDEN_MEMBER]
    base_cost = org * params[P_BURDEN_BASE]
    low_fee = (params[P_FEE] <= params[P_FEE_LIMIT] * w) & (params[P_FEE_MONTH] < base_cost)
    nonmember_cost = params[P_FEE_MONTH] if low_fee else base_cost
    can2 = partners_taken & (w >= params[P_PARTNER_MIN])
    can3 = (w >= params[P_MEMBER_MIN]) & (keeps_post | posts_may_open)
    stake_smuggler = min(k, params[P_CAPACITY])
    floor = params[P_FLOOR] * w
    return k, stake_smuggler, member_cost, nonmember_cost, floor, smuggling_open, can2, can3


@kernel(inline=True)
def _outcomes(
    w: float,
    floor: float,
    stake: float,
    org: float,
    gain_rate: float,
    share: float,
    fine: float,
    detention: float,
    base_income: float,
    safe_return: float,
) -> tuple[float, float]:
    """Return a mode's outcomes, if not caught and if caught, for a reviser of wealth ``w``.

    ``stake`` is the capital put in goods, ``org`` the organisational cost,
    ``gain_rate`` the expected return on goods (turnover times margin),
    ``share`` the share of it the mode keeps, ``fine`` and ``detention`` what
    an arrest costs; neither outcome falls below ``floor``.
    """
    gain = stake * gain_rate * share
    safe = base_income + safe_return * (w - stake)
    x_ok = w + safe + gain - org
    loss = stake + fine + detention
    x_bad = w + safe - loss - org
    return max(x_ok, floor), max(x_bad, floor)


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
    :func:`_choose_one` (each costs several ns).
    """
    x_ok, x_bad = _outcomes(
        w,
        floor,
        stake,
        org,
        params[P_GAIN],
        by_mode[0, mo],
        by_mode[1, mo],
        by_mode[2, mo],
        params[P_Y0],
        params[P_SAFE],
    )
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


@kernel()
def _choose_one(
    w: float,
    g: float,
    org: float,
    p_smuggler: float,
    p_partner: float,
    keeps_post: bool,
    u: float,
    params: np.ndarray,
    by_mode: np.ndarray,
    smuggling_open: bool,
    partners_taken: bool,
    posts_may_open: bool,
) -> int:
    """Value the feasible modes of a reviser with the C library; draw one with ``u``.

    The valuation that sets the choices. The reviser's wealth ``w``, risk
    aversion ``g``, organisational aversion ``org``, perceived risks and whether
    it keeps a member's post are as :func:`choose_modes` gathers them; the other
    arguments as :func:`choose_modes`'s, ``by_mode`` as :func:`_lottery`'s. It
    computes, in the same floating-point order, what the array formulation
    computes.
    """
    noise = params[P_NOISE]
    k, stake1, member_cost, nonmember_cost, floor, can1, can2, can3 = _reviser_terms(
        w, org, keeps_post, params, smuggling_open, partners_taken, posts_may_open
    )
    one = abs(g - 1.0) < 1e-9
    e = 0.5 if one else 1.0 - g
    # The feasible modes' lotteries; a mode that cannot be chosen is a sure 1 (no calls).
    s0, a0, b0 = _lottery(w, floor, 0.0, nonmember_cost, 0, params, by_mode)
    s1 = s2 = s3 = a1 = b1 = a2 = b2 = a3 = b3 = 1.0
    p0 = p1 = p2 = p3 = 0.0  # (the outside lottery is sure: p0 stays 0)
    if can1:
        s1, a1, b1 = _lottery(w, floor, stake1, nonmember_cost, 1, params, by_mode)
        p1 = p_smuggler
    if can2:
        s2, a2, b2 = _lottery(w, floor, k, nonmember_cost, 2, params, by_mode)
        p2 = p_partner
    if can3:
        s3, a3, b3 = _lottery(w, floor, k, member_cost, 3, params, by_mode)
        p3 = params[P_MEMBER_RISK]
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
    return pick if q > 0.0 else _OUTSIDE


# The estimates below are trusted as far as these limits, else the reviser is valued again.
_EXPONENT_LIMIT = 700.0  # |exponents| of the estimated exp (the C library's exp is normal there)
_ERROR_LIMIT = 1e-3  # bounds, on the log scale, that keep the bounds' own first-order terms valid


@kernel(inline=True)
def _estimate_mode(
    w_inv: float,
    x_ok: float,
    x_bad: float,
    p: float,
    e: float,
    inv_e: float,
    inv_noise: float,
) -> tuple[float, float]:
    """Estimate a mode's value with :mod:`.vector_math`; return it and a bound on its error.

    The lottery (``x_ok`` with probability ``1 - p``, ``x_bad`` with ``p``) is
    valued as :func:`_choose_one` values it: ``ce = ((1 - p) a**e + p b**e)**(1/e)``
    over the scale, ``z = (scale ce / w - 1) / noise``. With ``E`` for
    :data:`~wakusim.core.kernels.vector_math.RELATIVE_ERROR`, the estimate of
    ``log ce`` is off by at most ``E ((2 + |e log r| + |log M|) / |e| + |log ce| + 1)``
    (``r`` the smaller outcome over the larger, ``M`` the mixture; each
    evaluation's error, carried through the steps); ``z`` by that times the
    gain ``scale ce / w``, plus ``E (gain + 1)``, over the noise. The bound is
    infinite where the estimate cannot be trusted (a ratio or exponent outside
    the estimates' range, ``p`` outside ``[0, 1]``, a bound too large to be
    first-order), and NaN where inputs are.
    """
    scale = max(x_ok, x_bad)
    r = min(x_ok, x_bad) / scale
    log_r = log_estimate(r)
    x = e * log_r
    power = exp_estimate(x)
    t_ok = 1.0 if x_ok == scale else power
    t_bad = 1.0 if x_bad == scale else power
    mixture = (1.0 - p) * t_ok + p * t_bad
    log_mixture = log_estimate(mixture)
    y = log_mixture * inv_e
    ce = exp_estimate(y)
    gain = scale * ce * w_inv
    z = (gain - 1.0) * inv_noise
    err_y = RELATIVE_ERROR * ((2.0 + abs(x) + abs(log_mixture)) * abs(inv_e) + abs(y) + 1.0)
    dz = (gain * (1.01 * err_y + RELATIVE_ERROR) + RELATIVE_ERROR) * inv_noise
    trusted = (
        (0.0 < scale)
        & (scale < np.inf)
        & (r >= 1e-300)
        & (0.0 <= p)
        & (p <= 1.0)
        & (abs(x) <= _EXPONENT_LIMIT)
        & (abs(y) <= _EXPONENT_LIMIT)
        & (err_y <= _ERROR_LIMIT)
    )
    return z, dz if trusted else np.inf


@kernel()
def _estimate_block(
    out: np.ndarray,
    unsure: np.ndarray,
    wealth: np.ndarray,
    gamma: np.ndarray,
    org_aversion: np.ndarray,
    belief_smuggler: np.ndarray,
    belief_partner: np.ndarray,
    keeps_post: np.ndarray,
    uniforms: np.ndarray,
    params: np.ndarray,
    by_mode: np.ndarray,
    smuggling_open: bool,
    partners_taken: bool,
    posts_may_open: bool,
) -> None:
    """Draw each reviser's mode from estimated values; flag those the estimate cannot decide.

    The arrays are the block's revisers' values, contiguous (a loop over
    gathered values compiles to vector instructions; one that gathers does
    not). ``out`` gets the mode drawn with the estimated probabilities;
    ``unsure`` is set where that may not be the mode :func:`_choose_one` draws.

    The estimated values ``z`` are each off by at most ``dz``
    (:func:`_estimate_mode`), so ``z - top`` by ``2 max(dz)``, and each weight
    ``exp(z - top)`` by a factor ``exp(eta)``, ``eta`` that plus the
    rounding of the subtraction and the estimate of ``exp`` (``E`` times 701
    at most). Each probability and cumulative probability ``c`` is then within
    a factor ``exp(2 eta)`` of :func:`_choose_one`'s, that is within
    ``2.01 eta`` for ``eta`` under :data:`_ERROR_LIMIT`, and the rounding of
    the divisions and sums adds ``4 E``. A weight below ``exp(-700)`` is taken
    as 0, which moves each ``c`` by less than 1e-300. A draw ``u`` farther
    than all that from every ``c`` falls on the same side of each, so the
    mode is the same (and it is not one whose weight was taken as 0: the
    draws between its two ``c`` are all within the margin). ``unsure`` is
    also set for revisers with log utility (valued another way), wealth that
    is not positive and finite, an outside option that is not sure, or any
    bound that is not finite.
    """
    member_risk = params[P_MEMBER_RISK]
    inv_noise = 1.0 / params[P_NOISE]
    usable = 0.0 < params[P_NOISE] < np.inf
    gain_rate, y0, rs = params[P_GAIN], params[P_Y0], params[P_SAFE]  # (base income, safe return)
    share0, share1, share2, share3 = by_mode[0, 0], by_mode[0, 1], by_mode[0, 2], by_mode[0, 3]
    fine0, fine1, fine2, fine3 = by_mode[1, 0], by_mode[1, 1], by_mode[1, 2], by_mode[1, 3]
    det0, det1, det2, det3 = by_mode[2, 0], by_mode[2, 1], by_mode[2, 2], by_mode[2, 3]
    rounding = 4.0 * RELATIVE_ERROR
    for j in range(out.shape[0]):
        w = wealth[j]
        k, stake1, member_cost, nonmember_cost, floor, can1, can2, can3 = _reviser_terms(
            w,
            org_aversion[j],
            keeps_post[j],
            params,
            smuggling_open,
            partners_taken,
            posts_may_open,
        )
        e = 1.0 - gamma[j]
        inv_e = 1.0 / e
        w_inv = 1.0 / w
        ok0, bad0 = _outcomes(w, floor, 0.0, nonmember_cost, gain_rate, share0, fine0, det0, y0, rs)
        ok1, bad1 = _outcomes(
            w, floor, stake1, nonmember_cost, gain_rate, share1, fine1, det1, y0, rs
        )
        ok2, bad2 = _outcomes(w, floor, k, nonmember_cost, gain_rate, share2, fine2, det2, y0, rs)
        ok3, bad3 = _outcomes(w, floor, k, member_cost, gain_rate, share3, fine3, det3, y0, rs)
        # The outside option is sure (its outcomes are equal): its value needs no estimate.
        gain0 = ok0 * w_inv
        z0 = (gain0 - 1.0) * inv_noise
        dz0 = RELATIVE_ERROR * (gain0 + 1.0) * inv_noise
        z1, dz1 = _estimate_mode(w_inv, ok1, bad1, belief_smuggler[j], e, inv_e, inv_noise)
        z2, dz2 = _estimate_mode(w_inv, ok2, bad2, belief_partner[j], e, inv_e, inv_noise)
        z3, dz3 = _estimate_mode(w_inv, ok3, bad3, member_risk, e, inv_e, inv_noise)
        z1 = z1 if can1 else -np.inf
        z2 = z2 if can2 else -np.inf
        z3 = z3 if can3 else -np.inf
        dz = max(max(dz0, dz1 if can1 else 0.0), max(dz2 if can2 else 0.0, dz3 if can3 else 0.0))
        top = max(max(z0, z1), max(z2, z3))
        d0, d1, d2, d3 = z0 - top, z1 - top, z2 - top, z3 - top  # -inf if not feasible
        # A weight under exp(-700) (a mode that cannot be chosen included) is taken as 0: in
        # the C library's valuation it is below 1e-304 of the total, far inside the margin.
        weight0 = exp_estimate(d0) if d0 >= -_EXPONENT_LIMIT else 0.0
        weight1 = exp_estimate(d1) if d1 >= -_EXPONENT_LIMIT else 0.0
        weight2 = exp_estimate(d2) if d2 >= -_EXPONENT_LIMIT else 0.0
        weight3 = exp_estimate(d3) if d3 >= -_EXPONENT_LIMIT else 0.0
        total_inv = 1.0 / (weight0 + weight1 + weight2 + weight3)
        c0 = weight0 * total_inv
        c1 = c0 + weight1 * total_inv
        c2 = c1 + weight2 * total_inv
        u = uniforms[j]
        pick = (u >= c0) + (u >= c1) + (u >= c2)
        chosen_weight = weight0 if pick == 0 else (weight1 if pick == 1 else weight2)
        chosen_weight = weight3 if pick == 3 else chosen_weight
        out[j] = pick if chosen_weight > 0.0 else _OUTSIDE
        eta = 2.0 * dz + RELATIVE_ERROR * (1.0 + _EXPONENT_LIMIT)
        margin = 2.01 * eta + rounding
        sure = (
            usable
            & (abs(e) >= 1e-9)
            & (0.0 < w)
            & (w < np.inf)
            & (ok0 == bad0)
            & (0.0 < ok0)
            & (ok0 < np.inf)
            & (eta <= _ERROR_LIMIT)
            & (abs(u - c0) > margin)
            & (abs(u - c1) > margin)
            & (abs(u - c2) > margin)
        )
        unsure[j] = not sure


CHOICE_BLOCK = 1024  # revisers gathered and valued at a time (buffers that stay in cache)


@kernel(parallel=True, min_rows=2048)  # about 50 ns per reviser
def choose_modes(
    idx: np.ndarray,
    wealth: np.ndarray,
    gamma: np.ndarray,
    org_aversion: np.ndarray,
    belief_smuggler: np.ndarray,
    belief_partner: np.ndarray,
    old_mode: np.ndarray,
    old_company: np.ndarray,
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

    The modes are those :func:`_choose_one` draws with the C library's
    values, to the last bit, but few revisers are valued with it: each block
    of :data:`CHOICE_BLOCK` revisers is first valued with estimates that run
    on vector instructions (:func:`_estimate_block`), and only the revisers
    whose draw lies within the estimates' error bound of a boundary between
    modes (a few in a million), or whom the estimates do not cover, are
    valued again exactly. Revisers who can choose nothing but outside (no
    smuggling, too poor to partner, no post to keep or take) are not valued:
    outside is then the only mode with a weight, and :func:`_choose_one`
    draws it whatever the draw and the values (it maps NaN and infinite
    values to outside too).

    Parameters
    ----------
    idx
        Rows of the revisers.
    wealth, gamma, org_aversion, belief_smuggler, belief_partner
        Population arrays (length N).
    old_mode, old_company
        Each reviser's mode and company (as :func:`revisers` gathers them).
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
    n_blocks = (n + CHOICE_BLOCK - 1) // CHOICE_BLOCK
    for b in prange(n_blocks):
        lo = b * CHOICE_BLOCK
        size = min(n, lo + CHOICE_BLOCK) - lo
        w = np.empty(size)
        g = np.empty(size)
        org = np.empty(size)
        p_smuggler = np.empty(size)
        p_partner = np.empty(size)
        keeps_post = np.empty(size, dtype=np.bool_)
        u = np.empty(size)
        at = np.empty(size, dtype=np.int64)
        # Gather the revisers who can choose something other than outside; those who
        # cannot (no smuggling, too poor to partner, no post) stay outside, their only
        # mode with a weight (most revisers while the border is closed).
        m = 0
        for j in range(size):
            r = np.uint64(lo + j)  # unsigned: no negative-index check
            i = np.uint64(idx[r])
            wi = wealth[i]
            oi = org_aversion[i]
            keeps = (old_mode[r] == _MEMBER) & (old_company[r] >= 0)
            _, _, _, _, _, can1, can2, can3 = _reviser_terms(
                wi, oi, keeps, params, smuggling_open, partners_taken, posts_may_open
            )
            t = np.uint64(m)  # without a branch: every reviser is written at the next place
            w[t] = wi
            g[t] = gamma[i]
            org[t] = oi
            p_smuggler[t] = belief_smuggler[i]
            p_partner[t] = belief_partner[i]
            keeps_post[t] = keeps
            u[t] = uniforms[r]
            at[t] = j
            out[r] = _OUTSIDE
            m += can1 | can2 | can3
        chosen = np.empty(m, dtype=np.int8)
        unsure = np.empty(m, dtype=np.bool_)
        _estimate_block(
            chosen,
            unsure,
            w[:m],
            g[:m],
            org[:m],
            p_smuggler[:m],
            p_partner[:m],
            keeps_post[:m],
            u[:m],
            params,
            by_mode,
            smuggling_open,
            partners_taken,
            posts_may_open,
        )
        for t in range(m):
            if unsure[t]:
                chosen[t] = _choose_one(
                    w[t],
                    g[t],
                    org[t],
                    p_smuggler[t],
                    p_partner[t],
                    keeps_post[t],
                    u[t],
                    params,
                    by_mode,
                    smuggling_open,
                    partners_taken,
                    posts_may_open,
                )
            out[lo + at[t]] = chosen[t]
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
