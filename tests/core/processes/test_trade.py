"""Trade: investment, pro-rata rationing by quota, volumes, price, profit split (by hand)."""

from __future__ import annotations

import numpy as np
import pytest

from wakusim.core.processes.trade import trade
from wakusim.core.state import DETAINED, MEMBER, NO_COMPANY, OUTSIDE, PARTNER, SMUGGLER

MODES = [SMUGGLER, PARTNER, MEMBER, PARTNER, OUTSIDE, DETAINED]
COMPANY = [NO_COMPANY, 0, 0, 1, NO_COMPANY, NO_COMPANY]
WEALTH = [40_000.0, 400_000.0, 360_000.0, 200_000.0, 1e6, 1e6]


def _state(make_state, reference_volume=78_500.0, suspended=(0, 0)):
    # Wanted capital 0.5 W: smuggler min(20,000, 10,000) = 10,000; partner 200,000 and member
    # 180,000 at company 0; partner 100,000 at company 1; outside and detained invest nothing.
    return make_state(
        WEALTH,
        mode=MODES,
        company=COMPANY,
        quota=(50_000.0, 100_000.0),
        funds=(20_000.0, 4_000.0),
        suspended_left=suspended,
        reference_volume=reference_volume,
    )


def test_pro_rata_rationing_volumes_and_price(make_scenario, make_policy, make_state):
    scenario = make_scenario()  # turnover 0.25, price_ref 1.75, elasticity 3
    policy = make_policy(scenario)  # trade level 1
    state = _state(make_state)
    out = trade(state, policy, scenario)
    # company 0: demand 0.25 * (20,000 own + 380,000 outside) = 100,000 > quota 50,000 -> ration 0.5
    # company 1: demand 0.25 * (4,000 + 100,000) = 26,000 <= 100,000 -> ration 1
    np.testing.assert_allclose(out.ration, [0.5, 1.0])
    np.testing.assert_allclose(out.deployed, [10_000.0, 100_000.0, 90_000.0, 100_000.0, 0.0, 0.0])
    assert out.volume_smuggling == pytest.approx(2_500.0)  # 0.25 * 10,000
    assert out.volume_partner == pytest.approx(50_000.0)  # 0.25 * (100,000 + 100,000)
    assert out.volume_member == pytest.approx(22_500.0)  # 0.25 * 90,000
    assert out.volume_own == pytest.approx(3_500.0)  # 0.25 * (0.5 * 20,000 + 4,000)
    assert out.volume_company == pytest.approx(76_000.0)
    assert out.volume_total == pytest.approx(78_500.0)
    # company 0 imports exactly its quota: 0.25 * (100,000 + 90,000 + 10,000) = 50,000
    # total 78,500 = S_ref -> price 1.75, margin 0.75
    assert out.price == pytest.approx(1.75, rel=1e-12)
    assert out.margin == pytest.approx(0.75, rel=1e-12)


def test_profit_commission_surrender_split(make_scenario, make_policy, make_state):
    scenario = make_scenario()  # commissions 0.75; smuggling cost share 0.3
    policy = make_policy(scenario)  # unit payment 0.15, surrender 0.3
    out = trade(_state(make_state), policy, scenario)
    # gross = 0.25 * 0.75 * deployed = [1875, 18,750, 16,875, 18,750, 0, 0]
    # smuggler keeps 0.7: 1312.5; partners keep 0.25: 4687.5, pay 0.75: 14,062.5
    # member: rest after commission 0.25 * 16,875 = 4218.75; commission 0.75 * 16,875 +
    #   0.15 * 4218.75 = 13,289.0625; surrender 0.3 * 0.85 * 4218.75 = 1075.78125;
    #   keeps 0.25 * 0.85 * 0.7 * 16,875 = 2510.15625
    np.testing.assert_allclose(out.profit, [1312.5, 4687.5, 2510.15625, 4687.5, 0.0, 0.0])
    commission, surrender = out.by_individual(out.commission), out.by_individual(out.surrender)
    np.testing.assert_allclose(commission, [0.0, 14_062.5, 13_289.0625, 14_062.5, 0.0, 0.0])
    np.testing.assert_allclose(surrender, [0.0, 0.0, 1075.78125, 0.0, 0.0, 0.0])
    np.testing.assert_array_equal(out.attached_rows(), [1, 2, 3])
    assert out.commission.size == out.surrender.size == 3
    # company profit on own deployed funds: 0.1875 * [10,000, 4,000]
    np.testing.assert_allclose(out.company_own_profit, [1875.0, 750.0])
    # for company traders, profit + commission + surrender = gross
    gross = 0.1875 * out.deployed
    attached = [1, 2, 3]
    np.testing.assert_allclose((out.profit + commission + surrender)[attached], gross[attached])


def test_negative_margin_gives_losses(make_scenario, make_policy, make_state):
    scenario = make_scenario()
    # S_ref = 78,500 / 8 -> price 1.75 / 2 = 0.875, margin -0.125
    out = trade(_state(make_state, reference_volume=78_500.0 / 8), make_policy(scenario), scenario)
    assert out.price == pytest.approx(0.875, rel=1e-12)
    # smuggler: 0.25 * -0.125 * 10,000 * 0.7 = -218.75; partner 1: -3125 * 0.25 = -781.25
    assert out.profit[0] == pytest.approx(-218.75)
    assert out.profit[1] == pytest.approx(-781.25)


def test_suspended_company_trades_nothing(make_scenario, make_policy, make_state):
    scenario = make_scenario()
    out = trade(_state(make_state, suspended=(0, 3)), make_policy(scenario), scenario)
    # company 1 has no permit: cap 0 -> ration 0, partner 3 deploys nothing, own funds idle
    np.testing.assert_allclose(out.ration, [0.5, 0.0])
    assert out.deployed[3] == 0.0
    assert out.volume_partner == pytest.approx(25_000.0)  # only partner 1: 0.25 * 100,000
    assert out.volume_own == pytest.approx(2_500.0)  # only company 0: 0.25 * 10,000
    assert out.company_own_profit[1] == 0.0


def test_trade_level_tightens_ration(make_scenario, make_policy, make_state):
    scenario = make_scenario()
    policy = make_policy(scenario, border={"trade_level": 0.5})
    out = trade(_state(make_state), policy, scenario)
    # caps 25,000 and 50,000: company 0 ration 25,000 / 100,000; company 1 still 1
    np.testing.assert_allclose(out.ration, [0.25, 1.0])
    np.testing.assert_allclose(out.deployed[:4], [10_000.0, 50_000.0, 45_000.0, 100_000.0])


def test_trade_does_not_change_state(make_scenario, make_policy, make_state):
    scenario = make_scenario()
    state = _state(make_state)
    trade(state, make_policy(scenario), scenario)
    np.testing.assert_array_equal(state.population.mode, MODES)
    np.testing.assert_array_equal(state.population.wealth, WEALTH)
    np.testing.assert_array_equal(state.companies.funds, [20_000.0, 4_000.0])
