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


# =========================================================================================
# --- governance workbook (Align): bodies, RACI, escalation, meeting log, adherence, charter
# Owned by the Align workbook helper. The adherence figures below are the functions above
# (the ones health scoring uses as evidence), only gathered per alliance and period.
# =========================================================================================

import numpy as np  # noqa: E402 - this section's imports stay inside it

from alliance_kit.model import BODY_KINDS, RACI_ROLES  # noqa: E402

#: Meetings a year in words, for the cadence column and the charter.
CADENCE_WORDS = {
    0: "no regular meetings",
    1: "yearly",
    2: "twice a year",
    4: "quarterly",
    6: "every two months",
    12: "monthly",
    24: "twice a month",
    52: "weekly",
}


def cadence_label(meetings_per_year: object) -> str:
    """``12`` -> ``monthly``; other counts read ``N a year``; missing reads ``not set``."""
    if meetings_per_year is None or pd.isna(meetings_per_year):
        return "not set"
    n = int(meetings_per_year)
    return CADENCE_WORDS.get(n, f"{n} a year")


def _of_alliance(df: pd.DataFrame, alliance_id: str) -> pd.DataFrame:
    return df[df["alliance_id"] == alliance_id]


def _is_executive(level: pd.Series) -> pd.Series:
    return level.map(ORG_LEVEL_RANK).fillna(-1) >= EXECUTIVE_RANK


def body_roster(frames: dict[str, pd.DataFrame], alliance_id: str) -> pd.DataFrame:
    """Members of the alliance's governance bodies: body, person, side, level, role in
    the body, and whether they are an executive (VP or above)."""
    bodies = _of_alliance(table(frames, "governance_bodies"), alliance_id)[["id", "name", "kind"]]
    m = table(frames, "body_members").merge(
        bodies.rename(columns={"id": "body_id", "name": "body"}), on="body_id"
    )
    people = table(frames, "people")[["id", "name", "side", "org_level", "role"]].rename(
        columns={"id": "person_id", "role": "job"}
    )
    m = m.merge(people, on="person_id", how="left")
    m["executive"] = _is_executive(m["org_level"])
    rank = m["org_level"].map(ORG_LEVEL_RANK).fillna(-1)
    m = m.assign(_side=m["side"].map({s: i for i, s in enumerate(SIDES)}), _rank=-rank)
    cols = ["body_id", "body", "kind", "person_id", "name", "side", "org_level", "job", "role",
            "executive"]  # fmt: skip
    return m.sort_values(["body_id", "_side", "_rank", "name"])[cols].reset_index(drop=True)


def alliance_bodies(frames: dict[str, pd.DataFrame], alliance_id: str) -> pd.DataFrame:
    """The alliance's governance bodies with cadence, escalation target and membership
    per side: members, executives and the most senior level on each side, and
    ``both_sides`` (a joint body needs members from both partners)."""
    b = _of_alliance(table(frames, "governance_bodies"), alliance_id).copy()
    names = table(frames, "governance_bodies").set_index("id")["name"]
    b["cadence"] = b["meetings_per_year"].map(cadence_label)
    b["escalates_to_name"] = b["escalates_to"].map(names)
    roster = body_roster(frames, alliance_id)
    for side in SIDES:
        r = roster[roster["side"] == side]
        b[f"members_{side}"] = b["id"].map(r.groupby("body_id").size()).fillna(0).astype(int)
        b[f"executives_{side}"] = (
            b["id"].map(r.groupby("body_id")["executive"].sum()).fillna(0).astype(int)
        )
        top = r.assign(_rank=r["org_level"].map(ORG_LEVEL_RANK)).sort_values("_rank")
        b[f"top_level_{side}"] = b["id"].map(top.groupby("body_id")["org_level"].last())
    b["both_sides"] = (b["members_us"] > 0) & (b["members_partner"] > 0)
    order = {k: i for i, k in enumerate(BODY_KINDS)}
    b = b.assign(_k=b["kind"].map(order)).sort_values(["_k", "id"]).drop(columns="_k")
    return b.reset_index(drop=True)


