"""KPI reporting figures, hand-computed: the linear forecast and its prediction interval,
status per KPI, trend, both sides, and the on-time log (equal to the crack 4 indicator)."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from frame_helpers import tf

from alliance_kit.imagine import kpis
from alliance_kit.succeed import kpi_reporting as kr

ALLIANCE = dict(name="n", partner="p", type="co-sell", stage="5 working together",
                start_date="2024-01-01", owner="o", expected_revenue=1.0, currency="USD",
                importance=3)  # fmt: skip
T_95_2 = 2.919985580355516  # t quantile 0.95 with 2 degrees of freedom (tables: 2.920)


def test_forecast_by_hand():
    # x = 0..3, y = 1, 3, 2, 4: mean x 1.5, mean y 2.5, Sxx = 5, Sxy = 4 -> slope 0.8,
    # intercept 1.3; residuals -0.3, 0.9, -0.9, 0.3 -> SSR 1.8, s^2 = 1.8 / 2 = 0.9.
    # At x0 = 5: 1.3 + 4 = 5.3; se = sqrt(0.9 * (1 + 1/4 + 3.5^2 / 5)) = sqrt(0.9 * 3.7)
    # = 1.82483; half-width = t * se = 5.3285, so the 90% interval is -0.0285 .. 10.6285.
    f = kr.linear_forecast([0, 1, 2, 3], [1, 3, 2, 4], 5)
    half = T_95_2 * math.sqrt(0.9 * 3.7)
    assert f.slope == pytest.approx(0.8) and f.n == 4
    assert f.value == pytest.approx(5.3)
    assert f.low == pytest.approx(5.3 - half) and f.high == pytest.approx(5.3 + half)
    assert half == pytest.approx(5.3285, abs=1e-4)


def test_forecast_interval_narrows_with_a_higher_level_less_and_vanishes_on_a_line():
    wide = kr.linear_forecast([0, 1, 2, 3], [1, 3, 2, 4], 5, level=0.95)
    narrow = kr.linear_forecast([0, 1, 2, 3], [1, 3, 2, 4], 5, level=0.5)
    assert wide.high - wide.low > narrow.high - narrow.low
    exact = kr.linear_forecast([0, 1, 2], [2, 4, 6], 4)
    assert (exact.value, exact.low, exact.high) == pytest.approx((10, 10, 10))


def test_forecast_with_too_few_points():
    assert kr.linear_forecast([0], [1], 3) is None
    assert kr.linear_forecast([2, 2], [1, 3], 3) is None
    two = kr.linear_forecast([0, 1], [1, 3], 3)
    assert two.value == pytest.approx(7) and two.low is None and two.high is None


def test_quarter_positions():
    assert kr.quarter_index("2026-Q3") - kr.quarter_index("2025-Q4") == 3
    assert kr.due_period(pd.Timestamp("2027-02-10")) == "2027-Q1"
    assert kr.due_period(pd.NaT) is None
    assert kr.progress(15, 10, 20) == 0.5 and math.isnan(kr.progress(15, 10, 10))


def kpi(id_, direction="increase", baseline=0.0, target=10.0, due="2027-03-15", side="us",
        cadence="quarterly"):  # fmt: skip
    return dict(id=id_, alliance_id="A1", objective_id=None, name=f"KPI {id_}", owner="o",
                owner_side=side, unit="u", direction=direction, baseline=baseline,
                target=target, due_date=due, cadence=cadence, data_source="s",
                agreed_by_both=True)  # fmt: skip


def actuals(id_, values, first="2025-Q4", reported=None):
    from alliance_kit.records import periods

    ps = periods.span(first, periods.shift(first, len(values) - 1))
    return [
        dict(kpi_id=id_, period=p, value=v, reported_on=(reported or {}).get(p, periods.end(p)))
        for p, v in zip(ps, values, strict=True)
    ]


@pytest.fixture
def frames():
    k = [
        kpi("K1"),  # 1, 3, 2, 4 over 2025-Q4..2026-Q3; due 2027-Q1 = 2 quarters after the last
        kpi("K2", target=5.0),  # latest 6 >= 5: achieved
        kpi("K3", target=5.0),  # latest 4 < 5, forecast 5.3 >= 5: on track
        kpi("K4", target=11.0, side="partner"),  # favourable end 10.63 < 11: off track
        kpi(
            "K5", direction="decrease", baseline=10, target=2, due="2026-06-30", side="partner"
        ),  # due 2026-Q2, passed, not reached: missed  # fmt: skip
        kpi("K6", target=None, side=None),  # no target
        kpi("K7"),  # one actual: too early
        kpi("K8"),  # none: not reported
    ]
    a = (actuals("K1", [1, 3, 2, 4]) + actuals("K2", [1, 6]) + actuals("K3", [1, 3, 2, 4])
         + actuals("K4", [1, 3, 2, 4]) + actuals("K5", [9, 8, 7, 6]) + actuals("K6", [1, 2])
         + actuals("K7", [1], first="2026-Q3"))  # fmt: skip
    return {
        "alliances": tf("alliances", [dict(ALLIANCE, id="A1")]),
        "kpis": tf("kpis", k),
        "kpi_actuals": tf("kpi_actuals", a),
    }


def test_status_per_kpi(frames):
    s = kr.kpi_status(frames, "A1", "2026-Q3").set_index("kpi_id")
    k1 = s.loc["K1"]
    # x: 2025-Q4..2026-Q3 = i..i+3, due 2027-Q1 = i+5: the hand-computed case above
    assert k1["forecast"] == pytest.approx(5.3)
    assert k1["forecast_high"] == pytest.approx(5.3 + T_95_2 * math.sqrt(0.9 * 3.7))
    assert k1["forecast_low"] == pytest.approx(5.3 - 5.3285, abs=1e-4)
    assert k1["status"] == "at risk"  # 5.3 < 10 but the favourable end 10.63 >= 10
    assert (k1["actual"], k1["previous"], k1["change"]) == (4, 2, 2)
    assert k1["progress"] == pytest.approx(0.4) and k1["trend"] == "improving"
    assert k1["slope"] == pytest.approx(0.8) and k1["due_period"] == "2027-Q1"
    assert s["status"].to_dict() == {
        "K1": "at risk", "K2": "achieved", "K3": "on track", "K4": "off track",
        "K5": "missed", "K6": "no target", "K7": "too early", "K8": "not reported",
    }  # fmt: skip
    assert s.loc["K5", "trend"] == "improving"  # falling, and lower is better
    assert math.isnan(s.loc["K5", "forecast"])  # due quarter passed: no forecast
    assert s.loc["K6", "trend"] == "improving" and math.isnan(s.loc["K6", "forecast"])
    assert s.loc["K7", "trend"] == "no trend yet"


def test_status_order_is_worst_first(frames):
    s = kr.kpi_status(frames, "A1", "2026-Q3")
    assert s["status"].tolist() == ["missed", "off track", "at risk", "not reported",
                                    "too early", "no target", "on track", "achieved"]  # fmt: skip


def test_decreasing_kpi_reaches_its_target_from_above(frames):
    f = dict(frames)
    f["kpis"] = tf("kpis", [kpi("K9", direction="decrease", baseline=10, target=5)])
    f["kpi_actuals"] = tf("kpi_actuals", actuals("K9", [9, 7, 8, 6]))
    # mirror of the hand case: y = 10 - (1, 3, 2, 4) -> forecast 10 - 5.3 = 4.7 <= 5
    s = kr.kpi_status(f, "A1", "2026-Q3").iloc[0]
    assert s["forecast"] == pytest.approx(4.7) and s["status"] == "on track"


def test_both_sides(frames):
    b = kr.by_side(kr.kpi_status(frames, "A1", "2026-Q3")).set_index("status")
    assert b.loc["at risk"].tolist() == [1, 0, 0]
    assert b.loc["off track"].tolist() == [0, 1, 0]
    assert b.loc["missed"].tolist() == [0, 1, 0]
    assert b.loc["no target"].tolist() == [0, 0, 1]
    assert b.loc["total"].tolist() == [5, 2, 1]


def test_actuals_by_period(frames):
    a = kr.alliance_actuals(frames, "A1", "2026-Q2")
    k1 = a[a["kpi_id"] == "K1"]
    assert k1["period"].tolist() == ["2025-Q4", "2026-Q1", "2026-Q2"]  # not past the period
    assert k1["progress"].tolist() == pytest.approx([0.1, 0.3, 0.2])


@pytest.fixture
def reporting():
    k = [kpi("K1"), kpi("K2", cadence="semiannual"), kpi("K3", cadence="annual")]
    reported = {"2026-Q1": "2026-05-15", "2026-Q2": "2026-07-30"}  # 45 days late; on the day
    a = actuals("K1", [1, 2, 3], first="2025-Q4", reported=reported)  # 2026-Q3 missing
    a += [dict(kpi_id="K2", period="2026-Q2", value=1.0, reported_on=None)]  # no date: on time
    return {
        "alliances": tf("alliances", [dict(ALLIANCE, id="A1", start_date="2025-11-01")]),
        "kpis": tf("kpis", k),
        "kpi_actuals": tf("kpi_actuals", a),
    }


def test_reporting_log_by_hand(reporting):
    log = kr.reporting_log(reporting, "A1", "2026-Q3")
    got = {(r.kpi_id, r.period): r.state for r in log.itertuples()}
    # window 2025-Q4..2026-Q3, all active (start 2025-11-01); K1 quarterly: 4 reports;
    # K2 semiannual: Q2 and Q4 -> 2025-Q4 (missing), 2026-Q2 (on time); K3 annual: 2025-Q4
    assert got == {
        ("K1", "2025-Q4"): "on time", ("K1", "2026-Q1"): "late", ("K1", "2026-Q2"): "on time",
        ("K1", "2026-Q3"): "missing", ("K2", "2025-Q4"): "missing", ("K2", "2026-Q2"): "on time",
        ("K3", "2025-Q4"): "missing",
    }  # fmt: skip
    late = log[log["state"] == "late"].iloc[0]
    assert late["days_late"] == 15  # deadline 2026-04-30, reported 2026-05-15


def test_on_time_share_is_the_crack_4_indicator(reporting):
    s = kr.on_time_summary(reporting, "A1", "2026-Q3")
    assert s == {"expected": 7, "reported": 4, "on_time": 3, "rate": pytest.approx(3 / 7)}
    log = kr.reporting_log(reporting, "A1", "2026-Q3")
    assert (log["state"] == "on time").sum() == s["on_time"]
    ref = kpis.actuals_on_time(reporting, "2026-Q3").set_index("alliance_id").loc["A1"]
    assert (ref["expected"], ref["on_time"]) == (7, 3)


def test_log_matches_the_indicator_on_the_sample():
    from alliance_kit.records import sample

    f = sample.portfolio(last_period="2026-Q3")
    ref = kpis.actuals_on_time(f, "2026-Q3").set_index("alliance_id")
    for a in ("A003", "A007", "A011"):
        log = kr.reporting_log(f, a, "2026-Q3")
        assert len(log) == ref.loc[a, "expected"]
        assert (log["state"] == "on time").sum() == ref.loc[a, "on_time"]


def test_an_alliance_without_kpis(frames):
    f = {**frames, "alliances": tf("alliances", [dict(ALLIANCE, id="A1"), dict(ALLIANCE, id="A3")])}
    assert kr.kpi_status(f, "A3", "2026-Q3").empty
    assert kr.reporting_log(f, "A3", "2026-Q3").empty
    s = kr.on_time_summary(f, "A3", "2026-Q3")
    assert s["expected"] == 0 and math.isnan(s["rate"])
    assert kr.by_side(kr.kpi_status(f, "A3", "2026-Q3"))["us"].sum() == 0
