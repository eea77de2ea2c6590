"""``wakusim sweep``, ``wakusim sensitivity`` and ``wakusim summarize``: experiments at scale."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from wakusim.errors import WakusimInputError
from wakusim.interfaces.console import err, fail, fmt, out

ExperimentArg = Annotated[
    str | None,
    typer.Argument(help="Experiment YAML file (or, with --resume, omit it and give --out)."),
]
WorkersOpt = Annotated[
    int | None,
    typer.Option("--workers", "-w", min=1, help="Local worker processes (default: CPUs)."),
]
SchedulerOpt = Annotated[
    str | None,
    typer.Option("--scheduler", help="Run on an existing Dask cluster, e.g. tcp://host:8786."),
]
OutOpt = Annotated[
    Path | None,
    typer.Option("--out", "-o", help="Results folder (default wakusim-experiments/<name>)."),
]
ResumeOpt = Annotated[
    bool,
    typer.Option("--resume", help="Complete an existing results folder (only missing runs)."),
]
ExampleOpt = Annotated[
    str | None, typer.Option("--example", help="Run a shipped example experiment (crackdown).")
]


def sweep(
    experiment: ExperimentArg = None,
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    out_dir: OutOpt = None,
    resume: ResumeOpt = False,
    example: ExampleOpt = None,
) -> None:
    """Run an experiment: every point x replication, stored as it completes.

    Re-running the same command (or --resume) completes only what is missing.
    """
    try:
        evaluator = _evaluator(workers, scheduler)
        store = _open_store(experiment, example, out_dir, resume)
        report = _run(store, evaluator)
    except WakusimInputError as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        err.print("interrupted: finished runs are stored; run the same command to resume")
        raise typer.Exit(code=130) from None
    _report(store, report)
    if store.plan.experiment.sampler.method in ("sobol", "morris") and not store.missing():
        _sensitivity(store, None)
    if store.failures():
        raise typer.Exit(code=1)


def sensitivity(
    target: Annotated[
        str | None,
        typer.Argument(help="Experiment YAML file (runs what is missing) or a results folder."),
    ] = None,
    outputs: Annotated[
        list[str] | None,
        typer.Option("--output", help="Statistic to analyse (repeatable; default: all)."),
    ] = None,
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    out_dir: OutOpt = None,
    example: ExampleOpt = None,
) -> None:
    """Sobol or Morris sensitivity indices (SALib) with confidence intervals and a bar chart."""
    from wakusim.experiments.store import MANIFEST, Store

    try:
        evaluator = _evaluator(workers, scheduler)
        folder = Path(target) if target is not None else out_dir
        if example is None and folder is not None and (folder / MANIFEST).exists():
            store = Store.open(folder)
        else:
            store = _open_store(target, example, out_dir, False)
        if store.missing():
            report = _run(store, evaluator)
            _report(store, report)
        _sensitivity(store, outputs)
    except WakusimInputError as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        err.print("interrupted: finished runs are stored; run the same command to resume")
        raise typer.Exit(code=130) from None


def summarize(
    folder: Annotated[Path, typer.Argument(help="Results folder of a sweep.")],
    figures: Annotated[bool, typer.Option(help="Draw the fan charts (PNG).")] = True,
) -> None:
    """Per point: mean and 5-95 % band over replications, as a table and fan charts."""
    from wakusim.experiments.store import Store
    from wakusim.experiments.summarize import write_summary

    try:
        store = Store.open(folder)
        table, files = write_summary(store, figures=figures)
    except WakusimInputError as exc:
        fail(str(exc))
    params = store.plan.parameter_columns
    view = Table(
        title=f"{store.plan.experiment.name}: mean [5-95 %] over replications",
        title_justify="left",
    )
    for column in [*params, "statistic", "runs", "mean", "5-95 %"]:
        view.add_column(column, justify="left" if column == "statistic" else "right")
    for row in table.itertuples(index=False):
        values = row._asdict()
        view.add_row(
            *[_cell(values[p]) for p in params],
            str(values["statistic"]),
            str(values["runs"]),
            _num(values["mean"]),
            f"{_num(values['p05'])} – {_num(values['p95'])}",
        )
    out.print(view)
    missing, failed = len(store.missing()), len(store.failures())
    if missing:
        out.print(f"[yellow]{missing} runs missing ({failed} failed)[/]")
    out.print("written: " + ", ".join(str(f) for f in files))


def _cell(value: Any) -> str:
    return _num(value) if isinstance(value, float) else str(value)


def _num(value: float) -> str:
    if value != value:
        return "–"
    if value != 0 and abs(value) < 0.1:
        return f"{value:.4f}"
    return fmt(value)


def _open_store(
    experiment: str | None, example: str | None, out_dir: Path | None, resume: bool
) -> Any:
    from wakusim.experiments.schema import example_path, load_experiment
    from wakusim.experiments.store import MANIFEST, Store

    if experiment is not None and example is not None:
        raise WakusimInputError("give an experiment file or --example, not both")
    if example is not None:
        experiment = str(example_path(example))
    if experiment is None:
        if not resume or out_dir is None:
            raise WakusimInputError(
                "give an experiment file (or --example NAME), or --resume --out DIR"
            )
        return Store.open(out_dir)
    plan = load_experiment(experiment)
    target = out_dir or Path("wakusim-experiments") / plan.experiment.name
    if resume and not (target / MANIFEST).exists():
        raise WakusimInputError(f"nothing to resume: {target} holds no experiment results")
    return Store.create(target, plan)


def _evaluator(workers: int | None, scheduler: str | None) -> Any:
    from wakusim.experiments.executors import DaskEvaluator, LocalEvaluator

    if workers is not None and scheduler is not None:
        raise WakusimInputError("give --workers (local pool) or --scheduler (Dask), not both")
    if scheduler is not None:
        return DaskEvaluator(scheduler)
    return LocalEvaluator(workers)


def _run(store: Any, evaluator: Any) -> Any:
    from wakusim.experiments.sweep import run_store

    name = store.plan.experiment.name
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("runs, [red]{task.fields[failed]} failed[/]"),
        TimeElapsedColumn(),
        TextColumn("left"),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    ) as bar:
        task = bar.add_task(f"{name} ({evaluator.label})", total=len(store.keys), failed=0)

        def progress(done: int, failed: int, total: int) -> None:
            bar.update(task, completed=done + failed, failed=failed, total=total)

        return run_store(store, evaluator, progress)


def _report(store: Any, report: Any) -> None:
    failures = store.failures()
    out.print(
        f"{report.completed:,} runs done in {report.seconds:.1f} s "
        f"({report.runs_per_second:.2f} runs/s); {report.already_done:,} were already stored; "
        f"{len(store.done()):,} of {report.total:,} complete, {len(failures):,} failed, "
        f"{report.retried:,} retries; root seed entropy {store.entropy}"
    )
    for run_id, record in list(failures.items())[:5]:
        first = str(record.get("error", "")).strip().splitlines()[:1]
        out.print(f"  [red]failed[/] {run_id}: {first[0] if first else '?'}")
    if len(failures) > 5:
        out.print(f"  ... and {len(failures) - 5} more (see {store.folder / 'failures'})")
    out.print(f"results in [bold]{store.folder}[/]")


def _sensitivity(store: Any, outputs: list[str] | None) -> None:
    from wakusim.experiments import sensitivity as sa

    table = sa.analyse(store, outputs)
    files = sa.save(store, table)
    level = int(round(store.plan.experiment.sensitivity.confidence * 100))
    indices = list(dict.fromkeys(table["index"]))
    view = Table(
        title=f"{store.plan.experiment.name}: sensitivity indices (± {level} % CI)",
        title_justify="left",
    )
    view.add_column("output")
    view.add_column("parameter")
    for index in indices:
        view.add_column(index, justify="right")
    for (output, parameter), part in table.groupby(["output", "parameter"], sort=False):
        cells = []
        for index in indices:
            row = part[part["index"] == index].iloc[0]
            cells.append(f"{row['estimate']:.3g} ± {row['conf']:.2g}")
        view.add_row(str(output), str(parameter), *cells)
    out.print(view)
    out.print("written: " + ", ".join(str(f) for f in files))


def register(app: typer.Typer) -> None:
    """Add ``sweep``, ``sensitivity`` and ``summarize`` to the application."""
    app.command()(sweep)
    app.command()(sensitivity)
    app.command()(summarize)
