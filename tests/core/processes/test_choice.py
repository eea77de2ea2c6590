"""Mode revision: forced revisions, feasibility, posts, refusals (small hand-made states).

The scenario is tilted so that the logit choice is all but certain: members keep their
whole margin (no commission, unit payment or surrender), nobody minds organisational
life, and the logit scale is tiny. Joining then beats staying outside by about 6 % of
wealth a month, i.e. ~600 logit units, so the choice is deterministic in practice.
"""

from __future__ import annotations

import numpy as np
import pytest

from wakusim.core.processes.choice import forced_revisions, pick_in_proportion, revise_modes
from wakusim.core.state import DETAINED, MEMBER, NO_COMPANY, OUTSIDE, PARTNER, SMUGGLER

N = NO_COMPANY
RICH = 100_000.0

MEMBER_WINS = {
    "companies.member_commission": 0.0,
    "state.unit_payment": 0.0,
    "state.surrender_rate": 0.0,
    "preferences.choice_noise": 0.0001,
}
PARTNER_WINS = {
    "companies.partner_commission": 0.0,
    "preferences.choice_noise": 0.0001,
}
NO_RANDOM_REVISION = {"preferences.revision_rate": 1e-9}
ALL_REVISE = {"preferences.revision_rate": 1.0}


def _setup(make_scenario, make_policy, overrides, smuggling_open=False):
    scenario = make_scenario(overrides)
    policy = make_policy(scenario, border={"smuggling_open": smuggling_open})
    return scenario, policy


def test_forced_revisions(make_scenario, make_policy, make_state):
    scenario, policy = _setup(make_scenario, make_policy, {}, smuggling_open=False)
    state = make_state(
        [RICH] * 8,
        #     0        1         2        3       4       5        6         7
        mode=[OUTSIDE, SMUGGLER, PARTNER, MEMBER, MEMBER, PARTNER, DETAINED, OUTSIDE],
        company=[N, N, 1, 1, 0, 0, N, N],
        must_revise=[False, False, False, False, False, False, True, True],
        accepts_partners=(False, True),
        suspended_left=(0, 4),
    )
    # 1 smuggler with the border closed; 2, 3 at suspended company 1; 5 partner at company 0,
    # which refuses partners; 7 flagged; 6 flagged but detained; 0 and 4 not forced
    forced = forced_revisions(state, policy)
    np.testing.assert_array_equal(forced, [False, True, True, True, False, True, False, True])
    # with the border open the smuggler is no longer forced
    _, open_policy = _setup(make_scenario, make_policy, {}, smuggling_open=True)
    assert not forced_revisions(state, open_policy)[1]


def test_refused_when_member_posts_are_full(make_scenario, make_policy, make_state):
    scenario, policy = _setup(make_scenario, make_policy, {**MEMBER_WINS, **ALL_REVISE})
    state = make_state(
        [RICH] * 5,
        mode=[MEMBER, MEMBER, OUTSIDE, OUTSIDE, OUTSIDE],
        company=[0, 1, N, N, N],
        org_aversion=0.0,
        member_slots=(2, 1),
        accepts_partners=False,
        must_revise=[False, False, True, True, True],
    )
    refused = revise_modes(state, policy, scenario, np.random.default_rng(0))
    pop = state.population
    # posts: company 0 has 2 - 1 = 1 open, company 1 is full. Members 0 and 1 keep their posts;
    # of the three newcomers one gets the post at company 0, two are refused.
    assert pop.mode[0] == MEMBER and pop.company[0] == 0
    assert pop.mode[1] == MEMBER and pop.company[1] == 1
    newcomers = slice(2, 5)
    assert (pop.mode[newcomers] == MEMBER).sum() == 1
    assert pop.company[newcomers][pop.mode[newcomers] == MEMBER].tolist() == [0]
    assert refused.sum() == 2
    assert not refused[:2].any()
    turned_away = np.flatnonzero(refused)
    np.testing.assert_array_equal(pop.mode[turned_away], [OUTSIDE, OUTSIDE])
    np.testing.assert_array_equal(pop.company[turned_away], [N, N])
    np.testing.assert_array_equal(pop.must_revise, refused)
    # never more members at a company than its posts
    np.testing.assert_array_equal(np.bincount(pop.company[pop.mode == MEMBER], minlength=2), [2, 1])


