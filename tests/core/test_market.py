"""Market: constant-elasticity sale value and adaptive expectations (hand-computed)."""

from __future__ import annotations

import pytest

from wakusim.core.market import MIN_VOLUME_RATIO, sale_value, update_expectation


def test_sale_value_at_reference_volume_is_price_ref():
    assert sale_value(5_000.0, 5_000.0, 1.75, 3.0) == pytest.approx(1.75, rel=1e-12)


def test_sale_value_eight_times_reference_halves_with_elasticity_three():
    # (8)^(-1/3) = 1/2
    assert sale_value(8 * 5_000.0, 5_000.0, 1.75, 3.0) == pytest.approx(0.875, rel=1e-12)


def test_sale_value_eighth_of_reference_doubles():
    # (1/8)^(-1/3) = 2
    assert sale_value(5_000.0 / 8, 5_000.0, 1.75, 3.0) == pytest.approx(3.5, rel=1e-12)


def test_sale_value_elasticity_one_is_inverse_proportional():
    # (4)^(-1) = 1/4
    assert sale_value(400.0, 100.0, 2.0, 1.0) == pytest.approx(0.5, rel=1e-12)


def test_sale_value_floor_at_small_volume():
    # ratio floored at 0.01: 1.75 * 0.01^(-1/3) = 1.75 * 100^(1/3)
    expected = 1.75 * 100.0 ** (1.0 / 3.0)
    assert MIN_VOLUME_RATIO == 0.01
    assert sale_value(0.0, 100.0, 1.75, 3.0) == pytest.approx(expected, rel=1e-12)
    assert sale_value(0.1, 100.0, 1.75, 3.0) == pytest.approx(expected, rel=1e-12)
    # just above the floor the price is lower: 1.75 * 0.02^(-1/3)
    assert sale_value(2.0, 100.0, 1.75, 3.0) == pytest.approx(1.75 * 50.0 ** (1 / 3), rel=1e-12)


def test_update_expectation():
    # 0.75 * 0.5 + 0.25 * 0.2 = 0.425
    assert update_expectation(0.5, 0.2, 0.25) == pytest.approx(0.425, rel=1e-12)
    assert update_expectation(0.5, -0.3, 1.0) == pytest.approx(-0.3, rel=1e-12)
    # repeated updates converge geometrically: after two steps 0.5 -> 0.35 -> 0.275 with w = 0.5
    g = update_expectation(0.5, 0.2, 0.5)
    assert g == pytest.approx(0.35, rel=1e-12)
    assert update_expectation(g, 0.2, 0.5) == pytest.approx(0.275, rel=1e-12)
