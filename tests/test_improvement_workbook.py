"""Continuous improvement figures, hand-computed: risk scores, levels, trend between
reviews, heat-map cells, issue ageing and escalation (same as the crack 3 evidence),
lessons and the work under way on each crack."""

from __future__ import annotations

import pandas as pd
import pytest
from frame_helpers import tf

from alliance_kit.succeed import improvement as im

ALLIANCE = dict(name="n", partner="p", type="co-sell", stage="5 working together",
                start_date="2024-01-01", owner="o", expected_revenue=1.0, currency="USD",
                importance=3)  # fmt: skip


def risk(id_, status="open", raised="2026-01-10", crack=None, alliance="A1"):
    return dict(id=id_, alliance_id=alliance, title=f"risk {id_}", owner="o", mitigation=None,
                status=status, raised_on=raised, crack=crack)  # fmt: skip


def review(id_, period, likelihood, impact):
    return dict(risk_id=id_, period=period, likelihood=likelihood, impact=impact)


@pytest.fixture
def frames():
    risks = [
        risk("R1", crack=3),  # 2x3=6 -> 4x4=16: rising, high
        risk("R2", status="mitigating"),  # 5x5=25 -> 2x2=4: falling, low
        risk("R3"),  # one review 3x3=9: new, medium
        risk("R4"),  # 2x3 in 2026-Q1, 3x2 in 2026-Q2 (not reviewed in Q3): steady, stale
        risk("R5", status="closed", crack=3),  # 4x4=16 but closed: not on the heat map
        risk("R6"),  # never reviewed
        risk("R7", raised="2026-10-02"),  # raised after the period: left out
        risk("R8", alliance="A2"),
    ]
    reviews = [
        review("R1", "2026-Q2", 2, 3), review("R1", "2026-Q3", 4, 4),
        review("R1", "2026-Q4", 1, 1),  # after the period: ignored
        review("R2", "2026-Q1", 5, 5), review("R2", "2026-Q3", 2, 2),
        review("R3", "2026-Q3", 3, 3),
        review("R4", "2026-Q1", 2, 3), review("R4", "2026-Q2", 3, 2),
        review("R5", "2026-Q3", 4, 4),
        review("R8", "2026-Q3", 4, 4),
    ]  # fmt: skip
    return {
        "alliances": tf("alliances", [dict(ALLIANCE, id="A1"), dict(ALLIANCE, id="A2")]),
        "risks": tf("risks", risks),
        "risk_reviews": tf("risk_reviews", reviews),
    }


def test_register_scores_and_trend(frames):
    r = im.risk_register(frames, "A1", "2026-Q3").set_index("id")
    assert "R7" not in r.index and "R8" not in r.index
    cols = ["likelihood", "impact", "score", "previous_score", "trend", "level", "stale"]
    assert r.loc["R1", cols].tolist() == [4, 4, 16, 6, "rising", "high", False]
    assert r.loc["R2", cols].tolist() == [2, 2, 4, 25, "falling", "low", False]
    assert r.loc["R3", ["score", "trend", "level"]].tolist() == [9, "new", "medium"]
    assert r.loc["R4", ["score", "previous_score", "trend", "reviewed", "stale"]].tolist() == [
        6, 6, "steady", "2026-Q2", True
    ]  # fmt: skip
    assert r.loc["R6", "trend"] == "not reviewed" and pd.isna(r.loc["R6", "score"])
    assert r.loc["R5", "open"] == False  # noqa: E712 - numpy bool
    assert list(r.index[:2]) == ["R1", "R3"]  # open first, highest score first


def test_levels_at_their_edges():
    s = pd.Series([1, 4, 5, 9, 10, 25, None])
    assert im.risk_level(s).tolist() == ["low", "low", "medium", "medium", "high", "high", None]


def test_heatmap_cells(frames):
    cells = im.heatmap_cells(im.risk_register(frames, "A1", "2026-Q3"))
    assert len(cells) == 25
    filled = cells[cells["risks"] > 0].set_index(["likelihood", "impact"])
    # open risks: R1 (4,4), R2 (2,2), R3 (3,3), R4 (3,2); R5 closed; R6 unreviewed
    assert filled["risks"].to_dict() == {(2, 2): 1, (3, 2): 1, (3, 3): 1, (4, 4): 1}
    assert filled.loc[(4, 4), "ids"] == "R1"
    corner = cells.set_index(["likelihood", "impact"]).loc[(5, 5)]
    assert (corner["score"], corner["level"], corner["risks"]) == (25, "high", 0)
    every = im.heatmap_cells(im.risk_register(frames, "A1", "2026-Q3"), open_only=False)
    assert every.set_index(["likelihood", "impact"]).loc[(4, 4), "ids"] == "R1, R5"


def test_risk_history(frames):
    h = im.risk_history(frames, "A1", "2026-Q3", quarters=3).set_index(["period", "level"])
    assert len(h) == 9
    assert h.loc[("2026-Q1", "high")].tolist() == [1, 25]  # R2
    assert h.loc[("2026-Q1", "medium")].tolist() == [1, 6]  # R4
    assert h.loc[("2026-Q3", "high")].tolist() == [2, 32]  # R1, R5
    assert h.loc[("2026-Q3", "low")].tolist() == [1, 4]


def issue(id_, raised, severity="medium", escalated=None, resolved=None, crack=3, side="us"):
    return dict(id=id_, alliance_id="A1", title=f"issue {id_}", owner="o", side=side,
                severity=severity, raised_on=raised, escalated_on=escalated,
                resolved_on=resolved, crack=crack)  # fmt: skip


