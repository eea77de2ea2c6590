"""Draw the points of an experiment: full factorial, Latin hypercube, Sobol, Morris.

The stochastic samplers are SALib's; the full factorial is
:func:`itertools.product` over each parameter's values. A point is one row of
the design: one value for every varied parameter.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pandas as pd

from wakusim.experiments.schema import Experiment, Parameter


def salib_problem(experiment: Experiment) -> dict[str, Any]:
    """Return the SALib problem: names and bounds of the parameters."""
    return {
        "num_vars": len(experiment.parameters),
        "names": [p.column for p in experiment.parameters],
        "bounds": [list(p.range or (0.0, 1.0)) for p in experiment.parameters],
    }


def factorial_values(parameter: Parameter) -> list[Any]:
    """Values a parameter takes in a full factorial design."""
    if parameter.values is not None:
        return list(parameter.values)
    low, high = parameter.range or (0.0, 0.0)
    grid = np.linspace(low, high, parameter.levels or 2)
    if parameter.integer:
        return sorted({int(v) for v in np.rint(grid)})
    return [float(v) for v in grid]


def sample(experiment: Experiment, seed: int) -> pd.DataFrame:
    """Draw the design of an experiment.

    Parameters
    ----------
    experiment
        The validated experiment.
    seed
        Seed of the stochastic samplers (ignored by the factorial design).

    Returns
    -------
    pandas.DataFrame
        One row per point (index ``point``, from 0), one column per parameter.
        Integer parameters are rounded. The row order is the sampler's order,
        which SALib's analyses rely on.
    """
    method = experiment.sampler.method
    names = [p.column for p in experiment.parameters]
    if method == "factorial":
        rows = list(itertools.product(*(factorial_values(p) for p in experiment.parameters)))
        frame = pd.DataFrame(rows, columns=names)
    else:
        matrix = _salib_sample(experiment, seed)
        frame = pd.DataFrame(matrix, columns=names)
        for p in experiment.parameters:
            if p.integer:
                frame[p.column] = np.rint(frame[p.column]).astype("int64")
    frame.index = pd.RangeIndex(len(frame), name="point")
    return frame


def _salib_sample(experiment: Experiment, seed: int) -> np.ndarray:
    problem = salib_problem(experiment)
    spec = experiment.sampler
    n = int(spec.samples or 1)
    if spec.method == "lhs":
        from SALib.sample import latin

        return latin.sample(problem, n, seed=seed)
    if spec.method == "sobol":
        from SALib.sample import sobol

        return sobol.sample(problem, n, calc_second_order=spec.second_order, seed=seed)
    from SALib.sample import morris

    return morris.sample(problem, n, num_levels=spec.levels, seed=seed)
