"""Continuous improvement (Succeed): are issues resolved, or do they age and escalate?"""

from __future__ import annotations

import pandas as pd

from alliance_kit.governance import _alliance_ids, table, window_bounds

HIGH_SEVERITY = ("high", "critical")


def issue_age(frames: dict[str, pd.DataFrame], period: str) -> pd.DataFrame:
    """Issues open at the period's end, per alliance: ``open_issues``, ``open_high``
    (high or critical), ``mean_age_days`` and ``max_age_days`` (NaN with none open)."""
    _, asof = window_bounds(period, 1)
    i = table(frames, "issues")
    open_ = (i["raised_on"] <= asof) & (i["resolved_on"].isna() | (i["resolved_on"] > asof))
    i = i[open_]
    age = (asof - i["raised_on"]).dt.days.astype(float)
    g = i["alliance_id"]
    agg = pd.DataFrame(
        {
            "open_issues": g.value_counts(),
            "open_high": i["severity"].isin(HIGH_SEVERITY).groupby(g).sum(),
            "mean_age_days": age.groupby(g).mean(),
            "max_age_days": age.groupby(g).max(),
        }
    )
    out = _alliance_ids(frames).merge(agg, left_on="alliance_id", right_index=True, how="left")
    out[["open_issues", "open_high"]] = out[["open_issues", "open_high"]].fillna(0).astype(int)
    return out.reset_index(drop=True)


def escalations(frames: dict[str, pd.DataFrame], period: str, window: int = 4) -> pd.DataFrame:
    """Escalated issues per alliance over the window.

    ``raised``: issues raised in the window; ``raised_escalated``: of those, escalated by
    the period's end; ``escalation_share`` = raised_escalated / raised (NaN if none
    raised). ``escalated``: issues escalated in the window; ``resolved``: of those,
    resolved by the period's end; ``resolution_rate`` = resolved / escalated (NaN if none).
    ``open_escalations``: escalated issues unresolved at the period's end.
    """
    since, asof = window_bounds(period, window)
    i = table(frames, "issues")
    esc_by_end = i["escalated_on"].notna() & (i["escalated_on"] <= asof)
    resolved = i["resolved_on"].notna() & (i["resolved_on"] <= asof)
    raised = (i["raised_on"] >= since) & (i["raised_on"] <= asof)
    escalated = esc_by_end & (i["escalated_on"] >= since)
    g = i["alliance_id"]
    agg = pd.DataFrame(
        {
            "raised": raised.groupby(g).sum(),
            "raised_escalated": (raised & esc_by_end).groupby(g).sum(),
            "escalated": escalated.groupby(g).sum(),
            "resolved": (escalated & resolved).groupby(g).sum(),
            "open_escalations": (esc_by_end & ~resolved).groupby(g).sum(),
        }
    )
    out = _alliance_ids(frames).merge(agg, left_on="alliance_id", right_index=True, how="left")
    out[agg.columns] = out[agg.columns].fillna(0).astype(int)
    out["escalation_share"] = out["raised_escalated"] / out["raised"].where(out["raised"] > 0)
    out["resolution_rate"] = out["resolved"] / out["escalated"].where(out["escalated"] > 0)
    return out.reset_index(drop=True)
