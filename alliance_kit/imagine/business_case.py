"""The business case of an alliance: what each partner puts in and gets out, year by year.

Cash flows, NPV, IRR, payback, risk-adjusted NPV, scenarios, a sensitivity tornado, Monte
Carlo over the key drivers, the value split between the partners and plan against actual.
Functions take DataFrames (``business_cases``, ``business_case_lines``, as
``store.read_all()`` returns them) or the small dataclasses below; never the store.

Conventions, used everywhere in this module:

- Amounts in ``business_case_lines`` are entered positive; the category gives the sign:
  revenue counts +, costs and investments count -.
- Year index ``t = year - first_year``: the first year's flows sit at ``t = 0`` and are not
  discounted, exactly as ``numpy_financial.npv`` does, so NPV = sum CF_t / (1 + r)^t.
- A perspective is ``"us"``, ``"partner"`` or ``"joint"`` (both sides added up). The
  headline figures are ours (``"us"``); the joint view is the alliance as a whole.
- Plan and actual lines are never mixed: every flow is computed for one ``kind``.
- Lines dated outside ``first_year .. first_year + horizon_years - 1`` are left out of the
  flows; :func:`check_case` reports them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
import pandas as pd

from alliance_kit.records.model import (
    ALLIANCE_LIFE_YEARS,
    BUSINESS_CASE_CATEGORIES,
    PLAN_OR_ACTUAL,
    SIDES,
    TABLES,
)

Perspective = Literal["us", "partner", "joint"]
PERSPECTIVES: tuple[str, ...] = ("us", "partner", "joint")
CATEGORY_SIGN = {"revenue": 1.0, "cost": -1.0, "investment": -1.0}

# The field reports roughly half of alliances failing (DOMAIN.md: ASAP ~53% success,
# McKinsey 40-60% of JVs under-perform or fail). Spread over a typical five-year alliance
# life, a 50% lifetime failure rate is an annual failure probability of 1 - 0.5 ** (1/5),
# about 12.9%. This is the default when no alliance-specific estimate is given; pass the
# health model's estimate (converted with annual_failure_probability) when there is one.
DEFAULT_LIFETIME_FAILURE = 0.5
DEFAULT_LIFETIME_YEARS = int(ALLIANCE_LIFE_YEARS)  # one life for health and business case
IMBALANCE_POINTS = 0.15  # share of value vs share of investment, 15 percentage points


def annual_failure_probability(lifetime_probability: float, years: float) -> float:
    """Annual failure probability p with 1 - (1 - p) ** years == lifetime_probability."""
    if not 0 <= lifetime_probability <= 1:
        raise ValueError(f"a probability lies between 0 and 1, got {lifetime_probability}")
    if years <= 0:
        raise ValueError(f"years must be positive, got {years}")
    return 1.0 - (1.0 - lifetime_probability) ** (1.0 / years)


DEFAULT_ANNUAL_FAILURE = annual_failure_probability(
    DEFAULT_LIFETIME_FAILURE, DEFAULT_LIFETIME_YEARS
)


# --- the case and its flows ----------------------------------------------------------


@dataclass(frozen=True)
class CaseTerms:
    """The terms of one alliance's business case (one ``business_cases`` row)."""

    alliance_id: str
    discount_rate: float
    horizon_years: int
    first_year: int
    assumptions: str | None = None

    @property
    def last_year(self) -> int:
        return self.first_year + self.horizon_years - 1

    @property
    def years(self) -> list[int]:
        return list(range(self.first_year, self.first_year + self.horizon_years))


def case_terms(cases: pd.DataFrame, alliance_id: str) -> CaseTerms:
    """The terms of ``alliance_id``'s case; ValueError naming what is missing."""
    rows = cases[cases["alliance_id"] == alliance_id] if len(cases) else cases
    if rows.empty:
        raise ValueError(
            f"alliance {alliance_id} has no business case yet: "
            "enter its discount rate, horizon and first year"
        )
    row = rows.iloc[0]
    problems = check_case(row.to_dict(), None)
    if problems:
        raise ValueError(
            f"the business case of {alliance_id} cannot be computed: "
            + "; ".join(f"{k}: {v}" for k, v in problems.items())
        )
    assumptions = row.get("assumptions")
    return CaseTerms(
        alliance_id=str(alliance_id),
        discount_rate=float(row["discount_rate"]),
        horizon_years=int(row["horizon_years"]),
        first_year=int(row["first_year"]),
        assumptions=None if _missing(assumptions) else str(assumptions),
    )


def cash_flows(
    lines: pd.DataFrame,
    cases: pd.DataFrame,
    *,
    kind: str = "plan",
    alliance_id: str | None = None,
) -> pd.DataFrame:
    """Signed cash flows per alliance, side and year, for one kind (plan or actual).

    One row per alliance x side x year of the horizon (years without lines are 0):
    ``alliance_id, side, year, t, revenue, cost, investment, net`` with revenue positive
    and costs and investments negative. Lines outside the horizon are left out.
    """
    if kind not in PLAN_OR_ACTUAL:
        raise ValueError(f"kind must be one of {PLAN_OR_ACTUAL}, got {kind!r}")
    ids = [alliance_id] if alliance_id is not None else list(cases["alliance_id"])
    frames = []
    for aid in ids:
        terms = case_terms(cases, aid)
        grid = pd.MultiIndex.from_product(
            [[aid], list(SIDES), terms.years], names=["alliance_id", "side", "year"]
        )
        ok = _usable(lines) & (lines["alliance_id"] == aid) & (lines["kind"] == kind)
        mine = lines[ok & lines["year"].between(terms.first_year, terms.last_year)]
        signed = mine.assign(
            year=mine["year"].astype(int),
            signed=mine["amount"].astype(float) * mine["category"].map(CATEGORY_SIGN),
        )
        wide = signed.pivot_table(
            index=["alliance_id", "side", "year"],
            columns="category",
            values="signed",
            aggfunc="sum",
            fill_value=0.0,
        )
        wide = wide.reindex(index=grid, columns=list(BUSINESS_CASE_CATEGORIES[::-1]))
        wide = wide.fillna(0.0).astype(float)
        wide.columns.name = None
        out = wide.reset_index()
        out.insert(3, "t", out["year"] - terms.first_year)
        out["net"] = out["revenue"] + out["cost"] + out["investment"]
        frames.append(out)
    columns = ["alliance_id", "side", "year", "t", "revenue", "cost", "investment", "net"]
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)[columns]


