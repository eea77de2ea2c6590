"""The policy in force in a month (process step 1) and the true risks it implies."""

from __future__ import annotations

from dataclasses import dataclass

from wakusim.scenarios.schema import Border, Enforcement, State
from wakusim.scenarios.timeline import PolicySchedule


@dataclass(frozen=True)
class Policy:
    """Border policy, enforcement and state demands in force in one month."""

    border: Border
    enforcement: Enforcement
    state: State

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
        border=Border.model_construct(**parts["border"]),
        enforcement=Enforcement.model_construct(**parts["enforcement"]),
        state=State.model_construct(**parts["state"]),
    )
