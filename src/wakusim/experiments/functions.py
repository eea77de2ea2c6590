"""Test functions with known answers, usable as the base of an experiment.

An experiment whose ``base`` is ``{function: ishigami}`` instead of a scenario
goes through exactly the same sampler, executor, store and analysis as the
model, so that the whole pipeline can be checked against known sensitivity
indices. Every function takes its parameters as keyword arguments (plus the
experiment's ``base.options`` and a ``numpy.random.Generator``) and returns a
mapping of output name to number.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping

import numpy as np

TestFunction = Callable[..., dict[str, float]]


def ishigami(
    rng: np.random.Generator,
    x1: float,
    x2: float,
    x3: float,
    a: float = 7.0,
    b: float = 0.1,
    delay: float = 0.0,
    noise: float = 0.0,
) -> dict[str, float]:
    """Ishigami function ``sin x1 + a sin^2 x2 + b x3^4 sin x1`` on ``[-pi, pi]^3``.

    With ``a = 7`` and ``b = 0.1`` the first-order Sobol indices are about
    0.314, 0.442 and 0, and the total indices 0.558, 0.442 and 0.244.
    ``delay`` (seconds) makes each evaluation slower, ``noise`` adds Gaussian
    noise drawn from ``rng`` (to check seeding).
    """
    if delay:
        time.sleep(delay)
    y = math.sin(x1) + a * math.sin(x2) ** 2 + b * x3**4 * math.sin(x1)
    if noise:
        y += noise * float(rng.standard_normal())
    return {"y": y}


def ishigami_indices(a: float = 7.0, b: float = 0.1) -> dict[str, list[float]]:
    """Analytic first-order (``S1``) and total (``ST``) Sobol indices of :func:`ishigami`."""
    v1 = 0.5 * (1 + b * math.pi**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * math.pi**8 * (1 / 18 - 1 / 50)
    total = v1 + v2 + v13
    return {
        "S1": [v1 / total, v2 / total, 0.0],
        "ST": [(v1 + v13) / total, v2 / total, v13 / total],
    }


def linear(
    rng: np.random.Generator,
    delay: float = 0.0,
    fail_above: float = math.inf,
    **xs: float,
) -> dict[str, float]:
    """Sum of the parameters weighted by their position: ``y = sum_i i * x_i``.

    Parameters are taken in keyword order (``x1``, ``x2``, ...). Morris'
    ``mu*`` of parameter ``i`` is ``i`` times its range. An evaluation raises
    :class:`RuntimeError` when ``x1`` exceeds ``fail_above`` (to test how
    failed runs are recorded) and sleeps ``delay`` seconds first.
    """
    if delay:
        time.sleep(delay)
    values = [float(v) for v in xs.values()]
    if values and values[0] > fail_above:
        raise RuntimeError(f"x1 = {values[0]} is above fail_above = {fail_above}")
    return {"y": sum((i + 1) * v for i, v in enumerate(values)), "draw": float(rng.random())}


FUNCTIONS: Mapping[str, TestFunction] = {"ishigami": ishigami, "linear": linear}
