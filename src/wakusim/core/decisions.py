"""How a free individual values each mode: CRRA certainty equivalents and a logit choice.

These are pure functions of arrays, used by the choice process (step 4) and
by tests; they hold the decision model of MODEL.md (M5-M9).

For mode ``j`` with capital ``K_j`` at stake, a month ends either well,

    x_ok  = W + y0 + r (W - K_j) + K_j * turnover * g_e * share_j - org_j

or, with perceived probability ``p_j``, in arrest,

    x_bad = max(W + y0 + r (W - K_j) - K_j - fine_j - D_j (y0 + c_D) - org_j, floor * W)

and is valued by its certainty equivalent under CRRA utility with the
individual's coefficient. The value of the mode is the gain in certainty
equivalent as a share of wealth, ``v_j = (CE_j - W) / W``; the choice among
feasible modes is multinomial logit with scale ``choice_noise``.

Powers, exponentials and logarithms are the C library's
(:mod:`wakusim.core.kernels.libm`), as in the compiled choice kernel: numpy's
own vectorised versions differ in the last bit on some processors, which
would move a draw that falls exactly on a boundary.
"""

from __future__ import annotations

import numpy as np

from wakusim.core.kernels import libm
from wakusim.core.policy import Policy
from wakusim.core.state import MEMBER, OUTSIDE, PARTNER, SMUGGLER
from wakusim.scenarios.schema import Scenario


def margin_shares(policy: Policy, scenario: Scenario) -> np.ndarray:
    """Share of the gross margin a trader keeps, by mode (outside, smuggler, partner, member)."""
    c, s = scenario.companies, policy.state
    return np.array(
        [
            0.0,
            1.0 - scenario.market.smuggling_cost_share,
            1.0 - c.partner_commission,
            (1.0 - c.member_commission) * (1.0 - s.unit_payment) * (1.0 - s.surrender_rate),
        ]
    )


def capital_at_stake(wealth: np.ndarray, scenario: Scenario) -> np.ndarray:
    """Capital each individual would invest in each mode, shape ``(n, 4)``."""
    m = scenario.market
    k = m.invest_share * wealth
    out = np.zeros((wealth.shape[0], 4))
    out[:, SMUGGLER] = np.minimum(k, m.smuggling_capacity)
    out[:, PARTNER] = k
    out[:, MEMBER] = k
    return out


def organisational_cost(
    wealth: np.ndarray, org_aversion: np.ndarray, policy: Policy
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Monthly cost of organisational life for members and for non-members (M7, M8).

    Returns
    -------
    member_cost, nonmember_cost, pays_fee
        ``pays_fee`` marks non-members for whom the neighbourhood-unit fee is
        affordable and cheaper than bearing the base burden.
    """
    s = policy.state
    member_cost = org_aversion * s.org_burden_member
    base_cost = org_aversion * s.org_burden_base
    fee_month = s.inminban_fee / 12.0
    affordable = s.inminban_fee <= s.fee_wealth_limit * wealth
    pays_fee = affordable & (fee_month < base_cost)
    nonmember_cost = np.where(pays_fee, fee_month, base_cost)
    return member_cost, nonmember_cost, pays_fee


def certainty_equivalent(
    x_ok: np.ndarray, x_bad: np.ndarray, p: np.ndarray, gamma: np.ndarray
) -> np.ndarray:
    """Certainty equivalent of a two-outcome lottery under CRRA utility.

    Parameters
    ----------
    x_ok, x_bad
        Positive outcomes (wealth at the end of the month).
    p
        Probability of ``x_bad``.
    gamma
        Relative risk aversion (``gamma = 1`` is log utility).
    """
    scale = np.maximum(x_ok, x_bad)
    a, b = x_ok / scale, x_bad / scale
    one = np.abs(gamma - 1.0) < 1e-9
    e = np.where(one, 0.5, 1.0 - gamma)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        mix = (1.0 - p) * libm.power(a, e) + p * libm.power(b, e)
        ce = libm.power(mix, 1.0 / e)
        if one.any():  # log utility, only where gamma is 1
            one, p, a, b = np.broadcast_arrays(one, p, a, b)
            ce[one] = libm.exp((1.0 - p[one]) * libm.log(a[one]) + p[one] * libm.log(b[one]))
    return scale * ce


def mode_values(
    wealth: np.ndarray,
    risk_aversion: np.ndarray,
    org_aversion: np.ndarray,
    perceived_smuggler: np.ndarray,
    perceived_partner: np.ndarray,
    expected_margin: float,
    policy: Policy,
    scenario: Scenario,
) -> np.ndarray:
    """Value of each mode for each individual, shape ``(n, 4)``.

    The value is the gain in certainty equivalent over the month as a share of
    wealth; see the module docstring for the outcomes compared.
    """
    n = wealth.shape[0]
    pref, m, e = scenario.preferences, scenario.market, policy.enforcement
    y0 = scenario.population.baseline_income
    stake = capital_at_stake(wealth, scenario)
    member_cost, nonmember_cost, _ = organisational_cost(wealth, org_aversion, policy)
    org = np.repeat(nonmember_cost[:, None], 4, axis=1)
    org[:, MEMBER] = member_cost
    gain = stake * (m.turnover * max(expected_margin, -1.0)) * margin_shares(policy, scenario)
    safe = y0 + m.safe_return * (wealth[:, None] - stake)
    x_ok = wealth[:, None] + safe + gain - org
    fine = np.array([0.0, e.smuggling_fine, e.partner_fine, e.member_fine])
    months = np.array([0.0, e.smuggling_detention, e.partner_detention, e.member_detention])
    loss = stake + fine + months * (y0 + pref.detention_cost)
    x_bad = wealth[:, None] + safe - loss - org
    floor = pref.ruin_floor * wealth[:, None]
    x_ok = np.maximum(x_ok, floor)
    x_bad = np.maximum(x_bad, floor)
    p = np.zeros((n, 4))
    p[:, SMUGGLER] = perceived_smuggler
    p[:, PARTNER] = perceived_partner
    p[:, MEMBER] = e.member_risk
    ce = certainty_equivalent(x_ok, x_bad, p, risk_aversion[:, None])
    return (ce - wealth[:, None]) / wealth[:, None]


def choice_probabilities(values: np.ndarray, feasible: np.ndarray, noise: float) -> np.ndarray:
    """Multinomial-logit probabilities over the feasible modes.

    Parameters
    ----------
    values
        ``(n, 4)`` mode values.
    feasible
        ``(n, 4)`` boolean; column ``OUTSIDE`` must be true.
    noise
        Logit scale, in the units of ``values``.
    """
    z = np.where(feasible, values / noise, -np.inf)
    z -= z.max(axis=1, keepdims=True)
    w = libm.exp(z)
    return w / w.sum(axis=1, keepdims=True)


def draw_choices(probabilities: np.ndarray, uniforms: np.ndarray) -> np.ndarray:
    """Draw one mode per row from ``probabilities`` with the given uniforms in ``[0, 1)``."""
    cum = np.cumsum(probabilities, axis=1)
    cum[:, -1] = 1.0
    choice = (uniforms[:, None] >= cum).sum(axis=1)
    return np.where(probabilities[np.arange(len(choice)), choice] > 0, choice, OUTSIDE)
