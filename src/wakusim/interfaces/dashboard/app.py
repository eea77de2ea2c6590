"""The wakusim dashboard (Streamlit script): ``wakusim dashboard`` runs it.

Left: scenario, policy levers, run settings. Main: key numbers, charts of the
edited scenario, the comparison with its base, exports, and a tab for stored
experiments and the equilibrium curve.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

import streamlit as st

from wakusim.api import prepare
from wakusim.errors import WakusimInputError
from wakusim.interfaces.dashboard import charts, export, runs
from wakusim.interfaces.dashboard import experiment_tab as xt
from wakusim.interfaces.dashboard import levers as lv
from wakusim.scenarios.loader import builtin_description, builtin_names, load_scenario
from wakusim.scenarios.schema import Scenario

DEFAULT_SCENARIO = "history"


def widget_key(scenario_id: str, key: str) -> str:
    """Return the session-state key of a lever for one chosen scenario."""
    return f"{scenario_id}|{key}"


def _lever_widget(container: Any, scenario_id: str, lever: lv.Lever) -> float:
    key = widget_key(scenario_id, lever.key)
    label = f"{lever.label} ({lever.range_text()})"
    if lever.is_share:
        return container.slider(
            label,
            min_value=float(lever.minimum),
            max_value=float(lever.maximum),
            value=float(lever.default),
            step=lever.step,
            format="%.3f",
            key=key,
            help=lever.help,
        )
    if lever.integer:
        return container.number_input(
            label,
            min_value=int(lever.minimum),
            max_value=int(lever.maximum),
            value=int(lever.default),
            step=int(lever.step),
            key=key,
            help=lever.help,
        )
    return container.number_input(
        label,
        min_value=float(lever.minimum),
        max_value=float(lever.maximum),
        value=float(lever.default),
        step=float(lever.step),
        key=key,
        help=lever.help,
    )


def _choose_source() -> tuple[str | dict[str, Any], str, str]:
    """Sidebar: built-in picker and upload. Return (source, scenario id, description)."""
    side = st.sidebar
    side.header("Scenario")
    names = builtin_names()
    name = side.selectbox(
        "Built-in scenario",
        names,
        index=names.index(DEFAULT_SCENARIO) if DEFAULT_SCENARIO in names else 0,
        key="scenario",
        format_func=lambda n: f"{n} — {builtin_description(n)[:60]}",
    )
    upload = side.file_uploader(
        "…or upload a scenario YAML file",
        type=["yaml", "yml"],
        key="upload",
        help="Checked exactly as `wakusim run FILE` checks it; `extends` may name a built-in.",
    )
    if upload is not None:
        content = upload.getvalue()
        digest = hashlib.sha256(content).hexdigest()[:12]
        try:
            data = runs.parse_upload(upload.name, content)
        except WakusimInputError as exc:
            st.error(
                f"The uploaded file was rejected; showing the built-in `{name}` instead.\n\n"
                f"```\n{exc}\n```",
                icon="🚫",
            )
        else:
            side.success(f"Using uploaded scenario `{data['name']}` ({upload.name}).")
            return data, f"upload-{digest}", str(data.get("description", ""))
    return name, name, builtin_description(name)


def _sidebar_levers(
    scenario_id: str, base: Scenario
) -> tuple[dict[str, Any], int, int, int, list[lv.Lever]]:
    side = st.sidebar
    policy = lv.policy_levers(base)
    values: dict[str, float] = {}
    crack = [lever for lever in policy if lever.target == "crackdown"]
    initial = [lever for lever in policy if lever.target == "initial"]
    if st.sidebar.button("Reset levers to the scenario", key="reset"):
        for lever in policy + lv.run_levers(base):
            st.session_state.pop(widget_key(scenario_id, lever.key), None)
    if crack:
        side.header("2024 crackdown")
        side.caption(
            f"These edit the timeline event `{lv.CRACKDOWN_EVENT}` "
            f"({lv.crackdown_event(base).date}): the values the crackdown ramps or sets. "
            "This is the article's question."
        )
        for lever in crack:
            values[lever.key] = _lever_widget(side, scenario_id, lever)
    else:
        side.info(f"This scenario has no `{lv.CRACKDOWN_EVENT}` event: no crackdown levers.")
    with side.expander("Policy at the start of the run", expanded=not crack):
        st.caption(
            f"These edit the policy in force from {base.start} (and during warm-up). "
            "Timeline events may change a value later; each lever's help says which."
        )
        for lever in initial:
            values[lever.key] = _lever_widget(st, scenario_id, lever)
    side.header("Run")
    run_values = {}
    for lever in lv.run_levers(base):
        run_values[lever.key] = _lever_widget(side, scenario_id, lever)
    overrides = lv.overrides_from(policy, values)
    text = side.text_area(
        "More changes (PATH=VALUE per line, as `wakusim run --set`)",
        key=widget_key(scenario_id, "extra"),
        placeholder="enforcement.member_risk=0.002\nstate.unit_payment=0.1",
        help="Any scenario value; checked like the command line's --set.",
    )
    for line in (text or "").splitlines():
        if line.strip() and not line.strip().startswith("#"):
            path, sep, raw = line.partition("=")
            if not sep:
                raise WakusimInputError(f"{line.strip()!r}: expected PATH=VALUE")
            overrides[path.strip()] = _yaml_value(raw)
    return (
        overrides,
        int(run_values["run:population"]),
        int(run_values["run:seed"]),
        int(run_values["run:replications"]),
        policy,
    )


def _yaml_value(raw: str) -> Any:
    import yaml

    try:
        return yaml.safe_load(raw) if raw.strip() else None
    except yaml.YAMLError:
        return raw.strip()


def _progress_runs(edited: Scenario, base: Scenario, seed: int, reps: int) -> tuple[Any, Any]:
    bar: Any = None
    parts = [("edited", edited), ("base", base)]
    if edited == base:
        parts = parts[:1]
    results = {}
    for i, (label, sc) in enumerate(parts):
        if not runs.is_cached(sc, seed, reps) and bar is None:
            bar = st.progress(0.0, text="starting…")

        shown = [0.0]

        def tick(
            fraction: float, text: str, i: int = i, bar: Any = bar, shown: list = shown
        ) -> None:
            now = time.perf_counter()
            if bar is not None and now - shown[0] > 0.2:  # a few updates a second
                shown[0] = now
                bar.progress(min(1.0, (i + fraction) / len(parts)), text=text)

        results[label] = runs.run_set(sc, seed, reps, progress=tick, label=label)
    if bar is not None:
        bar.empty()
    return results["edited"], results.get("base", results["edited"])


def _metrics(edited: runs.RunSet, base: runs.RunSet, differs: bool) -> None:
    numbers = runs.key_numbers(edited)
    reference = runs.key_numbers(base)
    month = runs.after_month(edited.scenario, edited.mean)
    st.caption(
        f"Key numbers after the crackdown ({month}; totals over the 12 months to it)"
        + (f", mean of {edited.replications} replications" if edited.replications > 1 else "")
        + ("; change against the base scenario" if differs else "")
    )
    columns = st.columns(len(numbers))
    for column, (label, _col, _how, _scale, fmt) in zip(columns, runs.KEY_NUMBERS, strict=True):
        value = numbers[label]
        delta = fmt.format(value - reference[label]) if differs else None
        if delta is not None and not delta.startswith("-"):
            delta = "+" + delta
        column.metric(
            label, fmt.format(value), delta=delta, delta_color="off", help=runs.KEY_HELP[label]
        )


def _charts_tab(edited: runs.RunSet, base: runs.RunSet, differs: bool) -> None:
    st.altair_chart(charts.modes_chart(edited), width="stretch")
    left, right = st.columns(2)
    left.altair_chart(charts.arrests_chart(edited), width="stretch")
    right.altair_chart(
        charts.member_wealth_chart(edited, base if differs else None), width="stretch"
    )
    left, right = st.columns(2)
    left.altair_chart(charts.volume_chart(edited), width="stretch")
    right.altair_chart(charts.price_chart(edited), width="stretch")
    st.altair_chart(charts.revenue_chart(edited), width="stretch")


def _compare_tab(edited: runs.RunSet, base: runs.RunSet, differs: bool) -> None:
    if not differs:
        st.info("No lever differs from the scenario: move one to compare with the base.")
    view = st.radio(
        "View",
        ["Edited and base together", "Difference (edited − base)"],
        horizontal=True,
        key="compare_view",
    )
    labels = list(charts.COMPARABLE)
    chosen = st.multiselect(
        "Observables",
        labels,
        default=["Partners", "Members", "Imports via companies"],
        key="compare_observables",
    )
    difference = view.startswith("Difference")
    if edited.replications > 1:
        st.caption(
            f"Bands: min–max over {edited.replications} replications"
            + (" of the paired differences (same seeds)." if difference else ".")
        )
    columns = st.columns(2)
    for i, label in enumerate(chosen):
        columns[i % 2].altair_chart(
            charts.comparison_chart(edited, base, label, difference), width="stretch"
        )
    numbers, reference = runs.key_numbers(edited), runs.key_numbers(base)
    st.dataframe(
        {
            "key number": list(numbers),
            "edited": [round(v, 4) for v in numbers.values()],
            "base": [round(v, 4) for v in reference.values()],
            "difference": [round(numbers[k] - reference[k], 4) for k in numbers],
        },
        hide_index=True,
    )


def _export_tab(edited: runs.RunSet) -> None:
    stem = export.file_stem(edited)
    yaml_text = export.scenario_yaml(edited.scenario, edited.replications)
    st.markdown(
        "Everything on screen, reproducible: the scenario file holds the seed, so "
        f"`wakusim run {stem}.yaml` gives replication 1's numbers exactly."
    )
    a, b, c = st.columns(3)
    a.download_button(
        "Time series (CSV)",
        export.timeseries_csv(edited),
        file_name=f"{stem}.csv",
        mime="text/csv",
        key="download_csv",
        on_click="ignore",
    )
    b.download_button(
        "Time series (Parquet)",
        export.timeseries_parquet(edited),
        file_name=f"{stem}.parquet",
        mime="application/octet-stream",
        key="download_parquet",
        on_click="ignore",
    )
    c.download_button(
        "Scenario (YAML)",
        yaml_text,
        file_name=f"{stem}.yaml",
        mime="application/x-yaml",
        key="download_yaml",
        on_click="ignore",
    )
    st.code(f"wakusim run {stem}.yaml --seed {edited.seed}", language="bash")
    with st.expander("Scenario YAML"):
        st.code(yaml_text, language="yaml")


def _experiment_tab(base: Scenario, policy: list[lv.Lever]) -> None:
    st.subheader("Stored experiment")
    st.caption(xt.EXPECTED)
    folder = st.text_input("Experiment folder", key="experiment_folder", placeholder="runs/exp1")
    if folder.strip():
        present = xt.tables(folder)
        table = None
        if present:
            table = st.radio("Table", present, horizontal=True, key="experiment_table")
        try:
            exp = xt.load_experiment(folder, table)
        except WakusimInputError as exc:
            st.error(str(exc))
        else:
            _experiment_plot(exp)
    st.subheader("Equilibrium curve")
    trace_curve, reason = xt.equilibrium_module()
    if trace_curve is None:
        st.info(f"Not available: {reason}. The curve appears here once it is installed.")
        return
    st.caption(
        "Stationary equilibria of the policy in force at a date, solved without simulating "
        "(`wakusim.equilibrium.trace_curve`), along one policy field; uses the scenario as "
        "chosen, without the levers' edits."
    )
    allowed = set(xt.curve_parameters())
    fields = [lever for lever in policy if lever.target == "initial"]
    if allowed:
        fields = [lever for lever in fields if lever.path in allowed]
    choices = {lever.path: lever for lever in fields}
    a, b = st.columns(2)
    path = a.selectbox(
        "Policy field",
        list(choices),
        key="eq_lever",
        format_func=lambda p: f"{choices[p].label} ({choices[p].unit})",
    )
    lever = choices[path]
    dates = dict(base.report.key_dates)
    when = b.selectbox("Policy in force at", list(dates), index=len(dates) - 1, key="eq_date")
    top = float(min(lever.maximum, max(1.0, 10 * lever.default)))
    lo, hi = st.slider(
        f"Range ({lever.unit})",
        min_value=float(lever.minimum),
        max_value=top,
        value=(float(lever.minimum), float(min(top, max(1.0, 4 * lever.default)))),
        key="eq_range",
    )
    points = st.number_input("Points", 3, 50, 11, key="eq_points")
    if st.button("Trace the curve", key="eq_run"):
        values = [lo + (hi - lo) * i / (points - 1) for i in range(int(points))]
        try:
            with st.spinner("Solving…"):
                result = xt.call_trace_curve(
                    trace_curve, base, lever.path, values, date=dates[when][:7]
                )
            curve = xt.curve_frame(result, lever.path)
        except Exception as exc:  # noqa: BLE001 - show the solver's error, keep the app alive
            st.error(f"trace_curve failed: {exc}")
            return
        x = "value" if "value" in curve.columns else lever.path
        if x in curve.columns and any(str(c).startswith("share_") for c in curve.columns):
            st.altair_chart(xt.curve_chart(curve, x), width="stretch")
        st.dataframe(curve, hide_index=True)


def _experiment_plot(exp: xt.Experiment) -> None:
    files = exp.frame["file"].nunique()
    st.success(f"{len(exp.frame):,} rows from {files} file(s) in {exp.folder}")
    if exp.manifest:
        with st.expander("manifest.json"):
            st.json(exp.manifest)
    if not exp.observables:
        st.warning("No numeric observable found in the tables.")
        return
    columns = [c for c in exp.frame.columns if c not in {"file", "value"}]
    params = exp.varied or columns
    a, b, c = st.columns(3)
    x = a.selectbox("Varied parameter (x axis)", params, key="exp_x")
    y = b.selectbox("Observable (y axis)", exp.observables, key="exp_y")
    group_options = ["(none)"] + [p for p in params if p != x]
    group = c.selectbox("Colour by", group_options, key="exp_group")
    month = None
    if exp.months:
        choice = st.selectbox("Month", ["mean over months", *exp.months], key="exp_month")
        month = None if choice == "mean over months" else choice
    rows = xt.select(exp, y, month)
    summary = xt.summarise(rows, x, None if group == "(none)" else group)
    st.altair_chart(
        xt.response_chart(summary, x, y, None if group == "(none)" else group), width="stretch"
    )
    st.dataframe(summary, hide_index=True)


@st.cache_resource(show_spinner="Loading the compiled model (a machine's first run compiles it)")
def _prepare_model() -> float:
    """Load the compiled kernels once per dashboard server; return the seconds it took."""
    return prepare()


def main() -> None:
    """Draw the dashboard."""
    st.set_page_config(page_title="wakusim dashboard", page_icon="📦", layout="wide")
    st.title("wakusim — what if the state moves this lever?")
    _prepare_model()
    source, scenario_id, description = _choose_source()
    try:
        base_default = load_scenario(source)
    except WakusimInputError as exc:  # pragma: no cover - built-ins always load
        st.error(str(exc))
        st.stop()
    try:
        overrides, population, seed, reps, policy = _sidebar_levers(scenario_id, base_default)
    except WakusimInputError as exc:
        st.error(f"Cannot use these settings:\n\n```\n{exc}\n```", icon="🚫")
        st.stop()
    auto = st.sidebar.toggle("Run when a lever moves", value=True, key="auto_run")
    clicked = st.sidebar.button("Run", type="primary", key="run_button", disabled=auto)
    try:
        base = runs.resolve(source, None, population, seed)
        if overrides:
            overrides = {"name": f"{base_default.name}-edited", **overrides}
        edited = runs.resolve(source, overrides, population, seed)
    except WakusimInputError as exc:
        st.error(f"Cannot run these settings:\n\n```\n{exc}\n```", icon="🚫")
        st.stop()
    differs = edited != base
    st.caption(
        f"**{edited.name}** — {description} · {population:,} individuals · seed {seed} · "
        f"{reps} replication{'s' if reps > 1 else ''}"
    )
    if differs:
        shown = {k: v for k, v in overrides.items() if k != "name"}
        changes = ", ".join(f"`{k}={v}`" for k, v in shown.items())
        st.caption(f"Changed from the scenario: {changes}")
    ready = runs.is_cached(edited, seed, reps) and (not differs or runs.is_cached(base, seed, reps))
    if not (auto or clicked or ready):
        st.warning("Settings changed: press **Run** to simulate them.")
        previous = st.session_state.get("last_runs")
        if previous is None:
            st.stop()
        edited_runs, base_runs = previous
    else:
        edited_runs, base_runs = _progress_runs(edited, base, seed, reps)
        st.session_state["last_runs"] = (edited_runs, base_runs)
        seconds = edited_runs.seconds + (base_runs.seconds if differs else 0.0)
        st.caption(
            f"Simulated in {seconds:.1f} s" if seconds > 0 else "From the cache (instant)",
        )
    differs = edited_runs.scenario != base_runs.scenario
    _metrics(edited_runs, base_runs, differs)
    tab_charts, tab_compare, tab_export, tab_exp = st.tabs(
        ["Charts", "Compare with base", "Export", "Experiments & equilibrium"]
    )
    with tab_charts:
        _charts_tab(edited_runs, base_runs, differs)
    with tab_compare:
        _compare_tab(edited_runs, base_runs, differs)
    with tab_export:
        _export_tab(edited_runs)
    with tab_exp:
        _experiment_tab(base, policy)


main()