def _usable(lines: pd.DataFrame) -> pd.Series:
    """Lines that can be counted: known side, category and kind, a year and an amount."""
    return (
        lines["side"].isin(SIDES)
        & lines["category"].isin(BUSINESS_CASE_CATEGORIES)
        & lines["kind"].isin(PLAN_OR_ACTUAL)
        & pd.to_numeric(lines["year"], errors="coerce").notna()
        & pd.to_numeric(lines["amount"], errors="coerce").notna()
    ).astype(bool)


@dataclass(frozen=True)
class Flows:
    """One perspective's yearly flows as positive magnitudes (t = 0 .. horizon - 1).

    Multipliers of scenarios and Monte Carlo act on these magnitudes; ``net`` is the
    signed cash flow: revenue - cost - investment.
    """

    revenue: np.ndarray
    cost: np.ndarray
    investment: np.ndarray
    discount_rate: float
    first_year: int = 0

    def __post_init__(self) -> None:
        for name in ("revenue", "cost", "investment"):
            object.__setattr__(self, name, np.asarray(getattr(self, name), dtype=float))
        if not (len(self.revenue) == len(self.cost) == len(self.investment)):
            raise ValueError("revenue, cost and investment need one value per year each")

    @property
    def net(self) -> np.ndarray:
        return self.revenue - self.cost - self.investment

    @property
    def years(self) -> list[int]:
        return [self.first_year + t for t in range(len(self.revenue))]

    def __add__(self, other: Flows) -> Flows:
        return replace(
            self,
            revenue=self.revenue + other.revenue,
            cost=self.cost + other.cost,
            investment=self.investment + other.investment,
        )

    @classmethod
    def of(
        cls,
        net: Sequence[float],
        discount_rate: float,
        first_year: int = 0,
    ) -> Flows:
        """Flows from signed net values: positives as revenue, negatives as investment."""
        v = np.asarray(net, dtype=float)
        zero = np.zeros_like(v)
        return cls(np.clip(v, 0, None), zero, np.clip(-v, 0, None), discount_rate, first_year)


def alliance_flows(
    frames: Mapping[str, pd.DataFrame], alliance_id: str, *, kind: str = "plan"
) -> dict[str, Flows]:
    """Flows of one alliance for each perspective: ``{"us", "partner", "joint"}``."""
    cases = frames["business_cases"]
    terms = case_terms(cases, alliance_id)
    tidy = cash_flows(_lines(frames), cases, kind=kind, alliance_id=alliance_id).sort_values(
        ["side", "year"]
    )
    out: dict[str, Flows] = {}
    for side in SIDES:
        part = tidy[tidy["side"] == side]
        out[side] = Flows(
            revenue=part["revenue"].to_numpy(),
            cost=-part["cost"].to_numpy(),
            investment=-part["investment"].to_numpy(),
            discount_rate=terms.discount_rate,
            first_year=terms.first_year,
        )
    out["joint"] = out["us"] + out["partner"]
    return out


# --- headline metrics ------------------------------------------------------------------


def _scale(values: np.ndarray) -> float:
    return max(1.0, float(np.abs(values).max(initial=0.0)))


def npv(rate: float, values: Sequence[float]) -> float:
    """Net present value, first value at t = 0 (as numpy_financial.npv)."""
    v = np.asarray(values, dtype=float)
    if rate <= -1:
        raise ValueError(f"a discount rate must be above -100%, got {rate:.0%}")
    return float(np.sum(v / (1.0 + rate) ** np.arange(len(v))))


@dataclass(frozen=True)
class IrrResult:
    """An IRR, or why there is none. ``rates`` lists every rate that makes NPV zero."""

    value: float | None
    reason: str
    sign_changes: int
    rates: tuple[float, ...] = ()

    @property
    def defined(self) -> bool:
        return self.value is not None

    @property
    def ambiguous(self) -> bool:
        return self.sign_changes > 1

    def __str__(self) -> str:
        shown = "undefined" if self.value is None else f"{self.value:.1%}"
        return f"{shown} ({self.reason})" if self.reason else shown


def _sign_changes(v: np.ndarray) -> int:
    nz = v[np.abs(v) > 1e-12 * _scale(v)]
    return int(np.count_nonzero(np.diff(np.sign(nz)) != 0))


def irr(values: Sequence[float]) -> IrrResult:
    """Internal rate of return, robust where numpy_financial.irr returns nan.

    Undefined (value None, with the reason) when there are no flows or every flow has
    the same sign: no investment means an unbounded return, all outflows mean nothing
    comes back. Several sign changes can give several IRRs (Descartes): all are listed
    in ``rates``, ``value`` is the one closest to zero (numpy_financial's choice), and
    the reason says the IRR is ambiguous.
    """
    v = np.asarray(values, dtype=float)
    scale = _scale(v)
    if v.size == 0 or np.all(np.abs(v) <= 1e-12 * scale):
        return IrrResult(None, "no cash flows, so no rate of return", 0)
    changes = _sign_changes(v)
    if changes == 0:
        if np.all(v >= 0):
            why = (
                "no investment: no year has a net outflow (or the investment is covered "
                "in the year it is made), so the return is unbounded"
            )
        else:
            why = "every cash flow is negative: nothing is earned back"
        return IrrResult(None, f"IRR undefined, {why}", 0)
    rates = _irr_roots(v, scale)
    if not rates:
        return IrrResult(
            None, "IRR undefined: no discount rate above -100% makes NPV zero", changes
        )
    value = min(rates, key=abs)
    reason = ""
    if changes > 1:
        listed = ", ".join(f"{r:.1%}" for r in rates)
        reason = (
            f"{changes} sign changes in the cash flows: "
            + (f"{len(rates)} rates make NPV zero ({listed}); " if len(rates) > 1 else "")
            + "the IRR is ambiguous, judge by NPV"
        )
    return IrrResult(value, reason, changes, tuple(rates))


