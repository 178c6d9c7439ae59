"""Every chart of the suite, rendered offline.

Charts are Altair specs built from small, already-aggregated frames. They render as
static SVG through vl-convert (no JavaScript, nothing fetched from a CDN), so they show
in notebooks, Voila pages and HTML reports on machines without internet:
call ``offline()`` once in a notebook, or ``chart_html(chart)`` (a ``div`` to embed in a
page) / ``chart_svg(chart)`` (the bare SVG) for reports and dashboards. Status colours are
defined once here (``STATUS_COLOURS``, ``status_scale()``).

Sections: health charts (this module's owner); other modules append their own
section at the end, never editing the functions of another section.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

import altair as alt
import numpy as np
import pandas as pd

from alliance_kit.records.model import visible
from alliance_kit.views.formatting import money, signed

if TYPE_CHECKING:
    from alliance_kit.assess.health import PortfolioScores
    from alliance_kit.imagine.business_case import MonteCarloResult

#: Traffic-light colours used by every chart, table and dashboard.
STATUS_COLOURS = {"green": "#2e7d32", "amber": "#f0a202", "red": "#c62828"}
NO_DATA_COLOUR = "#9aa5b1"
SIDE_COLOURS = {"us": "#1f5f8b", "partner": "#9c6ade"}
EVIDENCE_COLOUR = NO_DATA_COLOUR  # the records' score beside the two surveys
#: Health thresholds drawn as dashed lines: amber from 50, green from 70.
THRESHOLDS = (50.0, 70.0)
FONT = "Helvetica, Arial, sans-serif"


def offline(renderer: str = "svg") -> None:
    """Render Altair charts without a CDN in this kernel (static SVG via vl-convert)."""
    if renderer not in ("svg", "png"):
        raise ValueError("offline rendering is 'svg' or 'png'")
    alt.renderers.enable(renderer)


#: A crack or alliance without a score: drawn grey, never in a status colour.
NOT_ASSESSED = "not assessed"


def status_scale() -> alt.Scale:
    return alt.Scale(
        domain=[*STATUS_COLOURS, NOT_ASSESSED], range=[*STATUS_COLOURS.values(), NO_DATA_COLOUR]
    )


def side_scale() -> alt.Scale:
    return alt.Scale(domain=list(SIDE_COLOURS), range=list(SIDE_COLOURS.values()))


def chart_svg(chart: alt.TopLevelMixin) -> str:
    """The chart as a bare SVG string (vl-convert; nothing is fetched). Control characters
    in labels are drawn as escapes: vl-convert aborts the whole process on a NUL (in a
    report kernel, every report after it), and the intake refuses them, but a store filled
    by an older version may still hold one."""
    import vl_convert as vlc

    spec = chart.to_dict()
    if _JSON_CONTROL.search(json.dumps(spec)):
        spec = _visible_text(spec)
    return vlc.vegalite_to_svg(spec)


#: A control character as json.dumps writes it (tab and line breaks are written \t, \n).
_JSON_CONTROL = re.compile(r"\\u00[01][0-9a-f]|\\ud[89a-f]|\\uff[f][ef]")


def _visible_text(value: Any) -> Any:
    """``value`` (a chart spec) with its text's forbidden characters written as escapes."""
    if isinstance(value, str):
        return visible(value)
    if isinstance(value, dict):
        return {visible(k): _visible_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_visible_text(v) for v in value]
    return value


def chart_html(chart: alt.TopLevelMixin | None) -> str:
    """The chart as inline SVG in a ``div``: safe to embed in any HTML report offline
    ('' for no chart)."""
    if chart is None:
        return ""
    return f'<div class="ak-chart">{chart_svg(chart)}</div>'


# --- health charts ----------------------------------------------------------------------


def _crack_labels(cracks: pd.DataFrame) -> pd.Series:
    from alliance_kit.records import questionnaire

    short = {n: c.short for n, c in questionnaire.cracks().items()}
    return cracks["crack"].astype(int).astype(str) + " " + cracks["crack"].map(short)


