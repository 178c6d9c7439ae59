"""Health charts build from scores and render offline as SVG (no script, no CDN)."""

from __future__ import annotations

import sys
from pathlib import Path

import altair as alt
import pandas as pd
import pytest

from alliance_kit.assess import health, scoring
from alliance_kit.views import charts

sys.path.insert(0, str(Path(__file__).parent))
from test_health import OPEN, PREV, P, alert_frames, base_frames  # noqa: E402


@pytest.fixture(scope="module")
def scores():
    return health.score_portfolio(base_frames(), P, OPEN)  # partner side of 2 shown


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
    assert "gap +29.2" in html


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


def _label_clashes(placed: pd.DataFrame) -> list[tuple[str, str]]:
    """Pairs (id, what it covers): another bubble or another id, in px on the chart."""
    from alliance_kit.views.charts import (
        BUBBLE_PLOT,
        _box_hits_circle,
        _box_overlap,
        _bubbles_px,
        label_boxes,
    )  # fmt: skip

    boxes = [tuple(b) for b in label_boxes(placed)]
    cx, cy, r = _bubbles_px(placed)
    ids = placed["alliance_id"].tolist()
    clashes = []
    for i, box in enumerate(boxes):
        if box[0] < 0 or box[2] > BUBBLE_PLOT[0] or box[1] < 0 or box[3] > BUBBLE_PLOT[1]:
            clashes.append((ids[i], "outside"))
        for j in range(len(boxes)):
            if _box_hits_circle(box, cx[j], cy[j], r[j]) > 0.5:
                clashes.append((ids[i], f"bubble {ids[j]}"))
            if j != i and _box_overlap(box, boxes[j]) > 0:
                clashes.append((ids[i], f"id {ids[j]}"))
    return clashes


def test_bubble_ids_are_placed_clear_of_their_neighbours():
    from alliance_kit.views.charts import label_positions

    a = pd.DataFrame(
        {
            "alliance_id": ["A008", "A010", "A002", "A003", "A001", "A012"],
            "health_index": [63.8, 70.0, 88.8, 88.2, 88.9, 30.0],
            "importance": [5, 5, 4, 4, 5, 4],
            "expected_revenue": [60e6, 90e6, 45e6, 38e6, 120e6, 1e6],
        }
    )
    p = label_positions(a)
    assert _label_clashes(p) == []
    p = p.set_index("alliance_id")
    # a lone bubble has its id to its right
    assert p.loc["A012", "label_align"] == "left" and p.loc["A012", "label_y"] == 4
    assert p.loc["A012", "label_x"] > 30.0


def test_bubble_ids_clear_in_every_quarter_of_the_sample():
    """The dashboard labels every bubble: no id over another bubble or id (2025-Q2 had
    overlapping ids), in any quarter the sample has."""
    import datetime as dt

    from alliance_kit.assess import health
    from alliance_kit.records import periods, sample
    from alliance_kit.views.charts import label_positions

    frames = sample.portfolio(n_alliances=12, seed=7, last_period="2026-Q3")
    cfg = scoring.ScoringConfig(as_of=dt.date(2026, 11, 27))
    # 2025-Q1 has no survey in the sample: every alliance is not assessed, no bubble
    for period in periods.span("2025-Q2", "2026-Q3"):
        a = health.score_portfolio(frames, period, cfg).alliances.dropna(subset=["health_index"])
        assert len(a) >= 10
        assert _label_clashes(label_positions(a)) == [], period


def test_a_control_character_in_a_label_is_drawn_not_fatal():
    """vl-convert aborts the process on a NUL (a report kernel: every report after it);
    a label holding one, from a store filled before the intake refused them, is drawn as
    an escape. Run in a child process: on failure it dies, not the test run."""
    import subprocess

    code = (
        "import altair as alt, pandas as pd\n"
        "from alliance_kit.views import charts\n"
        "data = pd.DataFrame({'id': ['A\\x003', 'B\\x0b1'], 'x': [1, 2]})\n"
        "chart = alt.Chart(data).mark_text().encode(x='x:Q', text='id:N')\n"
        "print(charts.chart_svg(chart))\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-500:]
    assert "A\\x003" in run.stdout and "\x00" not in run.stdout


def test_count_axes_show_each_whole_number_once():
    """A status chart of one alliance has ticks 0 and 1, not 0, 0.5 and 1 printed 0, 1, 1."""
    counts = pd.DataFrame({"status": ["red", "amber", "green", "not assessed"],
                           "alliances": [0, 0, 0, 1]})  # fmt: skip
    spec = charts.status_counts_chart(counts).to_dict()
    axes = [layer["encoding"]["y"]["axis"] for layer in spec["layer"] if "y" in layer["encoding"]]
    axes = axes or [spec["encoding"]["y"]["axis"]]
    assert all(a["values"] == [0, 1] for a in axes)
    assert charts.count_axis(250).to_dict()["tickMinStep"] == 1
