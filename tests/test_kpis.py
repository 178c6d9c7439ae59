"""KPI evidence: SMART completeness, agreement, actuals reported on time."""

from __future__ import annotations

import numpy as np
import pytest
from frame_helpers import alliances, tf

from alliance_kit.imagine import kpis

P = "2026-Q3"


FULL = dict(owner="o", baseline=0.0, target=1.0, due_date="2027-01-01", cadence="quarterly",
            data_source="CRM")  # fmt: skip


def kpi(kid, aid="A1", **kw):
    return dict(dict(id=kid, alliance_id=aid, name=kid, direction="increase"), **kw)


def frames():
    return {
        "alliances": alliances(dict(id="A1"), dict(id="A2"), dict(id="A3",
                                                               start_date="2026-05-01")),
        "kpis": tf("kpis", [
            kpi("K1", **FULL, agreed_by_both=True),
            kpi("K2", owner="o", baseline=1.0, data_source=" "),  # 2 of 6 (blank source)
            kpi("K3", **dict(FULL, cadence="semiannual"), agreed_by_both=True),
            kpi("K4", "A3", **dict(FULL, cadence="annual")),
        ]),
        "kpi_actuals": tf("kpi_actuals", [
            dict(kpi_id="K1", period="2025-Q4", value=1, reported_on="2026-01-30"),  # on time
            dict(kpi_id="K1", period="2026-Q1", value=1, reported_on="2026-05-01"),  # late
            dict(kpi_id="K1", period="2026-Q3", value=1),  # no date: counts on time
            dict(kpi_id="K3", period="2026-Q2", value=1, reported_on="2026-07-10"),
            dict(kpi_id="K3", period="2026-Q1", value=1, reported_on="2026-04-10"),  # not due
        ]),
    }  # fmt: skip


def test_kpi_definitions_per_kpi():
    d = kpis.kpi_definitions(frames()).set_index("kpi_id")
    assert d.loc["K1", "completeness"] == 1.0 and d.loc["K1", "missing"] == ""
    assert d.loc["K2", "filled"] == 2
    assert d.loc["K2", "missing"] == "target, due_date, cadence, data_source"


def test_smart_completeness_and_agreement_per_alliance():
    k = kpis.kpi_completeness(frames()).set_index("alliance_id")
    assert k.loc["A1", ["kpis", "complete"]].tolist() == [3, 2]
    assert k.loc["A1", "completeness"] == pytest.approx((1 + 2 / 6 + 1) / 3)
    assert k.loc["A1", "agreed"] == pytest.approx(2 / 3)
    assert k.loc["A2", ["kpis", "completeness", "agreed"]].tolist() == [0, 0.0, 0.0]


def test_actuals_on_time_follow_cadence_and_grace():
    a = kpis.actuals_on_time(frames(), P).set_index("alliance_id")
    # K1 quarterly 4 + K2 (no cadence: quarterly) 4 + K3 semiannual (2025-Q4, 2026-Q2) 2
    assert a.loc["A1", ["expected", "reported", "on_time"]].tolist() == [10, 4, 3]
    assert a.loc["A1", "rate"] == pytest.approx(3 / 10)
    assert np.isnan(a.loc["A2", "rate"])
    # A3 started in 2026-Q2; its annual KPI reports only in Q4: nothing expected yet
    assert a.loc["A3", "expected"] == 0
    loose = kpis.actuals_on_time(frames(), P, grace_days=40).set_index("alliance_id")
    assert loose.loc["A1", "on_time"] == 4
