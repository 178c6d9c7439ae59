"""Operations (Succeed): are the resources each partner committed actually assigned?"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alliance_kit.records import measures
from alliance_kit.records.measures import table
from alliance_kit.records.model import SIDES


def _lines(frames: dict[str, pd.DataFrame]) -> dict:
    """Per resource line, whatever the period: its (alliance, side) cell (alliance row x
    sides + side; -1 outside) and its period (factorized: codes, values)."""

    def compute() -> dict:
        r = table(frames, "resources")
        pos, side = measures.positions(frames, r["alliance_id"]), measures.side_codes(r["side"])
        cell = np.where((pos >= 0) & (side >= 0), pos * len(SIDES) + side, -1)
        return {"cell": cell, "period": pd.factorize(r["period"])}

    return measures.memo(frames, ("operations", "resource lines"), compute)


def _quarter_numbers(codes: np.ndarray, uniques: object, upto: str) -> np.ndarray:
    """Per row: year x 4 + quarter of its period when it is ``upto`` or earlier, else -1
    ('YYYY-Qn' strings sort in time order; each distinct value is parsed once)."""
    number = [int(p[0:4]) * 4 + int(p[6:7]) if p <= upto else -1 for p in uniques]
    return measures.take(np.array(number, dtype=np.int64), codes, -1)


def resource_fulfilment(frames: dict[str, pd.DataFrame], period: str) -> pd.DataFrame:
    """Committed against assigned people (FTE) and budget, per alliance and side.

    Uses each side's resource lines of the latest period up to ``period`` (summed).
    ``fte_ratio`` and ``budget_ratio`` are assigned / committed capped at 1 (NaN when
    nothing was committed); ``fulfilment`` is their mean: 1 means every committed person
    and unit of budget is there. NaN throughout when a side has no resource lines.
    """
    r = table(frames, "resources")
    k = len(SIDES)
    n = len(table(frames, "alliances")) * k
    lines = _lines(frames)
    quarter = _quarter_numbers(*lines["period"], period)
    key = np.where(quarter >= 0, lines["cell"], -1)
    latest = np.full(n, -1)
    np.maximum.at(latest, key[key >= 0], quarter[key >= 0])
    rows = np.flatnonzero((key >= 0) & (quarter == measures.take(latest, key, -2)))
    cols = ["fte_committed", "fte_assigned", "budget_committed", "budget_assigned"]
    latest_lines = r.iloc[rows]
    by = key[rows]  # pandas' group sums (compensated), as the lines summed before
    out = measures.by_side(frames)
    out["period"] = latest_lines["period"].groupby(by).first().reindex(range(n))
    out[cols] = latest_lines[cols].groupby(by).sum().reindex(range(n))
    for kind in ("fte", "budget"):
        committed = out[f"{kind}_committed"].astype(float)
        ratio = out[f"{kind}_assigned"].astype(float) / committed.where(committed > 0)
        out[f"{kind}_ratio"] = ratio.clip(upper=1.0)
    out["fulfilment"] = out[["fte_ratio", "budget_ratio"]].mean(axis=1)
    return out


# =========================================================================================
# --- operations workbook (Succeed): activities and action items, ageing, resource shortfall
# Owned by the Succeed workbook helper. Action states come from governance.action_log and
# the resource figures from resource_fulfilment above (the crack 6 evidence), so the
# workbook shows what health scoring counts.
# =========================================================================================

import math  # noqa: E402 - this section's imports stay inside it

import numpy as np  # noqa: E402, F811

from alliance_kit.align.governance import action_log  # noqa: E402
from alliance_kit.records import periods  # noqa: E402

#: Ageing buckets in days, (first day, last day, label); the last one is open-ended.
AGEING_BUCKETS: tuple[tuple[int, float, str], ...] = (
    (0, 30, "0-30 days"),
    (31, 60, "31-60 days"),
    (61, 90, "61-90 days"),
    (91, math.inf, "over 90 days"),
)
AGEING_LABELS = tuple(b[2] for b in AGEING_BUCKETS)


def as_of_day(period: str, as_of: object = None) -> pd.Timestamp:
    """The day a workbook looks from: ``as_of`` if given, else the period's last day (the
    day health scoring takes its evidence from)."""
    if as_of is None or (isinstance(as_of, str) and not as_of.strip()):
        return pd.Timestamp(periods.end(period))
    return pd.Timestamp(as_of).normalize()


def ageing_bucket(days: pd.Series) -> pd.Series:
    """The AGEING_BUCKETS label of each age in whole days (missing stays missing)."""
    d = pd.to_numeric(days, errors="coerce").astype(float)
    conds = [(d >= lo) & (d <= hi) for lo, hi, _ in AGEING_BUCKETS]
    out = np.select(conds, list(AGEING_LABELS), default="")
    return pd.Series(out, index=days.index, dtype=object).replace("", None)


def action_register(
    frames: dict[str, pd.DataFrame], alliance_id: str, as_of: object
) -> pd.DataFrame:
    """Every action item of the alliance opened by ``as_of`` (joint activities, meeting
    actions, improvement actions), one row each, most urgent first.

    ``state`` is governance.action_log's (done, cancelled, overdue, open: what
    action_closure counts for crack 5). ``age_days``: days from opened to ``as_of`` while
    still open, to the day closed once done (NaN when cancelled); ``bucket``: the
    AGEING_BUCKETS label of an open action's age; ``overdue``: open past its due date;
    ``days_overdue``: days past due (0 when not overdue). ``objective``: the title of the
    objective it serves, if any.
    """
    day = pd.Timestamp(as_of).normalize()
    log = action_log(frames, alliance_id, day, meetings_only=False)
    a = table(frames, "actions").set_index("id")
    extra = a.loc[log["id"], ["kind", "objective_id", "crack"]].reset_index()
    out = log.merge(extra, on="id", how="left")
    objectives = table(frames, "objectives").set_index("id")["title"]
    out["objective"] = out["objective_id"].map(objectives)
    is_open = out["state"].isin(["open", "overdue"])
    done = out["state"] == "done"
    end = out["closed_on"].where(done & out["closed_on"].notna(), day)
    age = (end - out["opened_on"]).dt.days.astype(float)
    out["age_days"] = age.where(is_open | done)
    out["bucket"] = ageing_bucket(out["age_days"].where(is_open))
    out["overdue"] = out["state"] == "overdue"
    late = (day - out["due_on"]).dt.days.astype(float)
    out["days_overdue"] = late.where(out["overdue"], 0.0).fillna(0.0).astype(int)
    cols = ["id", "kind", "title", "objective_id", "objective", "owner", "owner_side",
            "opened_on", "due_on", "status", "closed_on", "state", "age_days", "bucket",
            "overdue", "days_overdue", "crack", "meeting_id"]  # fmt: skip
    return out[cols]


def ageing_summary(register: pd.DataFrame) -> pd.DataFrame:
    """Open action items per ageing bucket and owner side (tidy: bucket, side, open,
    overdue); every bucket and side appears, with zeros."""
    open_ = register[register["state"].isin(["open", "overdue"])]
    grid = pd.MultiIndex.from_product([AGEING_LABELS, ("us", "partner")], names=["bucket", "side"])
    g = open_.groupby([open_["bucket"], open_["owner_side"].rename("side")])
    out = pd.DataFrame({"open": g.size(), "overdue": g["overdue"].sum()}).reindex(grid)
    return out.fillna(0).astype(int).reset_index()


def actions_by_objective(register: pd.DataFrame) -> pd.DataFrame:
    """Per objective (and "(no objective)"): actions, open, overdue, done, and how many
    each side owns; objectives with open work first."""
    r = register[register["state"] != "cancelled"].copy()
    r["objective"] = r["objective"].fillna("(no objective)")
    g = r.groupby("objective", sort=False)
    out = pd.DataFrame(
        {
            "actions": g.size(),
            "open": g["state"].apply(lambda s: int(s.isin(["open", "overdue"]).sum())),
            "overdue": g["overdue"].sum().astype(int),
            "done": g["state"].apply(lambda s: int((s == "done").sum())),
            "owned_by_us": g["owner_side"].apply(lambda s: int((s == "us").sum())),
            "owned_by_partner": g["owner_side"].apply(lambda s: int((s == "partner").sum())),
        }
    )
    out = out.sort_values(["open", "actions"], ascending=False, kind="stable")
    return out.reset_index()


def resource_history(frames: dict[str, pd.DataFrame], alliance_id: str) -> pd.DataFrame:
    """The alliance's resources per period and side (lines summed): FTE and budget
    committed, assigned and ``*_shortfall`` = committed - assigned where positive (more
    assigned than committed is no shortfall), oldest period first."""
    r = table(frames, "resources")
    r = r[r["alliance_id"] == alliance_id]
    cols = ["fte_committed", "fte_assigned", "budget_committed", "budget_assigned"]
    out = r.groupby(["period", "side"])[cols].sum().reset_index()
    for kind in ("fte", "budget"):
        gap = out[f"{kind}_committed"] - out[f"{kind}_assigned"]
        out[f"{kind}_shortfall"] = gap.clip(lower=0.0)
    return out.sort_values(["period", "side"], ignore_index=True)


def resource_shortfall(
    frames: dict[str, pd.DataFrame], alliance_id: str, period: str
) -> pd.DataFrame:
    """Per partner (side), from resource_fulfilment (the crack 6 evidence: each side's
    latest period up to ``period``): FTE and budget committed and assigned, the shortfall
    (committed - assigned, not below 0) and the share assigned (``fte_ratio``,
    ``budget_ratio``, ``fulfilment``, capped at 1 as health scores them)."""
    f = resource_fulfilment(frames, period)
    f = f[f["alliance_id"] == alliance_id].copy()
    for kind in ("fte", "budget"):
        gap = f[f"{kind}_committed"] - f[f"{kind}_assigned"]
        f[f"{kind}_shortfall"] = gap.clip(lower=0.0)
    cols = ["side", "period", "fte_committed", "fte_assigned", "fte_shortfall", "fte_ratio",
            "budget_committed", "budget_assigned", "budget_shortfall", "budget_ratio",
            "fulfilment"]  # fmt: skip
    return f[cols].reset_index(drop=True)
