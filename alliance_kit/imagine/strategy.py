"""Strategy (Imagine): is the alliance strategy documented, approved by both partners and
communicated to the people who need it on both sides?"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from alliance_kit.records import measures
from alliance_kit.records.measures import table, window_bounds
from alliance_kit.records.model import SIDES


def strategy_status(frames: dict[str, pd.DataFrame], period: str) -> pd.DataFrame:
    """Per alliance, as of the period's end: ``documented`` (a strategy record whose
    documented date has passed, or with a vision but no date), ``approved_us`` /
    ``approved_partner`` (approval dates passed), ``briefed_<side>`` (any strategy
    briefing to that side), ``acknowledged_<side>`` (any acknowledged one) and
    ``recorded`` (a strategy record exists at all: without one there is nothing to
    score)."""
    asof = np.datetime64(window_bounds(period, 1)[1], "ns")
    s = table(frames, "strategies")
    documented_on = measures.days(s["documented_on"])
    flags = {
        "documented": (documented_on <= asof)
        | (np.isnat(documented_on) & s["vision"].notna().to_numpy()),
        "approved_us": measures.days(s["approved_us_on"]) <= asof,
        "approved_partner": measures.days(s["approved_partner_on"]) <= asof,
    }
    n = len(table(frames, "alliances"))
    found = measures.positions(frames, s["alliance_id"])
    row = np.full(n, -1)  # each alliance's strategy record (the alliance is its key)
    row[found[found >= 0]] = np.flatnonzero(found >= 0)
    out = measures.per_alliance(
        frames, **{c: measures.take(v, row, False) for c, v in flags.items()}
    )
    out["recorded"] = row >= 0
    b = table(frames, "briefings")
    k = len(SIDES)
    shown = measures.equals(b["topic"], "strategy") & (measures.days(b["briefed_on"]) <= asof)
    pos, side = measures.positions(frames, b["alliance_id"]), measures.side_codes(b["side"])
    key = np.where(shown & (pos >= 0) & (side >= 0), pos * k + side, -1)
    briefed = measures.count(key, n * k).reshape(n, k) > 0
    acknowledged = measures.count(key, n * k, b["acknowledged"].astype(int) > 0).reshape(n, k) > 0
    for i, side_name in enumerate(SIDES):
        out[f"briefed_{side_name}"] = briefed[:, i]
        out[f"acknowledged_{side_name}"] = acknowledged[:, i]
    return out


# --- strategy workbook: the one-page document, the communication log, crack 2 evidence ---
# Added for the strategy workbook (Imagine). The evidence reuses the health module's crack 2
# indicators (which read strategy_status above), so the workbook shows the same figures as
# the health assessment.

#: The strategy's text fields in the order the document shows them, with their headings.
SECTIONS = {
    "vision": "Vision",
    "scope_in": "In scope",
    "scope_out": "Out of scope",
    "value_us": "Value for us",
    "value_partner": "Value for the partner",
    "target_markets": "Target markets",
}


def _present(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return False
    if isinstance(value, float) and value != value:
        return False
    return not (isinstance(value, str) and not value.strip())


def _row(frame: pd.DataFrame, column: str, value: str) -> dict[str, Any]:
    rows = frame[frame[column] == value]
    return {} if rows.empty else rows.iloc[0].to_dict()


def missing_sections(strategy: Mapping[str, Any]) -> list[str]:
    """The document's headings whose text is still empty for this strategy record."""
    return [title for col, title in SECTIONS.items() if not _present(strategy.get(col))]


def communication_log(
    frames: dict[str, pd.DataFrame], alliance_id: str, topic: str = "strategy"
) -> pd.DataFrame:
    """Who was briefed on the topic, when and whether they acknowledged it, newest first:
    id, side, audience, briefed_on, acknowledged."""
    b = table(frames, "briefings")
    b = b[(b["alliance_id"] == alliance_id) & (b["topic"] == topic)]
    cols = ["id", "side", "audience", "briefed_on", "acknowledged"]
    return b.sort_values(["briefed_on", "id"], ascending=[False, True])[cols].reset_index(drop=True)


def document_context(
    frames: dict[str, pd.DataFrame], alliance_id: str, period: str | None = None
) -> dict[str, Any]:
    """Everything the strategy document shows, as plain values (no store access)."""
    alliance = _row(table(frames, "alliances"), "id", alliance_id)
    if not alliance:
        raise ValueError(f"no alliance {alliance_id!r} in the store")
    strat = _row(table(frames, "strategies"), "alliance_id", alliance_id)
    o = table(frames, "objectives")
    objectives = o[o["alliance_id"] == alliance_id][["id", "title", "description"]]
    k = table(frames, "kpis")
    k = k[k["alliance_id"] == alliance_id]
    kpis_by_objective = k.groupby("objective_id")["name"].apply(list).to_dict()
    log = communication_log(frames, alliance_id)
    sides = {
        side: {
            "briefed": int((log["side"] == side).sum()),
            "acknowledged": int(((log["side"] == side) & log["acknowledged"]).sum()),
        }
        for side in ("us", "partner")
    }

    def day(col: str) -> str | None:
        v = strat.get(col)
        return pd.Timestamp(v).strftime("%Y-%m-%d") if _present(v) else None

    return {
        "alliance": {c: (v if _present(v) else None) for c, v in alliance.items()},
        "sections": [(title, strat.get(col) if _present(strat.get(col)) else None)
                     for col, title in SECTIONS.items()],
        "missing": missing_sections(strat),
        "objectives": [
            {"id": r["id"], "title": r["title"],
             "description": r["description"] if _present(r["description"]) else None,
             "kpis": kpis_by_objective.get(r["id"], [])}
            for r in objectives.to_dict("records")
        ],
        "documented_on": day("documented_on"),
        "approved_us_on": day("approved_us_on"),
        "approved_partner_on": day("approved_partner_on"),
        "briefings": sides,
        "period": period,
    }  # fmt: skip
