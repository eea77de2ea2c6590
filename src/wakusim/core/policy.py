"""The policy in force in a month (process step 1) and the true risks it implies."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import ConfigDict

from wakusim.scenarios.schema import Border, Enforcement, State
from wakusim.scenarios.timeline import PolicySchedule


class FrozenBorder(Border):
    """A month's border policy; read-only (a run shares it between months)."""

    model_config = ConfigDict(frozen=True)


class FrozenEnforcement(Enforcement):
    """A month's enforcement; read-only (a run shares it between months)."""

    model_config = ConfigDict(frozen=True)


class FrozenState(State):
    """A month's state demands; read-only (a run shares it between months)."""

    model_config = ConfigDict(frozen=True)


@dataclass(frozen=True)
class Policy:
    """Border policy, enforcement and state demands in force in one month.

    The policy and its parts are read-only (parts given as a scenario's editable
    sections are copied): :func:`wakusim.core.engine.run` builds each distinct
    policy of a timeline once and uses it in every month it is in force.
    """

    border: Border
    enforcement: Enforcement
    state: State

    def __post_init__(self) -> None:
        """Hold read-only copies of parts given as the scenario's editable sections."""
        for name, frozen in (
            ("border", FrozenBorder),
            ("enforcement", FrozenEnforcement),
            ("state", FrozenState),
        ):
            part = getattr(self, name)
            if not isinstance(part, frozen):
                object.__setattr__(self, name, frozen.model_construct(**dict(part)))

    @property
    def smuggler_risk(self) -> float:
        """True monthly probability that a smuggler is caught."""
        return self.enforcement.smuggling_detection

    @property
    def partner_risk(self) -> float:
        """True monthly probability that a partner is exposed (inspection x detection)."""
        return self.enforcement.inspection_rate * self.enforcement.partner_detection


def policy_for_month(schedule: PolicySchedule, t: int) -> Policy:
    """Read the timeline for month offset ``t``."""
    return policy_from_values(schedule.at(t))


def policy_from_values(values: dict[str, object]) -> Policy:
    """Build the policy from ``section.field`` -> value (as :meth:`PolicySchedule.at` gives)."""
    parts: dict[str, dict[str, object]] = {"border": {}, "enforcement": {}, "state": {}}
    for key, value in values.items():
        section, name = key.split(".")
        parts[section][name] = value
    for name in (
        "smuggling_detention",
        "partner_detention",
        "member_detention",
        "suspension_months",
    ):
        parts["enforcement"][name] = int(round(float(parts["enforcement"][name])))
    parts["border"]["smuggling_open"] = bool(parts["border"]["smuggling_open"])
    return Policy(
        border=FrozenBorder.model_construct(**parts["border"]),
        enforcement=FrozenEnforcement.model_construct(**parts["enforcement"]),
        state=FrozenState.model_construct(**parts["state"]),
    )
