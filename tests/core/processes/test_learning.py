"""Learning: Beta updates with memory, campaigns, company observation (hand-computed)."""

from __future__ import annotations

import numpy as np
import pytest

from wakusim.core.processes.enforcement import EnforcementOutcome
from wakusim.core.processes.learning import (
    apply_campaign,
    beta_update,
    learn,
    observe_contacts,
    set_true_beliefs,
)
from wakusim.core.processes.trade import TradeOutcome
from wakusim.core.state import CHANNEL_PARTNER, CHANNEL_SMUGGLER, PARTNER, SMUGGLER
from wakusim.scenarios.schema import Campaign


def test_beta_update_with_memory():
    belief = np.array([0.1, 0.5, 0.2])
    weight = np.array([10.0, 4.0, 0.0])
    # 0: kept 0.9 * 10 = 9, w' = 14, p' = (9 * 0.1 + 2) / 14 = 2.9 / 14
    # 1: nothing seen: w' = 3.6, p' = 3.6 * 0.5 / 3.6 = 0.5
    # 2: no evidence at all: belief kept, weight 0
    beta_update(belief, weight, np.array([5.0, 0.0, 0.0]), np.array([2.0, 0.0, 0.0]), 0.9)
    np.testing.assert_allclose(belief, [2.9 / 14, 0.5, 0.2], rtol=1e-12)
    np.testing.assert_allclose(weight, [14.0, 3.6, 0.0], rtol=1e-12)


def test_beta_update_without_memory_is_the_observed_rate():
    belief, weight = np.array([0.9]), np.array([100.0])
    beta_update(belief, weight, np.array([4.0]), np.array([1.0]), 0.0)
    np.testing.assert_allclose(belief, [0.25])
    np.testing.assert_allclose(weight, [4.0])


def test_beta_update_full_memory_accumulates():
    belief, weight = np.array([0.0]), np.array([0.0])
    # two months without fading: (0 + 1) / 4, then (4 * 0.25 + 3) / 8 = 0.5
    beta_update(belief, weight, np.array([4.0]), np.array([1.0]), 1.0)
    beta_update(belief, weight, np.array([4.0]), np.array([3.0]), 1.0)
    np.testing.assert_allclose(belief, [0.5])
    np.testing.assert_allclose(weight, [8.0])


def test_apply_campaign():
    belief = np.array([0.1, 0.3])
    weight = np.array([10.0, 0.0])
    # 0: (10 * 0.1 + 5 * 0.6) / 15 = 4 / 15; 1: (0 + 3) / 5 = 0.6
    apply_campaign(belief, weight, 0.6, 5.0)
    np.testing.assert_allclose(belief, [4.0 / 15.0, 0.6], rtol=1e-12)
    np.testing.assert_allclose(weight, [15.0, 5.0])


def test_observe_contacts():
    contacts = np.array([[1, 2], [0, 2], [0, 1], [0, 1]])
    in_channel = np.array([False, True, True, False])
    caught = np.array([False, True, False, True])  # 3 caught but not in this channel
    seen, arrests = observe_contacts(contacts, in_channel, caught)
    np.testing.assert_array_equal(seen, [2, 1, 1, 1])
    np.testing.assert_array_equal(arrests, [1, 0, 1, 1])


# --- learn() on a 4-person state --------------------------------------------------------------
# contacts 0:[1,2] 1:[0,2] 2:[3,0] 3:[1,2]; modes smuggler, partner@0, partner@0, partner@1;
# caught: 0 and 1. Beliefs start at 0.1 (smuggler) and 0.2 (partner), weight 10; memory 0.5.
CONTACTS = [[1, 2], [0, 2], [3, 0], [1, 2]]
MODES = [SMUGGLER, PARTNER, PARTNER, PARTNER]
COMPANY = [-1, 0, 0, 1]
CAUGHT = [True, True, False, False]


def _outcomes(n_companies=2):
    n = 4
    trade = TradeOutcome(
        mode=np.array(MODES, dtype=np.int8),
        company=np.array(COMPANY, dtype=np.int32),
        deployed=np.zeros(n),
        profit=np.zeros(n),
        commission=np.zeros(3),  # the three partners'
        surrender=np.zeros(3),
        ration=np.ones(n_companies),
        company_own_profit=np.zeros(n_companies),
        volume_smuggling=0.0,
        volume_partner=0.0,
        volume_member=0.0,
        volume_own=0.0,
        price=1.5,
        margin=0.5,
    )
    enforcement = EnforcementOutcome.from_individuals(
        caught=np.array(CAUGHT),
        confiscated=np.zeros(n),
        fined=np.zeros(n),
        detention=np.zeros(n, dtype=np.int16),
        inspected=np.zeros(n_companies, dtype=bool),
        company_caught=np.zeros(n_companies, dtype=bool),
        company_fined=np.zeros(n_companies),
    )
    return trade, enforcement


