"""The stationary mean-field equilibrium of the decision problem.

Given the policy in force and a population of types (:mod:`.types`), an
expected margin ``g`` determines everything else:

1. each type values the modes (:func:`wakusim.core.decisions.mode_values`,
   perceived risks equal to the true ones) and chooses by logit
   (:func:`wakusim.core.decisions.choice_probabilities`) among the modes
   feasible to it;
2. the stationary distribution of each type's monthly chain
   (:mod:`.stationary`) gives who trades in which mode, who is caught and
   who is detained;
3. the traders' capital, with the companies' own funds and the quota
   rationing of each company, gives the month's import volume ``S`` and the
   sale value ``P(S) = P_ref (S / S_ref) ** (-1 / elasticity)``;
4. in a stationary state the expected margin equals the realised one.

An equilibrium is a root of ``F(g) = P(S(g)) - 1 - g``. ``F`` is one-dimensional,
so all roots are found by scanning a grid of starting margins (log-spaced in
``1 + g`` over the whole range the price can take), bracketing every sign
change and solving each bracket with Brent's method; equal roots are merged.
A root where ``F`` crosses from above to below is stable under adaptive
expectations (a margin a little too high brings more supply and a lower
price); one crossing from below is unstable (a tipping point between two
stable equilibria).

Assumptions of the mean-field (where the simulation has more): wealth is
fixed (no saving, no losses carried into later choices); companies' permits
are never suspended and their own funds sit at their ceiling; an inspection
exposes a company's partners independently, each with the detection
probability, the company's count being its average share of all partners;
all companies of a kind (accepting partners or not) ration in the same
proportion; member posts are not rationed (``slots_bind`` reports when the
solution needs more posts than exist).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import brentq
from scipy.stats import norm

from wakusim.core.decisions import capital_at_stake, choice_probabilities, mode_values
from wakusim.core.market import MIN_VOLUME_RATIO, sale_value
from wakusim.core.policy import Policy, policy_for_month
from wakusim.core.state import MEMBER, PARTNER, SMUGGLER
from wakusim.equilibrium.stationary import Stationary, stationary
from wakusim.equilibrium.types import PopulationTypes, types_from_scenario
from wakusim.errors import WakusimInputError
from wakusim.scenarios.calendar import month_index, month_label, parse_date
from wakusim.scenarios.schema import Scenario
from wakusim.scenarios.timeline import compile_timeline

MODES = ("outside", "smuggler", "partner", "member")
REVENUE_SOURCES = ("surrender", "fines", "confiscation", "loyalty")


@dataclass
class Equilibrium:
    """One stationary equilibrium.

    Shares are among free individuals at the end of a month (as the
    simulation's ``share_*`` columns); volumes and revenue are per month for
    the scenario's population size, in CNY.

    Attributes
    ----------
    shares
        Mode -> share among free individuals (``outside`` includes those just released).
    detained
        Share of the whole population in detention.
    margin, price
        Expected (= realised) margin and sale value per yuan of import cost.
    volume
        Channel -> import volume (``smuggling``, ``partner``, ``member``, ``company_own``,
        ``total``), CNY of import cost per month.
    revenue
        Source -> state revenue (``surrender``, ``fines``, ``confiscation``, ``loyalty``,
        ``total``), CNY per month.
    arrests
        Mode -> arrests per month.
    accepting
        Share of companies that accept partners.
    converged, residual, iterations
        Whether ``|F(g)|`` fell below the tolerance, its final value, and the
        iterations Brent's method took.
    stable
        Whether the equilibrium is stable under adaptive expectations.
    slots_bind
        Whether the solution needs more member posts than the companies have.
    """

    shares: dict[str, float]
    detained: float
    margin: float
    price: float
    volume: dict[str, float]
    revenue: dict[str, float]
    arrests: dict[str, float]
    accepting: float
    converged: bool
    residual: float
    iterations: int
    stable: bool
    slots_bind: bool

    def to_row(self) -> dict[str, Any]:
        """Return the equilibrium as one flat record (columns as in the simulation)."""
        row: dict[str, Any] = {f"share_{k}": v for k, v in self.shares.items()}
        row["share_detained_population"] = self.detained
        row["margin"] = self.margin
        row["price"] = self.price
        row.update({f"volume_{k}": v for k, v in self.volume.items()})
        row.update({f"revenue_{k}": v for k, v in self.revenue.items()})
        row.update({f"arrests_{k}": v for k, v in self.arrests.items()})
        row.update(
            accepting=self.accepting,
            converged=self.converged,
            residual=self.residual,
            iterations=self.iterations,
            stable=self.stable,
            slots_bind=self.slots_bind,
        )
        return row


@dataclass
class EquilibriumResult:
    """All equilibria found for one policy.

    Attributes
    ----------
    scenario
        Name of the scenario.
    date
        Month of the policy (``YYYY-MM``).
    equilibria
        The equilibria, by increasing margin (so by decreasing trade).
    n_types
        Number of types in the population mixture.
    starts
        Number of starting margins scanned.
    evaluations
        Evaluations of the fixed-point map.
    """

    scenario: str
    date: str
    equilibria: list[Equilibrium]
    n_types: int
    starts: int
    evaluations: int = 0
    policy: Policy | None = field(default=None, repr=False)

    @property
    def converged(self) -> bool:
        """Whether at least one equilibrium was found and all found converged."""
        return bool(self.equilibria) and all(e.converged for e in self.equilibria)

    @property
    def stable(self) -> list[Equilibrium]:
        """The stable equilibria."""
        return [e for e in self.equilibria if e.stable]

    def to_frame(self) -> pd.DataFrame:
        """Return one row per equilibrium."""
        rows = [e.to_row() for e in self.equilibria]
        frame = pd.DataFrame(rows)
        frame.index.name = "equilibrium"
        return frame


class MeanField:
    """The fixed-point map of one policy and one population of types.

    Parameters
    ----------
    scenario
        Static parameters (preferences, companies, market, population size).
    policy
        Policy in force.
    types
        Population mixture.
    """

    def __init__(self, scenario: Scenario, policy: Policy, types: PopulationTypes) -> None:
        self.scenario, self.policy, self.types = scenario, policy, types
        sc, e = scenario, policy.enforcement
        self.n = float(sc.population.size)
        mk, comp = sc.market, sc.companies
        self.ref_pc = mk.reference_volume_per_capita
        self.quota_pc = comp.quota_ratio * self.ref_pc
        self.capacity_pc = self.quota_pc * policy.border.trade_level
        self.own_pc = comp.own_funds_share * self.quota_pc
        self.stake = capital_at_stake(types.wealth, sc)
        self.risk = np.array([0.0, policy.smuggler_risk, policy.partner_risk, e.member_risk])
        self.detention = np.array(
            [0, e.smuggling_detention, e.partner_detention, e.member_detention], dtype=float
        )
        self.fine = np.array([0.0, e.smuggling_fine, e.partner_fine, e.member_fine])
        slots = comp.member_slots_per_1000 * self.n / 1000.0 * policy.state.member_slots_level
        self.slots = float(slots)
        base = np.ones((types.size, 4), dtype=bool)
        base[:, SMUGGLER] = policy.border.smuggling_open
        base[:, PARTNER] = types.wealth >= comp.partner_min_capital
        base[:, MEMBER] = (types.wealth >= comp.member_min_capital) & (self.slots >= 1.0)
        self.base_feasible = base
        self.evaluations = 0

    # -- companies -------------------------------------------------------------------------

    def accepting(self, margin: float, partners_per_company: float = 1.0) -> float:
        """Share of companies that accept partners at expected margin ``margin``.

        A company of average quota compares ``boldness * commission`` with
        ``inspection_rate * (company_fine + suspension_months * commission)``
        times the chance that an inspection exposes at least one of its partners,
        ``1 - (1 - partner_detection) ** max(partners_per_company, 1)``, as in
        :mod:`wakusim.core.processes.companies`; the share is the chance that a
        log-normal boldness passes.
        """
        sc, e = self.scenario, self.policy.enforcement
        comp = sc.companies
        quota = self.quota_pc * self.n / comp.count
        commission = (
            comp.partner_commission * max(margin, 0.0) * quota * self.policy.border.trade_level
        )
        if commission <= 0:
            return 0.0
        exposure = 1.0 - (1.0 - e.partner_detection) ** max(partners_per_company, 1.0)
        risk = e.inspection_rate * exposure
        if risk <= 0:  # nothing to fear: every company with a commission accepts
            return 1.0
        with np.errstate(over="ignore"):  # a vanishing commission: need is inf, nobody accepts
            need = risk * (e.company_fine / commission + e.suspension_months)
        if need <= 0:
            return 1.0
        b = comp.boldness
        if b.sigma == 0:
            return 1.0 if b.median >= need else 0.0
        # (the C library's log, the same on any processor)
        return float(norm.sf((math.log(need) - math.log(b.median)) / b.sigma))

    # -- the map ---------------------------------------------------------------------------

    def state(self, margin: float) -> dict[str, Any]:
        """Everything the stationary state implies at expected margin ``margin``."""
        self.evaluations += 1
        sc, pol, ty = self.scenario, self.policy, self.types
        mk, comp = sc.market, sc.companies
        values = mode_values(
            ty.wealth,
            ty.risk_aversion,
            ty.org_aversion,
            np.full(ty.size, pol.smuggler_risk),
            np.full(ty.size, pol.partner_risk),
            margin,
            pol,
            sc,
        )
        revise = np.full(4, sc.preferences.revision_rate)
        if not pol.border.smuggling_open:
            revise[SMUGGLER] = 1.0
        # Partners per company if every company took them: what a company expects to expose.
        q = choice_probabilities(values, self.base_feasible, sc.preferences.choice_noise)
        st = stationary(q, revise, self.risk, self.detention)
        per_company = self.n * float(ty.weight @ st.trading[:, PARTNER]) / comp.count
        accepting = self.accepting(margin, per_company)
        partners_open = accepting * comp.count >= 0.5
        if not partners_open:
            feasible = self.base_feasible.copy()
            feasible[:, PARTNER] = False
            revise[PARTNER] = 1.0
            q = choice_probabilities(values, feasible, sc.preferences.choice_noise)
            st = stationary(q, revise, self.risk, self.detention)

        # Capital in trade per capita, and the rationing of company trade.
        w = ty.weight
        wanted = st.trading * self.stake
        smug_k = float(w @ wanted[:, SMUGGLER])
        partner_k = float(w @ wanted[:, PARTNER]) if partners_open else 0.0
        member_k = float(w @ wanted[:, MEMBER])
        a = accepting if partners_open else 0.0
        t = mk.turnover
        ration_a = _ration(self.capacity_pc * a, t * (self.own_pc * a + partner_k + a * member_k))
        ration_b = _ration(
            self.capacity_pc * (1 - a), t * (self.own_pc * (1 - a) + (1 - a) * member_k)
        )
        ration_member = a * ration_a + (1 - a) * ration_b
        vol = {
            "smuggling": t * smug_k,
            "partner": t * partner_k * ration_a,
            "member": t * member_k * ration_member,
            "company_own": t * self.own_pc * (a * ration_a + (1 - a) * ration_b),
        }
        vol["total"] = sum(vol.values())
        price = sale_value(vol["total"], self.ref_pc, mk.price_ref, mk.elasticity)
        ration = np.array([0.0, 1.0, ration_a, ration_member])
        return {
            "stationary": st,
            "choice": q,
            "volume_pc": vol,
            "price": price,
            "ration": ration,
            "accepting": accepting if partners_open else 0.0,
        }

    def residual(self, margin: float) -> float:
        """``F(g) = P(S(g)) - 1 - g``: zero at an equilibrium."""
        return self.state(margin)["price"] - 1.0 - margin

    # -- reporting -------------------------------------------------------------------------

    def equilibrium(
        self, margin: float, converged: bool, iterations: int, stable: bool
    ) -> Equilibrium:
        """Describe the stationary state at ``margin``."""
        sc, pol, ty = self.scenario, self.policy, self.types
        s = self.state(margin)
        st: Stationary = s["stationary"]
        w, n = ty.weight, self.n
        end = w @ st.end_of_month
        free = float(end.sum())
        shares = {name: float(end[i] / free) for i, name in enumerate(MODES)}
        price = s["price"]
        realised = price - 1.0
        deployed = self.stake * s["ration"]
        caught = st.caught
        st_ = pol.state
        c = sc.companies
        surrender_rate = st_.surrender_rate * (1.0 - st_.unit_payment) * (1.0 - c.member_commission)
        surrender = (
            n
            * surrender_rate
            * sc.market.turnover
            * realised
            * float(w @ ((st.trading[:, MEMBER] - caught[:, MEMBER]) * deployed[:, MEMBER]))
        )
        paid = np.minimum(self.fine[None, :], np.maximum(ty.wealth[:, None] - deployed, 0.0))
        fines_ind = n * float(w @ (caught * paid).sum(axis=1))
        partners_trading = float(w @ st.trading[:, PARTNER])
        quota = self.quota_pc * n / c.count
        accepting_companies = c.count * s["accepting"]
        per_company = partners_trading * n / accepting_companies if accepting_companies else 0.0
        exposed = (
            1.0 - (1.0 - pol.enforcement.partner_detection) ** per_company
            if partners_trading * n >= 1
            else 0.0
        )
        company_caught = accepting_companies * pol.enforcement.inspection_rate * exposed
        fines_comp = company_caught * min(pol.enforcement.company_fine, c.own_funds_share * quota)
        confiscation = n * float(w @ (caught * deployed).sum(axis=1))
        # Loyalty funds come from the companies' income, the shortfall from own funds
        # (accounting.py); in aggregate, all companies pooled.
        kept_p = (st.trading[:, PARTNER] - caught[:, PARTNER]) * deployed[:, PARTNER]
        kept_m = (st.trading[:, MEMBER] - caught[:, MEMBER]) * deployed[:, MEMBER]
        member_pay = c.member_commission + st_.unit_payment * (1.0 - c.member_commission)
        gross = sc.market.turnover * realised
        income = (
            n * gross * (c.partner_commission * float(w @ kept_p) + member_pay * float(w @ kept_m))
            + n * gross * s["volume_pc"]["company_own"] / sc.market.turnover
        )
        own_funds = c.own_funds_share * quota * c.count
        loyalty = min(c.count * st_.loyalty_payment, max(income, 0.0) + own_funds)
        revenue = {
            "surrender": surrender,
            "fines": fines_ind + fines_comp,
            "confiscation": confiscation,
            "loyalty": loyalty,
        }
        revenue["total"] = sum(revenue.values())
        members = n * float(w @ st.end_of_month[:, MEMBER])
        return Equilibrium(
            shares=shares,
            detained=float(w @ st.detained),
            margin=float(margin),
            price=float(price),
            volume={k: v * n for k, v in s["volume_pc"].items()},
            revenue=revenue,
            arrests={MODES[j]: n * float(w @ caught[:, j]) for j in (SMUGGLER, PARTNER, MEMBER)},
            accepting=float(s["accepting"]),
            converged=converged,
            residual=float(price - 1.0 - margin),
            iterations=iterations,
            stable=stable,
            slots_bind=members > self.slots + 0.5,
        )

    def margin_bounds(self) -> tuple[float, float]:
        """Smallest and largest margin the market can produce."""
        mk = self.scenario.market
        top = mk.price_ref * MIN_VOLUME_RATIO ** (-1.0 / mk.elasticity)
        return -1.0 + 1e-9, top - 1.0


def _ration(capacity: float, demand: float) -> float:
    """Share of demanded volume a group of companies can import."""
    if demand <= 0:
        return 0.0
    return min(1.0, capacity / demand)


def policy_at(scenario: Scenario, date: str | None = None) -> tuple[Policy, str]:
    """Return the policy in force in a month of the scenario and the month's label.

    Parameters
    ----------
    scenario
        A validated scenario.
    date
        ``YYYY-MM`` (or ``YYYY-MM-DD``, ``YYYY``); ``None`` for the first month.

    Raises
    ------
    WakusimInputError
        If the date is malformed or outside the scenario's months.
    """
    if date is None:
        t = 0
    else:
        try:
            month = month_index(parse_date(date))
        except ValueError as exc:
            raise WakusimInputError(f"invalid date {date!r}: {exc}") from None
        t = month - scenario.start_month
        if not 0 <= t < scenario.n_months:
            raise WakusimInputError(
                f"date {date} is outside scenario {scenario.name!r} "
                f"({scenario.start} to {scenario.end})"
            )
    schedule = compile_timeline(scenario)
    return policy_for_month(schedule, t), month_label(scenario.start_month + t)


def solve_policy(
    scenario: Scenario,
    policy: Policy,
    types: PopulationTypes | None = None,
    starts: int = 400,
    tol: float = 1e-8,
    date: str = "",
) -> EquilibriumResult:
    """Find every stationary equilibrium for a given policy.

    Parameters
    ----------
    scenario
        Static parameters.
    policy
        Policy in force (e.g. from :func:`policy_at`, possibly modified).
    types
        Population mixture; default :func:`types_from_scenario`.
    starts
        Starting margins scanned (log-spaced in ``1 + g``).
    tol
        Tolerance on ``|F(g)|`` for convergence.
    date
        Label of the policy's month, for the report.
    """
    types = types if types is not None else types_from_scenario(scenario)
    mf = MeanField(scenario, policy, types)
    lo, hi = mf.margin_bounds()
    grid = -1.0 + np.geomspace(1.0 + lo, 1.0 + hi, starts)
    f = np.array([mf.residual(g) for g in grid])
    roots: list[tuple[float, bool, int, bool]] = []
    for i in range(len(grid) - 1):
        a, b, fa, fb = grid[i], grid[i + 1], f[i], f[i + 1]
        if fa == 0.0:
            roots.append((a, True, 0, _stable(mf, a)))
            continue
        if fa * fb >= 0:
            continue
        g, info = brentq(mf.residual, a, b, xtol=1e-14, rtol=1e-14, full_output=True)
        res = abs(mf.residual(g))
        roots.append((g, bool(res <= tol * max(1.0, abs(g))), info.iterations, fa > 0))
    if f[-1] == 0.0:
        roots.append((grid[-1], True, 0, _stable(mf, grid[-1])))
    merged: list[tuple[float, bool, int, bool]] = []
    for root in sorted(roots):
        if merged and abs(root[0] - merged[-1][0]) < 1e-7 * max(1.0, abs(root[0])):
            continue
        merged.append(root)
    equilibria = [mf.equilibrium(g, conv, it, stab) for g, conv, it, stab in merged]
    return EquilibriumResult(
        scenario=scenario.name,
        date=date,
        equilibria=equilibria,
        n_types=types.size,
        starts=starts,
        evaluations=mf.evaluations,
        policy=policy,
    )


def _stable(mf: MeanField, g: float, h: float = 1e-6) -> bool:
    return mf.residual(g + h) < mf.residual(g - h)


def solve_equilibrium(
    scenario: Scenario,
    date: str | None = None,
    types: PopulationTypes | None = None,
    starts: int = 400,
) -> EquilibriumResult:
    """Solve the stationary mean-field equilibria for the policy in force at ``date``.

    Parameters
    ----------
    scenario
        A validated scenario (e.g. from :func:`wakusim.load_scenario`).
    date
        Month whose policy to use, ``YYYY-MM``; ``None`` for the scenario's first month.
    types
        Population mixture; default: the scenario's distributions discretised
        (:func:`~wakusim.equilibrium.types.types_from_scenario`), one type if
        they are degenerate.
    starts
        Starting margins scanned for equilibria.

    Returns
    -------
    EquilibriumResult
        Every equilibrium found, with shares, margin, price, volume and revenue.

    Raises
    ------
    WakusimInputError
        If the date is invalid or outside the scenario.
    """
    policy, label = policy_at(scenario, date)
    return solve_policy(scenario, policy, types, starts=starts, date=label)


def with_policy_value(policy: Policy, key: str, value: float) -> Policy:
    """Return ``policy`` with one field ``section.name`` replaced (integers rounded)."""
    section, _, name = key.partition(".")
    part = getattr(policy, section)
    current = getattr(part, name)
    if isinstance(current, bool):
        new: Any = bool(value)
    elif isinstance(current, int):
        new = int(round(value))
    else:
        new = float(value)
    return dataclasses.replace(policy, **{section: part.model_copy(update={name: new})})
