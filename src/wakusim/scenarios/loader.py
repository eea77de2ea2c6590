"""Read scenario files, resolve ``extends``, apply overrides, validate.

Every problem becomes a :class:`~wakusim.errors.WakusimInputError` whose
message names the file, the field, the value given and what is allowed.
"""

from __future__ import annotations

import copy
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from wakusim.errors import WakusimInputError
from wakusim.scenarios.schema import Scenario
from wakusim.scenarios.timeline import describe_field, validate_timeline

_FREE_MAPPINGS = {"set", "ramp", "key_dates"}


def builtin_names() -> list[str]:
    """Return the names of the scenarios shipped with the package."""
    folder = resources.files("wakusim.scenarios") / "builtin"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml"))


def builtin_path(name: str) -> Path:
    """Return the file of a built-in scenario."""
    return Path(str(resources.files("wakusim.scenarios") / "builtin" / f"{name}.yaml"))


def builtin_description(name: str) -> str:
    """Return the one-line description of a built-in scenario."""
    data = read_yaml_mapping(builtin_path(name))
    return str(data.get("description", "")).strip().splitlines()[0] if data else ""


def load_scenario(
    source: str | Path | dict[str, Any] = "history",
    overrides: list[str] | dict[str, Any] | None = None,
) -> Scenario:
    """Load and validate a scenario.

    Parameters
    ----------
    source
        A built-in name (see :func:`builtin_names`), a path to a YAML file, or
        the scenario as a mapping.
    overrides
        Changes to apply before validation: ``["population.size=5000"]`` (the
        command line's ``--set``) or ``{"population.size": 5000}``. Paths are
        dotted; list items are addressed by index or, in the timeline, by event id.

    Returns
    -------
    Scenario
        The fully resolved, validated scenario (``extends`` applied).

    Raises
    ------
    WakusimInputError
        For an unknown name, an unreadable or malformed file, a wrong override
        path or an invalid value.
    """
    if isinstance(source, dict):
        origin = "<mapping>"
        data = _resolve(copy.deepcopy(source), Path.cwd(), origin, [])
    else:
        path = _locate(source)
        origin = str(path)
        data = _resolve(read_yaml_mapping(path), path.parent, origin, [str(path.resolve())])
    pairs = _normalise_overrides(overrides)
    for path_text, value in pairs:
        _apply_override(data, path_text, value, origin)
    return validate_scenario(data, origin, {p for p, _ in pairs})


def validate_scenario(
    data: dict[str, Any], origin: str, overridden: set[str] | None = None
) -> Scenario:
    """Validate resolved scenario data, turning errors into one clear message.

    ``overridden`` holds the paths set by overrides; errors there say so.
    """
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            line = _describe_error(err, data)
            dotted = ".".join(str(p) for p in err["loc"])
            if overridden and dotted in overridden:
                line += " [given with --set]"
            lines.append(line)
        raise WakusimInputError(_format(origin, lines)) from None
    problems = validate_timeline(scenario)
    if problems:
        raise WakusimInputError(_format(origin, problems))
    return scenario


def _format(origin: str, lines: list[str]) -> str:
    head = f"invalid scenario {origin}:"
    return head + "".join(f"\n  - {line}" for line in lines)


def _locate(source: str | Path) -> Path:
    text = str(source)
    if isinstance(source, str) and text in builtin_names():
        return builtin_path(text)
    path = Path(text)
    if path.exists():
        return path
    if isinstance(source, str) and not text.endswith((".yaml", ".yml")) and "/" not in text:
        raise WakusimInputError(
            f"unknown scenario {text!r}: not a built-in scenario "
            f"({', '.join(builtin_names())}) and no such file"
        )
    raise WakusimInputError(f"cannot read scenario file {text}: no such file")


