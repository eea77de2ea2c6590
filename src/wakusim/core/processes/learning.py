"""Step 7: learning. Perceived risks follow arrests seen among contacts (M10).

For each illicit channel an individual holds a Beta belief, kept as its mean
``p`` (the perceived monthly risk) and its weight ``w`` (pseudo-observations).
Each month old evidence fades by ``memory``; the individual then observes its
contacts who were in the channel this month (``n``) and how many of them were
caught (``x``):

    w' = memory * w + n,        p' = (memory * w * p + x) / w'

A partner also sees its own company: ``company_weight`` pseudo-observations at
the company's arrest rate among partners. A public campaign on the timeline
adds ``weight`` pseudo-observations at the risk it conveys (by default the
true risk) to everyone. With learning switched off, beliefs equal the true
risks each month.
"""

from __future__ import annotations

import numpy as np

from wakusim.core.kernels.learning import (
    FIELD_MAX,
    channel_codes,
    partner_arrests,
    seen_among_contacts,
    update_beliefs,
)
from wakusim.core.policy import Policy
from wakusim.core.processes.enforcement import EnforcementOutcome
from wakusim.core.processes.trade import TradeOutcome
from wakusim.core.state import (
    CHANNEL_NAMES,
    CHANNEL_PARTNER,
    CHANNEL_SMUGGLER,
    PARTNER,
    SMUGGLER,
    Companies,
    Population,
)
from wakusim.scenarios.schema import Campaign, Learning


