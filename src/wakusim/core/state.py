"""The model's state: one array per attribute, for individuals and for companies.

No Python object stands for an agent: individual ``i`` is row ``i`` of every
array in :class:`Population`, company ``c`` is row ``c`` of every array in
:class:`Companies`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from wakusim.core.network import ContactNetwork

# Modes of an individual. The first four are choices of a free individual.
OUTSIDE, SMUGGLER, PARTNER, MEMBER, DETAINED = 0, 1, 2, 3, 4
MODE_NAMES = ("outside", "smuggler", "partner", "member", "detained")
CHOICES = (OUTSIDE, SMUGGLER, PARTNER, MEMBER)

# Illicit channels about which individuals hold beliefs (rows of ``belief``).
CHANNEL_SMUGGLER, CHANNEL_PARTNER = 0, 1
CHANNEL_NAMES = ("smuggler", "partner")

NO_COMPANY = -1


def spread(values: np.ndarray, rows: np.ndarray, size: int) -> np.ndarray:
    """Return ``size`` values per individual: ``values`` at ``rows``, 0 elsewhere.

    For the outcomes that give values only for some individuals (the caught,
    the partners and members) in the order of their rows.
    """
    out = np.zeros(size, dtype=values.dtype)
    out[rows] = values
    return out


@dataclass
class Population:
    """Individuals, as arrays of length N (``belief`` arrays are 2 x N).

    Attributes
    ----------
    wealth
        Capital, CNY.
    risk_aversion
        CRRA coefficient.
    org_aversion
        Cost of full organisational life to this individual, CNY/month.
    mode
        Current mode (``OUTSIDE`` ... ``DETAINED``).
    company
        Company a partner or member is attached to, else ``NO_COMPANY``.
    detention_left
        Months of detention still to serve.
    belief
        Perceived monthly risk of being caught, per illicit channel.
    belief_weight
        Pseudo-observations behind each belief (Beta a + b).
    contacts
        The people each individual hears arrests from (a ring lattice with
        rewired ties, :class:`wakusim.core.network.ContactNetwork`).
    income
        Last month's income, CNY.
    must_revise
        Reconsider the mode this month whatever the revision draw.
    """

    wealth: np.ndarray
    risk_aversion: np.ndarray
    org_aversion: np.ndarray
    mode: np.ndarray
    company: np.ndarray
    detention_left: np.ndarray
    belief: np.ndarray
    belief_weight: np.ndarray
    contacts: ContactNetwork
    income: np.ndarray
    must_revise: np.ndarray

    @property
    def size(self) -> int:
        """Number of individuals."""
        return int(self.wealth.shape[0])

    @property
    def free(self) -> np.ndarray:
        """Mask of individuals not in detention."""
        return self.mode != DETAINED


@dataclass
class Companies:
    """State trading companies, as arrays of length M.

    Attributes
    ----------
    quota
        Import volume the permit allows at trade level 1, CNY of import cost/month.
    funds
        Own funds, CNY.
    member_slots
        Member posts at slot level 1.
    boldness
        Weight the company puts on commission income against expected punishment.
    accepts_partners
        Whether the company takes partners this month.
    suspended_left
        Months of permit suspension left.
    perceived_inspection
        The company's estimate of the monthly inspection rate.
    """

    quota: np.ndarray
    funds: np.ndarray
    member_slots: np.ndarray
    boldness: np.ndarray
    accepts_partners: np.ndarray
    suspended_left: np.ndarray
    perceived_inspection: np.ndarray

    @property
    def size(self) -> int:
        """Number of companies."""
        return int(self.quota.shape[0])

    @property
    def active(self) -> np.ndarray:
        """Mask of companies whose permit is not suspended."""
        return self.suspended_left == 0


@dataclass
class Market:
    """The aggregate import market.

    Attributes
    ----------
    reference_volume
        ``S_ref``: import volume at which the sale value is ``price_ref``, CNY/month.
    expected_margin
        Traders' expectation of the margin per yuan of import cost.
    price
        Last realised sale value per yuan of import cost.
    """

    reference_volume: float
    expected_margin: float
    price: float


@dataclass
class ModelState:
    """Everything that carries over from one month to the next."""

    population: Population
    companies: Companies
    market: Market
    partners_last: np.ndarray = field(default_factory=lambda: np.zeros(0))