def read_yaml_mapping(path: Path, kind: str = "scenario") -> dict[str, Any]:
    """Read a YAML file that must hold a mapping; errors name the file and the line.

    ``kind`` names the file in messages ("scenario", "experiment").
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise WakusimInputError(f"cannot read {kind} file {path}: {reason}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise WakusimInputError(f"malformed YAML in {path}{where}: {problem}") from None
    if not isinstance(data, dict):
        raise WakusimInputError(
            f"{kind} file {path} must hold a mapping of sections, not {type(data).__name__}"
        )
    return data


def _resolve(data: dict[str, Any], folder: Path, origin: str, seen: list[str]) -> dict[str, Any]:
    """Apply ``extends``, ``drop_events`` and timeline merging."""
    parent_ref = data.pop("extends", None)
    drop = data.pop("drop_events", []) or []
    if parent_ref is None:
        if drop:
            raise WakusimInputError(f"{origin}: drop_events needs extends (a base scenario)")
        return data
    if not isinstance(parent_ref, str):
        raise WakusimInputError(f"{origin}: extends must be a scenario name or path")
    if parent_ref in builtin_names():
        parent_path = builtin_path(parent_ref)
    else:
        parent_path = (folder / parent_ref).resolve()
        if not parent_path.exists():
            raise WakusimInputError(
                f"{origin}: extends = {parent_ref!r}: not a built-in scenario "
                f"({', '.join(builtin_names())}) and no such file"
            )
    key = str(parent_path.resolve())
    if key in seen:
        raise WakusimInputError(f"{origin}: extends forms a cycle through {parent_path}")
    parent = _resolve(
        read_yaml_mapping(parent_path), parent_path.parent, str(parent_path), [*seen, key]
    )
    timeline = list(parent.get("timeline", []))
    ids = {e.get("id") for e in timeline if isinstance(e, dict)}
    if not isinstance(drop, list):
        raise WakusimInputError(f"{origin}: drop_events must be a list of event ids")
    for event_id in drop:
        if event_id not in ids:
            raise WakusimInputError(
                f"{origin}: drop_events names {event_id!r}, which the base scenario does not "
                f"have; its events are: {', '.join(sorted(map(str, ids)))}"
            )
    timeline = [e for e in timeline if e.get("id") not in drop]
    for event in data.pop("timeline", []) or []:
        timeline = [e for e in timeline if e.get("id") != event.get("id")] + [event]
    merged = _deep_merge(parent, data)
    merged["timeline"] = timeline
    return merged


def _deep_merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def _normalise_overrides(overrides: list[str] | dict[str, Any] | None) -> list[tuple[str, Any]]:
    if not overrides:
        return []
    if isinstance(overrides, dict):
        return list(overrides.items())
    pairs = []
    for item in overrides:
        path, sep, raw = item.partition("=")
        if not sep or not path.strip():
            raise WakusimInputError(
                f"--set {item!r}: expected PATH=VALUE, e.g. population.size=5000"
            )
        try:
            value = yaml.safe_load(raw) if raw.strip() else None
        except yaml.YAMLError:
            value = raw
        pairs.append((path.strip(), value))
    return pairs


def _apply_override(data: dict[str, Any], path_text: str, value: Any, origin: str) -> None:
    parts = path_text.split(".")
    node: Any = data
    trail: list[str] = []
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if isinstance(node, list):
            index = _list_index(node, part)
            if index is None:
                raise WakusimInputError(
                    f"--set {path_text}: {'.'.join(trail) or 'the list'} has no item {part!r} "
                    f"(use an index 0..{len(node) - 1} or an event id)"
                )
            if last:
                node[index] = value
                return
            node = node[index]
        elif isinstance(node, dict) and trail and trail[-1] in ("set", "ramp"):
            # Keys of an event's set/ramp are themselves dotted policy paths.
            node[".".join(parts[i:])] = value
            return
        elif isinstance(node, dict):
            free = bool(trail) and trail[-1] in _FREE_MAPPINGS
            if part not in node and not free:
                allowed = ", ".join(sorted(map(str, node))) or "(none)"
                where = ".".join(trail) or "the scenario"
                raise WakusimInputError(
                    f"--set {path_text}: {where} has no field {part!r}; its fields are: {allowed}"
                )
            if last:
                node[part] = value
                return
            if part not in node:
                node[part] = {}
            node = node[part]
        else:
            raise WakusimInputError(
                f"--set {path_text}: {'.'.join(trail)} is a value, not a section"
            )
        trail.append(part)


def _list_index(items: list[Any], part: str) -> int | None:
    if part.lstrip("-").isdigit():
        index = int(part)
        return index if -len(items) <= index < len(items) else None
    for index, item in enumerate(items):
        if isinstance(item, dict) and item.get("id") == part:
            return index
    return None


def _describe_error(err: dict[str, Any], data: dict[str, Any]) -> str:
    loc = tuple(err["loc"])
    where = _loc_text(loc, data)
    kind = err["type"]
    if kind == "extra_forbidden":
        allowed = _allowed_keys(loc[:-1])
        return f"{where}: unknown field; allowed here: {allowed}"
    if kind == "missing":
        return f"{where}: required field is missing ({_field_hint(loc)})"
    msg = err["msg"]
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    if not loc:
        return msg
    value = err.get("input")
    hint = _field_hint(loc)
    shown = f" = {value!r}" if not isinstance(value, dict | list) else ""
    return f"{where}{shown}: {msg}" + (f" ({hint})" if hint else "")


def _loc_text(loc: tuple[Any, ...], data: dict[str, Any]) -> str:
    parts: list[str] = []
    node: Any = data
    for part in loc:
        if isinstance(part, int):
            label = f"[{part}]"
            if isinstance(node, list) and part < len(node) and isinstance(node[part], dict):
                event_id = node[part].get("id")
                if event_id:
                    label += f" (id {event_id!r})"
            parts.append(label)
        else:
            parts.append(("." if parts else "") + str(part))
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            node = None
    return "".join(parts) or "the scenario"


def _field_info(loc: tuple[Any, ...]) -> Any:
    model: type[BaseModel] | None = Scenario
    info = None
    for part in loc:
        if isinstance(part, int) or model is None:
            continue
        info = model.model_fields.get(str(part))
        if info is None:
            return None
        model = model_of(info.annotation)
    return info


def model_of(annotation: Any) -> type[BaseModel] | None:
    """Return the pydantic model inside a field annotation (``X``, ``X | None``, ...), if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = model_of(arg)
        if found is not None:
            return found
    return None


def _field_hint(loc: tuple[Any, ...]) -> str:
    info = _field_info(loc)
    return describe_field(info) if info is not None else ""


def _allowed_keys(loc: tuple[Any, ...]) -> str:
    model: type[BaseModel] | None = Scenario
    for part in loc:
        if isinstance(part, int) or model is None:
            continue
        info = model.model_fields.get(str(part))
        model = model_of(info.annotation) if info else None
    if model is None:
        return "(see the documentation)"
    return ", ".join(model.model_fields)
