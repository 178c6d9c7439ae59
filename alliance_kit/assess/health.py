"""Six-crack alliance health: survey answers and record evidence scored per crack.

Everything here is vectorized over the whole portfolio: pass the frames dict
(``store.read_all()``) and a period; get tidy frames back. How a score is made:

1. **Survey.** A statement's answer 1-5 becomes 0-100 as ``(s - 1) * 25``; "don't know"
   (NULL) is left out of means and reported as ``dont_know_rate`` (a rate at or above
   ``dont_know_warn`` raises an alert, severe for cracks 2 and 4, where not knowing the
   strategy or the KPIs *is* the crack). Each respondent's crack mean is the mean of their
   known answers on the crack's statements; a side's crack mean is the mean of its
   respondents' crack means (each person counts once), with a t-distribution confidence
   interval over those means and ``low_confidence`` below 3 respondents. The survey
   score of a crack is the mean of the two sides' means (both partners count equally,
   whatever their headcount; one side alone if only one answered). Public functions
   return aggregates only, never a respondent's row.
2. **Evidence.** Indicators from the records (``INDICATORS``; each on 0-100 with the
   mapping in its description), computed by the domain modules over a look-back window
   of ``window`` quarters ending at the period. A crack's evidence score is the weighted
   mean of its available indicators (``indicator_weights``, default 1 each).
3. **Blend.** ``score = (survey_weight * survey + evidence_weight * evidence) /
   (survey_weight + evidence_weight)``; default 0.6 / 0.4; if one part is missing the
   other alone.
4. **Status.** green at ``green`` (70) and above, amber from ``amber`` (50), red below.
   The health index is the weighted mean of the crack scores (``crack_weights``, equal by
   default). Knock-out: one red crack caps the alliance at amber, whatever the index.
5. **Perception gap.** ``gap = us - partner`` survey means; reading: both sides at or
   above ``high_cut`` = agreed strength, both below = agreed weakness, us high and
   partner low = blind spot (fix first), partner high and us low = undervalued;
   ``|gap| >= gap_flag`` (25 points, one step on the 1-5 scale) is flagged. The reading
   never contradicts the status: "agreed strength" needs a green crack and "agreed
   weakness" an amber or red one; when both sides agree but the blended score lands in
   the other band, the reading says so (``RATED_HIGH_SCORED_LOWER`` /
   ``RATED_LOW_SCORED_HIGHER``) and ``reading_note`` gives the figures that explain it.
6. **Early warning** against the previous quarter: a crack down ``drop_alert`` points
   or more, a crack newly red, a gap widened by ``gap_widening`` points or more, a
   response rate down ``response_drop`` or more, a high don't-know rate.
7. **Risk.** Failure probability from the health index (``alliance_kit.assess.risk``) and
   revenue at risk = expected annual revenue x failure probability.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from alliance_kit.align import governance
from alliance_kit.assess import risk
from alliance_kit.imagine import kpis
from alliance_kit.imagine import strategy as strategy_mod
from alliance_kit.imagine.business_case import FailureEstimate, failure_from_scores
from alliance_kit.records import measures, periods, questionnaire
from alliance_kit.records.measures import table
from alliance_kit.records.model import RECORD_TYPES, TABLES
from alliance_kit.succeed import improvement, operations

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
ALERT_KINDS = ("drop", "newly red", "gap widening", "response falling", "dont know")
#: How each kind of alert is named on a page.
ALERT_LABELS = {
    "drop": "Drop",
    "newly red": "Newly red",
    "gap widening": "Gap widening",
    "response falling": "Response falling",
    "dont know": "Don't know",
}


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


@dataclass
class PortfolioScores:
    """Scores of a portfolio for one period (all frames aggregate; none per person)."""

    period: str
    cracks: pd.DataFrame  # alliance x crack
    alliances: pd.DataFrame  # one row per alliance
    alerts: pd.DataFrame  # alliance_id, crack, kind, severity, message
    by_side: pd.DataFrame  # alliance x crack x side survey aggregates
    evidence: pd.DataFrame  # alliance x indicator
    portfolio: pd.DataFrame  # revenue at risk per currency
    model: risk.RiskModel
    config: ScoringConfig


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
    return pd.Series(_status(s.to_numpy(), config or ScoringConfig()), index=s.index, dtype=object)


def _status(score: np.ndarray, cfg: ScoringConfig) -> np.ndarray:
    """status() on an array: an object array of words."""
    shown = rounded(np.asarray(score, dtype=float))
    code = np.where(shown >= cfg.green, 0, np.where(shown >= cfg.amber, 1, 2))
    code[np.isnan(shown)] = 3
    return np.array([*STATUSES, NOT_ASSESSED], dtype=object)[code]


def linear(x: pd.Series, good: float, bad: float) -> pd.Series:
    """100 at ``good`` or better, 0 at ``bad`` or worse, a straight line between."""
    return (100.0 * (bad - x) / (bad - good)).clip(0.0, 100.0)


# --- survey -------------------------------------------------------------------------


def _survey(
    frames: dict[str, pd.DataFrame], period_list: list[str], cfg: ScoringConfig
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Side aggregates per (alliance, period, side, crack) and response per side.

    Works on integer codes with ``np.bincount`` so a million answers cost about as much
    as a groupby-mean.
    """
    rounds = table(frames, "assessment_rounds")
    rounds = rounds.loc[
        rounds["period"].isin(period_list), ["id", "alliance_id", "period", "questionnaire_version"]
    ].rename(columns={"id": "round_id"})
    resp = table(frames, "respondents")[["id", "round_id", "side"]].merge(rounds, on="round_id")
    resp, gcode, groups = _side_groups(resp)
    n_groups, n_resp, k = len(groups), len(resp), len(CRACKS)

    ans = table(frames, "answers")
    ridx = _find(resp["id"], ans["respondent_id"])
    scodes, suniq = pd.factorize(ans["statement_id"])
    keep = ridx >= 0
    if not keep.all():  # answers of respondents outside these rounds
        ridx, scodes = ridx[keep], scodes[keep]
    vcodes, vuniq = pd.factorize(resp["questionnaire_version"])
    known_versions = set(questionnaire.versions())
    unknown = sorted(set(vuniq) - known_versions)
    if unknown:
        raise ValueError(
            f"assessment rounds use questionnaire version(s) {', '.join(unknown)}, "
            f"not in templates/questionnaire.yaml"
        )
    smap = questionnaire.statement_map()
    lut = np.zeros((max(len(vuniq), 1), max(len(suniq), 1)), dtype=np.int64)
    vi = pd.Index(vuniq).get_indexer(smap["questionnaire_version"])
    si = pd.Index(suniq).get_indexer(smap["statement_id"])
    ok = (vi >= 0) & (si >= 0)
    lut[vi[ok], si[ok]] = smap["crack"].to_numpy()[ok]
    if len(vuniq) == 1:  # one questionnaire version: no per-answer version lookup
        crack = lut[0, scodes]
    else:
        crack = lut[vcodes[ridx], scodes] if len(ridx) else np.zeros(0, dtype=np.int64)
    values = to_points(ans["score"].to_numpy(dtype=float, na_value=np.nan))
    if not keep.all():
        values = values[keep]
    rc = ridx * k + crack - 1  # respondent x crack
    on_crack = crack > 0
    if not on_crack.all():  # statements no crack has (none in a known version)
        values, rc = values[on_crack], rc[on_crack]
    known = ~np.isnan(values)
    size = n_resp * k
    n_all = np.bincount(rc, minlength=size)
    n_known = n_all - np.bincount(rc[~known], minlength=size)
    # don't know adds 0.0, which leaves every partial sum as it was
    total = np.bincount(rc, weights=np.where(known, values, 0.0), minlength=size)
    has = n_known > 0
    rmean = np.divide(total, n_known, out=np.zeros(size), where=has)

    gc = (np.repeat(gcode, k) * k + np.tile(np.arange(k), n_resp))[:size]
    gsize = n_groups * k
    n = np.bincount(gc[has], minlength=gsize).astype(float)
    s1 = np.bincount(gc[has], weights=rmean[has], minlength=gsize)
    s2 = np.bincount(gc[has], weights=rmean[has] ** 2, minlength=gsize)
    answers = np.bincount(gc, weights=n_all, minlength=gsize)
    dk = answers - np.bincount(gc, weights=n_known, minlength=gsize)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n > 0, s1 / n, np.nan)
        var = np.where(n > 1, np.clip(s2 - n * mean**2, 0, None) / (n - 1), np.nan)
        half = _t_quantile(0.5 + cfg.confidence / 2, np.where(n > 1, n - 1, np.nan)) * np.sqrt(
            var / n
        )
        dk_rate = np.where(answers > 0, dk / answers, np.nan)
    by_side = pd.DataFrame(
        {
            "alliance_id": np.repeat(groups["alliance_id"].to_numpy(), k),
            "period": np.repeat(groups["period"].to_numpy(), k),
            "side": np.repeat(groups["side"].to_numpy(), k),
            "crack": np.tile(np.arange(1, k + 1), n_groups),
            "mean": mean,
            "respondents": n.astype(int),
            "answers": answers.astype(int),
            "dont_know": dk.astype(int),
            "dont_know_rate": dk_rate,
            "ci_low": np.clip(mean - half, 0, 100),
            "ci_high": np.clip(mean + half, 0, 100),
        }
    )
    by_side["low_confidence"] = by_side["respondents"] < cfg.low_confidence_n
    # anonymity: a side below min_respondents is withheld, and so is the other side of
    # the same crack (its figures with the pooled score would give the small side away)
    small = (answers > 0) & (n < cfg.min_respondents)
    pair = pd.factorize(
        pd.MultiIndex.from_arrays([groups["alliance_id"], groups["period"]])
    )[0] if n_groups else np.zeros(0, dtype=np.int64)  # fmt: skip
    pk = np.repeat(pair, k) * k + np.tile(np.arange(k), n_groups)
    paired = np.bincount(pk, weights=small, minlength=max(n_groups * k, 1))[pk] > 0
    by_side["_s1"], by_side["_dk"] = s1, dk  # for the pooled score; never published
    withheld = (answers > 0) & paired
    by_side["withheld"] = np.where(
        small,
        f"fewer than {cfg.min_respondents} respondents on this side",
        np.where(
            withheld,
            f"the other side has fewer than {cfg.min_respondents} respondents (this side's "
            "figures with the pooled score would reveal theirs)",
            None,
        ),
    )
    for col in ("mean", "ci_low", "ci_high", "dont_know_rate", "dont_know"):
        by_side[col] = by_side[col].astype(float).where(~withheld)
    by_side = by_side[by_side["answers"] > 0].reset_index(drop=True)

    answered = np.bincount(ridx, minlength=n_resp) > 0 if n_resp else np.zeros(0, bool)
    groups["responded"] = np.bincount(gcode[answered], minlength=n_groups) if n_resp else 0
    return by_side, groups


