"""Keep docs/odd.md in step with the code.

Every parameter of the scenario schema has a row in the parameter table (section 8) whose
default is the value in the built-in ``history`` scenario, and every timeline event of
``history`` has a row in the timeline table (section 9) with its effective month.
Table rows are Markdown lines; parameter rows start with "| `name`".
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

import wakusim
from wakusim.scenarios.calendar import month_label
from wakusim.scenarios.schema import Scenario

ODD = Path(__file__).resolve().parents[1] / "docs" / "odd.md"
NOT_PARAMETERS = {"name", "description", "seed", "start", "end", "timeline", "report"}
HISTORY = wakusim.load_scenario("history")


def _schema_fields(model: type[BaseModel], prefix: str = "") -> list[str]:
    """Dotted names of the leaf fields of a model, nested sections walked."""
    names = []
    for name, info in model.model_fields.items():
        if not prefix and name in NOT_PARAMETERS:
            continue
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            names += _schema_fields(annotation, f"{prefix}{name}.")
        else:
            names.append(f"{prefix}{name}")
    return names


FIELDS = _schema_fields(Scenario)


def _section(number: int) -> list[str]:
    """Lines of the section whose heading starts with ``## <number>``."""
    lines = ODD.read_text(encoding="utf-8").splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith(f"## {number} ")), None)
    assert start is not None, f"docs/odd.md has no section '## {number} ...'"
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    return lines[start + 1 : end]


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def _parameter_rows() -> dict[str, list[str]]:
    rows: dict[str, list[str]] = {}
    for line in _section(8):
        if line.startswith("| `"):
            cells = _cells(line)
            name = cells[0].strip("`")
            assert name not in rows, f"parameter {name} has two rows in docs/odd.md"
            rows[name] = cells
    return rows


ROWS = _parameter_rows()


def _value(dotted: str) -> Any:
    node: Any = HISTORY
    for part in dotted.split("."):
        node = getattr(node, part)
    return node


def test_schema_walk_finds_the_sections():
    assert "warmup_months" in FIELDS
    assert "preferences.risk_aversion.max" in FIELDS
    assert "population.contacts.degree" in FIELDS
    assert "state.member_slots_level" in FIELDS
    assert not any(f.split(".")[0] in NOT_PARAMETERS for f in FIELDS)


def test_every_parameter_has_a_row():
    missing = [name for name in FIELDS if name not in ROWS]
    assert not missing, f"parameters missing from the table in docs/odd.md: {missing}"


def test_no_row_for_an_unknown_parameter():
    unknown = sorted(set(ROWS) - set(FIELDS))
    assert not unknown, f"rows in docs/odd.md for fields the schema does not have: {unknown}"


@pytest.mark.parametrize("name", FIELDS)
def test_default_matches_history(name):
    if name not in ROWS:
        pytest.skip("reported by test_every_parameter_has_a_row")
    cells = ROWS[name]
    assert len(cells) >= 5, f"row of {name} needs name, meaning, default, unit, source"
    written, actual = cells[2].strip("`* "), _value(name)
    if isinstance(actual, bool):
        assert written.lower() == str(actual).lower(), f"{name}: doc {written!r}, code {actual}"
        return
    try:
        number = float(written.replace(",", "").replace("_", ""))
    except ValueError:
        pytest.fail(f"{name}: default {written!r} in docs/odd.md is not a number")
    assert math.isclose(number, float(actual), rel_tol=1e-12, abs_tol=0.0), (
        f"{name}: docs/odd.md says {written}, history.yaml gives {actual}"
    )


@pytest.mark.parametrize("event", HISTORY.timeline, ids=lambda e: e.id)
def test_timeline_event_has_a_row_with_its_effective_month(event):
    rows = [_cells(line) for line in _section(9) if f"`{event.id}`" in line]
    assert rows, f"timeline event {event.id} is missing from section 9 of docs/odd.md"
    assert month_label(event.month) in rows[0], (
        f"{event.id}: effective month {month_label(event.month)} not in its row {rows[0]}"
    )
    assert event.date in rows[0], f"{event.id}: date {event.date} not in its row {rows[0]}"
