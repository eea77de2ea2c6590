"""Validated scenario parameters (pydantic models).

Every field states its unit and allowed range; the defaults themselves live in
the built-in scenario files, with their sources, so that there is one place for
each value. Sections ``border``, ``enforcement`` and ``state`` are the policy in
force: the timeline may set or ramp any of their fields.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from wakusim.scenarios.calendar import month_index, parse_date

DateText = Annotated[str, BeforeValidator(parse_date)]

TIME_VARYING_SECTIONS = ("border", "enforcement", "state")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class LogNormal(_Section):
    """A log-normal distribution given by its median and log-scale spread."""

    median: float = Field(gt=0, description="median of the distribution")
    sigma: float = Field(ge=0, le=5, description="standard deviation of the logarithm")


class BoundedLogNormal(LogNormal):
    """A log-normal distribution clipped to ``[min, max]``."""

    min: float = Field(gt=0, description="smallest value drawn (clip)")
    max: float = Field(gt=0, description="largest value drawn (clip)")

    @model_validator(mode="after")
    def _ordered(self) -> BoundedLogNormal:
        if self.min > self.max:
            raise ValueError(f"min ({self.min}) must not exceed max ({self.max})")
        return self


class Contacts(_Section):
    """The social contact network (small world)."""

    degree: int = Field(ge=2, le=200, description="contacts per individual (even)")
    rewiring: float = Field(ge=0, le=1, description="probability a lattice tie is rewired")

    @model_validator(mode="after")
    def _even(self) -> Contacts:
        if self.degree % 2:
            raise ValueError(f"degree must be even (got {self.degree})")
        return self


class Population(_Section):
    """Individuals: how many, their capital and livelihood."""

    size: int = Field(ge=10, le=200_000_000, description="number of individuals")
    wealth: LogNormal = Field(description="initial wealth, CNY")
    baseline_income: float = Field(ge=0, le=1e6, description="livelihood income, CNY/month")
    savings_rate: float = Field(ge=0, le=1, description="share of trade and capital income saved")
    fixed_wealth: bool = Field(
        default=False, description="hold every individual's wealth at its initial value"
    )
    contacts: Contacts


class Preferences(_Section):
    """Risk attitudes, aversion to organisational life and how choices are made."""

    risk_aversion: BoundedLogNormal = Field(description="CRRA coefficient")
    org_aversion: LogNormal = Field(description="cost of full organisational life, CNY/month")
    revision_rate: float = Field(
        gt=0, le=1, description="chance a free individual reconsiders, /month"
    )
    choice_noise: float = Field(gt=0, le=10, description="logit scale, share of wealth per month")
    detention_cost: float = Field(ge=0, le=1e7, description="cost of a month in detention, CNY")
    ruin_floor: float = Field(gt=0, lt=1, description="share of wealth left in the worst outcome")


class Companies(_Section):
    """State trading companies and their permits."""

    count: int = Field(ge=1, le=100_000, description="number of trading companies")
    quota_ratio: float = Field(gt=0, le=100, description="total quota / reference import volume")
    quota_dispersion: float = Field(ge=0, le=3, description="log-sd of company quota sizes")
    own_funds_share: float = Field(ge=0, le=10, description="own funds / quota (monthly volume)")
    member_slots_per_1000: float = Field(ge=0, le=1000, description="member slots per 1,000 people")
    partner_commission: float = Field(ge=0, le=1, description="company share of a partner's margin")
    member_commission: float = Field(ge=0, le=1, description="company share of a member's margin")
    retention: float = Field(ge=0, le=1, description="share of company income kept as own funds")
    boldness: LogNormal = Field(description="weight on commission against expected loss")
    partner_min_capital: float = Field(ge=0, le=1e9, description="capital needed to partner, CNY")
    member_min_capital: float = Field(ge=0, le=1e9, description="capital needed to join, CNY")


class Market(_Section):
    """The imported basket, its domestic price and how traders invest."""

    price_ref: float = Field(
        gt=1, le=100, description="sale value per yuan of import cost at S_ref"
    )
    reference_volume_per_capita: float = Field(
        gt=0, le=1e7, description="S_ref per individual, CNY import cost/month"
    )
    elasticity: float = Field(gt=0.1, le=100, description="price elasticity of demand")
    turnover: float = Field(gt=0, le=12, description="round trips of traded capital per month")
    invest_share: float = Field(gt=0, le=1, description="share of wealth a trader invests")
    expectation_weight: float = Field(gt=0, le=1, description="weight of the latest margin")
    safe_return: float = Field(
        ge=0, le=0.2, description="return on capital kept out of trade, /month"
    )
    smuggling_cost_share: float = Field(ge=0, le=1, description="share of margin paid in bribes")
    smuggling_capacity: float = Field(
        gt=0, le=1e9, description="most capital one smuggler moves, CNY"
    )


class Learning(_Section):
    """How perceived risks follow arrests seen among contacts."""

    enabled: bool = Field(description="false: perceived risks equal true risks")
    memory: float = Field(ge=0, le=1, description="monthly retention of past observations")
    prior_weight: float = Field(gt=0, le=1e6, description="initial pseudo-observations per channel")
    company_weight: float = Field(ge=0, le=1e6, description="pseudo-observations of own company")
    company_memory: float = Field(
        ge=0, le=1, description="monthly retention of companies' inspection estimate"
    )


class Border(_Section):
    """Border policy (time-varying)."""

    smuggling_open: bool = Field(description="whether independent smuggling is possible at all")
    trade_level: float = Field(ge=0, le=10, description="official trade, multiple of 2019 quotas")


class Enforcement(_Section):
    """Detection and punishment (time-varying)."""

    smuggling_detection: float = Field(
        ge=0, le=1, description="chance a smuggler is caught, /month"
    )
    smuggling_fine: float = Field(ge=0, le=1e9, description="fine on a caught smuggler, CNY")
    smuggling_detention: int = Field(ge=0, le=600, description="detention of a smuggler, months")
    inspection_rate: float = Field(ge=0, le=1, description="chance a company is inspected, /month")
    partner_detection: float = Field(
        ge=0, le=1, description="chance an inspection exposes a partner"
    )
    partner_fine: float = Field(ge=0, le=1e9, description="fine on an exposed partner, CNY")
    partner_detention: int = Field(ge=0, le=600, description="detention of a partner, months")
    member_risk: float = Field(
        ge=0, le=1, description="residual chance a member is punished, /month"
    )
    member_fine: float = Field(ge=0, le=1e9, description="fine on a punished member, CNY")
    member_detention: int = Field(
        ge=0, le=600, description="detention of a punished member, months"
    )
    company_fine: float = Field(ge=0, le=1e12, description="fine on a company caught, CNY")
    suspension_months: int = Field(ge=0, le=600, description="permit suspension, months")


class State(_Section):
    """Demands of the state on traders and companies (time-varying)."""

    surrender_rate: float = Field(ge=0, le=1, description="share of members' FX profit surrendered")
    unit_payment: float = Field(ge=0, le=1, description="share of members' profit paid to company")
    org_burden_member: float = Field(ge=0, le=10, description="organisational burden of members")
    org_burden_base: float = Field(ge=0, le=10, description="organisational burden of non-members")
    inminban_fee: float = Field(ge=0, le=1e9, description="annual fee to skip duties, CNY/year")
    fee_wealth_limit: float = Field(
        gt=0, le=1, description="fee paid only if below this share of wealth"
    )
    loyalty_payment: float = Field(ge=0, le=1e9, description="loyalty funds per company, CNY/month")
    member_slots_level: float = Field(ge=0, le=100, description="multiple of the base member slots")


class Campaign(_Section):
    """A public campaign (show trial, broadcast) that shifts perceived risk."""

    channel: Literal["smuggler", "partner"]
    weight: float = Field(gt=0, le=1e6, description="pseudo-observations the campaign adds")
    risk: float | None = Field(
        default=None, ge=0, le=1, description="risk conveyed; empty means the true risk"
    )


class Event(_Section):
    """A dated event of the policy timeline."""

    id: str = Field(min_length=1, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    date: DateText
    label: str = Field(min_length=1)
    set: dict[str, Any] = Field(default_factory=dict)
    ramp: dict[str, float] = Field(default_factory=dict)
    ramp_months: int = Field(default=12, ge=1, le=600)
    campaigns: list[Campaign] = Field(default_factory=list)
    marker: bool = Field(default=True, description="mark the event on figures")

    @property
    def month(self) -> int:
        """Index of the first month the event shapes."""
        return month_index(self.date)


class Report(_Section):
    """Dates the summary table and the before/after comparison use."""

    key_dates: dict[str, DateText]
    before_crackdown: DateText
    after_crackdown: DateText


class Scenario(BaseModel):
    """A complete, validated scenario."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    name: str = Field(min_length=1)
    description: str = ""
    seed: int | None = Field(default=None, ge=0)
    start: DateText
    end: DateText
    warmup_months: int = Field(
        default=0, ge=0, le=600, description="months run under the first policy before start"
    )
    population: Population
    preferences: Preferences
    companies: Companies
    market: Market
    learning: Learning
    border: Border
    enforcement: Enforcement
    state: State
    timeline: list[Event] = Field(default_factory=list)
    report: Report

    @property
    def start_month(self) -> int:
        """Index of the first simulated month."""
        return month_index(self.start)

    @property
    def end_month(self) -> int:
        """Index of the last simulated month."""
        return month_index(self.end)

    @property
    def n_months(self) -> int:
        """Number of simulated months."""
        return self.end_month - self.start_month + 1

    @model_validator(mode="after")
    def _check(self) -> Scenario:
        if self.end_month < self.start_month:
            raise ValueError(f"end ({self.end}) is before start ({self.start})")
        ids = [e.id for e in self.timeline]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"timeline event ids must be unique; repeated: {', '.join(dupes)}")
        return self

    def to_dict(self) -> dict[str, Any]:
        """Return the scenario as plain data (what a YAML file would hold)."""
        return self.model_dump(mode="json")
