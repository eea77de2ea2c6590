"""Agents of the Mesa reference model: one object per individual and per company.

Every rule here is written per agent in plain Python (``math`` and the model's
``random.Random``), following MODEL.md section 3 and the rules the wakusim core
documents; nothing calls wakusim's vectorised processes. The model
(:mod:`benchmarks.mesa_reference.model`) calls these methods in the order of the
eight monthly processes and keeps the few aggregates that several agents share
(the policy in force, the expected margin, the realised price).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import mesa

if TYPE_CHECKING:
    from benchmarks.mesa_reference.model import WakuModel

OUTSIDE, SMUGGLER, PARTNER, MEMBER, DETAINED = 0, 1, 2, 3, 4
MODE_NAMES = ("outside", "smuggler", "partner", "member", "detained")
MIN_WEALTH = 1.0


def certainty_equivalent(x_ok: float, x_bad: float, p: float, gamma: float) -> float:
    """Certainty equivalent of ``x_ok`` w.p. ``1 - p`` and ``x_bad`` w.p. ``p`` under CRRA.

    Parameters
    ----------
    x_ok, x_bad
        Positive end-of-month wealth in the two outcomes.
    p
        Probability of ``x_bad``.
    gamma
        Relative risk aversion (1 is log utility).

    Returns
    -------
    float
        The sure wealth with the same expected utility.
    """
    scale = max(x_ok, x_bad)
    a, b = x_ok / scale, x_bad / scale
    if abs(gamma - 1.0) < 1e-9:
        return scale * math.exp((1.0 - p) * math.log(a) + p * math.log(b))
    e = 1.0 - gamma
    return scale * ((1.0 - p) * a**e + p * b**e) ** (1.0 / e)


class Company(mesa.Agent):
    """A state trading company holding an import permit (waku).

    Parameters
    ----------
    model
        The model.
    quota
        Import volume the permit allows at trade level 1, CNY of import cost per month.
    member_slots
        Member posts at slot level 1.
    boldness
        Weight on commission income against expected punishment.
    """

    def __init__(self, model: WakuModel, quota: float, member_slots: int, boldness: float) -> None:
        super().__init__(model)
        self.quota = quota
        self.funds = model.scenario.companies.own_funds_share * quota
        self.member_slots = member_slots
        self.boldness = boldness
        self.accepts_partners = True
        self.suspended_left = 0
        self.perceived_inspection = model.policy.enforcement.inspection_rate
        self.partners_last = 0
        # Per-month working values.
        self.n_members = 0
        self.open_slots = 0
        self.outside_capital = 0.0
        self.ration = 0.0
        self.own_deployed = 0.0
        self.inspected = False
        self.partners_traded = 0
        self.partners_caught = 0
        self.caught = False
        self.fined = 0.0
        self.commission_income = 0.0
        self.loyalty_paid = 0.0

    @property
    def active(self) -> bool:
        """Whether the permit is in force (not suspended)."""
        return self.suspended_left == 0

    @property
    def takes_partners(self) -> bool:
        """Whether a partner can trade under this permit this month."""
        return self.accepts_partners and self.active

    def decide_partners(self) -> None:
        """Step 3: accept partners if ``boldness * commission >= expected punishment``."""
        model = self.model
        e = model.policy.enforcement
        commission = (
            model.scenario.companies.partner_commission
            * max(model.expected_margin, 0.0)
            * self.quota
            * model.policy.border.trade_level
        )
        exposed = 1.0 - (1.0 - e.partner_detection) ** max(self.partners_last, 1.0)
        expected_loss = (
            self.perceived_inspection
            * exposed
            * (e.company_fine + e.suspension_months * commission)
        )
        self.accepts_partners = (
            self.active and self.boldness * commission >= expected_loss and commission > 0
        )

    def open_posts(self) -> None:
        """Step 4 (before choices): member posts still open, zero while suspended."""
        if not self.active:
            self.open_slots = 0
            return
        capacity = math.floor(self.member_slots * self.model.policy.state.member_slots_level)
        self.open_slots = max(capacity - self.n_members, 0)

    def ration_trade(self) -> None:
        """Step 5: scale all capital at the company down pro rata when the quota binds."""
        mk = self.model.scenario.market
        own = self.funds if self.active else 0.0
        demand = mk.turnover * (own + self.outside_capital)
        cap = self.quota * self.model.policy.border.trade_level if self.active else 0.0
        self.ration = min(1.0, cap / demand) if demand > 0 else 0.0
        self.own_deployed = own * self.ration

    def draw_inspection(self) -> None:
        """Step 6: an active company is inspected with the inspection rate."""
        rate = self.model.policy.enforcement.inspection_rate
        self.inspected = self.active and self.model.random.random() < rate

    def settle_enforcement(self) -> None:
        """Step 6: a company inspected with an exposed partner is fined (up to its funds)."""
        self.caught = self.inspected and self.partners_caught > 0
        fine = self.model.policy.enforcement.company_fine
        self.fined = min(fine, self.funds) if self.caught else 0.0

    def learn(self, observed: float) -> None:
        """Step 7: move the perceived inspection rate towards the observed share."""
        memory = self.model.scenario.learning.company_memory
        self.perceived_inspection = memory * self.perceived_inspection + (1.0 - memory) * observed

    def account(self) -> None:
        """Step 8: loyalty funds, fines, own funds, suspension countdown."""
        model = self.model
        income = self.commission_income + model.scenario.market.turnover * model.margin * (
            self.own_deployed
        )
        due = model.policy.state.loyalty_payment if self.active else 0.0
        from_income = min(due, income)
        funds = self.funds - self.fined
        from_funds = min(due - from_income, max(funds, 0.0))
        funds += model.scenario.companies.retention * (income - from_income) - from_funds
        ceiling = model.scenario.companies.own_funds_share * self.quota
        self.funds = min(max(funds, 0.0), ceiling)
        self.loyalty_paid = from_income + from_funds
        if not self.active:
            self.suspended_left -= 1
        if self.caught:
            self.suspended_left = model.policy.enforcement.suspension_months
        self.partners_last = self.partners_traded


class Individual(mesa.Agent):
    """A person in the border city who may import goods.

    Parameters
    ----------
    model
        The model.
    wealth
        Initial capital, CNY.
    risk_aversion
        CRRA coefficient.
    org_aversion
        Cost of full organisational life, CNY per month.
    """

    def __init__(
        self, model: WakuModel, wealth: float, risk_aversion: float, org_aversion: float
    ) -> None:
        super().__init__(model)
        self.wealth = wealth
        self.risk_aversion = risk_aversion
        self.org_aversion = org_aversion
        self.mode = OUTSIDE
        self.company: Company | None = None
        self.detention_left = 0
        prior = model.scenario.learning.prior_weight
        self.belief = [model.policy.smuggler_risk, model.policy.partner_risk]
        self.belief_weight = [prior, prior]
        self.contacts: list[Individual] = []
        self.income = 0.0
        self.must_revise = True
        # Per-month working values.
        self.revising = False
        self.choice = OUTSIDE
        self.trade_mode = OUTSIDE
        self.trade_company: Company | None = None
        self.wanted = 0.0
        self.deployed = 0.0
        self.profit = 0.0
        self.commission = 0.0
        self.surrender = 0.0
        self.caught = False
        self.confiscated = 0.0
        self.fined = 0.0
        self.detention = 0

    # -- step 4: decisions -------------------------------------------------------------

    def decide_revision(self) -> None:
        """Reconsider with the revision rate, or at once if forced (released, refused...)."""
        if self.mode == DETAINED:
            self.revising = False
            return
        policy = self.model.policy
        company = self.company
        forced = self.must_revise
        if self.mode == SMUGGLER and not policy.border.smuggling_open:
            forced = True
        elif self.mode == PARTNER and not (company is not None and company.takes_partners):
            forced = True
        elif self.mode == MEMBER and not (company is not None and company.active):
            forced = True
        draw = self.model.random.random()
        self.revising = forced or draw < self.model.scenario.preferences.revision_rate

    def keeps_post(self) -> bool:
        """Whether this individual holds a member post it keeps if it chooses to stay."""
        return self.mode == MEMBER and self.company is not None

    def mode_values(self) -> list[float]:
        """Value of each mode: gain in certainty equivalent over the month, share of wealth."""
        model = self.model
        sc, policy = model.scenario, model.policy
        mk, e, st, c = sc.market, policy.enforcement, policy.state, sc.companies
        w = self.wealth
        y0 = sc.population.baseline_income
        k = mk.invest_share * w
        stakes = (0.0, min(k, mk.smuggling_capacity), k, k)
        shares = (
            0.0,
            1.0 - mk.smuggling_cost_share,
            1.0 - c.partner_commission,
            (1.0 - c.member_commission) * (1.0 - st.unit_payment) * (1.0 - st.surrender_rate),
        )
        # Organisational life: members bear theirs; others pay the fee or bear the base.
        member_cost = self.org_aversion * st.org_burden_member
        base_cost = self.org_aversion * st.org_burden_base
        fee_month = st.inminban_fee / 12.0
        if st.inminban_fee <= st.fee_wealth_limit * w and fee_month < base_cost:
            other_cost = fee_month
        else:
            other_cost = base_cost
        fines = (0.0, e.smuggling_fine, e.partner_fine, e.member_fine)
        months = (0, e.smuggling_detention, e.partner_detention, e.member_detention)
        risks = (0.0, self.belief[0], self.belief[1], e.member_risk)
        margin = mk.turnover * max(model.expected_margin, -1.0)
        floor = sc.preferences.ruin_floor * w
        detained_month = y0 + sc.preferences.detention_cost
        values = []
        for j in range(4):
            stake = stakes[j]
            org = member_cost if j == MEMBER else other_cost
            safe = y0 + mk.safe_return * (w - stake)
            x_ok = max(w + safe + stake * margin * shares[j] - org, floor)
            loss = stake + fines[j] + months[j] * detained_month
            x_bad = max(w + safe - loss - org, floor)
            ce = certainty_equivalent(x_ok, x_bad, risks[j], self.risk_aversion)
            values.append((ce - w) / w)
        return values

    def choose_mode(self, partner_open: bool, posts_may_open: bool) -> None:
        """Draw a mode by multinomial logit over the feasible modes' values."""
        model = self.model
        sc = model.scenario
        feasible = (
            True,
            model.policy.border.smuggling_open,
            partner_open and self.wealth >= sc.companies.partner_min_capital,
            self.wealth >= sc.companies.member_min_capital
            and (self.keeps_post() or posts_may_open),
        )
        values = self.mode_values()
        noise = sc.preferences.choice_noise
        best = max(v / noise for v, ok in zip(values, feasible, strict=True) if ok)
        weights = [
            math.exp(v / noise - best) if ok else 0.0
            for v, ok in zip(values, feasible, strict=True)
        ]
        u = model.random.random() * sum(weights)
        choice = OUTSIDE
        acc = 0.0
        for j, wj in enumerate(weights):
            acc += wj
            if wj > 0 and u < acc:
                choice = j
                break
        self.choice = choice

    # -- step 5: trade -----------------------------------------------------------------

    def plan_trade(self) -> None:
        """Record the month's mode and the capital this trader wants to put in goods."""
        mk = self.model.scenario.market
        self.trade_mode = self.mode
        self.trade_company = self.company
        if self.mode == SMUGGLER:
            self.wanted = min(mk.invest_share * self.wealth, mk.smuggling_capacity)
        elif self.mode in (PARTNER, MEMBER):
            self.wanted = mk.invest_share * self.wealth
            self.company.outside_capital += self.wanted
        else:
            self.wanted = 0.0

    def deploy(self) -> None:
        """Capital actually in goods: a company's ration scales partners' and members' capital."""
        if self.trade_mode in (PARTNER, MEMBER):
            self.deployed = self.wanted * self.trade_company.ration
        else:
            self.deployed = self.wanted

    def realise(self) -> None:
        """Profit at the realised margin, commission to the company, surrender to the state."""
        model = self.model
        c, st = model.scenario.companies, model.policy.state
        gross = model.scenario.market.turnover * model.margin * self.deployed
        self.commission = 0.0
        self.surrender = 0.0
        if self.trade_mode == SMUGGLER:
            self.profit = gross * (1.0 - model.scenario.market.smuggling_cost_share)
        elif self.trade_mode == PARTNER:
            self.profit = gross * (1.0 - c.partner_commission)
            self.commission = c.partner_commission * gross
        elif self.trade_mode == MEMBER:
            rest = (1.0 - c.member_commission) * gross
            self.commission = c.member_commission * gross + st.unit_payment * rest
            self.surrender = st.surrender_rate * (1.0 - st.unit_payment) * rest
            self.profit = rest * (1.0 - st.unit_payment) * (1.0 - st.surrender_rate)
        else:
            self.profit = 0.0

    # -- step 6: enforcement -----------------------------------------------------------

    def face_enforcement(self) -> None:
        """Smugglers by border detection; partners only if their company is inspected."""
        e = self.model.policy.enforcement
        mode = self.trade_mode
        self.caught = False
        if mode == SMUGGLER:
            self.caught = self.model.random.random() < e.smuggling_detection
            fine, months = e.smuggling_fine, e.smuggling_detention
        elif mode == PARTNER:
            draw = self.model.random.random()
            company = self.trade_company
            company.partners_traded += 1
            self.caught = company.inspected and draw < e.partner_detection
            if self.caught:
                company.partners_caught += 1
            fine, months = e.partner_fine, e.partner_detention
        elif mode == MEMBER:
            self.caught = self.model.random.random() < e.member_risk
            fine, months = e.member_fine, e.member_detention
        if self.caught:
            self.confiscated = self.deployed
            self.fined = min(fine, max(self.wealth - self.confiscated, 0.0))
            self.detention = months
        else:
            self.confiscated = 0.0
            self.fined = 0.0
            self.detention = 0

    # -- step 7: learning --------------------------------------------------------------

    def learn(self) -> None:
        """Update both perceived risks from arrests among contacts (Beta pseudo-counts)."""
        model = self.model
        lr = model.scenario.learning
        seen_s = caught_s = seen_p = caught_p = 0.0
        for other in self.contacts:
            if other.trade_mode == SMUGGLER:
                seen_s += 1.0
                if other.caught:
                    caught_s += 1.0
            elif other.trade_mode == PARTNER:
                seen_p += 1.0
                if other.caught:
                    caught_p += 1.0
        if self.trade_mode == PARTNER and lr.company_weight > 0:
            company = self.trade_company
            rate = company.partners_caught / company.partners_traded
            seen_p += lr.company_weight
            caught_p += lr.company_weight * rate
        for channel, seen, hits in ((0, seen_s, caught_s), (1, seen_p, caught_p)):
            kept = lr.memory * self.belief_weight[channel]
            weight = kept + seen
            if weight > 0:
                self.belief[channel] = (kept * self.belief[channel] + hits) / weight
            self.belief_weight[channel] = weight
            for risk, strength in model.campaign_signals[channel]:
                w0 = self.belief_weight[channel]
                self.belief[channel] = (w0 * self.belief[channel] + strength * risk) / (
                    w0 + strength
                )
                self.belief_weight[channel] = w0 + strength

    def set_true_beliefs(self) -> None:
        """With learning off, perceived risks are the true risks of the policy in force."""
        self.belief[0] = self.model.policy.smuggler_risk
        self.belief[1] = self.model.policy.partner_risk

    # -- step 8: accounting ------------------------------------------------------------

    def account(self) -> None:
        """Income, wealth, fee, detention countdown, arrests; pay the company its commission."""
        model = self.model
        sc, st = model.scenario, model.policy.state
        mode = self.trade_mode
        if mode == DETAINED:
            self.income = 0.0
            self.detention_left -= 1
            if self.detention_left <= 0:
                self.detention_left = 0
                self.mode = OUTSIDE
                self.must_revise = True
                model.released += 1
            return
        safe = sc.market.safe_return * (self.wealth - self.deployed)
        trade_income = -(self.confiscated + self.fined) if self.caught else self.profit
        fee = 0.0
        if mode != MEMBER and st.inminban_fee <= st.fee_wealth_limit * self.wealth:
            if st.inminban_fee / 12.0 < self.org_aversion * st.org_burden_base:
                fee = st.inminban_fee / 12.0
        self.income = sc.population.baseline_income + safe + trade_income - fee
        gains = safe + max(trade_income, 0.0)
        losses = min(trade_income, 0.0) - fee
        self.wealth = max(self.wealth + sc.population.savings_rate * gains + losses, MIN_WEALTH)
        model.fees += fee
        if mode in (PARTNER, MEMBER) and not self.caught:
            self.trade_company.commission_income += self.commission
        if self.caught:
            if self.detention > 0:
                self.detention_left = self.detention
                self.mode = DETAINED
            else:
                self.mode = OUTSIDE
                self.must_revise = True
            self.company = None
