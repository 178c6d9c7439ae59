"""Governance workbook views (the Align helper's section of governance.py), on hand-built
frames with hand-computed answers. The adherence figures must be the very functions
health scoring uses, gathered per alliance and quarter."""

from __future__ import annotations

import pandas as pd
import pytest

from alliance_kit.align import governance
from alliance_kit.records import sample
from alliance_kit.records.model import TABLES
from alliance_kit.records.store import typed_frame
from alliance_kit.views import charts, documents


def frame(table: str, rows: list[dict]) -> pd.DataFrame:
    return typed_frame(TABLES[table], pd.DataFrame(rows))


def alliance(id_: str, start: str = "2024-01-01") -> dict:
    return {
        "id": id_,
        "name": f"Alliance {id_}",
        "partner": "Partner <Co>",
        "type": "co-sell",
        "stage": "5 working together",
        "start_date": start,
        "owner": "Ann",
        "our_sponsor": "Sue <b>Sponsor</b>",
        "our_sponsor_level": "svp",
        "partner_sponsor": "Pat",
        "partner_sponsor_level": "vp",
        "expected_revenue": 1.0,
        "currency": "USD",
        "importance": 3,
    }


def person(id_, side, level, alliance_id="A1") -> dict:
    return {"id": id_, "alliance_id": alliance_id, "side": side, "name": f"Name {id_}",
            "org_level": level}  # fmt: skip


def body(id_, kind, per_year, escalates_to=None, alliance_id="A1") -> dict:
    return {"id": id_, "alliance_id": alliance_id, "name": f"Body {id_}", "kind": kind,
            "meetings_per_year": per_year, "escalates_to": escalates_to}  # fmt: skip


def meeting(id_, body_id, planned, status="held", held=None) -> dict:
    return {"id": id_, "body_id": body_id, "planned_on": planned, "status": status,
            "held_on": held or (planned if status == "held" else None)}  # fmt: skip


@pytest.fixture
def frames() -> dict[str, pd.DataFrame]:
    """Alliance A1 in 2026-Q3 (2026-07-01 .. 2026-09-30):

    - ESC (4 a year, so 1 expected a quarter) held 2 steering meetings: M1 with our VP and
      the partner's SVP, M2 with only the partner's SVP (our director came);
    - JOC (12 a year, so 3 expected) held M3 and M4 and cancelled M5: 2 held of 3 planned;
    - WT has no regular meetings (0 a year) and none scheduled: 0 planned.
    Decisions: D1 raised 2026-07-01 decided 2026-07-11 (10 days), D2 raised 2026-09-10 and
    pending at 2026-09-30 (20 days): median 15. Actions due in Q3: X1 done, X2 open and
    past due, so closure 1/2 and 1 overdue; X3 due in Q4 is not counted.
    Alliance A2 started in 2026-Q4, so it planned nothing in 2026-Q3.
    """
    people = [
        person("U1", "us", "vp"),
        person("U2", "us", "director"),
        person("P1", "partner", "svp"),
        person("P2", "partner", "manager"),
    ]
    bodies = [
        body("ESC", "executive steering committee", 4),
        body("JOC", "joint operating committee", 12, "ESC"),
        body("WT", "working team", 0, "JOC"),
        body("B2", "executive steering committee", 4, alliance_id="A2"),
    ]
    members = [
        {"body_id": "ESC", "person_id": "U1", "role": "chair"},
        {"body_id": "ESC", "person_id": "U2", "role": "secretary"},
        {"body_id": "ESC", "person_id": "P1", "role": "member"},
        {"body_id": "JOC", "person_id": "U2", "role": "chair"},
        {"body_id": "JOC", "person_id": "P2", "role": "member"},
        {"body_id": "WT", "person_id": "U2", "role": "chair"},
    ]
    meetings = [
        meeting("M1", "ESC", "2026-07-15"),
        meeting("M2", "ESC", "2026-09-01", held="2026-09-02"),
        meeting("M3", "JOC", "2026-07-10"),
        meeting("M4", "JOC", "2026-08-10"),
        meeting("M5", "JOC", "2026-09-10", status="cancelled"),
    ]
    attendance = [
        {"meeting_id": "M1", "person_id": "U1", "attended": True},
        {"meeting_id": "M1", "person_id": "P1", "attended": True},
        {"meeting_id": "M2", "person_id": "U1", "attended": False},
        {"meeting_id": "M2", "person_id": "U2", "attended": True},
        {"meeting_id": "M2", "person_id": "P1", "attended": True},
        {"meeting_id": "M3", "person_id": "U2", "attended": True},
        {"meeting_id": "M3", "person_id": "P2", "attended": True},
    ]
    decisions = [
        {"id": "D1", "alliance_id": "A1", "meeting_id": "M1", "title": "Go <live>",
         "raised_on": "2026-07-01", "decided_on": "2026-07-11"},
        {"id": "D2", "alliance_id": "A1", "meeting_id": "M2", "title": "Price",
         "raised_on": "2026-09-10", "decided_on": None},
    ]  # fmt: skip
    actions = [
        {"id": "X1", "alliance_id": "A1", "kind": "meeting action", "meeting_id": "M1",
         "title": "Send deck", "owner": "U1", "owner_side": "us", "opened_on": "2026-07-15",
         "due_on": "2026-08-01", "status": "done", "closed_on": "2026-07-30"},
        {"id": "X2", "alliance_id": "A1", "kind": "meeting action", "meeting_id": "M1",
         "title": "Fix feed", "owner": "P1", "owner_side": "partner", "opened_on": "2026-07-15",
         "due_on": "2026-09-01", "status": "open", "closed_on": None},
        {"id": "X3", "alliance_id": "A1", "kind": "meeting action", "meeting_id": "M3",
         "title": "Plan Q4", "owner": "U2", "owner_side": "us", "opened_on": "2026-07-10",
         "due_on": "2026-10-15", "status": "in progress", "closed_on": None},
    ]  # fmt: skip
    raci = [
        {"id": "R1", "alliance_id": "A1", "decision_area": "Pricing", "party": "ESC", "role": "A"},
        {"id": "R2", "alliance_id": "A1", "decision_area": "Pricing", "party": "JOC", "role": "R"},
        {"id": "R3", "alliance_id": "A1", "decision_area": "Pricing", "party": "JOC", "role": "C"},
        {"id": "R4", "alliance_id": "A1", "decision_area": "Roadmap", "party": "JOC", "role": "A"},
        {"id": "R5", "alliance_id": "A1", "decision_area": "Roadmap", "party": "ESC", "role": "A"},
        {"id": "R6", "alliance_id": "A1", "decision_area": "Hiring", "party": "WT", "role": "I"},
    ]  # fmt: skip
    return {
        "alliances": frame("alliances", [alliance("A1"), alliance("A2", start="2026-10-01")]),
        "people": frame("people", people),
        "governance_bodies": frame("governance_bodies", bodies),
        "body_members": frame("body_members", members),
        "meetings": frame("meetings", meetings),
        "attendance": frame("attendance", attendance),
        "decisions": frame("decisions", decisions),
        "actions": frame("actions", actions),
        "raci": frame("raci", raci),
    }