def _learn_setup(make_scenario, make_policy, make_state, **learning):
    scenario = make_scenario({f"learning.{k}": v for k, v in learning.items()})
    policy = make_policy(scenario, enforcement={"inspection_rate": 0.5, "partner_detection": 0.4})
    state = make_state(
        [1e4] * 4,
        mode=MODES,
        company=COMPANY,
        contacts=CONTACTS,
        belief=[[0.1] * 4, [0.2] * 4],
        belief_weight=10.0,
    )
    return scenario, policy, state


def test_learn_from_contacts_and_own_company(make_scenario, make_policy, make_state):
    scenario, policy, state = _learn_setup(
        make_scenario, make_policy, make_state, memory=0.5, company_weight=4.0
    )
    trade, enforcement = _outcomes()
    learn(state.population, trade, enforcement, [], policy, scenario.learning, 2)
    pop = state.population
    # Smuggler channel: seen = arrests = [0, 1, 1, 0] (only 0 smuggles, and is caught);
    # kept weight 5, kept mass 0.5: p = [0.5/5, 1.5/6, 1.5/6, 0.5/5]
    np.testing.assert_allclose(pop.belief[CHANNEL_SMUGGLER], [0.1, 0.25, 0.25, 0.1], rtol=1e-12)
    np.testing.assert_allclose(pop.belief_weight[CHANNEL_SMUGGLER], [5.0, 6.0, 6.0, 5.0])
    # Partner channel from contacts: seen [2, 1, 1, 2], arrests [1, 0, 0, 1].
    # Own company: company 0 arrest rate 1/2, company 1 rate 0; partners add 4 observations:
    #   seen [2, 5, 5, 6], arrests [1, 0 + 2, 0 + 2, 1 + 0]. Kept weight 5, kept mass 1:
    #   p = [2/7, 3/10, 3/10, 2/11]
    np.testing.assert_allclose(pop.belief[CHANNEL_PARTNER], [2 / 7, 0.3, 0.3, 2 / 11], rtol=1e-12)
    np.testing.assert_allclose(pop.belief_weight[CHANNEL_PARTNER], [7.0, 10.0, 10.0, 11.0])


def test_learn_without_company_weight(make_scenario, make_policy, make_state):
    scenario, policy, state = _learn_setup(
        make_scenario, make_policy, make_state, memory=0.5, company_weight=0.0
    )
    trade, enforcement = _outcomes()
    learn(state.population, trade, enforcement, [], policy, scenario.learning, 2)
    # partner channel: seen [2, 1, 1, 2], arrests [1, 0, 0, 1]: p = [2/7, 1/6, 1/6, 2/7]
    np.testing.assert_allclose(
        state.population.belief[CHANNEL_PARTNER], [2 / 7, 1 / 6, 1 / 6, 2 / 7], rtol=1e-12
    )


def test_learn_applies_campaigns_to_their_channel(make_scenario, make_policy, make_state):
    scenario, policy, state = _learn_setup(
        make_scenario, make_policy, make_state, memory=0.5, company_weight=4.0
    )
    trade, enforcement = _outcomes()
    # Partner campaign without a risk conveys the true risk 0.5 * 0.4 = 0.2, weight 10:
    #   0: (7 * 2/7 + 10 * 0.2) / 17 = 4/17; 1: (10 * 0.3 + 2) / 20 = 0.25;
    #   3: (11 * 2/11 + 2) / 21 = 4/21
    # Smuggler campaign at risk 0.9, weight 5: 0: (5 * 0.1 + 4.5) / 10 = 0.5;
    #   1: (6 * 0.25 + 4.5) / 11 = 6/11
    campaigns = [
        Campaign(channel="partner", weight=10),
        Campaign(channel="smuggler", weight=5, risk=0.9),
    ]
    learn(state.population, trade, enforcement, campaigns, policy, scenario.learning, 2)
    pop = state.population
    np.testing.assert_allclose(
        pop.belief[CHANNEL_PARTNER], [4 / 17, 0.25, 0.25, 4 / 21], rtol=1e-12
    )
    np.testing.assert_allclose(pop.belief_weight[CHANNEL_PARTNER], [17.0, 20.0, 20.0, 21.0])
    np.testing.assert_allclose(pop.belief[CHANNEL_SMUGGLER], [0.5, 6 / 11, 6 / 11, 0.5], rtol=1e-12)