def raci_matrix(frames: dict[str, pd.DataFrame], alliance_id: str) -> pd.DataFrame:
    """The RACI matrix: decision areas as rows (in the order first recorded), parties as
    columns, the role letters in the cells (``A/R`` when a party holds two; empty when
    none)."""
    r = _of_alliance(table(frames, "raci"), alliance_id)
    if r.empty:
        return pd.DataFrame(index=pd.Index([], name="decision_area"))
    order = {role: i for i, role in enumerate(RACI_ROLES)}
    r = r.assign(_o=r["role"].map(order)).sort_values(["_o"])
    cells = r.groupby(["decision_area", "party"], sort=False)["role"].agg(
        lambda s: "/".join(dict.fromkeys(s))
    )
    matrix = cells.unstack("party").fillna("")
    areas = list(dict.fromkeys(_of_alliance(table(frames, "raci"), alliance_id)["decision_area"]))
    parties = list(dict.fromkeys(_of_alliance(table(frames, "raci"), alliance_id)["party"]))
    matrix = matrix.reindex(index=areas, columns=parties).fillna("")
    matrix.index.name = "decision_area"
    matrix.columns.name = None
    return matrix


def raci_problems(frames: dict[str, pd.DataFrame], alliance_id: str) -> pd.DataFrame:
    """Decision areas whose RACI breaks the usual rules: exactly one Accountable, at least
    one Responsible. One row per problem (``decision_area``, ``problem``)."""
    r = _of_alliance(table(frames, "raci"), alliance_id)
    rows = []
    for area, g in r.groupby("decision_area", sort=False):
        n_a, n_r = int((g["role"] == "A").sum()), int((g["role"] == "R").sum())
        if n_a == 0:
            rows.append((area, "nobody is accountable (A)"))
        elif n_a > 1:
            who = ", ".join(g.loc[g["role"] == "A", "party"].astype(str))
            rows.append((area, f"{n_a} parties are accountable ({who}): name one"))
        if n_r == 0:
            rows.append((area, "nobody is responsible (R)"))
    return pd.DataFrame(rows, columns=["decision_area", "problem"])


def escalation_path(frames: dict[str, pd.DataFrame], alliance_id: str) -> pd.DataFrame:
    """Where each body's issues escalate, followed to the top: ``path`` lists the body
    names from the body up (``Working team → Joint operating committee → Executive
    steering committee``). ``problem`` names a loop, a target that does not exist or one
    of another alliance; the top body of a sound path has none."""
    all_bodies = table(frames, "governance_bodies").set_index("id")
    b = _of_alliance(table(frames, "governance_bodies"), alliance_id)
    rows = []
    for body in b.to_dict("records"):
        seen, names, problem = [body["id"]], [str(body["name"])], ""
        nxt = body["escalates_to"]
        while isinstance(nxt, str) and nxt:
            if nxt not in all_bodies.index:
                problem = f"escalates to {nxt}, which is not a governance body"
                break
            if all_bodies.at[nxt, "alliance_id"] != alliance_id:
                problem = f"escalates to {nxt}, a body of another alliance"
                break
            if nxt in seen:
                problem = "the escalation path loops back to " + str(all_bodies.at[nxt, "name"])
                break
            seen.append(nxt)
            names.append(str(all_bodies.at[nxt, "name"]))
            nxt = all_bodies.at[nxt, "escalates_to"]
        rows.append(
            {
                "body_id": body["id"],
                "body": body["name"],
                "kind": body["kind"],
                "cadence": cadence_label(body["meetings_per_year"]),
                "path": names,
                "path_text": " → ".join(names),
                "top": names[-1],
                "levels": len(names),
                "problem": problem,
            }
        )
    out = pd.DataFrame(
        rows,
        columns=["body_id", "body", "kind", "cadence", "path", "path_text", "top", "levels",
                 "problem"],
    )  # fmt: skip
    return out.sort_values("levels", ascending=False, kind="stable").reset_index(drop=True)


