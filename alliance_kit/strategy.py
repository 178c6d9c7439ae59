"""Strategy (Imagine): is the alliance strategy documented, approved by both partners and
communicated to the people who need it on both sides?"""

from __future__ import annotations

import pandas as pd

from alliance_kit.governance import _alliance_ids, table, window_bounds


def strategy_status(frames: dict[str, pd.DataFrame], period: str) -> pd.DataFrame:
    """Per alliance, as of the period's end: ``documented`` (a strategy record whose
    documented date has passed, or with a vision but no date), ``approved_us`` /
    ``approved_partner`` (approval dates passed), ``briefed_<side>`` (any strategy
    briefing to that side) and ``acknowledged_<side>`` (any acknowledged one)."""
    _, asof = window_bounds(period, 1)
    s = table(frames, "strategies")
    doc = (s["documented_on"] <= asof) | (s["documented_on"].isna() & s["vision"].notna())
    st = pd.DataFrame(
        {
            "alliance_id": s["alliance_id"],
            "documented": doc,
            "approved_us": s["approved_us_on"] <= asof,
            "approved_partner": s["approved_partner_on"] <= asof,
        }
    )
    b = table(frames, "briefings")
    b = b[(b["topic"] == "strategy") & (b["briefed_on"] <= asof)]
    brief = pd.DataFrame({"alliance_id": b["alliance_id"], "side": b["side"], "n": 1})
    brief["ack"] = b["acknowledged"].astype(int)
    flags = brief.groupby(["alliance_id", "side"])[["n", "ack"]].sum().unstack("side")
    out = _alliance_ids(frames).merge(st, on="alliance_id", how="left")
    for side in ("us", "partner"):
        n = flags[("n", side)] if ("n", side) in flags else pd.Series(dtype=float)
        ack = flags[("ack", side)] if ("ack", side) in flags else pd.Series(dtype=float)
        out[f"briefed_{side}"] = out["alliance_id"].map(n).fillna(0) > 0
        out[f"acknowledged_{side}"] = out["alliance_id"].map(ack).fillna(0) > 0
    for c in ("documented", "approved_us", "approved_partner"):
        out[c] = out[c].astype("boolean").fillna(False).astype(bool)
    return out.reset_index(drop=True)