def _irr_roots(v: np.ndarray, scale: float) -> list[float]:
    """Every rate r > -1 with NPV(r) = 0, from the polynomial in x = 1 / (1 + r)."""
    v = np.where(np.abs(v) <= 1e-12 * scale, 0.0, v)  # denormal noise breaks np.roots
    try:
        roots = np.roots(v[::-1])
    except np.linalg.LinAlgError:
        return _irr_bracketed(v)
    real = roots[(np.abs(roots.imag) <= 1e-9 * np.maximum(1.0, np.abs(roots))) & (roots.real > 0)]
    found: list[float] = []
    for x in sorted(real.real):
        r = 1.0 / x - 1.0
        if r > -1 and _is_root(r, v) and all(abs(r - f) > 1e-9 for f in found):
            found.append(float(r))
    if not found:
        found = _irr_bracketed(v)
    return sorted(found)


def _is_root(rate: float, v: np.ndarray) -> bool:
    """NPV(rate) is zero relative to the size of the discounted flows."""
    discounted = v / (1.0 + rate) ** np.arange(len(v))
    return abs(discounted.sum()) <= 1e-7 * max(1e-300, np.abs(discounted).sum())


def _irr_bracketed(v: np.ndarray) -> list[float]:
    """Fallback root search on a grid of rates, refined by Brent's method."""
    from scipy.optimize import brentq

    grid = np.concatenate([np.linspace(-0.99, 1, 200), np.geomspace(1.01, 1e4, 200)])
    values = np.array([npv(r, v) for r in grid])
    found = []
    for a, b, fa, fb in zip(grid[:-1], grid[1:], values[:-1], values[1:], strict=True):
        if fa == 0:
            found.append(float(a))
        elif fa * fb < 0:
            found.append(float(brentq(lambda r: npv(r, v), a, b)))
    return [r for r in found if _is_root(r, v)]


def payback(values: Sequence[float]) -> float | None:
    """Years until the cumulative cash flow turns non-negative for good, or None if never.

    Flows are taken at t = 0, 1, ...; within the year of recovery the time is
    interpolated linearly: with -100, 30, 40, 50 the cumulative is -100, -70, -30, 20,
    so payback = 2 + 30 / 50 = 2.6 years. A cumulative that goes negative again later
    (a late investment) counts from the last time it was negative. No investment
    (cumulative never negative) pays back at 0; no flows at all gives None.
    """
    v = np.asarray(values, dtype=float)
    scale = _scale(v)
    if v.size == 0 or np.all(np.abs(v) <= 1e-12 * scale):
        return None
    cum = np.cumsum(v)
    negative = np.flatnonzero(cum < -1e-9 * scale)
    if negative.size == 0:
        return 0.0
    k = int(negative[-1])
    if k == len(v) - 1:
        return None
    return float(k + (-cum[k]) / v[k + 1])


def discounted_payback(rate: float, values: Sequence[float]) -> float | None:
    """Payback on discounted flows: the years until NPV-to-date turns non-negative."""
    v = np.asarray(values, dtype=float)
    return payback(v / (1.0 + rate) ** np.arange(len(v)))


def survival_probability(annual_failure: float, n_years: int) -> np.ndarray:
    """Probability the alliance is still alive at t = 0 .. n-1: (1 - p) ** t."""
    if not 0 <= annual_failure <= 1:
        raise ValueError(f"a probability lies between 0 and 1, got {annual_failure}")
    return (1.0 - annual_failure) ** np.arange(n_years)


def risk_adjusted_npv(
    rate: float, values: Sequence[float], probability: float | Sequence[float]
) -> float:
    """NPV with each year's cash flow weighted by its probability of occurring.

    ``probability`` is a constant (every flow equally likely) or one value per year,
    e.g. ``survival_probability(p, n)``: the flows of year t happen only if the alliance
    is still alive, with probability (1 - p) ** t (costs stop with the revenue when it
    fails, and year 0 is certain). This equals the mean NPV of a Monte Carlo run that
    truncates the flows at a geometric failure year.
    """
    v = np.asarray(values, dtype=float)
    p = np.broadcast_to(np.asarray(probability, dtype=float), v.shape)
    if np.any((p < 0) | (p > 1)):
        raise ValueError("probabilities lie between 0 and 1")
    return npv(rate, v * p)