def _meetings_of(frames: dict[str, pd.DataFrame], alliance_id: str) -> pd.DataFrame:
    bodies = _of_alliance(table(frames, "governance_bodies"), alliance_id)[["id", "name"]]
    return table(frames, "meetings").merge(
        bodies.rename(columns={"id": "body_id", "name": "body"}), on="body_id"
    )


def meeting_log(
    frames: dict[str, pd.DataFrame],
    alliance_id: str,
    since: object = None,
    until: object = None,
) -> pd.DataFrame:
    """The alliance's meetings (planned between ``since`` and ``until`` if given), newest
    first, with attendance per side (present, of whom executives), decisions taken and
    action items raised (and how many are still open)."""
    m = _meetings_of(frames, alliance_id)
    if since is not None:
        m = m[m["planned_on"] >= pd.Timestamp(since)]
    if until is not None:
        m = m[m["planned_on"] <= pd.Timestamp(until)]
    att = table(frames, "attendance")
    att = att[att["attended"]].merge(
        table(frames, "people")[["id", "side", "org_level"]],
        left_on="person_id",
        right_on="id",
        how="left",
    )
    att["executive"] = _is_executive(att["org_level"])
    m = m.copy()
    for side in SIDES:
        s = att[att["side"] == side]
        m[f"present_{side}"] = m["id"].map(s.groupby("meeting_id").size()).fillna(0).astype(int)
        m[f"executives_{side}"] = (
            m["id"].map(s.groupby("meeting_id")["executive"].sum()).fillna(0).astype(int)
        )
    d = table(frames, "decisions")
    a = table(frames, "actions")
    a = a[a["status"] != "cancelled"]
    m["decisions"] = m["id"].map(d.groupby("meeting_id").size()).fillna(0).astype(int)
    m["actions"] = m["id"].map(a.groupby("meeting_id").size()).fillna(0).astype(int)
    still_open = a[a["status"].isin(["open", "in progress"])]
    m["open_actions"] = m["id"].map(still_open.groupby("meeting_id").size()).fillna(0).astype(int)
    cols = ["id", "body_id", "body", "planned_on", "held_on", "status",
            *(f"{k}_{s}" for s in SIDES for k in ("present", "executives")),
            "decisions", "actions", "open_actions", "notes"]  # fmt: skip
    return m.sort_values(["planned_on", "id"], ascending=False)[cols].reset_index(drop=True)


def decision_log(frames: dict[str, pd.DataFrame], alliance_id: str, as_of: object) -> pd.DataFrame:
    """The alliance's decisions with the meeting that took them and ``days``: raised to
    decided, or raised to ``as_of`` for one still pending (as decision_latency counts)."""
    day = pd.Timestamp(as_of).normalize()
    d = _of_alliance(table(frames, "decisions"), alliance_id)
    d = d[d["raised_on"] <= day].copy()
    decided = d["decided_on"].notna() & (d["decided_on"] <= day)
    d["pending"] = ~decided
    d["days"] = (d["decided_on"].where(decided, day) - d["raised_on"]).dt.days.astype("Int64")
    cols = ["id", "title", "meeting_id", "raised_on", "decided_on", "pending", "days"]
    return d.sort_values("raised_on", ascending=False)[cols].reset_index(drop=True)


