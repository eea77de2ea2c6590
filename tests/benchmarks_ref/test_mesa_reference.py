"""The Mesa reference model (benchmarks/mesa_reference) against wakusim.

The reference is an independent per-agent reimplementation of the same rules;
it draws different random numbers, so the two agree in distribution only. The
main test runs both on the history scenario (small population, short warm-up,
the full 2019-2026 calendar) over several seeds each and requires the mean mode
shares at the report's key months to agree within sampling error:

    |mean_mesa - mean_wakusim| < Z * sqrt(se_mesa**2 + se_wakusim**2) + FLOOR

with ``se`` the standard error of the mean across seeds. Most of the spread
between runs comes from company-level events (30 companies: acceptance
decisions, inspections, suspensions), which does not shrink with the
population, so with 8 seeds the test catches gross departures from the rules
(it would not see, e.g., a partner commission of 0.80 instead of 0.75).
``WAKUSIM_MESA_SEEDS=40`` runs a longer, sharper comparison.
"""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import wakusim  # noqa: E402
from benchmarks.mesa_reference import Company, Individual, WakuModel, run_reference  # noqa: E402
from benchmarks.mesa_reference.agents import certainty_equivalent  # noqa: E402
from wakusim.core import decisions  # noqa: E402

SIZE = 2000
WARMUP = 12
SEEDS = int(os.environ.get("WAKUSIM_MESA_SEEDS", "8"))
MONTHS = ["2019-12", "2021-06", "2023-12", "2025-03"]
SHARES = ["share_outside", "share_smuggler", "share_partner", "share_member"]
Z = 4.0
FLOOR = 0.01


def _scenario(size: int = SIZE, **overrides: object) -> wakusim.Scenario:
    return wakusim.load_scenario(
        "history", {"population.size": size, "warmup_months": WARMUP, **overrides}
    )


def _summary(frames: list[pd.DataFrame]) -> tuple[np.ndarray, np.ndarray]:
    values = np.stack([f.loc[MONTHS, SHARES].to_numpy(dtype=float) for f in frames])
    return values.mean(axis=0), values.std(axis=0, ddof=1) / math.sqrt(len(frames))


def test_one_object_per_agent_and_contacts() -> None:
    sc = _scenario(size=200)
    model = WakuModel(sc, seed=3)
    assert len(model.agents_by_type[Individual]) == 200
    assert len(model.agents_by_type[Company]) == sc.companies.count
    assert len(model.agents) == 200 + sc.companies.count
    for person in model.agents_by_type[Individual]:
        assert len(person.contacts) == sc.population.contacts.degree
        assert person not in person.contacts
    slots = sum(c.member_slots for c in model.agents_by_type[Company])
    assert slots == round(sc.companies.member_slots_per_1000 * 200 / 1000)


def test_certainty_equivalent_matches_the_vectorised_formula() -> None:
    rng = np.random.default_rng(0)
    x_ok = rng.uniform(100, 1e5, 200)
    x_bad = rng.uniform(1, 1e5, 200)
    p = rng.uniform(0, 1, 200)
    gamma = np.concatenate([rng.uniform(0.2, 8.0, 199), [1.0]])
    expected = decisions.certainty_equivalent(x_ok, x_bad, p, gamma)
    got = [certainty_equivalent(*args) for args in zip(x_ok, x_bad, p, gamma, strict=True)]
    np.testing.assert_allclose(got, expected, rtol=1e-10)


def test_same_seed_same_run() -> None:
    sc = _scenario(size=300, end="2019-12")
    a, b = run_reference(sc, seed=5), run_reference(sc, seed=5)
    pd.testing.assert_frame_equal(a, b)


@pytest.fixture(scope="module")
def runs() -> tuple[list[pd.DataFrame], list[pd.DataFrame]]:
    sc = _scenario()
    mesa_runs = [run_reference(sc, seed=1000 + s) for s in range(SEEDS)]
    waku_runs = [wakusim.simulate(sc, rng=2000 + s).timeseries for s in range(SEEDS)]
    return mesa_runs, waku_runs


def test_mode_shares_agree_within_sampling_error(
    runs: tuple[list[pd.DataFrame], list[pd.DataFrame]],
) -> None:
    mesa_runs, waku_runs = runs
    mean_m, se_m = _summary(mesa_runs)
    mean_w, se_w = _summary(waku_runs)
    tolerance = Z * np.sqrt(se_m**2 + se_w**2) + FLOOR
    diff = mean_m - mean_w
    table = pd.DataFrame(
        {
            "month": np.repeat(MONTHS, len(SHARES)),
            "share": SHARES * len(MONTHS),
            "mesa": mean_m.ravel(),
            "wakusim": mean_w.ravel(),
            "diff": diff.ravel(),
            "tolerance": tolerance.ravel(),
        }
    )
    print("\n" + table.round(4).to_string(index=False))
    bad = table[np.abs(table["diff"]) >= table["tolerance"]]
    assert bad.empty, f"Mesa reference and wakusim disagree:\n{bad.round(4).to_string()}"


def test_the_patterns_show_in_the_reference(
    runs: tuple[list[pd.DataFrame], list[pd.DataFrame]],
) -> None:
    mesa_runs, _ = runs
    mean = sum(f[SHARES + ["n_detained"]] for f in mesa_runs) / len(mesa_runs)
    # P1: smuggling gone after the closure; P2: partners give way to members.
    assert mean.loc["2019-12", "share_smuggler"] > 0.03
    assert mean.loc["2021-06", "share_smuggler"] < 0.005
    assert mean.loc["2023-12", "share_partner"] > mean.loc["2023-12", "share_member"]
    assert mean.loc["2025-03", "share_member"] > mean.loc["2025-03", "share_partner"]
