"""KPI reporting (Succeed): where each KPI stands against its target, where it is heading,
and whether actuals arrive on time.

The KPI definitions and the crack 4 figures live in ``kpis`` (``actuals_on_time`` is what
health scoring counts); this module reads the same records period by period.

**Position on the time axis.** An actual for quarter ``P`` describes the end of ``P``;
quarters are numbered consecutively (``quarter_index``), so one unit of slope is one
quarter. A KPI's target is due in the quarter holding its ``due_date``.

**Forecast.** An ordinary least-squares line through the KPI's actuals up to the period
(value on quarter index), extrapolated to the due quarter, with a two-sided prediction
interval (90% by default) for the value that will be observed then::

    y0 +- t(1 - (1 - level) / 2, n - 2) * s * sqrt(1 + 1/n + (x0 - mean(x))^2 / Sxx)

where ``s^2`` is the residual variance (sum of squared residuals / (n - 2)). Two actuals
give a line but no interval; one or none gives no forecast. The interval assumes the
trend stays linear and the scatter around it is normal and steady: it says how far a
single future report may fall from the line, not that the line is right.

**Status per KPI** (colour for charts in STATUS_COLOUR):

- ``achieved``: the latest actual has reached the target (green);
- ``missed``: the due quarter has passed (it is before the period) without reaching it (red);
- ``on track``: the forecast for the due quarter reaches the target (green);
- ``at risk``: the forecast does not, but the favourable end of its interval does (amber);
- ``off track``: not even the favourable end of the interval reaches it (red; with two
  actuals, no interval: a forecast short of target is off track);
- ``too early`` (one actual), ``not reported`` (none), ``no target`` (no target or no due
  date): grey, nothing to judge yet.

"Reaching" respects the KPI's direction: at or above the target for ``increase``, at or
below for ``decrease``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from alliance_kit.imagine import kpis
from alliance_kit.records import periods
from alliance_kit.records.measures import table

FORECAST_LEVEL = 0.90
STATUSES = (
    "achieved",
    "on track",
    "at risk",
    "off track",
    "missed",
    "too early",
    "not reported",
    "no target",
)
#: Worst first: the order tables list KPIs in.
STATUS_ORDER = ("missed", "off track", "at risk", "not reported", "too early", "no target",
                "on track", "achieved")  # fmt: skip
STATUS_COLOUR = {
    "achieved": "green",
    "on track": "green",
    "at risk": "amber",
    "off track": "red",
    "missed": "red",
    "too early": "grey",
    "not reported": "grey",
    "no target": "grey",
}


def quarter_index(period: str) -> int:
    """Consecutive number of a quarter (2026-Q1 -> 8104): differences count quarters."""
    return periods.Period(period).number


def due_period(due: object) -> str | None:
    """The quarter a due date falls in (None when there is no date)."""
    if due is None or pd.isna(due):
        return None
    return periods.of_date(pd.Timestamp(due).date())


@dataclass(frozen=True)
class Forecast:
    """A linear forecast at ``x0``: ``value`` with its prediction interval [low, high]
    at ``level`` (low/high None with fewer than 3 points), the ``slope`` per unit of x,
    and ``n`` points fitted."""

    value: float
    low: float | None
    high: float | None
    slope: float
    n: int
    level: float = FORECAST_LEVEL


def linear_forecast(
    x: Sequence[float], y: Sequence[float], x0: float, level: float = FORECAST_LEVEL
) -> Forecast | None:
    """Least-squares line through (x, y) evaluated at ``x0``, with the prediction interval
    of the module doc; None with fewer than 2 points or when all x are equal."""
    xs, ys = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    n = xs.size
    if n < 2:
        return None
    xm, ym = xs.mean(), ys.mean()
    sxx = float(((xs - xm) ** 2).sum())
    if sxx == 0:
        return None
    slope = float(((xs - xm) * (ys - ym)).sum()) / sxx
    intercept = ym - slope * xm
    value = intercept + slope * x0
    if n < 3:
        return Forecast(float(value), None, None, slope, n, level)
    resid = ys - (intercept + slope * xs)
    s = math.sqrt(float((resid**2).sum()) / (n - 2))
    t = float(stats.t.ppf(1 - (1 - level) / 2, n - 2))
    half = t * s * math.sqrt(1 + 1 / n + (x0 - xm) ** 2 / sxx)
    return Forecast(float(value), float(value - half), float(value + half), slope, n, level)


def _reaches(value: float | None, target: float, direction: str) -> bool:
    if value is None or pd.isna(value):
        return False
    return value >= target if direction != "decrease" else value <= target


def progress(value: float, baseline: float, target: float) -> float:
    """Share of the way from baseline to target (0 at the baseline, 1 at the target,
    beyond 1 past it, negative when moving away); NaN when either is missing or they
    are equal."""
    if any(v is None or pd.isna(v) for v in (value, baseline, target)) or target == baseline:
        return math.nan
    return (value - baseline) / (target - baseline)


def alliance_actuals(
    frames: dict[str, pd.DataFrame], alliance_id: str, period: str
) -> pd.DataFrame:
    """Actuals against target by period: one row per KPI of the alliance and quarter
    reported up to ``period`` (kpi_id, name, owner_side, unit, direction, period, value,
    baseline, target, progress, reported_on), oldest first per KPI."""
    k = table(frames, "kpis")
    k = k[k["alliance_id"] == alliance_id]
    a = table(frames, "kpi_actuals")
    a = a[a["kpi_id"].isin(k["id"]) & (a["period"] <= period)]
    cols = ["id", "name", "owner_side", "unit", "direction", "baseline", "target"]
    out = a.merge(k[cols], left_on="kpi_id", right_on="id").drop(columns="id")
    out["progress"] = [
        progress(v, b, t)
        for v, b, t in zip(out["value"], out["baseline"], out["target"], strict=True)
    ]
    out = out.sort_values(["kpi_id", "period"], ignore_index=True)
    return out[["kpi_id", "name", "owner_side", "unit", "direction", "period", "value",
                "baseline", "target", "progress", "reported_on"]]  # fmt: skip


def _kpi_row(k: pd.Series, series: pd.DataFrame, period: str, level: float) -> dict:
    direction = k["direction"]
    target, due = k["target"], due_period(k["due_date"])
    row = {
        "kpi_id": k["id"],
        "name": k["name"],
        "owner_side": k["owner_side"],
        "unit": k["unit"],
        "direction": direction,
        "baseline": k["baseline"],
        "target": target,
        "due_date": k["due_date"],
        "due_period": due,
        "reports": len(series),
        "last_period": series["period"].iloc[-1] if len(series) else None,
        "actual": series["value"].iloc[-1] if len(series) else math.nan,
        "previous": series["value"].iloc[-2] if len(series) > 1 else math.nan,
    }
    row["change"] = row["actual"] - row["previous"]
    row["progress"] = progress(row["actual"], k["baseline"], target)
    x = [quarter_index(p) for p in series["period"]]
    fit = linear_forecast(x, series["value"], quarter_index(due) if due else 0.0, level)
    row["slope"] = fit.slope if fit else math.nan
    better = fit is not None and (fit.slope > 0 if direction != "decrease" else fit.slope < 0)
    row["trend"] = (
        "no trend yet" if fit is None
        else "flat" if fit.slope == 0
        else "improving" if better else "worsening"
    )  # fmt: skip
    has_forecast = fit is not None and due is not None and pd.notna(target) and due >= period
    row["forecast"] = fit.value if has_forecast else math.nan
    row["forecast_low"] = fit.low if has_forecast and fit.low is not None else math.nan
    row["forecast_high"] = fit.high if has_forecast and fit.high is not None else math.nan
    row["status"] = _status(row, len(series), period, fit if has_forecast else None)
    return row


def _status(row: dict, n: int, period: str, fit: Forecast | None) -> str:
    target, direction, due = row["target"], row["direction"], row["due_period"]
    if pd.isna(target) or due is None:
        return "no target"
    if n == 0:
        return "not reported"
    if _reaches(row["actual"], target, direction):
        return "achieved"
    if due < period:
        return "missed"
    if fit is None:
        return "too early"
    if _reaches(fit.value, target, direction):
        return "on track"
    favourable = fit.high if direction != "decrease" else fit.low
    if favourable is not None and _reaches(favourable, target, direction):
        return "at risk"
    return "off track"


def kpi_status(
    frames: dict[str, pd.DataFrame],
    alliance_id: str,
    period: str,
    level: float = FORECAST_LEVEL,
) -> pd.DataFrame:
    """One row per KPI of the alliance as of ``period``: the latest actual and the one
    before (``change``), ``progress`` from baseline to target, ``slope`` per quarter and
    ``trend`` (improving/worsening in the KPI's direction), the forecast for the due
    quarter with its interval, and ``status`` (module doc); worst status first."""
    k = table(frames, "kpis")
    k = k[k["alliance_id"] == alliance_id]
    acts = alliance_actuals(frames, alliance_id, period)
    rows = [_kpi_row(kk, acts[acts["kpi_id"] == kk["id"]], period, level) for _, kk in k.iterrows()]
    cols = ["kpi_id", "name", "owner_side", "unit", "direction", "baseline", "target",
            "due_date", "due_period", "reports", "last_period", "actual", "previous",
            "change", "progress", "slope", "trend", "forecast", "forecast_low",
            "forecast_high", "status"]  # fmt: skip
    out = pd.DataFrame(rows, columns=cols)
    order = {s: i for i, s in enumerate(STATUS_ORDER)}
    out["_o"] = out["status"].map(order)
    return (
        out.sort_values(["_o", "kpi_id"], kind="stable").drop(columns="_o").reset_index(drop=True)
    )


def by_side(status: pd.DataFrame) -> pd.DataFrame:
    """Both partners' KPIs side by side: KPIs per status (rows, in STATUSES order) for
    each owner side (columns ``us``, ``partner`` and ``unassigned`` for KPIs with no
    owner side), with a ``total`` row."""
    side = status["owner_side"].fillna("unassigned")
    counts = pd.crosstab(status["status"], side)
    counts = counts.reindex(index=list(STATUSES), columns=["us", "partner", "unassigned"])
    counts = counts.fillna(0).astype(int)
    counts.loc["total"] = counts.sum()
    counts.index.name = "status"
    counts.columns.name = None
    return counts.reset_index()


def reporting_log(
    frames: dict[str, pd.DataFrame],
    alliance_id: str,
    period: str,
    window: int = 4,
    grace_days: int = 30,
) -> pd.DataFrame:
    """Every report the alliance's KPIs owed in the window, by the rules of
    ``kpis.actuals_on_time`` (the crack 4 indicator): kpi_id, name, owner_side, period,
    deadline (quarter end + ``grace_days``), reported_on, ``state`` (on time, late,
    missing) and ``days_late``. Its on-time count equals actuals_on_time's."""
    k = table(frames, "kpis")
    k = k[k["alliance_id"] == alliance_id]
    quarters = periods.span(periods.shift(period, -(window - 1)), period)
    from alliance_kit.records import measures

    active = int(measures.active_quarters(frames, period, window).get(alliance_id, 0))
    owed = quarters[window - active :] if active else []
    rows = []
    for kk in k.itertuples(index=False):
        cadence = kk.cadence if kk.cadence in kpis.REPORTING_QUARTERS else "quarterly"
        for p in owed:
            if int(p[-1]) in kpis.REPORTING_QUARTERS[cadence]:
                rows.append({"kpi_id": kk.id, "name": kk.name, "owner_side": kk.owner_side,
                             "period": p})  # fmt: skip
    log = pd.DataFrame(rows, columns=["kpi_id", "name", "owner_side", "period"])
    act = table(frames, "kpi_actuals")[["kpi_id", "period", "reported_on"]]
    act = act.assign(reported=True)
    log = log.merge(act, on=["kpi_id", "period"], how="left")
    log["deadline"] = pd.to_datetime(
        log["period"].map(lambda p: pd.Timestamp(periods.end(p)) + pd.Timedelta(days=grace_days))
    )
    reported = log["reported"].eq(True)
    on_time = reported & (log["reported_on"].isna() | (log["reported_on"] <= log["deadline"]))
    log["state"] = np.select([on_time, reported], ["on time", "late"], "missing")
    log["days_late"] = (log["reported_on"] - log["deadline"]).dt.days.where(log["state"] == "late")
    cols = ["kpi_id", "name", "owner_side", "period", "deadline", "reported_on", "state",
            "days_late"]  # fmt: skip
    return log[cols].sort_values(["period", "kpi_id"], ignore_index=True)


def on_time_summary(
    frames: dict[str, pd.DataFrame], alliance_id: str, period: str, window: int = 4
) -> dict[str, float | int]:
    """The alliance's share of actuals reported on time, exactly as health scores crack 4:
    expected, reported, on_time, rate (NaN when nothing was expected)."""
    a = kpis.actuals_on_time(frames, period, window)
    row = a[a["alliance_id"] == alliance_id]
    if row.empty:
        return {"expected": 0, "reported": 0, "on_time": 0, "rate": math.nan}
    r = row.iloc[0]
    return {
        "expected": int(r["expected"]),
        "reported": int(r["reported"]),
        "on_time": int(r["on_time"]),
        "rate": float(r["rate"]),
    }


def forecast_points(status: pd.DataFrame) -> pd.DataFrame:
    """The forecasts of ``kpi_status`` as chart rows: kpi_id, period (the due quarter),
    forecast, forecast_low, forecast_high, target (only KPIs with a forecast)."""
    f = status[status["forecast"].notna()]
    return f.rename(columns={"due_period": "period"})[
        ["kpi_id", "name", "period", "forecast", "forecast_low", "forecast_high", "target"]
    ].reset_index(drop=True)
