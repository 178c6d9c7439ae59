"""Evidence indicators from the records (step 2 of :mod:`alliance_kit.assess.health`):
each crack's indicators computed by the principles' own measures over a look-back window,
on 0-100, with what was counted in words and where a missing figure is entered."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from alliance_kit.align import governance
from alliance_kit.assess.encoding import decode_ids, encode_ids
from alliance_kit.assess.scoring import ScoringConfig, linear, rounded
from alliance_kit.imagine import kpis
from alliance_kit.imagine import strategy as strategy_mod
from alliance_kit.records import measures
from alliance_kit.records.measures import table
from alliance_kit.succeed import improvement, operations

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


def one_decimal(x: float) -> str:
    """_n(x, 1) without the variable format spec (alerts write tens of thousands)."""
    return "n/a" if x != x else f"{x:.1f}"


def percent_text(x: float) -> str:
    return "n/a" if x != x else f"{100 * x:.0f}%"


def _pct(x: pd.Series) -> pd.Series:
    return pd.Series(
        [percent_text(v) for v in x.astype(float).tolist()], index=x.index, dtype=object
    )


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


def number_texts(values: pd.Series | np.ndarray, fmt: Callable[[float], str]) -> np.ndarray:
    """``fmt`` of each number, called once per distinct value (compared by bits)."""
    codes, uniques = pd.factorize(np.asarray(values, dtype=float).view(np.int64))
    return np.array([fmt(u) for u in uniques.view(np.float64).tolist()], dtype=object)[codes]


def _percent(x: pd.Series) -> pd.Series:
    """``percent_text`` of every value: the percentage is rounded half to even first, as the
    format does, so each distinct whole percentage is written once."""
    rounded = np.rint(100 * x.to_numpy(dtype=float))
    words = number_texts(rounded, lambda r: "n/a" if r != r else f"{r:.0f}%")
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
        k.index,
        lambda n, c, s: f"{n} KPIs, {c} fully defined, {percent_text(s)} of SMART fields filled",
        k["kpis"], k["complete"], k["completeness"],
    )  # fmt: skip
    raw = k["completeness"].where(k["kpis"] > 0)
    return _ind(raw, 100 * raw, detail and say)


def _ind_kpi_agreed(frames, period, window, detail):
    k = _kpi_completeness(frames)
    say = lambda: _say(k.index, lambda a, n: f"{percent_text(a)} of {n} KPIs agreed by both",  # noqa: E731
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
    coded, ids = encode_ids({k: v for k, v in frames.items() if k not in survey_tables})
    return decode_ids(_evidence(coded, period, config, detail=detail), ids)


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
    return pd.DataFrame(evidence_columns(frames, period, config or ScoringConfig(), detail, cache))


def evidence_columns(
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
