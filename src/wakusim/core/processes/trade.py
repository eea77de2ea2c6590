"""Step 5: trade. Traders invest, quotas ration company trade, the market clears (M1, M3, P6).

Smugglers move ``min(invest_share * W, smuggling_capacity)`` across the border.
Partners and members put ``invest_share * W`` into goods under their company's
permit; the company adds its own (small) funds. A company's monthly volume is
``turnover`` times the capital it handles, capped by its quota times the trade
level in force; when the cap binds, every yuan at the company is scaled down
by the same factor (pro rata). Total imports set this month's sale value and
margin. Profits here are before any punishment (step 6).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from wakusim.core.decisions import margin_shares
from wakusim.core.kernels import trade as kernels
from wakusim.core.market import sale_value
from wakusim.core.policy import Policy
from wakusim.core.state import MEMBER, PARTNER, SMUGGLER, ModelState, spread
from wakusim.scenarios.schema import Scenario


@dataclass
class TradeOutcome:
    """What the month's trade produced.

    Attributes
    ----------
    mode
        Each individual's mode during the month (before arrests).
    company
        Company each partner or member traded with (``NO_COMPANY`` otherwise).
    deployed
        Capital each individual had in goods, CNY.
    profit
        Each trader's net trade profit if not caught, CNY.
    commission
        Each partner's and member's payment to its company (commission and unit
        payment), CNY, in the order of :meth:`attached_rows`.
    surrender
        Foreign currency each partner and member surrendered to the state
        (members only; 0 for partners), CNY, in the order of :meth:`attached_rows`.
    ration
        Share of demanded volume each company could import.
    company_own_profit
        Profit of each company on its own funds, CNY.
    volume_smuggling, volume_partner, volume_member, volume_own
        Import volumes by channel, CNY of import cost.
    price, margin
        Realised sale value per yuan and margin ``price - 1``.
    attached
        Rows of the partners and members, ascending (``None``: found from
        ``mode`` when asked, see :meth:`attached_rows`).
    smugglers
        Rows of the smugglers, ascending (``None``: found from ``mode`` when
        asked, see :meth:`smuggler_rows`).
    """

    mode: np.ndarray
    company: np.ndarray
    deployed: np.ndarray
    profit: np.ndarray
    commission: np.ndarray
    surrender: np.ndarray
    ration: np.ndarray
    company_own_profit: np.ndarray
    volume_smuggling: float
    volume_partner: float
    volume_member: float
    volume_own: float
    price: float
    margin: float
    attached: np.ndarray | None = None
    smugglers: np.ndarray | None = None

    def attached_rows(self) -> np.ndarray:
        """Rows of the partners and members during the month, ascending."""
        if self.attached is None:
            self.attached = np.flatnonzero((self.mode == PARTNER) | (self.mode == MEMBER))
        return self.attached

    def by_individual(self, values: np.ndarray) -> np.ndarray:
        """Spread ``values`` given per partner and member over everyone (0 for the others).

        For example ``outcome.by_individual(outcome.commission)`` is each
        individual's commission.
        """
        return spread(values, self.attached_rows(), self.mode.shape[0])

    def smuggler_rows(self) -> np.ndarray:
        """Rows of the smugglers during the month, ascending."""
        if self.smugglers is None:
            self.smugglers = np.flatnonzero(self.mode == SMUGGLER)
        return self.smugglers

    @property
    def volume_company(self) -> float:
        """Imports through companies' permits."""
        return self.volume_partner + self.volume_member + self.volume_own

    @property
    def volume_total(self) -> float:
        """All imports."""
        return self.volume_company + self.volume_smuggling


def trade(state: ModelState, policy: Policy, scenario: Scenario) -> TradeOutcome:
    """Compute the month's trade (no random draws)."""
    pop, comp = state.population, state.companies
    mk = scenario.market
    (
        outside_capital,
        smuggled,
        smugglers,
        attached_wanted,
        attached_company,
        attached_partner,
        attached,
    ) = kernels.invest(
        pop.mode, pop.wealth, pop.company, mk.invest_share, mk.smuggling_capacity, comp.size
    )
    own = np.where(comp.active, comp.funds, 0.0)
    demand = mk.turnover * (own + outside_capital)
    cap = comp.quota * policy.border.trade_level * comp.active
    with np.errstate(divide="ignore", invalid="ignore"):
        ration = np.where(demand > 0, np.minimum(1.0, cap / demand), 0.0)
    partners, members = kernels.deploy_attached(
        attached_wanted, attached_company, attached_partner, ration
    )

    # The capital deployed in each mode, packed in individual order as deployed[mode == k]:
    # numpy sums it as it summed the masked array (pairwise).
    volume_smuggling = mk.turnover * float(smuggled.sum())
    volume_partner = mk.turnover * float(partners.sum())
    volume_member = mk.turnover * float(members.sum())
    own_deployed = own * ration
    volume_own = mk.turnover * float(own_deployed.sum())
    total = volume_smuggling + volume_partner + volume_member + volume_own
    price = sale_value(total, state.market.reference_volume, mk.price_ref, mk.elasticity)
    margin = price - 1.0

    c, s = scenario.companies, policy.state
    # Outputs allocated by numpy: large arrays get transparent huge pages (faster first touch).
    deployed, profit = np.empty(pop.size), np.empty(pop.size)
    kernels.split(
        pop.mode,
        pop.company,
        pop.wealth,
        mk.invest_share,
        mk.smuggling_capacity,
        np.append(ration, 1.0),
        mk.turnover * margin,
        margin_shares(policy, scenario),
        deployed,
        profit,
    )
    commission, surrender = kernels.company_shares(
        attached,
        pop.mode,
        deployed,
        mk.turnover * margin,
        c.partner_commission,
        c.member_commission,
        1.0 - c.member_commission,
        s.unit_payment,
        s.surrender_rate * (1.0 - s.unit_payment),
    )
    return TradeOutcome(
        mode=pop.mode.copy(),
        company=pop.company.copy(),
        deployed=deployed,
        profit=profit,
        commission=commission,
        surrender=surrender,
        ration=ration,
        company_own_profit=mk.turnover * margin * own_deployed,
        volume_smuggling=volume_smuggling,
        volume_partner=volume_partner,
        volume_member=volume_member,
        volume_own=volume_own,
        price=price,
        margin=margin,
        attached=attached,
        smugglers=smugglers,
    )
