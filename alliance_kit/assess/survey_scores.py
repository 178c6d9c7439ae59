"""Survey answers scored per crack and side (step 1 of :mod:`alliance_kit.assess.health`):
each respondent counts once, both partners equally; a side below ``min_respondents`` is
withheld. Public functions return aggregates only, never a respondent's row."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from alliance_kit.assess.scoring import CRACKS, ScoringConfig, to_points
from alliance_kit.records import questionnaire
from alliance_kit.records.measures import table

# --- survey -------------------------------------------------------------------------


def score_survey(
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
    when both hold encode_ids's integer codes, else a hash lookup."""
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
    by_side, _ = score_survey(frames, [period], config or ScoringConfig())
    return public_by_side(by_side.drop(columns="period"))


#: Columns of the side aggregates kept for the pooled score, never shown.
PRIVATE = ("_s1", "_dk")


def public_by_side(by_side: pd.DataFrame) -> pd.DataFrame:
    """The side aggregates as every view may show them (withheld figures already null)."""
    return by_side.drop(columns=[c for c in PRIVATE if c in by_side.columns])


def response_rates(
    frames: dict[str, pd.DataFrame], period: str, config: ScoringConfig | None = None
) -> pd.DataFrame:
    """Per alliance and side: respondents invited, those who answered, and the rate."""
    _, groups = score_survey(frames, [period], config or ScoringConfig())
    groups["rate"] = groups["responded"] / groups["invited"]
    return groups.drop(columns="period")
