"""Altair charts of the dashboard: time series with bands and event markers, bars, comparisons.

Every function takes :class:`~wakusim.interfaces.dashboard.runs.RunSet` objects
and returns an Altair chart; nothing here needs Streamlit running.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from wakusim.interfaces.dashboard.runs import RunSet, after_month

MODE_COLOURS = {
    "smuggler": "#d62728",
    "partner": "#ff7f0e",
    "member": "#1f77b4",
    "outside": "#9e9e9e",
}
HEIGHT = 260

SERIES: dict[str, dict[str, tuple[str, float]]] = {
    # chart name -> {legend label: (column, scale)}
    "modes": {
        "smuggler": ("share_smuggler", 100.0),
        "partner": ("share_partner", 100.0),
        "member": ("share_member", 100.0),
    },
    "arrests": {
        "smugglers": ("arrests_smuggler", 1.0),
        "partners": ("arrests_partner", 1.0),
        "members": ("arrests_member", 1.0),
    },
    "volume": {
        "smuggling": ("volume_smuggling", 1e-6),
        "partners": ("volume_partner", 1e-6),
        "members": ("volume_member", 1e-6),
        "companies' own funds": ("volume_company_own", 1e-6),
    },
    "price": {"sale value per yuan": ("price", 1.0)},
    "revenue": {
        "foreign currency surrendered": ("revenue_surrender", 1e-3),
        "fines": ("revenue_fines", 1e-3),
        "confiscated goods": ("revenue_confiscation", 1e-3),
        "loyalty funds": ("revenue_loyalty", 1e-3),
    },
}

COMPARABLE: dict[str, tuple[str, float, str]] = {
    # label -> (column, scale, unit)
    "Partners": ("share_partner", 100.0, "% of free individuals"),
    "Members": ("share_member", 100.0, "% of free individuals"),
    "Smugglers": ("share_smuggler", 100.0, "% of free individuals"),
    "Outside import trade": ("share_outside", 100.0, "% of free individuals"),
    "Partner arrests": ("arrests_partner", 1.0, "per month"),
    "Smuggler arrests": ("arrests_smuggler", 1.0, "per month"),
    "Imports, total": ("volume_total", 1e-6, "million CNY/month"),
    "Imports via companies": ("volume_company", 1e-6, "million CNY/month"),
    "Sale value per yuan": ("price", 1.0, "CNY per yuan of cost"),
    "State revenue, total": ("revenue_total", 1e-3, "thousand CNY/month"),
    "Inspection rate in force": ("policy.enforcement.inspection_rate", 1.0, "/month"),
}


def _dates(index: pd.Index) -> pd.DatetimeIndex:
    return pd.to_datetime(index.astype(str), format="%Y-%m")


def long_series(runs: RunSet, series: dict[str, tuple[str, float]]) -> pd.DataFrame:
    """Return ``date, series, value, low, high`` rows (mean and min–max over replications)."""
    mean, low, high = runs.mean, runs.low, runs.high
    dates = _dates(mean.index)
    parts = []
    for name, (column, scale) in series.items():
        parts.append(
            pd.DataFrame(
                {
                    "date": dates,
                    "series": name,
                    "value": mean[column].to_numpy() * scale,
                    "low": low[column].to_numpy() * scale,
                    "high": high[column].to_numpy() * scale,
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def event_layer(markers: list[tuple[str, str]], labels: bool = True) -> alt.Chart:
    """Dashed vertical rules (and labels) at the timeline's events."""
    frame = pd.DataFrame(
        {
            "date": pd.to_datetime([f"{m}-01" for m, _ in markers]),
            "event": [label for _, label in markers],
            "ypos": [4 + 12 * (i % 3) for i in range(len(markers))],
        }
    )
    base = alt.Chart(frame)
    rules = base.mark_rule(strokeDash=[4, 3], color="#555555", opacity=0.7).encode(
        x="date:T", tooltip=["event:N", alt.Tooltip("date:T", format="%Y-%m")]
    )
    if not labels:
        return rules
    text = base.mark_text(
        align="left", baseline="top", dx=3, dy=2, fontSize=9, angle=0, color="#333333"
    ).encode(x="date:T", y=alt.Y("ypos:Q", scale=None), text="event:N")
    return rules + text


