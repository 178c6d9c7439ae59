"""Resources committed against assigned, per alliance and side."""

from __future__ import annotations

import numpy as np
import pytest
from frame_helpers import tf

from alliance_kit.succeed import operations


def test_fulfilment_uses_the_latest_period_per_side():
    base = dict(name="n", partner="p", type="co-sell", stage="5 working together",
                start_date="2024-01-01", owner="o", expected_revenue=1.0, currency="USD",
                importance=3)  # fmt: skip
    r = [
        ("R1", "A1", "us", "2026-Q2", 4, 1, 100, 100),
        ("R2", "A1", "us", "2026-Q3", 2, 1, 100, 80),
        ("R3", "A1", "us", "2026-Q3", 2, 2, 0, 0),  # second line of the same period
        ("R4", "A1", "partner", "2026-Q1", 1, 3, 50, 25),  # over-assigned FTE caps at 1
        ("R5", "A1", "partner", "2026-Q4", 1, 0, 50, 0),  # after the period
    ]
    cols = ["id", "alliance_id", "side", "period", "fte_committed", "fte_assigned",
            "budget_committed", "budget_assigned"]  # fmt: skip
    f = {
        "alliances": tf("alliances", [dict(base, id="A1"), dict(base, id="A2")]),
        "resources": tf("resources", [dict(zip(cols, row, strict=True)) for row in r]),
    }
    o = operations.resource_fulfilment(f, "2026-Q3").set_index(["alliance_id", "side"])
    us = o.loc[("A1", "us")]
    assert us["period"] == "2026-Q3"
    assert (us["fte_committed"], us["fte_assigned"]) == (4.0, 3.0)
    assert us["fte_ratio"] == 0.75 and us["budget_ratio"] == 0.8
    assert us["fulfilment"] == pytest.approx(0.775)
    partner = o.loc[("A1", "partner")]
    assert partner["period"] == "2026-Q1"
    assert (partner["fte_ratio"], partner["budget_ratio"], partner["fulfilment"]) == (1, 0.5, 0.75)
    assert np.isnan(o.loc[("A2", "us"), "fulfilment"])