def _t_quantile(q: float, dof: np.ndarray) -> np.ndarray:
    """stats.t.ppf(q, dof), computed once per distinct number of degrees of freedom."""
    values, inverse = np.unique(dof, return_inverse=True)
    return stats.t.ppf(q, values)[inverse.reshape(dof.shape)]


def _sort_key(values: pd.Series) -> np.ndarray:
    """Integers that sort like the values (integer codes as they are)."""
    v = values.to_numpy()
    return v if v.dtype.kind in "iu" else pd.factorize(v, sort=True)[0]


def _find(ids: pd.Series, keys: pd.Series) -> np.ndarray:
    """Position of each key among the unique ``ids``, -1 when absent: an array lookup
    when both hold _encode's integer codes, else a hash lookup."""
    i, k = ids.to_numpy(), keys.to_numpy()
    if i.dtype.kind == k.dtype.kind == "i" and len(i) and len(k):
        high = max(i.max(), k.max())
        if i.min() >= 0 and k.min() >= -1 and high < 4 * (len(i) + len(k)):
            where = np.full(high + 2, -1)  # the last entry answers the code -1
            where[i] = np.arange(len(i))
            return where[k]
    return pd.Index(ids).get_indexer(keys)


def _side_groups(resp: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame]:
    """Respondents sorted by alliance, period, side and id; each one's group number; and
    the groups (alliance_id, period, side, invited) in that order."""
    keys = ["alliance_id", "period", "side"]
    codes = [_sort_key(resp[c]) for c in [*keys, "id"]]
    order = np.lexsort(codes[::-1])
    resp = resp.take(order).reset_index(drop=True)
    key = np.column_stack(codes[:-1])[order]
    new = np.ones(len(resp), dtype=bool)
    new[1:] = (key[1:] != key[:-1]).any(axis=1)
    gcode = np.cumsum(new) - 1
    # keys as a groupby gives them (text inferred as str)
    groups = pd.DataFrame({c: pd.Index(resp[c].to_numpy()[new]) for c in keys})
    groups["invited"] = np.bincount(gcode, minlength=len(groups))
    return resp, gcode, groups


def survey_by_side(
    frames: dict[str, pd.DataFrame], period: str, config: ScoringConfig | None = None
) -> pd.DataFrame:
    """Per alliance, crack and side: mean (0-100), respondents, answers, don't-know
    rate, confidence interval and low_confidence, for the rounds of ``period``."""
    by_side, _ = _survey(frames, [period], config or ScoringConfig())
    return _public(by_side.drop(columns="period"))


#: Columns of the side aggregates kept for the pooled score, never shown.
PRIVATE = ("_s1", "_dk")


def _public(by_side: pd.DataFrame) -> pd.DataFrame:
    """The side aggregates as every view may show them (withheld figures already null)."""
    return by_side.drop(columns=[c for c in PRIVATE if c in by_side.columns])


def response_rates(
    frames: dict[str, pd.DataFrame], period: str, config: ScoringConfig | None = None
) -> pd.DataFrame:
    """Per alliance and side: respondents invited, those who answered, and the rate."""
    _, groups = _survey(frames, [period], config or ScoringConfig())
    groups["rate"] = groups["responded"] / groups["invited"]
    return groups.drop(columns="period")


# --- evidence -----------------------------------------------------------------------


@dataclass(frozen=True)
class Indicator:
    """One evidence indicator: which crack, what it means, how it maps to 0-100."""

    name: str
    crack: int
    label: str
    mapping: str
    compute: Callable[[dict[str, pd.DataFrame], str, int, bool], pd.DataFrame]
    #: Why the indicator is null when the alliance has none of the records it counts.
    missing: str = "no records"
    #: Where those records are entered.
    source: str = "the intake workbook"


def _n(x: float, digits: int = 0) -> str:
    """A number for a sentence: 'n/a' when missing."""
    return "n/a" if x != x else f"{x:.{digits}f}"


def _n1(x: float) -> str:
    """_n(x, 1) without the variable format spec (alerts write tens of thousands)."""
    return "n/a" if x != x else f"{x:.1f}"


def _p(x: float) -> str:
    return "n/a" if x != x else f"{100 * x:.0f}%"


def _pct(x: pd.Series) -> pd.Series:
    return pd.Series([_p(v) for v in x.astype(float).tolist()], index=x.index, dtype=object)


def _num(x: pd.Series, digits: int = 0) -> pd.Series:
    vals = x.astype(float).tolist()
    return pd.Series([_n(v, digits) for v in vals], index=x.index, dtype=object)


def _codes(values: pd.Series) -> np.ndarray:
    """Codes equal exactly where two values print the same (floats compared by their
    bits, so 0.0 and -0.0 stay apart)."""
    arr = values.to_numpy()
    if arr.dtype == np.float64:
        arr = arr.view(np.int64)
    return pd.factorize(arr, use_na_sentinel=False)[0]


def _say(index: pd.Index, fmt: Callable[..., str], *cols: pd.Series) -> pd.Series:
    """Sentences built with an f-string function of some columns, written once per
    distinct combination of values (counts and levels repeat across a portfolio) and
    spread to the rows."""
    key = np.zeros(len(index), dtype=np.int64)
    for c in cols:
        codes = _codes(c)
        key = pd.factorize(key * (int(codes.max(initial=0)) + 1) + codes)[0]
    first = np.zeros(int(key.max(initial=-1)) + 1, dtype=np.int64)
    first[key] = np.arange(len(key))  # a row holding each combination
    values = zip(*(c.iloc[first].tolist() for c in cols), strict=True)
    sentences = np.array([fmt(*v) for v in values], dtype=object)
    return pd.Series(sentences[key], index=index, dtype=object)


def _texts(values: pd.Series | np.ndarray, fmt: Callable[[float], str]) -> np.ndarray:
    """``fmt`` of each number, called once per distinct value (compared by bits)."""
    codes, uniques = pd.factorize(np.asarray(values, dtype=float).view(np.int64))
    return np.array([fmt(u) for u in uniques.view(np.float64).tolist()], dtype=object)[codes]


def _percent(x: pd.Series) -> pd.Series:
    """``_p`` of every value: the percentage is rounded half to even first, as the
    format does, so each distinct whole percentage is written once."""
    rounded = np.rint(100 * x.to_numpy(dtype=float))
    words = _texts(rounded, lambda r: "n/a" if r != r else f"{r:.0f}%")
    return pd.Series(words, index=x.index, dtype=object)


def _side_pivot(df: pd.DataFrame, col: str) -> pd.DataFrame:
    """alliance x side (us, partner) of one column of a frame with one row per alliance
    and side: DataFrame.pivot's table, without its sorting and reshaping."""
    codes, ids = pd.factorize(df["alliance_id"])
    side = pd.Index(["us", "partner"]).get_indexer(df["side"])
    values = df[col].to_numpy()
    cols = {}
    for i, name in enumerate(("us", "partner")):
        pick = side == i
        part = pd.Series(values[pick], index=codes[pick])
        cols[name] = part.reindex(range(len(ids))).to_numpy()
    return pd.DataFrame(cols, index=pd.Index(ids, name="alliance_id"))


def _ind(raw: pd.Series, score: pd.Series, detail: Callable[[], pd.Series] | None):
    return pd.DataFrame({"raw": raw, "score": score, "detail": detail() if detail else None})


def _sponsors(frames):
    def compute():
        sl = governance.sponsor_levels(frames)
        level = _side_pivot(sl, "level")
        recorded = level.notna().any(axis=1)  # the levels are what is scored
        return _side_pivot(sl, "score").where(recorded, axis=0), level.fillna("none")

    return _cached(frames, ("sponsors",), compute)


def _ind_sponsor(frames, period, window, detail):
    score, level = _sponsors(frames)
    raw = score.min(axis=1)
    say = lambda: _say(raw.index, lambda u, p: f"us: {u}, partner: {p}", level["us"],  # noqa: E731
                       level["partner"])  # fmt: skip
    return _ind(raw, raw, detail and say)


def _ind_attendance(frames, period, window, detail):
    ea = governance.executive_attendance(frames, period, window)
    rate = _side_pivot(ea, "rate")
    raw = rate.min(axis=1, skipna=False)

    def say():
        w = _side_pivot(ea, "with_executive")
        n = ea.groupby("alliance_id")["steering_meetings"].first().reindex(raw.index)
        return _say(
            raw.index,
            lambda u, p, m: f"executives present at us {u}/{m}, partner {p}/{m} "
            "steering meetings held",
            w["us"], w["partner"], n,
        )  # fmt: skip

    return _ind(raw, 100 * raw, detail and say)


def _cached(frames, key, compute):
    """Domain figures several indicators share, computed once per evidence() call (and
    once for both periods of score_portfolio when they do not depend on the period)."""
    return measures.memo(frames, key, compute)


def _strategy(frames, period):
    return _cached(
        frames,
        ("strategy", period),
        lambda: strategy_mod.strategy_status(frames, period).set_index("alliance_id"),
    )


def _escalations(frames, period, window):
    return _cached(
        frames,
        ("escalations", period, window),
        lambda: improvement.escalations(frames, period, window).set_index("alliance_id"),
    )


def _kpi_completeness(frames):
    return _cached(
        frames, ("kpis",), lambda: kpis.kpi_completeness(frames).set_index("alliance_id")
    )