# --- scenarios and sensitivity ---------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    """Multipliers on the plan: revenue, cost, investment, growth and discount rate.

    ``delay`` is in years (fractions allowed): revenue arrives that much later and what
    is pushed past the horizon is lost; a negative delay pulls it forward, the last year
    repeating. ``growth`` scales revenue growth after the first year with revenue:
    revenue_t = r_f + growth * (revenue_t - r_f).
    """

    name: str
    revenue: float = 1.0
    cost: float = 1.0
    investment: float = 1.0
    delay: float = 0.0
    growth: float = 1.0
    discount_rate: float = 1.0


BASE = Scenario("base")
UPSIDE = Scenario("upside", revenue=1.2, cost=0.95)
DOWNSIDE = Scenario("downside", revenue=0.75, cost=1.15, investment=1.2, delay=1.0)
DEFAULT_SCENARIOS: tuple[Scenario, ...] = (BASE, UPSIDE, DOWNSIDE)


def _shift(revenue: np.ndarray, delay: np.ndarray | float) -> np.ndarray:
    """Revenue delayed by ``delay`` years (per row if an array), linearly interpolated."""
    rev = np.asarray(revenue, dtype=float)
    d = np.asarray(delay, dtype=float)
    n = rev.size
    pos = np.arange(n) - d[..., None]  # position in the original series
    lo = np.floor(pos)
    frac = pos - lo

    def at(i: np.ndarray) -> np.ndarray:
        idx = np.clip(i, 0, n - 1).astype(int)
        return np.where(i < 0, 0.0, rev[idx])

    return (1.0 - frac) * at(lo) + frac * at(lo + 1)


def _grow(revenue: np.ndarray, growth: float) -> np.ndarray:
    nz = np.flatnonzero(revenue)
    if growth == 1.0 or nz.size == 0:
        return revenue
    f = int(nz[0])
    out = revenue.copy()
    out[f:] = revenue[f] + growth * (revenue[f:] - revenue[f])
    return np.clip(out, 0, None)


def apply_scenario(flows: Flows, scenario: Scenario) -> Flows:
    """The flows under a scenario's multipliers and delay."""
    revenue = _grow(flows.revenue, scenario.growth) * scenario.revenue
    if scenario.delay:
        revenue = _shift(revenue, scenario.delay)
    return replace(
        flows,
        revenue=revenue,
        cost=flows.cost * scenario.cost,
        investment=flows.investment * scenario.investment,
        discount_rate=flows.discount_rate * scenario.discount_rate,
    )


def _npv_of(flows: Flows) -> float:
    return npv(flows.discount_rate, flows.net)


def metrics(flows: Flows) -> dict[str, Any]:
    """NPV, IRR (with its note), payback and discounted payback of one set of flows."""
    net = flows.net
    result = irr(net)
    return {
        "npv": npv(flows.discount_rate, net),
        "irr": result.value,
        "irr_note": result.reason,
        "payback_years": payback(net),
        "discounted_payback_years": discounted_payback(flows.discount_rate, net),
    }


def scenario_table(flows: Flows, scenarios: Iterable[Scenario] = DEFAULT_SCENARIOS) -> pd.DataFrame:
    """One row per scenario: its multipliers and NPV, IRR, payback."""
    rows = []
    for s in scenarios:
        rows.append(
            {
                "scenario": s.name,
                "revenue_x": s.revenue,
                "cost_x": s.cost,
                "investment_x": s.investment,
                "delay_years": s.delay,
                **metrics(apply_scenario(flows, s)),
            }
        )
    return pd.DataFrame(rows)


TORNADO_DRIVERS = ("revenue", "costs", "investments", "discount rate", "ramp-up delay", "growth")


def tornado(flows: Flows, pct: float = 0.2, *, delay_years: float = 1.0) -> pd.DataFrame:
    """NPV when each driver alone moves down and up, sorted by swing (largest first).

    Revenue, costs, investments, the discount rate and revenue growth (see Scenario)
    move by -/+ ``pct`` of their value; the ramp-up delay by +/- ``delay_years`` (later,
    earlier). Columns: driver, down, up (the settings), npv_down, npv_up, npv_low,
    npv_high, base_npv, swing.
    """
    if pct <= 0:
        raise ValueError("the sensitivity step must be positive, e.g. 0.2 for +/-20%")
    lo, hi = 1.0 - pct, 1.0 + pct
    moves = {
        "revenue": (Scenario("-", revenue=lo), Scenario("+", revenue=hi)),
        "costs": (Scenario("-", cost=lo), Scenario("+", cost=hi)),
        "investments": (Scenario("-", investment=lo), Scenario("+", investment=hi)),
        "discount rate": (Scenario("-", discount_rate=lo), Scenario("+", discount_rate=hi)),
        "ramp-up delay": (Scenario("-", delay=delay_years), Scenario("+", delay=-delay_years)),
        "growth": (Scenario("-", growth=lo), Scenario("+", growth=hi)),
    }
    base = _npv_of(flows)
    step = f"{pct:.0%}"
    rows = []
    for driver, (down, up) in moves.items():
        a, b = (_npv_of(apply_scenario(flows, s)) for s in (down, up))
        labels = (
            (f"{delay_years:g} year later", f"{delay_years:g} year earlier")
            if driver == "ramp-up delay"
            else (f"-{step}", f"+{step}")
        )
        rows.append(
            {
                "driver": driver,
                "down": labels[0],
                "up": labels[1],
                "npv_down": a,
                "npv_up": b,
                "npv_low": min(a, b),
                "npv_high": max(a, b),
                "base_npv": base,
                "swing": abs(b - a),
            }
        )
    out = pd.DataFrame(rows).sort_values("swing", ascending=False, kind="stable")
    return out.reset_index(drop=True)


# --- Monte Carlo -------------------------------------------------------------------------


@dataclass(frozen=True)
class Uncertainty:
    """How uncertain the key drivers are, for :func:`monte_carlo`.

    - revenue multiplier: ``"lognormal"`` with mean 1 and log-sd ``revenue_sigma``, or
      ``"triangular"`` over ``revenue_triangle`` (low, mode, high);
    - cost overrun: triangular multiplier on costs and investments;
    - delay: triangular ramp-up delay in years (revenue shifts later, see Scenario);
    - discount rate: normal around the case's rate with sd ``discount_rate_sd``
      (absolute, clipped at 0);
    - failure: each year the alliance fails with ``annual_failure_probability``; from the
      failure year on, every flow is 0 (revenue stops, and so do costs).
    """

    revenue_dist: Literal["lognormal", "triangular"] = "lognormal"
    revenue_sigma: float = 0.25
    revenue_triangle: tuple[float, float, float] = (0.6, 1.0, 1.3)
    cost_overrun: tuple[float, float, float] = (0.95, 1.0, 1.3)
    delay_years: tuple[float, float, float] = (0.0, 0.0, 1.5)
    discount_rate_sd: float = 0.02
    annual_failure_probability: float = DEFAULT_ANNUAL_FAILURE


