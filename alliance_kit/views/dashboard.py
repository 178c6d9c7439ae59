"""The executive dashboard's view-model: what the Voila page shows, testable without a browser.

The page answers, in a minute: which alliances are at risk, how much revenue that puts in
doubt, which cracks are opening and what is being done. Everything here works on frames
already scored by :mod:`alliance_kit.assess.health`; the scoring runs once per period (cached),
filters and the drill-down only slice the scored frames, so changing a filter is cheap.

Voila gives every viewer a kernel of their own. So that each does not read and score the
whole store again, ``alliance-kit dashboard`` scores it once into a :class:`Snapshot` (the
latest period, the trend, the drill-down's tables) in a private folder; a viewer's kernel
loads it, and rebuilds it only when the store's row counts changed or it is older than
``$ALLIANCE_KIT_DASHBOARD_MAX_AGE`` seconds (300). Other periods are scored on demand.

Three layers, each tested on its own:

* formatting (:mod:`alliance_kit.views.formatting`, money with currency symbols): money is never
  summed across currencies, every figure is shown in its own currency;
* frames (``portfolio_table``, ``apply_filters``, ``revenue_by_currency``, ``status_counts``,
  ``scores_for``, ``trend_frame``, ``one_alliance``, ``kpi_status``, ``governance_adherence``,
  ``open_actions``, ``open_risks``): plain DataFrames with exact values;
* the widget layout (:class:`DashboardApp`): ipywidgets only, charts as static SVG drawn by
  vl-convert (no CDN, nothing loaded from the network), user text escaped.
"""

from __future__ import annotations

import html
import math
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from alliance_kit.assess import scoring
from alliance_kit.config import ENV_DASHBOARD_PERSONAL
from alliance_kit.views.formatting import day, is_missing, kpi_value, money, number, pct, plural

ALL = "All"
STATUSES = ("red", "amber", "green", "not assessed")
#: Up to this many alliances, the health-against-value bubbles carry their ids.
LABELLED_BUBBLES = 30

# --- formatting (alliance_kit.views.formatting, in the dashboard's style) --------------------


def format_money(value: Any, currency: str) -> str:
    """Compact money with the currency's symbol: ``$1.23M``, ``€850K``, ``-`` if missing."""
    return money(value, currency, style="symbol")


def escape(value: Any) -> str:
    """User text as safe HTML (names, titles and notes are data, never markup)."""
    return "" if is_missing(value) else html.escape(str(value), quote=True)


# --- the portfolio frame and its filters ---------------------------------------------

#: Columns of the dashboard's one-row-per-alliance table.
TABLE_COLUMNS = [
    "alliance_id",
    "name",
    "partner",
    "type",
    "owner",
    "stage",
    "importance",
    "status",
    "health_index",
    "open_cracks",
    "failure_probability",
    "failure_probability_low",
    "failure_probability_high",
    "expected_revenue",
    "revenue_at_risk",
    "currency",
    "missing",
]


@dataclass(frozen=True)
class Filters:
    """What the executive narrowed the portfolio to; ``All`` means no restriction."""

    type: str = ALL
    owner: str = ALL
    status: str = ALL


def portfolio_table(alliances: pd.DataFrame, scored: pd.DataFrame) -> pd.DataFrame:
    """One row per running alliance with the attributes the filters use (type, owner, ...).

    ``alliances`` is the store's alliances frame, ``scored`` the health scores' alliance
    frame (alliance_id, status, health_index, failure_probability, revenue_at_risk, ...).
    Alliances not assessed this period stay in, with their status ``not assessed`` and
    ``missing`` saying why; totals of revenue at risk leave them out and count them.
    """
    wanted = ["partner", "type", "owner", "stage", "importance", "name", "expected_revenue",
              "currency"]  # fmt: skip
    attrs = alliances.rename(columns={"id": "alliance_id"})[
        ["alliance_id", *[c for c in wanted if c not in scored.columns]]
    ]
    table = scored.merge(attrs, on="alliance_id", how="left")
    for col in TABLE_COLUMNS:
        if col not in table.columns:
            table[col] = pd.NA
    return (
        table[TABLE_COLUMNS]
        .sort_values(["revenue_at_risk", "alliance_id"], ascending=[False, True], kind="stable")
        .reset_index(drop=True)
    )


