"""Continuous improvement (Succeed): are issues resolved, or do they age and escalate?"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alliance_kit.records import measures
from alliance_kit.records.measures import table, window_bounds

HIGH_SEVERITY = ("high", "critical")


def issue_age(frames: dict[str, pd.DataFrame], period: str) -> pd.DataFrame:
    """Issues open at the period's end, per alliance: ``open_issues``, ``open_high``
    (high or critical), ``mean_age_days`` and ``max_age_days`` (NaN with none open), and
    ``logged``: issues raised by then, open or not (none logged: nothing to judge by)."""
    asof = np.datetime64(window_bounds(period, 1)[1], "ns")
    i = table(frames, "issues")
    raised, resolved = measures.days(i["raised_on"]), measures.days(i["resolved_on"])
    open_ = (raised <= asof) & (np.isnat(resolved) | (resolved > asof))
    pos = measures.positions(frames, i["alliance_id"])[open_]
    age = ((asof - raised[open_]) // np.timedelta64(1, "D")).astype(float)
    n = len(table(frames, "alliances"))
    open_issues = measures.count(pos, n)
    oldest = np.full(n, -np.inf)
    np.maximum.at(oldest, pos[pos >= 0], age[pos >= 0])
    return measures.per_alliance(
        frames,
        logged=measures.count(measures.positions(frames, i["alliance_id"])[raised <= asof], n),
        open_issues=open_issues,
        open_high=measures.count(pos, n, i["severity"].isin(HIGH_SEVERITY).to_numpy()[open_]),
        mean_age_days=measures.ratio(measures.total(pos, n, age), open_issues),
        max_age_days=np.where(open_issues > 0, oldest, np.nan),
    )


def escalations(frames: dict[str, pd.DataFrame], period: str, window: int = 4) -> pd.DataFrame:
    """Escalated issues per alliance over the window.

    ``raised``: issues raised in the window; ``raised_escalated``: of those, escalated by
    the period's end; ``escalation_share`` = raised_escalated / raised (NaN if none
    raised). ``escalated``: issues escalated in the window; ``resolved``: of those,
    resolved by the period's end; ``resolution_rate`` = resolved / escalated (NaN if none).
    ``open_escalations``: escalated issues unresolved at the period's end.
    """
    since, asof = (np.datetime64(d, "ns") for d in window_bounds(period, window))
    i = table(frames, "issues")
    raised_on, escalated_on = measures.days(i["raised_on"]), measures.days(i["escalated_on"])
    resolved_on = measures.days(i["resolved_on"])
    esc_by_end = ~np.isnat(escalated_on) & (escalated_on <= asof)
    resolved = ~np.isnat(resolved_on) & (resolved_on <= asof)
    raised = (raised_on >= since) & (raised_on <= asof)
    escalated = esc_by_end & (escalated_on >= since)
    n = len(table(frames, "alliances"))
    pos = measures.positions(frames, i["alliance_id"])
    out = measures.per_alliance(
        frames,
        raised=measures.count(pos, n, raised),
        raised_escalated=measures.count(pos, n, raised & esc_by_end),
        escalated=measures.count(pos, n, escalated),
        resolved=measures.count(pos, n, escalated & resolved),
        open_escalations=measures.count(pos, n, esc_by_end & ~resolved),
    )
    out["escalation_share"] = measures.ratio(out["raised_escalated"], out["raised"])
    out["resolution_rate"] = measures.ratio(out["resolved"], out["escalated"])
    return out


# =========================================================================================
# --- continuous improvement workbook (Succeed): risk register and heat map, issue log,
# lessons, improvement actions, and the work under way on each crack.
# Owned by the Succeed workbook helper. Issue ages use the same rules as issue_age above
# (open at the day looked from: raised by then, not resolved by then), and escalation
# figures are escalations() itself, so the workbook shows what crack 3 is scored on.
# =========================================================================================

import numpy as np  # noqa: E402, F811 - this section's imports stay inside it

from alliance_kit.records import periods  # noqa: E402
from alliance_kit.records.model import CRACKS, ISSUE_SEVERITIES  # noqa: E402
from alliance_kit.succeed.operations import action_register, ageing_bucket  # noqa: E402

#: Risk level from score = likelihood x impact (each 1-5): (highest score, level).
RISK_LEVELS: tuple[tuple[int, str], ...] = ((4, "low"), (9, "medium"), (25, "high"))
#: Risk level -> status colour name (charts.STATUS_COLOURS).
RISK_LEVEL_COLOUR = {"low": "green", "medium": "amber", "high": "red"}
OPEN_RISK = ("open", "mitigating")


def risk_level(score: pd.Series) -> pd.Series:
    """``low`` (score 1-4), ``medium`` (5-9) or ``high`` (10-25); missing stays missing."""
    s = pd.to_numeric(score, errors="coerce").astype(float)
    conds, labels, lo = [], [], 0
    for hi, label in RISK_LEVELS:
        conds.append((s > lo) & (s <= hi))
        labels.append(label)
        lo = hi
    out = np.select(conds, labels, default="")
    return pd.Series(out, index=score.index, dtype=object).replace("", None)


def _latest_review(reviews: pd.DataFrame, upto: str) -> pd.DataFrame:
    r = reviews[reviews["period"] <= upto].sort_values(["risk_id", "period"])
    return r.groupby("risk_id").tail(1).set_index("risk_id")


def risk_register(frames: dict[str, pd.DataFrame], alliance_id: str, period: str) -> pd.DataFrame:
    """The alliance's risks raised by the period's end, highest score first.

    ``likelihood``, ``impact`` and ``score`` (their product) come from the latest review
    up to ``period`` (``reviewed``: its quarter; ``stale``: not reviewed in ``period``);
    ``previous_score`` from the latest review before that one. ``trend``: rising,
    falling or steady against it, ``new`` with one review, ``not reviewed`` with none.
    ``level``: RISK_LEVELS of the score. ``open``: status open or mitigating.
    """
    asof = pd.Timestamp(periods.end(period))
    r = table(frames, "risks")
    r = r[(r["alliance_id"] == alliance_id) & (r["raised_on"] <= asof)]
    rv = table(frames, "risk_reviews")
    rv = rv[rv["risk_id"].isin(r["id"])]
    cur = _latest_review(rv, period)
    current = cur[["period"]].rename(columns={"period": "cur"}).reset_index()
    prev_rows = rv.merge(current, on="risk_id")
    prev = _latest_review(prev_rows[prev_rows["period"] < prev_rows["cur"]], period)
    out = r[["id", "title", "owner", "mitigation", "status", "raised_on", "crack"]].copy()
    out["reviewed"] = out["id"].map(cur["period"])
    out["likelihood"] = out["id"].map(cur["likelihood"]).astype("Int64")
    out["impact"] = out["id"].map(cur["impact"]).astype("Int64")
    out["score"] = (out["likelihood"] * out["impact"]).astype("Int64")
    prev_score = prev["likelihood"] * prev["impact"]
    out["previous_score"] = out["id"].map(prev_score).astype("Int64")
    out["change"] = (out["score"] - out["previous_score"]).astype("Int64")
    out["trend"] = np.select(
        [
            out["score"].isna().to_numpy(dtype=bool),
            out["previous_score"].isna().to_numpy(dtype=bool),
            (out["change"] > 0).fillna(False).to_numpy(dtype=bool),
            (out["change"] < 0).fillna(False).to_numpy(dtype=bool),
        ],
        ["not reviewed", "new", "rising", "falling"],
        "steady",
    )
    out["level"] = risk_level(out["score"])
    out["stale"] = out["reviewed"].ne(period)
    out["open"] = out["status"].isin(OPEN_RISK)
    out = out.sort_values(["open", "score", "id"], ascending=[False, False, True],
                          na_position="last")  # fmt: skip
    return out.reset_index(drop=True)


def heatmap_cells(register: pd.DataFrame, open_only: bool = True) -> pd.DataFrame:
    """The 5 x 5 likelihood-by-impact grid: every cell (likelihood, impact, score, level)
    with the ``risks`` in it (count) and their ``ids`` (comma-separated); open risks only
    unless ``open_only`` is False. Risks never reviewed are left out."""
    r = register[register["score"].notna()]
    if open_only:
        r = r[r["open"]]
    grid = pd.MultiIndex.from_product([range(1, 6), range(1, 6)], names=["likelihood", "impact"])
    key = [r["likelihood"].astype(int), r["impact"].astype(int)]
    g = r.groupby(key)["id"]
    out = pd.DataFrame({"risks": g.size(), "ids": g.agg(lambda s: ", ".join(sorted(s)))})
    out = out.reindex(grid).reset_index()
    out["risks"] = out["risks"].fillna(0).astype(int)
    out["ids"] = out["ids"].fillna("")
    out["score"] = out["likelihood"] * out["impact"]
    out["level"] = risk_level(out["score"])
    return out[["likelihood", "impact", "score", "level", "risks", "ids"]]


def risk_history(
    frames: dict[str, pd.DataFrame], alliance_id: str, period: str, quarters: int = 4
) -> pd.DataFrame:
    """Risks reviewed per quarter and level (closed ones too: a review scores exposure
    at that time), for the ``quarters`` ending with ``period`` (tidy: period, level,
    risks, total_score); shows whether exposure grows."""
    rv = table(frames, "risk_reviews")
    r = table(frames, "risks")
    r = r[r["alliance_id"] == alliance_id]
    span = periods.span(periods.shift(period, -(quarters - 1)), period)
    rv = rv[rv["risk_id"].isin(r["id"]) & rv["period"].isin(span)].copy()
    rv["score"] = rv["likelihood"] * rv["impact"]
    rv["level"] = risk_level(rv["score"])
    grid = pd.MultiIndex.from_product([span, [lv for _, lv in RISK_LEVELS]],
                                      names=["period", "level"])  # fmt: skip
    g = rv.groupby(["period", "level"])["score"]
    out = pd.DataFrame({"risks": g.size(), "total_score": g.sum()}).reindex(grid)
    return out.fillna(0).astype(int).reset_index()


def issue_log(frames: dict[str, pd.DataFrame], alliance_id: str, as_of: object) -> pd.DataFrame:
    """The alliance's issues raised by ``as_of``, open ones first and oldest first.

    ``open``: not resolved by ``as_of`` (as issue_age counts); ``age_days``: raised to
    ``as_of`` while open, raised to resolved once resolved; ``bucket``: the ageing bucket
    of an open issue; ``escalated``: escalated by ``as_of``; ``days_to_escalation``.
    """
    day = pd.Timestamp(as_of).normalize()
    i = table(frames, "issues")
    i = i[(i["alliance_id"] == alliance_id) & (i["raised_on"] <= day)].copy()
    resolved = i["resolved_on"].notna() & (i["resolved_on"] <= day)
    i["open"] = ~resolved
    end = i["resolved_on"].where(resolved, day)
    i["age_days"] = (end - i["raised_on"]).dt.days.astype(float)
    i["bucket"] = ageing_bucket(i["age_days"].where(i["open"]))
    i["escalated"] = i["escalated_on"].notna() & (i["escalated_on"] <= day)
    days = (i["escalated_on"] - i["raised_on"]).dt.days.astype(float)
    i["days_to_escalation"] = days.where(i["escalated"])
    i.loc[~resolved, "resolved_on"] = pd.NaT
    i.loc[~i["escalated"], "escalated_on"] = pd.NaT
    sev = {s: k for k, s in enumerate(reversed(ISSUE_SEVERITIES))}
    i["_s"] = i["severity"].map(sev)
    i = i.sort_values(["open", "_s", "age_days"], ascending=[False, True, False])
    cols = ["id", "title", "owner", "side", "severity", "crack", "raised_on", "escalated",
            "escalated_on", "days_to_escalation", "resolved_on", "open", "age_days",
            "bucket"]  # fmt: skip
    return i[cols].reset_index(drop=True)


def issue_ageing(log: pd.DataFrame) -> pd.DataFrame:
    """Open issues per ageing bucket (rows) and severity (columns), with an ``escalated``
    column; every bucket appears."""
    from alliance_kit.succeed.operations import AGEING_LABELS

    o = log[log["open"]]
    counts = pd.crosstab(o["bucket"], o["severity"]).reindex(
        index=list(AGEING_LABELS), columns=list(ISSUE_SEVERITIES)
    )
    counts = counts.fillna(0).astype(int)
    counts["escalated"] = o.groupby("bucket")["escalated"].sum().reindex(counts.index)
    counts["escalated"] = counts["escalated"].fillna(0).astype(int)
    counts.index.name = "bucket"
    counts.columns.name = None
    return counts.reset_index()


def lesson_log(frames: dict[str, pd.DataFrame], alliance_id: str, as_of: object) -> pd.DataFrame:
    """The alliance's lessons learned recorded by ``as_of``, newest first."""
    day = pd.Timestamp(as_of).normalize()
    les = table(frames, "lessons")
    les = les[(les["alliance_id"] == alliance_id) & (les["recorded_on"] <= day)]
    cols = ["id", "recorded_on", "title", "description", "crack"]
    return les.sort_values(["recorded_on", "id"], ascending=[False, True])[cols].reset_index(
        drop=True
    )