CERTAIN = Uncertainty(
    revenue_sigma=0.0,
    revenue_triangle=(1.0, 1.0, 1.0),
    cost_overrun=(1.0, 1.0, 1.0),
    delay_years=(0.0, 0.0, 0.0),
    discount_rate_sd=0.0,
    annual_failure_probability=0.0,
)


@dataclass(frozen=True)
class MonteCarloResult:
    """NPV draws and their summary.

    ``bands``: per year, P5/P50/P95 and mean of the cumulative (undiscounted) net cash
    flow over the draws, next to the plan's cumulative cash flow.
    """

    npv: np.ndarray = field(repr=False)
    seed: int | None
    bands: pd.DataFrame = field(repr=False)

    @property
    def n(self) -> int:
        return int(self.npv.size)

    @property
    def p_positive(self) -> float:
        return float(np.mean(self.npv > 0))

    @property
    def mean(self) -> float:
        return float(np.mean(self.npv))

    def percentile(self, q: float) -> float:
        return float(np.percentile(self.npv, q))

    @property
    def p5(self) -> float:
        return self.percentile(5)

    @property
    def p50(self) -> float:
        return self.percentile(50)

    @property
    def p95(self) -> float:
        return self.percentile(95)

    def figures(self) -> dict[str, float]:
        return {
            "n": self.n,
            "p_npv_positive": self.p_positive,
            "mean_npv": self.mean,
            "p5_npv": self.p5,
            "p50_npv": self.p50,
            "p95_npv": self.p95,
        }


def _triangular(rng: np.random.Generator, spec: tuple[float, float, float], n: int):
    low, mode, high = spec
    if not low <= mode <= high:
        raise ValueError(f"a triangle needs low <= mode <= high, got {spec}")
    if low == high:
        return np.full(n, float(mode))
    return rng.triangular(low, mode, high, n)


def monte_carlo(
    flows: Flows,
    uncertainty: Uncertainty = Uncertainty(),
    *,
    n: int = 10_000,
    seed: int | None = 0,
) -> MonteCarloResult:
    """NPV over ``n`` joint draws of the drivers, vectorized; reproducible under ``seed``."""
    if n < 1:
        raise ValueError("the number of draws must be at least 1")
    u = uncertainty
    rng = np.random.default_rng(seed)
    t = np.arange(len(flows.net))
    if u.revenue_dist == "lognormal":
        s = u.revenue_sigma
        m_rev = rng.lognormal(-(s**2) / 2, s, n) if s > 0 else np.ones(n)
    elif u.revenue_dist == "triangular":
        m_rev = _triangular(rng, u.revenue_triangle, n)
    else:
        raise ValueError(f"revenue_dist is 'lognormal' or 'triangular', not {u.revenue_dist!r}")
    m_cost = _triangular(rng, u.cost_overrun, n)
    delay = _triangular(rng, u.delay_years, n)
    rate = flows.discount_rate + (
        u.discount_rate_sd * rng.standard_normal(n) if u.discount_rate_sd > 0 else np.zeros(n)
    )
    rate = np.clip(rate, 0.0, None)
    p = u.annual_failure_probability
    if not 0 <= p <= 1:
        raise ValueError(f"annual failure probability lies between 0 and 1, got {p}")
    fails_at = rng.geometric(p, n) if p > 0 else np.full(n, np.iinfo(np.int64).max)
    alive = t[None, :] < fails_at[:, None]

    revenue = _shift(flows.revenue, delay) if np.any(delay) else np.tile(flows.revenue, (n, 1))
    net = m_rev[:, None] * revenue - m_cost[:, None] * (flows.cost + flows.investment)[None, :]
    net = np.where(alive, net, 0.0)
    discount = (1.0 + rate[:, None]) ** -t[None, :]
    npvs = (net * discount).sum(axis=1)
    cumulative = np.cumsum(net, axis=1)
    q = np.percentile(cumulative, [5, 50, 95], axis=0)
    bands = pd.DataFrame(
        {
            "year": flows.years,
            "t": t,
            "p5": q[0],
            "p50": q[1],
            "p95": q[2],
            "mean": cumulative.mean(axis=0),
            "plan": np.cumsum(flows.net),
        }
    )
    return MonteCarloResult(npv=npvs, seed=seed, bands=bands)


# --- value split between partners ------------------------------------------------------


def value_split(
    us: Flows,
    partner: Flows,
    *,
    standalone: Mapping[str, float] | None = None,
    threshold: float = IMBALANCE_POINTS,
) -> pd.DataFrame:
    """Each partner's share of the value against its share of the investment.

    Per side: ``npv_own`` (NPV of its own flows) and its share of the total;
    ``equal_split`` (the joint NPV over no deal, halved); ``shapley``, the 2-player
    Shapley value given what each side could make alone (``standalone``, NPVs, default 0):
    phi_i = v_i + (v_joint - v_us - v_partner) / 2. With stand-alone values of 0 the two
    coincide, as they must for two players. ``imbalanced`` when the share of value and
    the share of investment (undiscounted totals) differ by more than ``threshold``.
    Shares are NaN when the denominator is not positive (no investment, no total value).
    """
    alone = {"us": 0.0, "partner": 0.0, **(standalone or {})}
    own = {"us": npv(us.discount_rate, us.net), "partner": npv(partner.discount_rate, partner.net)}
    joint = own["us"] + own["partner"]
    invest = {"us": float(us.investment.sum()), "partner": float(partner.investment.sum())}
    total_invest = sum(invest.values())
    surplus = joint - alone["us"] - alone["partner"]
    rows = []
    for side in SIDES:
        value_share = own[side] / joint if joint > 0 else math.nan
        invest_share = invest[side] / total_invest if total_invest > 0 else math.nan
        gap = value_share - invest_share
        shapley = alone[side] + surplus / 2
        rows.append(
            {
                "side": side,
                "investment": invest[side],
                "investment_share": invest_share,
                "npv_own": own[side],
                "value_share": value_share,
                "equal_split": joint / 2,
                "standalone": alone[side],
                "shapley": shapley,
                "shapley_share": shapley / joint if joint > 0 else math.nan,
                "gap_points": gap * 100,
                "imbalanced": bool(abs(gap) > threshold) if not math.isnan(gap) else False,
            }
        )
    return pd.DataFrame(rows)


