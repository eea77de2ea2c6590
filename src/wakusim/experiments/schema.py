"""Experiment files: what to vary, how to sample it, how often, and what to keep.

An experiment is a YAML file validated like a scenario: unknown fields, wrong
values and parameters that the base scenario would reject all stop with one
:class:`~wakusim.errors.WakusimInputError` naming the file, the field, the value
and what is allowed. Parameters are dotted scenario paths (the same paths as
``wakusim run --set``); they are checked by actually applying them to the base
scenario.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from wakusim.errors import WakusimInputError
from wakusim.experiments.functions import FUNCTIONS
from wakusim.scenarios.calendar import month_index, parse_date
from wakusim.scenarios.loader import model_of, read_yaml_mapping
from wakusim.scenarios.schema import DateText
from wakusim.scenarios.timeline import describe_field

Scalar = bool | int | float | str
METHODS = ("factorial", "lhs", "sobol", "morris")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Base(_Strict):
    """What each run starts from: a scenario (with overrides) or a test function."""

    scenario: str | None = Field(
        default=None, description="built-in scenario name or path (relative to the experiment file)"
    )
    overrides: dict[str, Any] = Field(
        default_factory=dict, description="dotted scenario paths fixed for every run"
    )
    function: str | None = Field(
        default=None, description=f"a test function instead: {', '.join(FUNCTIONS)}"
    )
    options: dict[str, float] = Field(
        default_factory=dict, description="fixed keyword arguments of the test function"
    )

    @model_validator(mode="after")
    def _one_kind(self) -> Base:
        if (self.scenario is None) == (self.function is None):
            raise ValueError("give exactly one of scenario (a scenario) or function (a test)")
        if self.function is not None and self.function not in FUNCTIONS:
            raise ValueError(
                f"unknown test function {self.function!r}; known: {', '.join(FUNCTIONS)}"
            )
        if self.function is not None and self.overrides:
            raise ValueError("overrides apply to scenarios; a test function takes options")
        return self


class Parameter(_Strict):
    """One varied input: a dotted scenario path (or a test function argument)."""

    path: str = Field(min_length=1, description="dotted scenario path, as with --set")
    name: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
        description="column name in the results (default: last part of the path)",
    )
    values: list[Scalar] | None = Field(
        default=None, min_length=1, description="values to take (factorial sampler only)"
    )
    range: tuple[float, float] | None = Field(default=None, description="[low, high] bounds")
    levels: int | None = Field(
        default=None, ge=2, le=10_000, description="evenly spaced values of the range (factorial)"
    )
    integer: bool = Field(default=False, description="round sampled values to integers")

    @model_validator(mode="after")
    def _check(self) -> Parameter:
        if (self.values is None) == (self.range is None):
            raise ValueError(f"parameter {self.path}: give exactly one of values or range")
        if self.range is not None:
            low, high = self.range
            if not (math.isfinite(low) and math.isfinite(high)) or low >= high:
                raise ValueError(
                    f"parameter {self.path}: range must be [low, high] with low < high"
                )
        if self.levels is not None and self.range is None:
            raise ValueError(f"parameter {self.path}: levels goes with range, not values")
        return self

    @property
    def column(self) -> str:
        """Column name of this parameter in stored tables."""
        if self.name:
            return self.name
        return self.path.rsplit(".", 1)[-1].replace("-", "_")


class Sampler(_Strict):
    """How points are drawn from the parameters."""

    method: Literal["factorial", "lhs", "sobol", "morris"] = Field(
        default="factorial",
        description="factorial (every combination), lhs (Latin hypercube), "
        "sobol (Saltelli's scheme, for Sobol indices), morris (elementary effects)",
    )
    samples: int | None = Field(
        default=None,
        ge=1,
        le=10_000_000,
        description="lhs: points; sobol: base sample N (a power of 2), "
        "N*(D+2) points; morris: trajectories, N*(D+1) points",
    )
    levels: int = Field(default=4, ge=2, le=100, description="morris: grid levels (even)")
    second_order: bool = Field(default=False, description="sobol: also second-order indices")
    seed: int | None = Field(
        default=None, ge=0, description="seed of the sampler (default: derived from the root seed)"
    )

    @model_validator(mode="after")
    def _check(self) -> Sampler:
        if self.method != "factorial" and self.samples is None:
            raise ValueError(f"sampler {self.method} needs samples (a number of points)")
        if self.method == "sobol" and self.samples is not None:
            n = self.samples
            if n & (n - 1):
                raise ValueError(
                    f"sobol samples must be a power of 2 (got {n}; e.g. 64, 256, 1024)"
                )
        return self


class Statistic(_Strict):
    """A number kept from each run: a value at a date or a reduction over months."""

    column: str = Field(min_length=1, description="observable (time-series column)")
    at: DateText | None = Field(default=None, description="month YYYY-MM: the value that month")
    reduce: Literal["mean", "sum", "min", "max", "first", "last"] | None = Field(
        default=None, description="reduction over the window [from, to] (default mean)"
    )
    start: DateText | None = Field(
        default=None, alias="from", description="first month of the window"
    )
    end: DateText | None = Field(default=None, alias="to", description="last month of the window")
    name: str | None = Field(
        default=None, pattern=r"^[A-Za-z0-9_@.:-]+$", description="name in the results"
    )

    @model_validator(mode="after")
    def _check(self) -> Statistic:
        for attr in ("at", "start", "end"):  # a month: 2025-03-15 means 2025-03
            value = getattr(self, attr)
            if value is not None:
                object.__setattr__(self, attr, value[:7])
        if self.at is not None and (self.reduce or self.start or self.end):
            raise ValueError(f"statistic {self.column}: at excludes reduce, from and to")
        return self

    @property
    def label(self) -> str:
        """Name of the statistic in stored tables."""
        if self.name:
            return self.name
        if self.at is not None:
            return f"{self.column}@{self.at}"
        label = f"{self.column}_{self.reduce or 'mean'}"
        if self.start or self.end:
            label += f"@{self.start or ''}:{self.end or ''}"
        return label


class Observables(_Strict):
    """What each run keeps."""

    timeseries: list[str] | Literal["all"] = Field(
        default_factory=list, description="whole monthly series of these columns"
    )
    statistics: list[Statistic] = Field(
        default_factory=list, description="numbers per run (for summaries and sensitivity)"
    )


class Sensitivity(_Strict):
    """Settings of the sensitivity analysis (sobol or morris samplers)."""

    outputs: list[str] = Field(
        default_factory=list, description="statistic names to analyse (default: all)"
    )
    confidence: float = Field(default=0.95, gt=0, lt=1, description="confidence level")
    resamples: int = Field(default=1000, ge=10, le=100_000, description="bootstrap resamples")


class Experiment(_Strict):
    """A complete, validated experiment."""

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    description: str = ""
    base: Base
    parameters: list[Parameter] = Field(min_length=1)
    sampler: Sampler = Field(default_factory=Sampler)
    replications: int = Field(default=1, ge=1, le=1_000_000, description="runs per point")
    seed: int | None = Field(
        default=None, ge=0, description="root seed entropy (empty: fresh, recorded)"
    )
    observables: Observables = Field(default_factory=Observables)
    sensitivity: Sensitivity = Field(default_factory=Sensitivity)
    max_attempts: int = Field(
        default=3, ge=1, le=20, description="tries of a run before it is recorded as failed"
    )

    @model_validator(mode="after")
    def _check(self) -> Experiment:
        columns = [p.column for p in self.parameters]
        dupes = sorted({c for c in columns if columns.count(c) > 1})
        if dupes:
            raise ValueError(f"parameter names must be unique; repeated: {', '.join(dupes)}")
        reserved = {"run_id", "point", "replication", "month", "statistic", "value"}
        clash = sorted(set(columns) & reserved)
        if clash:
            raise ValueError(f"parameter names {', '.join(clash)} are reserved; give a name")
        labels = [s.label for s in self.observables.statistics]
        dupes = sorted({c for c in labels if labels.count(c) > 1})
        if dupes:
            raise ValueError(f"statistic names must be unique; repeated: {', '.join(dupes)}")
        if self.sampler.method != "factorial":
            for p in self.parameters:
                if p.range is None:
                    raise ValueError(
                        f"parameter {p.path}: the {self.sampler.method} sampler needs a range"
                    )
        else:
            for p in self.parameters:
                if p.range is not None and p.levels is None:
                    raise ValueError(
                        f"parameter {p.path}: the factorial sampler needs values, "
                        "or a range with levels"
                    )
        unknown = sorted(set(self.sensitivity.outputs) - set(labels))
        if unknown:
            raise ValueError(
                f"sensitivity.outputs {', '.join(unknown)} are not statistics; "
                f"the statistics are: {', '.join(labels) or '(none)'}"
            )
        return self


@dataclass(frozen=True)
class ExperimentPlan:
    """A validated experiment with its resolved base.

    Attributes
    ----------
    experiment
        The validated experiment.
    origin
        The file it came from (for messages).
    base_scenario
        The fully resolved base scenario as plain data (base overrides applied),
        or ``None`` for a test-function base. Workers receive this, not a path.
    columns
        Observable columns a run produces.
    """

    experiment: Experiment
    origin: str
    base_scenario: dict[str, Any] | None
    columns: tuple[str, ...]

    @property
    def statistics(self) -> list[Statistic]:
        """The statistics each run keeps."""
        return list(self.experiment.observables.statistics)

    @property
    def timeseries(self) -> list[str]:
        """Columns whose whole monthly series each run keeps."""
        kept = self.experiment.observables.timeseries
        return list(self.columns) if kept == "all" else list(kept)

    @property
    def parameter_columns(self) -> list[str]:
        """Names of the varied parameters, in order."""
        return [p.column for p in self.experiment.parameters]

    def to_dict(self) -> dict[str, Any]:
        """Return the experiment and its resolved base as plain data (for the manifest)."""
        return {
            "experiment": self.experiment.model_dump(mode="json", by_alias=True),
            "base_scenario": self.base_scenario,
        }


def example_names() -> list[str]:
    """Names of the experiments shipped with the package."""
    folder = resources.files("wakusim.experiments") / "examples"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml"))


def example_path(name: str) -> Path:
    """File of a shipped example experiment."""
    if name not in example_names():
        raise WakusimInputError(
            f"unknown example experiment {name!r}; examples: {', '.join(example_names())}"
        )
    return Path(str(resources.files("wakusim.experiments") / "examples" / f"{name}.yaml"))


def load_experiment(source: str | Path | dict[str, Any]) -> ExperimentPlan:
    """Read and validate an experiment file.

    Parameters
    ----------
    source
        Path to a YAML file, the name of a shipped example, or the experiment as
        a mapping (relative scenario paths then resolve from the working folder).

    Returns
    -------
    ExperimentPlan
        The experiment, its resolved base scenario and the observable columns.

    Raises
    ------
    WakusimInputError
        One message naming the file, the field, the value and what is allowed.
    """
    if isinstance(source, dict):
        return _plan(copy.deepcopy(source), "<mapping>", Path.cwd())
    text = str(source)
    path = Path(text)
    if not path.exists() and isinstance(source, str) and text in example_names():
        path = example_path(text)
    if not path.exists():
        raise WakusimInputError(f"cannot read experiment file {text}: no such file")
    return _plan(_read_yaml(path), str(path), path.parent)


def plan_from_manifest(data: dict[str, Any], origin: str) -> ExperimentPlan:
    """Rebuild a plan from what a store's manifest recorded (no files needed)."""
    experiment = _validate(copy.deepcopy(data["experiment"]), origin)
    return _finish(experiment, origin, data.get("base_scenario"))