@pytest.fixture
def issues():
    rows = [
        issue("I1", "2026-09-01"),  # open, 29 days
        issue("I2", "2026-05-03", "critical", escalated="2026-05-13"),  # open, 150, escalated
        issue("I3", "2026-01-01", "low", resolved="2026-02-15"),  # resolved after 45 days
        issue("I4", "2026-07-01", "high", escalated="2026-10-05"),  # escalated after as_of
        issue("I5", "2026-08-01", resolved="2026-10-10", crack=2),  # resolved later: open, 60
        issue("I6", "2026-10-03"),  # raised after as_of
    ]
    return {
        "alliances": tf("alliances", [dict(ALLIANCE, id="A1")]),
        "issues": tf("issues", rows),
    }


def test_issue_log_ages(issues):
    log = im.issue_log(issues, "A1", "2026-09-30").set_index("id")
    assert "I6" not in log.index
    cols = ["open", "age_days", "bucket", "escalated"]
    assert log.loc["I1", cols].tolist() == [True, 29.0, "0-30 days", False]
    assert log.loc["I2", cols].tolist() == [True, 150.0, "over 90 days", True]
    assert log.loc["I2", "days_to_escalation"] == 10
    assert log.loc["I3", ["open", "age_days"]].tolist() == [False, 45.0]
    assert log.loc["I4", cols].tolist() == [True, 91.0, "over 90 days", False]
    assert pd.isna(log.loc["I4", "escalated_on"])  # not yet, as of the day
    assert log.loc["I5", cols].tolist() == [True, 60.0, "31-60 days", False]
    assert pd.isna(log.loc["I5", "resolved_on"])
    assert list(log.index) == ["I2", "I4", "I5", "I1", "I3"]  # open, most severe, oldest


def test_issue_ages_are_the_crack_3_figures(issues):
    log = im.issue_log(issues, "A1", "2026-09-30")
    ref = im.issue_age(issues, "2026-Q3").set_index("alliance_id").loc["A1"]
    open_ = log[log["open"]]
    assert len(open_) == ref["open_issues"] == 4
    assert open_["age_days"].mean() == ref["mean_age_days"] == (29 + 150 + 91 + 60) / 4
    assert open_["age_days"].max() == ref["max_age_days"]


def test_issue_ageing_table(issues):
    t = im.issue_ageing(im.issue_log(issues, "A1", "2026-09-30")).set_index("bucket")
    assert t.loc["over 90 days"].tolist() == [0, 0, 1, 1, 1]  # high I4, critical I2 (esc.)
    assert t.loc["0-30 days"].tolist() == [0, 1, 0, 0, 0]
    assert t.loc["61-90 days"].sum() == 0


def test_work_on_cracks(issues, frames):
    f = {**frames, "issues": issues["issues"]}
    f["lessons"] = tf("lessons", [
        dict(id="L1", alliance_id="A1", recorded_on="2026-03-01", title="Talk weekly",
             description=None, crack=3),
        dict(id="L2", alliance_id="A1", recorded_on="2026-12-01", title="Later", crack=3),
    ])  # fmt: skip
    f["actions"] = tf("actions", [
        dict(id="X1", alliance_id="A1", kind="improvement", title="Trust workshop",
             owner="o", owner_side="us", opened_on="2026-08-01", due_on="2026-09-01",
             status="open", crack=3),
        dict(id="X2", alliance_id="A1", kind="improvement", title="Done one", owner="o",
             owner_side="us", opened_on="2026-01-01", due_on="2026-02-01", status="done",
             closed_on="2026-01-20", crack=3),
        dict(id="X3", alliance_id="A1", kind="improvement", title="Scope reset", owner="o",
             owner_side="partner", opened_on="2026-09-01", due_on="2026-11-01",
             status="in progress", crack=2),
    ])  # fmt: skip
    w = im.work_on_cracks(f, "A1", "2026-09-30").set_index("crack")
    assert list(w.index) == [1, 2, 3, 4, 5, 6]
    cols = ["actions_open", "actions_overdue", "risks_open", "issues_open", "lessons"]
    # crack 3: X1 open and overdue; R1 open (R5 closed); I1, I2, I4 open (I3 resolved); L1
    assert w.loc[3, cols].tolist() == [1, 1, 1, 3, 1]
    assert w.loc[2, cols].tolist() == [1, 0, 0, 1, 0]  # X3; I5 still open on the day
    assert w.loc[1, cols].tolist() == [0, 0, 0, 0, 0] and w.loc[1, "items"] == []
    assert w.loc[3, "items"][0] == "action X1: Trust workshop"
    assert "lesson L1: Talk weekly" in w.loc[3, "items"]
    assert w.loc[3, "crack_name"] == "Trusting working relationship"


def test_lessons_newest_first():
    f = {"lessons": tf("lessons", [
        dict(id="L1", alliance_id="A1", recorded_on="2026-03-01", title="a", crack=1),
        dict(id="L2", alliance_id="A1", recorded_on="2026-06-01", title="b", crack=None),
        dict(id="L3", alliance_id="A1", recorded_on="2026-12-01", title="c", crack=2),
    ])}  # fmt: skip
    assert im.lesson_log(f, "A1", "2026-09-30")["id"].tolist() == ["L2", "L1"]


def test_an_alliance_without_records_gets_empty_views(frames):
    f = {**frames, "alliances": tf("alliances", [dict(ALLIANCE, id="A1"), dict(ALLIANCE, id="A3")])}
    r = im.risk_register(f, "A3", "2026-Q3")
    assert r.empty and im.heatmap_cells(r)["risks"].sum() == 0
    assert im.issue_log(f, "A3", "2026-09-30").empty
    w = im.work_on_cracks(f, "A3", "2026-09-30")
    assert w[["actions_open", "risks_open", "issues_open", "lessons"]].sum().sum() == 0