# --- plan against actual -----------------------------------------------------------------


def plan_vs_actual(lines: pd.DataFrame, alliance_id: str | None = None) -> pd.DataFrame:
    """Plan, actual and variance per year, side and category, where actuals exist.

    A side's year is compared once it has at least one actual line; a planned category
    with no actual in such a year counts as actual 0.
    ``variance = actual - plan``; ``variance_pct`` relative to plan (NaN when plan is 0);
    ``favourable``: more revenue or less cost/investment than planned.
    """
    columns = [
        "alliance_id",
        "year",
        "side",
        "category",
        "plan",
        "actual",
        "variance",
        "variance_pct",
        "favourable",
    ]
    df = lines if alliance_id is None else lines[lines["alliance_id"] == alliance_id]
    df = df[_usable(df)]
    if df.empty or not (df["kind"] == "actual").any():
        return pd.DataFrame(columns=columns)
    df = df.assign(year=df["year"].astype(int), amount=df["amount"].astype(float))
    table = df.pivot_table(
        index=["alliance_id", "year", "side", "category"],
        columns="kind",
        values="amount",
        aggfunc="sum",
        fill_value=0.0,
    )
    table = table.reindex(columns=list(PLAN_OR_ACTUAL), fill_value=0.0)
    table.columns.name = None
    out = table.reset_index()
    keys = ["alliance_id", "year", "side"]
    with_actuals = df.loc[df["kind"] == "actual", keys].drop_duplicates()
    out = out.merge(with_actuals, on=keys)
    out["variance"] = out["actual"] - out["plan"]
    out["variance_pct"] = out["variance"] / out["plan"].where(out["plan"] != 0)
    sign = out["category"].map(CATEGORY_SIGN)
    out["favourable"] = (out["variance"] * sign) >= 0
    return out.sort_values(["alliance_id", "year", "side", "category"]).reset_index(drop=True)[
        columns
    ]


# --- validation for forms ----------------------------------------------------------------


def _missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def _number(value: Any) -> float | None:
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(x) else x


def _bounds(table: str, column: str) -> tuple[float, float]:
    info = TABLES[table].c[column].info
    return info.get("min", -math.inf), info.get("max", math.inf)


def check_case(
    case: Mapping[str, Any] | pd.Series, lines: pd.DataFrame | None = None
) -> dict[str, str]:
    """Inline messages for a business case and its lines; empty when all is sensible.

    Keys are the case's column names (``discount_rate``, ``horizon_years``,
    ``first_year``) and ``lines[<line id>].<column>`` for lines, so a form can put each
    message next to its field. Lines of other alliances are ignored.
    """
    case = dict(case)
    problems: dict[str, str] = {}
    rate = _number(case.get("discount_rate"))
    lo, hi = _bounds("business_cases", "discount_rate")
    if _missing(case.get("discount_rate")):
        problems["discount_rate"] = "enter the annual discount rate, e.g. 0.10 for 10%"
    elif rate is None:
        problems["discount_rate"] = f"{case.get('discount_rate')!r} is not a number"
    elif rate < lo:
        problems["discount_rate"] = (
            f"a discount rate of {rate:.0%} makes no sense: enter a rate of 0% or more "
            "(0.10 for 10%)"
        )
    elif rate > hi:
        problems["discount_rate"] = (
            f"a discount rate of {rate:.0%} is not plausible: enter the annual rate as a "
            f"fraction between {lo:g} and {hi:g} (0.10 for 10%)"
        )
    horizon = _number(case.get("horizon_years"))
    hlo, hhi = _bounds("business_cases", "horizon_years")
    if _missing(case.get("horizon_years")):
        problems["horizon_years"] = "enter how many years the case covers"
    elif horizon is None or horizon != int(horizon):
        problems["horizon_years"] = "the horizon is a whole number of years"
    elif not hlo <= horizon <= hhi:
        problems["horizon_years"] = (
            f"a horizon of {horizon:g} years makes no sense: enter {hlo:g} to {hhi:g} years"
        )
    first = _number(case.get("first_year"))
    flo, fhi = _bounds("business_cases", "first_year")
    if _missing(case.get("first_year")):
        problems["first_year"] = "enter the calendar year the case starts"
    elif first is None or first != int(first) or not flo <= first <= fhi:
        problems["first_year"] = f"the first year is a calendar year between {flo:g} and {fhi:g}"
    if lines is not None and len(lines):
        span = None
        if "first_year" not in problems and "horizon_years" not in problems:
            span = (int(first), int(first) + int(horizon) - 1)
        aid = case.get("alliance_id")
        mine = lines if aid is None else lines[lines["alliance_id"] == aid]
        for i, row in enumerate(mine.to_dict("records")):
            problems.update(_check_line(row, span, i))
    return problems


def _check_line(row: dict[str, Any], span: tuple[int, int] | None, i: int) -> dict[str, str]:
    key = f"lines[{row.get('id') if not _missing(row.get('id')) else i}]"
    out: dict[str, str] = {}
    choices = {"side": SIDES, "category": BUSINESS_CASE_CATEGORIES, "kind": PLAN_OR_ACTUAL}
    for col, allowed in choices.items():
        if row.get(col) not in allowed:
            out[f"{key}.{col}"] = f"{row.get(col)!r} is not one of: {', '.join(allowed)}"
    amount = _number(row.get("amount"))
    if _missing(row.get("amount")) or amount is None:
        out[f"{key}.amount"] = "enter the amount as a number"
    elif amount < 0:
        out[f"{key}.amount"] = (
            f"amount {amount:,.0f} is negative: enter amounts as positive numbers, "
            "the category (revenue, cost, investment) gives the sign"
        )
    year = _number(row.get("year"))
    if year is None:
        out[f"{key}.year"] = "enter the calendar year of the line"
    elif span is not None and not span[0] <= year <= span[1]:
        out[f"{key}.year"] = (
            f"year {year:g} is outside the case's horizon ({span[0]}-{span[1]}): "
            "extend the horizon or correct the year"
        )
    return out


