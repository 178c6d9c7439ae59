"""Governance evidence: sponsors, meetings held vs planned, executive attendance,
decision latency, action closure (period 2026-Q3, window 2025-Q4..2026-Q3)."""

from __future__ import annotations

import numpy as np
import pytest
from frame_helpers import alliances, tf

from alliance_kit.align import governance

P = "2026-Q3"


def test_sponsor_levels_score_each_side():
    f = {"alliances": alliances(
        dict(id="A1", our_sponsor_level="c-level", partner_sponsor_level="director"),
        dict(id="A2", our_sponsor_level="svp"),
    )}  # fmt: skip
    s = governance.sponsor_levels(f).set_index(["alliance_id", "side"])["score"]
    assert s.to_dict() == {("A1", "partner"): 40.0, ("A1", "us"): 100.0,
                           ("A2", "partner"): 0.0, ("A2", "us"): 85.0}  # fmt: skip


def meeting(mid, body, planned, status="held", held=None):
    return dict(id=mid, body_id=body, planned_on=planned, status=status,
                held_on=held or (planned if status == "held" else None))  # fmt: skip


def test_meetings_held_against_planned():
    f = {
        "alliances": alliances(dict(id="A1"), dict(id="A2", start_date="2026-04-01"),
                               dict(id="A3")),
        "governance_bodies": tf("governance_bodies", [
            dict(id="B1", alliance_id="A1", name="x", kind="joint operating committee",
                 meetings_per_year=4),
            dict(id="B2", alliance_id="A2", name="y", kind="executive steering committee",
                 meetings_per_year=4),
        ]),
        "meetings": tf("meetings", [
            # A1: 6 scheduled in the window (more than the cadence's 4), 3 held
            meeting("M1", "B1", "2025-10-15"), meeting("M2", "B1", "2025-12-15", "cancelled"),
            meeting("M3", "B1", "2026-02-15"), meeting("M4", "B1", "2026-04-15", "cancelled"),
            meeting("M5", "B1", "2026-06-15", "planned"), meeting("M6", "B1", "2026-08-15"),
            meeting("M7", "B1", "2026-11-15", "planned"),  # after the period
            meeting("M8", "B1", "2025-09-15"),  # before the window
            # A2 started in Q2: cadence asks for 2 in the window; 1 held
            meeting("N1", "B2", "2026-05-10"),
        ]),
    }  # fmt: skip
    m = governance.meeting_adherence(f, P).set_index("alliance_id")
    assert m.loc["A1", ["bodies", "expected", "scheduled", "planned", "held"]].tolist() == [
        1, 4.0, 6.0, 6.0, 3.0
    ]  # fmt: skip
    assert m.loc["A1", "rate"] == 0.5
    assert m.loc["A2", ["expected", "held", "rate"]].tolist() == [2.0, 1.0, 0.5]
    assert m.loc["A3", "bodies"] == 0 and m.loc["A3", "rate"] == 0.0  # no governance model


def attendance_frames():
    people = [
        dict(id="U1", alliance_id="A1", side="us", name="u", org_level="c-level"),
        dict(id="U2", alliance_id="A1", side="us", name="u", org_level="manager"),
        dict(id="V1", alliance_id="A1", side="partner", name="v", org_level="vp"),
    ]
    return {
        "alliances": alliances(dict(id="A1"), dict(id="A2")),
        "people": tf("people", people),
        "governance_bodies": tf("governance_bodies", [
            dict(id="B1", alliance_id="A1", name="s", kind="executive steering committee",
                 meetings_per_year=4),
            dict(id="B2", alliance_id="A1", name="w", kind="working team", meetings_per_year=12),
        ]),
        "meetings": tf("meetings", [meeting("M1", "B1", "2026-01-10"),
                                    meeting("M2", "B1", "2026-04-10"),
                                    meeting("M3", "B1", "2026-07-10", "cancelled"),
                                    meeting("W1", "B2", "2026-07-10")]),
        "attendance": tf("attendance", [
            dict(meeting_id="M1", person_id="U1", attended=True),
            dict(meeting_id="M1", person_id="V1", attended=True),
            dict(meeting_id="M2", person_id="U2", attended=True),
            dict(meeting_id="M2", person_id="U1", attended=False),
            dict(meeting_id="M2", person_id="V1", attended=True),
            dict(meeting_id="W1", person_id="U1", attended=True),  # not a steering meeting
        ]),
    }  # fmt: skip


def test_executive_attendance_by_side():
    a = governance.executive_attendance(attendance_frames(), P).set_index(["alliance_id", "side"])
    assert a.loc[("A1", "us"), ["steering_meetings", "with_executive", "rate"]].tolist() == [
        2, 1, 0.5
    ]  # fmt: skip
    assert a.loc[("A1", "partner"), "rate"] == 1.0
    assert np.isnan(a.loc[("A2", "us"), "rate"])  # no steering meeting held


def test_decision_latency_counts_pending_decisions_by_their_age():
    f = {
        "alliances": alliances(dict(id="A1"), dict(id="A2")),
        "decisions": tf("decisions", [
            dict(id="D1", alliance_id="A1", title="t", raised_on="2026-01-01",
                 decided_on="2026-01-11"),
            dict(id="D2", alliance_id="A1", title="t", raised_on="2026-06-30"),  # 92 days
            dict(id="D3", alliance_id="A1", title="t", raised_on="2026-09-01",
                 decided_on="2026-10-20"),  # decided after the period: pending, 29 days
            dict(id="D4", alliance_id="A1", title="t", raised_on="2026-10-01"),  # future
        ]),
    }  # fmt: skip
    d = governance.decision_latency(f, P).set_index("alliance_id")
    assert d.loc["A1", ["decisions", "pending"]].tolist() == [3, 2]
    assert d.loc["A1", "median_days"] == 29.0
    assert d.loc["A1", "mean_days"] == pytest.approx((10 + 92 + 29) / 3)
    assert np.isnan(d.loc["A2", "median_days"])


def test_action_closure_and_overdue():
    base = dict(alliance_id="A1", title="t", owner="o", owner_side="us",
                opened_on="2025-06-01")  # fmt: skip
    rows = [
        dict(id="X1", kind="meeting action", due_on="2026-03-01", status="done",
             closed_on="2026-02-01"),
        dict(id="X2", kind="activity", due_on="2026-06-01", status="done",
             closed_on="2026-10-05"),  # closed after the period: open then
        dict(id="X3", kind="meeting action", due_on="2026-08-01", status="open"),
        dict(id="X4", kind="meeting action", due_on="2025-08-01", status="in progress"),
        dict(id="X5", kind="meeting action", due_on="2026-05-01", status="cancelled"),
    ]  # fmt: skip
    f = {"alliances": alliances(dict(id="A1"), dict(id="A2")),
         "actions": tf("actions", [dict(base, **r) for r in rows])}  # fmt: skip
    a = governance.action_closure(f, P).set_index("alliance_id")
    assert a.loc["A1", ["due", "closed", "overdue"]].tolist() == [3, 1, 3]
    assert a.loc["A1", "rate"] == pytest.approx(1 / 3)
    assert np.isnan(a.loc["A2", "rate"])
    only = governance.action_closure(f, P, kinds=("meeting action",)).set_index("alliance_id")
    assert only.loc["A1", ["due", "closed", "overdue"]].tolist() == [2, 1, 2]
