"""The population of the mean-field model: a finite mixture of individual types.

A type is a triple (wealth, risk aversion, aversion to organisational life)
with a weight, the share of the population it stands for. A homogeneous
population is one type. :func:`types_from_scenario` discretises the scenario's
log-normal distributions into equiprobable quantile bins, one node per bin
(the bin's median), on a product grid.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import norm

from wakusim.core.kernels import libm
from wakusim.scenarios.schema import Scenario


@dataclass(frozen=True)
class PopulationTypes:
    """A finite mixture of individual types.

    Attributes
    ----------
    wealth
        Wealth of each type, CNY (held fixed in the mean-field).
    risk_aversion
        CRRA coefficient of each type.
    org_aversion
        Cost of full organisational life to each type, CNY/month.
    weight
        Share of the population of each type (normalised to sum to one).
    """

    wealth: np.ndarray
    risk_aversion: np.ndarray
    org_aversion: np.ndarray
    weight: np.ndarray

    def __post_init__(self) -> None:
        arrays = [
            np.atleast_1d(np.asarray(a, dtype=np.float64))
            for a in (self.wealth, self.risk_aversion, self.org_aversion, self.weight)
        ]
        n = max(a.size for a in arrays)
        arrays = [np.broadcast_to(a, (n,)).copy() for a in arrays]
        wealth, ra, oa, weight = arrays
        if np.any(wealth <= 0) or np.any(ra <= 0) or np.any(oa < 0) or np.any(weight < 0):
            raise ValueError(
                "types need wealth > 0, risk aversion > 0, org aversion >= 0 and weights >= 0"
            )
        if weight.sum() <= 0:
            raise ValueError("type weights must not all be zero")
        object.__setattr__(self, "wealth", wealth)
        object.__setattr__(self, "risk_aversion", ra)
        object.__setattr__(self, "org_aversion", oa)
        object.__setattr__(self, "weight", weight / weight.sum())

    @property
    def size(self) -> int:
        """Number of types."""
        return int(self.wealth.shape[0])

    @classmethod
    def homogeneous(
        cls, wealth: float, risk_aversion: float, org_aversion: float
    ) -> PopulationTypes:
        """Return a population of one type."""
        return cls(
            wealth=np.array([wealth]),
            risk_aversion=np.array([risk_aversion]),
            org_aversion=np.array([org_aversion]),
            weight=np.array([1.0]),
        )


def _quantile_nodes(sigma: float, bins: int) -> np.ndarray:
    """Standard-normal medians of ``bins`` equiprobable bins (one node if ``sigma`` is 0)."""
    if sigma == 0 or bins <= 1:
        return np.zeros(1)
    return norm.ppf((np.arange(bins) + 0.5) / bins)


def types_from_scenario(
    scenario: Scenario, wealth_bins: int = 40, risk_bins: int = 7, org_bins: int = 7
) -> PopulationTypes:
    """Discretise the scenario's population into a product grid of types.

    Each log-normal distribution (wealth, risk aversion clipped to its bounds,
    organisational aversion) is cut into equiprobable bins represented by
    their medians; a distribution with ``sigma = 0`` gives one node, so a
    homogeneous scenario gives exactly one type.

    Parameters
    ----------
    scenario
        A validated scenario.
    wealth_bins, risk_bins, org_bins
        Bins per dimension.
    """
    pop, pref = scenario.population, scenario.preferences
    ra = pref.risk_aversion
    zw = _quantile_nodes(pop.wealth.sigma, wealth_bins)
    zr = _quantile_nodes(ra.sigma, risk_bins)
    zo = _quantile_nodes(pref.org_aversion.sigma, org_bins)
    # the C library's exp, as in the simulation's initial state (the same on any processor)
    w = pop.wealth.median * libm.exp(pop.wealth.sigma * zw)
    r = np.clip(ra.median * libm.exp(ra.sigma * zr), ra.min, ra.max)
    o = pref.org_aversion.median * libm.exp(pref.org_aversion.sigma * zo)
    gw, gr, go = np.meshgrid(w, r, o, indexing="ij")
    n = gw.size
    return PopulationTypes(
        wealth=gw.ravel(), risk_aversion=gr.ravel(), org_aversion=go.ravel(), weight=np.ones(n)
    )
