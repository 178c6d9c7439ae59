"""Governance (Align): is the governance model implemented and followed?

Evidence figures from the records, vectorized over the whole portfolio and returned as
tidy frames with one row per alliance (and side where it matters). Every figure is taken
"as of" the last day of a period ``P`` over a look-back ``window`` of quarters ending at
``P`` (4 by default: the last twelve months), so a period's figures do not change when
later records are added.
"""

from __future__ import annotations

from typing import TypeVar

import numpy as np
import pandas as pd

from alliance_kit.records import measures, periods
from alliance_kit.records.measures import table, window_bounds
from alliance_kit.records.model import ORG_LEVEL_RANK, SIDES

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
T = TypeVar("T")
#: Executives are people at VP level or above.
EXECUTIVE_RANK = ORG_LEVEL_RANK["vp"]
STEERING = "executive steering committee"


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


def _meetings(frames: dict[str, pd.DataFrame]) -> dict[str, np.ndarray]:
    """Per meeting (table order), whatever the period: status held, its body's row, the
    planned and held dates."""

    def compute() -> dict[str, np.ndarray]:
        m = table(frames, "meetings")
        return {
            "held": measures.equals(m["status"], "held"),
            "body": measures.rows_of(m["body_id"], table(frames, "governance_bodies")["id"]),
            "planned_on": measures.days(m["planned_on"]),
            "held_on": measures.days(m["held_on"]),
        }

    return measures.memo(frames, ("governance", "meetings"), compute)


def _bodies(frames: dict[str, pd.DataFrame]) -> dict[str, np.ndarray]:
    """Per governance body (table order), whatever the period: its alliance's row and
    whether it is the executive steering committee."""

    def compute() -> dict[str, np.ndarray]:
        b = table(frames, "governance_bodies")
        return {
            "alliance": measures.positions(frames, b["alliance_id"]),
            "steering": measures.equals(b["kind"], STEERING),
        }

    return measures.memo(frames, ("governance", "bodies"), compute)


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
    since, asof = (np.datetime64(d, "ns") for d in window_bounds(period, window))
    bodies = table(frames, "governance_bodies")
    m = _meetings(frames)
    planned_on, held_on = m["planned_on"], m["held_on"]
    in_window = (planned_on >= since) & (planned_on <= asof)
    held = in_window & m["held"] & (np.isnat(held_on) | (held_on <= asof))
    scheduled_b = measures.count(m["body"], len(bodies), in_window)
    held_b = measures.count(m["body"], len(bodies), held)
    apos = _bodies(frames)["alliance"]
    quarters = measures.take(measures.quarters_running(frames, period, window), apos, 0)
    per_year = bodies["meetings_per_year"].to_numpy(dtype=float, na_value=np.nan)
    expected_b = per_year * quarters / 4
    planned_b = np.fmax(expected_b, scheduled_b)
    n = len(table(frames, "alliances"))
    n_bodies = measures.count(apos, n)
    scheduled, held_n = measures.total(apos, n, scheduled_b), measures.total(apos, n, held_b)
    if (scheduled_b > 0).all() and (n_bodies > 0).all():
        # every body met in the window and every alliance has one: counts stay integers
        scheduled, held_n = scheduled.astype(np.int64), held_n.astype(np.int64)
    planned = measures.total(apos, n, planned_b)
    rate = np.minimum(measures.ratio(held_n, planned), 1.0)
    return measures.per_alliance(
        frames,
        bodies=n_bodies,
        expected=measures.total(apos, n, expected_b),
        scheduled=scheduled,
        planned=planned,
        held=held_n,
        rate=np.where(n_bodies > 0, rate, 0.0),
    )


def _held_meetings(frames: dict[str, pd.DataFrame], period: str, window: int) -> np.ndarray:
    """Per meeting (table order): held in the window (held on, else planned on)."""
    since, asof = (np.datetime64(d, "ns") for d in window_bounds(period, window))
    m = _meetings(frames)
    when = np.where(np.isnat(m["held_on"]), m["planned_on"], m["held_on"])
    return m["held"] & (when >= since) & (when <= asof)


def _executives_present(frames: dict[str, pd.DataFrame]) -> tuple[np.ndarray, np.ndarray]:
    """(meeting row, side code) of each attendance by an executive, once per meeting and
    side; the same in every period."""
    return measures.memo(
        frames, ("governance", "executives present"), lambda: _find_executives(frames)
    )


