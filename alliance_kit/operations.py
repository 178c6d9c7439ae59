"""Operations (Succeed): are the resources each partner committed actually assigned?"""

from __future__ import annotations

import pandas as pd

from alliance_kit.governance import _by_side, table


def resource_fulfilment(frames: dict[str, pd.DataFrame], period: str) -> pd.DataFrame:
    """Committed against assigned people (FTE) and budget, per alliance and side.

    Uses each side's resource lines of the latest period up to ``period`` (summed).
    ``fte_ratio`` and ``budget_ratio`` are assigned / committed capped at 1 (NaN when
    nothing was committed); ``fulfilment`` is their mean: 1 means every committed person
    and unit of budget is there. NaN throughout when a side has no resource lines.
    """
    r = table(frames, "resources")
    r = r[r["period"] <= period]  # 'YYYY-Qn' strings sort in time order
    # quarters as integers: a max over strings would fall back to Python per group
    index = r["period"].str.slice(0, 4).astype(int) * 4 + r["period"].str.slice(6, 7).astype(int)
    latest = index.groupby([r["alliance_id"], r["side"]]).transform("max")
    r = r[index == latest]
    cols = ["fte_committed", "fte_assigned", "budget_committed", "budget_assigned"]
    agg = r.groupby(["alliance_id", "side"]).agg(
        period=("period", "first"), **{c: (c, "sum") for c in cols}
    )
    out = _by_side(frames).merge(agg, left_on=["alliance_id", "side"], right_index=True, how="left")
    for kind in ("fte", "budget"):
        committed = out[f"{kind}_committed"].astype(float)
        ratio = out[f"{kind}_assigned"].astype(float) / committed.where(committed > 0)
        out[f"{kind}_ratio"] = ratio.clip(upper=1.0)
    out["fulfilment"] = out[["fte_ratio", "budget_ratio"]].mean(axis=1)
    return out.reset_index(drop=True)