def _ind_escalations_resolved(frames, period, window, detail):
    e = _escalations(frames, period, window)
    say = lambda: _say(e.index, lambda r, n: f"{r} of {n} escalations in the window resolved",  # noqa: E731
                       e["resolved"], e["escalated"])  # fmt: skip
    return _ind(e["resolution_rate"], 100 * e["resolution_rate"], detail and say)


def _ind_strategy_documented(frames, period, window, detail):
    s = _strategy(frames, period)
    raw = s["documented"].astype(float).where(s["recorded"])
    say = lambda: s["documented"].map({True: "strategy documented",  # noqa: E731
                                       False: "no documented strategy"})  # fmt: skip
    return _ind(raw, 100 * raw, detail and say)


def _ind_strategy_approved(frames, period, window, detail):
    s = _strategy(frames, period)
    raw = (s["approved_us"].astype(float) + s["approved_partner"].astype(float)).where(
        s["recorded"]
    )
    yes = {True: "approved", False: "not approved"}
    say = lambda: _say(s.index, lambda u, p: f"us: {yes[u]}, partner: {yes[p]}",  # noqa: E731
                       s["approved_us"], s["approved_partner"])  # fmt: skip
    return _ind(raw, 50 * raw, detail and say)


def _ind_strategy_communicated(frames, period, window, detail):
    s = _strategy(frames, period)
    pts, words = {}, {}
    for side in ("us", "partner"):
        b, a = s[f"briefed_{side}"].to_numpy(), s[f"acknowledged_{side}"].to_numpy()
        pts[side] = np.where(a, 50.0, np.where(b, 25.0, 0.0))
        words[side] = np.where(a, "acknowledged", np.where(b, "briefed, not acknowledged",
                                                           "not briefed"))  # fmt: skip
    raw = pd.Series(pts["us"] + pts["partner"], index=s.index).where(s["recorded"])
    say = lambda: _say(s.index, lambda u, p: f"us: {u}; partner: {p}",  # noqa: E731
                       pd.Series(words["us"]), pd.Series(words["partner"]))  # fmt: skip
    return _ind(raw, raw, detail and say)


def _ind_issue_age(frames, period, window, detail):
    i = improvement.issue_age(frames, period).set_index("alliance_id")
    age = i["mean_age_days"]
    score = linear(age, 30, 180).where(i["open_issues"] > 0, 100.0).where(i["logged"] > 0)
    say = lambda: _say(i.index, lambda n, a: f"{n} open issues, mean age {_n(a)} days",  # noqa: E731
                       i["open_issues"], age)  # fmt: skip
    return _ind(age, score, detail and say)


def _ind_escalation_share(frames, period, window, detail):
    e = _escalations(frames, period, window)
    share = e["escalation_share"]
    say = lambda: _say(e.index, lambda k, n: f"{k} of {n} issues raised in the window escalated",  # noqa: E731
                       e["raised_escalated"], e["raised"])  # fmt: skip
    return _ind(share, linear(share, 0.0, 0.5), detail and say)


def _ind_decision_latency(frames, period, window, detail):
    d = governance.decision_latency(frames, period, window).set_index("alliance_id")
    days = d["median_days"]
    say = lambda: _say(  # noqa: E731
        d.index, lambda m, n, p: f"median {_n(m)} days over {n} decisions ({p} pending)",
        days, d["decisions"], d["pending"],
    )  # fmt: skip
    return _ind(days, linear(days, 15, 90), detail and say)


def _ind_kpi_completeness(frames, period, window, detail):
    k = _kpi_completeness(frames)
    say = lambda: _say(  # noqa: E731
        k.index, lambda n, c, s: f"{n} KPIs, {c} fully defined, {_p(s)} of SMART fields filled",
        k["kpis"], k["complete"], k["completeness"],
    )  # fmt: skip
    raw = k["completeness"].where(k["kpis"] > 0)
    return _ind(raw, 100 * raw, detail and say)


def _ind_kpi_agreed(frames, period, window, detail):
    k = _kpi_completeness(frames)
    say = lambda: _say(k.index, lambda a, n: f"{_p(a)} of {n} KPIs agreed by both",  # noqa: E731
                       k["agreed"], k["kpis"])  # fmt: skip
    raw = k["agreed"].where(k["kpis"] > 0)
    return _ind(raw, 100 * raw, detail and say)


def _ind_actuals(frames, period, window, detail):
    a = kpis.actuals_on_time(frames, period, window).set_index("alliance_id")
    say = lambda: _say(a.index, lambda o, e: f"{o} of {e} expected actuals reported on time",  # noqa: E731
                       a["on_time"], a["expected"])  # fmt: skip
    return _ind(a["rate"], 100 * a["rate"], detail and say)


def _ind_meetings(frames, period, window, detail):
    m = governance.meeting_adherence(frames, period, window).set_index("alliance_id")
    say = lambda: _say(  # noqa: E731
        m.index,
        lambda h, p, b: f"{_n(h)} meetings held of {_n(p, 1)} planned ({b} governance bodies)",
        m["held"], m["planned"], m["bodies"],
    )  # fmt: skip
    raw = m["rate"].where(m["planned"] > 0)
    return _ind(raw, 100 * raw, detail and say)


def _ind_actions(frames, period, window, detail):
    a = governance.action_closure(frames, period, window).set_index("alliance_id")
    say = lambda: _say(a.index, lambda c, d, o: f"{c} of {d} actions due closed; {o} overdue",  # noqa: E731
                       a["closed"], a["due"], a["overdue"])  # fmt: skip
    return _ind(a["rate"], 100 * a["rate"], detail and say)


def _ind_resources(frames, period, window, detail):
    r = operations.resource_fulfilment(frames, period)
    f = _side_pivot(r, "fulfilment")
    raw = f.min(axis=1)

    def say():
        fte, bud = _side_pivot(r, "fte_ratio"), _side_pivot(r, "budget_ratio")
        return _say(
            f.index,
            lambda fu, bu, fp, bp: f"us: FTE {fu}, budget {bu} of committed; "
            f"partner: FTE {fp}, budget {bp} of committed",
            _percent(fte["us"]), _percent(bud["us"]), _percent(fte["partner"]),
            _percent(bud["partner"]),
        )  # fmt: skip

    return _ind(raw, 100 * raw, detail and say)


GOVERNANCE = "notebooks/align/05_governance.ipynb"
IMPROVEMENT = "notebooks/succeed/08_continuous_improvement.ipynb"
STRATEGY = "notebooks/imagine/01_strategy.ipynb"
KPIS = "notebooks/imagine/02_goals_and_kpis.ipynb"
SURVEY = "the health survey (alliance-kit survey, or notebooks/assess/10_health_assessment.ipynb)"

INDICATORS: tuple[Indicator, ...] = (
    Indicator("sponsor_level", 1, "sponsor level (weaker side)",
              "board/c-level 100, svp 85, vp 70, director 40, manager 15, staff or none 0",
              _ind_sponsor, "no sponsor recorded on either side",
              "the intake workbook's alliances sheet (sponsors and their levels)"),
    Indicator("executive_attendance", 1, "executives at steering meetings (weaker side)",
              "share of held steering meetings with an executive (VP+) of the side x 100",
              _ind_attendance, "no steering meeting held in the window", GOVERNANCE),
    Indicator("escalations_resolved", 1, "escalations resolved",
              "share of issues escalated in the window resolved by period end x 100",
              _ind_escalations_resolved, "no issue escalated in the window", IMPROVEMENT),
    Indicator("strategy_documented", 2, "strategy documented",
              "documented 100, not 0", _ind_strategy_documented, "no strategy recorded",
              STRATEGY),
    Indicator("strategy_approved", 2, "strategy approved by both",
              "50 per partner that approved it", _ind_strategy_approved,
              "no strategy recorded", STRATEGY),
    Indicator("strategy_communicated", 2, "strategy communicated and acknowledged",
              "per side: acknowledged 50, briefed only 25, not briefed 0",
              _ind_strategy_communicated, "no strategy recorded", STRATEGY),
    Indicator("issue_age", 3, "age of open issues",
              "mean age of open issues: 30 days or less 100, 180 or more 0, linear; "
              "issues logged but none open 100", _ind_issue_age, "no issue logged",
              IMPROVEMENT),
    Indicator("escalation_share", 3, "issues escalated",
              "share of issues raised in the window that were escalated: 0% 100, "
              "50% or more 0, linear", _ind_escalation_share,
              "no issue raised in the window", IMPROVEMENT),
    Indicator("decision_latency", 3, "decision latency",
              "median days to decide (pending: age so far): 15 or less 100, 90 or more 0, "
              "linear", _ind_decision_latency, "no decision logged in the window", GOVERNANCE),
    Indicator("kpi_completeness", 4, "KPI definitions complete (SMART)",
              "mean share of owner, baseline, target, due date, cadence, data source "
              "filled x 100", _ind_kpi_completeness, "no KPI defined", KPIS),
    Indicator("kpi_agreed", 4, "KPIs agreed by both",
              "share of KPIs agreed by both partners x 100", _ind_kpi_agreed,
              "no KPI defined", KPIS),
    Indicator("actuals_on_time", 4, "KPI actuals reported on time",
              "share of expected actuals reported within 30 days of quarter end x 100",
              _ind_actuals, "no KPI actual due in the window",
              "notebooks/succeed/07_kpi_reporting.ipynb"),
    Indicator("meetings_held", 5, "meetings held against planned",
              "held / max(scheduled, cadence) x 100, capped at 100", _ind_meetings,
              "no meetings planned in the window", GOVERNANCE),
    Indicator("action_closure", 5, "actions closed",
              "share of actions due in the window closed by period end x 100",
              _ind_actions, "no action due in the window", GOVERNANCE),
    Indicator("resources_assigned", 6, "resources assigned against committed (weaker side)",
              "mean of FTE and budget assigned/committed (each capped at 1) x 100",
              _ind_resources, "no resources committed",
              "notebooks/succeed/06_operations.ipynb"),
)  # fmt: skip
INDICATOR_BY_NAME = {i.name: i for i in INDICATORS}


