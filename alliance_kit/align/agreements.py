"""Agreements and contracts (Align): the register, its alerts, the timeline and who has
been briefed.

Everything is computed "as of" a day (``as_of``): an agreement's notice window, an
obligation's lateness and which agreements are still in use depend on it, and passing it
explicitly keeps the figures reproducible. Functions take the frames dict that
``store.read_all()`` returns (or a part of it) and return DataFrames.

The alert rules (all tested with hand-computed boundaries):

- **notice window**: an agreement in force (status signed or active) with an expiry and a
  notice period is in its window when ``expires_on - notice_days <= as_of < expires_on``
  (a window that opens today is entered; an agreement expiring today is no longer in it,
  it is expired);
- **expired, still in use**: status signed or active and ``expires_on < as_of``;
- **overdue obligation**: status open and ``due_on < as_of`` (due today is not overdue);
- **obligation due soon**: status open and ``as_of <= due_on <= as_of + due_within`` days;
- **no exit provisions**: ISO 44001 plans the exit (stage 8) from the start, so a
  governing agreement in force or being negotiated (types in ``EXIT_EXPECTED``) without
  exit provisions is flagged, and so is an alliance none of whose current agreements
  has any.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from alliance_kit.records.measures import table
from alliance_kit.records.model import SIDES

#: Statuses of an agreement that binds the parties today.
IN_FORCE = ("signed", "active")
#: Statuses of an agreement that is, or is about to be, the basis of the relationship.
CURRENT = ("draft", "negotiation", "signed", "active")
#: Agreement types that govern the relationship and should say how either party exits.
EXIT_EXPECTED = (
    "master alliance agreement",
    "reseller agreement",
    "licence agreement",
    "joint venture agreement",
)
#: Days ahead an open obligation counts as "due soon" unless the caller says otherwise.
DUE_WITHIN = 30
SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}
ALERT_COLUMNS = [
    "alliance_id",
    "agreement_id",
    "obligation_id",
    "kind",
    "severity",
    "date",
    "message",
]


def as_day(as_of: Any) -> pd.Timestamp:
    """``as_of`` (a date, a ``YYYY-MM-DD`` text or a Timestamp) as a midnight Timestamp."""
    if as_of is None:
        raise ValueError("as_of is required: the day the register describes")
    return pd.Timestamp(as_of).normalize()


def _for_alliance(df: pd.DataFrame, alliance_id: str | None) -> pd.DataFrame:
    if alliance_id is None:
        return df
    return df[df["alliance_id"] == alliance_id]


def _fmt(day: Any) -> str:
    return "" if pd.isna(day) else pd.Timestamp(day).strftime("%Y-%m-%d")


# --- obligations --------------------------------------------------------------------------


def obligations(
    frames: dict[str, pd.DataFrame],
    as_of: Any,
    alliance_id: str | None = None,
    due_within: int = DUE_WITHIN,
) -> pd.DataFrame:
    """Every obligation with its agreement and its state as of ``as_of``: ``overdue``
    (open, due before today), ``due soon`` (open, due within ``due_within`` days,
    today included), ``open``, ``done`` or ``waived``; ``days_late`` for overdue ones."""
    day = as_day(as_of)
    o = table(frames, "obligations")
    ag = table(frames, "agreements")[["id", "alliance_id", "title", "type"]]
    o = o.merge(
        ag.rename(columns={"id": "agreement_id", "title": "agreement", "type": "agreement_type"}),
        on="agreement_id",
        how="left",
    )
    o = _for_alliance(o, alliance_id)
    is_open = o["status"] == "open"
    overdue = is_open & (o["due_on"] < day)
    soon = is_open & (o["due_on"] >= day) & (o["due_on"] <= day + pd.Timedelta(days=due_within))
    o = o.assign(
        state=np.select([overdue, soon], ["overdue", "due soon"], o["status"]).astype(object),
        days_late=((day - o["due_on"]).dt.days).where(overdue).astype("Int64"),
    )
    order = o["state"].map({"overdue": 0, "due soon": 1, "open": 2}).fillna(3)
    cols = [
        "alliance_id",
        "agreement_id",
        "agreement",
        "id",
        "description",
        "owner",
        "owner_side",
        "due_on",
        "status",
        "completed_on",
        "state",
        "days_late",
    ]
    return (
        o.assign(_o=order)
        .sort_values(["alliance_id", "_o", "due_on", "id"])[cols]
        .reset_index(drop=True)
    )


# --- the register -------------------------------------------------------------------------


def notice_starts(ag: pd.DataFrame) -> pd.Series:
    """The day each agreement's notice window opens (expiry minus notice period); NaT
    without an expiry or a notice period."""
    days = pd.to_timedelta(ag["notice_days"].astype("Float64").astype(float), unit="D")
    return ag["expires_on"] - days


def _state(ag: pd.DataFrame, day: pd.Timestamp) -> pd.Series:
    starts = notice_starts(ag)
    in_force = ag["status"].isin(IN_FORCE)
    expired_in_use = in_force & (ag["expires_on"] < day)
    window = in_force & (starts <= day) & (day < ag["expires_on"])
    return pd.Series(
        np.select(
            [expired_in_use, window, in_force],
            ["expired, still in use", "in notice window", "in force"],
            ag["status"],
        ),
        index=ag.index,
        dtype=object,
    )


def _exit_flag(ag: pd.DataFrame) -> pd.Series:
    text = ag["exit_provisions"].astype(object)
    return text.notna() & (text.astype(str).str.strip() != "")


def register(
    frames: dict[str, pd.DataFrame], as_of: Any, alliance_id: str | None = None
) -> pd.DataFrame:
    """The agreements register as of ``as_of``: each agreement with its dates, notice
    window, ``state`` (in force, in notice window, expired but still in use, or its
    status), days to expiry, whether it has exit provisions, its open and overdue
    obligations and how many briefings each side had on it."""
    day = as_day(as_of)
    ag = _for_alliance(table(frames, "agreements"), alliance_id).copy()
    ag["notice_from"] = notice_starts(ag)
    ag["state"] = _state(ag, day)
    ag["days_to_expiry"] = (ag["expires_on"] - day).dt.days.astype("Int64")
    ag["has_exit"] = _exit_flag(ag)
    ob = obligations(frames, day, alliance_id)
    counts = pd.DataFrame(
        {
            "open_obligations": (ob["status"] == "open").groupby(ob["agreement_id"]).sum(),
            "overdue_obligations": (ob["state"] == "overdue").groupby(ob["agreement_id"]).sum(),
        }
    )
    ag = ag.merge(counts, left_on="id", right_index=True, how="left")
    br = table(frames, "briefings")
    br = br[(br["topic"] == "agreement") & br["agreement_id"].notna()]
    for side in SIDES:
        n = br[br["side"] == side].groupby("agreement_id").size()
        ag[f"briefed_{side}"] = ag["id"].map(n)
    num = ["open_obligations", "overdue_obligations", *(f"briefed_{s}" for s in SIDES)]
    ag[num] = ag[num].fillna(0).astype(int)
    cols = [
        "alliance_id",
        "id",
        "type",
        "title",
        "parties",
        "status",
        "state",
        "signed_on",
        "effective_on",
        "expires_on",
        "notice_days",
        "notice_from",
        "days_to_expiry",
        "auto_renew",
        "has_exit",
        "exit_provisions",
        "open_obligations",
        "overdue_obligations",
        *(f"briefed_{s}" for s in SIDES),
    ]
    return ag[cols].sort_values(["alliance_id", "id"]).reset_index(drop=True)


def exit_coverage(frames: dict[str, pd.DataFrame], alliance_id: str | None = None) -> pd.DataFrame:
    """Per alliance: current agreements (draft to active), how many of them state exit
    provisions, and ``has_exit``: whether any does (ISO 44001 stage 8 planned)."""
    a = _for_alliance(table(frames, "alliances")[["id"]].rename(columns={"id": "alliance_id"}),
                      alliance_id)  # fmt: skip
    ag = table(frames, "agreements")
    ag = ag[ag["status"].isin(CURRENT)]
    g = pd.DataFrame(
        {
            "agreements": ag.groupby("alliance_id").size(),
            "with_exit": _exit_flag(ag).groupby(ag["alliance_id"]).sum(),
        }
    )
    out = a.merge(g, left_on="alliance_id", right_index=True, how="left")
    out[["agreements", "with_exit"]] = out[["agreements", "with_exit"]].fillna(0).astype(int)
    out["has_exit"] = out["with_exit"] > 0
    return out.reset_index(drop=True)


# --- alerts -------------------------------------------------------------------------------


def _alert_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    out = pd.DataFrame(rows, columns=ALERT_COLUMNS)
    if out.empty:
        return out.astype({"date": "datetime64[ns]"})
    out["date"] = pd.to_datetime(out["date"])
    return out


def _notice_alerts(ag: pd.DataFrame, day: pd.Timestamp) -> list[dict[str, Any]]:
    rows = []
    for r in ag[ag["state"] == "in notice window"].to_dict("records"):
        left = (r["expires_on"] - day).days
        what = (
            "renews automatically unless notice is given"
            if r["auto_renew"]
            else "ends unless it is renewed"
        )
        rows.append(
            {
                "alliance_id": r["alliance_id"],
                "agreement_id": r["id"],
                "obligation_id": None,
                "kind": "notice window",
                "severity": "high" if r["auto_renew"] or left <= 30 else "medium",
                "date": r["notice_from"],
                "message": (
                    f"{r['title']}: notice window ({int(r['notice_days'])} days) opened "
                    f"{_fmt(r['notice_from'])}; it expires {_fmt(r['expires_on'])} "
                    f"({left} days left) and {what}: decide renewal or exit now"
                ),
            }
        )
    return rows


def _expired_alerts(ag: pd.DataFrame, day: pd.Timestamp) -> list[dict[str, Any]]:
    return [
        {
            "alliance_id": r["alliance_id"],
            "agreement_id": r["id"],
            "obligation_id": None,
            "kind": "expired, still in use",
            "severity": "high",
            "date": r["expires_on"],
            "message": (
                f"{r['title']}: expired {_fmt(r['expires_on'])} "
                f"({(day - r['expires_on']).days} days ago) but is still marked {r['status']}: "
                "renew it or record that it ended"
            ),
        }
        for r in ag[ag["state"] == "expired, still in use"].to_dict("records")
    ]


def _obligation_alerts(ob: pd.DataFrame, day: pd.Timestamp) -> list[dict[str, Any]]:
    rows = []
    for r in ob[ob["state"].isin(["overdue", "due soon"])].to_dict("records"):
        overdue = r["state"] == "overdue"
        if overdue:
            when = f"was due {_fmt(r['due_on'])} ({int(r['days_late'])} days overdue)"
        else:
            left = (r["due_on"] - day).days
            when = f"is due {_fmt(r['due_on'])} ({'today' if left == 0 else f'in {left} days'})"
        rows.append(
            {
                "alliance_id": r["alliance_id"],
                "agreement_id": r["agreement_id"],
                "obligation_id": r["id"],
                "kind": "overdue obligation" if overdue else "obligation due soon",
                "severity": "high" if overdue else "low",
                "date": r["due_on"],
                "message": (
                    f"{r['description']} ({r['agreement']}) {when}; owner {r['owner']} "
                    f"({r['owner_side']})"
                ),
            }
        )
    return rows


def _exit_alerts(
    frames: dict[str, pd.DataFrame], ag: pd.DataFrame, alliance_id: str | None
) -> list[dict[str, Any]]:
    missing = ag[ag["type"].isin(EXIT_EXPECTED) & ag["status"].isin(CURRENT) & ~ag["has_exit"]]
    rows = [
        {
            "alliance_id": r["alliance_id"],
            "agreement_id": r["id"],
            "obligation_id": None,
            "kind": "no exit provisions",
            "severity": "medium",
            "date": None,
            "message": (
                f"{r['title']} ({r['type']}, {r['status']}) says nothing about how either "
                "party exits: agree a joint exit process now (ISO 44001 stage 8)"
            ),
        }
        for r in missing.to_dict("records")
    ]
    cov = exit_coverage(frames, alliance_id)
    flagged = set(missing["alliance_id"])
    for r in cov[~cov["has_exit"] & ~cov["alliance_id"].isin(flagged)].to_dict("records"):
        rows.append(
            {
                "alliance_id": r["alliance_id"],
                "agreement_id": None,
                "obligation_id": None,
                "kind": "no exit provisions",
                "severity": "medium",
                "date": None,
                "message": (
                    f"none of the alliance's {r['agreements']} current agreements has exit "
                    "provisions: plan the exit from the start (ISO 44001 stage 8)"
                ),
            }
        )
    return rows


def alerts(
    frames: dict[str, pd.DataFrame],
    as_of: Any,
    alliance_id: str | None = None,
    due_within: int = DUE_WITHIN,
) -> pd.DataFrame:
    """Every agreement alert as of ``as_of`` (rules in the module doc), most severe first:
    ``alliance_id, agreement_id, obligation_id, kind, severity, date, message``."""
    day = as_day(as_of)
    ag = register(frames, day, alliance_id)
    ob = obligations(frames, day, alliance_id, due_within)
    rows = (
        _expired_alerts(ag, day)
        + _notice_alerts(ag, day)
        + _obligation_alerts(ob, day)
        + _exit_alerts(frames, ag, alliance_id)
    )
    out = _alert_frame(rows)
    if out.empty:
        return out
    out["_s"] = out["severity"].map(SEVERITY_ORDER)
    return (
        out.sort_values(["_s", "alliance_id", "date", "agreement_id"], na_position="last")
        .drop(columns="_s")
        .reset_index(drop=True)
    )


def alert_counts(alert_frame: pd.DataFrame) -> dict[str, int]:
    """Number of alerts of each kind (every kind present, zero if none)."""
    kinds = (
        "notice window",
        "expired, still in use",
        "overdue obligation",
        "obligation due soon",
        "no exit provisions",
    )
    counts = alert_frame["kind"].value_counts()
    return {k: int(counts.get(k, 0)) for k in kinds}


# --- timeline -----------------------------------------------------------------------------


def timeline(
    frames: dict[str, pd.DataFrame], as_of: Any, alliance_id: str | None = None
) -> pd.DataFrame:
    """Bars for a gantt chart of agreements: one ``in force`` segment per agreement from
    its effective (else signed) date to the start of its notice window (or expiry), and a
    ``notice window`` segment to expiry. Agreements without dates have no bar; one without
    an expiry runs to a year after ``as_of`` and is marked ``open_ended``."""
    day = as_day(as_of)
    ag = register(frames, day, alliance_id)
    start = ag["effective_on"].fillna(ag["signed_on"])
    open_ended = ag["expires_on"].isna()
    end = ag["expires_on"].fillna(day + pd.Timedelta(days=365))
    notice = ag["notice_from"].where(ag["notice_from"].notna() & ~open_ended)
    label = ag["id"] + " " + ag["title"].astype(str).str.slice(0, 48)
    base = pd.DataFrame(
        {
            "alliance_id": ag["alliance_id"],
            "agreement_id": ag["id"],
            "label": label,
            "type": ag["type"],
            "status": ag["status"],
            "state": ag["state"],
            "open_ended": open_ended,
        }
    )
    # the in-force bar ends where the notice window opens (never before it starts)
    force_end = notice.where(notice.isna() | (notice > start), start).fillna(end)
    force_end = force_end.where(force_end < end, end)
    in_force = base.assign(segment="in force", start=start, end=force_end)
    window = base.assign(segment="notice window", start=force_end, end=end)[notice.notna()]
    out = pd.concat([in_force, window], ignore_index=True)
    out = out[out["start"].notna() & (out["end"] > out["start"])]
    return out.sort_values(["alliance_id", "agreement_id", "start"]).reset_index(drop=True)


# --- briefings ----------------------------------------------------------------------------


def briefings_by_agreement(
    frames: dict[str, pd.DataFrame], alliance_id: str | None = None
) -> pd.DataFrame:
    """Who inside each organization was briefed on each agreement: one row per agreement
    and side with the audiences (as recorded), the number of briefings, how many were
    acknowledged and the last briefing day. Sides nobody briefed show 0."""
    ag = _for_alliance(table(frames, "agreements"), alliance_id)[["alliance_id", "id", "title"]]
    grid = ag.rename(columns={"id": "agreement_id", "title": "agreement"}).merge(
        pd.DataFrame({"side": list(SIDES)}), how="cross"
    )
    br = table(frames, "briefings")
    br = br[(br["topic"] == "agreement") & br["agreement_id"].notna()]
    g = br.sort_values("briefed_on").groupby(["agreement_id", "side"])
    agg = pd.DataFrame(
        {
            "audiences": g["audience"].agg(lambda s: ", ".join(dict.fromkeys(s.astype(str)))),
            "briefings": g.size(),
            "acknowledged": g["acknowledged"].sum(),
            "last_briefed": g["briefed_on"].max(),
        }
    )
    out = grid.merge(agg, left_on=["agreement_id", "side"], right_index=True, how="left")
    out[["briefings", "acknowledged"]] = out[["briefings", "acknowledged"]].fillna(0).astype(int)
    out["audiences"] = out["audiences"].fillna("")
    side_order = out["side"].map({s: i for i, s in enumerate(SIDES)})
    return (
        out.assign(_s=side_order)
        .sort_values(["alliance_id", "agreement_id", "_s"])
        .drop(columns="_s")
        .reset_index(drop=True)
    )


def briefing_coverage(
    frames: dict[str, pd.DataFrame], alliance_id: str | None = None
) -> pd.DataFrame:
    """Per alliance and side: agreements in force, how many of them someone on that side
    was briefed on, and acknowledged; ``coverage`` = briefed / in force and
    ``acknowledged_share`` = acknowledged / in force (NaN when nothing is in force)."""
    ag = _for_alliance(table(frames, "agreements"), alliance_id)
    in_force = ag[ag["status"].isin(IN_FORCE)]
    by = briefings_by_agreement(frames, alliance_id)
    by = by[by["agreement_id"].isin(in_force["id"])]
    ids = _for_alliance(table(frames, "alliances")[["id"]].rename(columns={"id": "alliance_id"}),
                        alliance_id)  # fmt: skip
    grid = ids.merge(pd.DataFrame({"side": list(SIDES)}), how="cross")
    n = in_force.groupby("alliance_id").size().rename("in_force")
    g = by.groupby(["alliance_id", "side"])
    agg = pd.DataFrame(
        {
            "briefed": g["briefings"].agg(lambda s: int((s > 0).sum())),
            "acknowledged": g["acknowledged"].agg(lambda s: int((s > 0).sum())),
        }
    )
    out = grid.merge(n, left_on="alliance_id", right_index=True, how="left")
    out = out.merge(agg, left_on=["alliance_id", "side"], right_index=True, how="left")
    cols = ["in_force", "briefed", "acknowledged"]
    out[cols] = out[cols].fillna(0).astype(int)
    denom = out["in_force"].where(out["in_force"] > 0)
    out["coverage"] = out["briefed"] / denom
    out["acknowledged_share"] = out["acknowledged"] / denom
    return out.reset_index(drop=True)


def default_as_of(period: str | None, as_of: Any = None) -> dt.date:
    """The day a workbook describes: ``as_of`` if given, else the last day of ``period``
    (the notebooks' convention), else today."""
    from alliance_kit.records import periods

    if as_of is not None:
        return as_day(as_of).date()
    if period is not None:
        return periods.end(period)
    return dt.date.today()