def test_adherence_figures_hand_computed(frames):
    f = governance.adherence_figures(frames, "2026-Q3", window=1).set_index("alliance_id")
    a1 = f.loc["A1"]
    # ESC: max(1 expected, 2 scheduled) = 2; JOC: max(3, 3) = 3; WT: 0 -> 5 planned, 4 held
    assert a1["meetings_planned"] == 5 and a1["meetings_held"] == 4
    assert a1["meeting_rate"] == pytest.approx(4 / 5)
    assert a1["steering_meetings"] == 2
    assert a1["executive_rate_us"] == pytest.approx(1 / 2)  # our VP only at M1
    assert a1["executive_rate_partner"] == pytest.approx(1.0)
    assert a1["decisions"] == 2 and a1["pending_decisions"] == 1
    assert a1["median_decision_days"] == pytest.approx(15.0)
    assert (a1["actions_due"], a1["actions_closed"], a1["overdue_actions"]) == (2, 1, 1)
    assert a1["closure_rate"] == pytest.approx(0.5)


def test_quarter_with_no_planned_meetings_is_not_applicable(frames):
    """A2 started after 2026-Q3: nothing was planned, so the rate is undefined (NaN, shown
    as n/a with the reason), not a division by zero and not 0%."""
    f = governance.adherence_figures(frames, "2026-Q3", window=1, alliance_id="A2").iloc[0]
    assert f["bodies"] == 1 and f["meetings_planned"] == 0
    assert pd.isna(f["meeting_rate"])
    s = governance.adherence_summary(f).set_index("figure")
    assert s.loc["Meetings held against planned", "value"] == "n/a"
    assert s.loc["Meetings held against planned", "detail"] == "no meetings planned in the period"
    assert s.loc["Executive attendance (us)", "value"] == "n/a"
    assert s.loc["Action closure", "detail"] == "no actions due"
    # the same quarter for a body with no cadence and no meetings: only WT alone
    only_wt = dict(frames)
    only_wt["governance_bodies"] = frames["governance_bodies"][
        frames["governance_bodies"]["id"] == "WT"
    ]
    only_wt["meetings"] = frames["meetings"].iloc[0:0]
    g = governance.adherence_figures(only_wt, "2026-Q3", 1, "A1").iloc[0]
    assert g["meetings_planned"] == 0 and pd.isna(g["meeting_rate"])


