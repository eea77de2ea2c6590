"""The summary of a run at the scenario's key dates, as a tidy table."""

from __future__ import annotations

import pandas as pd

from wakusim.outputs.results import SimulationResult

MODE_ROWS = [
    ("outside %", "share_outside", 100.0),
    ("smuggler %", "share_smuggler", 100.0),
    ("partner %", "share_partner", 100.0),
    ("member %", "share_member", 100.0),
    ("detained", "n_detained", 1.0),
]
FLOW_ROWS = [
    ("arrests, smugglers*", "arrests_smuggler", 1.0),
    ("arrests, partners*", "arrests_partner", 1.0),
    ("arrests, members*", "arrests_member", 1.0),
    ("revenue, FX kCNY*", "revenue_surrender", 1e-3),
    ("revenue, fines kCNY*", "revenue_fines", 1e-3),
    ("revenue, goods kCNY*", "revenue_confiscation", 1e-3),
    ("revenue, loyalty kCNY*", "revenue_loyalty", 1e-3),
]
LEVEL_ROWS = [
    ("imports MCNY/mo", "volume_total", 1e-6),
    ("via companies MCNY/mo", "volume_company", 1e-6),
    ("sale value /yuan", "price", 1.0),
]
FOOTNOTE = "* total over the 12 months up to the date; other rows: the month itself"


def summary_table(result: SimulationResult) -> pd.DataFrame:
    """Key figures at each key date of the scenario.

    Shares and levels are those of the key month; arrests and revenue are
    totals over the twelve months up to and including it.
    """
    ts = result.timeseries
    columns = {}
    for label, month in result.scenario.report.key_dates.items():
        key = month[:7]
        if key not in ts.index:
            continue
        pos = ts.index.get_loc(key)
        window = ts.iloc[max(0, pos - 11) : pos + 1]
        values = {}
        for name, col, scale in MODE_ROWS + LEVEL_ROWS:
            values[name] = ts.loc[key, col] * scale
        for name, col, scale in FLOW_ROWS:
            values[name] = window[col].sum() * scale
        columns[f"{label} {key}"] = values
    order = [r[0] for r in MODE_ROWS + FLOW_ROWS + LEVEL_ROWS]
    return pd.DataFrame(columns).reindex(order)
