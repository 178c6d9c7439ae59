"""Goals & KPIs (Imagine) and their reporting (Succeed): are the KPIs defined, agreed and
reported? Evidence figures per KPI and per alliance, vectorized over the portfolio."""

from __future__ import annotations

import pandas as pd

from alliance_kit import periods
from alliance_kit.governance import _active_quarters, _alliance_ids, table

#: The fields a KPI needs to be SMART: someone owns it, it is measured from a baseline to
#: a target by a date, reported at a cadence from a named data source.
SMART_FIELDS = ("owner", "baseline", "target", "due_date", "cadence", "data_source")
#: Quarters (1-4) in which a KPI of each cadence reports; no cadence counts as quarterly.
REPORTING_QUARTERS = {
    "monthly": (1, 2, 3, 4),
    "quarterly": (1, 2, 3, 4),
    "semiannual": (2, 4),
    "annual": (4,),
}


def kpi_definitions(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per KPI: how many SMART fields are filled, ``completeness`` (0-1), which
    are ``missing``, and whether both partners agreed it."""
    k = table(frames, "kpis")
    filled = pd.DataFrame(
        {f: k[f].notna() & (k[f].astype(str).str.strip() != "") for f in SMART_FIELDS}
    )
    missing = filled.apply(lambda row: ", ".join(f for f in SMART_FIELDS if not row[f]), axis=1)
    return pd.DataFrame(
        {
            "alliance_id": k["alliance_id"],
            "kpi_id": k["id"],
            "name": k["name"],
            "filled": filled.sum(axis=1).astype(int),
            "completeness": filled.mean(axis=1) if len(k) else pd.Series(dtype=float),
            "missing": missing if len(k) else pd.Series(dtype=object),
            "agreed_by_both": k["agreed_by_both"].astype(bool),
        }
    ).reset_index(drop=True)


def kpi_completeness(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Per alliance: ``kpis`` defined, ``complete`` (all SMART fields filled),
    ``completeness`` (mean share of SMART fields filled) and ``agreed`` (share agreed by
    both partners). An alliance without KPIs scores 0 on both: nothing is defined."""
    k = table(frames, "kpis")
    filled = pd.DataFrame({f: k[f].notna() for f in SMART_FIELDS})
    for f in ("owner", "cadence", "data_source"):
        filled[f] &= k[f].astype(str).str.strip() != ""
    share = filled.mean(axis=1) if len(k) else pd.Series(dtype=float)
    g = k["alliance_id"]
    agg = pd.DataFrame(
        {
            "kpis": g.value_counts(),
            "complete": (share == 1.0).groupby(g).sum(),
            "completeness": share.groupby(g).mean(),
            "agreed": k["agreed_by_both"].astype(float).groupby(g).mean(),
        }
    )
    out = _alliance_ids(frames).merge(agg, left_on="alliance_id", right_index=True, how="left")
    out[["kpis", "complete"]] = out[["kpis", "complete"]].fillna(0).astype(int)
    out[["completeness", "agreed"]] = out[["completeness", "agreed"]].fillna(0.0)
    return out.reset_index(drop=True)


def actuals_on_time(
    frames: dict[str, pd.DataFrame], period: str, window: int = 4, grace_days: int = 30
) -> pd.DataFrame:
    """Actuals reported on time, per alliance, over the window's quarters.

    A KPI is expected to report for each quarter of the window its cadence covers
    (REPORTING_QUARTERS) from the alliance's start quarter on. A report is on time when
    an actual for that quarter exists and was reported within ``grace_days`` after the
    quarter ended (an actual without a report date counts as on time). ``rate`` =
    on_time / expected (NaN when nothing was expected).
    """
    k = table(frames, "kpis")[["id", "alliance_id", "cadence"]]
    quarters = periods.span(periods.shift(period, -(window - 1)), period)
    active = _active_quarters(frames, period, window)
    q = pd.DataFrame({"period": quarters, "pos": range(window)})
    q["quarter"] = q["period"].str[-1].astype(int)
    grid = k.merge(q, how="cross")
    first_pos = window - grid["alliance_id"].map(active).fillna(0)
    covers = [
        qq in REPORTING_QUARTERS.get(c, REPORTING_QUARTERS["quarterly"])
        for c, qq in zip(grid["cadence"].fillna("quarterly"), grid["quarter"], strict=True)
    ]
    grid = grid[(grid["pos"] >= first_pos) & pd.Series(covers, index=grid.index, dtype=bool)]
    act = table(frames, "kpi_actuals")[["kpi_id", "period", "reported_on"]]
    grid = grid.merge(act, left_on=["id", "period"], right_on=["kpi_id", "period"], how="left")
    deadline = pd.to_datetime(grid["period"].map(lambda p: periods.end(p))) + pd.Timedelta(
        days=grace_days
    )
    reported = grid["kpi_id"].notna()
    on_time = reported & (grid["reported_on"].isna() | (grid["reported_on"] <= deadline))
    g = grid["alliance_id"]
    agg = pd.DataFrame(
        {
            "expected": g.value_counts(),
            "reported": reported.groupby(g).sum(),
            "on_time": on_time.groupby(g).sum(),
        }
    )
    out = _alliance_ids(frames).merge(agg, left_on="alliance_id", right_index=True, how="left")
    cols = ["expected", "reported", "on_time"]
    out[cols] = out[cols].fillna(0).astype(int)
    out["rate"] = out["on_time"] / out["expected"].where(out["expected"] > 0)
    return out.reset_index(drop=True)
