"""The dashboard's policy levers: what each edits, its unit, range and default.

A lever edits one value of the scenario through a dotted override path, the
same paths ``wakusim run --set`` takes. Two kinds of policy lever exist:

* **initial policy** levers edit the policy in force at the start of the run
  (``enforcement.*``, ``state.*``); timeline events may change the value later,
  and the lever says which events do;
* **crackdown** levers edit the values the 2024 crackdown event
  (``timeline.crackdown-2024``) sets or ramps to. They exist only when the
  scenario has that event (``history`` has it, ``no-crackdown`` does not).

Ranges and units come from the scenario schema, so they cannot drift from what
the loader accepts.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel

from wakusim.scenarios.schema import Enforcement, Population, Scenario, State
from wakusim.scenarios.timeline import compile_timeline, describe_field

CRACKDOWN_EVENT = "crackdown-2024"
POPULATION_MAX = 1_000_000
"""Largest population the dashboard offers (``wakusim run`` takes up to the schema's limit)."""
POPULATION_ENV = "WAKUSIM_DASHBOARD_POPULATION"
"""Environment variable that, if set, replaces the scenario's population as the default."""
REPLICATIONS_MAX = 10
SEED_MAX = 2**32 - 1

Target = Literal["crackdown", "initial", "run"]

_MODELS: dict[str, type[BaseModel]] = {
    "enforcement": Enforcement,
    "state": State,
    "population": Population,
}


@dataclass(frozen=True)
class _Spec:
    field: str
    label: str
    unit: str | None = None


CRACKDOWN_SPECS = [
    _Spec("enforcement.inspection_rate", "Inspection rate of companies (crackdown target)"),
    _Spec(
        "enforcement.partner_detection",
        "Detection of partners given an inspection (crackdown)",
        "probability per inspection",
    ),
    _Spec("enforcement.partner_fine", "Fine on an exposed partner (crackdown), besides goods"),
    _Spec("enforcement.partner_detention", "Detention of an exposed partner (crackdown)"),
]

INITIAL_SPECS = [
    _Spec("enforcement.smuggling_detection", "Border smuggling detection"),
    _Spec("enforcement.smuggling_fine", "Fine on a caught smuggler, besides goods"),
    _Spec("enforcement.smuggling_detention", "Detention of a caught smuggler"),
    _Spec("enforcement.inspection_rate", "Inspection rate of companies"),
    _Spec(
        "enforcement.partner_detection",
        "Detection of partners given an inspection",
        "probability per inspection",
    ),
    _Spec("enforcement.partner_fine", "Fine on an exposed partner, besides goods"),
    _Spec("enforcement.partner_detention", "Detention of an exposed partner"),
    _Spec("state.surrender_rate", "Surrender rate of members' FX profit", "share of profit"),
    _Spec(
        "state.org_burden_member",
        "Organisational burden of members",
        "multiple of org. aversion (CNY/month)",
    ),
    _Spec("state.inminban_fee", "Neighbourhood-unit (inminban) fee"),
]


@dataclass(frozen=True)
class Lever:
    """One control of the dashboard.

    Attributes
    ----------
    key
        Streamlit widget key (unique, stable across reruns of one scenario).
    path
        Dotted override path, as ``wakusim run --set`` takes it.
    label
        Short human label.
    unit
        Unit of the value, e.g. ``/month``, ``CNY``, ``months``.
    minimum, maximum
        Allowed range (from the schema; the population has a dashboard cap).
    default
        The value in the chosen scenario.
    integer
        Whether the value is a whole number.
    target
        ``"crackdown"`` (the crackdown event), ``"initial"`` (the policy at the
        start) or ``"run"`` (population, seed, replications).
    help
        Range, unit and what the lever edits, in words.
    """

    key: str
    path: str
    label: str
    unit: str
    minimum: float
    maximum: float
    default: float
    integer: bool
    target: Target
    help: str

    @property
    def is_share(self) -> bool:
        """Whether the value is a probability or share in ``[0, 1]`` (shown as a slider)."""
        return not self.integer and self.minimum >= 0 and self.maximum <= 1

    @property
    def step(self) -> float:
        """A sensible widget step for the value's range."""
        if self.integer:
            return 1
        if self.is_share:
            return 0.005
        if self.maximum >= 1e5:
            return 500.0
        return 0.05

    def range_text(self) -> str:
        """Return the allowed range and unit, e.g. ``0–1 /month``."""
        lo, hi = (_num(self.minimum), _num(self.maximum))
        return f"{lo}–{hi} {self.unit}".strip()

    def clamp(self, value: float) -> float:
        """Return ``value`` limited to the lever's range, in its type."""
        value = min(max(float(value), self.minimum), self.maximum)
        return int(round(value)) if self.integer else value


def _num(value: float) -> str:
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:g}"


def field_info(field: str) -> Any:
    """Return the pydantic ``FieldInfo`` of ``section.name``."""
    section, _, name = field.partition(".")
    return _MODELS[section].model_fields[name]


def field_bounds(field: str) -> tuple[float, float]:
    """Return the schema's lower and upper bound of ``section.name``."""
    info = field_info(field)
    lo, hi = float("-inf"), float("inf")
    for meta in info.metadata:
        for attr in ("ge", "gt"):
            if getattr(meta, attr, None) is not None:
                lo = float(getattr(meta, attr))
        for attr in ("le", "lt"):
            if getattr(meta, attr, None) is not None:
                hi = float(getattr(meta, attr))
    return lo, hi


