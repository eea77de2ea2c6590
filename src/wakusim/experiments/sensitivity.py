"""Global sensitivity analysis of a completed sweep, with SALib.

The points must come from the ``sobol`` (Saltelli) or ``morris`` sampler. Each
chosen statistic is averaged over the replications of a point (so noise
between replications does not masquerade as sensitivity), then analysed in
the sampler's point order. The model and the test functions (e.g. Ishigami)
go through exactly the same code: sampler, executor, store, analysis.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from wakusim.errors import WakusimInputError
from wakusim.experiments.samplers import salib_problem
from wakusim.experiments.store import Store, write_parquet

if TYPE_CHECKING:
    from matplotlib.figure import Figure

INDICES = {"sobol": ("S1", "ST"), "morris": ("mu_star", "sigma")}
TABLE_FILE = "sensitivity.parquet"
FIGURE_FILE = "sensitivity.png"


def point_means(store: Store, outputs: list[str]) -> pd.DataFrame:
    """Mean of each statistic over the replications of each point (index ``point``)."""
    stats = store.table("statistics")
    if stats.empty:
        raise WakusimInputError(f"{store.folder} holds no completed runs yet")
    wide = stats.pivot_table(index="point", columns="statistic", values="value", aggfunc="mean")
    return wide.reindex(columns=outputs)


def analyse(store: Store, outputs: list[str] | None = None) -> pd.DataFrame:
    """Sensitivity indices of chosen statistics.

    Parameters
    ----------
    store
        A completed sweep with a ``sobol`` or ``morris`` sampler.
    outputs
        Statistic names (default: the experiment's ``sensitivity.outputs``, else
        every statistic).

    Returns
    -------
    pandas.DataFrame
        Tidy: ``output``, ``parameter``, ``index`` (``S1``/``ST`` or
        ``mu_star``/``sigma``), ``estimate`` and ``conf`` (half-width of the
        confidence interval; NaN where SALib gives none).

    Raises
    ------
    WakusimInputError
        If the sampler is not sobol or morris, a statistic is unknown, or runs
        are missing or failed.
    """
    experiment = store.plan.experiment
    method = experiment.sampler.method
    if method not in INDICES:
        raise WakusimInputError(
            f"sensitivity analysis needs the sobol or morris sampler; experiment "
            f"{experiment.name} uses {method}"
        )
    known = [s.label for s in store.plan.statistics]
    chosen = list(outputs or experiment.sensitivity.outputs or known)
    unknown = [o for o in chosen if o not in known]
    if unknown:
        raise WakusimInputError(
            f"unknown output {', '.join(unknown)}; the statistics are: {', '.join(known)}"
        )
    missing = store.missing()
    if missing:
        failed = len(store.failures())
        raise WakusimInputError(
            f"sensitivity analysis needs every run: {len(missing)} of {len(store.keys)} are "
            f"missing ({failed} failed); run the sweep again to complete them"
        )
    means = point_means(store, chosen)
    problem = salib_problem(experiment)
    x = store.design[store.plan.parameter_columns].to_numpy(dtype=float)
    seed = int(store.entropy % (2**32))
    settings = experiment.sensitivity
    rows = []
    for output in chosen:
        y = means[output].to_numpy(dtype=float)
        if not np.all(np.isfinite(y)):
            raise WakusimInputError(f"output {output} has missing or infinite values")
        if method == "sobol":
            from SALib.analyze import sobol

            result = sobol.analyze(
                problem,
                y,
                calc_second_order=experiment.sampler.second_order,
                num_resamples=settings.resamples,
                conf_level=settings.confidence,
                seed=seed,
            )
        else:
            from SALib.analyze import morris

            result = morris.analyze(
                problem,
                x,
                y,
                num_resamples=settings.resamples,
                conf_level=settings.confidence,
                num_levels=experiment.sampler.levels,
                seed=seed,
            )
        for i, name in enumerate(problem["names"]):
            for index in INDICES[method]:
                conf = result.get(f"{index}_conf")
                rows.append(
                    {
                        "output": output,
                        "parameter": name,
                        "index": index,
                        "estimate": float(result[index][i]),
                        "conf": float(conf[i]) if conf is not None else float("nan"),
                    }
                )
    return pd.DataFrame(rows)


def save(store: Store, table: pd.DataFrame) -> list[Path]:
    """Write the indices (Parquet) and the bar chart (PNG) into the store folder."""
    write_parquet(table, store.folder / TABLE_FILE)
    figure = bar_chart(table, f"{store.plan.experiment.name}: sensitivity")
    png = store.folder / FIGURE_FILE
    save_figure(figure, png)
    return [store.folder / TABLE_FILE, png]


def bar_chart(table: pd.DataFrame, title: str) -> Figure:
    """Draw grouped bars of the indices with confidence intervals, one panel per output."""
    from matplotlib.figure import Figure

    outputs = list(dict.fromkeys(table["output"]))
    indices = list(dict.fromkeys(table["index"]))
    params = list(dict.fromkeys(table["parameter"]))
    cols = min(3, len(outputs))
    rows = -(-len(outputs) // cols)
    fig = Figure(figsize=(4.2 * cols, 0.5 * len(params) * rows + 1.8 * rows), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False)
    height = 0.8 / len(indices)
    for ax, output in zip(axes.flat, outputs, strict=False):
        part = table[table["output"] == output]
        for j, index in enumerate(indices):
            sub = part[part["index"] == index].set_index("parameter").reindex(params)
            ypos = np.arange(len(params)) + (j - (len(indices) - 1) / 2) * height
            err = sub["conf"].to_numpy(dtype=float)
            ax.barh(
                ypos,
                sub["estimate"].to_numpy(dtype=float),
                height=height,
                xerr=np.where(np.isfinite(err), err, 0.0),
                capsize=2,
                label=index,
            )
        ax.set_yticks(np.arange(len(params)), params)
        ax.invert_yaxis()
        ax.axvline(0, color="black", linewidth=0.6)
        ax.set_title(output, fontsize=10)
        ax.legend(fontsize=8, loc="lower right")
    for ax in list(axes.flat)[len(outputs) :]:
        ax.set_visible(False)
    fig.suptitle(title)
    return fig


def save_figure(figure: Figure, path: Path) -> None:
    """Save a figure atomically (temporary file, rename)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".tmp.png", dir=path.parent)
    os.close(fd)
    try:
        figure.savefig(tmp, dpi=110)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
