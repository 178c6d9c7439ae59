"""What an alliance's health puts at risk: failure probability and revenue at risk.

Failure model
-------------
``P(fail) = 1 / (1 + exp(-(intercept + slope * health_index)))``, a logistic curve in the
0-100 health index. No public source breaks alliance failure down by cause, so the
default is an explicit assumption, not a fit:

* a typical alliance sits near the field's failure rate of about 50% (ASAP: ~53%
  success; McKinsey: 40-60% of joint ventures underperform or fail). Practitioners'
  health checks average 3.2-4.6 out of 5 (55-90 on our scale), so we put the typical,
  coin-flip alliance at a health index of 60;
* a healthy alliance (index 85) still fails about 1 in 6 times (17.5%): health checks
  measure fit, not market luck;
* a badly cracked alliance (index 30) fails about 6 times in 7 (86.5%).

That gives ``slope = -0.062`` per point and ``intercept = 3.72`` (= 0.062 x 60).
Once a portfolio has recorded enough outcomes of ended alliances (``MIN_OUTCOMES``
with both failures and non-failures), ``fit`` replaces the default by a logistic
regression of failure on the last health index before each ended, fitted by iteratively
reweighted least squares, and reports its Brier score (mean squared error of the
predicted probabilities; 0.25 is what always saying 50% scores).

Horizon
-------
The logistic curve gives the chance that an alliance fails **over its life**. Alliances
are taken to live ``LIFETIME_YEARS`` (5) years with a constant yearly hazard, so the chance
of failing **within the next 12 months** is ``1 - (1 - P(life)) ** (1 / 5)``: a 50%
lifetime chance is 12.9% a year. Revenue at risk per year = expected annual revenue x that
12-month probability (a lifetime probability would pair with lifetime value instead).

Range
-----
Each probability comes with a 90% range. The default model is an assumption, so its
range is the assumption's own spread: the coin-flip health index anywhere from 50 to 70
(``DEFAULT_MIDPOINT`` +/- ``DEFAULT_MIDPOINT_SPREAD``). A fitted model's range is the 90%
confidence band of the logistic regression (delta method on the log-odds).

Revenue at risk is summed per currency for the portfolio (never mixing currencies unless
an FX table says how to convert); alliances without a health index (not assessed) are
left out and counted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from alliance_kit.records.model import ALLIANCE_LIFE_YEARS

DEFAULT_MIDPOINT = 60.0  # health index at which failure is a coin flip
DEFAULT_MIDPOINT_SPREAD = 10.0  # the assumption's range: coin flip anywhere in 50-70
LIFETIME_YEARS = ALLIANCE_LIFE_YEARS  # the life a lifetime probability is spread over
HORIZON = "within the next 12 months"
Z90 = 1.6448536269514722  # two-sided 90%
DEFAULT_SLOPE = -0.062  # change in log-odds of failure per health point
MIN_OUTCOMES = 20  # ended alliances needed (with both classes) before refitting
FAILURE_OUTCOMES = ("failed",)  # outcomes counted as failure; "exited" may be a planned exit


@dataclass(frozen=True)
class RiskModel:
    """A logistic failure model in the health index and where it came from."""

    intercept: float
    slope: float
    source: str = "default"  # "default" or "fitted"
    n: int = 0  # ended alliances it was fitted on
    failures: int = 0
    brier: float | None = None  # Brier score on the fitting outcomes
    #: Covariance of (intercept, slope) of a fitted model: var_a, cov_ab, var_b.
    cov: tuple[float, float, float] | None = None

    def probability(self, health: float | np.ndarray | pd.Series) -> np.ndarray | float:
        """Failure probability over the alliance's life for one or many health indices
        (NaN stays NaN)."""
        h = np.asarray(health, dtype=float)
        p = 1.0 / (1.0 + np.exp(-(self.intercept + self.slope * h)))
        return float(p) if p.ndim == 0 else p

    def interval(self, health: float | np.ndarray | pd.Series) -> tuple[np.ndarray, np.ndarray]:
        """The 90% range (low, high) of the lifetime probability at each health index:
        the fitted model's confidence band, or the default assumption's spread."""
        h = np.asarray(health, dtype=float)
        logit = self.intercept + self.slope * h
        if self.cov is not None:
            va, cab, vb = self.cov
            half = Z90 * np.sqrt(np.clip(va + 2 * h * cab + h * h * vb, 0, None))
        else:
            half = np.abs(self.slope) * DEFAULT_MIDPOINT_SPREAD
        return _expit(logit - half), _expit(logit + half)

    def describe(self) -> str:
        midpoint = -self.intercept / self.slope if self.slope else float("nan")
        text = (
            f"{self.source} logistic model: P(fail) = 1/(1+exp(-({self.intercept:.3f} "
            f"{self.slope:+.4f} x health))); coin flip at health {midpoint:.1f}"
        )
        if self.source == "fitted":
            text += f"; fitted on {self.n} ended alliances ({self.failures} failed)"
            text += f", Brier score {self.brier:.3f}"
        return text


DEFAULT = RiskModel(intercept=-DEFAULT_SLOPE * DEFAULT_MIDPOINT, slope=DEFAULT_SLOPE)


def _expit(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def annual(lifetime: float | np.ndarray, years: float = LIFETIME_YEARS) -> np.ndarray | float:
    """The chance of failing within 12 months, from the chance over a life of ``years``
    at a constant yearly hazard: 1 - (1 - lifetime) ** (1 / years)."""
    p = 1.0 - (1.0 - np.asarray(lifetime, dtype=float)) ** (1.0 / years)
    return float(p) if p.ndim == 0 else p


def failure_probability(
    health: float | np.ndarray | pd.Series, model: RiskModel | None = None
) -> np.ndarray | float:
    """P(failure) from the health index under ``model`` (default: DEFAULT)."""
    return (model or DEFAULT).probability(health)


def brier(probability: np.ndarray | pd.Series, outcome: np.ndarray | pd.Series) -> float:
    """Brier score: mean of (p - outcome)^2, outcome 1 = failed. Lower is better."""
    p = np.asarray(probability, dtype=float)
    y = np.asarray(outcome, dtype=float)
    return float(np.mean((p - y) ** 2))


def fit(
    health: np.ndarray | pd.Series,
    failed: np.ndarray | pd.Series,
    *,
    iterations: int = 50,
    tol: float = 1e-10,
    ridge: float = 1e-6,
) -> RiskModel:
    """Logistic regression of failure (1/0) on health by IRLS (Newton's method).

    A tiny ridge term keeps it finite when the classes separate perfectly.
    """
    h = np.asarray(health, dtype=float)
    y = np.asarray(failed, dtype=float)
    keep = ~np.isnan(h) & ~np.isnan(y)
    h, y = h[keep], y[keep]
    if len(h) < 2 or y.min() == y.max():
        raise ValueError("fitting the failure model needs outcomes of both kinds")
    x = np.column_stack([np.ones_like(h), (h - 50.0) / 25.0])  # centred for stability
    beta = np.zeros(2)
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-(x @ beta)))
        w = np.clip(p * (1 - p), 1e-12, None)
        hess = x.T @ (x * w[:, None]) + ridge * np.eye(2)
        step = np.linalg.solve(hess, x.T @ (y - p) - ridge * beta)
        beta += step
        if np.max(np.abs(step)) < tol:
            break
    slope = beta[1] / 25.0
    intercept = beta[0] - slope * 50.0
    model = RiskModel(float(intercept), float(slope), "fitted", int(len(h)), int(y.sum()))
    # covariance of (intercept, slope) from the centred fit's: a = b0 - 2 b1, b = b1 / 25
    p = 1.0 / (1.0 + np.exp(-(x @ beta)))
    w = np.clip(p * (1 - p), 1e-12, None)
    c = np.linalg.inv(x.T @ (x * w[:, None]) + ridge * np.eye(2))
    t = np.array([[1.0, -2.0], [0.0, 1.0 / 25.0]])
    cov = t @ c @ t.T
    return RiskModel(
        model.intercept,
        model.slope,
        "fitted",
        model.n,
        model.failures,
        brier(model.probability(h), y),
        (float(cov[0, 0]), float(cov[0, 1]), float(cov[1, 1])),
    )


def calibrate(
    last_health: pd.Series | np.ndarray,
    outcome: pd.Series | np.ndarray,
    *,
    min_outcomes: int = MIN_OUTCOMES,
    failure_outcomes: tuple[str, ...] = FAILURE_OUTCOMES,
) -> RiskModel:
    """The model to use: refitted on the portfolio's ended alliances (their last health
    index and recorded outcome) once at least ``min_outcomes`` exist with both failures
    and non-failures, else DEFAULT (with its Brier score on what outcomes there are)."""
    h = np.asarray(last_health, dtype=float)
    y = np.isin(np.asarray(outcome, dtype=object), failure_outcomes).astype(float)
    keep = ~np.isnan(h)
    h, y = h[keep], y[keep]
    if len(h) >= min_outcomes and 0 < y.sum() < len(y):
        return fit(h, y)
    if len(h):
        return RiskModel(
            DEFAULT.intercept,
            DEFAULT.slope,
            "default",
            len(h),
            int(y.sum()),
            brier(DEFAULT.probability(h), y),
        )
    return DEFAULT


def revenue_at_risk(expected_revenue: pd.Series, probability: pd.Series) -> pd.Series:
    """Expected annual revenue x the 12-month failure probability: revenue at risk per
    year (null where the probability is)."""
    return expected_revenue.astype(float) * probability.astype(float)


def portfolio_at_risk(
    alliances: pd.DataFrame,
    fx: Mapping[str, float] | None = None,
    base_currency: str | None = None,
) -> pd.DataFrame:
    """Per currency, over the alliances with a revenue at risk: their count, expected
    revenue and revenue at risk per year (with ``revenue_at_risk_low``/``_high`` when the
    frame has them), and ``not_assessed``, the alliances left out for want of a health
    index; a currency with no alliance assessed has no figures (NaN), not zeros. With an
    FX table (units of ``base_currency`` per unit of each currency) a converted total row
    is added; a currency missing from the table is an error, never silently mixed."""
    bands = [c for c in ("revenue_at_risk_low", "revenue_at_risk_high") if c in alliances]
    cols = ["expected_revenue", "revenue_at_risk", *bands]
    a = alliances.assign(_in=alliances["revenue_at_risk"].notna())
    a[cols] = a[cols].astype(float)
    a.loc[~a["_in"], cols] = np.nan
    g = a.groupby("currency")
    out = g[cols].sum(min_count=1).reset_index()  # no alliance assessed: no figure (NaN)
    out["alliances"] = g["_in"].sum().astype(int).to_numpy()
    out["not_assessed"] = g["_in"].size().to_numpy() - out["alliances"]
    out["share_at_risk"] = out["revenue_at_risk"] / out["expected_revenue"].where(
        out["expected_revenue"] > 0
    )
    if fx is not None:
        if not base_currency:
            raise ValueError("an FX table needs the base currency it converts to")
        missing = sorted(set(out["currency"]) - set(fx))
        if missing:
            raise ValueError(f"no FX rate to {base_currency} for {', '.join(missing)}")
        rate = out["currency"].map(fx).astype(float)
        total = {"currency": f"total in {base_currency}"}
        total |= {c: float((out[c] * rate).sum(min_count=1)) for c in cols}
        total |= {c: int(out[c].sum()) for c in ("alliances", "not_assessed")}
        total["share_at_risk"] = (
            total["revenue_at_risk"] / total["expected_revenue"]
            if total["expected_revenue"] > 0
            else float("nan")
        )
        out = pd.concat([out, pd.DataFrame([total])], ignore_index=True)
    return out


def shortfall(company_revenue: float, alliance_share: float, failure_rate: float) -> float:
    """The seed's calculator: revenue missing when a share of alliances fail.

    A $1B company expecting 40% of revenue from alliances, half of which fail, misses
    1e9 x 0.40 x 0.50 = $200M.
    """
    for name, v in (("alliance_share", alliance_share), ("failure_rate", failure_rate)):
        if not 0 <= v <= 1:
            raise ValueError(f"{name} is a fraction between 0 and 1, got {v}")
    return company_revenue * alliance_share * failure_rate