# --- the summary -------------------------------------------------------------------------


@dataclass
class BusinessCaseSummary:
    """The headline figures of one alliance's business case, for workbooks and reports.

    Money is in the alliance currency; ``npv`` and the metrics next to it are ours
    (perspective "us"); ``npv_partner`` and ``npv_joint`` the partner's and the whole's.
    """

    alliance_id: str
    alliance_name: str
    partner: str
    currency: str
    terms: CaseTerms
    npv: float
    npv_partner: float
    npv_joint: float
    irr: IrrResult
    irr_joint: IrrResult
    payback_years: float | None
    discounted_payback_years: float | None
    annual_failure_probability: float
    risk_adjusted_npv: float
    investment_us: float
    investment_partner: float
    revenue_us: float
    flows: pd.DataFrame = field(repr=False)
    scenarios: pd.DataFrame = field(repr=False)
    tornado: pd.DataFrame = field(repr=False)
    value_split: pd.DataFrame = field(repr=False)
    plan_vs_actual: pd.DataFrame = field(repr=False)
    line_assumptions: pd.DataFrame = field(repr=False)
    monte_carlo: MonteCarloResult | None = field(default=None, repr=False)
    warnings: list[str] = field(default_factory=list)
    problems: dict[str, str] = field(default_factory=dict)

    @property
    def imbalanced(self) -> bool:
        return bool(self.value_split["imbalanced"].any())

    def headline(self) -> dict[str, Any]:
        """Plain numbers (JSON-friendly) for recording a notebook's results."""
        out: dict[str, Any] = {
            "alliance_id": self.alliance_id,
            "currency": self.currency,
            "npv": round(self.npv, 2),
            "npv_partner": round(self.npv_partner, 2),
            "npv_joint": round(self.npv_joint, 2),
            "irr": None if self.irr.value is None else round(self.irr.value, 6),
            "irr_note": self.irr.reason,
            "payback_years": _round(self.payback_years),
            "discounted_payback_years": _round(self.discounted_payback_years),
            "risk_adjusted_npv": round(self.risk_adjusted_npv, 2),
            "annual_failure_probability": round(self.annual_failure_probability, 6),
            "imbalanced": self.imbalanced,
            "warnings": list(self.warnings),
        }
        if self.monte_carlo is not None:
            out.update({k: round(float(v), 4) for k, v in self.monte_carlo.figures().items()})
        return out


def _round(x: float | None, nd: int = 3) -> float | None:
    return None if x is None else round(x, nd)


