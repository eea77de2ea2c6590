"""Step 4: free individuals revise their mode (M5, M8, M9).

Each free individual reconsiders with probability ``revision_rate``, and at
once when released, refused a post last month, or when its current mode is
no longer possible (smuggling closed; its company suspended or no longer
taking partners). Reconsidering individuals value the feasible modes under
their perceived risks (:mod:`wakusim.core.decisions`) and draw one by logit.
New partners pick a company that takes partners (in proportion to quota); new
members pick a company with open posts (in proportion to open posts), and
posts go in random order: those turned away stay outside and reconsider next
month. Members of a company whose permit is suspended reconsider at once but
keep their post if they stay members (they are employees of the company).
"""

from __future__ import annotations

import numpy as np

from wakusim.core.decisions import margin_shares
from wakusim.core.draws import uniforms
from wakusim.core.kernels import choice as kernel
from wakusim.core.policy import Policy
from wakusim.core.processes.companies import open_member_slots
from wakusim.core.state import (
    CHANNEL_PARTNER,
    CHANNEL_SMUGGLER,
    DETAINED,
    MEMBER,
    NO_COMPANY,
    PARTNER,
    SMUGGLER,
    ModelState,
)
from wakusim.scenarios.schema import Scenario


def forced_revisions(state: ModelState, policy: Policy) -> np.ndarray:
    """Mask of free individuals who must reconsider this month.

    The array formulation of the rule; :func:`revise_modes` applies it through
    :func:`wakusim.core.kernels.choice.revisers` (tests check they agree).
    """
    pop, comp = state.population, state.companies
    attached = pop.company >= 0
    company = np.where(attached, pop.company, 0)
    active = comp.active[company] & attached
    accepting = comp.accepts_partners[company] & attached
    forced = pop.must_revise.copy()
    forced |= (pop.mode == SMUGGLER) & (not policy.border.smuggling_open)
    forced |= (pop.mode == PARTNER) & ~(active & accepting)
    forced |= (pop.mode == MEMBER) & ~active
    return forced & (pop.mode != DETAINED)


def choice_parameters(expected_margin: float, policy: Policy, scenario: Scenario) -> np.ndarray:
    """Return the scalars of the decision model, laid out for :func:`kernel.choose_modes`."""
    pref, mk, e, s = scenario.preferences, scenario.market, policy.enforcement, policy.state
    params = np.empty(kernel.N_PARAMS)
    params[kernel.P_INVEST] = mk.invest_share
    params[kernel.P_CAPACITY] = mk.smuggling_capacity
    params[kernel.P_Y0] = scenario.population.baseline_income
    params[kernel.P_SAFE] = mk.safe_return
    params[kernel.P_GAIN] = mk.turnover * max(expected_margin, -1.0)
    params[kernel.P_FLOOR] = pref.ruin_floor
    params[kernel.P_BURDEN_MEMBER] = s.org_burden_member
    params[kernel.P_BURDEN_BASE] = s.org_burden_base
    params[kernel.P_FEE] = s.inminban_fee
    params[kernel.P_FEE_MONTH] = s.inminban_fee / 12.0
    params[kernel.P_FEE_LIMIT] = s.fee_wealth_limit
    params[kernel.P_MEMBER_RISK] = e.member_risk
    params[kernel.P_NOISE] = pref.choice_noise
    params[kernel.P_PARTNER_MIN] = scenario.companies.partner_min_capital
    params[kernel.P_MEMBER_MIN] = scenario.companies.member_min_capital
    return params


def punishment_by_mode(policy: Policy, scenario: Scenario) -> tuple[np.ndarray, np.ndarray]:
    """Fine and cost of detention (months x (livelihood + cost)) by mode, as valued by revisers."""
    e, pref = policy.enforcement, scenario.preferences
    fines = np.array([0.0, e.smuggling_fine, e.partner_fine, e.member_fine])
    months = np.array([0.0, e.smuggling_detention, e.partner_detention, e.member_detention])
    return fines, months * (scenario.population.baseline_income + pref.detention_cost)


def pick_in_proportion(rng: np.random.Generator, weights: np.ndarray, size: int) -> np.ndarray:
    """Draw ``size`` indices in proportion to non-negative ``weights`` (positive sum).

    One uniform per draw, placed on the normalised cumulative weights: the
    draws and the generator's state afterwards are those of
    ``rng.choice(len(weights), size, p=weights / weights.sum())``, without
    its checks of ``p`` (tests compare them).
    """
    total = weights.sum()
    if not total > 0 or (weights < 0).any():  # Generator.choice refuses these too
        raise ValueError("weights must be non-negative with a positive sum")
    p = weights / total
    cdf = p.cumsum()
    cdf /= cdf[-1]
    return cdf.searchsorted(rng.random(size), side="right")


def revise_modes(
    state: ModelState, policy: Policy, scenario: Scenario, rng: np.random.Generator
) -> np.ndarray:
    """Update modes and companies in place; return the mask of individuals refused a post.

    Random draws, in this order: one uniform per individual (revision), one per
    reviser (choice), then company picks for new partners and new members, then
    a permutation of new members (order in which posts are given).
    """
    pop, comp = state.population, state.companies
    n = pop.size
    draw = uniforms(rng, n)
    active = comp.active
    idx, old_mode, old_company, members = kernel.revisers(
        draw,
        scenario.preferences.revision_rate,
        pop.mode,
        pop.company,
        pop.must_revise,
        active,
        comp.accepts_partners,
        bool(policy.border.smuggling_open),
    )
    refused = np.zeros(n, dtype=bool)
    if idx.size == 0:
        pop.must_revise[:] = False
        return refused

    open_slots = open_member_slots(comp, members, policy)
    takes_partners = comp.accepts_partners & active
    # A member keeps its post if it chooses to stay, even while the company's
    # permit is suspended (it then waits, without trading, for the permit); so
    # posts are open to newcomers if any is free now or a reconsidering member
    # may vacate one. Who gets a post is settled after the choices (below).
    may_open = open_slots.sum() > 0 or bool(((old_mode == MEMBER) & (old_company >= 0)).any())
    choice_draws = uniforms(rng, idx.size)
    choice = kernel.choose_modes(
        idx,
        pop.wealth,
        pop.risk_aversion,
        pop.org_aversion,
        pop.belief[CHANNEL_SMUGGLER],
        pop.belief[CHANNEL_PARTNER],
        old_mode,
        old_company,
        choice_draws,
        choice_parameters(state.market.expected_margin, policy, scenario),
        margin_shares(policy, scenario),
        *punishment_by_mode(policy, scenario),
        bool(policy.border.smuggling_open),
        bool(takes_partners.any()),
        bool(may_open),
    )

    company, new_partner, new_member, vacated = kernel.sort_out(
        choice, old_mode, old_company, takes_partners, comp.active
    )
    if new_partner.size:
        weights = np.where(takes_partners, comp.quota, 0.0)
        company[new_partner] = pick_in_proportion(rng, weights, new_partner.size)
    # Posts vacated by revisers who leave become open to newcomers this month.
    open_slots = open_slots + vacated
    if new_member.size:
        if open_slots.sum() == 0:
            picked = np.full(new_member.size, NO_COMPANY, dtype=np.int64)
        else:
            picked = pick_in_proportion(rng, open_slots, new_member.size)
        order = rng.permutation(new_member.size)
        kernel.give_posts(order, picked, open_slots, new_member, idx, company, choice, refused)

    kernel.commit_choices(idx, choice, company, pop.mode, pop.company)
    pop.must_revise[:] = False
    pop.must_revise |= refused
    return refused