def test_forced_revision_when_company_suspended(make_scenario, make_policy, make_state):
    scenario, policy = _setup(make_scenario, make_policy, {**MEMBER_WINS, **NO_RANDOM_REVISION})
    # 0 and 1 are members too poor to join now (member minimum 30,000): whoever reconsiders
    # must leave. 0's company is suspended, so 0 reconsiders; 1's is active, so 1 does not.
    state = make_state(
        [10_000.0, 10_000.0, RICH],
        mode=[MEMBER, MEMBER, OUTSIDE],
        company=[0, 1, N],
        org_aversion=0.0,
        member_slots=(5, 5),
        accepts_partners=False,
        suspended_left=(3, 0),
    )
    refused = revise_modes(state, policy, scenario, np.random.default_rng(1))
    pop = state.population
    # 2 does not reconsider (revision rate ~0), so stays outside although joining pays
    np.testing.assert_array_equal(pop.mode, [OUTSIDE, MEMBER, OUTSIDE])
    np.testing.assert_array_equal(pop.company, [N, 1, N])
    assert not refused.any()
    assert not pop.must_revise.any()


def test_member_keeps_post_through_suspension(make_scenario, make_policy, make_state):
    scenario, policy = _setup(make_scenario, make_policy, {**MEMBER_WINS, **NO_RANDOM_REVISION})
    # 0 reconsiders (company 0 suspended), still prefers membership and keeps its post there
    # although company 1 has open posts.
    state = make_state(
        [RICH, RICH],
        mode=[MEMBER, OUTSIDE],
        company=[0, N],
        org_aversion=0.0,
        member_slots=(1, 5),
        accepts_partners=False,
        suspended_left=(3, 0),
    )
    revise_modes(state, policy, scenario, np.random.default_rng(1))
    np.testing.assert_array_equal(state.population.mode, [MEMBER, OUTSIDE])
    np.testing.assert_array_equal(state.population.company, [0, N])


def test_smuggler_leaves_when_border_closes(make_scenario, make_policy, make_state):
    scenario, policy = _setup(make_scenario, make_policy, NO_RANDOM_REVISION)
    state = make_state(
        [RICH, RICH], mode=[SMUGGLER, SMUGGLER], accepts_partners=False, member_slots=0
    )
    revise_modes(state, policy, scenario, np.random.default_rng(2))
    # nothing else is feasible: both go outside
    np.testing.assert_array_equal(state.population.mode, [OUTSIDE, OUTSIDE])


def test_detained_do_not_choose(make_scenario, make_policy, make_state):
    scenario, policy = _setup(make_scenario, make_policy, {**MEMBER_WINS, **ALL_REVISE})
    state = make_state(
        [RICH, RICH],
        mode=[DETAINED, OUTSIDE],
        detention_left=[5, 0],
        org_aversion=0.0,
        member_slots=(5, 5),
        must_revise=[True, False],
    )
    revise_modes(state, policy, scenario, np.random.default_rng(3))
    assert state.population.mode[0] == DETAINED
    assert state.population.mode[1] == MEMBER


def test_member_needs_minimum_capital(make_scenario, make_policy, make_state):
    scenario, policy = _setup(make_scenario, make_policy, {**MEMBER_WINS, **ALL_REVISE})
    # member_min_capital 30,000: the first cannot join, the second can
    state = make_state(
        [29_999.0, 30_000.0], org_aversion=0.0, member_slots=(5, 5), accepts_partners=False
    )
    refused = revise_modes(state, policy, scenario, np.random.default_rng(4))
    np.testing.assert_array_equal(state.population.mode, [OUTSIDE, MEMBER])
    assert not refused.any()


