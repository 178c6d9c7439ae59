"""Issue age and escalations, as of the period's end (window 2025-Q4..2026-Q3)."""

from __future__ import annotations

import numpy as np
import pytest
from frame_helpers import tf

from alliance_kit.succeed import improvement


def frames():
    base = dict(name="n", partner="p", type="co-sell", stage="5 working together",
                start_date="2024-01-01", owner="o", expected_revenue=1.0, currency="USD",
                importance=3)  # fmt: skip
    issue = dict(alliance_id="A1", title="t", owner="o", side="partner", severity="low")
    rows = [
        dict(id="I1", raised_on="2026-09-20", severity="critical"),  # open, 10 days
        dict(id="I2", raised_on="2026-06-02", escalated_on="2026-07-01"),  # open, 120 days
        dict(id="I3", raised_on="2026-01-01", escalated_on="2026-02-01",
             resolved_on="2026-03-01"),
        dict(id="I4", raised_on="2026-02-01", resolved_on="2026-11-01"),  # open at period end
        dict(id="I5", raised_on="2025-03-01", escalated_on="2025-11-01",
             resolved_on="2025-12-01"),  # raised before the window, escalated in it
    ]  # fmt: skip
    return {
        "alliances": tf("alliances", [dict(base, id="A1"), dict(base, id="A2")]),
        "issues": tf("issues", [dict(issue, **r) for r in rows]),
    }


def test_issue_age_of_open_issues():
    i = improvement.issue_age(frames(), "2026-Q3").set_index("alliance_id")
    # open on 2026-09-30: I1 10 days, I2 120 days, I4 241 days
    assert i.loc["A1", ["open_issues", "open_high"]].tolist() == [3, 1]
    assert i.loc["A1", "mean_age_days"] == pytest.approx((10 + 120 + 241) / 3)
    assert i.loc["A1", "max_age_days"] == 241
    assert i.loc["A2", "open_issues"] == 0 and np.isnan(i.loc["A2", "mean_age_days"])


def test_escalations_share_and_resolution():
    e = improvement.escalations(frames(), "2026-Q3").set_index("alliance_id")
    assert e.loc["A1", ["raised", "raised_escalated", "escalated", "resolved",
                        "open_escalations"]].tolist() == [4, 2, 3, 2, 1]  # fmt: skip
    assert e.loc["A1", "escalation_share"] == 0.5
    assert e.loc["A1", "resolution_rate"] == pytest.approx(2 / 3)
    assert np.isnan(e.loc["A2", "escalation_share"]) and np.isnan(e.loc["A2", "resolution_rate"])
