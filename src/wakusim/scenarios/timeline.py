"""Compile a scenario's policy timeline into month-by-month policy values.

The timeline's events set or ramp fields of the ``border``, ``enforcement`` and
``state`` sections. Compiling gives one array per field over the simulated
months, the campaigns of each month, and the events to mark on figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from pydantic import ValidationError

from wakusim.scenarios.schema import (
    TIME_VARYING_SECTIONS,
    Border,
    Campaign,
    Enforcement,
    Event,
    Scenario,
    State,
)

_SECTION_MODELS = {"border": Border, "enforcement": Enforcement, "state": State}


def policy_fields() -> list[str]:
    """Return every time-varying field as ``section.field``."""
    return [
        f"{section}.{name}"
        for section in TIME_VARYING_SECTIONS
        for name in _SECTION_MODELS[section].model_fields
    ]


def check_event_value(key: str, value: Any, current: dict[str, dict[str, Any]]) -> Any:
    """Validate one value an event sets and return it converted.

    Parameters
    ----------
    key
        ``section.field`` of a time-varying field.
    value
        The value the event gives.
    current
        Policy in force, by section, used to validate the whole section.

    Raises
    ------
    ValueError
        Naming the field, the value and what is allowed.
    """
    section, _, name = key.partition(".")
    if section not in _SECTION_MODELS or name not in _SECTION_MODELS[section].model_fields:
        allowed = ", ".join(policy_fields())
        raise ValueError(f"unknown policy field {key!r}; the timeline can set: {allowed}")
    model = _SECTION_MODELS[section]
    try:
        checked = model.model_validate({**current[section], name: value})
    except ValidationError as exc:
        err = exc.errors()[0]
        info = model.model_fields[name]
        raise ValueError(f"{key} = {value!r}: {err['msg']} ({describe_field(info)})") from None
    return getattr(checked, name)


def describe_field(info: Any) -> str:
    """Say in words the range and unit of a pydantic field."""
    bounds = []
    for meta in info.metadata:
        for attr, word in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
            if getattr(meta, attr, None) is not None:
                bounds.append(f"{word} {getattr(meta, attr)}")
    text = "allowed: " + (" and ".join(bounds) if bounds else f"a {info.annotation}")
    if info.description:
        text += f"; {info.description}"
    return text


@dataclass
class PolicySchedule:
    """Policy values for each simulated month.

    Attributes
    ----------
    values
        ``section.field`` -> array of length ``n_months``.
    campaigns
        Month offset -> campaigns that run in that month.
    markers
        ``(month offset, label)`` of events to mark on figures.
    start_month
        Month index of offset 0.
    """

    values: dict[str, np.ndarray]
    campaigns: dict[int, list[Campaign]] = field(default_factory=dict)
    markers: list[tuple[int, str]] = field(default_factory=list)
    start_month: int = 0

    def at(self, t: int) -> dict[str, Any]:
        """Return the policy in force in month offset ``t`` as ``section.field`` -> value."""
        return {k: v[t].item() for k, v in self.values.items()}


def compile_timeline(scenario: Scenario) -> PolicySchedule:
    """Turn the scenario's initial policy and timeline into month-by-month values.

    Events apply in date order (stable for equal dates). ``set`` takes effect in
    the event's month; ``ramp`` moves linearly from the value in force to the
    target in ``ramp_months`` equal monthly steps, the first in the event's
    month, so the target holds from month ``event + ramp_months - 1``; integer
    fields are rounded (halves to even). A ramp dated before the start goes on
    from its own date. A later event on the same field stops a running ramp.
    """
    start, n = scenario.start_month, scenario.n_months
    current = {s: getattr(scenario, s).model_dump() for s in TIME_VARYING_SECTIONS}
    events: list[Event] = sorted(scenario.timeline, key=lambda e: e.month)
    ramps: dict[str, tuple[int, float, float, int]] = {}
    schedule = PolicySchedule(values={}, start_month=start)
    rows: list[dict[str, Any]] = []
    pending = list(events)
    for t in range(n):
        month = start + t
        while pending and pending[0].month <= month:
            event = pending.pop(0)
            _apply_event(event, event.month - start, current, ramps)
            if event.campaigns:
                schedule.campaigns.setdefault(t, []).extend(event.campaigns)
            if event.marker and event.month >= start:
                schedule.markers.append((t, event.label))
        for key, (t0, v0, v1, months) in list(ramps.items()):
            frac = min(1.0, (t - t0 + 1) / months)
            section, name = key.split(".")
            value = v0 + (v1 - v0) * frac
            if isinstance(current[section][name], int) and not isinstance(
                current[section][name], bool
            ):
                value = int(round(value))
            current[section][name] = value
            if frac >= 1.0:
                del ramps[key]
        rows.append({f"{s}.{k}": v for s in current for k, v in current[s].items()})
    for key in rows[0]:
        column = [row[key] for row in rows]
        dtype = bool if isinstance(column[0], bool) else float
        schedule.values[key] = np.asarray(column, dtype=dtype)
    return schedule


def _apply_event(
    event: Event,
    t: int,
    current: dict[str, dict[str, Any]],
    ramps: dict[str, tuple[int, float, float, int]],
) -> None:
    for key, value in event.set.items():
        section, name = key.split(".")
        current[section][name] = check_event_value(key, value, current)
        ramps.pop(key, None)
    for key, target in event.ramp.items():
        section, name = key.split(".")
        check_event_value(key, target, current)
        if isinstance(current[section][name], bool):
            raise ValueError(f"{key} is a yes/no field and cannot be ramped; use set")
        ramps[key] = (t, float(current[section][name]), float(target), event.ramp_months)


def validate_timeline(scenario: Scenario) -> list[str]:
    """Return problems with the timeline, each naming the event; empty if none."""
    problems = []
    current = {s: getattr(scenario, s).model_dump() for s in TIME_VARYING_SECTIONS}
    for i, event in enumerate(scenario.timeline):
        for key, value in {**event.set, **event.ramp}.items():
            try:
                check_event_value(key, value, current)
                section, name = key.split(".")
                if key in event.ramp and isinstance(current[section][name], bool):
                    raise ValueError(f"{key} is a yes/no field and cannot be ramped; use set")
            except ValueError as exc:
                where = "set" if key in event.set else "ramp"
                problems.append(f"timeline[{i}] (id {event.id!r}).{where}: {exc}")
    return problems