def improvement_actions(
    frames: dict[str, pd.DataFrame], alliance_id: str, as_of: object
) -> pd.DataFrame:
    """The alliance's improvement actions (operations.action_register, kind improvement)."""
    reg = action_register(frames, alliance_id, as_of)
    return reg[reg["kind"] == "improvement"].reset_index(drop=True)


def _crack_names() -> dict[int, str]:
    from alliance_kit.records import questionnaire

    return {n: c.name for n, c in questionnaire.cracks().items()}


def work_on_cracks(
    frames: dict[str, pd.DataFrame], alliance_id: str, as_of: object = None
) -> pd.DataFrame:
    """What is being done about each crack (1-6) of the alliance: open improvement
    actions (``actions_open``, of which ``actions_overdue``), open risks, open issues and
    lessons linked to the crack, and ``items``: those records as "id: title" lines
    (actions, then risks, issues, lessons). ``as_of`` None looks at the records as they
    stand (status and dates as recorded, today)."""
    day = pd.Timestamp.today().normalize() if as_of is None else pd.Timestamp(as_of)
    acts = action_register(frames, alliance_id, day)
    acts = acts[acts["crack"].notna() & acts["state"].isin(["open", "overdue"])]
    risks = table(frames, "risks")
    risks = risks[(risks["alliance_id"] == alliance_id) & risks["status"].isin(OPEN_RISK)
                  & (risks["raised_on"] <= day) & risks["crack"].notna()]  # fmt: skip
    issues = issue_log(frames, alliance_id, day)
    issues = issues[issues["open"] & issues["crack"].notna()]
    lessons = lesson_log(frames, alliance_id, day)
    lessons = lessons[lessons["crack"].notna()]
    names = _crack_names()
    rows = []
    for crack in CRACKS:
        parts = {
            "action": acts[acts["crack"] == crack],
            "risk": risks[risks["crack"] == crack],
            "issue": issues[issues["crack"] == crack],
            "lesson": lessons[lessons["crack"] == crack],
        }
        items = [
            f"{kind} {r['id']}: {r['title']}"
            for kind, df in parts.items()
            for r in df.to_dict("records")
        ]
        rows.append(
            {
                "crack": crack,
                "crack_name": names.get(crack, str(crack)),
                "actions_open": len(parts["action"]),
                "actions_overdue": int(parts["action"]["overdue"].sum()),
                "risks_open": len(parts["risk"]),
                "issues_open": len(parts["issue"]),
                "lessons": len(parts["lesson"]),
                "items": items,
            }
        )
    return pd.DataFrame(rows)
