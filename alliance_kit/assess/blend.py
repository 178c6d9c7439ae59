"""Survey and evidence blended per crack, statuses and the perception reading, and the
health index per alliance (steps 3-5 of :mod:`alliance_kit.assess.health`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from alliance_kit.assess.indicators import INDICATORS, SURVEY
from alliance_kit.assess.scoring import (
    CRACKS,
    RATED_HIGH_SCORED_LOWER,
    RATED_LOW_SCORED_HIGHER,
    READINGS,
    ScoringConfig,
    group_sums,
    rounded,
    score_text,
    status,
    status_of,
)
from alliance_kit.records import periods, questionnaire
from alliance_kit.records.measures import table


def _zero(x: np.ndarray) -> np.ndarray:
    """Missing values as 0 (fillna(0) on an array)."""
    return np.where(np.isnan(x), 0.0, x)


def grid_rows(active: pd.Series, alliance_id: pd.Series, crack: pd.Series) -> np.ndarray:
    """Row of each (alliance, crack) in the grid of active alliances x CRACKS (alliance
    major); -1 outside it."""
    a = pd.Index(active).get_indexer(alliance_id)
    c = pd.Index(CRACKS).get_indexer(crack)
    return np.where((a >= 0) & (c >= 0), a * len(CRACKS) + c, -1)


def _evidence_by_crack(ev: pd.DataFrame, row: np.ndarray, size: int) -> dict[str, np.ndarray]:
    """Weighted mean of the available indicators and their number, per grid row (``row``
    of each indicator row, from grid_rows)."""
    score = ev["score"].to_numpy(dtype=float)
    known = ~np.isnan(score)
    w = np.where(known, ev["weight"].to_numpy(dtype=float), 0.0)
    inside = row >= 0
    sums = group_sums({"w": w, "ws": w * np.where(known, score, 0.0)}, row, size)
    n = np.bincount(row[inside], weights=known[inside], minlength=size).astype(np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = sums["ws"].to_numpy() / np.where(sums["w"] > 0, sums["w"], np.nan)
    return {"evidence": np.where(n > 0, mean, np.nan), "indicators": n}


def active_alliances(frames: dict[str, pd.DataFrame], period: str) -> pd.DataFrame:
    a = table(frames, "alliances")
    start, end = pd.Timestamp(periods.start(period)), pd.Timestamp(periods.end(period))
    keep = (a["start_date"] <= end) & (a["end_date"].isna() | (a["end_date"] >= start))
    return a[keep]


def reading(
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


def reading_note(cracks: pd.DataFrame, cfg: ScoringConfig) -> list[str | None]:
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


def score_cracks(
    frames: dict[str, pd.DataFrame],
    period: str,
    by_side: pd.DataFrame,
    ev: pd.DataFrame,
    cfg: ScoringConfig,
) -> pd.DataFrame:
    """alliance x crack: survey (per side and combined), evidence, blend, status, gap.

    Each figure is rounded once when made and built from the rounded figures before it,
    so what a page prints recomputes from what it prints."""
    active = active_alliances(frames, period)["id"]
    size = len(active) * len(CRACKS)
    row = grid_rows(active, by_side["alliance_id"], by_side["crack"])
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
    ev_row = grid_rows(active, ev["alliance_id"], ev["crack"])
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
            "status": status_of(score, cfg),
            "gap": gap,
            "gap_flag": np.abs(gap) >= cfg.gap_flag,
        }
    )
    out["reading"] = reading(out["survey_us"], out["survey_partner"], cfg.high_cut, out["status"])
    out["reading_note"] = reading_note(out, cfg)
    unanswered = np.array([None, *(_crack_missing(c) for c in CRACKS)], dtype=object)
    too_few = np.array(
        [None, *(_crack_missing(c, cfg.min_respondents) for c in CRACKS)], dtype=object
    )
    why = np.where(withheld, too_few[crack], unanswered[crack])
    out["missing"] = np.where(np.isnan(score), why, None)
    return out


def _crack_missing(crack: int, withheld_below: int | None = None) -> str:
    """Why a crack has no score, and what supplies one. ``withheld_below``: the survey was
    answered, but by fewer respondents than this, so it is withheld."""
    sources = dict.fromkeys(i.source for i in INDICATORS if i.crack == crack)
    records = "; ".join(dict.fromkeys(i.missing for i in INDICATORS if i.crack == crack))
    if withheld_below is None:
        survey = "no survey answers"
        remedy = f"run {SURVEY}"
    else:
        survey = f"survey answers withheld (fewer than {withheld_below} respondents)"
        remedy = f"invite more respondents to {SURVEY}"
    return f"{survey} and no records ({records}): {remedy}, or enter them in " + ", ".join(sources)


def alliance_index(cracks: pd.DataFrame, cfg: ScoringConfig) -> pd.DataFrame:
    """Per alliance: the health index (weighted mean of the crack scores, rounded), its
    status with the knock-out, the open and red cracks, and ``not assessed`` with what is
    missing when too few cracks are scored or no survey counts (``min_scored_cracks``,
    ``require_survey``)."""
    w = cracks["crack"].map(cfg.crack_weights).astype(float).where(cracks["score"].notna(), 0)
    row, ids = pd.factorize(cracks["alliance_id"])  # first-seen order, as groupby(sort=False)
    g = group_sums(
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
    # the open and the red cracks of each alliance, listed "1, 4" in crack order: a grid
    # of alliance x crack holding the crack's number where it is in the list
    position = pd.Index(CRACKS).get_indexer(cracks["crack"])
    number = cracks["crack"].astype(str).to_numpy(dtype=object)
    for col, which in (("open_cracks", ("amber", "red")), ("red_cracks", ("red",))):
        hit = np.isin(st, which) & (row >= 0) & (position >= 0)
        grid = np.full((len(out), len(CRACKS)), "", dtype=object)
        grid[row[hit], position[hit]] = number[hit]
        out[col] = [", ".join(n for n in listed if n) for listed in grid.tolist()]
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
