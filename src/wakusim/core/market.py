"""The import market: sale value as a function of volume, and adaptive expectations.

The domestic sale value per yuan of import cost falls with total imports,
``P = P_ref * (S / S_ref) ** (-1 / elasticity)`` (constant elasticity; MODEL.md
section 2). The margin is ``g = P - 1``. Traders act on an expected margin
``g_e`` that moves towards each realised margin by ``expectation_weight``.
"""

from __future__ import annotations

MIN_VOLUME_RATIO = 0.01


def sale_value(
    volume: float, reference_volume: float, price_ref: float, elasticity: float
) -> float:
    """Sale value per yuan of import cost at total import volume ``volume``.

    The volume ratio is floored at ``MIN_VOLUME_RATIO`` so that a month with
    almost no imports has a high but finite price.
    """
    ratio = max(volume / reference_volume, MIN_VOLUME_RATIO)
    return price_ref * ratio ** (-1.0 / elasticity)


def update_expectation(expected_margin: float, realised_margin: float, weight: float) -> float:
    """Move the expected margin towards the realised one (process step 2)."""
    return (1.0 - weight) * expected_margin + weight * realised_margin
