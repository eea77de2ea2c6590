"""Downloads of what the dashboard shows: time series (CSV, Parquet) and the exact scenario."""

from __future__ import annotations

import io

import yaml

from wakusim.interfaces.dashboard.runs import RunSet
from wakusim.scenarios.schema import Scenario


def file_stem(runs: RunSet) -> str:
    """Return a file name stem, e.g. ``history-edited-seed1-n20000``."""
    sc = runs.scenario
    return f"{sc.name}-seed{runs.seed}-n{sc.population.size}"


def timeseries_csv(runs: RunSet) -> bytes:
    """All replications as CSV: columns ``replication`` (1..n), ``month``, observables."""
    return runs.long().to_csv(index=False).encode("utf-8")


def timeseries_parquet(runs: RunSet) -> bytes:
    """All replications as Parquet, in the same layout as :func:`timeseries_csv`."""
    buffer = io.BytesIO()
    runs.long().to_parquet(buffer, index=False)
    return buffer.getvalue()


def scenario_yaml(scenario: Scenario, replications: int = 1) -> str:
    """Return the fully resolved scenario as YAML, headed by how to reproduce it.

    The scenario's ``seed`` is the dashboard's seed, so ``wakusim run FILE``
    (or ``wakusim run FILE --seed S``) reproduces replication 1 exactly.
    """
    seed = scenario.seed
    head = [
        f"# {scenario.name}: exported from the wakusim dashboard.",
        f"# Reproduce replication 1: wakusim run {scenario.name}.yaml --seed {seed}",
    ]
    if replications > 1:
        head.append(
            f"# Replications 2..{replications} use numpy SeedSequence({seed}).spawn"
            f"({replications - 1}) in order."
        )
    body = yaml.safe_dump(scenario.to_dict(), sort_keys=False, allow_unicode=True)
    return "\n".join(head) + "\n" + body
