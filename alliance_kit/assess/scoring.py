"""The scale and the bands of the six-crack health: the cracks, statuses, rounding once
to the printed figure, and every threshold and weight (``ScoringConfig``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from alliance_kit.assess import risk

CRACKS = (1, 2, 3, 4, 5, 6)
STATUSES = ("green", "amber", "red")
#: The status of a crack without a score, and of an alliance without a health index.
NOT_ASSESSED = "not assessed"
#: Every figure is rounded to this many decimals once, when it is made; thresholds
#: compare the rounded figure, the one every page prints.
DECIMALS = 1
READINGS = ("agreed strength", "agreed weakness", "blind spot", "undervalued")
#: Both sides rate the crack high, but its blended score is not green (or both rate it
#: low, but it scores green): said instead of a strength or weakness the status denies.
RATED_HIGH_SCORED_LOWER = "both rate it high, scored lower"
RATED_LOW_SCORED_HIGHER = "both rate it low, scored higher"


@dataclass(frozen=True)
class ScoringConfig:
    """Every threshold and weight of the scoring, with its default."""

    survey_weight: float = 0.6
    evidence_weight: float = 0.4
    green: float = 70.0
    amber: float = 50.0
    knock_out: bool = True
    crack_weights: dict[int, float] = field(default_factory=lambda: dict.fromkeys(CRACKS, 1.0))
    indicator_weights: dict[str, float] = field(default_factory=dict)  # missing: 1.0
    high_cut: float = 60.0  # a side mean at or above reads "high" in the four-way reading
    gap_flag: float = 25.0
    low_confidence_n: int = 3
    confidence: float = 0.90
    #: Anonymity: a side's figures (means, interval, statement means, don't-know rate,
    #: gap) are withheld below this many respondents, in every view and export.
    min_respondents: int = 3
    #: A health index needs this many scored cracks ...
    min_scored_cracks: int = 4
    #: ... and, when True, a survey score on at least one crack.
    require_survey: bool = True
    #: The life a lifetime failure probability is spread over (constant yearly hazard).
    lifetime_years: float = risk.LIFETIME_YEARS
    dont_know_warn: float = 0.30
    dont_know_cracks: tuple[int, ...] = (2, 4)
    drop_alert: float = 10.0
    gap_widening: float = 10.0
    response_drop: float = 0.10
    window: int = 4  # quarters of records the evidence looks back over
    risk_model: risk.RiskModel | None = None  # None: refit from outcomes when enough
    min_outcomes: int = risk.MIN_OUTCOMES
    failure_outcomes: tuple[str, ...] = risk.FAILURE_OUTCOMES
    fx: dict[str, float] | None = None  # units of base_currency per unit of currency
    base_currency: str | None = None
    #: The day scores are asked for. A quarter still in progress on it takes its evidence
    #: from the records through the last closed quarter: its meetings, actions and KPI
    #: reports are not all due yet, and counting them would read as missed. None: every
    #: quarter is treated as closed.
    as_of: dt.date | None = None


def to_points(score: pd.Series | np.ndarray | float) -> pd.Series | np.ndarray | float:
    """A 1-5 answer on the 0-100 scale: (s - 1) x 25; NULL (don't know) stays missing."""
    return (score - 1) * 25.0


def rounded(x: np.ndarray | pd.Series | float) -> np.ndarray | pd.Series | float:
    """``x`` to DECIMALS places, halves away from zero as one rounds by hand (70.85 ->
    70.9, although the float 70.85 is a hair below it), without a negative zero. The
    result is the figure every page prints: ``f"{x:.1f}"`` shows exactly it."""
    scale = 10.0**DECIMALS
    magnitude = np.floor(np.abs(x) * scale + 0.5 + 1e-9) / scale
    return np.sign(x) * magnitude + 0.0


def score_text(x: float | None) -> str:
    """A score, gap or index as printed everywhere: one decimal, "n/a" when missing."""
    return "n/a" if x is None or x != x else f"{rounded(float(x)):.{DECIMALS}f}"


def status(score: pd.Series, config: ScoringConfig | None = None) -> pd.Series:
    """green / amber / red for each score, ``not assessed`` for a missing score.

    The status is that of the figure printed (rounded to one decimal): 69.96 prints
    70.0 and is green; 69.94 prints 69.9 and is amber."""
    s = pd.Series(score, dtype=float)
    return pd.Series(
        status_of(s.to_numpy(), config or ScoringConfig()), index=s.index, dtype=object
    )


def status_of(score: np.ndarray, cfg: ScoringConfig) -> np.ndarray:
    """status() on an array: an object array of words."""
    shown = rounded(np.asarray(score, dtype=float))
    code = np.where(shown >= cfg.green, 0, np.where(shown >= cfg.amber, 1, 2))
    code[np.isnan(shown)] = 3
    return np.array([*STATUSES, NOT_ASSESSED], dtype=object)[code]


def linear(x: pd.Series, good: float, bad: float) -> pd.Series:
    """100 at ``good`` or better, 0 at ``bad`` or worse, a straight line between."""
    return (100.0 * (bad - x) / (bad - good)).clip(0.0, 100.0)


def group_sums(values: dict[str, np.ndarray], group: np.ndarray, n: int) -> pd.DataFrame:
    """Per group 0..n-1 (-1: none), the sum of each column: pandas' compensated group
    sums, so results match a groupby to the last digit, on codes without hashing."""
    by = pd.Categorical.from_codes(group, categories=pd.RangeIndex(n))
    return pd.DataFrame(values).groupby(by, observed=False).sum()
