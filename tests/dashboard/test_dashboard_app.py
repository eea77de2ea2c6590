"""The dashboard script under Streamlit's AppTest: every control and the error paths."""

from __future__ import annotations

import pytest
from conftest import SMALL, new_app

from wakusim.interfaces.dashboard import levers as lv
from wakusim.scenarios.loader import builtin_path, load_scenario

HISTORY = load_scenario("history")
POLICY = lv.policy_levers(HISTORY)


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def deltas(at) -> dict[str, str]:
    return {m.label: m.delta for m in at.metric}


def captions(at) -> str:
    return "\n".join(c.value for c in at.caption)


def errors(at) -> str:
    return "\n".join(e.value for e in at.error)


def test_first_page_shows_metrics_charts_and_tabs(app):
    shown = metrics(app)
    assert set(shown) == {
        "Partners %",
        "Members %",
        "Smugglers %",
        "Company imports M¥",
        "Price per yuan",
        "Partner arrests",
        "State revenue k¥",
    }
    assert all(v for v in shown.values())
    assert [t.label for t in app.tabs] == [
        "Charts",
        "Compare with base",
        "Export",
        "Experiments & equilibrium",
    ]
    assert f"{SMALL:,} individuals" in captions(app)
    assert not errors(app)
    # every lever shows its unit and allowed range in its label
    for lever in POLICY:
        widget = (app.slider if lever.is_share else app.number_input)(key=f"history|{lever.key}")
        assert lever.range_text() in widget.label
        assert widget.value == pytest.approx(lever.default)


def _edit(at, lever: lv.Lever, value: float):
    widget = (at.slider if lever.is_share else at.number_input)(key=f"history|{lever.key}")
    widget.set_value(value)
    at.run()
    assert not at.exception, at.exception
    return at


# a value for each lever that moves it well away from the history default
EDITS = {
    "enforcement.inspection_rate": 0.3,
    "enforcement.partner_detection": 0.95,
    "enforcement.partner_fine": 200000.0,
    "enforcement.partner_detention": 120,
    "enforcement.smuggling_detection": 0.5,
    "enforcement.smuggling_fine": 50000.0,
    "enforcement.smuggling_detention": 60,
    "state.surrender_rate": 0.9,
    "state.org_burden_member": 4.0,
    "state.inminban_fee": 20000.0,
}


def test_every_policy_lever_edits_the_scenario_and_shows_deltas(app):
    assert {lever.path for lever in POLICY} >= {
        "timeline.crackdown-2024.ramp.enforcement.inspection_rate",
        "timeline.crackdown-2024.set.enforcement.partner_detection",
        "timeline.crackdown-2024.set.enforcement.partner_fine",
        "timeline.crackdown-2024.set.enforcement.partner_detention",
        "enforcement.smuggling_detection",
        "state.surrender_rate",
        "state.org_burden_member",
        "state.inminban_fee",
    }
    assert not any(deltas(app).values())  # nothing edited: no comparison deltas
    for lever in POLICY:  # edits accumulate, one run per lever
        field = lever.path.split(".", 3)[-1] if lever.target == "crackdown" else lever.path
        value = EDITS[field]
        before = metrics(app)
        _edit(app, lever, value)
        assert f"`{lever.path}={value}`" in captions(app), lever.path
        assert any(d for d in deltas(app).values())  # deltas against the base scenario
        assert "Simulated in" in captions(app), lever.path  # a new run, not a cached one
        if lever is POLICY[0]:
            assert metrics(app) != before


def test_moving_back_to_a_setting_is_instant_from_the_cache(app):
    lever = POLICY[0]  # crackdown inspection rate
    original = metrics(app)
    _edit(app, lever, 0.25)
    assert "Simulated in" in captions(app)
    _edit(app, lever, lever.default)
    assert "From the cache (instant)" in captions(app)
    assert metrics(app) == original


def test_seed_changes_the_numbers(app):
    before = metrics(app)
    app.number_input(key="history|run:seed").set_value(99).run()
    assert not app.exception
    assert "seed 99" in captions(app)
    assert metrics(app) != before


def test_population_size(app):
    app.number_input(key="history|run:population").set_value(1500).run()
    assert not app.exception
    assert "1,500 individuals" in captions(app)


def test_replications_give_means_and_bands(app):
    app.number_input(key="history|run:replications").set_value(2).run()
    assert not app.exception
    assert "mean of 2 replications" in captions(app)
    _edit(app, POLICY[0], 0.3)
    assert "min–max over 2 replications" in captions(app)


def test_out_of_range_lever_value_is_rejected(app):
    lever = next(lv_ for lv_ in POLICY if lv_.path.endswith("partner_detention"))
    widget = app.number_input(key=f"history|{lever.key}")
    widget.set_value(601).run()  # schema allows 0..600 months
    assert not app.exception
    assert app.number_input(key=f"history|{lever.key}").value == lever.default
    assert "Changed from the scenario" not in captions(app)
    pop = app.number_input(key="history|run:population")
    pop.set_value(lv.POPULATION_MAX + 1).run()
    assert app.number_input(key="history|run:population").value == SMALL


