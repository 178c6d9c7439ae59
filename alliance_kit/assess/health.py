"""Six-crack alliance health: survey answers and record evidence scored per crack.

This module runs the scoring over a portfolio (``score_portfolio``) and explains a score
(``explain``, ``history``); each step lives in its own module: the scale and settings in
:mod:`~alliance_kit.assess.scoring`, step 1 in :mod:`~alliance_kit.assess.survey_scores`,
step 2 in :mod:`~alliance_kit.assess.indicators`, steps 3-5 in
:mod:`~alliance_kit.assess.blend`, step 6 in :mod:`~alliance_kit.assess.alerts`, step 7 in
:mod:`~alliance_kit.assess.risk`. Everything is vectorized over the whole portfolio: pass
the frames dict (``store.read_all()``) and a period; get tidy frames back. How a score is
made:

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

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from alliance_kit.assess import risk
from alliance_kit.assess.alerts import early_warnings, remedy_text, response_table
from alliance_kit.assess.blend import active_alliances, alliance_index, grid_rows, score_cracks
from alliance_kit.assess.encoding import decode_ids, decode_index, encode_ids, subset_frames
from alliance_kit.assess.indicators import INDICATORS, evidence_columns, percent_text
from alliance_kit.assess.scoring import (
    CRACKS,
    ScoringConfig,
    rounded,
    score_text,
    to_points,
)
from alliance_kit.assess.survey_scores import public_by_side, score_survey
from alliance_kit.imagine.business_case import FailureEstimate, failure_from_scores
from alliance_kit.records import measures, periods, questionnaire
from alliance_kit.records.measures import table


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


def _with_previous(cracks: pd.DataFrame, prev: pd.DataFrame) -> pd.DataFrame:
    """The crack scores with the previous period's score, status and gap, and the
    change (``prev`` is score_cracks' grid: alliance major, CRACKS in order).

    A change is only read between two scores made of the same parts: a score that
    gained or lost its survey part moved because data arrived, not because the crack
    did, so its change is null and no alert compares it."""
    alliances = prev["alliance_id"].iloc[:: len(CRACKS)]
    row = grid_rows(alliances, cracks["alliance_id"], cracks["crack"])
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
    cols = evidence_columns(frames, evidence_period(period, cfg), cfg, detail, cache)
    if not detail:
        cols = {k: cols[k] for k in ("alliance_id", "crack", "score", "weight")}
    ev = pd.DataFrame(cols)
    cracks = score_cracks(frames, period, by_side, ev, cfg)
    return cracks, alliance_index(cracks, cfg), ev


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
    sub = subset_frames(frames, last.index)
    for period, ids in last.groupby(last).groups.items():
        part = subset_frames(sub, ids)
        by_side, _ = score_survey(part, [period], cfg)
        _, idx, _ = _period_scores(part, period, by_side, cfg, detail=False)
        health.loc[ids] = idx["health_index"].reindex(ids).to_numpy()
    y = ended.set_index("alliance_id")["outcome"].reindex(health.index)
    return risk.calibrate(
        health.to_numpy(),
        y.to_numpy(),
        min_outcomes=cfg.min_outcomes,
        failure_outcomes=cfg.failure_outcomes,
    )


def score_portfolio(
    frames: dict[str, pd.DataFrame], period: str, config: ScoringConfig | None = None
) -> PortfolioScores:
    """Score every alliance running in ``period``: cracks, alliances, alerts, sides.

    See the module docstring for the rules; ``config`` changes thresholds and weights.
    """
    cfg = config or ScoringConfig()
    period = periods.Period(period)  # read once here, passed down as a Period
    prev = periods.previous(period)
    coded, ids = encode_ids(frames)
    by_side_all, groups = score_survey(coded, [period, prev], cfg)
    is_period = measures.equals(by_side_all["period"], period)
    by_side = by_side_all[is_period].drop(columns="period")
    by_prev = by_side_all[measures.equals(by_side_all["period"], prev)].drop(columns="period")
    cache: dict = {}
    cracks, index, ev = _period_scores(coded, period, by_side, cfg, cache=cache)
    prev_cracks, prev_index, _ = _period_scores(coded, prev, by_prev, cfg, False, cache)
    cracks = decode_ids(_with_previous(cracks, prev_cracks), ids)
    running = active_alliances(coded, period)["id"]
    by_side = public_by_side(decode_ids(by_side[by_side["alliance_id"].isin(running)], ids))
    ev = decode_ids(ev[ev["alliance_id"].isin(running)], ids)
    for idx in (index, prev_index):
        decode_index(idx, ids)
    names = {n: c.name for n, c in questionnaire.cracks().items()}
    cracks.insert(2, "crack_name", cracks["crack"].map(names))
    opening = cracks["status"].isin(["amber", "red"])
    cracks["remedies"] = remedy_text(cracks["crack"]).where(opening, "")

    resp = decode_index(response_table(groups, period), ids)
    presp = decode_index(response_table(groups, prev), ids)
    response = pd.DataFrame(
        {"rate": resp["rate"], "prev_rate": presp["rate"].reindex(resp.index)}
    ).reset_index()
    alerts = early_warnings(cracks, response, cfg)

    model = _risk_model(coded, cfg)
    a = active_alliances(frames, period).set_index("id")
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
                f"don't know {percent_text(r.dont_know_rate)}"
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
                        f"don't know {percent_text(r.dont_know_rate)}"
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
    sub = subset_frames(frames, [alliance_id])
    by_side, _ = score_survey(sub, [period], cfg)
    by_side = by_side.drop(columns="period")
    cracks, index, ev = _period_scores(sub, period, by_side, cfg)
    row = cracks[(cracks["alliance_id"] == alliance_id) & (cracks["crack"] == crack)]
    if row.empty:
        raise ValueError(f"alliance {alliance_id} was not running in {period}")
    r = row.iloc[0]
    ind = ev[ev["crack"] == crack].drop(columns=["alliance_id", "crack"]).reset_index(drop=True)
    ind["mapping"] = ind["indicator"].map({i.name: i.mapping for i in INDICATORS})
    sides = public_by_side(by_side[by_side["crack"] == crack].drop(columns="crack")).reset_index(
        drop=True
    )
    withheld_sides = set(sides.loc[sides["withheld"].notna(), "side"])
    c = questionnaire.cracks()[crack]
    opening = r["status"] in ("amber", "red")
    coded, _ = encode_ids(frames)
    model = _risk_model(coded, cfg)
    a = active_alliances(sub, period).iloc[0]
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
    coded, ids = encode_ids(frames)
    by_side_all, _ = score_survey(coded, list(period_list), cfg)
    names = {n: c.short for n, c in questionnaire.cracks().items()}
    parts = []
    cache: dict = {}
    for p in period_list:
        bs = by_side_all[by_side_all["period"] == p].drop(columns="period")
        cracks, index, _ = _period_scores(coded, p, bs, cfg, False, cache)
        cracks = decode_ids(cracks, ids)
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


def failure_estimate(
    frames: Mapping[str, pd.DataFrame], alliance_id: str, period: str
) -> FailureEstimate:
    """The alliance's failure estimate for its business case, from its six-crack health in
    ``period`` (see :mod:`alliance_kit.assess.risk`), else the default base rate."""
    scores = score_portfolio(dict(frames), period)
    return failure_from_scores(scores.alliances, alliance_id)