def test_new_partners_go_to_active_accepting_companies(make_scenario, make_policy, make_state):
    scenario, policy = _setup(make_scenario, make_policy, {**PARTNER_WINS, **ALL_REVISE})
    state = make_state(
        [RICH] * 6,
        mode=[PARTNER, OUTSIDE, OUTSIDE, OUTSIDE, OUTSIDE, OUTSIDE],
        company=[0, N, N, N, N, N],
        belief=[[0.05] * 6, [0.0] * 6],  # partners believe they are safe
        quota=(100_000.0, 100_000.0, 100_000.0),
        accepts_partners=(False, True, True),
        suspended_left=(0, 0, 1),
        member_slots=0,
    )
    revise_modes(state, policy, scenario, np.random.default_rng(5))
    # company 0 refuses partners, company 2 is suspended: everyone partners with company 1
    np.testing.assert_array_equal(state.population.mode, [PARTNER] * 6)
    np.testing.assert_array_equal(state.population.company, [1] * 6)


def test_new_partners_spread_in_proportion_to_quota(make_scenario, make_policy, make_state):
    scenario, policy = _setup(make_scenario, make_policy, {**PARTNER_WINS, **ALL_REVISE})
    n = 2_000
    state = make_state(
        [RICH] * n,
        belief=[[0.05] * n, [0.0] * n],
        quota=(100_000.0, 300_000.0),
        member_slots=0,
    )
    revise_modes(state, policy, scenario, np.random.default_rng(6))
    assert (state.population.mode == PARTNER).all()
    share = (state.population.company == 1).mean()
    assert share == pytest.approx(0.75, abs=0.04)  # sd about 0.01


def test_stay_partner_keeps_company(make_scenario, make_policy, make_state):
    scenario, policy = _setup(make_scenario, make_policy, {**PARTNER_WINS, **ALL_REVISE})
    state = make_state(
        [RICH] * 3,
        mode=[PARTNER] * 3,
        company=[0, 1, 1],
        belief=[[0.05] * 3, [0.0] * 3],
        quota=(1.0, 1e9),  # newcomers would all go to company 1
        member_slots=0,
    )
    revise_modes(state, policy, scenario, np.random.default_rng(7))
    np.testing.assert_array_equal(state.population.company, [0, 1, 1])


def test_post_vacated_by_leaver_open_to_newcomer(make_scenario, make_policy, make_state):
    scenario, policy = _setup(make_scenario, make_policy, {**MEMBER_WINS, **ALL_REVISE})
    # 0 holds the only post but is now below the member minimum and must leave;
    # 1 is rich and joining pays: the docstring says the vacated post is open this month.
    state = make_state(
        [10_000.0, RICH],
        mode=[MEMBER, OUTSIDE],
        company=[0, N],
        org_aversion=0.0,
        member_slots=(1, 0),
        accepts_partners=False,
    )
    revise_modes(state, policy, scenario, np.random.default_rng(8))
    np.testing.assert_array_equal(state.population.mode, [OUTSIDE, MEMBER])
    np.testing.assert_array_equal(state.population.company, [N, 0])


@pytest.mark.parametrize("seed", range(40))
def test_pick_in_proportion_is_generator_choice(seed):
    """Same draws and same generator state after as ``Generator.choice`` with ``p``."""
    setup = np.random.default_rng(seed)
    m = int(setup.integers(1, 60))
    weights = setup.random(m) * 10.0 ** setup.uniform(-3, 6)
    weights[setup.random(m) < 0.3] = 0.0
    weights[setup.integers(m)] = 1.0 + setup.random()  # a positive sum
    if seed % 2:
        weights = np.round(weights * 10).astype(np.int64)  # open posts are integers
    size = int(setup.integers(0, 400))
    ours, numpys = np.random.default_rng(seed + 1), np.random.default_rng(seed + 1)
    picked = pick_in_proportion(ours, weights, size)
    expected = numpys.choice(m, size=size, p=weights / weights.sum())
    assert np.array_equal(picked, expected)
    assert ours.random() == numpys.random()


@pytest.mark.parametrize(
    "weights", [np.zeros(3), np.array([1.0, -0.5, 2.0]), np.array([np.nan, 1.0])]
)
def test_pick_in_proportion_refuses_what_generator_choice_refuses(weights):
    with pytest.raises(ValueError, match="non-negative"):
        pick_in_proportion(np.random.default_rng(0), weights, 4)