def cracks_by_side(
    scores: PortfolioScores,
    alliance_id: str,
    *,
    evidence: bool = False,
) -> alt.LayerChart:
    """One alliance: survey mean per crack for each side (grouped bars; with ``evidence``
    a third bar for the records' evidence score), the blended score as a status-coloured
    tick, and the perception gap written above each crack."""
    c = scores.cracks[scores.cracks["alliance_id"] == alliance_id].copy()
    c["label"] = _crack_labels(c)
    sources = {"survey_us": "us", "survey_partner": "partner"}
    colours = dict(SIDE_COLOURS)
    if evidence:
        sources["evidence"] = "evidence"
        colours["evidence"] = EVIDENCE_COLOUR
    bars = c.melt(id_vars=["label"], value_vars=list(sources), value_name="mean").dropna(
        subset=["mean"]
    )
    bars["side"] = bars["variable"].map(sources)
    order = list(c["label"])
    x = alt.X("label:N", sort=order, title=None, axis=alt.Axis(labelAngle=0))
    bar = (
        alt.Chart(bars)
        .mark_bar()
        .encode(
            x=x,
            xOffset=alt.XOffset("side:N", sort=list(colours)),
            y=alt.Y(
                "mean:Q",
                scale=alt.Scale(domain=[0, 100]),
                title="score (0-100)" if evidence else "survey mean (0-100)",
            ),
            color=alt.Color(
                "side:N",
                scale=alt.Scale(domain=list(colours), range=list(colours.values())),
                title="source" if evidence else "side",
            ),
            tooltip=["label", "side", alt.Tooltip("mean:Q", format=".1f")],
        )
    )
    marks = c.dropna(subset=["score"])[["label", "score", "status", "gap"]]
    tick = (
        alt.Chart(marks)
        .mark_tick(thickness=4, size=40)
        .encode(
            x=x,
            y="score:Q",
            color=alt.Color("status:N", scale=status_scale(), title="crack score"),
        )
    )
    # astype(str): mapping an empty column keeps float64, and "gap " + float64 raises
    gaps = marks.dropna(subset=["gap"]).assign(
        text=lambda d: "gap " + d["gap"].map(lambda g: signed(g, 1)).astype(str)
    )
    text = alt.Chart(gaps).mark_text(dy=-6, fontSize=11).encode(x=x, y=alt.datum(100), text="text")
    return (
        alt.layer(bar, tick, text)
        .resolve_scale(color="independent")
        .properties(title=f"{alliance_id}: cracks by side", width=420, height=220)
    )


def crack_heatmap(
    scores: PortfolioScores,
    *,
    weakest_first: bool = False,
) -> alt.LayerChart:
    """Every alliance against the six cracks, coloured by status, with the score; rows by
    id, or with ``weakest_first`` by mean crack score, lowest on top."""
    c = scores.cracks.merge(scores.alliances[["alliance_id", "name"]], on="alliance_id")
    c = c.assign(label=_crack_labels(c), who=c["alliance_id"] + " " + c["name"])
    if weakest_first:
        mean = c.groupby("who")["score"].mean().sort_values(kind="stable")
        rows = list(mean.index)
    else:
        rows = sorted(c["who"].unique())
    c = c[["who", "label", "score", "status"]].fillna({"status": NOT_ASSESSED})
    y = alt.Y("who:N", title=None, sort=rows)
    x = alt.X("label:N", title=None, axis=alt.Axis(orient="top", labelAngle=0))
    domain = [*STATUS_COLOURS, NOT_ASSESSED]
    rect = (
        alt.Chart(c)
        .mark_rect(stroke="white")
        .encode(
            x=x,
            y=y,
            color=alt.Color(
                "status:N",
                scale=alt.Scale(domain=domain, range=[*STATUS_COLOURS.values(), NO_DATA_COLOUR]),
            ),
            tooltip=["who", "label", alt.Tooltip("score:Q", format=".1f"), "status"],
        )
    )
    text = (
        alt.Chart(c.dropna(subset=["score"]))
        .mark_text(fontSize=11, color="white")
        .encode(x=x, y=y, text=alt.Text("score:Q", format=".1f"))
    )
    return alt.layer(rect, text).properties(
        title="Six cracks across the portfolio", width=420, height=max(60, 18 * c["who"].nunique())
    )


def trend(history: pd.DataFrame, alliance_id: str) -> alt.Chart:
    """Health index and crack scores of one alliance over periods (from health.history)."""
    h = history[history["alliance_id"] == alliance_id].dropna(subset=["score"])
    cracks, index = h[h["crack"] > 0], h[h["crack"] == 0]
    x = alt.X("period:O", title=None, axis=alt.Axis(labelAngle=0))
    y = alt.Y("score:Q", scale=alt.Scale(domain=[0, 100]), title="score (0-100)")
    tooltip = ["period", "measure", alt.Tooltip("score:Q", format=".1f")]
    order = list(dict.fromkeys(cracks.sort_values("crack")["measure"]))
    lines = (
        alt.Chart(cracks)
        .mark_line(point=True, strokeWidth=1.5)
        .encode(
            x=x, y=y, color=alt.Color("measure:N", sort=order, title="crack"), tooltip=tooltip
        )  # fmt: skip
    )
    overall = (
        alt.Chart(index)
        .mark_line(point=True, strokeWidth=3.5, color="#1f2933")
        .encode(x=x, y=y, tooltip=tooltip)
    )
    rules = (
        alt.Chart(pd.DataFrame({"y": list(THRESHOLDS)}))
        .mark_rule(strokeDash=[4, 4], color=NO_DATA_COLOUR)
        .encode(y="y:Q")
    )
    return alt.layer(rules, lines, overall).properties(
        title=f"{alliance_id}: health index (black) and cracks over time", width=420, height=220
    )


