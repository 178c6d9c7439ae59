"""Governance (Align): is the governance model implemented and followed?

Evidence figures from the records, vectorized over the whole portfolio and returned as
tidy frames with one row per alliance (and side where it matters). Every figure is taken
"as of" the last day of a period ``P`` over a look-back ``window`` of quarters ending at
``P`` (4 by default: the last twelve months), so a period's figures do not change when
later records are added.
"""

from __future__ import annotations

import pandas as pd

from alliance_kit import periods
from alliance_kit.model import ORG_LEVEL_RANK, SIDES, TABLES
from alliance_kit.store import typed_frame

#: A sponsor's organizational level as a 0-100 score: crack 1 opens when sponsorship sits
#: too low to commit resources and remove obstacles (VP is the lowest level that can).
SPONSOR_LEVEL_SCORE = {
    "board": 100.0,
    "c-level": 100.0,
    "svp": 85.0,
    "vp": 70.0,
    "director": 40.0,
    "manager": 15.0,
    "staff": 0.0,
}
#: Executives are people at VP level or above.
EXECUTIVE_RANK = ORG_LEVEL_RANK["vp"]
STEERING = "executive steering committee"


def table(frames: dict[str, pd.DataFrame], name: str) -> pd.DataFrame:
    """A table from the frames dict; a missing table is an empty, typed one."""
    df = frames.get(name)
    return df if df is not None else typed_frame(TABLES[name], pd.DataFrame())


def window_bounds(period: str, window: int = 4) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last day of the ``window`` quarters ending with ``period``."""
    first = periods.shift(period, -(window - 1))
    return pd.Timestamp(periods.start(first)), pd.Timestamp(periods.end(period))


def _alliance_ids(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    return table(frames, "alliances")[["id"]].rename(columns={"id": "alliance_id"})


def _by_side(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    ids = _alliance_ids(frames)
    return ids.merge(pd.DataFrame({"side": list(SIDES)}), how="cross")


def sponsor_levels(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Executive sponsor per alliance and side: ``level`` and its 0-100 ``score``
    (SPONSOR_LEVEL_SCORE; no sponsor recorded scores 0)."""
    a = table(frames, "alliances")
    parts = []
    for side, name, level in (
        ("us", "our_sponsor", "our_sponsor_level"),
        ("partner", "partner_sponsor", "partner_sponsor_level"),
    ):
        parts.append(
            pd.DataFrame(
                {
                    "alliance_id": a["id"],
                    "side": side,
                    "sponsor": a[name],
                    "level": a[level],
                }
            )
        )
    out = pd.concat(parts, ignore_index=True)
    out["score"] = out["level"].map(SPONSOR_LEVEL_SCORE).astype(float).fillna(0.0)
    return out.sort_values(["alliance_id", "side"], ignore_index=True)


def _active_quarters(frames: dict[str, pd.DataFrame], period: str, window: int) -> pd.Series:
    """Quarters of the window each alliance was running (from its start quarter on)."""
    a = table(frames, "alliances")
    first = periods.shift(period, -(window - 1))
    y0, q0 = periods.parse(first)
    start = pd.to_datetime(a["start_date"])
    start_index = start.dt.year * 4 + (start.dt.quarter - 1)
    skipped = (start_index - (y0 * 4 + q0 - 1)).clip(lower=0).fillna(0)
    return pd.Series((window - skipped).clip(lower=0).to_numpy(), index=a["id"].to_numpy())


def meeting_adherence(
    frames: dict[str, pd.DataFrame], period: str, window: int = 4
) -> pd.DataFrame:
    """Meetings held against planned, per alliance, over the window.

    Per body, ``planned`` is the larger of the meetings scheduled in the window (meeting
    records whatever their status) and what its cadence asks for (``meetings_per_year`` x
    quarters the alliance ran in the window / 4), so a team that stops scheduling
    meetings does not look compliant. ``held`` counts meetings with status held.
    ``rate`` = held / planned capped at 1; an alliance without governance bodies has
    ``rate`` 0 (no governance model implemented); planned 0 gives NaN.
    """
    since, asof = window_bounds(period, window)
    bodies = table(frames, "governance_bodies")[["id", "alliance_id", "meetings_per_year"]]
    m = table(frames, "meetings")
    m = m[(m["planned_on"] >= since) & (m["planned_on"] <= asof)]
    held = (m["status"] == "held") & (m["held_on"].isna() | (m["held_on"] <= asof))
    per_body = pd.DataFrame(
        {"scheduled": m.groupby("body_id").size(), "held": held.groupby(m["body_id"]).sum()}
    )
    b = bodies.merge(per_body, left_on="id", right_index=True, how="left")
    b[["scheduled", "held"]] = b[["scheduled", "held"]].fillna(0)
    quarters = b["alliance_id"].map(_active_quarters(frames, period, window)).fillna(0)
    b["expected"] = b["meetings_per_year"].astype(float) * quarters / 4
    b["planned"] = b[["expected", "scheduled"]].max(axis=1)
    agg = b.groupby("alliance_id").agg(
        bodies=("id", "size"),
        expected=("expected", "sum"),
        scheduled=("scheduled", "sum"),
        planned=("planned", "sum"),
        held=("held", "sum"),
    )
    out = _alliance_ids(frames).merge(agg, left_on="alliance_id", right_index=True, how="left")
    out["bodies"] = out["bodies"].fillna(0).astype(int)
    out[["expected", "scheduled", "planned", "held"]] = out[
        ["expected", "scheduled", "planned", "held"]
    ].fillna(0.0)
    rate = (out["held"] / out["planned"].where(out["planned"] > 0)).clip(upper=1.0)
    out["rate"] = rate.where(out["bodies"] > 0, 0.0)
    return out.reset_index(drop=True)