def evidence(
    frames: dict[str, pd.DataFrame],
    period: str,
    config: ScoringConfig | None = None,
    *,
    detail: bool = True,
) -> pd.DataFrame:
    """Every evidence indicator for every alliance: alliance_id, crack, indicator,
    label, raw (the measured value), detail (what was counted, in words; None when
    ``detail`` is False), score (0-100, NaN when the records cannot tell), weight."""
    survey_tables = ("answers", "respondents", "assessment_rounds")
    coded, ids = _encode({k: v for k, v in frames.items() if k not in survey_tables})
    return _decode(_evidence(coded, period, config, detail=detail), ids)


def _evidence(
    frames: dict[str, pd.DataFrame],
    period: str,
    config: ScoringConfig | None = None,
    *,
    detail: bool = True,
    cache: dict | None = None,
) -> pd.DataFrame:
    """Every evidence indicator for every alliance: alliance_id, crack, indicator,
    label, raw (the measured value), detail (what was counted, in words; None when
    ``detail`` is False), score (0-100, NaN when the records cannot tell), weight.
    ``cache`` shares period-independent figures between calls on the same frames."""
    return pd.DataFrame(_evidence_columns(frames, period, config or ScoringConfig(), detail, cache))


def _evidence_columns(
    frames: dict[str, pd.DataFrame],
    period: str,
    cfg: ScoringConfig,
    detail: bool,
    cache: dict | None,
) -> dict[str, np.ndarray]:
    """The columns of ``_evidence``'s frame, as arrays."""
    ids = table(frames, "alliances")["id"].to_numpy()
    shared = {**frames, "__cache__": {} if cache is None else cache}
    cols: dict[str, list] = {"raw": [], "detail": [], "score": [], "missing": []}
    for ind in INDICATORS:
        df = ind.compute(shared, period, cfg.window, detail).reindex(ids)
        for c in ("raw", "detail", "score"):
            cols[c].append(df[c].to_numpy(dtype=None if c == "detail" else float))
        cols["score"][-1] = rounded(cols["score"][-1])
        why = f"{ind.missing} (entered in {ind.source})"
        cols["missing"].append(np.where(np.isnan(cols["score"][-1]), why, None))
    n = len(ids)
    return {
        "alliance_id": np.tile(ids, len(INDICATORS)),
        "crack": np.repeat([i.crack for i in INDICATORS], n),
        "indicator": np.repeat(np.array([i.name for i in INDICATORS], dtype=object), n),
        "label": np.repeat(np.array([i.label for i in INDICATORS], dtype=object), n),
        "raw": np.concatenate(cols["raw"]),
        "detail": np.concatenate(cols["detail"]),
        "score": np.concatenate(cols["score"]),
        "missing": np.concatenate(cols["missing"]),
        "weight": np.repeat([cfg.indicator_weights.get(i.name, 1.0) for i in INDICATORS], n),
    }


def _zero(x: np.ndarray) -> np.ndarray:
    """Missing values as 0 (fillna(0) on an array)."""
    return np.where(np.isnan(x), 0.0, x)


def _grid_rows(active: pd.Series, alliance_id: pd.Series, crack: pd.Series) -> np.ndarray:
    """Row of each (alliance, crack) in the grid of active alliances x CRACKS (alliance
    major); -1 outside it."""
    a = pd.Index(active).get_indexer(alliance_id)
    c = pd.Index(CRACKS).get_indexer(crack)
    return np.where((a >= 0) & (c >= 0), a * len(CRACKS) + c, -1)