def apply_filters(table: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    """The rows matching every chosen filter (order kept)."""
    mask = pd.Series(True, index=table.index)
    for col in ("type", "owner", "status"):
        value = getattr(filters, col)
        if value != ALL:
            mask &= table[col] == value
    return table[mask].reset_index(drop=True)


def filter_options(table: pd.DataFrame) -> dict[str, list[str]]:
    """Choices for each filter: ``All`` then the values present, sorted."""
    out = {}
    for col in ("type", "owner"):
        out[col] = [ALL, *sorted(table[col].dropna().astype(str).unique())]
    out["status"] = [ALL, *STATUSES]
    return out


def revenue_by_currency(table: pd.DataFrame) -> pd.DataFrame:
    """Expected revenue and revenue at risk per currency (never summed across currencies),
    most at risk first; the sums are :func:`alliance_kit.assess.risk.portfolio_at_risk`'s."""
    from alliance_kit.assess import risk

    cols = ["currency", "alliances", "expected_revenue", "revenue_at_risk", "share_at_risk",
            "not_assessed"]  # fmt: skip
    if table.empty:
        return pd.DataFrame(columns=cols)
    out = risk.portfolio_at_risk(table)
    return out.sort_values(["revenue_at_risk", "currency"], ascending=[False, True])[
        cols
    ].reset_index(drop=True)


def status_counts(table: pd.DataFrame) -> pd.DataFrame:
    """Alliances per status, red first, zeros included so the tiles never jump."""
    counts = table["status"].value_counts()
    return pd.DataFrame(
        {"status": list(STATUSES), "alliances": [int(counts.get(s, 0)) for s in STATUSES]}
    )


def top_at_risk(table: pd.DataFrame, n: int = 15) -> pd.DataFrame:
    """The ``n`` alliances with the most revenue at risk (the rest summed per currency would
    mix nothing: each bar keeps its currency); alliances not assessed have none."""
    scored = table[table["revenue_at_risk"].notna()]
    return scored.nlargest(n, "revenue_at_risk", keep="first").reset_index(drop=True)


def scores_for(scores: Any, alliance_ids: Iterable[str]) -> Any:
    """The scores limited to some alliances (their alliance, crack and alert rows), kept in
    the given order, so the health charts of :mod:`alliance_kit.views.charts` draw only what the
    page shows."""
    import copy

    ids = list(alliance_ids)
    order = {a: i for i, a in enumerate(ids)}
    out = copy.copy(scores)
    for name in ("alliances", "cracks", "alerts"):
        df = getattr(scores, name, None)
        if df is not None:
            keep = df[df["alliance_id"].isin(ids)]
            keep = keep.iloc[keep["alliance_id"].map(order).argsort(kind="stable")]
            setattr(out, name, keep.reset_index(drop=True))
    return out


def trend_frame(history: pd.DataFrame, alliance_ids: Iterable[str] | None = None) -> pd.DataFrame:
    """Per period: alliances per status and mean health index (the portfolio's trend).

    ``history`` has one row per alliance and period with ``score`` (the health index) and
    ``status``, as :func:`alliance_kit.assess.health.history` returns for crack 0; ``alliance_ids``
    limits it to the alliances the filters keep.
    """
    cols = ["period", "status", "alliances", "mean_health"]
    h = history[history["score"].notna()]
    if "crack" in h.columns:
        h = h[h["crack"] == 0]
    if alliance_ids is not None:
        h = h[h["alliance_id"].isin(list(alliance_ids))]
    if h.empty:
        return pd.DataFrame(columns=cols)
    counts = h.groupby(["period", "status"]).size()
    mean = h.groupby("period")["score"].mean()
    grid = pd.MultiIndex.from_product([sorted(h["period"].unique()), STATUSES[:3]])
    out = counts.reindex(grid, fill_value=0).rename("alliances").reset_index()
    out.columns = ["period", "status", "alliances"]
    out["alliances"] = out["alliances"].astype(int)
    out["mean_health"] = out["period"].map(mean).astype(float)
    return out[cols]


def alerts_frame(alerts: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    """This period's alerts for the alliances on the page, most at risk first."""
    if alerts is None or alerts.empty:
        return pd.DataFrame(columns=["alliance_id", "name", *([] if alerts is None else [])])
    keep = alerts[alerts["alliance_id"].isin(table["alliance_id"])]
    order = {a: i for i, a in enumerate(table["alliance_id"])}
    keep = keep.assign(_o=keep["alliance_id"].map(order)).sort_values("_o", kind="stable")
    if "name" not in keep.columns:
        keep = keep.merge(table[["alliance_id", "name"]], on="alliance_id", how="left")
    return keep.drop(columns="_o").reset_index(drop=True)


# --- HTML pieces (escaped) -----------------------------------------------------------


def html_table(
    df: pd.DataFrame,
    columns: Mapping[str, str],
    formats: Mapping[str, Any] | None = None,
    *,
    css_class: str = "ak-table",
    status_column: str | None = None,
    empty: str = "Nothing to show.",
) -> str:
    """A small HTML table: ``columns`` maps frame column -> header; every cell escaped."""
    if df is None or df.empty:
        return f'<p class="ak-empty">{escape(empty)}</p>'
    formats = formats or {}
    head = "".join(f"<th>{escape(h)}</th>" for h in columns.values())
    body = []
    for _, row in df.iterrows():
        cells = []
        for col in columns:
            value = row.get(col)
            fmt = formats.get(col)
            text = fmt(row) if callable(fmt) else value
            cell = escape(text)
            if col == status_column and isinstance(value, str):
                cell = f'<span class="ak-pill ak-{escape(value.replace(" ", "-"))}">{cell}</span>'
            cells.append(f"<td>{cell}</td>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    return (
        f'<table class="{css_class}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def tile(label: str, value: str, note: str = "", *, kind: str = "", test_id: str = "") -> str:
    """One KPI tile: a big figure with its label (both escaped)."""
    tid = f' data-testid="{escape(test_id)}"' if test_id else ""
    cls = f"ak-tile ak-{escape(kind.replace(' ', '-'))}" if kind else "ak-tile"
    return (
        f'<div class="{cls}"{tid}><div class="ak-tile-label">{escape(label)}</div>'
        f'<div class="ak-tile-value">{escape(value)}</div>'
        f'<div class="ak-tile-note">{escape(note)}</div></div>'
    )


def options_for_alliances(table: pd.DataFrame) -> list[tuple[str, str]]:
    """Drop-down choices ``(label, alliance_id)``, most at risk first."""
    return [
        (f"{r.alliance_id} · {r.name} ({r.status})", r.alliance_id)
        for r in table[["alliance_id", "name", "status"]].itertuples(index=False)
    ]


# --- the page ------------------------------------------------------------------------

CSS = """
<style>
.ak-page p, .ak-page td, .ak-page th { line-height: 1.35 !important; }
.ak-page p { margin: 2px 0 !important; }
.ak-page { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: #1f2933; }
.ak-title { display: flex; align-items: baseline; gap: 16px; margin: 4px 0 2px 0; }
.ak-title h1 { font-size: 24px; margin: 0; font-weight: 650; }
.ak-title .ak-period { font-size: 15px; color: #52606d; }
.ak-sub { color: #52606d; font-size: 13px; margin: 0 0 8px 0; }
.ak-title .ak-viewer { margin-left: auto; font-size: 13px; color: #52606d; }
.ak-tiles { display: flex; flex-wrap: wrap; gap: 10px; margin: 6px 0 10px 0; }
.ak-tile { background: #fff; border: 1px solid #d9e2ec; border-radius: 8px;
  padding: 6px 12px; flex: 1 1 0; min-width: 96px; max-width: 240px;
  box-shadow: 0 1px 2px rgba(0,0,0,.04); }
.ak-tile-label { font-size: 12px; color: #52606d; text-transform: uppercase;
  letter-spacing: .03em; }
.ak-tile-value { font-size: 26px; font-weight: 650; line-height: 1.25;
  font-variant-numeric: tabular-nums; }
.ak-tile-note { font-size: 12px; color: #7b8794; min-height: 14px; }
.ak-tile.ak-red { border-left: 6px solid var(--ak-red); }
.ak-tile.ak-amber { border-left: 6px solid var(--ak-amber); }
.ak-tile.ak-green { border-left: 6px solid var(--ak-green); }
.ak-tile.ak-not-assessed { border-left: 6px solid var(--ak-not-assessed); color: #52606d; }
.ak-pill.ak-not-assessed { background: var(--ak-not-assessed); }
.ak-missing { color: #52606d; background: #f0f4f8; border-left: 4px solid var(--ak-not-assessed);
  padding: 4px 10px; font-size: 13px; }
.ak-tile.ak-money { border-left: 6px solid #334e68; flex: 1.7 1 0; min-width: 170px;
  max-width: 300px; }
.ak-card { background: #fff; border: 1px solid #d9e2ec; border-radius: 8px;
  padding: 8px 12px; margin: 0 0 10px 0; overflow-x: auto; }
.ak-card h2 { font-size: 15px; margin: 2px 0 6px 0; font-weight: 650; }
.ak-card h3 { font-size: 13px; margin: 8px 0 4px 0; color: #334e68; }
.ak-note { font-size: 12px; color: #7b8794; margin: 2px 0 0 0; }
.ak-table { border-collapse: collapse; font-size: 12.5px; width: 100%; }
.ak-table th { text-align: left; color: #52606d; font-weight: 600;
  border-bottom: 1px solid #d9e2ec; padding: 3px 8px 3px 0; }
.ak-table td { border-bottom: 1px solid #f0f4f8; padding: 3px 8px 3px 0;
  font-variant-numeric: tabular-nums; vertical-align: top; }
.ak-pill { border-radius: 10px; padding: 0 8px; color: #fff; font-size: 11.5px;
  font-weight: 600; white-space: nowrap; }
.ak-pill.ak-red { background: var(--ak-red); }
.ak-pill.ak-amber { background: var(--ak-amber); color: #1f2933; }
.ak-pill.ak-green { background: var(--ak-green); }
.ak-empty { color: #7b8794; font-size: 13px; }
.ak-chart svg { max-width: 100%; height: auto; }
</style>
"""


def css() -> str:
    """The page's style sheet, with the status colours of :mod:`alliance_kit.views.charts`."""
    from alliance_kit.views.charts import NO_DATA_COLOUR, STATUS_COLOURS

    colours = {**STATUS_COLOURS, "not assessed": NO_DATA_COLOUR}
    root = "".join(f"--ak-{s.replace(' ', '-')}: {colours[s]};" for s in STATUSES)
    return CSS.replace("<style>", f"<style>\n.ak-page, :root {{ {root} }}")


# --- one alliance --------------------------------------------------------------------

#: Tables and the column tying them to one alliance (directly or through a parent).
_ALLIANCE_KEYS = {
    "alliances": "id",
    "people": "alliance_id",
    "kpis": "alliance_id",
    "governance_bodies": "alliance_id",
    "decisions": "alliance_id",
    "actions": "alliance_id",
    "risks": "alliance_id",
}
_CHILD_KEYS = {  # child table -> (its column, parent table, parent column)
    "kpi_actuals": ("kpi_id", "kpis", "id"),
    "meetings": ("body_id", "governance_bodies", "id"),
    "attendance": ("meeting_id", "meetings", "id"),
    "risk_reviews": ("risk_id", "risks", "id"),
}


def one_alliance(frames: Mapping[str, pd.DataFrame], alliance_id: str) -> dict[str, pd.DataFrame]:
    """The records of one alliance, so per-alliance figures cost nothing in a big portfolio."""
    out: dict[str, pd.DataFrame] = {}
    for name, col in _ALLIANCE_KEYS.items():
        if name in frames:
            df = frames[name]
            out[name] = df[df[col] == alliance_id].reset_index(drop=True)
    for name, (col, parent, pcol) in _CHILD_KEYS.items():
        if name in frames and parent in out:
            df = frames[name]
            out[name] = df[df[col].isin(out[parent][pcol])].reset_index(drop=True)
    return out


def kpi_status(one: Mapping[str, pd.DataFrame], period: str) -> pd.DataFrame:
    """Each KPI of one alliance: baseline, target, latest actual up to ``period`` and the
    progress from baseline to target (0 = at baseline, 1 = target reached)."""
    from alliance_kit.imagine import kpis as kpi_figures

    k = one["kpis"]
    cols = ["kpi_id", "name", "owner_side", "unit", "baseline", "target", "actual",
            "actual_period", "progress", "agreed_by_both", "completeness"]  # fmt: skip
    if k.empty:
        return pd.DataFrame(columns=cols)
    act = one.get("kpi_actuals", pd.DataFrame(columns=["kpi_id", "period", "value"]))
    act = act[act["period"] <= period].sort_values(["kpi_id", "period"])
    latest = act.groupby("kpi_id").tail(1).set_index("kpi_id")
    defs = kpi_figures.kpi_definitions(dict(one)).set_index("kpi_id")
    out = k.rename(columns={"id": "kpi_id"})[
        ["kpi_id", "name", "owner_side", "unit", "baseline", "target", "agreed_by_both"]
    ].copy()
    out["actual"] = out["kpi_id"].map(latest["value"]).astype(float)
    out["actual_period"] = out["kpi_id"].map(latest["period"])
    span = out["target"] - out["baseline"]
    out["progress"] = ((out["actual"] - out["baseline"]) / span.where(span != 0)).astype(float)
    out["completeness"] = out["kpi_id"].map(defs["completeness"]).astype(float)
    return out[cols].reset_index(drop=True)


def governance_adherence(one: Mapping[str, pd.DataFrame], period: str) -> pd.DataFrame:
    """Governance figures of one alliance over the last four quarters, as label/value rows."""
    from alliance_kit.align import governance

    frames = dict(one)
    meet = governance.meeting_adherence(frames, period)
    att = governance.executive_attendance(frames, period)
    act = governance.action_closure(frames, period)
    lat = governance.decision_latency(frames, period)
    rows = []
    if len(meet):
        m = meet.iloc[0]
        rows.append(("Meetings held / planned", f"{m['held']:.0f} / {m['planned']:.0f}", m["rate"]))
    for side in ("us", "partner"):
        a = att[att["side"] == side]
        if len(a):
            r = a.iloc[0]
            rows.append(
                (
                    f"Steering meetings with an executive ({side})",
                    f"{r['with_executive']} / {r['steering_meetings']}",
                    r["rate"],
                )
            )
    if len(act):
        r = act.iloc[0]
        rows.append(
            (
                "Actions closed / due",
                f"{r['closed']} / {r['due']} ({r['overdue']} overdue)",
                r["rate"],
            )
        )
    if len(lat):
        r = lat.iloc[0]
        days = "-" if pd.isna(r["median_days"]) else f"{r['median_days']:.0f} days"
        rows.append(("Decision latency (median)", f"{days}, {r['pending']} pending", math.nan))
    return pd.DataFrame(rows, columns=["figure", "value", "rate"])


def open_actions(one: Mapping[str, pd.DataFrame], period: str) -> pd.DataFrame:
    """Actions still open at the end of ``period``, the most overdue first."""
    from alliance_kit.records import periods as quarters

    a = one.get("actions", pd.DataFrame())
    if a.empty:
        return a
    asof = pd.Timestamp(quarters.end(period))
    still_open = a["status"].isin(["open", "in progress"]) | (a["closed_on"] > asof)
    a = a[still_open & (a["opened_on"] <= asof)].copy()
    a["overdue"] = a["due_on"] < asof
    return a.sort_values(["due_on", "id"], na_position="last").reset_index(drop=True)


def open_risks(one: Mapping[str, pd.DataFrame], period: str) -> pd.DataFrame:
    """Open risks with their latest likelihood x impact up to ``period``, biggest first."""
    r = one.get("risks", pd.DataFrame())
    if r.empty:
        return r
    r = r[r["status"] != "closed"].copy()
    rev = one.get("risk_reviews", pd.DataFrame(columns=["risk_id", "period"]))
    rev = rev[rev["period"] <= period].sort_values(["risk_id", "period"])
    latest = rev.groupby("risk_id").tail(1).set_index("risk_id")
    r["likelihood"] = r["id"].map(latest.get("likelihood", pd.Series(dtype=float)))
    r["impact"] = r["id"].map(latest.get("impact", pd.Series(dtype=float)))
    r["exposure"] = (r["likelihood"].astype(float) * r["impact"].astype(float)).astype(float)
    return r.sort_values(["exposure", "id"], ascending=[False, True], na_position="last")


# --- the snapshot: scores computed once per server, shared by every viewer -----------------

NO_MATCH = "No alliance matches these filters."
NOT_ASSESSED_YET = (
    "No alliance in view is assessed yet: this needs a health index (see what each one "
    "is missing under Alliance view)."
)
NOTHING_TO_SHOW = (
    "the store holds no alliance running up to today: import records "
    "(alliance-kit import) or load the sample portfolio (alliance-kit demo)"
)
ENV_SNAPSHOT = "ALLIANCE_KIT_DASHBOARD_SNAPSHOT"
ENV_MAX_AGE = "ALLIANCE_KIT_DASHBOARD_MAX_AGE"
DEFAULT_MAX_AGE = 300.0  # seconds: figures on the page are at most this old
#: Tables the page keeps for the drill-down (everything else is only needed for scoring).
DRILL_TABLES = (
    "alliances",
    "people",
    "kpis",
    "kpi_actuals",
    "governance_bodies",
    "meetings",
    "attendance",
    "decisions",
    "actions",
    "risks",
    "risk_reviews",
    "assessment_rounds",
)


NO_VIEWER = (
    "this dashboard serves people by personal link, and no signed-in viewer reached this "
    "page: open it with your personal link"
)


NOTHING_VISIBLE = (
    "None of the alliances your access covers runs in a quarter the dashboard can show "
    "(no assessment round, KPI actual or running alliance). If you expected some, ask "
    "your administrator which alliances you were granted (alliance-kit access list)."
)


class NothingVisible:
    """The page of a signed-in viewer whose access shows them no alliance: who they are
    and why the page is empty, instead of an error. Has what the notebook reads of a
    :class:`DashboardApp` (``widget``, ``period``, ``current()``)."""

    def __init__(self, viewer: Viewer | None) -> None:
        import ipywidgets as w

        self.viewer = viewer
        self.period: str | None = None
        self.widget = w.HTML(
            f"{css()}<div class='ak-title'><h1>Alliance portfolio</h1>{signed_in(viewer)}"
            f"</div><div class='ak-card' data-testid='nothing-visible'>"
            f"<p>{escape(NOTHING_VISIBLE)}</p></div>"
        )
        self.widget.add_class("ak-page")

    def current(self) -> pd.DataFrame:
        return pd.DataFrame(columns=TABLE_COLUMNS)


@dataclass(frozen=True)
class Viewer:
    """The person signed in to the page (personal-link dashboards): name and kind of
    access (admin, analyst, owner, executive, reader), both shown as text."""

    name: str
    kind: str = ""


def signed_in(viewer: Viewer | None) -> str:
    """The page's "Signed in as NAME · kind" line (empty without a viewer), escaped."""
    if viewer is None:
        return ""
    kind = f" · {escape(viewer.kind)}" if viewer.kind else ""
    return (
        f"<span class='ak-viewer' data-testid='signed-in'>Signed in as "
        f"<b>{escape(viewer.name)}</b>{kind}</span>"
    )


@dataclass
class Snapshot:
    """What every viewer's page needs, computed once: the latest period's scores, the
    trend, and the few tables the drill-down reads. A kernel that loads it instead of the
    whole store starts in a fraction of the time and holds a fraction of the memory."""

    made_at: float
    counts: dict[str, int]
    frames: dict[str, pd.DataFrame]
    scores: dict[str, Scores]
    history: dict[str, pd.DataFrame]
    charts: dict[str, str | None]  # the first view's SVG charts
    style: str


@dataclass
class Scores:
    """The part of :class:`alliance_kit.assess.health.PortfolioScores` the page shows (loading it
    needs neither the scoring code nor its dependencies)."""

    period: str
    alliances: pd.DataFrame
    cracks: pd.DataFrame
    alerts: pd.DataFrame
    portfolio: pd.DataFrame

    @classmethod
    def of(cls, scores: Any) -> Scores:
        return cls(scores.period, scores.alliances, scores.cracks, scores.alerts,
                   scores.portfolio)  # fmt: skip


def build_snapshot(
    frames: Mapping[str, pd.DataFrame],
    counts: Mapping[str, int] | None = None,
    *,
    trend_periods: int = 4,
    config: Any = None,
) -> Snapshot:
    """Score the latest period and the trend once, keep the drill-down's tables."""
    import time

    periods = available_periods(frames)
    if not periods:
        raise ValueError(NOTHING_TO_SHOW)
    latest = periods[-1]
    kept = {n: frames[n] for n in DRILL_TABLES if n in frames}
    scores = {latest: Scores.of(_default_scorer(frames, latest, config))}
    history = {latest: _default_historian(frames, periods[-trend_periods:], config)}
    # draw the first view once, here, rather than in every viewer's kernel
    first = DashboardApp(kept, latest, scores=scores, history=history, config=config)
    return Snapshot(
        made_at=time.time(),
        counts=dict(counts or {}),
        frames=kept,
        scores=scores,
        history=history,
        charts=first.charts,
        style=css(),
    )


def save_snapshot(snap: Snapshot, path: str | Path) -> None:
    """Write atomically (several kernels may refresh it at once)."""
    import pickle
    import tempfile

    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".snapshot-")
    with os.fdopen(fd, "wb") as fh:
        pickle.dump(snap, fh, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, path)


def load_snapshot(
    db: str | None,
    path: str | Path | None = None,
    *,
    max_age: float | None = None,
    role: str | None = None,
) -> Snapshot:
    """The snapshot at ``path`` if it is fresh (younger than ``max_age`` seconds and the
    store's row counts unchanged), else one built from the store now (and saved there).

    The file lives in a private folder made by ``alliance-kit dashboard``; it is read
    with pickle, so never point ``path`` at a file others can write.
    ``role``: read the store as this person's PostgreSQL role (row-level security
    applies); such a snapshot shows one person's rows, so it is never read from or saved
    to a shared ``path``.
    """
    import pickle
    import time

    if max_age is None:
        max_age = float(os.environ.get(ENV_MAX_AGE, DEFAULT_MAX_AGE))
    if role is not None:
        path = None  # one person's rows: never shared through a file
    store = _open(db, role)
    try:
        counts = store.counts()
        if path and Path(path).exists():
            with open(path, "rb") as fh:
                snap = pickle.load(fh)  # noqa: S301 - our own file in a private folder
            if snap.counts == counts and time.time() - snap.made_at <= max_age:
                return snap
        snap = build_snapshot(store.read_all(), counts)
    finally:
        store.engine.dispose()
    if path:
        save_snapshot(snap, path)
    return snap


def _open(db: str | None, role: str | None = None) -> Any:
    """The store at ``db``; with ``role``, every connection reads as that person."""
    from alliance_kit.records.opening import open_store

    return open_store(db, role=role)


def _read_store(db: str | None, role: str | None = None) -> dict[str, pd.DataFrame]:
    store = _open(db, role)
    try:
        return store.read_all()
    finally:
        store.engine.dispose()


def _warm_up_in_background() -> None:
    """Import the chart code and start vl-convert's JavaScript engine in a thread."""
    import threading

    def warm() -> None:
        import altair as alt

        from alliance_kit.views import charts

        charts.chart_svg(alt.Chart(pd.DataFrame({"x": [1]})).mark_point().encode(x="x:Q"))

    threading.Thread(target=warm, name="alliance-kit-warm-up", daemon=True).start()


def _store_frames(db: str | None, role: str | None = None) -> Any:
    """The whole store (as ``role`` sees it), read on first use only (a period the
    snapshot does not hold)."""
    cache: dict[str, dict[str, pd.DataFrame]] = {}

    def frames() -> dict[str, pd.DataFrame]:
        if "frames" not in cache:
            cache["frames"] = _read_store(db, role)
        return cache["frames"]

    return frames


# --- the widget application ------------------------------------------------------------


def crack_names() -> dict[int, str]:
    """Short crack names (commitment, strategy, ...) from the questionnaire."""
    from alliance_kit.records import questionnaire

    return {n: c.short for n, c in questionnaire.cracks().items()}


def available_periods(frames: Mapping[str, pd.DataFrame]) -> list[str]:
    """Quarters the portfolio can be scored for: those with an assessment round, else those
    with KPI actuals, else those in which an alliance runs, up to today's (a first
    portfolio with no survey yet: its alliances show as not assessed). Oldest first."""
    from alliance_kit.records import periods

    for name in ("assessment_rounds", "kpi_actuals"):
        df = frames.get(name)
        if df is not None and len(df):
            return sorted(df["period"].dropna().astype(str).unique())
    alliances = frames.get("alliances")
    if alliances is not None and len(alliances):
        return periods.running(alliances)
    return []


def _live(config: Any) -> Any:
    """The scoring config of a live page: as of today unless it says otherwise."""
    import dataclasses
    import datetime as dt

    config = config or scoring.ScoringConfig()
    return config if config.as_of else dataclasses.replace(config, as_of=dt.date.today())


def _default_scorer(
    frames: Mapping[str, pd.DataFrame], period: str, config: Any = None
) -> Any:  # pragma: no cover - exercised through the notebook and browser tests
    from alliance_kit.assess import health

    return health.score_portfolio(dict(frames), period, config=_live(config))


def _default_historian(
    frames: Mapping[str, pd.DataFrame], period_list: list[str], config: Any = None
) -> pd.DataFrame:  # pragma: no cover - exercised through the notebook and browser tests
    from alliance_kit.assess import health

    h = health.history(dict(frames), period_list, config=_live(config))
    return h[h["crack"] == 0].reset_index(drop=True)


class DashboardApp:
    """The portfolio dashboard as ipywidgets: filters, tiles, charts and the drill-down.

    Scores are computed once per period and kept; filters and the drill-down only slice
    them. ``scorer(frames, period, config)`` returns an object with ``alliances``,
    ``cracks`` and ``alerts`` frames (:func:`alliance_kit.assess.health.score_portfolio`);
    ``historian(frames, periods, config)`` the health index per alliance and period for the
    trend (:func:`alliance_kit.assess.health.history`, crack 0).
    """

    def __init__(
        self,
        frames: Mapping[str, pd.DataFrame],
        period: str | None = None,
        *,
        config: Any = None,
        scorer: Any = None,
        historian: Any = None,
        scores: Mapping[str, Any] | None = None,
        history: Mapping[str, pd.DataFrame] | None = None,
        charts: Mapping[str, str | None] | None = None,
        style: str | None = None,
        trend_periods: int = 4,
        top_n: int = 12,
        heat_n: int = 15,
        viewer: Viewer | None = None,
    ) -> None:
        import ipywidgets as w

        self.viewer = viewer
        self.frames = frames
        self.config = config
        self.scorer = scorer or _default_scorer
        self.historian = historian or _default_historian
        self.trend_periods = trend_periods
        self.top_n = top_n
        self.heat_n = heat_n
        self.periods = available_periods(frames)
        if period is None:
            if not self.periods:
                raise ValueError(NOTHING_TO_SHOW)
            period = self.periods[-1]
        if period not in self.periods:
            self.periods = sorted({*self.periods, period})
        self.period = period
        self._scores: dict[str, Any] = dict(scores or {})
        self._tables: dict[str, pd.DataFrame] = {}
        self._history: dict[str, pd.DataFrame] = dict(history or {})
        self.charts: dict[str, str | None] = dict(charts or {})
        self.style = style

        table = self.table(period)
        opts = filter_options(table)
        drop = dict(style={"description_width": "50px"}, layout=w.Layout(width="240px"))
        self.w_period = w.Dropdown(
            options=list(reversed(self.periods)), value=period, description="Period", **drop
        )
        self.w_type = w.Dropdown(options=opts["type"], value=ALL, description="Type", **drop)
        self.w_owner = w.Dropdown(options=opts["owner"], value=ALL, description="Owner", **drop)
        self.w_status = w.Dropdown(options=opts["status"], value=ALL, description="Status", **drop)
        self.w_alliance = w.Dropdown(
            options=[("Choose an alliance…", "")],
            value="",
            description="Alliance",
            style={"description_width": "60px"},
            layout=w.Layout(width="520px"),
        )
        for widget, name in (
            (self.w_period, "period"),
            (self.w_type, "type"),
            (self.w_owner, "owner"),
            (self.w_status, "status"),
            (self.w_alliance, "alliance"),
        ):
            widget.add_class(f"ak-filter-{name}")

        self.header = w.HTML()
        self.tiles = w.HTML()
        self.rar = w.HTML()
        self.status = w.HTML()
        self.heat = w.HTML()
        self.scatter = w.HTML()
        self.alerts = w.HTML()
        self.trend = w.HTML()
        self.drill = w.HTML()
        half = w.Layout(flex="1 1 0", min_width="0", margin="0 5px 0 5px")
        half_box = w.Layout(flex="1 1 0", min_width="0", margin="0")
        for part in (self.rar, self.heat, self.scatter):
            part.layout = half
        for part in (self.status, self.trend):
            part.layout = w.Layout(margin="0 5px 0 5px")
        self.alerts.layout = w.Layout(margin="0 5px 0 5px")
        self.drill.layout = w.Layout(margin="0 5px")

        filters = w.HBox(
            [self.w_period, self.w_type, self.w_owner, self.w_status],
            layout=w.Layout(flex_flow="row wrap", margin="0 0 4px 0"),
        )
        self.widget = w.VBox(
            [
                self.header,
                filters,
                self.tiles,
                w.HBox([self.rar, w.VBox([self.status, self.trend], layout=half_box)]),
                w.HBox([self.heat, self.scatter]),
                self.alerts,
                w.HTML(
                    '<div class="ak-card ak-drill-head"><h2>Alliance view</h2>'
                    '<p class="ak-note">Choose an alliance to see its cracks by side, '
                    "KPIs, governance, actions and risks.</p></div>"
                ),  # fmt: skip
                self.w_alliance,
                self.drill,
            ]
        )
        self.widget.add_class("ak-page")
        for widget in (self.w_period, self.w_type, self.w_owner, self.w_status):
            widget.observe(self._on_filter, names="value")
        self.w_alliance.observe(self._on_alliance, names="value")
        self.refresh()

    @classmethod
    def from_store(
        cls,
        db: str | None = None,
        period: str | None = None,
        *,
        snapshot: str | Path | None = None,
        max_age: float | None = None,
        warm_up: bool = True,
        role: str | None = None,
        viewer: str | None = None,
        viewer_kind: str | None = None,
        **kw: Any,
    ) -> DashboardApp | NothingVisible:
        """The page for the store at ``db``, from the dashboard snapshot when there is a
        fresh one (see :func:`load_snapshot`), else scored from the store now.

        ``snapshot`` defaults to ``$ALLIANCE_KIT_DASHBOARD_SNAPSHOT`` (set by
        ``alliance-kit dashboard``); without one, the store is read and scored here.
        ``warm_up`` loads the chart renderer in the background (a preheated kernel does it
        before its viewer arrives), so the first filter change is not slowed by it.

        ``role``: the signed-in person's PostgreSQL role; the store is read as that role
        (row-level security decides which alliances the page holds), never from a shared
        snapshot. ``viewer`` and ``viewer_kind`` (their name and kind of access) head the
        page. A server started for personal links (``$ALLIANCE_KIT_DASHBOARD_PERSONAL``)
        refuses to show anything without a role. A viewer whose access shows no alliance
        gets a :class:`NothingVisible` page saying so, not an error.
        """
        if "VOILA_PREHEAT" in os.environ:  # served by Voila (set for every page kernel)
            from alliance_kit.views.notebook import hide_tracebacks

            hide_tracebacks()
        if role is None and os.environ.get(ENV_DASHBOARD_PERSONAL) == "1":
            raise PermissionError(NO_VIEWER)
        path = None if role is not None else snapshot or os.environ.get(ENV_SNAPSHOT) or None
        if viewer is not None:
            kw["viewer"] = Viewer(viewer, viewer_kind or "")
        try:
            snap = load_snapshot(db, path, max_age=max_age, role=role)
        except ValueError as exc:
            if role is None or str(exc) != NOTHING_TO_SHOW:
                raise
            return NothingVisible(kw.get("viewer"))
        full = _store_frames(db, role)
        if warm_up:
            _warm_up_in_background()
        return cls(
            snap.frames,
            period,
            scorer=lambda _f, p, c=None: _default_scorer(full(), p, c),
            historian=lambda _f, ps, c=None: _default_historian(full(), ps, c),
            scores=snap.scores,
            history=snap.history,
            charts=snap.charts,
            style=snap.style,
            **kw,
        )

    # --- data ---------------------------------------------------------------------

    def scores(self, period: str) -> Any:
        if period not in self._scores:
            self._scores[period] = self.scorer(self.frames, period, self.config)
        return self._scores[period]

    def table(self, period: str) -> pd.DataFrame:
        if period not in self._tables:
            self._tables[period] = portfolio_table(
                self.frames["alliances"], self.scores(period).alliances
            )
        return self._tables[period]

    @property
    def filters(self) -> Filters:
        return Filters(self.w_type.value, self.w_owner.value, self.w_status.value)

    def current(self) -> pd.DataFrame:
        """The alliances on the page: this period's table with the filters applied."""
        return apply_filters(self.table(self.period), self.filters)

    def history(self) -> pd.DataFrame:
        """Health index and status of every alliance over the trend's periods (up to
        ``trend_periods`` ending at the chosen one), scored once per chosen period."""
        if self.period not in self._history:
            upto = [p for p in self.periods if p <= self.period][-self.trend_periods :]
            self._history[self.period] = self.historian(self.frames, upto, self.config)
        return self._history[self.period]

    def trend_data(self) -> pd.DataFrame:
        """The trend for the alliances the type and owner filters keep (status is what the
        trend shows, so the status filter does not apply)."""
        f = Filters(self.w_type.value, self.w_owner.value, ALL)
        a = self.frames["alliances"]
        keep = a["id"]
        if f.type != ALL:
            keep = keep[a["type"] == f.type]
        if f.owner != ALL:
            keep = keep[a["owner"] == f.owner]
        return trend_frame(self.history(), keep)

    # --- events -------------------------------------------------------------------

    def _on_filter(self, change: dict) -> None:
        if change["owner"] is self.w_period:
            self.period = change["new"]
        self.refresh()

    def _on_alliance(self, change: dict) -> None:
        self.show_alliance(change["new"])

    # --- rendering ----------------------------------------------------------------

    def refresh(self) -> None:
        """Redraw every portfolio section for the current period and filters."""
        table = self.current()
        ids = table["alliance_id"].tolist()
        n = len(table)
        assessed = int(table["health_index"].notna().sum()) if n else 0
        unassessed = NOT_ASSESSED_YET if n else NO_MATCH
        self.header.value = self._header(table)
        self.tiles.value = self._tiles(table)
        self.rar.value = self._card(
            "Revenue at risk by alliance",
            "rar",
            lambda: (
                _charts().dashboard_revenue_at_risk(top_at_risk(table, self.top_n))
                if assessed
                else None
            ),
            f"The {plural(min(self.top_n, assessed), 'alliance')} with the most revenue at "
            "risk per year (expected annual revenue x the chance of failing within the next "
            "12 months), each in its own currency; alliances not assessed have none."
            if assessed
            else "",
            empty=unassessed,
        )
        self.status.value = self._card(
            "Alliances by status",
            "status",
            lambda: _charts().status_counts_chart(status_counts(table)) if n else None,
        )
        self.heat.value = self._card(
            "Cracks across alliances",
            "heatmap",
            lambda: self._health_chart(
                "crack_heatmap",
                pd.concat(
                    [top_at_risk(table, self.heat_n), table[table["health_index"].isna()]]
                ).head(self.heat_n),
                weakest_first=True,
            ),
            f"Crack scores (0-100) of the {plural(min(self.heat_n, n), 'alliance')} most at risk, "
            "the weakest on top (alliances not assessed last, in grey); colour is the crack's "
            "status."
            if n
            else "",
        )
        self.scatter.value = self._card(
            "Health against strategic value",
            "scatter",
            lambda: (
                self._health_chart("health_vs_value", table, labels=n <= LABELLED_BUBBLES)
                if assessed
                else None
            ),
            "Bubble size: expected annual revenue (each in its own currency). Top right: "
            "healthy and important. Top left: important but unhealthy, the alliances to "
            "act on first. Dashed lines: amber (50) and green (70)."
            if assessed
            else "",
            empty=unassessed,
        )
        self.alerts.value = self._alerts(table)
        self.trend.value = self._card(
            "Trend", "trend",
            lambda: self._trend_chart() if n else None,
            "Alliances per status over the last quarters (type and owner filters apply)."
            if n else "",
            empty="No alliance has a health index in these quarters yet." if n else NO_MATCH,
        )  # fmt: skip
        options = [("Choose an alliance…", ""), *options_for_alliances(table)]
        chosen = self.w_alliance.value if self.w_alliance.value in ids else ""
        with self.w_alliance.hold_trait_notifications():
            self.w_alliance.options = options
            self.w_alliance.value = chosen
        self.show_alliance(chosen)

    def _health_chart(self, name: str, table: pd.DataFrame, **kw: Any) -> Any:
        """One of the portfolio charts (:mod:`alliance_kit.views.charts`) for the alliances
        in ``table``."""
        if table.empty:
            return None
        part = scores_for(self.scores(self.period), table["alliance_id"])
        return _untitled(getattr(_charts(), name)(part, **kw))

    def _header(self, table: pd.DataFrame) -> str:
        f = self.filters
        chosen = [f"{k} {v}" for k, v in (("type", f.type), ("owner", f.owner),
                                          ("status", f.status)) if v != ALL]  # fmt: skip
        mine = self.viewer is not None and self.viewer.kind == "owner"
        scope = ", ".join(chosen) if chosen else "your alliances" if mine else "whole portfolio"
        return (
            f"{self.style or css()}<div class='ak-title'><h1>Alliance portfolio</h1>"
            f"<span class='ak-period' data-testid='period'>{escape(self.period)}</span>"
            f"{signed_in(self.viewer)}</div>"
            f"<p class='ak-sub'>{plural(len(table), 'alliance')} · {escape(scope)}</p>"
        )

    def _trend_chart(self) -> Any:
        data = self.trend_data()
        return _charts().status_trend_chart(data) if len(data) else None

    def _tiles(self, table: pd.DataFrame) -> str:
        parts = []
        money = revenue_by_currency(table)
        for r in money.itertuples(index=False):
            parts.append(
                tile(
                    f"Revenue at risk ({r.currency})",
                    format_money(r.revenue_at_risk, r.currency),
                    (
                        f"per year; {pct(r.share_at_risk)} of "
                        f"{format_money(r.expected_revenue, r.currency)} expected"
                        if r.alliances
                        else "no alliance in this currency is assessed yet"
                    )
                    + (f"; {r.not_assessed} not assessed, left out" if r.not_assessed else ""),
                    kind="money",
                    test_id=f"rar-{r.currency}",
                )
            )
        counts = status_counts(table)
        parts.append(tile("Alliances", str(len(table)), "in view", test_id="alliances"))
        for r in counts.itertuples(index=False):
            parts.append(tile(r.status, str(r.alliances), "", kind=r.status, test_id=r.status))
        n_alerts = len(alerts_frame(self.scores(self.period).alerts, table))
        parts.append(tile("Alerts", str(n_alerts), "this period", test_id="alerts"))
        return f"<div class='ak-tiles'>{''.join(parts)}</div>"

    def _card(self, title: str, key: str, build: Any, note: str = "", empty: str = NO_MATCH) -> str:
        """A titled card with one chart; each chart's SVG is drawn once per period and
        filters (and the snapshot brings the first view's, so a new viewer draws none).
        A chart with nothing to draw (``build`` returns None) says ``empty`` instead."""
        cache_key = f"{self.period}|{self.filters}|{key}"
        if cache_key not in self.charts:
            chart = build()
            self.charts[cache_key] = _charts().chart_svg(chart) if chart is not None else None
        drawn = self.charts[cache_key]
        body = (
            f"<div class='ak-chart' data-chart='{key}'>{drawn}</div>"
            if drawn is not None
            else f"<p class='ak-empty'>{escape(empty)}</p>"
            f"<div class='ak-chart' data-chart='{key}'><svg width='1' height='1'></svg></div>"
        )
        note_html = f"<p class='ak-note'>{escape(note)}</p>" if note else ""
        return f"<div class='ak-card'><h2>{escape(title)}</h2>{body}{note_html}</div>"

    def _alerts(self, table: pd.DataFrame) -> str:
        al = alerts_frame(self.scores(self.period).alerts, table)
        text_col = next((c for c in ("message", "alert", "kind") if c in al.columns), None)
        columns = {"name": "Alliance"}
        if "crack" in al.columns:
            columns["crack"] = "Crack"
        if text_col:
            columns[text_col] = "Alert"
        shown = 8
        body = html_table(al.head(shown), columns, empty="No alerts this period.")
        more = (
            f"<p class='ak-note'>and {len(al) - shown} more (alliances most at risk first)</p>"
            if len(al) > shown
            else ""
        )
        return (
            "<div class='ak-card' data-testid='alerts-card'><h2>This period's alerts</h2>"
            f"{body}{more}</div>"
        )

    def show_alliance(self, alliance_id: str) -> None:
        """Fill the drill-down with one alliance (empty id clears it)."""
        if not alliance_id:
            self.drill.value = ""
            return
        self.drill.value = render_alliance(
            self.frames, self.scores(self.period), self.table(self.period), alliance_id,
            self.period,
        )  # fmt: skip


def render_alliance(
    frames: Mapping[str, pd.DataFrame],
    scores: Any,
    table: pd.DataFrame,
    alliance_id: str,
    period: str,
) -> str:
    """The drill-down's HTML for one alliance: header tiles, cracks by side with gaps, KPIs,
    governance adherence, open actions and risks."""
    from alliance_kit.views import charts

    row = table[table["alliance_id"] == alliance_id]
    if row.empty:
        return f"<p class='ak-empty'>No alliance {escape(alliance_id)} in this period.</p>"
    r = row.iloc[0]
    one = one_alliance(frames, alliance_id)
    cracks = scores.cracks[scores.cracks["alliance_id"] == alliance_id].sort_values("crack")
    head = (
        f"<div class='ak-card' data-testid='drill' data-alliance='{escape(alliance_id)}'>"
        f"<h2>{escape(r['name'])} <span class='ak-note'>{escape(alliance_id)} · "
        f"{escape(r['partner'])} · {escape(r['type'])} · owner {escape(r['owner'])}</span></h2>"
        "<div class='ak-tiles'>"
        + tile(
            "Health index",
            number(r["health_index"], 1),
            str(r["status"]),
            kind=str(r["status"]),
            test_id="drill-health",
        )  # fmt: skip
        + tile(
            "Failure within 12 months",
            pct(r["failure_probability"]),
            ""
            if is_missing(r["failure_probability"])
            else f"90% range {pct(r['failure_probability_low'])}-"
            f"{pct(r['failure_probability_high'])}",
        )
        + tile(
            "Revenue at risk / year",
            format_money(r["revenue_at_risk"], r["currency"]),
            f"of {format_money(r['expected_revenue'], r['currency'])} expected",
            kind="money",
            test_id="drill-rar",
        )
        + tile("Open cracks", f"{r['open_cracks']}")
        + "</div>"
        + (
            "<div class='ak-missing' data-testid='drill-missing'><strong>Not assessed</strong>: "
            + "".join(f"<div>{escape(m)}</div>" for m in str(r["missing"]).split("; "))
            + "</div>"
            if isinstance(r["missing"], str)
            else ""
        )
    )
    crack_cols = {"crack": "Crack", "crack_name": "", "score": "Score", "status": "Status"}
    for col, label in (("survey_us", "Us"), ("survey_partner", "Partner"), ("gap", "Gap"),
                       ("reading", "Reading")):  # fmt: skip
        if col in cracks.columns:
            crack_cols[col] = label
    names = crack_names()
    shown = cracks.assign(crack_name=cracks["crack"].map(lambda c: names.get(int(c), "")))
    shown["why"] = [
        "; ".join(v for v in (m, w, n) if isinstance(v, str))
        for m, w, n in zip(shown.get("missing", pd.Series(None, index=shown.index)),
                           shown.get("survey_withheld", pd.Series(None, index=shown.index)),
                           shown.get("reading_note", pd.Series(None, index=shown.index)),
                           strict=True)
    ]  # fmt: skip
    crack_cols["why"] = "Note"
    shown_cols = ("score", "survey_us", "survey_partner", "gap")
    fmt = {c: (lambda x, c=c: number(x[c], 1)) for c in shown_cols}
    crack_table = html_table(shown, crack_cols, fmt, status_column="status")
    by_side = (
        f"<div class='ak-chart' data-chart='drill-sides'>"
        f"{charts.chart_svg(_untitled(charts.cracks_by_side(scores, alliance_id)))}</div>"
        if {"survey_us", "survey_partner"} <= set(cracks.columns)
        else ""
    )
    kpi = kpi_status(one, period)
    kpi_html = html_table(
        kpi,
        {
            "name": "KPI",
            "owner_side": "Side",
            "baseline": "Baseline",
            "target": "Target",
            "actual": "Latest",
            "actual_period": "As of",
            "progress": "Progress",
            "agreed_by_both": "Agreed",
        },  # fmt: skip
        {
            "baseline": lambda x: _measure(x["baseline"]),
            "target": lambda x: _measure(x["target"]),
            "actual": lambda x: _measure(x["actual"]),
            "progress": lambda x: pct(x["progress"]),
            "agreed_by_both": lambda x: "yes" if x["agreed_by_both"] else "no",
        },
        empty="No KPIs defined.",
    )
    gov = governance_adherence(one, period)
    gov_html = html_table(
        gov, {"figure": "Governance (last 4 quarters)", "value": "", "rate": "Rate"},
        {"rate": lambda x: pct(x["rate"])}, empty="No governance recorded.",
    )  # fmt: skip
    acts = open_actions(one, period)
    acts_html = html_table(
        acts.head(10),
        {"title": "Open action", "owner": "Owner", "owner_side": "Side", "due_on": "Due"},
        {"due_on": lambda x: day(x["due_on"]) + (" overdue" if x.get("overdue") else "")},
        empty="No open actions.",
    )
    risks = open_risks(one, period)
    risks_html = html_table(
        risks.head(10),
        {"title": "Open risk", "owner": "Owner", "status": "Status", "exposure": "L x I"},
        {"exposure": lambda x: _measure(x["exposure"])},
        empty="No open risks.",
    )
    return (
        head
        + "<div style='display:flex;gap:14px;flex-wrap:wrap'>"
        + f"<div style='flex:1 1 420px;min-width:0'><h3>Cracks, scores by side and gaps</h3>"
        f"{crack_table}</div><div style='flex:1 1 380px;min-width:0'>{by_side}</div></div>"
        + "<div style='display:flex;gap:14px;flex-wrap:wrap'>"
        + f"<div style='flex:1 1 520px;min-width:0'><h3>KPIs</h3>{kpi_html}</div>"
        + f"<div style='flex:1 1 320px;min-width:0'><h3>Governance adherence</h3>{gov_html}</div>"
        + "</div><div style='display:flex;gap:14px;flex-wrap:wrap'>"
        + f"<div style='flex:1 1 420px;min-width:0'><h3>Actions</h3>{acts_html}</div>"
        + f"<div style='flex:1 1 420px;min-width:0'><h3>Risks</h3>{risks_html}</div>"
        + "</div></div>"
    )


def _untitled(chart: Any) -> Any:
    """A chart without its own title: the dashboard's card already names it."""
    return chart.properties(title="")


def _charts() -> Any:
    """:mod:`alliance_kit.views.charts`, imported on first draw (Altair is slow to import)."""
    from alliance_kit.views import charts

    return charts


def _measure(value: Any) -> str:
    """A KPI value or exposure, as the reports show it."""
    return kpi_value(value)