def test_learning_disabled_sets_true_risks(make_scenario, make_policy, make_state):
    scenario, policy, state = _learn_setup(make_scenario, make_policy, make_state, enabled=False)
    trade, enforcement = _outcomes()
    learn(state.population, trade, enforcement, [], policy, scenario.learning, 2)
    # smuggler risk 0.05 (history 2019); partner risk 0.5 * 0.4 = 0.2
    np.testing.assert_allclose(state.population.belief[CHANNEL_SMUGGLER], 0.05)
    np.testing.assert_allclose(state.population.belief[CHANNEL_PARTNER], 0.2)


def test_set_true_beliefs(make_scenario, make_policy, make_state):
    scenario = make_scenario()
    policy = make_policy(
        scenario,
        enforcement={"smuggling_detection": 0.3, "inspection_rate": 0.1, "partner_detection": 0.6},
    )
    state = make_state([1.0] * 3, belief=[[0.9] * 3, [0.9] * 3])
    set_true_beliefs(state.population, policy)
    np.testing.assert_allclose(state.population.belief[CHANNEL_SMUGGLER], 0.3)
    assert state.population.belief[CHANNEL_PARTNER] == pytest.approx([0.06] * 3, rel=1e-12)


@pytest.mark.parametrize("degree", [2, 10, 40])
def test_observe_channels_matches_one_channel_at_a_time(degree):
    from wakusim.core.network import small_world_contacts
    from wakusim.core.processes.learning import observe_channels
    from wakusim.core.state import CHANNEL_PARTNER, CHANNEL_SMUGGLER, PARTNER, SMUGGLER

    rng = np.random.default_rng(degree)
    contacts = small_world_contacts(500, degree, 0.3, rng).dense()
    mode = rng.integers(0, 5, size=500).astype(np.int8)
    caught = rng.random(500) < 0.3
    packed = observe_channels(contacts, mode, caught)
    for channel, code in ((CHANNEL_SMUGGLER, SMUGGLER), (CHANNEL_PARTNER, PARTNER)):
        seen, arrests = observe_contacts(contacts, mode == code, caught)
        np.testing.assert_array_equal(packed[channel][0], seen)
        np.testing.assert_array_equal(packed[channel][1], arrests)
        assert seen.max() > 0 and arrests.max() > 0  # the case is not trivial


def test_learn_with_more_contacts_than_a_packed_count(make_scenario, make_policy, make_state):
    # Beyond FIELD_MAX contacts per individual, learn() counts with the plain formulation.
    from wakusim.core.kernels.learning import FIELD_MAX

    k = FIELD_MAX + 1
    scenario = make_scenario({"learning.memory": 0.5})
    policy = make_policy(scenario)
    state = make_state(
        [1e4] * 2,
        mode=[0, SMUGGLER],
        contacts=np.ones((2, k), dtype=np.int32),
        belief=[[0.1] * 2, [0.2] * 2],
        belief_weight=10.0,
    )
    trade, enforcement = _outcomes()
    trade.mode, trade.company = state.population.mode.copy(), state.population.company.copy()
    enforcement.caught = np.array([False, True])
    learn(state.population, trade, enforcement, [], policy, scenario.learning, 2)
    pop = state.population
    # smuggler channel: kept weight 5, mass 0.5; everyone sees k contacts, all caught
    np.testing.assert_allclose(pop.belief[CHANNEL_SMUGGLER], (0.5 + k) / (5 + k), rtol=1e-12)
    np.testing.assert_allclose(pop.belief_weight[CHANNEL_SMUGGLER], 5.0 + k)
    np.testing.assert_allclose(pop.belief[CHANNEL_PARTNER], 0.2, rtol=1e-12)
    np.testing.assert_allclose(pop.belief_weight[CHANNEL_PARTNER], 5.0)


def test_company_arrest_rates():
    from wakusim.core.processes.learning import company_arrest_rates
    from wakusim.core.state import MEMBER

    # company 0: partners 1, 2 (1 caught); company 1: partner 3; company 2: a member only
    rate = company_arrest_rates(
        np.array([SMUGGLER, PARTNER, PARTNER, PARTNER, MEMBER], dtype=np.int8),
        np.array([-1, 0, 0, 1, 2], dtype=np.int32),
        np.array([True, True, False, False, True]),
        3,
    )
    np.testing.assert_array_equal(rate, [0.5, 0.0, 0.0])