def _lines(frames: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    lines = frames.get("business_case_lines")
    if lines is None:
        return pd.DataFrame(columns=list(TABLES["business_case_lines"].c.keys()))
    return lines


def summary(
    frames: Mapping[str, pd.DataFrame],
    alliance_id: str,
    *,
    annual_failure: float | None = None,
    scenarios: Iterable[Scenario] = DEFAULT_SCENARIOS,
    sensitivity: float = 0.2,
    uncertainty: Uncertainty | None = None,
    draws: int = 10_000,
    seed: int | None = 0,
) -> BusinessCaseSummary:
    """Every headline figure of ``alliance_id``'s business case in one object.

    ``annual_failure`` weights the risk-adjusted NPV and truncates the Monte Carlo
    flows; None takes DEFAULT_ANNUAL_FAILURE (a 50% lifetime failure over five years).
    ``draws=0`` skips the Monte Carlo. Raises ValueError only when the case itself is
    missing or its terms make no sense; odd lines and edge cases become ``warnings``.
    """
    cases = frames["business_cases"]
    terms = case_terms(cases, alliance_id)
    lines = _lines(frames)
    mine = lines[lines["alliance_id"] == alliance_id]
    problems = check_case(cases[cases["alliance_id"] == alliance_id].iloc[0].to_dict(), mine)
    p_fail = DEFAULT_ANNUAL_FAILURE if annual_failure is None else float(annual_failure)
    flows = alliance_flows(frames, alliance_id)
    us, partner, joint = flows["us"], flows["partner"], flows["joint"]
    alliance = _alliance_row(frames, alliance_id)
    warnings = _warnings(mine, us, problems)
    mc = None
    if draws:
        u = uncertainty or Uncertainty(annual_failure_probability=p_fail)
        mc = monte_carlo(us, u, n=draws, seed=seed)
    assumption_cols = ["side", "year", "category", "item", "amount", "kind", "assumption"]
    return BusinessCaseSummary(
        alliance_id=alliance_id,
        alliance_name=str(alliance.get("name") or alliance_id),
        partner=str(alliance.get("partner") or ""),
        currency=str(alliance.get("currency") or ""),
        terms=terms,
        npv=npv(us.discount_rate, us.net),
        npv_partner=npv(partner.discount_rate, partner.net),
        npv_joint=npv(joint.discount_rate, joint.net),
        irr=irr(us.net),
        irr_joint=irr(joint.net),
        payback_years=payback(us.net),
        discounted_payback_years=discounted_payback(us.discount_rate, us.net),
        annual_failure_probability=p_fail,
        risk_adjusted_npv=risk_adjusted_npv(
            us.discount_rate, us.net, survival_probability(p_fail, len(us.net))
        ),
        investment_us=float(us.investment.sum()),
        investment_partner=float(partner.investment.sum()),
        revenue_us=float(us.revenue.sum()),
        flows=cash_flows(lines, cases, alliance_id=alliance_id),
        scenarios=scenario_table(us, scenarios),
        tornado=tornado(us, sensitivity),
        value_split=value_split(us, partner),
        plan_vs_actual=plan_vs_actual(mine),
        line_assumptions=mine[mine["assumption"].notna()][assumption_cols]
        .sort_values(["side", "year", "category"])
        .reset_index(drop=True),
        monte_carlo=mc,
        warnings=warnings,
        problems=problems,
    )


def portfolio_table(
    frames: Mapping[str, pd.DataFrame], *, annual_failure: Mapping[str, float] | None = None
) -> pd.DataFrame:
    """Headline figures for every alliance with a business case, one row each.

    ``annual_failure`` maps alliance id to its annual failure probability (default
    DEFAULT_ANNUAL_FAILURE). A case whose terms make no sense gets a row with its
    ``problem`` instead of figures, so one bad case does not hide the others.
    """
    rows = []
    for aid in frames["business_cases"]["alliance_id"]:
        try:
            s = summary(frames, aid, annual_failure=(annual_failure or {}).get(aid), draws=0)
        except ValueError as exc:
            rows.append({"alliance_id": aid, "problem": str(exc)})
            continue
        h = s.headline()
        rows.append(
            {
                "alliance_id": aid,
                "currency": s.currency,
                "npv": s.npv,
                "npv_joint": s.npv_joint,
                "irr": s.irr.value,
                "payback_years": s.payback_years,
                "risk_adjusted_npv": s.risk_adjusted_npv,
                "investment_us": s.investment_us,
                "imbalanced": h["imbalanced"],
                "problem": "; ".join(s.warnings),
            }
        )
    return pd.DataFrame(rows)


def _alliance_row(frames: Mapping[str, pd.DataFrame], alliance_id: str) -> dict[str, Any]:
    alliances = frames.get("alliances")
    if alliances is None or alliances.empty:
        return {}
    rows = alliances[alliances["id"] == alliance_id]
    return {} if rows.empty else rows.iloc[0].to_dict()


def _warnings(lines: pd.DataFrame, us: Flows, problems: dict[str, str]) -> list[str]:
    out = []
    plan = lines[lines["kind"] == "plan"]
    if plan.empty:
        out.append("the case has no plan lines yet: every figure is zero")
    elif not np.any(np.abs(us.net) > 0):
        out.append("our side has no cash flows in the plan")
    elif us.investment.sum() == 0 and us.cost.sum() == 0:
        out.append("no investment or cost on our side: payback is immediate, IRR undefined")
    elif np.all(us.net >= 0):
        out.append(
            "no year has a net outflow on our side (revenue covers the investment as it "
            "is made): payback is immediate, IRR undefined"
        )
    elif np.all(us.net <= 0):
        out.append("every one of our cash flows is negative: the case never pays back")
    if problems:
        out.append(
            f"{len(problems)} problem(s) in the lines (see problems): "
            "lines without a year or amount, or outside the horizon, are left out"
        )
    return out


# --- the business-case document --------------------------------------------------------


@dataclass(frozen=True)
class FailureEstimate:
    """The annual failure probability used for the risk-adjusted NPV, and its source."""

    annual: float
    lifetime: float
    source: str  # "health" or "default"
    health_index: float | None = None
    explanation: str = ""


def default_failure() -> FailureEstimate:
    """The field's base rate: 50% over five years (DEFAULT_ANNUAL_FAILURE a year)."""
    return FailureEstimate(
        annual=DEFAULT_ANNUAL_FAILURE,
        lifetime=DEFAULT_LIFETIME_FAILURE,
        source="default",
        explanation=(
            f"no health score for this alliance: the field's base rate, "
            f"{DEFAULT_LIFETIME_FAILURE:.0%} failure over {DEFAULT_LIFETIME_YEARS} years "
            f"= {DEFAULT_ANNUAL_FAILURE:.1%} a year"
        ),
    )


def failure_from_scores(alliances: pd.DataFrame, alliance_id: str) -> FailureEstimate:
    """The failure estimate from the health scoring's alliance table (``health_index``,
    ``lifetime_failure_probability`` and the 12-month ``failure_probability``, as
    ``health.score_portfolio(...).alliances`` gives it: the lifetime probability spread
    over DEFAULT_LIFETIME_YEARS). Falls back to :func:`default_failure` when the alliance
    has no health index (not assessed)."""
    rows = alliances[alliances["alliance_id"] == alliance_id] if len(alliances) else alliances
    if rows.empty or _missing(rows["health_index"].iloc[0]):
        return default_failure()
    index = float(rows["health_index"].iloc[0])
    r = rows.iloc[0]
    lifetime = float(r.get("lifetime_failure_probability", r["failure_probability"]))
    annual = annual_failure_probability(lifetime, DEFAULT_LIFETIME_YEARS)
    return FailureEstimate(
        annual=annual,
        lifetime=lifetime,
        source="health",
        health_index=index,
        explanation=(
            f"health index {index:.0f}: {lifetime:.0%} failure probability over "
            f"{DEFAULT_LIFETIME_YEARS} years from the risk model = {annual:.1%} a year"
        ),
    )


def lines_table(lines: pd.DataFrame, alliance_id: str, kind: str = "plan") -> pd.DataFrame:
    """The alliance's lines of one kind as a year-by-year table: one row per side,
    category and item, one column per year (amounts as entered, positive), and a total."""
    df = lines[(lines["alliance_id"] == alliance_id) & (lines["kind"] == kind)]
    df = df[_usable(df)]
    if df.empty:
        return pd.DataFrame(columns=["side", "category", "item", "total"])
    wide = df.assign(year=df["year"].astype(int), amount=df["amount"].astype(float)).pivot_table(
        index=["side", "category", "item"], columns="year", values="amount", aggfunc="sum"
    )
    wide.columns = [str(c) for c in wide.columns]
    wide["total"] = wide.sum(axis=1)
    order = {"investment": 0, "cost": 1, "revenue": 2}
    out = wide.reset_index()
    out["_s"] = out["side"].map({"us": 0, "partner": 1})
    out["_c"] = out["category"].map(order)
    return out.sort_values(["_s", "_c", "item"]).drop(columns=["_s", "_c"]).reset_index(drop=True)