def _find_executives(frames: dict[str, pd.DataFrame]) -> tuple[np.ndarray, np.ndarray]:
    att = table(frames, "attendance")
    people = table(frames, "people")
    rank = people["org_level"].map(ORG_LEVEL_RANK).fillna(-1).to_numpy()
    side = np.where(rank >= EXECUTIVE_RANK, measures.side_codes(people["side"]), -1)
    person = measures.rows_of(att["person_id"], people["id"])
    att_side = np.where(measures.flag(att["attended"]), measures.take(side, person, -1), -1)
    meeting = measures.rows_of(att["meeting_id"], table(frames, "meetings")["id"])
    keep = (att_side >= 0) & (meeting >= 0)
    seen = np.zeros(len(table(frames, "meetings")) * len(SIDES), dtype=bool)
    seen[meeting[keep] * len(SIDES) + att_side[keep]] = True
    pairs = np.flatnonzero(seen)
    return pairs // len(SIDES), pairs % len(SIDES)


def executive_attendance(
    frames: dict[str, pd.DataFrame], period: str, window: int = 4
) -> pd.DataFrame:
    """Share of held executive steering committee meetings in the window that at least
    one executive (VP or above) of the side attended, per alliance and side.
    ``rate`` is NaN when no steering meeting was held (meeting adherence shows that)."""
    bodies = _bodies(frames)
    steering = np.where(bodies["steering"], bodies["alliance"], -1)
    # alliance of each held steering meeting; -1 for every other meeting
    body = _meetings(frames)["body"]
    alliance = np.where(
        _held_meetings(frames, period, window), measures.take(steering, body, -1), -1
    )
    n, k = len(table(frames, "alliances")), len(SIDES)
    meeting, side = _executives_present(frames)
    present = measures.take(alliance, meeting, -1)
    with_exec = measures.count(np.where(present >= 0, present * k + side, -1), n * k)
    steering_meetings = np.repeat(measures.count(alliance, n), k)
    out = measures.by_side(frames)
    out["steering_meetings"] = steering_meetings
    out["with_executive"] = with_exec
    out["rate"] = measures.ratio(with_exec, steering_meetings)
    return out


def decision_latency(frames: dict[str, pd.DataFrame], period: str, window: int = 4) -> pd.DataFrame:
    """Days from a decision being asked for to it being made, per alliance.

    Counts decisions decided in the window and those still pending at the period's end
    (their age so far: a pending decision is at least that late). ``median_days`` is
    NaN when there were none.
    """
    since, asof = (np.datetime64(d, "ns") for d in window_bounds(period, window))
    d = table(frames, "decisions")
    raised, decided_on = measures.days(d["raised_on"]), measures.days(d["decided_on"])
    decided = ~np.isnat(decided_on) & (decided_on <= asof)
    keep = (raised <= asof) & ((decided & (decided_on >= since)) | ~decided)
    pos = measures.positions(frames, d["alliance_id"])[keep]
    decided, raised = decided[keep], raised[keep]
    end = np.where(decided, decided_on[keep], asof)
    days = ((end - raised) // np.timedelta64(1, "D")).astype(float)
    n = len(table(frames, "alliances"))
    decisions = measures.count(pos, n)
    valid = pos >= 0
    median = pd.Series(days[valid]).groupby(pos[valid]).median()
    return measures.per_alliance(
        frames,
        decisions=decisions,
        pending=measures.count(pos, n, ~decided),
        median_days=median.reindex(range(n)).to_numpy(),
        mean_days=measures.ratio(measures.total(pos, n, days), decisions),
    )


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
    since, asof = (np.datetime64(d, "ns") for d in window_bounds(period, window))
    a = table(frames, "actions")
    counted = ~measures.equals(a["status"], "cancelled")
    if kinds is not None:
        counted = counted & measures.flag(a["kind"].isin(kinds))
    due_on, closed_on = measures.days(a["due_on"]), measures.days(a["closed_on"])
    closed = measures.equals(a["status"], "done") & (np.isnat(closed_on) | (closed_on <= asof))
    in_window = (due_on >= since) & (due_on <= asof)
    overdue = ~closed & (due_on < asof) & (measures.days(a["opened_on"]) <= asof)
    n = len(table(frames, "alliances"))
    pos = np.where(counted, measures.positions(frames, a["alliance_id"]), -1)
    due = measures.count(pos, n, in_window)
    closed_n = measures.count(pos, n, in_window & closed)
    return measures.per_alliance(
        frames,
        due=due,
        closed=closed_n,
        overdue=measures.count(pos, n, overdue),
        rate=measures.ratio(closed_n, due.astype(float)),
    )


# =========================================================================================
# --- governance workbook (Align): bodies, RACI, escalation, meeting log, adherence, charter
# Owned by the Align workbook helper. The adherence figures below are the functions above
# (the ones health scoring uses as evidence), only gathered per alliance and period.
# =========================================================================================

import numpy as np  # noqa: E402, F811 - this section's imports stay inside it

from alliance_kit.records.model import BODY_KINDS, RACI_ROLES  # noqa: E402

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