def field_unit(field: str) -> str:
    """Return the unit stated at the end of the field's description (after the last comma)."""
    description = field_info(field).description or ""
    head, sep, tail = description.rpartition(", ")
    return tail if sep else ""


def _is_integer(field: str) -> bool:
    return field_info(field).annotation is int


def crackdown_event(scenario: Scenario) -> Any:
    """Return the scenario's crackdown event, or ``None`` if it has none."""
    for event in scenario.timeline:
        if event.id == CRACKDOWN_EVENT:
            return event
    return None


def _later_events(scenario: Scenario, field: str) -> list[str]:
    return [e.id for e in scenario.timeline if field in e.set or field in e.ramp]


def policy_levers(scenario: Scenario) -> list[Lever]:
    """Return the policy levers for ``scenario``, crackdown levers first.

    Parameters
    ----------
    scenario
        The chosen (unedited) scenario: it gives the defaults, and whether the
        crackdown event exists.
    """
    levers: list[Lever] = []
    event = crackdown_event(scenario)
    if event is not None:
        schedule = compile_timeline(scenario)
        before = max(0, min(event.month - scenario.start_month - 1, scenario.n_months - 1))
        for spec in CRACKDOWN_SPECS:
            if spec.field in event.ramp:
                kind, value = "ramp", event.ramp[spec.field]
                how = f"ramped to over {event.ramp_months} months from {event.date}"
            else:
                kind = "set"
                value = event.set.get(spec.field, schedule.values[spec.field][before].item())
                how = f"set from {event.date}"
            path = f"timeline.{CRACKDOWN_EVENT}.{kind}.{spec.field}"
            levers.append(
                _lever(spec, path, value, "crackdown", f"Edits the crackdown event: value {how}.")
            )
    for spec in INITIAL_SPECS:
        section, _, name = spec.field.partition(".")
        value = getattr(getattr(scenario, section), name)
        later = _later_events(scenario, spec.field)
        note = "Edits the policy in force at the start"
        if later:
            note += f"; later changed by the event(s) {', '.join(later)}."
        else:
            note += "; no event changes it."
        levers.append(_lever(spec, spec.field, value, "initial", note))
    return levers


def _lever(spec: _Spec, path: str, value: Any, target: Target, note: str) -> Lever:
    lo, hi = field_bounds(spec.field)
    integer = _is_integer(spec.field)
    unit = spec.unit or field_unit(spec.field)
    key = f"lever:{target}:{spec.field}"
    help_text = f"{note} Path: `{path}`. {describe_field(field_info(spec.field))}."
    return Lever(
        key=key,
        path=path,
        label=spec.label,
        unit=unit,
        minimum=lo,
        maximum=hi,
        default=int(value) if integer else float(value),
        integer=integer,
        target=target,
        help=help_text,
    )


def run_levers(scenario: Scenario) -> list[Lever]:
    """Return the run settings: population size, seed and replications."""
    seed = scenario.seed if scenario.seed is not None else 1
    size_lo, size_hi = field_bounds("population.size")
    size = scenario.population.size
    if os.environ.get(POPULATION_ENV, "").strip():
        size = int(os.environ[POPULATION_ENV])
    return [
        Lever(
            key="run:population",
            path="population.size",
            label="Population size",
            unit="individuals",
            minimum=size_lo,
            maximum=min(size_hi, POPULATION_MAX),
            default=int(min(max(size, size_lo), POPULATION_MAX)),
            integer=True,
            target="run",
            help=(
                f"Number of individuals (schema allows up to {_num(size_hi)}; the dashboard "
                f"stops at {_num(POPULATION_MAX)}: use `wakusim run` for more)."
            ),
        ),
        Lever(
            key="run:seed",
            path="seed",
            label="Seed",
            unit="",
            minimum=0,
            maximum=SEED_MAX,
            default=seed,
            integer=True,
            target="run",
            help=(
                "Random seed. Replication 1 runs with exactly this seed (as `wakusim run --seed`); "
                "replications 2.. use SeedSequence(seed).spawn(n - 1), in order."
            ),
        ),
        Lever(
            key="run:replications",
            path="",
            label="Replications",
            unit="runs",
            minimum=1,
            maximum=REPLICATIONS_MAX,
            default=1,
            integer=True,
            target="run",
            help="Independent runs of each scenario; charts show their mean and min–max band.",
        ),
    ]


def overrides_from(levers: list[Lever], values: dict[str, float]) -> dict[str, Any]:
    """Return the override mapping for the levers whose value differs from the default.

    Parameters
    ----------
    levers
        Policy levers (not run settings).
    values
        Widget key -> current value.
    """
    changes: dict[str, Any] = {}
    for lever in levers:
        if lever.key not in values or not lever.path:
            continue
        value = values[lever.key]
        if value is None or _same(value, lever.default):
            continue
        changes[lever.path] = int(round(value)) if lever.integer else float(value)
    return changes


def _same(a: float, b: float) -> bool:
    return abs(float(a) - float(b)) <= 1e-12 * max(1.0, abs(float(b)))