def time_chart(
    runs: RunSet,
    name: str,
    title: str,
    y_title: str,
    colours: dict[str, str] | None = None,
    stacked: bool = False,
    labels: bool = False,
) -> alt.LayerChart:
    """Lines (or stacked areas) of one chart of :data:`SERIES`, with bands and event rules."""
    data = long_series(runs, SERIES[name])
    domain = list(SERIES[name])
    colour = alt.Color(
        "series:N",
        title=None,
        scale=(
            alt.Scale(domain=domain, range=[colours[d] for d in domain])
            if colours
            else alt.Undefined
        ),
        legend=alt.Legend(orient="bottom"),
        sort=domain,
    )
    base = alt.Chart(data).encode(x=alt.X("date:T", title=None), color=colour)
    tooltip = [
        "series:N",
        alt.Tooltip("date:T", format="%Y-%m"),
        alt.Tooltip("value:Q", format=",.3~f"),
    ]
    if stacked:
        layers = [
            base.mark_area(opacity=0.85).encode(
                y=alt.Y("value:Q", title=y_title, stack="zero"), tooltip=tooltip
            )
        ]
    else:
        layers = []
        if runs.replications > 1:
            layers.append(base.mark_area(opacity=0.18).encode(y="low:Q", y2="high:Q"))
        layers.append(
            base.mark_line(strokeWidth=1.8).encode(
                y=alt.Y("value:Q", title=y_title), tooltip=tooltip
            )
        )
    layers.append(event_layer(runs.markers, labels=labels))
    return alt.layer(*layers).properties(title=title, height=HEIGHT)


def modes_chart(runs: RunSet) -> alt.LayerChart:
    """Mode shares of free individuals over time, events marked and labelled."""
    return time_chart(
        runs,
        "modes",
        "Modes of free individuals",
        "% of free individuals",
        colours=MODE_COLOURS,
        labels=True,
    )


def arrests_chart(runs: RunSet) -> alt.LayerChart:
    """Arrests per month by channel."""
    colours = {"smugglers": "#d62728", "partners": "#ff7f0e", "members": "#1f77b4"}
    return time_chart(runs, "arrests", "Arrests by channel", "arrests per month", colours)


def volume_chart(runs: RunSet) -> alt.LayerChart:
    """Import volume by channel (stacked)."""
    colours = {
        "smuggling": "#d62728",
        "partners": "#ff7f0e",
        "members": "#1f77b4",
        "companies' own funds": "#2ca02c",
    }
    return time_chart(
        runs, "volume", "Import volume by channel", "million CNY/month", colours, stacked=True
    )


def price_chart(runs: RunSet) -> alt.LayerChart:
    """Sale value per yuan of import cost, with the 2019 reference."""
    chart = time_chart(
        runs,
        "price",
        "Price: sale value per yuan of import cost",
        "CNY per yuan",
        {"sale value per yuan": "#000000"},
    )
    ref = (
        alt.Chart(pd.DataFrame({"ref": [runs.scenario.market.price_ref]}))
        .mark_rule(color="grey", strokeDash=[2, 2])
        .encode(y="ref:Q")
    )
    return alt.layer(chart, ref)


def revenue_chart(runs: RunSet) -> alt.LayerChart:
    """State revenue by source (stacked)."""
    colours = {
        "foreign currency surrendered": "#1f77b4",
        "fines": "#d62728",
        "confiscated goods": "#9467bd",
        "loyalty funds": "#8c564b",
    }
    return time_chart(
        runs, "revenue", "State revenue by source", "thousand CNY/month", colours, stacked=True
    )


def member_wealth_frame(runs: RunSet, base: RunSet | None = None) -> pd.DataFrame:
    """Member share by wealth decile before and after the crackdown (and the base's after)."""
    rows = []
    sets = [("edited", runs)] + ([("base", base)] if base is not None else [])
    for name, rs in sets:
        mean = rs.mean
        cols = sorted(c for c in mean.columns if c.startswith("member_share_d"))
        for which in ("before", "after"):
            if name == "base" and which == "before":
                continue
            month = after_month(rs.scenario, mean, which)
            label = f"{which} crackdown ({month})" + (", base" if name == "base" else "")
            for i, col in enumerate(cols, start=1):
                rows.append({"decile": f"D{i}", "when": label, "share": 100 * mean.loc[month, col]})
    return pd.DataFrame(rows)


