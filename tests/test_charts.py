"""Health charts build from scores and render offline as SVG (no script, no CDN)."""

from __future__ import annotations

import sys
from pathlib import Path

import altair as alt
import pandas as pd
import pytest

from alliance_kit import charts, health

sys.path.insert(0, str(Path(__file__).parent))
from test_health import PREV, P, alert_frames, base_frames  # noqa: E402


@pytest.fixture(scope="module")
def scores():
    return health.score_portfolio(base_frames(), P)


def assert_offline(chart) -> str:
    html = charts.chart_html(chart)
    assert html.startswith('<div class="ak-chart"><svg')
    lower = html.lower()
    assert (
        "<script" not in lower
        and "cdn" not in lower
        and "http" not in lower.replace("http://www.w3.org", "")
    )
    return html


def test_status_colours_are_defined_once_and_used(scores):
    assert set(charts.STATUS_COLOURS) == {"green", "amber", "red"}
    html = assert_offline(charts.crack_heatmap(scores))
    for status in ("green", "amber", "red"):  # A1 has cracks of every status
        assert charts.STATUS_COLOURS[status] in html


def test_cracks_by_side_shows_both_sides_and_the_gap(scores):
    html = assert_offline(charts.cracks_by_side(scores, "A1"))
    assert charts.SIDE_COLOURS["us"] in html and charts.SIDE_COLOURS["partner"] in html
    assert "gap +29" in html


def test_trend_health_vs_value_and_revenue_at_risk(scores):
    h = health.history(alert_frames(), [PREV, P])
    assert "health index" in assert_offline(charts.trend(h, "A1"))
    assert_offline(charts.health_vs_value(scores))
    assert "USD" in assert_offline(charts.revenue_at_risk(scores))


def test_offline_enables_a_static_renderer():
    before = alt.renderers.active
    try:
        charts.offline()
        assert alt.renderers.active == "svg"
        with pytest.raises(ValueError):
            charts.offline("default")
    finally:
        alt.renderers.enable(before)


def test_bubble_ids_are_staggered_where_bubbles_crowd():
    from alliance_kit.charts import label_positions

    a = pd.DataFrame(
        {
            "alliance_id": ["A008", "A010", "A002", "A003", "A001", "A012"],
            "health_index": [63.8, 70.0, 88.8, 88.2, 88.9, 30.0],
            "importance": [5, 5, 4, 4, 5, 4],
        }
    )
    y = label_positions(a).set_index("alliance_id")["label_y"]
    # ids of bubbles within 7 points at the same importance are written apart
    assert abs(y["A008"] - y["A010"]) > 0.2 and abs(y["A002"] - y["A003"]) > 0.2
    # lone bubbles keep their own height
    assert y["A001"] == 5 and y["A012"] == 4