def _evidence_by_crack(ev: pd.DataFrame, row: np.ndarray, size: int) -> dict[str, np.ndarray]:
    """Weighted mean of the available indicators and their number, per grid row (``row``
    of each indicator row, from _grid_rows)."""
    score = ev["score"].to_numpy(dtype=float)
    known = ~np.isnan(score)
    w = np.where(known, ev["weight"].to_numpy(dtype=float), 0.0)
    inside = row >= 0
    sums = _group_sums({"w": w, "ws": w * np.where(known, score, 0.0)}, row, size)
    n = np.bincount(row[inside], weights=known[inside], minlength=size).astype(np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = sums["ws"].to_numpy() / np.where(sums["w"] > 0, sums["w"], np.nan)
    return {"evidence": np.where(n > 0, mean, np.nan), "indicators": n}


def _active(frames: dict[str, pd.DataFrame], period: str) -> pd.DataFrame:
    a = table(frames, "alliances")
    start, end = pd.Timestamp(periods.start(period)), pd.Timestamp(periods.end(period))
    keep = (a["start_date"] <= end) & (a["end_date"].isna() | (a["end_date"] >= start))
    return a[keep]


def _reading(
    us: pd.Series, partner: pd.Series, cut: float, status: pd.Series | None = None
) -> pd.Series:
    """The four-way perception reading of the two sides' survey means. Given the crack's
    ``status``, a shared view the status denies is not called a strength or weakness:
    both high on a crack that is not green reads ``RATED_HIGH_SCORED_LOWER``, both low on
    a green one ``RATED_LOW_SCORED_HIGHER``."""
    uh, ph = us.to_numpy() >= cut, partner.to_numpy() >= cut
    code = np.where(uh, np.where(ph, 0, 2), np.where(ph, 3, 1))  # READINGS' order
    if status is not None:
        st = status.to_numpy(dtype=object)
        code = np.where((code == 0) & (st != "green"), len(READINGS) + 1, code)
        code = np.where((code == 1) & (st == "green"), len(READINGS) + 2, code)
    code[np.isnan(us.to_numpy()) | np.isnan(partner.to_numpy())] = len(READINGS)
    words = np.array(
        [*READINGS, np.nan, RATED_HIGH_SCORED_LOWER, RATED_LOW_SCORED_HIGHER], dtype=object
    )[code]
    return pd.Series(words, index=us.index, dtype=object)


def _reading_note(cracks: pd.DataFrame, cfg: ScoringConfig) -> list[str | None]:
    """Why a shared view and the status differ, in figures the page prints: the survey
    and the records' evidence blend into a score whose band decides the status."""
    notes: list[str | None] = []
    for r in cracks[["reading", "survey_us", "survey_partner", "survey", "evidence", "score",
                     "status"]].itertuples(index=False):  # fmt: skip
        if r.reading not in (RATED_HIGH_SCORED_LOWER, RATED_LOW_SCORED_HIGHER):
            notes.append(None)
            continue
        side = "or more" if r.reading == RATED_HIGH_SCORED_LOWER else "below"
        evidence = (
            f" and the records' evidence {score_text(r.evidence)}"
            if r.evidence == r.evidence
            else ""
        )
        band = f"green needs {cfg.green:g}" if r.status != "green" else f"green from {cfg.green:g}"
        notes.append(
            f"both sides rate it {cfg.high_cut:g} {side} (us {score_text(r.survey_us)}, partner "
            f"{score_text(r.survey_partner)}), but the survey {score_text(r.survey)}{evidence} "
            f"blend to {score_text(r.score)}: {r.status} ({band})"
        )
    return notes


def _side_means(by_side: pd.DataFrame, row: np.ndarray, size: int) -> dict[str, np.ndarray]:
    """survey_<side> and n_<side> per grid row, from the side aggregates."""
    side = pd.Index(["us", "partner"]).get_indexer(by_side["side"])
    mean, n = by_side["mean"].to_numpy(dtype=float), by_side["respondents"].to_numpy()
    out = {}
    for i, name in enumerate(("us", "partner")):
        pick = (row >= 0) & (side == i)
        out[f"survey_{name}"] = np.full(size, np.nan)
        out[f"survey_{name}"][row[pick]] = mean[pick]
        out[f"n_{name}"] = np.zeros(size, dtype=np.int64)
        out[f"n_{name}"][row[pick]] = n[pick]
    return out


def _crack_scores(
    frames: dict[str, pd.DataFrame],
    period: str,
    by_side: pd.DataFrame,
    ev: pd.DataFrame,
    cfg: ScoringConfig,
) -> pd.DataFrame:
    """alliance x crack: survey (per side and combined), evidence, blend, status, gap.

    Each figure is rounded once when made and built from the rounded figures before it,
    so what a page prints recomputes from what it prints."""
    active = _active(frames, period)["id"]
    size = len(active) * len(CRACKS)
    row = _grid_rows(active, by_side["alliance_id"], by_side["crack"])
    sides = _side_means(by_side, row, size)
    us, partner = rounded(sides["survey_us"]), rounded(sides["survey_partner"])
    sides["survey_us"], sides["survey_partner"] = us, partner
    answered = np.column_stack([~np.isnan(us), ~np.isnan(partner)])
    inside = row >= 0

    def total(values: np.ndarray) -> np.ndarray:
        return np.bincount(row[inside], weights=np.asarray(values, float)[inside], minlength=size)

    pooled = {c: total(by_side[c].to_numpy()) for c in ("answers", "_dk", "_s1", "respondents")}
    withheld = total(by_side["withheld"].notna().to_numpy()) > 0
    pool_ok = pooled["respondents"] >= cfg.min_respondents
    with np.errstate(invalid="ignore", divide="ignore"):
        by_sides = (_zero(us) + _zero(partner)) / answered.sum(axis=1)
        pooled_mean = pooled["_s1"] / pooled["respondents"]
        survey = rounded(np.where(withheld, np.where(pool_ok, pooled_mean, np.nan), by_sides))
        dont_know_rate = pooled["_dk"] / np.where(pooled["answers"] > 0, pooled["answers"], np.nan)
    dont_know_rate = np.where(withheld & ~pool_ok, np.nan, dont_know_rate)
    basis = np.select(
        [withheld & pool_ok, withheld, answered.all(axis=1), answered[:, 0], answered[:, 1]],
        ["both sides' answers pooled", "withheld", "mean of both sides", "us only",
         "partner only"],
        None,
    ).astype(object)  # fmt: skip
    basis[basis == "None"] = None
    side_n = np.column_stack([sides["n_us"], sides["n_partner"]])
    low = ((side_n < cfg.low_confidence_n) & answered).any(axis=1) | (answered.sum(axis=1) == 1)
    ev_row = _grid_rows(active, ev["alliance_id"], ev["crack"])
    evidence = rounded(_evidence_by_crack(ev, ev_row, size)["evidence"])
    ws = cfg.survey_weight * ~np.isnan(survey)
    we = cfg.evidence_weight * ~np.isnan(evidence)
    denom = np.where(ws + we > 0, ws + we, np.nan)
    survey_weight, evidence_weight = ws / denom, we / denom
    score = _zero(survey_weight) * _zero(survey) + _zero(evidence_weight) * _zero(evidence)
    score = rounded(np.where(np.isnan(denom), np.nan, score))
    gap = rounded(us - partner)
    crack = np.tile(np.array(CRACKS), len(active))
    out = pd.DataFrame(
        {
            "alliance_id": pd.Series(np.repeat(active.to_numpy(), len(CRACKS)), dtype=active.dtype),
            "crack": crack,
            **sides,
            "survey": survey,
            "survey_basis": basis,
            "survey_withheld": np.where(
                withheld,
                np.where(
                    pool_ok,
                    f"a side has fewer than {cfg.min_respondents} respondents: side means and "
                    "the gap are withheld; the survey score pools both sides' answers",
                    f"fewer than {cfg.min_respondents} respondents in all: the survey is withheld",
                ),
                None,
            ),
            "dont_know_rate": dont_know_rate,
            "dont_know_warning": dont_know_rate >= cfg.dont_know_warn,
            "low_confidence": low,
            "evidence": evidence,
            "survey_weight": survey_weight,
            "evidence_weight": evidence_weight,
            "score": score,
            "status": _status(score, cfg),
            "gap": gap,
            "gap_flag": np.abs(gap) >= cfg.gap_flag,
        }
    )
    out["reading"] = _reading(out["survey_us"], out["survey_partner"], cfg.high_cut, out["status"])
    out["reading_note"] = _reading_note(out, cfg)
    unscored = np.array([None, *(_crack_missing(c) for c in CRACKS)], dtype=object)
    out["missing"] = np.where(np.isnan(score), unscored[crack], None)
    return out


def _crack_missing(crack: int) -> str:
    """Why a crack has no score, and what supplies one."""
    sources = dict.fromkeys(i.source for i in INDICATORS if i.crack == crack)
    records = "; ".join(dict.fromkeys(i.missing for i in INDICATORS if i.crack == crack))
    return (
        f"no survey answers and no records ({records}): run {SURVEY}, or enter them in "
        + ", ".join(sources)
    )


def _group_sums(values: dict[str, np.ndarray], group: np.ndarray, n: int) -> pd.DataFrame:
    """Per group 0..n-1 (-1: none), the sum of each column: pandas' compensated group
    sums, so results match a groupby to the last digit, on codes without hashing."""
    by = pd.Categorical.from_codes(group, categories=pd.RangeIndex(n))
    return pd.DataFrame(values).groupby(by, observed=False).sum()


def _alliance_index(cracks: pd.DataFrame, cfg: ScoringConfig) -> pd.DataFrame:
    """Per alliance: the health index (weighted mean of the crack scores, rounded), its
    status with the knock-out, the open and red cracks, and ``not assessed`` with what is
    missing when too few cracks are scored or no survey counts (``min_scored_cracks``,
    ``require_survey``)."""
    w = cracks["crack"].map(cfg.crack_weights).astype(float).where(cracks["score"].notna(), 0)
    row, ids = pd.factorize(cracks["alliance_id"])  # first-seen order, as groupby(sort=False)
    g = _group_sums(
        {"w": w.to_numpy(), "ws": (w * cracks["score"].fillna(0)).to_numpy()}, row, len(ids)
    )
    g.index = pd.Index(ids, name="alliance_id")
    st = cracks["status"].to_numpy(dtype=object)
    red = (st == "red") & (row >= 0)
    g["red"] = np.bincount(row[red], minlength=len(ids))
    inside = row >= 0
    scored, surveyed = (
        np.bincount(row[inside], weights=cracks[c].notna()[inside], minlength=len(ids))
        for c in ("score", "survey")
    )
    enough_survey = (surveyed > 0) | (not cfg.require_survey)
    assessed = (scored >= cfg.min_scored_cracks) & enough_survey
    index = rounded(g["ws"] / g["w"].where(g["w"] > 0))
    out = pd.DataFrame({"health_index": index.where(assessed)})
    out["index_status"] = status(out["health_index"], cfg)
    out["knocked_out"] = cfg.knock_out & (g["red"] > 0) & (out["index_status"] == "green")
    out["status"] = out["index_status"].where(~out["knocked_out"], "amber")
    out["scored_cracks"] = scored.astype(int)
    out["missing"] = None
    if not assessed.all():
        missing = _alliance_missing(cracks, row, np.flatnonzero(~assessed), scored, surveyed, cfg)
        out.iloc[np.flatnonzero(~assessed), out.columns.get_loc("missing")] = missing
    column, crack_values = pd.factorize(cracks["crack"], sort=True)
    names = [str(c) for c in crack_values]
    # each set of cracks as a bit mask, spelled out once per possible set
    spelled = np.array(
        [", ".join(n for i, n in enumerate(names) if m >> i & 1) for m in range(2 ** len(names))],
        dtype=object,
    )
    bits = (1 << np.arange(len(names)))[column]
    for col, which in (("open_cracks", ("amber", "red")), ("red_cracks", ("red",))):
        hit = np.logical_or.reduce([st == w for w in which]) & (row >= 0)
        mask = np.bincount(row[hit], weights=bits[hit], minlength=len(out)).astype(np.int64)
        out[col] = spelled[mask] if len(out) else []
    return out


def _alliance_missing(
    cracks: pd.DataFrame,
    row: np.ndarray,
    which: np.ndarray,
    scored: np.ndarray,
    surveyed: np.ndarray,
    cfg: ScoringConfig,
) -> list[str]:
    """For each not-assessed alliance (``which``: rows of the index), what is missing
    and which workbook or survey supplies it."""
    names = {n: c.short for n, c in questionnaire.cracks().items()}
    size = len(scored)
    inside = row >= 0
    withheld_n, answered_n = (
        np.bincount(row[inside], weights=cracks[c].notna().to_numpy()[inside], minlength=size)
        for c in ("survey_withheld", "survey_basis")
    )
    # the unscored cracks of the alliances asked about, gathered in one pass
    pick = np.isin(row, which) & cracks["score"].isna().to_numpy()
    unscored: dict[int, list[int]] = {}
    for a, c in zip(row[pick].tolist(), cracks["crack"].to_numpy()[pick].tolist(), strict=True):
        unscored.setdefault(a, []).append(c)
    out = []
    for a in which.tolist():
        parts = []
        if cfg.require_survey and surveyed[a] == 0:
            if withheld_n[a] > 0:
                parts.append(
                    f"survey answers withheld: fewer than {cfg.min_respondents} respondents "
                    f"in all; invite more respondents to {SURVEY}"
                )
            elif answered_n[a] > 0:
                parts.append(f"no survey score; complete {SURVEY}")
            else:
                parts.append(f"no survey answers this quarter: run {SURVEY}")
        if scored[a] < cfg.min_scored_cracks:
            gaps = [f"crack {c} {names[c]}" for c in unscored.get(a, [])]
            parts.append(
                f"{int(scored[a])} of {len(CRACKS)} cracks scored, {cfg.min_scored_cracks} "
                f"needed; no data for {', '.join(gaps)} (a survey or their records: see "
                "each crack's missing)"
            )
        out.append("; ".join(parts))
    return out


# --- portfolio ------------------------------------------------------------------------


def _subset(frames: dict[str, pd.DataFrame], ids) -> dict[str, pd.DataFrame]:
    """The frames restricted to some alliances (children follow their parents)."""
    kept: dict[str, pd.Series] = {}
    out: dict[str, pd.DataFrame] = {}
    ids = pd.Index(ids)
    for rt in RECORD_TYPES:
        df = frames.get(rt.table)
        if df is None:
            continue
        t = TABLES[rt.table]
        if rt.table == "alliances":
            df = df[df["id"].isin(ids)]
        elif "alliance_id" in t.c:
            df = df[df["alliance_id"].isin(ids)]
        else:
            for col in t.c:
                fks = [fk.column.table.name for fk in col.foreign_keys]
                if fks and fks[0] in kept:
                    df = df[df[col.name].isin(kept[fks[0]])]
                    break
        out[rt.table] = df
        pk = [c.name for c in t.primary_key.columns]
        if pk == ["id"]:
            kept[rt.table] = df["id"]
    return out


#: Tables coded in the order of their ids rather than of their rows: a side's survey
#: mean adds its respondents' means in that order, so the same answers give the same
#: figures to the last digit whatever order the rows come in.
ID_ORDER = ("respondents",)


def _row_codes(ids: pd.Series, by_id: bool) -> np.ndarray:
    """Each row's integer code: its position, or with ``by_id`` its rank among the ids."""
    if not by_id:
        return np.arange(len(ids))
    rank = np.empty(len(ids), dtype=np.int64)
    rank[np.argsort(ids.to_numpy(), kind="stable")] = np.arange(len(ids))
    return rank


def _lookup(ids: pd.Index, keys: pd.Series) -> np.ndarray:
    """Position of each key among ``ids`` (a primary key), -1 when absent or empty.

    ``Index.join`` (public pandas): one merge pass when both sides are sorted, as the
    store reads tables in primary key order and child rows (answers by respondent) mostly
    follow; hashing otherwise, and whenever a key is missing (an optional reference left
    empty does not compare with text, so it cannot take the merge pass)."""
    fk = keys.to_numpy()
    if not len(fk) or not len(ids) or pd.isna(fk[0]) and pd.isna(fk).all():
        return np.full(len(fk), -1, dtype=np.intp)
    left = pd.Index(fk, dtype=object) if fk.dtype == object else pd.Index(fk)
    _, lidx, ridx = left.join(ids, how="left", return_indexers=True)
    found = np.arange(len(fk), dtype=np.intp) if ridx is None else np.asarray(ridx, np.intp)
    if lidx is None:  # the joined rows are the keys in their own order
        return found
    out = np.full(len(fk), -1, dtype=np.intp)
    out[np.asarray(lidx)] = found
    return out


def _encode(frames: dict[str, pd.DataFrame]) -> tuple[dict[str, pd.DataFrame], pd.Index]:
    """The frames with text ids replaced by integer codes: positions in their table
    (ranks for ID_ORDER tables), foreign keys by the code of the row they reference,
    -1 when dangling or empty.

    Grouping and joining on integers skips re-hashing the same id strings in every
    groupby and merge; returns the alliance ids to decode results with.
    """
    keys: dict[str, pd.Index] = {}
    codes: dict[str, np.ndarray] = {}
    for name, t in TABLES.items():
        df = frames.get(name)
        if df is not None and [c.name for c in t.primary_key.columns] == ["id"]:
            keys[name] = pd.Index(df["id"])
            codes[name] = _row_codes(df["id"], name in ID_ORDER)
    out = dict(frames)
    for name, t in TABLES.items():
        df = frames.get(name)
        if df is None:
            continue
        new: dict[str, np.ndarray] = {}
        if name in keys:
            new["id"] = codes[name]
        for col in t.c:
            for fk in col.foreign_keys:
                target = fk.column.table.name
                if target in keys:
                    row = _lookup(keys[target], df[col.name])
                    new[col.name] = np.append(codes[target], -1)[row]
        if new:
            out[name] = df.assign(**new)
    return out, keys.get("alliances", pd.Index([]))


def _decode(df: pd.DataFrame, ids: pd.Index, column: str = "alliance_id") -> pd.DataFrame:
    return df.assign(**{column: ids.take(df[column].to_numpy().astype(np.int64))})


def _decode_index(df: pd.DataFrame, ids: pd.Index) -> pd.DataFrame:
    """The frame, its index of coded alliance ids turned back into ids (in place)."""
    df.index = pd.Index(ids.take(df.index.to_numpy().astype(np.int64)), name="alliance_id")
    return df


def _with_previous(cracks: pd.DataFrame, prev: pd.DataFrame) -> pd.DataFrame:
    """The crack scores with the previous period's score, status and gap, and the
    change (``prev`` is _crack_scores' grid: alliance major, CRACKS in order).

    A change is only read between two scores made of the same parts: a score that
    gained or lost its survey part moved because data arrived, not because the crack
    did, so its change is null and no alert compares it."""
    alliances = prev["alliance_id"].iloc[:: len(CRACKS)]
    row = _grid_rows(alliances, cracks["alliance_id"], cracks["crack"])
    for col in ("score", "status", "gap", "survey"):
        cracks[f"prev_{col}"] = prev[col].reindex(row).to_numpy()
    same = cracks["survey"].notna() == cracks["prev_survey"].notna()
    cracks["change"] = rounded(cracks["score"] - cracks["prev_score"]).where(same)
    cracks["prev_status"] = cracks["prev_status"].where(cracks["prev_score"].notna() & same, None)
    return cracks.drop(columns="prev_survey")


def _period_scores(
    frames: dict[str, pd.DataFrame],
    period: str,
    by_side: pd.DataFrame,
    cfg: ScoringConfig,
    detail: bool = True,
    cache: dict | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Crack scores, alliance index and evidence of one period. Without ``detail`` the
    evidence holds only what the scores need (callers then use the scores alone)."""
    cols = _evidence_columns(frames, evidence_period(period, cfg), cfg, detail, cache)
    if not detail:
        cols = {k: cols[k] for k in ("alliance_id", "crack", "score", "weight")}
    ev = pd.DataFrame(cols)
    cracks = _crack_scores(frames, period, by_side, ev, cfg)
    return cracks, _alliance_index(cracks, cfg), ev


def evidence_period(period: str, cfg: ScoringConfig) -> str:
    """The quarter whose records are the evidence for ``period``: the period itself, or
    the quarter before it while it is in progress on ``cfg.as_of``."""
    if cfg.as_of is not None and periods.in_progress(period, cfg.as_of):
        return periods.previous(period)
    return period


def _risk_columns(index: pd.Series, model: risk.RiskModel, cfg: ScoringConfig) -> pd.DataFrame:
    """From the health index: the lifetime failure probability, the 12-month probability
    (``failure_probability``, the one revenue at risk per year uses) and its 90% range;
    all null for an alliance not assessed."""
    h = index.to_numpy(dtype=float)
    life = model.probability(h)
    low, high = model.interval(h)
    years = cfg.lifetime_years
    return pd.DataFrame(
        {
            "lifetime_failure_probability": life,
            "failure_probability": risk.annual(life, years),
            "failure_probability_low": risk.annual(low, years),
            "failure_probability_high": risk.annual(high, years),
        },
        index=index.index,
    )


def _risk_model(frames: dict[str, pd.DataFrame], cfg: ScoringConfig) -> risk.RiskModel:
    """The configured model, else one calibrated on the outcomes of ended alliances
    (each with its health index in the last assessed quarter before it ended)."""
    if cfg.risk_model is not None:
        return cfg.risk_model
    outcomes = table(frames, "outcomes")
    if outcomes.empty:
        return risk.DEFAULT
    rounds = table(frames, "assessment_rounds")
    ended = outcomes.assign(end_period=periods.of_dates(outcomes["ended_on"]))
    r = rounds.merge(ended[["alliance_id", "end_period"]], on="alliance_id")
    r = r[r["period"] <= r["end_period"]]
    last = r.groupby("alliance_id")["period"].max()
    if last.empty:
        return risk.DEFAULT
    health = pd.Series(np.nan, index=last.index)
    sub = _subset(frames, last.index)
    for period, ids in last.groupby(last).groups.items():
        part = _subset(sub, ids)
        by_side, _ = _survey(part, [period], cfg)
        _, idx, _ = _period_scores(part, period, by_side, cfg, detail=False)
        health.loc[ids] = idx["health_index"].reindex(ids).to_numpy()
    y = ended.set_index("alliance_id")["outcome"].reindex(health.index)
    return risk.calibrate(
        health.to_numpy(),
        y.to_numpy(),
        min_outcomes=cfg.min_outcomes,
        failure_outcomes=cfg.failure_outcomes,
    )


def _alerts(cracks: pd.DataFrame, response: pd.DataFrame, cfg: ScoringConfig) -> pd.DataFrame:
    """Early-warning rows (alliance_id, crack, kind, severity, message); messages are
    only written for the rows that trip a rule."""
    labels = {n: f"crack {n} {c.short}" for n, c in questionnaire.cracks().items()}
    c = cracks
    alliance, crack = c["alliance_id"].to_numpy(), c["crack"].to_numpy()
    rows: list[pd.DataFrame] = []

    def add(mask: pd.Series, kind: str, severity, say: Callable[..., str], *cols) -> None:
        """Alerts where ``mask``; ``cols`` are (column, format or None): numbers are
        formatted once per distinct value before ``say`` writes the sentence."""
        hit = np.flatnonzero(mask.to_numpy(dtype=bool, na_value=False))
        if not len(hit):
            return
        label = [labels[n] for n in crack[hit].tolist()]
        values = [_texts(v.to_numpy()[hit], f) if f else v.iloc[hit].tolist() for v, f in cols]
        msg = list(map(say, label, *values))
        sev = severity if isinstance(severity, str) else severity.to_numpy()[hit]
        rows.append(pd.DataFrame({"alliance_id": alliance[hit], "crack": crack[hit],
                                  "kind": kind, "severity": sev, "message": msg}))  # fmt: skip

    one = _n1
    score, prev = (c["score"], one), (c["prev_score"], one)
    change = c["change"]
    add(change <= -cfg.drop_alert, "drop", "medium",
        lambda lbl, d, s, p: f"{lbl} fell {d} points to {s} (was {p})",
        (-change, one), score, prev)  # fmt: skip
    add((c["status"] == "red") & c["prev_status"].isin(["green", "amber"]), "newly red", "high",
        lambda lbl, s, ps, p: f"{lbl} turned red at {s} (was {ps} at {p})",
        score, (c["prev_status"], None), prev)  # fmt: skip
    add(rounded(c["gap"].abs() - c["prev_gap"].abs()) >= cfg.gap_widening, "gap widening",
        "medium",
        lambda lbl, g, pg: f"{lbl}: perception gap widened from {pg} to {g} "
        "points (us minus partner)",
        (c["gap"], one), (c["prev_gap"], one))  # fmt: skip
    strict = c["crack"].isin(cfg.dont_know_cracks)
    add(c["dont_know_warning"], "dont know",
        pd.Series(np.where(strict, "high", "medium"), index=c.index),
        lambda lbl, r, n: f"{lbl}: {r} of answers were don't know"
        + (" (people do not know it: that is the crack itself)"
           if n in cfg.dont_know_cracks else ""),
        (c["dont_know_rate"], _p), (c["crack"], None))  # fmt: skip
    r = response
    fall = (r["prev_rate"] - r["rate"]) >= cfg.response_drop - 1e-12
    if fall.any():
        hit = r[fall]
        rows.append(pd.DataFrame({
            "alliance_id": hit["alliance_id"].to_numpy(), "crack": pd.NA,
            "kind": "response falling", "severity": "low",
            "message": [f"response rate fell from {_p(p)} to {_p(n)}"
                        for p, n in zip(hit["prev_rate"], hit["rate"], strict=True)],
        }))  # fmt: skip
    cols = ["alliance_id", "crack", "kind", "severity", "message"]
    if not rows:
        return pd.DataFrame(columns=cols)
    out = pd.concat(rows, ignore_index=True)
    out["crack"] = out["crack"].astype("Int64")
    order = {"high": 0, "medium": 1, "low": 2}
    return (
        out.assign(_o=out["severity"].map(order))
        .sort_values(["_o", "alliance_id", "crack"], kind="stable")
        .drop(columns="_o")
        .reset_index(drop=True)[cols]
    )


def _response(groups: pd.DataFrame, period: str) -> pd.DataFrame:
    g = groups[groups["period"] == period].groupby("alliance_id")[["invited", "responded"]].sum()
    g["rate"] = g["responded"] / g["invited"].where(g["invited"] > 0)
    return g


def _remedy_text(crack: pd.Series) -> pd.Series:
    cr = questionnaire.cracks()
    return crack.map({n: ", ".join(c.remedies) for n, c in cr.items()})


def score_portfolio(
    frames: dict[str, pd.DataFrame], period: str, config: ScoringConfig | None = None
) -> PortfolioScores:
    """Score every alliance running in ``period``: cracks, alliances, alerts, sides.

    See the module docstring for the rules; ``config`` changes thresholds and weights.
    """
    cfg = config or ScoringConfig()
    periods.parse(period)
    prev = periods.previous(period)
    coded, ids = _encode(frames)
    by_side_all, groups = _survey(coded, [period, prev], cfg)
    is_period = measures.equals(by_side_all["period"], period)
    by_side = by_side_all[is_period].drop(columns="period")
    by_prev = by_side_all[measures.equals(by_side_all["period"], prev)].drop(columns="period")
    cache: dict = {}
    cracks, index, ev = _period_scores(coded, period, by_side, cfg, cache=cache)
    prev_cracks, prev_index, _ = _period_scores(coded, prev, by_prev, cfg, False, cache)
    cracks = _decode(_with_previous(cracks, prev_cracks), ids)
    running = _active(coded, period)["id"]
    by_side = _public(_decode(by_side[by_side["alliance_id"].isin(running)], ids))
    ev = _decode(ev[ev["alliance_id"].isin(running)], ids)
    for idx in (index, prev_index):
        _decode_index(idx, ids)
    names = {n: c.name for n, c in questionnaire.cracks().items()}
    cracks.insert(2, "crack_name", cracks["crack"].map(names))
    opening = cracks["status"].isin(["amber", "red"])
    cracks["remedies"] = _remedy_text(cracks["crack"]).where(opening, "")

    resp = _decode_index(_response(groups, period), ids)
    presp = _decode_index(_response(groups, prev), ids)
    response = pd.DataFrame(
        {"rate": resp["rate"], "prev_rate": presp["rate"].reindex(resp.index)}
    ).reset_index()
    alerts = _alerts(cracks, response, cfg)

    model = _risk_model(coded, cfg)
    a = _active(frames, period).set_index("id")
    alliances = pd.DataFrame(
        {
            "alliance_id": a.index,
            "name": a["name"].to_numpy(),
            "partner": a["partner"].to_numpy(),
            "importance": a["importance"].to_numpy(),
        }
    )
    alliances = alliances.merge(index, left_on="alliance_id", right_index=True, how="left")
    alliances["prev_health_index"] = (
        alliances["alliance_id"].map(prev_index["health_index"]).astype(float)
    )
    alliances["change"] = rounded(alliances["health_index"] - alliances["prev_health_index"])
    alliances["respondents"] = alliances["alliance_id"].map(resp["invited"]).fillna(0).astype(int)
    alliances["response_rate"] = alliances["alliance_id"].map(resp["rate"]).astype(float)
    alert_rows = pd.Index(alliances["alliance_id"]).get_indexer(alerts["alliance_id"])
    alliances["alerts"] = np.bincount(alert_rows[alert_rows >= 0], minlength=len(alliances))
    alliances = pd.concat([alliances, _risk_columns(alliances["health_index"], model, cfg)], axis=1)
    alliances["expected_revenue"] = a["expected_revenue"].to_numpy()
    for end in ("", "_low", "_high"):
        alliances[f"revenue_at_risk{end}"] = risk.revenue_at_risk(
            alliances["expected_revenue"], alliances[f"failure_probability{end}"]
        )
    alliances["currency"] = a["currency"].to_numpy()
    portfolio = risk.portfolio_at_risk(alliances, cfg.fx, cfg.base_currency)
    return PortfolioScores(
        period=period,
        cracks=cracks,
        alliances=alliances.reset_index(drop=True),
        alerts=alerts,
        by_side=by_side.reset_index(drop=True),
        evidence=ev.reset_index(drop=True),
        portfolio=portfolio,
        model=model,
        config=cfg,
    )


# --- remedies, explanation, history ---------------------------------------------------


def remedies(scores: PortfolioScores, alliance_id: str | None = None) -> pd.DataFrame:
    """Each opening (amber or red) crack with the foundation elements that repair it,
    their principle (Imagine / Align / Succeed) and concrete next actions; worst first."""
    q = questionnaire.load()
    c = scores.cracks
    c = c[c["status"].isin(["amber", "red"])]
    if alliance_id is not None:
        c = c[c["alliance_id"] == alliance_id]
    c = c.sort_values(["alliance_id", "score"])
    rows = []
    for r in c.itertuples(index=False):
        crack = q.cracks[r.crack]
        rows.append(
            {
                "alliance_id": r.alliance_id,
                "crack": r.crack,
                "crack_name": crack.name,
                "status": r.status,
                "score": r.score,
                "elements": ", ".join(crack.remedies),
                "principles": ", ".join(dict.fromkeys(q.elements[e] for e in crack.remedies)),
                "actions": list(crack.actions),
            }
        )
    cols = ["alliance_id", "crack", "crack_name", "status", "score", "elements", "principles",
            "actions"]  # fmt: skip
    return pd.DataFrame(rows, columns=cols)


@dataclass
class Explanation:
    """What made one crack's score for one alliance in one period, with every step
    printed so that it can be recomputed by hand from the figures shown."""

    alliance_id: str
    period: str
    crack: int
    crack_name: str
    statements: pd.DataFrame  # statement_id, text, side, mean, respondents, dont_know_rate
    sides: pd.DataFrame  # side, mean, respondents, ci_low, ci_high, withheld, ...
    indicators: pd.DataFrame  # indicator, label, raw, detail, score, weight, mapping, missing
    survey: float
    evidence: float
    survey_weight: float
    evidence_weight: float
    score: float
    status: str
    gap: float
    reading: str | None
    remedies: list[str]
    actions: list[str]
    survey_basis: str | None = None
    survey_withheld: str | None = None
    reading_note: str | None = None  # why a shared view and the status differ
    missing: str | None = None
    config: ScoringConfig = field(default_factory=ScoringConfig)
    crack_scores: pd.DataFrame | None = None  # crack, score: the alliance's six
    alliance: dict | None = None  # health_index, status, missing, risk figures
    model: risk.RiskModel | None = None

    def to_text(self) -> str:
        f = score_text
        cfg = self.config
        lines = [
            f"{self.alliance_id} {self.period}: crack {self.crack} {self.crack_name}: "
            f"score {f(self.score)} ({self.status})",
            "  every figure is rounded to one decimal when made (halves away from zero) and "
            "the next is computed from it; thresholds compare the rounded figure: "
            f"green >= {cfg.green:g}, amber >= {cfg.amber:g}, red below",
        ]
        if self.missing:
            lines.append(f"  not scored: {self.missing}")
        lines.append(self._blend_line())
        lines.append(f"  perception gap (us - partner) {f(self.gap)}: {self.reading or 'n/a'}"
                     + (f"  (flagged at |gap| >= {cfg.gap_flag:g})" if self.gap == self.gap
                        else ""))  # fmt: skip
        if self.reading_note:
            lines.append(f"    {self.reading_note}")
        lines.append(f"  survey by side (withheld below {cfg.min_respondents} respondents):")
        for r in self.sides.itertuples(index=False):
            if _words(r.withheld):
                lines.append(f"    {r.side:8} withheld: {r.withheld}")
                continue
            lines.append(
                f"    {r.side:8} mean {f(r.mean)}  n={r.respondents}  "
                f"{cfg.confidence:.0%} CI [{f(r.ci_low)}, {f(r.ci_high)}]  "
                f"don't know {_p(r.dont_know_rate)}"
            )
        lines.append(f"  survey: {self._survey_line()}")
        lines.append("  statements (mean 0-100 per side, n, don't know):")
        for sid, grp in self.statements.groupby("statement_id", sort=True):
            lines.append(f"    {sid} {grp['text'].iloc[0]}")
            for r in grp.itertuples(index=False):
                if r.suppressed:
                    lines.append(
                        f"      {r.side:8} withheld (fewer than {cfg.min_respondents} "
                        "respondents on a side)"
                    )
                else:
                    lines.append(
                        f"      {r.side:8} {f(r.mean)}  n={r.respondents}  "
                        f"don't know {_p(r.dont_know_rate)}"
                    )
        lines.append("  evidence from the records (raw -> score by the rule in brackets):")
        for r in self.indicators.itertuples(index=False):
            if r.score != r.score:
                lines.append(f"    {r.label}: null: {r.missing}")
            else:
                lines.append(f"    {r.label}: {r.detail} -> {f(r.score)}  [{r.mapping}]")
        lines.append(f"  evidence: {self._evidence_line()}")
        lines += self._alliance_lines()
        if self.remedies:
            lines.append(f"  repaired by: {', '.join(self.remedies)}")
            lines += [f"    - {a}" for a in self.actions]
        return "\n".join(lines)

    def _blend_line(self) -> str:
        f = score_text
        if self.score != self.score:
            return "  score: no survey score and no evidence score"
        return (
            f"  score = {self.survey_weight:.2f} x survey {f(self.survey)} + "
            f"{self.evidence_weight:.2f} x evidence {f(self.evidence)} = {f(self.score)}"
            " (a missing part's weight goes to the other)"
        )

    def _survey_line(self) -> str:
        f = score_text
        sides = {r.side: r for r in self.sides.itertuples(index=False)}
        if self.survey_basis == "mean of both sides":
            return (
                f"(us {f(sides['us'].mean)} + partner {f(sides['partner'].mean)}) / 2 = "
                f"{f(self.survey)} (each side counts equally, whatever its headcount)"
            )
        if self.survey_basis in ("us only", "partner only"):
            return f"{self.survey_basis}: {f(self.survey)}"
        if self.survey_basis == "both sides' answers pooled":
            n = int(self.sides["respondents"].sum())
            return (
                f"{self.survey_withheld}: mean of all {n} respondents' crack means = "
                f"{f(self.survey)}"
            )
        if self.survey_withheld:
            return f"n/a: {self.survey_withheld}"
        return "n/a: no survey answers this quarter"

    def _evidence_line(self) -> str:
        ind = self.indicators[self.indicators["score"].notna()]
        if ind.empty:
            return "n/a: no indicator has records"
        terms = " + ".join(f"{score_text(s)} x {w:g}" for s, w in zip(ind["score"], ind["weight"],
                                                                      strict=True))  # fmt: skip
        return f"({terms}) / {ind['weight'].sum():g} = {score_text(self.evidence)}"

    def _alliance_lines(self) -> list[str]:
        a, f = self.alliance, score_text
        if a is None or self.crack_scores is None:
            return []
        cs = self.crack_scores.dropna(subset=["score"])
        terms = " + ".join(f(s) for s in cs["score"])
        lines = [
            f"  health index = mean of the scored cracks ({terms}) / {len(cs)} = "
            f"{f(a['health_index'])} ({a['status']})"
            if a["health_index"] == a["health_index"]
            else f"  health index: not assessed: {_words(a['missing']) or 'n/a'}"
        ]
        if a["health_index"] != a["health_index"] or self.model is None:
            lines.append("  failure probability and revenue at risk: not computed (not assessed)")
            return lines
        m, life = self.model, a["lifetime_failure_probability"]
        years = self.config.lifetime_years
        lines += [
            f"  risk model: {m.describe()}",
            f"  failure over the alliance's life = 1/(1+exp(-({m.intercept:.3f} "
            f"{m.slope:+.4f} x {f(a['health_index'])}))) = {life:.1%}",
            f"  failure {risk.HORIZON} = 1 - (1 - {life:.3f})^(1/{years:g}) = "
            f"{a['failure_probability']:.1%} (90% range {a['failure_probability_low']:.1%}"
            f"-{a['failure_probability_high']:.1%})",
            f"  revenue at risk per year = expected annual revenue {a['expected_revenue']:,.0f} "
            f"{a['currency']} x {a['failure_probability']:.1%} = {a['revenue_at_risk']:,.0f} "
            f"{a['currency']} (range {a['revenue_at_risk_low']:,.0f}-"
            f"{a['revenue_at_risk_high']:,.0f})",
        ]
        return lines

    def __str__(self) -> str:
        return self.to_text()


def _statement_table(
    frames: dict[str, pd.DataFrame],
    period: str,
    crack: int,
    cfg: ScoringConfig,
    withheld_sides: set[str] | None = None,
) -> pd.DataFrame:
    """Per statement of the crack and side: mean, respondents, don't-know rate; withheld
    (``suppressed``) below ``min_respondents`` or when the side's crack figures are."""
    rounds = table(frames, "assessment_rounds")
    rounds = rounds[rounds["period"] == period]
    resp = table(frames, "respondents").merge(
        rounds[["id", "questionnaire_version"]].rename(columns={"id": "round_id"}), on="round_id"
    )
    ans = table(frames, "answers").merge(
        resp[["id", "side", "questionnaire_version"]],
        left_on="respondent_id",
        right_on="id",
    )
    texts = {}
    for v in ans["questionnaire_version"].unique():
        for s in questionnaire.load(v).by_crack(crack):
            texts.setdefault(s.id, s.text)
    ans = ans[ans["statement_id"].isin(texts)]
    ans = ans.assign(points=to_points(ans["score"].astype(float)))
    g = ans.groupby(["statement_id", "side"])
    out = pd.DataFrame(
        {
            "mean": g["points"].mean(),
            "respondents": g["points"].count(),
            "dont_know_rate": g["points"].apply(lambda s: s.isna().mean()),
            "_people": g["points"].size(),
        }
    ).reset_index()
    out["suppressed"] = (out["respondents"] < cfg.min_respondents) | out["side"].isin(
        withheld_sides or set()
    )
    out["mean"] = rounded(out["mean"]).where(~out["suppressed"])
    out["dont_know_rate"] = out["dont_know_rate"].where(~out["suppressed"])
    out.insert(1, "text", out["statement_id"].map(texts))
    return out.drop(columns="_people")


def _words(value: object) -> str | None:
    """A text cell, None when empty (pandas may hold an empty text cell as NaN)."""
    return value if isinstance(value, str) and value else None


def explain(
    frames: dict[str, pd.DataFrame],
    alliance_id: str,
    crack: int,
    period: str,
    config: ScoringConfig | None = None,
) -> Explanation:
    """The statements (aggregated answers per side), evidence indicators with their raw
    values and mapping, the weights, the resulting score of one alliance's crack in a
    period, and the chain health index -> failure probability -> revenue at risk.
    Side and statement figures from fewer than ``min_respondents`` are withheld."""
    cfg = config or ScoringConfig()
    if crack not in CRACKS:
        raise ValueError(f"crack must be 1..6, got {crack}")
    if alliance_id not in set(table(frames, "alliances")["id"]):
        raise ValueError(f"no alliance {alliance_id!r}")
    sub = _subset(frames, [alliance_id])
    by_side, _ = _survey(sub, [period], cfg)
    by_side = by_side.drop(columns="period")
    cracks, index, ev = _period_scores(sub, period, by_side, cfg)
    row = cracks[(cracks["alliance_id"] == alliance_id) & (cracks["crack"] == crack)]
    if row.empty:
        raise ValueError(f"alliance {alliance_id} was not running in {period}")
    r = row.iloc[0]
    ind = ev[ev["crack"] == crack].drop(columns=["alliance_id", "crack"]).reset_index(drop=True)
    ind["mapping"] = ind["indicator"].map({i.name: i.mapping for i in INDICATORS})
    sides = _public(by_side[by_side["crack"] == crack].drop(columns="crack")).reset_index(drop=True)
    withheld_sides = set(sides.loc[sides["withheld"].notna(), "side"])
    c = questionnaire.cracks()[crack]
    opening = r["status"] in ("amber", "red")
    coded, _ = _encode(frames)
    model = _risk_model(coded, cfg)
    a = _active(sub, period).iloc[0]
    chain = dict(index.iloc[0])
    chain |= dict(_risk_columns(index["health_index"], model, cfg).iloc[0])
    chain["expected_revenue"], chain["currency"] = float(a["expected_revenue"]), a["currency"]
    for end in ("", "_low", "_high"):
        chain[f"revenue_at_risk{end}"] = (
            chain["expected_revenue"] * chain[f"failure_probability{end}"]
        )
    return Explanation(
        alliance_id=alliance_id,
        period=period,
        crack=crack,
        crack_name=c.name,
        statements=_statement_table(sub, period, crack, cfg, withheld_sides),
        sides=sides,
        indicators=ind,
        survey=float(r["survey"]),
        evidence=float(r["evidence"]),
        survey_weight=float(np.nan_to_num(r["survey_weight"])),
        evidence_weight=float(np.nan_to_num(r["evidence_weight"])),
        score=float(r["score"]),
        status=r["status"],
        gap=float(r["gap"]),
        reading=r["reading"] if isinstance(r["reading"], str) else None,
        reading_note=_words(r.get("reading_note")),
        remedies=list(c.remedies) if opening else [],
        actions=list(c.actions) if opening else [],
        survey_basis=_words(r["survey_basis"]),
        survey_withheld=_words(r["survey_withheld"]),
        missing=_words(r["missing"]),
        config=cfg,
        crack_scores=cracks[["crack", "score"]].reset_index(drop=True),
        alliance=chain,
        model=model,
    )


def history(
    frames: dict[str, pd.DataFrame], period_list: list[str], config: ScoringConfig | None = None
) -> pd.DataFrame:
    """Scores over several periods in tidy form for trend charts: alliance_id, period,
    crack (0 = the health index), measure, score, status."""
    cfg = config or ScoringConfig()
    coded, ids = _encode(frames)
    by_side_all, _ = _survey(coded, list(period_list), cfg)
    names = {n: c.short for n, c in questionnaire.cracks().items()}
    parts = []
    cache: dict = {}
    for p in period_list:
        bs = by_side_all[by_side_all["period"] == p].drop(columns="period")
        cracks, index, _ = _period_scores(coded, p, bs, cfg, False, cache)
        cracks = _decode(cracks, ids)
        index.index = pd.Index(
            ids.take(index.index.to_numpy().astype(np.int64)), name="alliance_id"
        )
        c = cracks[["alliance_id", "crack", "score", "status"]].assign(period=p)
        c["measure"] = c["crack"].map(names)
        i = index.reset_index()[["alliance_id", "health_index", "status"]]
        i = i.rename(columns={"health_index": "score"}).assign(period=p, crack=0)
        i["measure"] = "health index"
        parts += [c, i]
    cols = ["alliance_id", "period", "crack", "measure", "score", "status"]
    return pd.concat(parts, ignore_index=True)[cols]


def crack_evidence(
    frames: dict[str, pd.DataFrame], alliance_id: str, period: str, crack: int
) -> pd.DataFrame:
    """One crack's evidence indicators for one alliance, exactly as the assessment scores
    them: indicator, label, detail, score (0-100, NaN when the records cannot tell),
    scoring (how the score is computed). The workbooks show it beside each principle's
    records (crack 2 under the strategy, crack 4 under the KPIs)."""
    ev = evidence(frames, period)
    ev = ev[(ev["alliance_id"] == alliance_id) & (ev["crack"] == crack)]
    scoring = {i.name: i.mapping for i in INDICATORS}
    out = ev[["indicator", "label", "detail", "score"]].assign(scoring=ev["indicator"].map(scoring))
    return out.reset_index(drop=True)


def failure_estimate(
    frames: Mapping[str, pd.DataFrame], alliance_id: str, period: str
) -> FailureEstimate:
    """The alliance's failure estimate for its business case, from its six-crack health in
    ``period`` (see :mod:`alliance_kit.assess.risk`), else the default base rate."""
    scores = score_portfolio(dict(frames), period)
    return failure_from_scores(scores.alliances, alliance_id)
