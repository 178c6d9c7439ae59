"""Operations workbook figures, hand-computed: action ageing (age, overdue, buckets, by
objective) and the resource shortfall per partner (from the crack 6 evidence)."""

from __future__ import annotations

import pandas as pd
import pytest
from frame_helpers import tf

from alliance_kit.assess import indicators
from alliance_kit.succeed import operations

ALLIANCE = dict(name="n", partner="p", type="co-sell", stage="5 working together",
                start_date="2024-01-01", owner="o", expected_revenue=1.0, currency="USD",
                importance=3)  # fmt: skip
AS_OF = "2026-09-30"


def action(id_, opened, due, status, closed=None, side="us", objective=None, kind="activity"):
    return dict(id=id_, alliance_id="A1", kind=kind, meeting_id=None, objective_id=objective,
                title=f"t {id_}", owner=f"o {id_}", owner_side=side, opened_on=opened,
                due_on=due, status=status, closed_on=closed, crack=None)  # fmt: skip


@pytest.fixture
def frames():
    acts = [
        action("X1", "2026-09-20", "2026-10-15", "open"),  # 10 days, not due: 0-30
        action(
            "X2", "2026-08-01", "2026-09-01", "in progress", side="partner", objective="O1"
        ),  # 60 days, 29 overdue: 31-60  # fmt: skip
        action("X3", "2026-07-02", "2026-07-31", "open", objective="O1"),  # 90 days: 61-90
        action("X4", "2026-06-01", None, "open", side="partner"),  # 121 days, no due: > 90
        action("X5", "2026-06-01", "2026-07-01", "done", "2026-06-21"),  # closed: age 20
        action("X6", "2026-05-01", "2026-06-01", "cancelled", side="partner"),
        action("X7", "2026-10-01", "2026-10-10", "open"),  # opened after as_of: left out
        action("X8", "2026-09-01", "2026-09-10", "done", "2026-10-05"),  # done later: overdue
    ]
    return {
        "alliances": tf("alliances", [dict(ALLIANCE, id="A1")]),
        "objectives": tf("objectives", [dict(id="O1", alliance_id="A1", title="Grow")]),
        "actions": tf("actions", acts),
    }


def test_register_ages_and_flags_as_of_the_day(frames):
    r = operations.action_register(frames, "A1", AS_OF).set_index("id")
    assert "X7" not in r.index
    assert r.loc["X1", ["state", "age_days", "bucket", "overdue", "days_overdue"]].tolist() == [
        "open",
        10.0,
        "0-30 days",
        False,
        0,
    ]
    assert r.loc["X2", ["state", "age_days", "bucket", "days_overdue"]].tolist() == [
        "overdue",
        60.0,
        "31-60 days",
        29,
    ]
    assert r.loc["X3", ["age_days", "bucket", "days_overdue"]].tolist() == [90.0, "61-90 days", 61]
    assert r.loc["X4", ["state", "age_days", "bucket", "overdue"]].tolist() == [
        "open",
        121.0,
        "over 90 days",
        False,
    ]
    assert r.loc["X5", ["state", "age_days"]].tolist() == ["done", 20.0]
    assert r.loc["X5", "bucket"] is None
    assert r.loc["X6", "state"] == "cancelled" and pd.isna(r.loc["X6", "age_days"])
    # closed after the day looked from: still open then, 29 days old, 20 days overdue
    assert r.loc["X8", ["state", "age_days", "days_overdue"]].tolist() == ["overdue", 29.0, 20]
    assert r.loc["X2", "objective"] == "Grow"
    assert list(r.index[:3]) == ["X8", "X2", "X3"]  # overdue first, latest due first


def test_overdue_count_matches_action_closure(frames):
    from alliance_kit.align.governance import action_closure

    r = operations.action_register(frames, "A1", AS_OF)
    closure = action_closure(frames, "2026-Q3").set_index("alliance_id")
    assert int(r["overdue"].sum()) == closure.loc["A1", "overdue"] == 3


