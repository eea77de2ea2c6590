"""Pattern results P1-P6 on a scenario, as means over seeds (for reports; not a test).

Usage::

    python benchmarks/pattern_summary.py                 # seeds 11-15, history vs no-crackdown
    python benchmarks/pattern_summary.py --seeds 1 2 3 4 5 6 7 8 9 10
"""

from __future__ import annotations

import argparse

import pandas as pd

import wakusim


def metrics(h: pd.DataFrame, n: pd.DataFrame, before: str, after: str) -> dict[str, float]:
    post = h.loc["2020-02":]
    w = slice("2024-06", "2025-12")
    return {
        "P1 smugglers % 2019-12": 100 * h.loc["2019-12", "share_smuggler"],
        "P1 smugglers % 2020-07 (6 months after closure)": 100 * h.loc["2020-07", "share_smuggler"],
        "P1 min partner+member % while closed": 100
        * (
            h.loc["2020-02":"2023-07", "share_partner"] + h.loc["2020-02":"2023-07", "share_member"]
        ).min(),
        f"P2 partners % {before}": 100 * h.loc[before, "share_partner"],
        f"P2 members % {before}": 100 * h.loc[before, "share_member"],
        f"P2 partners % {after}": 100 * h.loc[after, "share_partner"],
        f"P2 members % {after}": 100 * h.loc[after, "share_member"],
        f"P3 member % poorest decile {after}": 100 * h.loc[after, "member_share_d01"],
        f"P3 member % 9th decile {after}": 100 * h.loc[after, "member_share_d09"],
        f"P3 member % richest decile {after}": 100 * h.loc[after, "member_share_d10"],
        "P4 partner return/yuan/month if not caught": post["return_uncaught_partner"].mean(),
        "P4 member return/yuan/month if not caught": post["return_uncaught_member"].mean(),
        "P4 partner sd of return": post["return_sd_partner"].mean(),
        "P4 member sd of return": post["return_sd_member"].mean(),
        f"P5 richest decile not members % {after}": 100 * (1 - h.loc[after, "member_share_d10"]),
        "P6 company imports M CNY/mo 2024-06..2025-12, history": h.loc[w, "volume_company"].mean()
        / 1e6,
        "P6 company imports M CNY/mo 2024-06..2025-12, no crackdown": n.loc[
            w, "volume_company"
        ].mean()
        / 1e6,
        "P6 price 2024-06..2025-12, history": h.loc[w, "price"].mean(),
        "P6 price 2024-06..2025-12, no crackdown": n.loc[w, "price"].mean(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[11, 12, 13, 14, 15])
    args = parser.parse_args()
    history = wakusim.load_scenario("history")
    counter = wakusim.load_scenario("no-crackdown")
    before, after = history.report.before_crackdown, history.report.after_crackdown
    rows = []
    for seed in args.seeds:
        h = wakusim.simulate(history, rng=seed).timeseries
        n = wakusim.simulate(counter, rng=seed).timeseries
        rows.append(metrics(h, n, before, after))
    table = pd.DataFrame(rows, index=args.seeds).T
    table["mean"] = table.mean(axis=1)
    table["min"] = table.iloc[:, :-1].min(axis=1)
    table["max"] = table.iloc[:, :-2].max(axis=1)
    with pd.option_context("display.width", 200, "display.max_colwidth", 60):
        print(table[["mean", "min", "max"]].round(3).to_string())


if __name__ == "__main__":
    main()