def _held_meetings(frames: dict[str, pd.DataFrame], period: str, window: int) -> pd.DataFrame:
    since, asof = window_bounds(period, window)
    m = table(frames, "meetings")
    when = m["held_on"].fillna(m["planned_on"])
    keep = (m["status"] == "held") & (when >= since) & (when <= asof)
    return m.loc[keep, ["id", "body_id"]]


def executive_attendance(
    frames: dict[str, pd.DataFrame], period: str, window: int = 4
) -> pd.DataFrame:
    """Share of held executive steering committee meetings in the window that at least
    one executive (VP or above) of the side attended, per alliance and side.
    ``rate`` is NaN when no steering meeting was held (meeting adherence shows that)."""
    bodies = table(frames, "governance_bodies")
    steering = bodies.loc[bodies["kind"] == STEERING, ["id", "alliance_id"]]
    held = _held_meetings(frames, period, window).merge(
        steering, left_on="body_id", right_on="id", suffixes=("", "_body")
    )[["id", "alliance_id"]]
    n_meetings = held.groupby("alliance_id").size().rename("steering_meetings")
    att = table(frames, "attendance")
    att = att[att["attended"]]
    people = table(frames, "people")[["id", "side", "org_level"]]
    execs = people[people["org_level"].map(ORG_LEVEL_RANK).fillna(-1) >= EXECUTIVE_RANK]
    present = att.merge(execs, left_on="person_id", right_on="id")[["meeting_id", "side"]]
    present = present.merge(held, left_on="meeting_id", right_on="id")
    with_exec = (
        present.drop_duplicates(["meeting_id", "side"])
        .groupby(["alliance_id", "side"])
        .size()
        .rename("with_executive")
    )
    out = _by_side(frames).merge(n_meetings, left_on="alliance_id", right_index=True, how="left")
    out = out.merge(with_exec, left_on=["alliance_id", "side"], right_index=True, how="left")
    out["steering_meetings"] = out["steering_meetings"].fillna(0).astype(int)
    out["with_executive"] = out["with_executive"].fillna(0).astype(int)
    out["rate"] = out["with_executive"] / out["steering_meetings"].where(
        out["steering_meetings"] > 0
    )
    return out.reset_index(drop=True)


def decision_latency(frames: dict[str, pd.DataFrame], period: str, window: int = 4) -> pd.DataFrame:
    """Days from a decision being asked for to it being made, per alliance.

    Counts decisions decided in the window and those still pending at the period's end
    (their age so far: a pending decision is at least that late). ``median_days`` is
    NaN when there were none.
    """
    since, asof = window_bounds(period, window)
    d = table(frames, "decisions")
    d = d[d["raised_on"] <= asof]
    decided = d["decided_on"].notna() & (d["decided_on"] <= asof)
    keep = (decided & (d["decided_on"] >= since)) | ~decided
    d = d[keep]
    end = d["decided_on"].where(decided[keep], asof)
    days = (end - d["raised_on"]).dt.days.astype(float)
    g = days.groupby(d["alliance_id"])
    agg = pd.DataFrame(
        {
            "decisions": g.size(),
            "pending": (~decided[keep]).groupby(d["alliance_id"]).sum(),
            "median_days": g.median(),
            "mean_days": g.mean(),
        }
    )
    out = _alliance_ids(frames).merge(agg, left_on="alliance_id", right_index=True, how="left")
    out[["decisions", "pending"]] = out[["decisions", "pending"]].fillna(0).astype(int)
    return out.reset_index(drop=True)


def action_closure(
    frames: dict[str, pd.DataFrame],
    period: str,
    window: int = 4,
    kinds: tuple[str, ...] | None = None,
) -> pd.DataFrame:
    """Action items closed against due, per alliance.

    ``due``: actions (not cancelled) due in the window; ``closed``: those of them done
    by the period's end; ``rate`` = closed / due (NaN when nothing was due).
    ``overdue``: actions of any due date still open at the period's end and past due.
    ``kinds`` limits to some action kinds (default: all).
    """
    since, asof = window_bounds(period, window)
    a = table(frames, "actions")
    a = a[a["status"] != "cancelled"]
    if kinds is not None:
        a = a[a["kind"].isin(kinds)]
    closed = (a["status"] == "done") & (a["closed_on"].isna() | (a["closed_on"] <= asof))
    in_window = (a["due_on"] >= since) & (a["due_on"] <= asof)
    overdue = ~closed & (a["due_on"] < asof) & (a["opened_on"] <= asof)
    agg = pd.DataFrame(
        {
            "due": in_window.groupby(a["alliance_id"]).sum(),
            "closed": (in_window & closed).groupby(a["alliance_id"]).sum(),
            "overdue": overdue.groupby(a["alliance_id"]).sum(),
        }
    )
    out = _alliance_ids(frames).merge(agg, left_on="alliance_id", right_index=True, how="left")
    out[["due", "closed", "overdue"]] = out[["due", "closed", "overdue"]].fillna(0).astype(int)
    out["rate"] = out["closed"] / out["due"].where(out["due"] > 0)
    return out.reset_index(drop=True)