def health_vs_value(
    scores: PortfolioScores,
    *,
    labels: bool = False,
) -> alt.Chart | alt.LayerChart:
    """Health index against strategic importance; bubble size = expected revenue. With
    ``labels``, each bubble carries its alliance id and dashed lines mark the amber and
    green thresholds (printed reports, which have no tooltips)."""
    a = scores.alliances.dropna(subset=["health_index"])
    a = a[["alliance_id", "name", "health_index", "importance", "expected_revenue",
           "currency", "status"]]  # fmt: skip
    points = (
        alt.Chart(a)
        .mark_circle(opacity=0.8, stroke="white")
        .encode(
            x=alt.X("health_index:Q", scale=alt.Scale(domain=[0, 100]), title="health index"),
            y=alt.Y(
                "importance:Q",
                scale=alt.Scale(domain=[0.5, 5.5]),
                title="strategic importance (1-5)",
            ),  # fmt: skip
            size=alt.Size(
                "expected_revenue:Q",
                title="expected revenue (own currency)",
                scale=alt.Scale(range=list(BUBBLE_AREA)),  # the smallest stays visible
            ),
            color=alt.Color("status:N", scale=status_scale()),
            tooltip=[
                "alliance_id",
                "name",
                alt.Tooltip("health_index:Q", format=".1f"),
                "importance",
                alt.Tooltip("expected_revenue:Q", format=",.0f"),
                "currency",
            ],  # fmt: skip
        )
    )
    chart = points
    if labels:
        placed = label_positions(a)
        ids = alt.layer(
            *(
                alt.Chart(placed[placed["label_align"] == align])
                .mark_text(align=align, baseline="middle", fontSize=10)
                .encode(x="label_x:Q", y="label_y:Q", text="alliance_id:N")
                for align in ("left", "right", "center")
            )
        )
        rules = (
            alt.Chart(pd.DataFrame({"x": list(THRESHOLDS)}))
            .mark_rule(strokeDash=[4, 3], color=NO_DATA_COLOUR)
            .encode(x="x:Q")
        )
        chart = rules + points + ids
    width, height = BUBBLE_PLOT
    return chart.properties(title="Health against strategic value", width=width, height=height)


#: The bubble chart's plot size (px) and bubble areas (px²), shared with label_positions.
BUBBLE_PLOT = (420, 260)
BUBBLE_AREA = (40, 1200)


#: Approximate size (px) of one character and of a line of the ids' 10 px font.
LABEL_CHAR, LABEL_HEIGHT = 6.2, 11.0
_GAP = 3.0  # px between a bubble's edge and its id