def test_ageing_summary_counts_open_items_per_bucket_and_side(frames):
    s = operations.ageing_summary(operations.action_register(frames, "A1", AS_OF))
    s = s.set_index(["bucket", "side"])
    assert len(s) == 8  # 4 buckets x 2 sides, zeros included
    assert s.loc[("0-30 days", "us")].tolist() == [2, 1]  # X1, X8 (overdue)
    assert s.loc[("31-60 days", "partner")].tolist() == [1, 1]
    assert s.loc[("61-90 days", "us")].tolist() == [1, 1]
    assert s.loc[("over 90 days", "partner")].tolist() == [1, 0]
    assert s["open"].sum() == 5


def test_actions_by_objective(frames):
    t = operations.actions_by_objective(operations.action_register(frames, "A1", AS_OF))
    t = t.set_index("objective")
    assert t.loc["Grow"].tolist() == [2, 2, 2, 0, 1, 1]
    assert t.loc["(no objective)"].tolist() == [4, 3, 1, 1, 3, 1]  # X6 cancelled: left out


def test_ageing_bucket_edges():
    days = pd.Series([0, 30, 31, 60, 61, 90, 91, None])
    assert operations.ageing_bucket(days).tolist() == [
        "0-30 days", "0-30 days", "31-60 days", "31-60 days", "61-90 days", "61-90 days",
        "over 90 days", None,
    ]  # fmt: skip


def test_as_of_defaults_to_the_period_end():
    assert operations.as_of_day("2026-Q3") == pd.Timestamp("2026-09-30")
    assert operations.as_of_day("2026-Q3", "2026-08-15") == pd.Timestamp("2026-08-15")


@pytest.fixture
def resources():
    cols = ["id", "alliance_id", "side", "period", "fte_committed", "fte_assigned",
            "budget_committed", "budget_assigned"]  # fmt: skip
    rows = [
        ("R1", "A1", "us", "2026-Q2", 4, 4, 100, 100),
        ("R2", "A1", "us", "2026-Q3", 4, 3, 100, 120),  # over-assigned budget: no shortfall
        ("R3", "A1", "partner", "2026-Q3", 2, 0.5, 50, 20),
        ("R4", "A1", "partner", "2026-Q3", 1, 1, 50, 50),  # second line, same quarter
    ]
    return {
        "alliances": tf("alliances", [dict(ALLIANCE, id="A1")]),
        "resources": tf("resources", [dict(zip(cols, r, strict=True)) for r in rows]),
    }


def test_shortfall_per_partner(resources):
    s = operations.resource_shortfall(resources, "A1", "2026-Q3").set_index("side")
    # us: 4 committed, 3 assigned -> 1 FTE short; budget 120 of 100 -> 0 short, ratio capped
    assert s.loc[
        "us", ["fte_shortfall", "budget_shortfall", "fte_ratio", "budget_ratio"]
    ].tolist() == [1.0, 0.0, 0.75, 1.0]
    assert s.loc["us", "fulfilment"] == pytest.approx(0.875)
    # partner: 3 committed, 1.5 assigned -> 1.5 short; budget 100 vs 70 -> 30 short
    p = s.loc["partner"]
    assert (p["fte_shortfall"], p["budget_shortfall"]) == (1.5, 30.0)
    assert p["fulfilment"] == pytest.approx((0.5 + 0.7) / 2)


def test_shortfall_fulfilment_is_the_crack_6_evidence(resources):
    s = operations.resource_shortfall(resources, "A1", "2026-Q3")
    ev = indicators.evidence(resources, "2026-Q3")
    score = ev[(ev["alliance_id"] == "A1") & (ev["indicator"] == "resources_assigned")]["score"]
    assert score.iloc[0] == pytest.approx(100 * s["fulfilment"].min())


def test_history_per_period_and_side(resources):
    h = operations.resource_history(resources, "A1").set_index(["period", "side"])
    assert h.loc[("2026-Q2", "us"), "fte_shortfall"] == 0.0
    assert h.loc[("2026-Q3", "partner"), ["fte_committed", "fte_assigned", "fte_shortfall"]
                 ].tolist() == [3.0, 1.5, 1.5]  # fmt: skip
    assert h.loc[("2026-Q3", "us"), "budget_shortfall"] == 0.0