def test_more_changes_box_applies_set_paths(app):
    app.text_area(key="history|extra").input("enforcement.member_risk=0.01").run()
    assert not app.exception
    assert "`enforcement.member_risk=0.01`" in captions(app)
    assert any(deltas(app).values())


def test_out_of_range_value_in_more_changes_gives_the_loader_message(app):
    app.text_area(key="history|extra").input("enforcement.inspection_rate=1.5").run()
    assert not app.exception
    text = errors(app)
    assert "enforcement.inspection_rate = 1.5" in text
    assert "less than or equal to 1" in text
    assert "chance a company is inspected, /month" in text
    assert not app.metric  # nothing run with a bad setting


def test_malformed_line_in_more_changes(app):
    app.text_area(key="history|extra").input("just words").run()
    assert "expected PATH=VALUE" in errors(app)
    app.text_area(key="history|extra").input("enforcement.no_such=1").run()
    assert "has no field 'no_such'" in errors(app)


def test_reset_button_restores_scenario_values(app):
    lever = POLICY[0]
    _edit(app, lever, 0.4)
    app.button(key="reset").click().run()
    assert not app.exception
    assert app.slider(key=f"history|{lever.key}").value == pytest.approx(lever.default)
    assert "Changed from the scenario" not in captions(app)


def test_scenario_picker_switches_levers():
    at = new_app()
    at.run()
    at.selectbox(key="scenario").set_value("no-crackdown").run()
    assert not at.exception
    assert "no `crackdown-2024` event" in "\n".join(i.value for i in at.info)
    keys = [w.key for w in at.slider] + [w.key for w in at.number_input]
    assert not any(":crackdown:" in k for k in keys)
    assert "no-crackdown-" not in captions(at)
    assert "**no-crackdown**" in captions(at)


def test_manual_run_mode(app):
    app.toggle(key="auto_run").set_value(False).run()
    assert not app.button(key="run_button").disabled
    before = metrics(app)
    _edit(app, POLICY[0], 0.33)
    assert "press **Run**" in "\n".join(w.value for w in app.warning)
    assert metrics(app) == before  # still the previous results
    app.button(key="run_button").click().run()
    assert not app.exception
    assert metrics(app) != before
    assert not app.warning


def test_compare_tab_controls(app):
    _edit(app, POLICY[0], 0.3)
    app.radio(key="compare_view").set_value("Difference (edited − base)").run()
    assert not app.exception
    app.multiselect(key="compare_observables").select("State revenue, total").run()
    assert not app.exception
    frame = app.dataframe[0].value
    assert list(frame.columns) == ["key number", "edited", "base", "difference"]


def test_export_buttons_present(app):
    labels = [b.label for b in app.get("download_button")]
    assert labels == ["Time series (CSV)", "Time series (Parquet)", "Scenario (YAML)"]
    code = "\n".join(c.value for c in app.code)
    assert "wakusim run history-seed1-n1000.yaml --seed 1" in code
    assert "population:" in code


def test_upload_valid_file(app, tmp_path):
    text = (
        "extends: history\nname: upl\nseed: 5\nenforcement: {inspection_rate: 0.05}\n"
        "population: {size: 1000}\n"
    )
    app.file_uploader(key="upload").set_value(("upl.yaml", text.encode(), "application/x-yaml"))
    app.run()
    assert not app.exception
    assert "Using uploaded scenario `upl`" in "\n".join(s.value for s in app.success)
    assert "**upl**" in captions(app)
    # levers take their defaults from the uploaded scenario
    keys = [w.key for w in app.slider]
    key = next(k for k in keys if k.endswith("lever:initial:enforcement.inspection_rate"))
    assert app.slider(key=key).value == pytest.approx(0.05)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("bad.yaml", b"population: [1, 2\n", "malformed YAML in bad.yaml at line"),
        (
            "bad.yaml",
            b"extends: history\nenforcement: {inspection_rate: 1.5}\n",
            "bad.yaml:\n  - enforcement.inspection_rate = 1.5: Input should be less than",
        ),
        ("bad.yaml", b"extends: nowhere\n", "not a built-in scenario"),
        ("bad.yaml", b"- a list\n", "must hold a mapping of sections"),
    ],
)
def test_upload_bad_file_shows_clear_error(app, name, content, message):
    app.file_uploader(key="upload").set_value((name, content, "application/x-yaml"))
    app.run()
    assert not app.exception
    text = errors(app)
    assert "The uploaded file was rejected" in text
    assert message in text
    assert "/tmp" not in text  # names the uploaded file, not the temporary copy
    assert app.metric  # falls back to the built-in scenario


def test_history_yaml_uploads_like_the_builtin(app):
    content = builtin_path("history").read_bytes()
    app.file_uploader(key="upload").set_value(("history.yaml", content, "application/x-yaml"))
    app.run()
    assert not app.exception
    assert not errors(app)
