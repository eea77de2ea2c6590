"""Reproducibility: one rng argument, the same seed gives the same numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import wakusim


@pytest.fixture(scope="module")
def small() -> wakusim.Scenario:
    return wakusim.load_scenario("history", {"population.size": 2000, "warmup_months": 6})


def test_same_seed_same_timeseries(small):
    a = wakusim.simulate(small, rng=7).timeseries
    b = wakusim.simulate(small, rng=7).timeseries
    pd.testing.assert_frame_equal(a, b, check_exact=True)


def test_different_seeds_differ(small):
    a = wakusim.simulate(small, rng=7).timeseries
    b = wakusim.simulate(small, rng=8).timeseries
    assert not a["share_partner"].equals(b["share_partner"])


def test_int_seedsequence_and_generator_agree(small):
    by_int = wakusim.simulate(small, rng=7).timeseries
    by_seq = wakusim.simulate(small, rng=np.random.SeedSequence(7)).timeseries
    by_gen = wakusim.simulate(small, rng=np.random.default_rng(7)).timeseries
    pd.testing.assert_frame_equal(by_int, by_seq, check_exact=True)
    pd.testing.assert_frame_equal(by_int, by_gen, check_exact=True)


def test_spawned_child_rerun_alone_from_manifest(small):
    root = np.random.SeedSequence(2024)
    children = root.spawn(3)
    result = wakusim.simulate(small, rng=children[2])
    seed = result.manifest["seed"]
    assert seed["spawn_key"] == [2]
    again = np.random.SeedSequence(int(seed["entropy"]), spawn_key=tuple(seed["spawn_key"]))
    rerun = wakusim.simulate(small, rng=again)
    pd.testing.assert_frame_equal(result.timeseries, rerun.timeseries, check_exact=True)


def test_scenario_seed_used_when_rng_is_none():
    sc = wakusim.load_scenario(
        "history", {"population.size": 500, "warmup_months": 0, "seed": 99, "end": "2019-06"}
    )
    a = wakusim.simulate(sc).timeseries
    b = wakusim.simulate(sc, rng=99).timeseries
    pd.testing.assert_frame_equal(a, b, check_exact=True)


def test_fresh_entropy_is_recorded_and_reproduces():
    sc = wakusim.load_scenario(
        "history", {"population.size": 500, "warmup_months": 0, "end": "2019-06"}
    )
    first = wakusim.simulate(sc)
    entropy = int(first.manifest["seed"]["entropy"])
    again = wakusim.simulate(sc, rng=np.random.SeedSequence(entropy))
    pd.testing.assert_frame_equal(first.timeseries, again.timeseries, check_exact=True)


def test_no_global_random_state_used(small):
    np.random.seed(1)  # noqa: NPY002 - the point of the test
    a = wakusim.simulate(small, rng=3).timeseries
    np.random.seed(2)  # noqa: NPY002
    b = wakusim.simulate(small, rng=3).timeseries
    pd.testing.assert_frame_equal(a, b, check_exact=True)


def test_bad_rng_type_is_rejected(small):
    with pytest.raises(TypeError, match="rng must be"):
        wakusim.simulate(small, rng="seven")


@pytest.mark.parametrize(
    ("size", "months"),
    [
        (70_000, "2019-04"),  # above the size from which the kernels use threads
        (600_000, "2019-02"),  # above the size from which the record uses threads of its own
    ],
)
def test_same_numbers_on_any_number_of_threads(tmp_path, size, months):
    """The compiled loops give the same run on 1, 2 and 3 threads: records and final state.

    Three threads split the blocks of rows otherwise than one or two (numba allows
    more threads than cores, so this holds on a 2-core machine too).
    """
    import os
    import subprocess
    import sys

    script = (
        "import sys, hashlib, numpy as np, pandas as pd, wakusim\n"
        "from wakusim.core.engine import run\n"
        f"sc = wakusim.load_scenario('history', {{'population.size': {size},"
        f" 'warmup_months': 0, 'end': '{months}'}})\n"
        "out = run(sc, rng=5, keep_state=True)\n"
        "pop = out.final_state.population\n"
        "h = hashlib.sha256()\n"
        "for a in (pop.wealth, pop.income, pop.mode, pop.company, pop.belief,"
        " pop.belief_weight, pop.detention_left, pop.must_revise):\n"
        "    h.update(np.ascontiguousarray(a).tobytes())\n"
        "frame = pd.DataFrame(out.records)\n"
        "frame['state'] = h.hexdigest()\n"
        "frame.to_parquet(sys.argv[1])\n"
    )
    frames = []
    for threads in ("1", "2", "3"):
        out = tmp_path / f"threads-{threads}.parquet"
        env = {**os.environ, "NUMBA_NUM_THREADS": threads}
        subprocess.run([sys.executable, "-c", script, str(out)], check=True, env=env)
        frames.append(pd.read_parquet(out))
    for other in frames[1:]:
        pd.testing.assert_frame_equal(frames[0], other, check_exact=True)