def test_adherence_figures_are_the_functions_health_uses(frames):
    """Every figure equals the underlying evidence function's value (same window)."""
    for window in (1, 4):
        f = governance.adherence_figures(frames, "2026-Q3", window).set_index("alliance_id")
        m = governance.meeting_adherence(frames, "2026-Q3", window).set_index("alliance_id")
        d = governance.decision_latency(frames, "2026-Q3", window).set_index("alliance_id")
        a = governance.action_closure(frames, "2026-Q3", window).set_index("alliance_id")
        e = governance.executive_attendance(frames, "2026-Q3", window)
        e = e.pivot(index="alliance_id", columns="side", values="rate")
        pairs = [
            (f["meeting_rate"], m["rate"]),
            (f["meetings_planned"], m["planned"]),
            (f["median_decision_days"], d["median_days"]),
            (f["closure_rate"], a["rate"]),
            (f["overdue_actions"], a["overdue"]),
            (f["executive_rate_us"], e["us"]),
            (f["executive_rate_partner"], e["partner"]),
        ]
        for ours, theirs in pairs:
            pd.testing.assert_series_equal(ours, theirs, check_names=False, check_index_type=False)


def test_adherence_summary_rows(frames):
    f = governance.adherence_figures(frames, "2026-Q3", 1, "A1").iloc[0]
    s = governance.adherence_summary(f).set_index("figure")
    assert s.loc["Meetings held against planned", "value"] == "80%"
    assert s.loc["Meetings held against planned", "detail"] == "4 held of 5 planned"
    assert s.loc["Executive attendance (us)", "value"] == "50%"
    assert s.loc["Executive attendance (partner)", "value"] == "100%"
    assert s.loc["Decision latency (median days)", "value"] == "15"
    assert s.loc["Action closure", "detail"] == "1 of 2 due closed"
    assert s.loc["Overdue actions", "value"] == "1"


def test_no_bodies_reads_no_governance(frames):
    f = dict(frames)
    f["governance_bodies"] = frames["governance_bodies"].iloc[0:0]
    row = governance.adherence_figures(f, "2026-Q3", 1, "A1").iloc[0]
    assert row["meeting_rate"] == 0.0  # no governance model implemented
    s = governance.adherence_summary(row).set_index("figure")
    assert s.loc["Meetings held against planned", "detail"] == "no governance bodies defined"


def test_adherence_trend_by_quarter(frames):
    t = governance.adherence_trend(frames, "A1", "2026-Q3", quarters=3)
    assert list(t["period"]) == ["2026-Q1", "2026-Q2", "2026-Q3"]
    assert (t["window"] == 1).all()
    # Q1 and Q2: ESC expects 1, JOC 3, nothing scheduled or held -> 0 of 4
    assert list(t["meetings_planned"]) == [4, 4, 5]
    assert list(t["meetings_held"]) == [0, 0, 4]
    svg = charts.chart_svg(charts.adherence_trend_chart(t))
    assert svg.startswith("<svg")


def test_bodies_members_and_levels(frames):
    b = governance.alliance_bodies(frames, "A1").set_index("id")
    assert list(b.index) == ["ESC", "JOC", "WT"]  # steering first
    assert (b.loc["ESC", "members_us"], b.loc["ESC", "members_partner"]) == (2, 1)
    assert (b.loc["ESC", "executives_us"], b.loc["ESC", "executives_partner"]) == (1, 1)
    assert b.loc["ESC", "top_level_us"] == "vp" and b.loc["ESC", "top_level_partner"] == "svp"
    assert b.loc["JOC", "escalates_to_name"] == "Body ESC"
    assert b.loc["JOC", "cadence"] == "monthly" and b.loc["WT", "cadence"] == "no regular meetings"
    assert bool(b.loc["JOC", "both_sides"]) and not bool(b.loc["WT", "both_sides"])
    roster = governance.body_roster(frames, "A1")
    esc = roster[roster["body_id"] == "ESC"]
    assert list(esc["person_id"]) == ["U1", "U2", "P1"]  # us first, most senior first
    assert list(esc["executive"]) == [True, False, True]


def test_cadence_label():
    assert governance.cadence_label(12) == "monthly"
    assert governance.cadence_label(4) == "quarterly"
    assert governance.cadence_label(3) == "3 a year"
    assert governance.cadence_label(None) == "not set"


