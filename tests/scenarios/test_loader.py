"""Scenario files: built-ins, extends, overrides, and a clear message for every bad input."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import wakusim
from wakusim.errors import WakusimInputError
from wakusim.scenarios.loader import builtin_names, builtin_path


def test_builtins_load_and_differ_as_described():
    assert set(builtin_names()) >= {"history", "no-crackdown", "open-border"}
    history = wakusim.load_scenario("history")
    no_crackdown = wakusim.load_scenario("no-crackdown")
    open_border = wakusim.load_scenario("open-border")
    ids = {e.id for e in history.timeline}
    assert ids - {e.id for e in no_crackdown.timeline} == {"crackdown-2024"}
    assert "covid-closure" not in {e.id for e in open_border.timeline}
    assert "crackdown-2024" in {e.id for e in open_border.timeline}
    assert history.population.size == 20000 and history.companies.count == 30
    assert history.start == "2019-01" and history.end == "2026-12"


def test_overrides_from_dict_and_strings_and_event_ids():
    sc = wakusim.load_scenario(
        "history",
        ["population.size=500", "timeline.crackdown-2024.set.enforcement.partner_fine=1234"],
    )
    assert sc.population.size == 500
    event = next(e for e in sc.timeline if e.id == "crackdown-2024")
    assert event.set["enforcement.partner_fine"] == 1234
    sc2 = wakusim.load_scenario("history", {"timeline.0.label": "x"})
    assert sc2.timeline[0].label == "x"


def test_extends_file_relative_and_drop_events(tmp_path: Path):
    base = tmp_path / "base.yaml"
    base.write_text(builtin_path("history").read_text())
    child = tmp_path / "child.yaml"
    child.write_text(
        "extends: base.yaml\nname: child\ndrop_events: [article]\n"
        "population: {size: 321}\n"
        "timeline:\n"
        "  - {id: extra, date: 2021-03, label: Extra, set: {state.surrender_rate: 0.5}}\n"
    )
    sc = wakusim.load_scenario(child)
    assert sc.name == "child" and sc.population.size == 321
    assert sc.population.wealth.median == wakusim.load_scenario("history").population.wealth.median
    ids = [e.id for e in sc.timeline]
    assert "article" not in ids and ids[-1] == "extra"


def _error(source, overrides=None) -> str:
    with pytest.raises(WakusimInputError) as info:
        wakusim.load_scenario(source, overrides)
    return str(info.value)


def _write(tmp_path: Path, text: str, name: str = "bad.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def _history_with(tmp_path: Path, edit) -> Path:
    data = yaml.safe_load(builtin_path("history").read_text())
    edit(data)
    return _write(tmp_path, yaml.safe_dump(data))


def test_out_of_range_value_names_file_field_value_and_range(tmp_path):
    path = _history_with(tmp_path, lambda d: d["enforcement"].update(inspection_rate=1.5))
    msg = _error(path)
    assert str(path) in msg
    assert "enforcement.inspection_rate" in msg
    assert "1.5" in msg
    assert "<= 1" in msg and ">= 0" in msg


def test_unknown_key_lists_allowed_fields(tmp_path):
    path = _history_with(tmp_path, lambda d: d["market"].update(elasticty=2))
    msg = _error(path)
    assert "market.elasticty" in msg and "unknown field" in msg
    assert "elasticity" in msg  # the allowed names are listed


def test_malformed_date(tmp_path):
    path = _history_with(tmp_path, lambda d: d["timeline"][0].update(date="2020-13-40"))
    msg = _error(path)
    assert "timeline[0]" in msg and "covid-closure" in msg and "date" in msg
    assert "YYYY-MM" in msg


def test_bad_timeline_value_and_unknown_policy_field(tmp_path):
    path = _history_with(
        tmp_path, lambda d: d["timeline"][1]["set"].update({"enforcement.smuggling_detection": 2})
    )
    msg = _error(path)
    assert "buffer-zone" in msg and "enforcement.smuggling_detection" in msg and "<= 1" in msg
    path = _history_with(tmp_path, lambda d: d["timeline"][1]["set"].update({"border.wall": 1}))
    msg = _error(path)
    assert "border.wall" in msg and "border.trade_level" in msg


def test_malformed_yaml_gives_line(tmp_path):
    path = _write(tmp_path, "name: x\npopulation: [1, 2\n")
    msg = _error(path)
    assert str(path) in msg and "line" in msg


def test_unreadable_and_missing_files(tmp_path):
    assert "no such file" in _error(tmp_path / "missing.yaml")
    assert "not a built-in scenario" in _error("nonesuch")
    folder = tmp_path / "dir.yaml"
    folder.mkdir()
    assert "cannot read scenario file" in _error(folder)
    assert "mapping" in _error(_write(tmp_path, "- 1\n- 2\n", "list.yaml"))


def test_wrong_set_path_and_value():
    msg = _error("history", ["population.sise=5"])
    assert "population" in msg and "sise" in msg and "size" in msg
    msg = _error("history", ["population.size=abc"])
    assert "population.size" in msg and "abc" in msg and "--set" in msg
    assert "PATH=VALUE" in _error("history", ["population.size"])
    assert "no item" in _error("history", ["timeline.no-such-event.label=x"])


def test_missing_required_field(tmp_path):
    path = _history_with(tmp_path, lambda d: d["market"].pop("elasticity"))
    msg = _error(path)
    assert "market.elasticity" in msg and "missing" in msg


def test_extends_errors(tmp_path):
    assert "not a built-in" in _error(_write(tmp_path, "extends: nowhere.yaml\n"))
    assert "does not have" in _error(_write(tmp_path, "extends: history\ndrop_events: [zzz]\n"))
    a = _write(tmp_path, "extends: b.yaml\n", "a.yaml")
    _write(tmp_path, "extends: a.yaml\n", "b.yaml")
    assert "cycle" in _error(a)
