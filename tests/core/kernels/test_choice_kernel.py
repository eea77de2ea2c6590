"""The compiled choice loops agree exactly with the array formulation of the decision model."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from wakusim.core.decisions import choice_probabilities, draw_choices, margin_shares, mode_values
from wakusim.core.kernels import BLOCK, threads_at_every_size
from wakusim.core.kernels import choice as kernel
from wakusim.core.policy import Policy
from wakusim.core.processes.choice import (
    choice_parameters,
    forced_revisions,
    punishment_by_mode,
)
from wakusim.core.state import DETAINED, MEMBER, NO_COMPANY, OUTSIDE, PARTNER, SMUGGLER
from wakusim.scenarios.loader import load_scenario


def _population(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    gamma = rng.choice([0.5, 1.0, 1.0 + 5e-10, 2.0, 3.7], size=n)
    return {
        "wealth": rng.lognormal(9.0, 1.5, n),
        "gamma": gamma,
        "org": rng.lognormal(5.7, 1.0, n),
        "bs": rng.beta(1.0, 8.0, n),
        "bp": rng.beta(1.0, 8.0, n),
        "mode": rng.integers(0, 4, n).astype(np.int8),
        "company": rng.integers(-1, 3, n).astype(np.int32),
    }


def _same_array(got: np.ndarray, want: np.ndarray) -> None:
    np.testing.assert_array_equal(got, want)
    assert got.dtype == want.dtype


def _reference(pop, idx, feasible, uniforms, margin, policy, scenario):
    values = mode_values(
        pop["wealth"][idx],
        pop["gamma"][idx],
        pop["org"][idx],
        pop["bs"][idx],
        pop["bp"][idx],
        margin,
        policy,
        scenario,
    )
    probs = choice_probabilities(values, feasible, scenario.preferences.choice_noise)
    return probs, draw_choices(probs, uniforms)


def _kernel(pop, idx, uniforms, margin, policy, scenario, smuggling, partners, posts, threads=True):
    compiled = kernel.choose_modes.parallel if threads else kernel.choose_modes.serial
    return compiled(
        idx,
        pop["wealth"],
        pop["gamma"],
        pop["org"],
        pop["bs"],
        pop["bp"],
        pop["mode"][idx],
        pop["company"][idx],
        uniforms,
        choice_parameters(margin, policy, scenario),
        margin_shares(policy, scenario),
        *punishment_by_mode(policy, scenario),
        smuggling,
        partners,
        posts,
    )


def _feasible(pop, idx, scenario, smuggling, partners, posts):
    w = pop["wealth"][idx]
    keeps = (pop["mode"][idx] == MEMBER) & (pop["company"][idx] >= 0)
    feasible = np.zeros((idx.size, 4), dtype=bool)
    feasible[:, OUTSIDE] = True
    feasible[:, SMUGGLER] = smuggling
    feasible[:, PARTNER] = partners & (w >= scenario.companies.partner_min_capital)
    feasible[:, MEMBER] = (w >= scenario.companies.member_min_capital) & (keeps | posts)
    return feasible


@pytest.mark.parametrize("margin", [-2.0, -0.3, 0.0, 0.6, 1.4])
@pytest.mark.parametrize("flags", list(itertools.product([False, True], repeat=3)))
def test_choose_modes_equals_the_array_formulation(margin, flags):
    smuggling, partners, posts = flags
    rng = np.random.default_rng(abs(hash((margin, flags))) % 2**32)
    scenario = load_scenario(
        "history",
        {"population.size": 10, "preferences.choice_noise": 0.02, "state.inminban_fee": 2000.0},
    )
    policy = Policy(scenario.border, scenario.enforcement, scenario.state)
    pop = _population(3000, rng)
    idx = np.sort(rng.choice(3000, size=2000, replace=False))
    feasible = _feasible(pop, idx, scenario, smuggling, partners, posts)
    uniforms = rng.random(idx.size)
    probs, expected = _reference(pop, idx, feasible, uniforms, margin, policy, scenario)
    for threads in (True, False):
        got = _kernel(
            pop, idx, uniforms, margin, policy, scenario, smuggling, partners, posts, threads
        )
        np.testing.assert_array_equal(got, expected)
    # Uniforms exactly on the cumulative probabilities: ties must go the same way.
    cum = np.cumsum(probs, axis=1)
    for col in range(3):
        edge = np.minimum(cum[:, col], np.nextafter(1.0, 0.0))
        _, expected = _reference(pop, idx, feasible, edge, margin, policy, scenario)
        got = _kernel(pop, idx, edge, margin, policy, scenario, smuggling, partners, posts)
        np.testing.assert_array_equal(got, expected)


def _estimate_flags(pop, idx, uniforms, margin, policy, scenario, flags):
    """The estimated choices and the flags of revisers the estimate cannot decide."""
    smuggling, partners, posts = flags
    out = np.empty(idx.size, dtype=np.int8)
    unsure = np.empty(idx.size, dtype=bool)
    kernel._estimate_block(
        out,
        unsure,
        pop["wealth"][idx],
        pop["gamma"][idx],
        pop["org"][idx],
        pop["bs"][idx],
        pop["bp"][idx],
        (pop["mode"][idx] == MEMBER) & (pop["company"][idx] >= 0),
        uniforms,
        choice_parameters(margin, policy, scenario),
        np.stack([margin_shares(policy, scenario), *punishment_by_mode(policy, scenario)]),
        smuggling,
        partners,
        posts,
    )
    return out, unsure


@pytest.mark.parametrize("margin", [-0.3, 0.6])
@pytest.mark.parametrize("flags", [(True, True, True), (True, False, True), (False, True, False)])
def test_estimates_flag_every_draw_near_a_boundary(margin, flags):
    """Draws on, or a few ulp or 1e-13 from, a cumulative probability are valued again."""
    rng = np.random.default_rng(7)
    scenario = load_scenario("history", {"population.size": 10})
    policy = Policy(scenario.border, scenario.enforcement, scenario.state)
    pop = _population(4000, rng)
    pop["gamma"] = rng.uniform(0.3, 6.0, 4000)  # away from log utility
    idx = np.arange(4000)
    feasible = _feasible(pop, idx, scenario, *flags)
    probs, _ = _reference(pop, idx, feasible, rng.random(idx.size), margin, policy, scenario)
    cum = np.cumsum(probs, axis=1)
    for col in range(3):
        for shift in (0.0, -1e-13, 1e-13):
            edge = np.clip(cum[:, col] + shift, 0.0, np.nextafter(1.0, 0.0))
            for ulps in (-2, 0, 2):
                u = edge + ulps * np.spacing(edge)
                u = np.clip(u, 0.0, np.nextafter(1.0, 0.0))
                _, unsure = _estimate_flags(pop, idx, u, margin, policy, scenario, flags)
                assert unsure.all()
                _, expected = _reference(pop, idx, feasible, u, margin, policy, scenario)
                got = _kernel(pop, idx, u, margin, policy, scenario, *flags)
                np.testing.assert_array_equal(got, expected)


def test_estimates_decide_almost_every_draw():
    """Away from log utility, the estimate decides all but a few revisers in a million."""
    rng = np.random.default_rng(8)
    scenario = load_scenario("history", {"population.size": 10})
    policy = Policy(scenario.border, scenario.enforcement, scenario.state)
    n = 200_000
    pop = _population(n, rng)
    pop["gamma"] = np.where(
        np.arange(n) < 1000, 1.0 + rng.uniform(-5e-10, 5e-10, n), rng.uniform(0.2, 8.0, n)
    )
    idx = np.arange(n)
    flags = (True, True, True)
    u = rng.random(n)
    estimated, unsure = _estimate_flags(pop, idx, u, 0.6, policy, scenario, flags)
    assert unsure[:1000].all()  # log utility: always valued exactly
    assert unsure[1000:].sum() <= 10
    feasible = _feasible(pop, idx, scenario, *flags)
    _, expected = _reference(pop, idx, feasible, u, 0.6, policy, scenario)
    np.testing.assert_array_equal(estimated[~unsure], expected[~unsure])
    np.testing.assert_array_equal(_kernel(pop, idx, u, 0.6, policy, scenario, *flags), expected)


def test_estimates_leave_unusual_revisers_to_the_exact_valuation():
    """Wealth at zero is valued exactly; with outcomes at a tiny floor, sure arrests: same modes."""
    rng = np.random.default_rng(9)
    scenario = load_scenario("history", {"population.size": 10, "preferences.ruin_floor": 1e-12})
    policy = Policy(scenario.border, scenario.enforcement, scenario.state)
    pop = _population(3000, rng)
    pop["wealth"][:100] = 0.0
    pop["wealth"][100:200] = rng.uniform(0.0, 50.0, 100)  # outcomes at the floor
    pop["bs"][200:300] = 1.0
    idx = np.arange(3000)
    u = rng.random(idx.size)
    flags = (True, True, True)
    _, unsure = _estimate_flags(pop, idx, u, 0.6, policy, scenario, flags)
    assert unsure[:100].all()
    feasible = _feasible(pop, idx, scenario, *flags)
    with np.errstate(all="ignore"):
        _, expected = _reference(pop, idx, feasible, u, 0.6, policy, scenario)
    got = _kernel(pop, idx, u, 0.6, policy, scenario, *flags)
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("threads", [True, False])
def test_revisers_who_can_only_stay_outside_stay_outside(threads):
    """Not valued, they get what the exact valuation draws, whatever their values."""
    rng = np.random.default_rng(13)
    scenario = load_scenario("history", {"population.size": 10})
    policy = Policy(scenario.border, scenario.enforcement, scenario.state)
    pop = _population(5000, rng)
    extreme = [0.0, -5.0, np.inf, np.nan, 1e-300, 5.0, 19_999.0, 20_000.0, 1e300]
    pop["wealth"][: len(extreme)] = extreme
    pop["gamma"][len(extreme) : 2 * len(extreme)] = np.nan
    idx = np.arange(5000)
    u = rng.random(idx.size)
    u[:2] = [0.0, np.nextafter(1.0, 0.0)]
    margin = 0.6
    params = choice_parameters(margin, policy, scenario)
    fines, detention = punishment_by_mode(policy, scenario)
    by_mode = np.array([margin_shares(policy, scenario), fines, detention])
    flags = (False, True, False)  # partnering only, from 20,000 CNY: most revisers are poor
    with np.errstate(all="ignore"):
        expected = np.array(
            [
                kernel._choose_one(
                    pop["wealth"][j],
                    pop["gamma"][j],
                    pop["org"][j],
                    pop["bs"][j],
                    pop["bp"][j],
                    (pop["mode"][j] == MEMBER) & (pop["company"][j] >= 0),
                    u[j],
                    params,
                    by_mode,
                    *flags,
                )
                for j in idx
            ]
        )
    only_outside = ~(pop["wealth"] >= scenario.companies.partner_min_capital)
    assert 0.5 < only_outside.mean() < 0.9
    assert (expected[only_outside] == OUTSIDE).all()
    got = _kernel(pop, idx, u, margin, policy, scenario, *flags, threads)
    np.testing.assert_array_equal(got, expected)


def test_choose_modes_on_no_revisers():
    scenario = load_scenario("history", {"population.size": 10})
    policy = Policy(scenario.border, scenario.enforcement, scenario.state)
    pop = _population(5, np.random.default_rng(0))
    got = _kernel(pop, np.zeros(0, np.int64), np.zeros(0), 0.5, policy, scenario, True, True, True)
    assert got.shape == (0,) and got.dtype == np.int8


@pytest.mark.parametrize(("seed", "n"), [(0, 5000), (1, 5000), (2, 1), (3, 70_001)])
def test_revisers_and_member_counts(seed, n, make_scenario, make_policy, make_state):
    rng = np.random.default_rng(seed)
    modes = rng.integers(0, 5, n)
    company = np.where(modes == OUTSIDE, NO_COMPANY, rng.integers(-1, 6, n))
    state = make_state(
        [1000.0] * n,
        mode=modes.tolist(),
        company=company.tolist(),
        must_revise=(rng.random(n) < 0.1).tolist(),
        accepts_partners=tuple(bool(b) for b in rng.random(6) < 0.5),
        suspended_left=tuple(int(s) for s in rng.integers(0, 2, 6)),
        quota=(1e6,) * 6,
    )
    for smuggling_open in (False, True):
        scenario = make_scenario({})
        policy = make_policy(scenario, border={"smuggling_open": smuggling_open})
        pop, comp = state.population, state.companies
        draw = rng.random(n)
        expected = forced_revisions(state, policy) | ((draw < 0.2) & (pop.mode != DETAINED))
        member = (pop.mode == MEMBER) & (pop.company >= 0)
        for compiled in (kernel.revisers.parallel, kernel.revisers.serial, kernel.revisers):
            idx, old_mode, old_company, members = compiled(
                draw,
                0.2,
                pop.mode,
                pop.company,
                pop.must_revise,
                comp.active,
                comp.accepts_partners,
                smuggling_open,
            )
            np.testing.assert_array_equal(idx, np.flatnonzero(expected))
            assert idx.dtype == np.int64
            _same_array(old_mode, pop.mode[idx])
            _same_array(old_company, pop.company[idx])
            np.testing.assert_array_equal(
                members, np.bincount(pop.company[member], minlength=comp.size)
            )


@pytest.mark.parametrize(("seed", "n"), [(s, 3000) for s in range(5)] + [(5, 2 * BLOCK + 5)])
def test_sort_out_equals_the_array_formulation(seed, n):
    rng = np.random.default_rng(seed)
    m = 7
    choice = rng.integers(0, 4, n).astype(np.int8)
    old_mode = rng.integers(0, 4, n).astype(np.int8)
    old_company = np.where(old_mode >= PARTNER, rng.integers(-1, m, n), NO_COMPANY).astype(np.int32)
    takes_partners = rng.random(m) < 0.5
    active = rng.random(m) < 0.7

    company, new_partner, new_member, vacated = kernel.sort_out(
        choice, old_mode, old_company, takes_partners, active
    )

    stay_partner = (choice == PARTNER) & (old_mode == PARTNER) & (old_company >= 0)
    stay_partner &= takes_partners[np.where(old_company >= 0, old_company, 0)]
    keeps_post = (old_mode == MEMBER) & (old_company >= 0)
    stay_member = (choice == MEMBER) & keeps_post
    expected = np.full(n, NO_COMPANY, dtype=np.int32)
    expected[stay_partner | stay_member] = old_company[stay_partner | stay_member]
    leaving = keeps_post & ~stay_member
    np.testing.assert_array_equal(company, expected)
    np.testing.assert_array_equal(new_partner, np.flatnonzero((choice == PARTNER) & ~stay_partner))
    np.testing.assert_array_equal(new_member, np.flatnonzero((choice == MEMBER) & ~stay_member))
    np.testing.assert_array_equal(
        vacated, np.where(active, np.bincount(old_company[leaving], minlength=m), 0)
    )

    mode = rng.integers(0, 5, 2 * n).astype(np.int8)
    firm = rng.integers(-1, m, 2 * n).astype(np.int32)
    idx = np.sort(rng.choice(2 * n, size=n, replace=False))
    want_mode, want_firm = mode.copy(), firm.copy()
    want_mode[idx] = choice
    want_firm[idx] = np.where((choice == PARTNER) | (choice == MEMBER), company, NO_COMPANY)
    kernel.commit_choices(idx, choice, company, mode, firm)
    np.testing.assert_array_equal(mode, want_mode)
    np.testing.assert_array_equal(firm, want_firm)


def _posts_by_ranking(order, picked, open_slots):
    """Who gets a post: the array formulation (rank within the picked company, in order)."""
    accepted = np.zeros(picked.size, dtype=bool)
    ranked = order[np.argsort(picked[order], kind="stable")]
    sorted_company = picked[ranked]
    first = np.searchsorted(sorted_company, sorted_company, side="left")
    rank = np.arange(picked.size) - first
    valid = sorted_company >= 0
    accepted[ranked] = valid & (rank < open_slots[np.where(valid, sorted_company, 0)])
    return accepted


@pytest.mark.parametrize("seed", range(30))
def test_give_posts_equals_the_ranking(seed):
    rng = np.random.default_rng(seed)
    n_revisers, m = int(rng.integers(1, 400)), int(rng.integers(1, 8))
    k = int(rng.integers(0, n_revisers + 1))
    new_members = np.sort(rng.choice(n_revisers, size=k, replace=False))
    picked = rng.integers(-1 if seed % 3 == 0 else 0, m, size=k)
    open_slots = rng.integers(0, 6, size=m)
    order = rng.permutation(k)
    idx = np.sort(rng.choice(10 * n_revisers, size=n_revisers, replace=False))
    company = np.full(n_revisers, NO_COMPANY, dtype=np.int32)
    choice = np.full(n_revisers, MEMBER, dtype=np.int8)
    refused = np.zeros(10 * n_revisers, dtype=bool)
    kernel.give_posts(order, picked, open_slots, new_members, idx, company, choice, refused)

    accepted = _posts_by_ranking(order, picked, open_slots)
    expected_company = np.full(n_revisers, NO_COMPANY, dtype=np.int32)
    expected_company[new_members[accepted]] = picked[accepted]
    expected_choice = np.full(n_revisers, MEMBER, dtype=np.int8)
    expected_choice[new_members[~accepted]] = OUTSIDE
    expected_refused = np.zeros(10 * n_revisers, dtype=bool)
    expected_refused[idx[new_members[~accepted]]] = True
    assert np.array_equal(company, expected_company)
    assert np.array_equal(choice, expected_choice)
    assert np.array_equal(refused, expected_refused)
    assert accepted.sum() <= open_slots.sum()


@pytest.mark.parametrize(
    "rows",
    [[], [0], [BLOCK - 1], [0, BLOCK - 1, 2 * BLOCK, 3 * BLOCK + 4], [BLOCK, BLOCK + 1]],
    ids=["none", "first-row", "end-of-block", "skips-a-block", "second-block-only"],
)
def test_revisers_listed_at_block_edges(rows):
    # Revisers at the first and last rows of blocks, and blocks without any.
    n = 3 * BLOCK + 5
    must = np.zeros(n, dtype=bool)
    must[rows] = True
    mode = np.full(n, OUTSIDE, dtype=np.int8)
    company = np.full(n, NO_COMPANY, dtype=np.int32)
    active = np.ones(2, dtype=bool)
    with threads_at_every_size():
        for compiled in (kernel.revisers.parallel, kernel.revisers.serial):
            idx, old_mode, old_company, members = compiled(
                np.ones(n), 0.2, mode, company, must, active, active, True
            )
            np.testing.assert_array_equal(idx, rows)
            _same_array(old_mode, mode[rows])
            _same_array(old_company, company[rows])
            np.testing.assert_array_equal(members, [0, 0])
