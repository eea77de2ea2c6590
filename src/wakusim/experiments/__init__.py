"""Experiments at scale: replications, parameter sweeps and sensitivity analysis.

Quick start::

    from wakusim.experiments import LocalEvaluator, load_experiment, run_sweep, Store
    plan = load_experiment("crackdown")                  # a shipped example, or a file
    run_sweep(plan, "results/crackdown", LocalEvaluator(workers=2))
    Store.open("results/crackdown").table("statistics")  # tidy pandas table

See ``docs/experiments.md``.
"""

from wakusim.experiments.executors import DaskEvaluator, Evaluator, LocalEvaluator
from wakusim.experiments.schema import ExperimentPlan, example_names, load_experiment
from wakusim.experiments.store import Store
from wakusim.experiments.sweep import SweepReport, run_store, run_sweep

__all__ = [
    "DaskEvaluator",
    "Evaluator",
    "ExperimentPlan",
    "LocalEvaluator",
    "Store",
    "SweepReport",
    "example_names",
    "load_experiment",
    "run_store",
    "run_sweep",
]