def _bubbles_px(a: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Centres (x right, y down) and radii in px of the bubbles health_vs_value draws."""
    width, height = BUBBLE_PLOT
    lo, hi = BUBBLE_AREA
    revenue = a["expected_revenue"].astype(float).fillna(0.0).clip(lower=0.0)
    top = revenue.max() if len(a) and revenue.max() > 0 else 1.0
    r = np.sqrt((lo + (hi - lo) * revenue.to_numpy() / top) / np.pi)
    cx = a["health_index"].astype(float).to_numpy() * width / 100.0
    cy = (5.5 - a["importance"].astype(float).to_numpy()) * height / 5.0
    return cx, cy, r


def label_boxes(a: pd.DataFrame) -> np.ndarray:
    """The px box (left, top, right, bottom) each id of :func:`label_positions` covers."""
    width, height = BUBBLE_PLOT
    x = a["label_x"].astype(float).to_numpy() * width / 100.0
    y = (5.5 - a["label_y"].astype(float).to_numpy()) * height / 5.0
    w = a["alliance_id"].astype(str).str.len().to_numpy() * LABEL_CHAR
    left = np.select(
        [a["label_align"] == "left", a["label_align"] == "right"], [x, x - w], x - w / 2
    )
    return np.column_stack([left, y - LABEL_HEIGHT / 2, left + w, y + LABEL_HEIGHT / 2])


def _box_hits_circle(box: tuple[float, ...], cx: float, cy: float, r: float) -> float:
    """How deep a circle reaches into a box (0: they do not touch)."""
    nx, ny = min(max(cx, box[0]), box[2]), min(max(cy, box[1]), box[3])
    return max(0.0, r - float(np.hypot(cx - nx, cy - ny)))


def _box_overlap(b1: tuple[float, ...], b2: tuple[float, ...]) -> float:
    w = min(b1[2], b2[2]) - max(b1[0], b2[0])
    h = min(b1[3], b2[3]) - max(b1[1], b2[1])
    return max(0.0, w) * max(0.0, h)


def label_positions(a: pd.DataFrame) -> pd.DataFrame:
    """``a`` with where each bubble's id is written: ``label_x``, ``label_y`` (data units)
    and ``label_align`` (left, right or center of the text).

    Each id takes the first place, in the order right, left, above, below, then the four
    diagonals, where it covers no bubble, no id already placed and stays in the plot;
    where no place is free (a crowd), the one it overlaps least. Bubbles are labelled from
    the most crowded first, so they get the free places while there are some."""
    width, height = BUBBLE_PLOT
    if a.empty:
        return a.assign(label_x=[], label_y=[], label_align=[])
    cx, cy, r = _bubbles_px(a)
    n = len(a)
    ids = a["alliance_id"].astype(str).tolist()
    dist = np.hypot(cx[:, None] - cx[None, :], cy[:, None] - cy[None, :]) - r[:, None] - r[None, :]
    np.fill_diagonal(dist, np.inf)
    order = np.argsort(dist.min(axis=1), kind="stable") if n > 1 else np.arange(n)
    placed: list[tuple[float, ...]] = []
    out_x, out_y, out_align = np.zeros(n), np.zeros(n), [""] * n
    for i in order:
        w, h = len(ids[i]) * LABEL_CHAR, LABEL_HEIGHT
        reach = r[i] + _GAP
        diag = r[i] * 0.75 + _GAP
        candidates = [  # (anchor x, anchor y, align), px
            (cx[i] + reach, cy[i], "left"),
            (cx[i] - reach, cy[i], "right"),
            (cx[i], cy[i] - reach - h / 2, "center"),
            (cx[i], cy[i] + reach + h / 2, "center"),
            (cx[i] + diag, cy[i] - diag - h / 2, "left"),
            (cx[i] + diag, cy[i] + diag + h / 2, "left"),
            (cx[i] - diag, cy[i] - diag - h / 2, "right"),
            (cx[i] - diag, cy[i] + diag + h / 2, "right"),
        ]
        far = reach + h  # a second ring, one line further out, for crowds
        candidates += [
            (cx[i], cy[i] - far - h / 2, "center"),
            (cx[i], cy[i] + far + h / 2, "center"),
            (cx[i] + diag + h, cy[i] - diag - h, "left"),
            (cx[i] - diag - h, cy[i] - diag - h, "right"),
            (cx[i] + diag + h, cy[i] + diag + h, "left"),
            (cx[i] - diag - h, cy[i] + diag + h, "right"),
        ]
        best, best_cost = candidates[0], np.inf
        for x, y, align in candidates:
            left = x if align == "left" else x - w if align == "right" else x - w / 2
            box = (left, y - h / 2, left + w, y + h / 2)
            cost = sum(_box_hits_circle(box, cx[j], cy[j], r[j]) * 10 for j in range(n))
            cost += sum(_box_overlap(box, other) for other in placed)
            outside = max(0.0, -box[0]) + max(0.0, box[2] - width)
            outside += max(0.0, -box[1]) + max(0.0, box[3] - height)
            cost += outside * 5
            if cost < best_cost:
                best, best_cost = (x, y, align), cost
            if cost == 0:
                break
        x, y, align = best
        left = x if align == "left" else x - w if align == "right" else x - w / 2
        placed.append((left, y - h / 2, left + w, y + h / 2))
        out_x[i], out_y[i], out_align[i] = x * 100.0 / width, 5.5 - y * 5.0 / height, align
    return a.assign(label_x=out_x, label_y=out_y, label_align=out_align)


def revenue_at_risk(scores: PortfolioScores) -> alt.FacetChart:
    """Revenue at risk per alliance, largest first, one panel per currency."""
    a = scores.alliances.dropna(subset=["revenue_at_risk"])
    a = a.assign(who=a["alliance_id"] + " " + a["name"])
    a = a[["who", "revenue_at_risk", "currency", "status", "failure_probability"]]
    return (
        alt.Chart(a)
        .mark_bar()
        .encode(
            x=alt.X("revenue_at_risk:Q", title="expected revenue x failure probability"),
            y=alt.Y("who:N", sort="-x", title=None),
            color=alt.Color("status:N", scale=status_scale()),
            tooltip=[
                "who",
                alt.Tooltip("revenue_at_risk:Q", format=",.0f"),
                "currency",
                alt.Tooltip("failure_probability:Q", format=".0%"),
            ],  # fmt: skip
        )
        .properties(width=380)
        .facet(row=alt.Row("currency:N", title=None))
        .resolve_scale(x="independent", y="independent")
        .properties(title="Revenue at risk")
    )


# --- business case charts ----------------------------------------------------------------
# Moved from alliance_kit/imagine/business_case.py. Aggregated in pandas first; rendered offline.


def tornado_chart(frame: pd.DataFrame, *, currency: str = "") -> alt.LayerChart:
    """Horizontal bars from NPV low to high per driver, widest swing on top."""
    data = frame[["driver", "down", "up", "npv_low", "npv_high", "base_npv", "swing"]]
    order = list(data.sort_values("swing", ascending=False)["driver"])
    title = f"NPV ({currency})" if currency else "NPV"
    bars = (
        alt.Chart(data)
        .mark_bar(color="#4c78a8")
        .encode(
            y=alt.Y("driver:N", sort=order, title=None),
            x=alt.X("npv_low:Q", title=title),
            x2="npv_high:Q",
            tooltip=[
                "driver",
                "down",
                "up",
                alt.Tooltip("npv_low:Q", format=",.0f"),
                alt.Tooltip("npv_high:Q", format=",.0f"),
            ],
        )
    )
    base = alt.Chart(data.head(1)).mark_rule(color="#222", strokeDash=[4, 3]).encode(x="base_npv:Q")
    return (bars + base).properties(title="Sensitivity of NPV", width=420, height=180)


def bands_chart(bands: pd.DataFrame, *, currency: str = ""):
    """Cumulative cash flow by year: the plan, the Monte Carlo median and P5-P95 band."""
    title = f"cumulative cash ({currency})" if currency else "cumulative cash"
    x = alt.X("year:O", title="year")
    band = (
        alt.Chart(bands)
        .mark_area(opacity=0.25, color="#4c78a8")
        .encode(x=x, y=alt.Y("p5:Q", title=title), y2="p95:Q")
    )
    lines = (
        alt.Chart(
            bands.rename(columns={"p50": "Monte Carlo median"}).melt(
                id_vars=["year"], value_vars=["Monte Carlo median", "plan"], var_name="line"
            )
        )
        .mark_line(point=True)
        .encode(
            x=x,
            y="value:Q",
            color=alt.Color("line:N", title=None),
            strokeDash=alt.StrokeDash("line:N", title=None),
        )
    )
    zero = alt.Chart(pd.DataFrame({"y": [0]})).mark_rule(color="#999").encode(y="y:Q")
    return (band + lines + zero).properties(
        title="Cumulative cash flow, Monte Carlo P5-P95", width=420, height=220
    )


def cash_flow_chart(flows: pd.DataFrame, *, currency: str = ""):
    """Signed yearly flows per side and category (revenue up, costs and investments down)."""
    long = flows.melt(
        id_vars=["side", "year"],
        value_vars=["revenue", "cost", "investment"],
        var_name="category",
        value_name="amount",
    )
    title = f"cash flow ({currency})" if currency else "cash flow"
    return (
        alt.Chart(long)
        .mark_bar()
        .encode(
            x=alt.X("year:O", title="year"),
            y=alt.Y("sum(amount):Q", title=title),
            color=alt.Color(
                "category:N",
                scale=alt.Scale(
                    domain=["revenue", "cost", "investment"],
                    range=["#54a24b", "#f58518", "#e45756"],
                ),
            ),
            column=alt.Column("side:N", title=None, sort=["us", "partner"]),
        )
        .properties(width=200, height=200)
    )


def npv_histogram(result: MonteCarloResult, *, bins: int = 40, currency: str = "") -> alt.Chart:
    """Distribution of Monte Carlo NPVs, binned in numpy; the share above 0 in the title."""
    counts, edges = np.histogram(result.npv, bins=bins)
    data = pd.DataFrame(
        {
            "low": edges[:-1],
            "high": edges[1:],
            "share": counts / result.n,
            "positive": edges[:-1] >= 0,
        }
    )
    title = f"NPV ({currency})" if currency else "NPV"
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("low:Q", bin="binned", title=title),
            x2="high:Q",
            y=alt.Y("share:Q", title="share of draws", axis=alt.Axis(format="%")),
            color=alt.Color(
                "positive:N",
                scale=alt.Scale(domain=[False, True], range=["#e45756", "#54a24b"]),
                legend=None,
            ),
        )
        .properties(title=f"P(NPV > 0) = {result.p_positive:.0%}", width=420, height=180)
    )


# --- align charts (agreements and governance workbooks) -----------------------------------

SEGMENT_COLOURS = {"in force": "#4c78a8", "notice window": "#f0a202"}
OBLIGATION_COLOURS = {
    "overdue": "#c62828",
    "due soon": "#f0a202",
    "open": "#1f5f8b",
    "done": "#2e7d32",
    "waived": "#9aa5b1",
}


def agreement_timeline(
    bars: pd.DataFrame, as_of: object, obligations: pd.DataFrame | None = None
) -> alt.LayerChart:
    """Gantt of agreements (``agreements.timeline`` rows): each agreement in force, then
    its notice window in amber; obligations as dots on their agreement's row, coloured by
    state; a red rule marks ``as_of``."""
    day = pd.Timestamp(as_of)
    order = list(dict.fromkeys(bars["label"]))
    y = alt.Y("label:N", sort=order, title=None, axis=alt.Axis(labelLimit=320))
    x_title = "date"
    bar = (
        alt.Chart(bars)
        .mark_bar(height=14)
        .encode(
            x=alt.X("start:T", title=x_title),
            x2="end:T",
            y=y,
            color=alt.Color(
                "segment:N",
                scale=alt.Scale(domain=list(SEGMENT_COLOURS), range=list(SEGMENT_COLOURS.values())),
                title="period",
            ),
            tooltip=["label", "segment", "status", "state", "start:T", "end:T"],
        )
    )
    layers: list[alt.Chart] = [bar]
    if obligations is not None and len(obligations):
        labels = bars.drop_duplicates("agreement_id").set_index("agreement_id")["label"]
        dots = obligations.assign(label=obligations["agreement_id"].map(labels)).dropna(
            subset=["label"]
        )[["label", "due_on", "state", "description", "owner"]]
        layers.append(
            alt.Chart(dots)
            .mark_point(filled=True, size=60, stroke="white", strokeWidth=1, opacity=1)
            .encode(
                x="due_on:T",
                y=y,
                fill=alt.Fill(
                    "state:N",
                    scale=alt.Scale(
                        domain=list(OBLIGATION_COLOURS), range=list(OBLIGATION_COLOURS.values())
                    ),
                    title="obligation",
                ),
                tooltip=["description", "owner", "due_on:T", "state"],
            )
        )
    rule = pd.DataFrame({"day": [day], "text": [f"as of {day:%Y-%m-%d}"]})
    layers.append(alt.Chart(rule).mark_rule(color="#c62828", strokeDash=[4, 3]).encode(x="day:T"))
    layers.append(
        alt.Chart(rule)
        .mark_text(align="left", dx=4, dy=-4, color="#c62828", fontSize=11)
        .encode(x="day:T", y=alt.value(0), text="text")
    )
    height = max(60, 26 * len(order))
    return (
        alt.layer(*layers)
        .resolve_scale(color="independent", fill="independent")
        .properties(title="Agreements and obligations", width=560, height=height)
    )


def adherence_trend_chart(trend: pd.DataFrame) -> alt.FacetChart:
    """Governance adherence quarter by quarter (``governance.adherence_trend``): meetings
    held against planned, executive attendance per side and action closure, 0-100%, one
    small chart each (so equal lines do not hide each other). Quarters where a rate has
    no denominator (nothing planned or due) show no point."""
    cols = {
        "meeting_rate": "meetings held / planned",
        "executive_rate_us": "executive attendance (us)",
        "executive_rate_partner": "executive attendance (partner)",
        "closure_rate": "actions closed / due",
    }
    long = trend.melt(id_vars=["period"], value_vars=list(cols), var_name="figure")
    long["figure"] = long["figure"].map(cols)
    long = long.dropna(subset=["value"])
    return (
        alt.Chart(long)
        .mark_line(point=True)
        .encode(
            x=alt.X("period:N", title=None, axis=alt.Axis(labelAngle=0)),
            y=alt.Y(
                "value:Q",
                title=None,
                scale=alt.Scale(domain=[0, 1]),
                axis=alt.Axis(format="%", tickCount=5),
            ),
            color=alt.Color("figure:N", legend=None, sort=list(cols.values())),
            tooltip=["period", "figure", alt.Tooltip("value:Q", format=".0%")],
        )
        .properties(width=200, height=120)
        .facet(
            facet=alt.Facet("figure:N", sort=list(cols.values()), title=None),
            columns=4,
        )
        .properties(title="Governance adherence by quarter")
    )


# --- succeed charts (operations, KPI reporting, continuous improvement, lifecycle) -------
# Owned by the Succeed workbook helper. Each takes a frame a Succeed function returns.

LEVEL_COLOURS = {"low": STATUS_COLOURS["green"], "medium": STATUS_COLOURS["amber"],
                 "high": STATUS_COLOURS["red"]}  # fmt: skip
KPI_STATUS_COLOURS = {
    "achieved": STATUS_COLOURS["green"],
    "on track": "#66bb6a",
    "at risk": STATUS_COLOURS["amber"],
    "off track": STATUS_COLOURS["red"],
    "missed": "#8e0000",
    "too early": NO_DATA_COLOUR,
    "not reported": NO_DATA_COLOUR,
    "no target": NO_DATA_COLOUR,
}


def _whole(top: int) -> list[int]:
    """Whole-number axis ticks from 0 to ``top`` (at most about 6 of them)."""
    step = max(1, -(-top // 5))
    return list(range(0, top + step, step))


def action_ageing_chart(summary: pd.DataFrame) -> alt.Chart:
    """Open action items per ageing bucket (``operations.ageing_summary``), stacked by the
    side that owns them; overdue ones counted in the tooltip."""
    from alliance_kit.succeed.operations import AGEING_LABELS

    top = int(summary.groupby("bucket")["open"].sum().max()) if len(summary) else 0
    return (
        alt.Chart(summary)
        .mark_bar()
        .encode(
            x=alt.X("bucket:N", sort=list(AGEING_LABELS), title="age of open actions",
                    axis=alt.Axis(labelAngle=0)),
            y=alt.Y("open:Q", title="open actions", axis=alt.Axis(values=_whole(top), format="d")),
            color=alt.Color("side:N", scale=side_scale(), title="owner"),
            tooltip=["bucket", "side", "open", "overdue"],
        )
        .properties(title="Open actions by age", width=360, height=180)
    )  # fmt: skip


def resources_chart(history: pd.DataFrame, kind: str = "fte") -> alt.FacetChart:
    """Committed (light bar) against assigned (dark bar) per period, one panel per side
    (``operations.resource_history``); ``kind`` is "fte" or "budget"."""
    title = {"fte": "FTE", "budget": "budget"}[kind]
    long = history.melt(
        id_vars=["period", "side"],
        value_vars=[f"{kind}_committed", f"{kind}_assigned"],
        var_name="measure",
    )
    long["measure"] = long["measure"].str.replace(f"{kind}_", "", regex=False)
    return (
        alt.Chart(long)
        .mark_bar()
        .encode(
            x=alt.X("period:N", title=None, axis=alt.Axis(labelAngle=0)),
            xOffset=alt.XOffset("measure:N", sort=["committed", "assigned"]),
            y=alt.Y("value:Q", title=title),
            color=alt.Color(
                "measure:N",
                scale=alt.Scale(domain=["committed", "assigned"], range=["#c9d6e3", "#1f5f8b"]),
                title=None,
            ),
            tooltip=["period", "side", "measure", alt.Tooltip("value:Q", format=",.1f")],
        )
        .properties(width=300, height=150)
        .facet(column=alt.Column("side:N", sort=["us", "partner"], title=None))
        .properties(title=f"{title}: committed against assigned, per partner")
    )


def kpi_chart(actuals: pd.DataFrame, status: pd.DataFrame) -> alt.FacetChart:
    """One small chart per KPI: actuals by quarter (line), the target (dashed rule) and the
    forecast for the due quarter with its prediction interval (``kpi_reporting``); the
    point and title colour follow the KPI's status."""
    s = status.set_index("kpi_id")
    a = actuals.assign(
        label=actuals["kpi_id"] + " " + actuals["name"],
        status=actuals["kpi_id"].map(s["status"]),
        kind="actual",
    )[["kpi_id", "label", "period", "value", "status", "kind"]]
    f = status[status["forecast"].notna()]
    fc = pd.DataFrame({
        "kpi_id": f["kpi_id"], "label": f["kpi_id"] + " " + f["name"],
        "period": f["due_period"], "value": f["forecast"], "low": f["forecast_low"],
        "high": f["forecast_high"], "status": f["status"], "kind": "forecast",
    })  # fmt: skip
    tg = status[status["target"].notna()]
    tg = pd.DataFrame({"label": tg["kpi_id"] + " " + tg["name"], "target": tg["target"]})
    data = pd.concat([a, fc], ignore_index=True)
    data = data.merge(tg, on="label", how="left")
    data = data[data["label"].isin(a["label"])]
    colour = alt.Color(
        "status:N",
        scale=alt.Scale(domain=list(KPI_STATUS_COLOURS), range=list(KPI_STATUS_COLOURS.values())),
        title="status",
    )
    x = alt.X("period:N", title=None, sort="ascending", axis=alt.Axis(labelAngle=-40))
    base = alt.Chart(data)
    line = (
        base.transform_filter(alt.datum.kind == "actual")
        .mark_line(color="#555")
        .encode(x=x, y=alt.Y("value:Q", title=None, scale=alt.Scale(zero=False)))
    )
    dots = base.mark_point(filled=True, size=55).encode(
        x=x, y="value:Q", color=colour, shape=alt.Shape("kind:N", title=None),
        tooltip=["label", "period", "kind", alt.Tooltip("value:Q", format=",.2f"),
                 alt.Tooltip("low:Q", format=",.2f"), alt.Tooltip("high:Q", format=",.2f")],
    )  # fmt: skip
    band = (
        base.transform_filter(alt.datum.kind == "forecast")
        .mark_rule(strokeWidth=2)
        .encode(x=x, y="low:Q", y2="high:Q", color=colour)
    )
    target = base.mark_rule(strokeDash=[5, 3], color="#2e7d32").encode(y="target:Q")
    return (
        alt.layer(line, band, target, dots)
        .properties(width=230, height=130)
        .facet(facet=alt.Facet("label:N", title=None), columns=3)
        .resolve_scale(y="independent", x="independent")
        .properties(
            title="Actuals, target (dashed) and forecast for the due quarter (90% interval)"
        )
    )


def risk_heatmap_chart(cells: pd.DataFrame) -> alt.LayerChart:
    """The 5 x 5 likelihood-by-impact grid (``improvement.heatmap_cells``): cells coloured
    by risk level, the number of open risks written in each."""
    base = alt.Chart(cells).encode(
        x=alt.X("impact:O", title="impact", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("likelihood:O", title="likelihood", sort="descending"),
    )
    rect = base.mark_rect(stroke="white", strokeWidth=2).encode(
        color=alt.Color("level:N", scale=alt.Scale(domain=list(LEVEL_COLOURS),
                        range=list(LEVEL_COLOURS.values())), title="level"),
        opacity=alt.condition(alt.datum.risks > 0, alt.value(1.0), alt.value(0.25)),
        tooltip=["likelihood", "impact", "score", "level", "risks", "ids"],
    )  # fmt: skip
    text = (
        base.transform_filter(alt.datum.risks > 0)
        .mark_text(fontSize=15, fontWeight="bold", color="white")
        .encode(text="risks:Q")
    )
    return (rect + text).properties(title="Open risks: likelihood by impact", width=250,
                                    height=250)  # fmt: skip


def risk_history_chart(history: pd.DataFrame) -> alt.Chart:
    """Risks reviewed per quarter, stacked by level (``improvement.risk_history``)."""
    top = int(history.groupby("period")["risks"].sum().max()) if len(history) else 0
    return (
        alt.Chart(history)
        .mark_bar()
        .encode(
            x=alt.X("period:N", title=None, axis=alt.Axis(labelAngle=0)),
            y=alt.Y("risks:Q", title="risks reviewed",
                    axis=alt.Axis(values=_whole(top), format="d")),
            color=alt.Color("level:N", scale=alt.Scale(domain=list(LEVEL_COLOURS),
                            range=list(LEVEL_COLOURS.values())), title="level"),
            order=alt.Order("level:N", sort="descending"),
            tooltip=["period", "level", "risks", "total_score"],
        )
        .properties(title="Risk exposure by quarter", width=260, height=180)
    )  # fmt: skip


LIFECYCLE_COLOURS = {
    "exists": "#1f5f8b",
    "missing": STATUS_COLOURS["red"],
    "exists (later stage)": "#9aa5b1",
    "missing (later stage)": "#e3e7ec",
}


def lifecycle_chart(stages: pd.DataFrame) -> alt.Chart:
    """Artefacts per ISO 44001 stage (``lifecycle.stage_completeness``): existing in blue,
    missing in red for the stages reached; stages not reached yet in greys."""
    d = stages.assign(
        label=stages["stage"].astype(str) + " " + stages["stage_name"],
        missing=stages["artefacts"] - stages["existing"],
    )
    later = np.where(d["expected"], "", " (later stage)")
    long = pd.concat(
        [
            pd.DataFrame({"label": d["label"], "n": d[col], "part": part + later, "k": k})
            for k, (col, part) in enumerate((("existing", "exists"), ("missing", "missing")))
        ]
    )
    long = long[long["n"] > 0]
    return (
        alt.Chart(long)
        .mark_bar()
        .encode(
            y=alt.Y("label:N", sort=list(d["label"]), title=None, axis=alt.Axis(labelLimit=220)),
            x=alt.X("n:Q", title="artefacts", axis=alt.Axis(tickMinStep=1, format="d")),
            color=alt.Color("part:N", scale=alt.Scale(domain=list(LIFECYCLE_COLOURS),
                            range=list(LIFECYCLE_COLOURS.values())), title=None),
            order=alt.Order("k:Q"),
            tooltip=["label", "part", "n"],
        )
        .properties(title="ISO 44001 artefacts per stage", width=320, height=24 * len(d))
    )  # fmt: skip


# --- dashboard charts --------------------------------------------------------------------
# The executive dashboard's own charts (alliance_kit.views.dashboard builds their frames; statuses
# come in the frames' order, worst first). Compact, for cards beside each other.


def dashboard_revenue_at_risk(top: pd.DataFrame) -> alt.Chart | alt.LayerChart | alt.FacetChart:
    """Bars of revenue at risk for the alliances most at risk, each labelled with its
    amount in its own currency (``$1.23M``), one panel per currency."""
    data = top.assign(
        label=[
            money(v, c, style="symbol")
            for v, c in zip(top["revenue_at_risk"], top["currency"], strict=True)
        ],
        alliance=top["name"].astype(str),
    )[["alliance", "revenue_at_risk", "currency", "status", "label"]]
    order = data.sort_values("revenue_at_risk", ascending=False)["alliance"].tolist()
    base = alt.Chart(data).encode(
        y=alt.Y("alliance:N", sort=order, title=None, axis=alt.Axis(labelLimit=190)),
        x=alt.X("revenue_at_risk:Q", title="revenue at risk", axis=alt.Axis(format="~s")),
    )
    bars = base.mark_bar().encode(
        color=alt.Color("status:N", scale=status_scale(), legend=None),
        tooltip=["alliance", "label", "status"],
    )
    text = base.mark_text(align="left", dx=3, fontSize=11).encode(text="label:N")
    layered = alt.layer(bars, text, data=data).properties(width=400)
    if data["currency"].nunique() > 1:
        return layered.facet(row=alt.Row("currency:N", title=None)).resolve_scale(
            x="independent", y="independent"
        )
    return layered


def count_axis(largest: float) -> alt.Axis:
    """An axis of whole counts: every whole number up to a small ``largest`` (the renderer
    would otherwise put ticks at halves and print 0, 1, 1), else at least a step of one."""
    top = int(largest) if pd.notna(largest) else 0
    if top <= 10:
        return alt.Axis(values=list(range(top + 1)), format="d")
    return alt.Axis(tickMinStep=1, format="d")


def status_counts_chart(counts: pd.DataFrame) -> alt.LayerChart:
    """Alliances per status (columns status, alliances) in the status colours."""
    base = alt.Chart(counts).encode(
        x=alt.X("status:N", sort=list(counts["status"]), title=None, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("alliances:Q", title="alliances", axis=count_axis(counts["alliances"].max())),
    )
    bars = base.mark_bar(size=48).encode(
        color=alt.Color("status:N", scale=status_scale(), legend=None)
    )
    text = base.mark_text(dy=-7, fontSize=13, fontWeight="bold").encode(text="alliances:Q")
    return (bars + text).properties(width=420, height=150)


def status_trend_chart(trend: pd.DataFrame) -> alt.Chart:
    """Alliances per status, period by period (columns period, status, alliances), stacked
    in the frame's status order from the bottom (the dashboard's: red at the bottom)."""
    order = {s: i for i, s in enumerate(dict.fromkeys(trend["status"]))}
    data = trend.assign(order=trend["status"].map(order))
    return (
        alt.Chart(data)
        .mark_bar(size=26)
        .encode(
            x=alt.X("period:N", title=None, axis=alt.Axis(labelAngle=0)),
            y=alt.Y(
                "alliances:Q",
                title="alliances",
                axis=count_axis(data.groupby("period")["alliances"].sum().max()),
            ),
            color=alt.Color(
                "status:N",
                scale=status_scale(),
                legend=alt.Legend(orient="bottom", title=None),
            ),
            order=alt.Order("order:Q"),
        )
        .properties(width=420, height=150)
    )