def observe_contacts(
    contacts: np.ndarray, in_channel: np.ndarray, caught: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Count, for each individual, contacts in the channel and contacts caught in it."""
    n = contacts.shape[0]
    if not in_channel.any():
        return np.zeros(n, dtype=np.int32), np.zeros(n, dtype=np.int32)
    seen = in_channel[contacts].sum(axis=1, dtype=np.int32)
    hit = in_channel & caught
    if not hit.any():
        return seen, np.zeros(n, dtype=np.int32)
    arrests = hit[contacts].sum(axis=1, dtype=np.int32)
    return seen, arrests


def observe_channels(
    contacts: np.ndarray, mode: np.ndarray, caught: np.ndarray
) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Count contacts in each illicit channel and contacts caught in it, in one pass.

    Same counts as :func:`observe_contacts` for each channel, but the four
    indicators (in the smuggler channel, caught in it, in the partner channel,
    caught in it) are packed into 8-bit fields of one ``uint32`` per individual,
    so the contact array is gathered once (a degree of at most 255 keeps the
    fields from overflowing into each other).

    Returns
    -------
    dict
        Channel -> ``(seen, arrests)`` as ``int32`` arrays.
    """
    n, k = contacts.shape
    smuggler, partner = mode == SMUGGLER, mode == PARTNER
    if k > 255 or not (smuggler.any() or partner.any()):
        return {
            CHANNEL_SMUGGLER: observe_contacts(contacts, smuggler, caught),
            CHANNEL_PARTNER: observe_contacts(contacts, partner, caught),
        }
    code = smuggler.astype(np.uint32)
    code |= (smuggler & caught).astype(np.uint32) << 8
    code |= partner.astype(np.uint32) << 16
    code |= (partner & caught).astype(np.uint32) << 24
    total = code[contacts].sum(axis=1, dtype=np.uint32)
    field = [((total >> shift) & 0xFF).astype(np.int32) for shift in (0, 8, 16, 24)]
    return {CHANNEL_SMUGGLER: (field[0], field[1]), CHANNEL_PARTNER: (field[2], field[3])}


def beta_update(
    belief: np.ndarray, weight: np.ndarray, seen: np.ndarray, arrests: np.ndarray, memory: float
) -> None:
    """Fade old evidence and add new observations, in place (rows of one channel)."""
    kept = memory * weight
    new_weight = kept + seen
    with np.errstate(divide="ignore", invalid="ignore"):
        updated = (kept * belief + arrests) / new_weight
    np.copyto(belief, np.where(new_weight > 0, updated, belief))
    np.copyto(weight, new_weight)


def apply_campaign(belief: np.ndarray, weight: np.ndarray, risk: float, strength: float) -> None:
    """Add ``strength`` pseudo-observations at ``risk`` to every belief, in place."""
    np.copyto(belief, (weight * belief + strength * risk) / (weight + strength))
    weight += strength


def company_arrest_rates(
    mode: np.ndarray, company: np.ndarray, caught: np.ndarray, n_companies: int
) -> np.ndarray:
    """Share of each company's partners caught this month (0 at a company without partners).

    The plain formulation of what :func:`learn` computes from
    :func:`wakusim.core.kernels.learning.partner_arrests`.
    """
    partner = mode == PARTNER
    firm = company[partner]
    total = np.bincount(firm, minlength=n_companies)
    hit = np.bincount(firm[caught[partner]], minlength=n_companies)
    return np.divide(hit, total, out=np.zeros(total.shape[0]), where=total > 0)


def update_from_contacts(
    contacts: np.ndarray,
    mode: np.ndarray,
    caught: np.ndarray,
    company: np.ndarray,
    rate: np.ndarray,
    company_weight: float,
    memory: float,
    belief: np.ndarray,
    weight: np.ndarray,
) -> None:
    """Update both channels' beliefs from the contacts seen this month, in place.

    The plain numpy formulation of
    :func:`wakusim.core.kernels.learning.seen_among_contacts` and
    :func:`~wakusim.core.kernels.learning.update_beliefs` (same arithmetic,
    same results): :func:`observe_channels`, a partner's own company
    (``company_weight`` observations at ``rate[company]``), then
    :func:`beta_update` per channel. :func:`learn` uses it only when there are
    more contacts per individual than the compiled loop's packed counts hold.

    Parameters
    ----------
    contacts
        ``N x k`` contact indices.
    mode, caught, company
        Each individual's mode, arrest and company this month.
    rate
        Arrest rate among each company's partners (:func:`company_arrest_rates`).
    company_weight
        Pseudo-observations a partner takes from its own company.
    memory
        Share of last month's evidence kept.
    belief, weight
        ``2 x N`` beliefs and their weights, updated in place.
    """
    observed = observe_channels(contacts, mode, caught)
    for channel in (CHANNEL_SMUGGLER, CHANNEL_PARTNER):
        seen, arrests = observed[channel]
        seen = seen.astype(np.float64)
        arrests = arrests.astype(np.float64)
        if channel == CHANNEL_PARTNER and company_weight > 0:
            partner = mode == PARTNER
            seen[partner] += company_weight
            arrests[partner] += company_weight * rate[company[partner]]
        beta_update(belief[channel], weight[channel], seen, arrests, memory)


def learn(
    pop: Population,
    trade: TradeOutcome,
    enforcement: EnforcementOutcome,
    campaigns: list[Campaign],
    policy: Policy,
    learning: Learning,
    n_companies: int,
) -> None:
    """Update every individual's perceived risks in place.

    Each individual's month is coded in one byte
    (:func:`wakusim.core.kernels.learning.channel_codes`); a compiled loop then
    counts what :func:`observe_channels` counts over the contact network's ring
    lattice and rewired ties
    (:func:`~wakusim.core.kernels.learning.seen_among_contacts`), and another
    applies :func:`beta_update` to both channels with the same arithmetic
    (:func:`~wakusim.core.kernels.learning.update_beliefs`); together they equal
    :func:`update_from_contacts`. Campaigns follow.
    """
    if not learning.enabled:
        set_true_beliefs(pop, policy)
        return
    mode, caught, company = trade.mode, enforcement.caught, trade.company
    code = channel_codes(mode, caught, SMUGGLER, PARTNER)
    company_weight = float(learning.company_weight)
    memory = float(learning.memory)
    rate = np.zeros(n_companies)
    if company_weight > 0:
        total, hit = partner_arrests(trade.attached_rows(), code, company, n_companies)
        np.divide(hit, total, out=rate, where=total > 0)
    network = pop.contacts
    if network.degree <= FIELD_MAX:
        update_beliefs(
            seen_among_contacts(
                code, network.offsets, network.source, network.slot, network.target
            ),
            code,
            company,
            rate,
            company_weight,
            memory,
            pop.belief[CHANNEL_SMUGGLER],
            pop.belief_weight[CHANNEL_SMUGGLER],
            pop.belief[CHANNEL_PARTNER],
            pop.belief_weight[CHANNEL_PARTNER],
        )
    else:
        update_from_contacts(
            network.dense(),
            mode,
            caught,
            company,
            rate,
            company_weight,
            memory,
            pop.belief,
            pop.belief_weight,
        )
    true_risk = {CHANNEL_SMUGGLER: policy.smuggler_risk, CHANNEL_PARTNER: policy.partner_risk}
    for channel in (CHANNEL_SMUGGLER, CHANNEL_PARTNER):
        for campaign in campaigns:
            if campaign.channel == CHANNEL_NAMES[channel]:
                risk = true_risk[channel] if campaign.risk is None else campaign.risk
                apply_campaign(
                    pop.belief[channel], pop.belief_weight[channel], risk, campaign.weight
                )


def update_company_beliefs(
    companies: Companies, inspected: np.ndarray, policy: Policy, learning: Learning
) -> None:
    """Update companies' perceived inspection rate, in place.

    Companies watch each other: their estimate moves towards the share of
    active companies inspected this month with weight ``1 - company_memory``.
    With learning off it is the true inspection rate.
    """
    if not learning.enabled:
        set_true_inspection(companies, policy)
        return
    observed = inspected.sum() / max(int(companies.active.sum()), 1)
    w = 1.0 - learning.company_memory
    companies.perceived_inspection = (1.0 - w) * companies.perceived_inspection + w * observed


def set_true_inspection(companies: Companies, policy: Policy) -> None:
    """Set every company's perceived inspection rate to the true rate."""
    companies.perceived_inspection[:] = policy.enforcement.inspection_rate


def set_true_beliefs(pop: Population, policy: Policy) -> None:
    """Set every belief to the true risk of the policy in force."""
    pop.belief[CHANNEL_SMUGGLER] = policy.smuggler_risk
    pop.belief[CHANNEL_PARTNER] = policy.partner_risk