def test_raci_matrix_and_problems(frames):
    m = governance.raci_matrix(frames, "A1")
    assert list(m.index) == ["Pricing", "Roadmap", "Hiring"]
    assert list(m.columns) == ["ESC", "JOC", "WT"]
    assert m.loc["Pricing", "JOC"] == "R/C"
    assert m.loc["Pricing", "ESC"] == "A" and m.loc["Pricing", "WT"] == ""
    p = governance.raci_problems(frames, "A1")
    got = sorted(zip(p["decision_area"], p["problem"], strict=True))
    assert got == [
        ("Hiring", "nobody is accountable (A)"),
        ("Hiring", "nobody is responsible (R)"),
        ("Roadmap", "2 parties are accountable (JOC, ESC): name one"),
        ("Roadmap", "nobody is responsible (R)"),
    ]
    assert governance.raci_matrix(frames, "A2").empty


def test_escalation_path_and_its_problems(frames):
    e = governance.escalation_path(frames, "A1").set_index("body_id")
    assert e.loc["WT", "path"] == ["Body WT", "Body JOC", "Body ESC"]
    assert e.loc["WT", "path_text"] == "Body WT → Body JOC → Body ESC"
    assert e.loc["WT", "levels"] == 3 and e.loc["ESC", "levels"] == 1
    assert (e["problem"] == "").all()
    bad = dict(frames)
    b = frames["governance_bodies"].copy()
    b.loc[b["id"] == "ESC", "escalates_to"] = "WT"  # a loop
    bad["governance_bodies"] = b
    e = governance.escalation_path(bad, "A1").set_index("body_id")
    assert "loops" in e.loc["WT", "problem"]
    b = frames["governance_bodies"].copy()
    b.loc[b["id"] == "ESC", "escalates_to"] = "B2"  # another alliance's body
    bad["governance_bodies"] = b
    e = governance.escalation_path(bad, "A1").set_index("body_id")
    assert "another alliance" in e.loc["ESC", "problem"]


def test_meeting_log_counts(frames):
    log = governance.meeting_log(frames, "A1").set_index("id")
    assert list(log.index) == ["M5", "M2", "M4", "M1", "M3"]  # newest first
    assert (log.loc["M2", "present_us"], log.loc["M2", "executives_us"]) == (1, 0)
    assert (log.loc["M2", "present_partner"], log.loc["M2", "executives_partner"]) == (1, 1)
    assert (log.loc["M1", "decisions"], log.loc["M1", "actions"]) == (1, 2)
    assert log.loc["M1", "open_actions"] == 1
    q3 = governance.meeting_log(frames, "A1", since="2026-08-01", until="2026-08-31")
    assert list(q3["id"]) == ["M4"]


def test_decision_and_action_logs(frames):
    d = governance.decision_log(frames, "A1", "2026-09-30").set_index("id")
    assert d.loc["D1", "days"] == 10 and not d.loc["D1", "pending"]
    assert d.loc["D2", "days"] == 20 and d.loc["D2", "pending"]
    a = governance.action_log(frames, "A1", "2026-09-30").set_index("id")
    assert a.loc["X1", "state"] == "done"
    assert a.loc["X2", "state"] == "overdue"
    assert a.loc["X3", "state"] == "open"


def test_charter_html_is_autoescaped(frames):
    html = documents.charter_document(frames, "A1", "2026-Q3", "html", window=1)
    assert "<!DOCTYPE html>" in html
    assert "Sue &lt;b&gt;Sponsor&lt;/b&gt;" in html and "<b>Sponsor</b>" not in html
    assert "Partner &lt;Co&gt;" in html
    assert "Body WT → Body JOC → Body ESC" in html
    assert "Roadmap: 2 parties are accountable" in html
    assert "80%" in html  # meetings held against planned
    assert "Members from one side only" in html  # WT
    fragment = documents.charter_document(frames, "A1", "2026-Q3", "html", fragment=True)
    assert "<!DOCTYPE" not in fragment and 'class="ak-charter"' in fragment


def test_charter_markdown_escapes_user_text(frames):
    md = documents.charter_document(frames, "A1", "2026-Q3", "md", window=1)
    assert md.startswith("# Governance charter: Alliance A1")
    assert "Sue &lt;b&gt;Sponsor&lt;/b&gt;" in md
    assert "| Pricing | A | R/C |  |" in md
    with pytest.raises(ValueError, match="fmt"):
        documents.charter_document(frames, "A1", "2026-Q3", "pdf")
    with pytest.raises(ValueError, match="no alliance"):
        documents.charter_document(frames, "A9", "2026-Q3", "md")


def test_sample_a003_figures():
    frames = sample.portfolio(last_period="2026-Q3")
    f = governance.adherence_figures(frames, "2026-Q3", 4, "A003").iloc[0]
    assert f["bodies"] == 3 and 0.0 <= f["meeting_rate"] <= 1.0
    assert len(governance.raci_matrix(frames, "A003")) >= 1
    text = documents.charter_document(frames, "A003", "2026-Q3", "md")
    assert "Executive steering committee" in text
