"""Agreements register, alerts, timeline and briefing coverage, on hand-built frames with
hand-computed answers (as of 2026-09-30, the last day of 2026-Q3)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from alliance_kit.align import agreements as ag
from alliance_kit.records import sample
from alliance_kit.records.model import TABLES
from alliance_kit.records.store import typed_frame
from alliance_kit.views import charts

TODAY = "2026-09-30"


def frame(table: str, rows: list[dict]) -> pd.DataFrame:
    return typed_frame(TABLES[table], pd.DataFrame(rows))


def agreement(id_, **kw) -> dict:
    base = {
        "id": id_,
        "alliance_id": "A1",
        "type": "statement of work",
        "title": f"Agreement {id_}",
        "status": "active",
        "signed_on": "2025-01-01",
        "effective_on": "2025-01-15",
        "expires_on": "2027-06-30",
        "notice_days": 30,
        "auto_renew": False,
        "exit_provisions": None,
    }
    return base | kw


def obligation(id_, due, status="open", **kw) -> dict:
    base = {
        "id": id_,
        "agreement_id": "G1",
        "description": f"Obligation {id_}",
        "owner": "Ann",
        "owner_side": "us",
        "due_on": due,
        "status": status,
        "completed_on": "2026-01-02" if status == "done" else None,
    }
    return base | kw


def alliance(id_: str) -> dict:
    return {
        "id": id_,
        "name": f"Alliance {id_}",
        "partner": "Partner Co",
        "type": "co-sell",
        "stage": "5 working together",
        "start_date": "2025-01-01",
        "owner": "Ann",
        "expected_revenue": 1.0,
        "currency": "USD",
        "importance": 3,
    }


@pytest.fixture
def frames() -> dict[str, pd.DataFrame]:
    agreements = [
        # 2026-12-29 - 90 days = 2026-09-30: the window opens today -> entered
        agreement("G1", type="master alliance agreement", expires_on="2026-12-29", notice_days=90,
                  exit_provisions="90 days' notice"),
        # opens tomorrow -> not yet
        agreement("G2", expires_on="2026-12-30", notice_days=90),
        # expires today: still valid today, not expired, and past its window (today < expiry fails)
        agreement("G3", expires_on=TODAY, notice_days=30),
        # expired yesterday, still marked signed -> expired but still in use
        agreement("G4", status="signed", expires_on="2026-09-29"),
        # expired and marked so -> nothing to say
        agreement("G5", status="expired", expires_on="2026-01-01"),
        # in its window on dates, but only a draft -> no notice alert
        agreement("G6", status="draft", signed_on=None, effective_on=None,
                  expires_on="2026-10-15", notice_days=30),
        # no notice period -> no window
        agreement("G7", expires_on="2026-10-10", notice_days=None, auto_renew=True),
        # a governing agreement without exit provisions, auto-renewing, in its window
        agreement("G8", type="reseller agreement", expires_on="2026-10-20", notice_days=60,
                  auto_renew=True),
    ]  # fmt: skip
    obligations = [
        obligation("O1", "2026-09-29"),  # overdue by one day
        obligation("O2", TODAY),  # due today: due soon, not overdue
        obligation("O3", "2026-10-30"),  # 30 days ahead: still due soon
        obligation("O4", "2026-10-31"),  # 31 days ahead: just open
        obligation("O5", "2026-01-01", "done"),  # late once, done now
        obligation("O6", "2026-01-01", "waived", agreement_id="G2"),
    ]
    briefings = [
        {"id": "B1", "alliance_id": "A1", "topic": "agreement", "agreement_id": "G1",
         "side": "us", "audience": "Legal", "briefed_on": "2026-01-10", "acknowledged": True},
        {"id": "B2", "alliance_id": "A1", "topic": "agreement", "agreement_id": "G1",
         "side": "us", "audience": "Sales", "briefed_on": "2026-02-10", "acknowledged": False},
        {"id": "B3", "alliance_id": "A1", "topic": "agreement", "agreement_id": "G2",
         "side": "partner", "audience": "Delivery <managers>", "briefed_on": "2026-03-01",
         "acknowledged": False},
        # briefed on an expired agreement: not counted in coverage
        {"id": "B4", "alliance_id": "A1", "topic": "agreement", "agreement_id": "G5",
         "side": "partner", "audience": "Ops", "briefed_on": "2025-03-01", "acknowledged": True},
        # a strategy briefing is not about an agreement
        {"id": "B5", "alliance_id": "A1", "topic": "strategy", "agreement_id": None,
         "side": "partner", "audience": "Ops", "briefed_on": "2025-03-01", "acknowledged": True},
    ]  # fmt: skip
    alliances = [alliance("A1"), alliance("A2")]
    return {
        "alliances": frame("alliances", alliances),
        "agreements": frame("agreements", agreements),
        "obligations": frame("obligations", obligations),
        "briefings": frame("briefings", briefings),
    }


def test_register_states_and_boundaries(frames):
    reg = ag.register(frames, TODAY).set_index("id")
    assert reg.loc["G1", "notice_from"] == pd.Timestamp("2026-09-30")
    assert reg.loc["G1", "state"] == "in notice window"  # window starting today is entered
    assert reg.loc["G2", "state"] == "in force"  # opens tomorrow
    assert reg.loc["G3", "state"] == "in force"  # expiring today: neither window nor expired
    assert reg.loc["G3", "days_to_expiry"] == 0
    assert reg.loc["G4", "state"] == "expired, still in use"
    assert reg.loc["G4", "days_to_expiry"] == -1
    assert reg.loc["G5", "state"] == "expired"
    assert reg.loc["G6", "state"] == "draft"
    assert reg.loc["G7", "state"] == "in force" and pd.isna(reg.loc["G7", "notice_from"])
    assert list(reg["has_exit"][reg["has_exit"]].index) == ["G1"]
    assert reg.loc["G1", "open_obligations"] == 4
    assert reg.loc["G1", "overdue_obligations"] == 1
    assert (reg.loc["G1", "briefed_us"], reg.loc["G1", "briefed_partner"]) == (2, 0)
    assert (reg.loc["G2", "briefed_us"], reg.loc["G2", "briefed_partner"]) == (0, 1)


def test_register_accepts_dates_in_any_form(frames):
    a = ag.register(frames, TODAY)
    b = ag.register(frames, dt.date(2026, 9, 30))
    c = ag.register(frames, pd.Timestamp("2026-09-30 17:45"))
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(a, c)
    with pytest.raises(ValueError, match="as_of"):
        ag.register(frames, None)


def test_obligation_states_and_due_today(frames):
    ob = ag.obligations(frames, TODAY).set_index("id")
    assert ob.loc["O1", "state"] == "overdue" and ob.loc["O1", "days_late"] == 1
    assert ob.loc["O2", "state"] == "due soon"  # due today is not overdue
    assert pd.isna(ob.loc["O2", "days_late"])
    assert ob.loc["O3", "state"] == "due soon"  # exactly 30 days ahead
    assert ob.loc["O4", "state"] == "open"  # 31 days ahead
    assert ob.loc["O5", "state"] == "done"
    assert ob.loc["O6", "state"] == "waived"
    # a day later, the obligation due today becomes overdue
    later = ag.obligations(frames, "2026-10-01").set_index("id")
    assert later.loc["O2", "state"] == "overdue" and later.loc["O2", "days_late"] == 1
    # a shorter horizon
    short = ag.obligations(frames, TODAY, due_within=0).set_index("id")
    assert short.loc["O2", "state"] == "due soon" and short.loc["O3", "state"] == "open"


def test_alerts_hand_computed(frames):
    al = ag.alerts(frames, TODAY)
    got = sorted(zip(al["kind"], al["agreement_id"].fillna(""), al["obligation_id"].fillna(""),
                     strict=True))  # fmt: skip
    assert got == sorted(
        [
            ("expired, still in use", "G4", ""),
            ("notice window", "G1", ""),
            ("notice window", "G8", ""),
            ("overdue obligation", "G1", "O1"),
            ("obligation due soon", "G1", "O2"),
            ("obligation due soon", "G1", "O3"),
            ("no exit provisions", "G8", ""),
            ("no exit provisions", "", ""),  # alliance A2 has no agreement at all
        ]
    )
    assert ag.alert_counts(al) == {
        "notice window": 2,
        "expired, still in use": 1,
        "overdue obligation": 1,
        "obligation due soon": 2,
        "no exit provisions": 2,
    }
    # most severe first; the auto-renewing one is high, the other medium (68+ days left)
    assert list(al["severity"]) == sorted(al["severity"], key=ag.SEVERITY_ORDER.get)
    sev = al.set_index(["kind", "agreement_id"])["severity"]
    assert sev[("notice window", "G8")] == "high"
    assert sev[("notice window", "G1")] == "medium"
    g1 = al[(al["kind"] == "notice window") & (al["agreement_id"] == "G1")].iloc[0]
    assert "opened 2026-09-30" in g1["message"] and "90 days left" in g1["message"]
    due_today = al[al["obligation_id"] == "O2"].iloc[0]
    assert "today" in due_today["message"]


def test_alerts_the_day_before_the_window(frames):
    al = ag.alerts(frames, "2026-09-29")
    assert "G1" not in set(al.loc[al["kind"] == "notice window", "agreement_id"])
    # and on its expiry day the window is over (today < expiry no longer holds)
    al = ag.alerts(frames, "2026-12-29")
    assert "G1" not in set(al.loc[al["kind"] == "notice window", "agreement_id"])
    assert "G1" not in set(al.loc[al["kind"] == "expired, still in use", "agreement_id"])
    al = ag.alerts(frames, "2026-12-30")
    assert "G1" in set(al.loc[al["kind"] == "expired, still in use", "agreement_id"])


def test_exit_provisions_per_alliance(frames):
    cov = ag.exit_coverage(frames).set_index("alliance_id")
    # current agreements (draft..active) of A1: G1, G2, G3, G4, G6, G7, G8 = 7; one with exit
    assert cov.loc["A1", "agreements"] == 7 and cov.loc["A1", "with_exit"] == 1
    assert bool(cov.loc["A1", "has_exit"])
    assert cov.loc["A2", "agreements"] == 0 and not cov.loc["A2", "has_exit"]
    al = ag.alerts(frames, TODAY)
    a2 = al[al["alliance_id"] == "A2"]
    assert list(a2["kind"]) == ["no exit provisions"] and a2["agreement_id"].isna().all()


def test_no_alerts_on_empty_frames():
    al = ag.alerts({}, TODAY)
    assert al.empty and list(al.columns) == ag.ALERT_COLUMNS
    assert ag.alert_counts(al)["notice window"] == 0


def test_timeline_segments(frames):
    t = ag.timeline(frames, TODAY, "A1")
    g1 = t[t["agreement_id"] == "G1"].set_index("segment")
    assert g1.loc["in force", "start"] == pd.Timestamp("2025-01-15")
    assert g1.loc["in force", "end"] == pd.Timestamp("2026-09-30")
    assert g1.loc["notice window", "end"] == pd.Timestamp("2026-12-29")
    g7 = t[t["agreement_id"] == "G7"]
    assert list(g7["segment"]) == ["in force"]  # no notice period: no window segment
    assert "G6" not in set(t["agreement_id"])  # a draft without dates has no bar
    assert (t["end"] > t["start"]).all()
    chart = charts.agreement_timeline(t, TODAY, ag.obligations(frames, TODAY, "A1"))
    svg = charts.chart_svg(chart)
    assert svg.startswith("<svg") and "as of 2026-09-30" in svg


def test_briefings_by_agreement_and_coverage(frames):
    by = ag.briefings_by_agreement(frames, "A1")
    g1 = by[by["agreement_id"] == "G1"].set_index("side")
    assert list(by[by["agreement_id"] == "G1"]["side"]) == ["us", "partner"]
    assert g1.loc["us", "audiences"] == "Legal, Sales"
    assert (g1.loc["us", "briefings"], g1.loc["us", "acknowledged"]) == (2, 1)
    assert g1.loc["partner", "briefings"] == 0 and g1.loc["partner", "audiences"] == ""
    cov = ag.briefing_coverage(frames).set_index(["alliance_id", "side"])
    # in force (signed/active): G1, G2, G3, G4, G7, G8 = 6
    assert cov.loc[("A1", "us"), "in_force"] == 6
    assert cov.loc[("A1", "us"), "briefed"] == 1  # G1
    assert cov.loc[("A1", "us"), "acknowledged"] == 1
    assert cov.loc[("A1", "partner"), "briefed"] == 1  # G2 (G5 is expired)
    assert cov.loc[("A1", "partner"), "acknowledged"] == 0
    assert cov.loc[("A1", "us"), "coverage"] == pytest.approx(1 / 6)
    # nothing in force: coverage is undefined, not zero
    assert cov.loc[("A2", "us"), "in_force"] == 0
    assert pd.isna(cov.loc[("A2", "us"), "coverage"])


def test_default_as_of():
    assert ag.default_as_of("2026-Q3") == dt.date(2026, 9, 30)
    assert ag.default_as_of("2026-Q3", "2026-08-01") == dt.date(2026, 8, 1)


def test_sample_a003_and_a009_are_in_their_notice_window():
    frames = sample.portfolio(last_period="2026-Q3")
    al = ag.alerts(frames, TODAY)
    in_window = set(al.loc[al["kind"] == "notice window", "alliance_id"])
    assert {"A003", "A009"} <= in_window
