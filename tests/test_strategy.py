"""Strategy evidence: documented, approved by both, communicated and acknowledged."""

from __future__ import annotations

from frame_helpers import tf

from alliance_kit.imagine import strategy


def test_strategy_status_as_of_the_period_end():
    base = dict(name="n", partner="p", type="co-sell", stage="5 working together",
                start_date="2024-01-01", owner="o", expected_revenue=1.0, currency="USD",
                importance=3)  # fmt: skip
    f = {
        "alliances": tf("alliances", [dict(base, id=a) for a in ("A1", "A2", "A3")]),
        "strategies": tf("strategies", [
            dict(alliance_id="A1", vision="v", documented_on="2026-01-01",
                 approved_us_on="2026-02-01", approved_partner_on="2026-10-15"),
            dict(alliance_id="A2", vision="v"),  # no dates: documented, not approved
        ]),
        "briefings": tf("briefings", [
            dict(id="B1", alliance_id="A1", topic="strategy", side="us", audience="t",
                 briefed_on="2026-03-01", acknowledged=False),
            dict(id="B2", alliance_id="A1", topic="strategy", side="us", audience="t",
                 briefed_on="2026-04-01", acknowledged=True),
            dict(id="B3", alliance_id="A1", topic="strategy", side="partner", audience="t",
                 briefed_on="2026-10-01", acknowledged=True),  # after the period
            dict(id="B4", alliance_id="A2", topic="kpis", side="partner", audience="t",
                 briefed_on="2026-03-01", acknowledged=True),  # not the strategy
        ]),
    }  # fmt: skip
    s = strategy.strategy_status(f, "2026-Q3").set_index("alliance_id")
    cols = ["documented", "approved_us", "approved_partner", "briefed_us", "acknowledged_us",
            "briefed_partner", "acknowledged_partner"]  # fmt: skip
    assert s.loc["A1", cols].tolist() == [True, True, False, True, True, False, False]
    assert s.loc["A2", cols].tolist() == [True] + [False] * 6
    assert s.loc["A3", cols].tolist() == [False] * 7
    later = strategy.strategy_status(f, "2026-Q4").set_index("alliance_id")
    assert later.loc["A1", ["approved_partner", "acknowledged_partner"]].tolist() == [True, True]