def action_log(
    frames: dict[str, pd.DataFrame], alliance_id: str, as_of: object, meetings_only: bool = True
) -> pd.DataFrame:
    """The alliance's action items (those raised in meetings unless ``meetings_only`` is
    False) with ``state``: done, cancelled, overdue (open past its due date, as
    action_closure counts it), or open."""
    day = pd.Timestamp(as_of).normalize()
    a = _of_alliance(table(frames, "actions"), alliance_id)
    if meetings_only:
        a = a[a["meeting_id"].notna()]
    a = a[a["opened_on"] <= day].copy()
    closed = (a["status"] == "done") & (a["closed_on"].isna() | (a["closed_on"] <= day))
    overdue = ~closed & (a["status"] != "cancelled") & (a["due_on"] < day)
    a["state"] = np.select(
        [closed, a["status"] == "cancelled", overdue], ["done", "cancelled", "overdue"], "open"
    )
    order = a["state"].map({"overdue": 0, "open": 1, "done": 2, "cancelled": 3})
    cols = ["id", "meeting_id", "title", "owner", "owner_side", "opened_on", "due_on", "status",
            "closed_on", "state"]  # fmt: skip
    return (
        a.assign(_o=order)
        .sort_values(["_o", "due_on"], ascending=[True, False])[cols]
        .reset_index(drop=True)
    )


def adherence_figures(
    frames: dict[str, pd.DataFrame],
    period: str,
    window: int = 4,
    alliance_id: str | None = None,
) -> pd.DataFrame:
    """The governance adherence figures health scoring uses (cracks 1, 3, 5), one row per
    alliance, for the ``window`` quarters ending with ``period``: meetings held against
    planned (``meeting_rate``: NaN when nothing was planned, 0 without governance bodies),
    executive attendance by side, decision latency, action closure and overdue actions.
    Each column comes straight from meeting_adherence, executive_attendance,
    decision_latency and action_closure."""
    m = meeting_adherence(frames, period, window).set_index("alliance_id")
    ea = executive_attendance(frames, period, window)
    rate = ea.pivot(index="alliance_id", columns="side", values="rate")
    steer = ea.groupby("alliance_id")["steering_meetings"].first()
    d = decision_latency(frames, period, window).set_index("alliance_id")
    a = action_closure(frames, period, window).set_index("alliance_id")
    out = pd.DataFrame(
        {
            "period": period,
            "window": window,
            "bodies": m["bodies"],
            "meetings_planned": m["planned"],
            "meetings_held": m["held"],
            "meeting_rate": m["rate"],
            "steering_meetings": steer,
            **{f"executive_rate_{s}": rate.get(s) for s in SIDES},
            "decisions": d["decisions"],
            "pending_decisions": d["pending"],
            "median_decision_days": d["median_days"],
            "actions_due": a["due"],
            "actions_closed": a["closed"],
            "closure_rate": a["rate"],
            "overdue_actions": a["overdue"],
        }
    )
    out.index.name = "alliance_id"
    out = out.reset_index()
    if alliance_id is not None:
        out = out[out["alliance_id"] == alliance_id].reset_index(drop=True)
    return out


def adherence_trend(
    frames: dict[str, pd.DataFrame], alliance_id: str, period: str, quarters: int = 4
) -> pd.DataFrame:
    """Adherence quarter by quarter (window of one quarter each) for the ``quarters``
    quarters ending with ``period``, oldest first."""
    parts = [
        adherence_figures(frames, periods.shift(period, -k), 1, alliance_id)
        for k in range(quarters - 1, -1, -1)
    ]
    return pd.concat(parts, ignore_index=True)


def _pct(value: object) -> str:
    return "n/a" if value is None or pd.isna(value) else f"{float(value):.0%}"