def member_wealth_chart(runs: RunSet, base: RunSet | None = None) -> alt.Chart:
    """Draw grouped bars: % members in each wealth decile, before vs after the crackdown."""
    data = member_wealth_frame(runs, base)
    order = list(dict.fromkeys(data["when"]))
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X(
                "decile:N",
                title="wealth decile of free individuals (D1 poorest)",
                sort=None,
                axis=alt.Axis(labelAngle=0),
            ),
            xOffset=alt.XOffset("when:N", sort=order),
            y=alt.Y("share:Q", title="% who are members"),
            color=alt.Color(
                "when:N",
                title=None,
                legend=alt.Legend(orient="top-left", direction="vertical", labelLimit=300),
                sort=order,
            ),
            tooltip=["decile:N", "when:N", alt.Tooltip("share:Q", format=".2f")],
        )
        .properties(title="Who joins trading companies", height=HEIGHT)
    )


def comparison_frame(
    edited: RunSet, base: RunSet, label: str, difference: bool = False
) -> pd.DataFrame:
    """Rows ``date, scenario, value, low, high`` of one observable for edited and base.

    With ``difference``, one ``edited − base`` series; its band is the min–max of
    the paired differences (replication i of each uses the same seed).
    """
    column, scale, _unit = COMPARABLE[label]
    dates = _dates(edited.mean.index)
    if difference:
        pairs = [
            (e[column].astype(float).to_numpy() - b[column].astype(float).to_numpy()) * scale
            for e, b in zip(edited.frames, base.frames, strict=True)
        ]
        stack = pd.DataFrame(pairs)
        return pd.DataFrame(
            {
                "date": dates,
                "scenario": "edited − base",
                "value": stack.mean().to_numpy(),
                "low": stack.min().to_numpy(),
                "high": stack.max().to_numpy(),
            }
        )
    parts = []
    for name, rs in (("edited", edited), ("base", base)):
        parts.append(
            pd.DataFrame(
                {
                    "date": dates,
                    "scenario": name,
                    "value": rs.mean[column].to_numpy() * scale,
                    "low": rs.low[column].to_numpy() * scale,
                    "high": rs.high[column].to_numpy() * scale,
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def comparison_chart(
    edited: RunSet, base: RunSet, label: str, difference: bool = False
) -> alt.LayerChart:
    """Draw the edited scenario against its base for one observable, with replication bands."""
    data = comparison_frame(edited, base, label, difference)
    _column, _scale, unit = COMPARABLE[label]
    domain = ["edited − base"] if difference else ["edited", "base"]
    colour = alt.Color(
        "scenario:N",
        title=None,
        scale=alt.Scale(domain=domain, range=["#6a3d9a", "#7f7f7f"][: len(domain)]),
        legend=alt.Legend(orient="bottom"),
    )
    base_chart = alt.Chart(data).encode(x=alt.X("date:T", title=None), color=colour)
    layers = []
    if edited.replications > 1:
        layers.append(base_chart.mark_area(opacity=0.2).encode(y="low:Q", y2="high:Q"))
    layers.append(
        base_chart.mark_line(strokeWidth=2).encode(
            y=alt.Y("value:Q", title=("difference, " if difference else "") + unit),
            strokeDash=alt.StrokeDash("scenario:N", legend=None),
            tooltip=[
                "scenario:N",
                alt.Tooltip("date:T", format="%Y-%m"),
                alt.Tooltip("value:Q", format=",.3~f"),
            ],
        )
    )
    if difference:
        layers.append(
            alt.Chart(pd.DataFrame({"zero": [0]})).mark_rule(color="black").encode(y="zero:Q")
        )
    layers.append(event_layer(edited.markers, labels=False))
    title = f"{label}: " + ("edited minus base" if difference else "edited vs base")
    return alt.layer(*layers).properties(title=title, height=HEIGHT + 40)
