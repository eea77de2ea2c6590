"""The Mesa 3 reference model: the wakusim rules, one Python object per agent.

:class:`WakuModel` takes a validated wakusim scenario, compiles the same policy
schedule (``compile_timeline``, ``policy_for_month``) and runs the eight monthly
processes of MODEL.md section 3 as staged agent methods. Aggregates shared by
agents (the policy in force, the expected margin, the realised price, the
campaigns of the month) live on the model. ``mesa.DataCollector`` records the
observables of each simulated (not warm-up) month.

Usage::

    import wakusim
    from benchmarks.mesa_reference import run_reference

    sc = wakusim.load_scenario("history", {"population.size": 1000, "warmup_months": 12})
    frame = run_reference(sc, seed=1)   # one row per month, indexed "YYYY-MM"
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import mesa
import pandas as pd

from benchmarks.mesa_reference.agents import (
    DETAINED,
    MEMBER,
    MODE_NAMES,
    OUTSIDE,
    PARTNER,
    SMUGGLER,
    Company,
    Individual,
)
from wakusim.core.policy import Policy, policy_for_month
from wakusim.scenarios.calendar import month_label
from wakusim.scenarios.schema import Scenario
from wakusim.scenarios.timeline import PolicySchedule, compile_timeline

MIN_VOLUME_RATIO = 0.01


def _mode_share(code: int) -> Callable[[WakuModel], float]:
    def share(model: WakuModel) -> float:
        free = model.counts[0] + model.counts[1] + model.counts[2] + model.counts[3]
        return model.counts[code] / free if free else float("nan")

    return share


def apportion(total: int, shares: list[float]) -> list[int]:
    """Split an integer total by shares: floors, then the largest remainders get one more.

    Parameters
    ----------
    total
        The integer to split.
    shares
        Non-negative shares summing to one.

    Returns
    -------
    list[int]
        One integer per share, summing to ``total``.
    """
    raw = [total * s for s in shares]
    base = [math.floor(r) for r in raw]
    rest = total - sum(base)
    order = sorted(range(len(raw)), key=lambda i: -(raw[i] - base[i]))
    for i in order[: max(rest, 0)]:
        base[i] += 1
    return base


def small_world(n: int, k: int, beta: float, rnd: Any) -> list[list[int]]:
    """Directed Watts-Strogatz contacts: ring lattice of ``k`` neighbours, each tie rewired.

    Each of the ``k`` ties of individual ``i`` (``k/2`` each side on a ring) is
    rewired with probability ``beta`` to a uniformly drawn individual other than ``i``.

    Parameters
    ----------
    n
        Number of individuals.
    k
        Contacts per individual (even).
    beta
        Rewiring probability.
    rnd
        A ``random.Random``.

    Returns
    -------
    list[list[int]]
        Row ``i`` holds the indices ``i`` hears arrests from.
    """
    k = min(k, n - 1 - (n - 1) % 2) if n > 2 else min(k, n - 1)
    half = k // 2
    offsets = list(range(1, half + 1)) + [-d for d in range(1, half + 1)]
    rows = []
    for i in range(n):
        row = []
        for d in offsets:
            if rnd.random() < beta:
                j = rnd.randrange(n - 1)
                row.append(j + 1 if j >= i else j)
            else:
                row.append((i + d) % n)
        rows.append(row)
    return rows


class WakuModel(mesa.Model):
    """The waku trade system, agent by agent.

    Parameters
    ----------
    scenario
        A validated wakusim scenario (``wakusim.load_scenario``).
    seed
        Seed of the model's random generators (``model.random`` and ``model.rng``).
    initial
        Optional given initial population instead of drawing one, for paired
        comparisons (common random numbers): sequences ``wealth``,
        ``risk_aversion``, ``org_aversion`` and ``contacts`` (rows of indices) per
        individual and ``quota``, ``member_slots``, ``boldness`` per company.
    """

    def __init__(
        self,
        scenario: Scenario,
        seed: int | None = None,
        initial: Mapping[str, Sequence[Any]] | None = None,
    ) -> None:
        super().__init__(rng=seed)
        self.scenario = scenario
        self.schedule: PolicySchedule = compile_timeline(scenario)
        self.first_policy = policy_for_month(self.schedule, 0)
        self.policy: Policy = self.first_policy
        self.t = -scenario.warmup_months  # month offset; negative during warm-up
        self.campaign_signals: tuple[list[tuple[float, float]], list[tuple[float, float]]] = (
            [],
            [],
        )
        self.label = ""
        # Market.
        mk = scenario.market
        n = scenario.population.size
        self.reference_volume = mk.reference_volume_per_capita * n
        self.expected_margin = mk.price_ref - 1.0
        self.price = mk.price_ref
        self.margin = self.price - 1.0
        # Monthly tallies.
        self.counts = [0, 0, 0, 0, 0]
        self.arrests = [0, 0, 0, 0]
        self.volumes = {"smuggling": 0.0, "partner": 0.0, "member": 0.0, "own": 0.0}
        self.revenue = {"surrender": 0.0, "fines": 0.0, "confiscation": 0.0, "loyalty": 0.0}
        self.fees = 0.0
        self.released = 0
        if initial is None:
            self._create_agents()
        else:
            self._place_agents(initial)
        reporters: dict[str, Any] = {"month": "label"}
        for code, name in enumerate(MODE_NAMES):
            reporters[f"n_{name}"] = lambda m, c=code: m.counts[c]
        for code in (OUTSIDE, SMUGGLER, PARTNER, MEMBER):
            reporters[f"share_{MODE_NAMES[code]}"] = _mode_share(code)
        for code in (SMUGGLER, PARTNER, MEMBER):
            reporters[f"arrests_{MODE_NAMES[code]}"] = lambda m, c=code: m.arrests[c]
        reporters.update(
            {
                "price": "price",
                "margin": "margin",
                "expected_margin": "expected_margin",
                "volume_total": lambda m: sum(m.volumes.values()),
                "volume_company": lambda m: m.volume_company,
                "companies_accepting": lambda m: sum(c.takes_partners for c in m.companies),
                "companies_suspended": lambda m: sum(not c.active for c in m.companies),
                "revenue_total": lambda m: sum(m.revenue.values()),
                "wealth_mean": lambda m: sum(a.wealth for a in m.individuals) / len(m.individuals),
                "perceived_risk_partner": lambda m: m.mean_belief(1),
            }
        )
        self.datacollector = mesa.DataCollector(model_reporters=reporters)

    # -- set-up ------------------------------------------------------------------------

    def _create_agents(self) -> None:
        sc = self.scenario
        pop, pref, comp = sc.population, sc.preferences, sc.companies
        rnd = self.random
        ra, oa = pref.risk_aversion, pref.org_aversion
        for _ in range(pop.size):
            wealth = pop.wealth.median * math.exp(pop.wealth.sigma * rnd.gauss(0.0, 1.0))
            gamma = ra.median * math.exp(ra.sigma * rnd.gauss(0.0, 1.0))
            gamma = min(max(gamma, ra.min), ra.max)
            aversion = oa.median * math.exp(oa.sigma * rnd.gauss(0.0, 1.0))
            Individual(self, wealth, gamma, aversion)
        people = list(self.agents_by_type[Individual])
        rows = small_world(pop.size, pop.contacts.degree, pop.contacts.rewiring, rnd)
        for person, row in zip(people, rows, strict=True):
            person.contacts = [people[j] for j in row]
        sizes = [math.exp(comp.quota_dispersion * rnd.gauss(0.0, 1.0)) for _ in range(comp.count)]
        total = sum(sizes)
        shares = [s / total for s in sizes]
        slots = apportion(round(comp.member_slots_per_1000 * pop.size / 1000.0), shares)
        for share, n_slots in zip(shares, slots, strict=True):
            boldness = comp.boldness.median * math.exp(comp.boldness.sigma * rnd.gauss(0.0, 1.0))
            quota = share * comp.quota_ratio * self.reference_volume
            Company(self, quota, n_slots, boldness)

    def _place_agents(self, initial: Mapping[str, Sequence[Any]]) -> None:
        for wealth, gamma, aversion in zip(
            initial["wealth"], initial["risk_aversion"], initial["org_aversion"], strict=True
        ):
            Individual(self, float(wealth), float(gamma), float(aversion))
        people = list(self.agents_by_type[Individual])
        for person, row in zip(people, initial["contacts"], strict=True):
            person.contacts = [people[int(j)] for j in row]
        for quota, n_slots, boldness in zip(
            initial["quota"], initial["member_slots"], initial["boldness"], strict=True
        ):
            Company(self, float(quota), int(n_slots), float(boldness))

    @property
    def individuals(self) -> mesa.agent.AgentSet:
        """All individuals (an ``AgentSet``)."""
        return self.agents_by_type[Individual]

    @property
    def companies(self) -> mesa.agent.AgentSet:
        """All companies (an ``AgentSet``)."""
        return self.agents_by_type[Company]

    @property
    def volume_company(self) -> float:
        """Imports through companies' permits this month."""
        v = self.volumes
        return v["partner"] + v["member"] + v["own"]

    def mean_belief(self, channel: int) -> float:
        """Mean perceived risk of a channel among the free."""
        free = [a.belief[channel] for a in self.individuals if a.mode != DETAINED]
        return sum(free) / len(free) if free else float("nan")

    # -- the month ---------------------------------------------------------------------

    def step(self) -> None:
        """Advance one month: the eight processes in order, then record (after warm-up)."""
        sc = self.scenario
        # 1 policy (warm-up months run under the first month's policy, without campaigns).
        signals: tuple[list[tuple[float, float]], list[tuple[float, float]]] = ([], [])
        if self.t < 0:
            self.policy = self.first_policy
        else:
            self.policy = policy_for_month(self.schedule, self.t)
            self.label = month_label(self.schedule.start_month + self.t)
            true = (self.policy.smuggler_risk, self.policy.partner_risk)
            for campaign in self.schedule.campaigns.get(self.t, []):
                channel = 0 if campaign.channel == "smuggler" else 1
                risk = true[channel] if campaign.risk is None else campaign.risk
                signals[channel].append((risk, campaign.weight))
        self.campaign_signals = signals
        if not sc.learning.enabled:
            self.individuals.do("set_true_beliefs")
            for company in self.companies:
                company.perceived_inspection = self.policy.enforcement.inspection_rate
        # 2 expectations.
        w = sc.market.expectation_weight
        self.expected_margin = (1.0 - w) * self.expected_margin + w * (self.price - 1.0)
        # 3 companies decide.
        self.companies.do("decide_partners")
        # 4 individuals decide.
        self._revise_modes()
        # 5 trade.
        self._trade()
        # 6 enforcement.
        self._enforce()
        # 7 learning.
        if sc.learning.enabled:
            self.individuals.do("learn")
            active = sum(c.active for c in self.companies)
            observed = sum(c.inspected for c in self.companies) / max(active, 1)
            self.companies.do("learn", observed)
        else:
            self.individuals.do("set_true_beliefs")
        # 8 accounting and records.
        self._account()
        if self.t >= 0:
            self.datacollector.collect(self)
        self.t += 1

    def _revise_modes(self) -> None:
        companies = list(self.companies)
        for c in companies:
            c.n_members = 0
        for person in self.individuals:
            if person.mode == MEMBER:
                person.company.n_members += 1
        self.companies.do("open_posts")
        self.individuals.do("decide_revision")
        revisers = [p for p in self.individuals if p.revising]
        self.individuals.set("must_revise", False)
        if not revisers:
            return
        partner_open = any(c.takes_partners for c in companies)
        keepers = sum(p.keeps_post() for p in revisers)
        posts_may_open = sum(c.open_slots for c in companies) + keepers > 0
        for person in revisers:
            person.choose_mode(partner_open, posts_may_open)

        # Partners: stay with a company still taking partners, else pick one by quota.
        takers = [c for c in companies if c.takes_partners]
        quotas = [c.quota for c in takers]
        newcomers = []
        for person in revisers:
            old_mode, old_company = person.mode, person.company
            if person.choice == PARTNER:
                if not (
                    old_mode == PARTNER and old_company is not None and old_company.takes_partners
                ):
                    person.company = self.random.choices(takers, weights=quotas)[0]
            elif person.choice == MEMBER:
                # A member who stays keeps its post, even while the permit is suspended.
                if not person.keeps_post():
                    newcomers.append(person)
            else:
                person.company = None
            if old_mode == MEMBER and old_company is not None and person.choice != MEMBER:
                if old_company.active:
                    old_company.open_slots += 1  # the vacated post opens to newcomers now
            person.mode = person.choice
        # Members: each newcomer picks a company in proportion to open posts; posts go
        # in random order; those turned away stay outside and reconsider next month.
        slots = [c.open_slots for c in companies]
        total = sum(slots)
        self.random.shuffle(newcomers)
        for person in newcomers:
            picked = self.random.choices(companies, weights=slots)[0] if total > 0 else None
            if picked is not None and picked.open_slots > 0:
                picked.open_slots -= 1
                person.company = picked
            else:
                person.mode = OUTSIDE
                person.company = None
                person.must_revise = True

    def _trade(self) -> None:
        mk = self.scenario.market
        for c in self.companies:
            c.outside_capital = 0.0
        self.individuals.do("plan_trade")
        self.companies.do("ration_trade")
        self.individuals.do("deploy")
        volume = {"smuggling": 0.0, "partner": 0.0, "member": 0.0}
        key = {SMUGGLER: "smuggling", PARTNER: "partner", MEMBER: "member"}
        for person in self.individuals:
            if person.trade_mode in key:
                volume[key[person.trade_mode]] += mk.turnover * person.deployed
        volume["own"] = mk.turnover * sum(c.own_deployed for c in self.companies)
        self.volumes = volume
        ratio = max(sum(volume.values()) / self.reference_volume, MIN_VOLUME_RATIO)
        self.price = mk.price_ref * ratio ** (-1.0 / mk.elasticity)
        self.margin = self.price - 1.0
        self.individuals.do("realise")

    def _enforce(self) -> None:
        for c in self.companies:
            c.partners_traded = 0
            c.partners_caught = 0
        self.companies.do("draw_inspection")
        self.individuals.do("face_enforcement")
        self.companies.do("settle_enforcement")

    def _account(self) -> None:
        for c in self.companies:
            c.commission_income = 0.0
        self.fees = 0.0
        self.released = 0
        arrests = [0, 0, 0, 0]
        revenue = {"surrender": 0.0, "fines": 0.0, "confiscation": 0.0, "loyalty": 0.0}
        for person in self.individuals:
            if person.caught:
                arrests[person.trade_mode] += 1
                revenue["fines"] += person.fined
                revenue["confiscation"] += person.confiscated
            elif person.trade_mode == MEMBER:
                revenue["surrender"] += person.surrender
        self.individuals.do("account")
        self.companies.do("account")
        revenue["fines"] += sum(c.fined for c in self.companies)
        revenue["loyalty"] = sum(c.loyalty_paid for c in self.companies)
        self.arrests, self.revenue = arrests, revenue
        counts = [0, 0, 0, 0, 0]
        for person in self.individuals:
            counts[person.mode] += 1
        self.counts = counts

    def timeseries(self) -> pd.DataFrame:
        """The recorded months, one row per month, indexed by ``YYYY-MM``."""
        return self.datacollector.get_model_vars_dataframe().set_index("month")


def run_reference(
    scenario: Scenario,
    seed: int | None = None,
    initial: Mapping[str, Sequence[Any]] | None = None,
) -> pd.DataFrame:
    """Run the warm-up and every month of ``scenario``; return the monthly records.

    Parameters
    ----------
    scenario
        A validated wakusim scenario.
    seed
        Seed of the model's generators.
    initial
        Optional given initial population (see :class:`WakuModel`).

    Returns
    -------
    pandas.DataFrame
        One row per simulated month, indexed by ``YYYY-MM``.
    """
    model = WakuModel(scenario, seed=seed, initial=initial)
    for _ in range(scenario.warmup_months + scenario.n_months):
        model.step()
    return model.timeseries()