def adherence_summary(figures: pd.Series | dict) -> pd.DataFrame:
    """One alliance's adherence figures (a row of adherence_figures) as readable rows:
    ``figure``, ``value`` and ``detail``. A rate that has no denominator reads ``n/a``
    with the reason (nothing planned, no steering meeting held, nothing due)."""
    f = dict(figures)
    planned, held = float(f["meetings_planned"]), float(f["meetings_held"])
    if f["bodies"] == 0:
        meet = "no governance bodies defined"
    elif planned == 0:
        meet = "no meetings planned in the period"
    else:
        meet = f"{held:g} held of {round(planned, 1):g} planned"
    steer = int(f["steering_meetings"])
    exec_detail = (
        f"of {steer} steering committee meetings held" if steer else "no steering meeting held"
    )
    med = f["median_decision_days"]
    due = int(f["actions_due"])
    rows = [
        ("Meetings held against planned", _pct(f["meeting_rate"]), meet),
        *(
            (f"Executive attendance ({s})", _pct(f[f"executive_rate_{s}"]), exec_detail)
            for s in SIDES
        ),
        (
            "Decision latency (median days)",
            "n/a" if pd.isna(med) else f"{float(med):g}",
            f"{int(f['decisions'])} decisions, {int(f['pending_decisions'])} pending",
        ),
        (
            "Action closure",
            _pct(f["closure_rate"]),
            f"{int(f['actions_closed'])} of {due} due closed" if due else "no actions due",
        ),
        ("Overdue actions", str(int(f["overdue_actions"])), "open and past due at period end"),
    ]
    return pd.DataFrame(rows, columns=["figure", "value", "detail"])


# --- governance charter -------------------------------------------------------------------


def _md(value: object) -> str:
    """User text made inert in Markdown: HTML characters escaped, Markdown characters
    backslashed, one line."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    text = str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    for ch in ("\\", "`", "*", "_", "[", "]", "#", "|"):
        text = text.replace(ch, "\\" + ch)
    return " ".join(text.split())


def _clean(value: object) -> object:
    if isinstance(value, (list, tuple)):
        return value
    return None if value is None or pd.isna(value) else value


def charter_context(
    frames: dict[str, pd.DataFrame], alliance_id: str, period: str, window: int = 4
) -> dict:
    """Everything the governance charter shows, as plain values (no store access)."""
    a = table(frames, "alliances")
    rows = a[a["id"] == alliance_id]
    if rows.empty:
        raise ValueError(f"no alliance {alliance_id!r} in the store")
    alliance = {k: _clean(v) for k, v in rows.iloc[0].to_dict().items()}
    roster = body_roster(frames, alliance_id)
    bodies = []
    for b in alliance_bodies(frames, alliance_id).to_dict("records"):
        members = roster[roster["body_id"] == b["id"]]
        people = [{k: _clean(v) for k, v in r.items()} for r in members.to_dict("records")]
        bodies.append({**{k: _clean(v) for k, v in b.items()}, "members": people})
    matrix = raci_matrix(frames, alliance_id)
    figures = adherence_figures(frames, period, window, alliance_id)
    summary = adherence_summary(figures.iloc[0]) if len(figures) else None
    return {
        "alliance": alliance,
        "period": period,
        "window": window,
        "bodies": bodies,
        "escalation": escalation_path(frames, alliance_id).to_dict("records"),
        "raci_parties": list(matrix.columns),
        "raci_rows": list(zip(matrix.index, matrix.to_numpy().tolist(), strict=True)),
        "raci_problems": raci_problems(frames, alliance_id).to_dict("records"),
        "adherence": [] if summary is None else summary.to_dict("records"),
    }


def render_charter(
    frames: dict[str, pd.DataFrame],
    alliance_id: str,
    period: str,
    fmt: str = "html",
    *,
    fragment: bool = False,
    window: int = 4,
) -> str:
    """The governance charter from ``templates/governance_charter.{html,md}.j2``: bodies
    and members, cadence, escalation path, RACI and the adherence figures. HTML is
    autoescaped (user text is data); Markdown escapes user text with the ``md`` filter.
    ``fragment=True`` leaves out the page around the HTML (to preview in a notebook)."""
    import jinja2

    from alliance_kit import config

    if fmt not in ("html", "md"):
        raise ValueError(f"fmt is 'html' or 'md', not {fmt!r}")
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(config.project_root() / "templates")),
        autoescape=(fmt == "html"),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["md"] = _md
    env.filters["level"] = lambda v: v or "—"
    ctx = charter_context(frames, alliance_id, period, window)
    return env.get_template(f"governance_charter.{fmt}.j2").render(**ctx, fragment=fragment)