def _read_yaml(path: Path) -> dict[str, Any]:
    return read_yaml_mapping(path, "experiment")


def _format(origin: str, lines: list[str]) -> str:
    return f"invalid experiment {origin}:" + "".join(f"\n  - {line}" for line in lines)


def _validate(data: dict[str, Any], origin: str) -> Experiment:
    try:
        return Experiment.model_validate(data)
    except ValidationError as exc:
        raise WakusimInputError(_format(origin, [_describe(err) for err in exc.errors()])) from None


def _describe(err: Any) -> str:
    loc = tuple(err["loc"])
    where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")
    where = where or "the experiment"
    if err["type"] == "extra_forbidden":
        return f"{where}: unknown field; allowed here: {_allowed(loc[:-1])}"
    info = _field_info(loc)
    hint = f" ({describe_field(info)})" if info is not None else ""
    if err["type"] == "missing":
        return f"{where}: required field is missing{hint}"
    msg = str(err["msg"]).removeprefix("Value error, ")
    value = err.get("input")
    shown = f" = {value!r}" if loc and not isinstance(value, dict | list) else ""
    return f"{where}{shown}: {msg}" + (hint if loc else "")


def _model_at(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    model: type[BaseModel] | None = Experiment
    for part in loc:
        if isinstance(part, int) or model is None:
            continue
        info = _lookup(model, str(part))
        model = model_of(info.annotation) if info is not None else None
    return model


def _lookup(model: type[BaseModel], key: str) -> Any:
    for name, info in model.model_fields.items():
        if key in (name, info.alias):
            return info
    return None


def _field_info(loc: tuple[Any, ...]) -> Any:
    if not loc or isinstance(loc[-1], int):
        return None
    model = _model_at(loc[:-1])
    return _lookup(model, str(loc[-1])) if model is not None else None


def _allowed(loc: tuple[Any, ...]) -> str:
    model = _model_at(loc)
    if model is None:
        return "(see docs/experiments.md)"
    return ", ".join(info.alias or name for name, info in model.model_fields.items())


def _plan(data: dict[str, Any], origin: str, folder: Path) -> ExperimentPlan:
    experiment = _validate(data, origin)
    base_scenario = None
    if experiment.base.scenario is not None:
        base_scenario = _load_base(experiment, origin, folder)
    return _finish(experiment, origin, base_scenario)


def _load_base(experiment: Experiment, origin: str, folder: Path) -> dict[str, Any]:
    from wakusim.scenarios.loader import builtin_names, load_scenario

    ref = experiment.base.scenario or ""
    source: str | Path = ref
    if ref not in builtin_names():
        candidate = (folder / ref) if not Path(ref).is_absolute() else Path(ref)
        if candidate.exists():
            source = candidate
    try:
        scenario = load_scenario(source, dict(experiment.base.overrides))
    except WakusimInputError as exc:
        raise WakusimInputError(_format(origin, [f"base: {_inner(str(exc))}"])) from None
    return scenario.to_dict()


def _inner(message: str) -> str:
    """Reword a scenario loader message to read well inside an experiment's message."""
    lines = message.splitlines()
    if lines and lines[0].startswith("invalid scenario") and len(lines) > 1:
        lines = [line.strip().removeprefix("- ") for line in lines[1:]]
    return "; ".join(line.removeprefix("--set ") for line in lines)


def _finish(
    experiment: Experiment, origin: str, base_scenario: dict[str, Any] | None
) -> ExperimentPlan:
    if base_scenario is not None:
        problems = _check_parameters(experiment, base_scenario)
        columns = _probe_columns(base_scenario)
        problems += _check_observables(experiment, base_scenario, columns)
    else:
        columns, problems = _check_function(experiment)
    if problems:
        raise WakusimInputError(_format(origin, problems))
    return ExperimentPlan(experiment, origin, base_scenario, tuple(columns))


def _trial_values(parameter: Parameter, method: str) -> list[Any]:
    """Values to try on the base scenario: every factorial value, else bounds and a middle."""
    if method == "factorial":
        from wakusim.experiments.samplers import factorial_values

        return factorial_values(parameter)
    low, high = parameter.range or (0.0, 0.0)
    if parameter.integer:
        return [round(low), round(high), round((2 * low + high) / 3)]
    return [low, high, low + (high - low) / math.pi]  # a middle value that is no integer


def _check_parameters(experiment: Experiment, base: dict[str, Any]) -> list[str]:
    from wakusim.scenarios.loader import load_scenario

    problems = []
    method = experiment.sampler.method
    for i, parameter in enumerate(experiment.parameters):
        for value in _trial_values(parameter, method):
            try:
                load_scenario(base, {parameter.path: value})
            except WakusimInputError as exc:
                text = _inner(str(exc))
                if parameter.range is not None and not parameter.integer and "integer" in text:
                    text += "; add integer: true to this parameter"
                problems.append(f"parameters[{i}] ({parameter.path}) = {value!r}: {text}")
                break
    if problems:
        return problems
    corners = [
        {p.path: _trial_values(p, method)[-k] for p in experiment.parameters} for k in (0, 1)
    ]
    for corner in corners:
        try:
            load_scenario(base, corner)
        except WakusimInputError as exc:
            problems.append(f"parameters together ({corner}): {_inner(str(exc))}")
    return problems


def _probe_columns(base: dict[str, Any]) -> list[str]:
    """Observable columns of the model, found by running one tiny month."""
    import numpy as np

    from wakusim.api import simulate
    from wakusim.scenarios.loader import load_scenario

    size = min(int(base["population"]["size"]), 200)
    probe = load_scenario(base, {"population.size": size, "warmup_months": 0, "end": base["start"]})
    result = simulate(probe, rng=np.random.SeedSequence(0))
    return list(result.timeseries.columns)


def _check_observables(
    experiment: Experiment, base: dict[str, Any], columns: list[str]
) -> list[str]:
    problems = []
    known = set(columns)
    kept = experiment.observables.timeseries
    if kept != "all":
        for i, column in enumerate(kept):
            if column not in known:
                problems.append(
                    f"observables.timeseries[{i}] = {column!r}: not an observable; "
                    f"observables are: {', '.join(columns)}"
                )
    first, last = month_index(base["start"]), month_index(base["end"])
    span = f"{parse_date(base['start'])} to {parse_date(base['end'])}"
    for i, stat in enumerate(experiment.observables.statistics):
        where = f"observables.statistics[{i}]"
        if stat.column not in known:
            problems.append(
                f"{where}.column = {stat.column!r}: not an observable; "
                f"observables are: {', '.join(columns)}"
            )
        for attr, key in (("at", "at"), ("start", "from"), ("end", "to")):
            value = getattr(stat, attr)
            if value is not None and not first <= month_index(value) <= last:
                problems.append(f"{where}.{key} = {value!r}: outside the simulated months {span}")
        if stat.start and stat.end and month_index(stat.start) > month_index(stat.end):
            problems.append(f"{where}: from ({stat.start}) is after to ({stat.end})")
    if not kept and not experiment.observables.statistics:
        problems.append("observables: keep something (timeseries columns and/or statistics)")
    return problems


def _check_function(experiment: Experiment) -> tuple[list[str], list[str]]:
    import numpy as np

    name = experiment.base.function or ""
    function = FUNCTIONS[name]
    problems: list[str] = []
    kwargs: dict[str, Any] = dict(experiment.base.options)
    for p in experiment.parameters:
        kwargs[p.path] = _trial_values(p, experiment.sampler.method)[0]
    try:
        outputs = function(np.random.default_rng(0), **kwargs)
    except Exception as exc:  # noqa: BLE001 - reported to the user
        problems.append(f"base.function {name}: cannot evaluate with these parameters: {exc}")
        return [], problems
    columns = list(outputs)
    if not experiment.observables.statistics:
        experiment.observables.statistics = [Statistic(column=c, name=c) for c in columns]
    for stat in experiment.observables.statistics:
        if stat.name is None:
            stat.name = stat.column
    if experiment.observables.timeseries:
        problems.append("observables.timeseries: a test function has no time series")
    for i, stat in enumerate(experiment.observables.statistics):
        if stat.column not in outputs:
            problems.append(
                f"observables.statistics[{i}].column = {stat.column!r}: "
                f"{name} outputs: {', '.join(columns)}"
            )
        if stat.at or stat.start or stat.end or stat.reduce:
            problems.append(
                f"observables.statistics[{i}]: a test function has no months (at/from/to/reduce)"
            )
    return columns, problems
