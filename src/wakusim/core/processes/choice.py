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

from wakusim.core.decisions import choice_probabilities, draw_choices, mode_values
from wakusim.core.policy import Policy
from wakusim.core.processes.companies import open_member_slots
from wakusim.core.state import (
    CHANNEL_PARTNER,
    CHANNEL_SMUGGLER,
    DETAINED,
    MEMBER,
    NO_COMPANY,
    OUTSIDE,
    PARTNER,
    SMUGGLER,
    ModelState,
)
from wakusim.scenarios.schema import Scenario

CHUNK = 1 << 16  # individuals valued at a time


def forced_revisions(state: ModelState, policy: Policy) -> np.ndarray:
    """Mask of free individuals who must reconsider this month."""
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


def revise_modes(
    state: ModelState, policy: Policy, scenario: Scenario, rng: np.random.Generator
) -> np.ndarray:
    """Update modes and companies in place; return the mask of individuals refused a post.

    Random draws, in this order: one uniform per individual (revision), one per
    reviser (choice), then company picks for new partners and new members, then
    a permutation of new members (order in which posts are given).
    """
    pop, comp = state.population, state.companies
    n, m = pop.size, comp.size
    draw = rng.random(n)
    revise = forced_revisions(state, policy) | (
        (draw < scenario.preferences.revision_rate) & (pop.mode != DETAINED)
    )
    idx = np.flatnonzero(revise)
    refused = np.zeros(n, dtype=bool)
    if idx.size == 0:
        pop.must_revise[:] = False
        return refused

    members = np.bincount(pop.company[pop.mode == MEMBER], minlength=m)
    open_slots = open_member_slots(comp, members, policy)
    takes_partners = comp.accepts_partners & comp.active
    old_mode, old_company = pop.mode[idx], pop.company[idx]
    wealth = pop.wealth[idx]
    # A member keeps its post if it chooses to stay, even while the company's
    # permit is suspended (it then waits, without trading, for the permit).
    keeps_post = (old_mode == MEMBER) & (old_company >= 0)

    feasible = np.zeros((idx.size, 4), dtype=bool)
    feasible[:, OUTSIDE] = True
    feasible[:, SMUGGLER] = policy.border.smuggling_open
    feasible[:, PARTNER] = takes_partners.any() & (wealth >= scenario.companies.partner_min_capital)
    # Posts are open to newcomers if any is free now or a reconsidering member may
    # vacate one; who gets a post is settled after the choices (below).
    may_open = open_slots.sum() + int(keeps_post.sum()) > 0
    feasible[:, MEMBER] = (wealth >= scenario.companies.member_min_capital) & (
        keeps_post | may_open
    )
    uniforms = rng.random(idx.size)
    choice = np.empty(idx.size, dtype=np.int8)
    # In chunks, so that the (n, 4) work arrays stay small whatever the population.
    for lo in range(0, idx.size, CHUNK):
        part = slice(lo, lo + CHUNK)
        rows = idx[part]
        values = mode_values(
            wealth[part],
            pop.risk_aversion[rows],
            pop.org_aversion[rows],
            pop.belief[CHANNEL_SMUGGLER, rows],
            pop.belief[CHANNEL_PARTNER, rows],
            state.market.expected_margin,
            policy,
            scenario,
        )
        probs = choice_probabilities(values, feasible[part], scenario.preferences.choice_noise)
        choice[part] = draw_choices(probs, uniforms[part])

    company = np.full(idx.size, NO_COMPANY, dtype=np.int32)
    stay_partner = (choice == PARTNER) & (old_mode == PARTNER) & (old_company >= 0)
    stay_partner &= takes_partners[np.where(old_company >= 0, old_company, 0)]
    company[stay_partner] = old_company[stay_partner]
    new_partner = (choice == PARTNER) & ~stay_partner
    if new_partner.any():
        weights = np.where(takes_partners, comp.quota, 0.0)
        company[new_partner] = rng.choice(m, size=int(new_partner.sum()), p=weights / weights.sum())

    stay_member = (choice == MEMBER) & keeps_post
    company[stay_member] = old_company[stay_member]
    # Posts vacated by revisers who leave become open to newcomers this month.
    leaving = (old_mode == MEMBER) & (old_company >= 0) & ~stay_member
    open_slots = open_slots + np.where(
        comp.active, np.bincount(old_company[leaving], minlength=m), 0
    )
    new_member = np.flatnonzero((choice == MEMBER) & ~stay_member)
    if new_member.size:
        if open_slots.sum() == 0:
            picked = np.full(new_member.size, NO_COMPANY, dtype=np.int32)
        else:
            picked = rng.choice(m, size=new_member.size, p=open_slots / open_slots.sum())
        order = rng.permutation(new_member.size)
        accepted = np.zeros(new_member.size, dtype=bool)
        ranked = order[np.argsort(picked[order], kind="stable")]
        sorted_company = picked[ranked]
        first = np.searchsorted(sorted_company, sorted_company, side="left")
        rank = np.arange(new_member.size) - first
        valid = sorted_company >= 0
        accepted[ranked] = valid & (rank < open_slots[np.where(valid, sorted_company, 0)])
        company[new_member[accepted]] = picked[accepted]
        turned_away = new_member[~accepted]
        choice[turned_away] = OUTSIDE
        refused[idx[turned_away]] = True

    pop.mode[idx] = choice
    pop.company[idx] = np.where((choice == PARTNER) | (choice == MEMBER), company, NO_COMPANY)
    pop.must_revise[:] = False
    pop.must_revise |= refused
    return refused
