"""Widget forms of the Succeed workbooks (operations, KPI reporting, continuous improvement,
lifecycle checklist).

Every form is a ``widgets.AllianceForm`` bound to one alliance: new records get the
alliance's id; the Load picker and the drop-downs of linked records (objectives,
KPIs, risks) offer only that alliance's records, also for tables that reach it through a
parent (KPI actuals through their KPI, risk reviews through their risk). Nothing is saved
until the record is valid; each message shows under its field:

- the model's rules through ``schemas.validate_record``: an FTE or budget below 0, a
  likelihood or impact outside 1-5, a date closed (resolved, escalated) before the date
  opened (raised), a period not written like 2026-Q3, ...;
- numbers whose range matters are typed into plain text boxes, not bounded number boxes
  (which would silently turn -2 FTE into 0, or a likelihood of 7 into 5): the value stays
  as typed and the message says what makes sense;
- a few rules only a form needs (``checks``): an action or issue marked done needs the day
  it closed; a KPI actual cannot be reported before its quarter began; a risk review of a
  quarter before the risk was raised is refused.

Everything runs without a browser: tests set widget values and click Save.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

from alliance_kit.records import periods
from alliance_kit.records.store import Store
from alliance_kit.views.widgets import AllianceForm, Check

Saved = Callable[[dict[str, Any]], None]


def _day(value: Any) -> pd.Timestamp | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value)


# --- checks only forms need ------------------------------------------------------------------


def _closed_when_done(column: str, status_done: tuple[str, ...] = ("done",)) -> Check:
    def check(rec: dict[str, Any]) -> dict[str, str]:
        if rec.get("status") in status_done and _day(rec.get(column)) is None:
            return {column: "enter the day it was closed (the status says done)"}
        if rec.get("status") in ("open", "in progress") and _day(rec.get(column)) is not None:
            return {"status": "it has a closing date: set the status to done or cancelled"}
        return {}

    return check


def _reported_in_time(rec: dict[str, Any]) -> dict[str, str]:
    day, period = _day(rec.get("reported_on")), rec.get("period")
    try:
        start = pd.Timestamp(periods.start(str(period)))
    except ValueError:
        return {}
    if day is not None and day < start:
        return {
            "reported_on": f"{day:%Y-%m-%d} is before {period} began ({start:%Y-%m-%d}): an "
            "actual is reported once its quarter has started"
        }
    return {}


def _review_after_raised(store: Store) -> Check:
    def check(rec: dict[str, Any]) -> dict[str, str]:
        risk, period = rec.get("risk_id"), rec.get("period")
        if not risk or not period:
            return {}
        try:
            end = pd.Timestamp(periods.end(str(period)))
        except ValueError:
            return {}
        r = store.read("risks", where={"id": risk})
        if len(r) and r["raised_on"].iloc[0] > end:
            return {
                "period": f"{risk} was raised on {r['raised_on'].iloc[0]:%Y-%m-%d}, after "
                f"{period} ended: review it in that quarter or later"
            }
        return {}

    return check


# --- operations -----------------------------------------------------------------------------

ACTION_FIELDS = ("id", "kind", "objective_id", "title", "owner", "owner_side", "opened_on",
                 "due_on", "status", "closed_on", "crack")  # fmt: skip
RESOURCE_FIELDS = ("id", "side", "period", "fte_committed", "fte_assigned", "budget_committed",
                   "budget_assigned")  # fmt: skip


def action_form(store: Store, alliance_id: str, on_saved: Saved | None = None) -> AllianceForm:
    """Add or edit a joint activity, meeting action or improvement action: the objective
    it serves, its owner and side, dates, status and (for improvements) the crack it
    repairs."""
    return AllianceForm(
        store,
        "actions",
        alliance_id,
        ACTION_FIELDS,
        title="Activity or action item",
        defaults={"kind": "activity", "status": "open"},
        labels={"objective_id": "Objective it serves", "crack": "Crack it repairs"},
        checks=[_closed_when_done("closed_on")],
        id_format=(f"{alliance_id}-ACT", 2),
        on_saved=on_saved,
    )


def resource_form(store: Store, alliance_id: str, on_saved: Saved | None = None) -> AllianceForm:
    """Add or edit a resource line: what one side committed and actually assigned (FTE,
    budget) in a quarter. Negative numbers are refused under their field."""
    return AllianceForm(
        store,
        "resources",
        alliance_id,
        RESOURCE_FIELDS,
        title="Resources committed and assigned",
        free_numbers=("fte_committed", "fte_assigned", "budget_committed", "budget_assigned"),
        id_format=(f"{alliance_id}-RS", 3),
        on_saved=on_saved,
    )


# --- KPI reporting --------------------------------------------------------------------------


def kpi_actual_form(store: Store, alliance_id: str, on_saved: Saved | None = None) -> AllianceForm:
    """Report a KPI's actual for a quarter (or correct one: Load it first)."""
    return AllianceForm(
        store,
        "kpi_actuals",
        alliance_id,
        ("kpi_id", "period", "value", "reported_on"),
        title="KPI actual",
        free_numbers=("value",),
        checks=[_reported_in_time],
        on_saved=on_saved,
    )


# --- continuous improvement -----------------------------------------------------------------


def risk_form(store: Store, alliance_id: str, on_saved: Saved | None = None) -> AllianceForm:
    """Add or edit a risk: owner, mitigation, status and the crack it threatens."""
    return AllianceForm(
        store,
        "risks",
        alliance_id,
        ("id", "title", "owner", "mitigation", "status", "raised_on", "crack"),
        title="Risk",
        defaults={"status": "open"},
        labels={"crack": "Crack it threatens"},
        id_format=(f"{alliance_id}-R", 2),
        on_saved=on_saved,
    )


def risk_review_form(store: Store, alliance_id: str, on_saved: Saved | None = None) -> AllianceForm:
    """Score a risk for a quarter: likelihood and impact, each 1 (low) to 5 (high)."""
    return AllianceForm(
        store,
        "risk_reviews",
        alliance_id,
        ("risk_id", "period", "likelihood", "impact"),
        title="Risk review",
        free_numbers=("likelihood", "impact"),
        checks=[_review_after_raised(store)],
        on_saved=on_saved,
    )


def issue_form(store: Store, alliance_id: str, on_saved: Saved | None = None) -> AllianceForm:
    """Add or edit an issue: who owns it, which side raised it, severity, when it was
    raised, escalated and resolved, and the crack it shows."""
    return AllianceForm(
        store,
        "issues",
        alliance_id,
        (
            "id",
            "title",
            "owner",
            "side",
            "severity",
            "raised_on",
            "escalated_on",
            "resolved_on",
            "crack",
        ),  # fmt: skip
        title="Issue",
        labels={"side": "Raised by", "crack": "Crack it shows"},
        id_format=(f"{alliance_id}-I", 2),
        on_saved=on_saved,
    )


def lesson_form(store: Store, alliance_id: str, on_saved: Saved | None = None) -> AllianceForm:
    """Record a lesson learned and the crack it is about."""
    return AllianceForm(
        store,
        "lessons",
        alliance_id,
        ("id", "recorded_on", "title", "description", "crack"),
        title="Lesson learned",
        labels={"crack": "Crack it is about"},
        id_format=(f"{alliance_id}-L", 2),
        on_saved=on_saved,
    )


# --- lifecycle ------------------------------------------------------------------------------


def document_form(store: Store, alliance_id: str, on_saved: Saved | None = None) -> AllianceForm:
    """Register an artefact of the lifecycle (plan, charter, review, exit strategy...):
    its kind, title, status, date and where it is kept."""
    return AllianceForm(
        store,
        "documents",
        alliance_id,
        ("id", "kind", "title", "status", "dated", "location"),
        title="Lifecycle document",
        defaults={"status": "draft"},
        labels={"dated": "Date of this version"},
        id_format=(f"{alliance_id}-DOC", 2),
        on_saved=on_saved,
    )


# --- tables as the Succeed workbooks show them -------------------------------------------------
# Display copies only: numbers become text (right-aligned by TableView), columns get
# readers' names. The figures are those of operations, kpi_reporting, improvement and
# lifecycle, unchanged.


def _fmt(frame: pd.DataFrame, **kwargs: Any) -> pd.DataFrame:
    from alliance_kit.views.widgets import formatted

    return formatted(frame, **kwargs)


def _range(low: Any, high: Any, digits: int = 1) -> str:
    if pd.isna(low) or pd.isna(high):
        return ""
    return f"{low:,.{digits}f} – {high:,.{digits}f}"


def actions_table(register: pd.DataFrame, open_only: bool = False) -> pd.DataFrame:
    """operations.action_register for readers (open ones only if asked): the owner with
    the side in brackets, days overdue only where there are some."""
    r = register[register["state"].isin(["open", "overdue"])] if open_only else register
    r = r.assign(
        owner=r["owner"].astype(str) + " (" + r["owner_side"].astype(str) + ")",
        days_overdue=r["days_overdue"].where(r["days_overdue"] > 0),
    )
    cols = ["id", "kind", "title", "objective", "owner", "opened_on", "due_on", "state",
            "age_days", "bucket", "days_overdue"]  # fmt: skip
    if open_only:  # the age says when it was opened; keeps the table narrow
        cols.remove("opened_on")
    return _fmt(
        r[cols],
        number_cols={"age_days": 0, "days_overdue": 0},
        rename={"opened_on": "opened", "due_on": "due", "age_days": "age (days)",
                "bucket": "ageing", "days_overdue": "days overdue"},
    )  # fmt: skip


def objectives_table(by_objective: pd.DataFrame) -> pd.DataFrame:
    """operations.actions_by_objective for readers."""
    counts = [c for c in by_objective.columns if c != "objective"]
    return _fmt(by_objective, number_cols=dict.fromkeys(counts, 0),
                rename={"owned_by_us": "owned by us",
                        "owned_by_partner": "owned by partner"})  # fmt: skip


def shortfall_table(shortfall: pd.DataFrame, currency: str = "") -> pd.DataFrame:
    """operations.resource_shortfall for readers: one row per partner."""
    return _fmt(
        shortfall,
        number_cols={"fte_committed": 1, "fte_assigned": 1, "fte_shortfall": 1},
        money_cols=["budget_committed", "budget_assigned", "budget_shortfall"],
        pct_cols=["fte_ratio", "budget_ratio", "fulfilment"],
        rename={"side": "partner", "period": "latest period", "fte_committed": "FTE committed",
                "fte_assigned": "FTE assigned", "fte_shortfall": "FTE short",
                "fte_ratio": "FTE assigned %", "budget_committed": f"budget committed {currency}",
                "budget_assigned": f"budget assigned {currency}",
                "budget_shortfall": f"budget short {currency}",
                "budget_ratio": "budget assigned %", "fulfilment": "fulfilment (crack 6)"},
    )  # fmt: skip


def _num(value: Any) -> str:
    """A KPI figure: two decimals below 1,000, none above (1,485,908 not 1,485,907.72)."""
    if value is None or pd.isna(value):
        return ""
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:,.2f}"


def kpi_table(status: pd.DataFrame) -> pd.DataFrame:
    """kpi_reporting.kpi_status for readers: status first, then the latest actual against
    the target, progress, trend, and the forecast for the due quarter with its interval."""
    s = status.copy()
    s["interval"] = [
        f"{_num(lo)} – {_num(hi)}" if pd.notna(lo) and pd.notna(hi) else ""
        for lo, hi in zip(s["forecast_low"], s["forecast_high"], strict=True)
    ]
    for c in ("baseline", "target", "actual", "change", "forecast"):
        s[c] = s[c].map(_num)
    s["owner_side"] = s["owner_side"].fillna("(not set)")
    cols = ["kpi_id", "name", "owner_side", "status", "unit", "baseline", "target",
            "due_period", "last_period", "actual", "change", "progress", "trend", "forecast",
            "interval"]  # fmt: skip
    out = _fmt(
        s[cols],
        pct_cols=["progress"],
        rename={"kpi_id": "KPI", "owner_side": "side", "due_period": "due", "last_period":
                "latest", "progress": "progress to target", "interval": "90% interval"},
    )  # fmt: skip
    out.attrs["numeric"] = ["baseline", "target", "actual", "change", "progress to target",
                            "forecast", "90% interval"]  # fmt: skip
    return out


def actuals_grid(actuals: pd.DataFrame) -> pd.DataFrame:
    """Actuals by quarter (columns) for each KPI (rows), after its name and target."""
    if actuals.empty:
        return pd.DataFrame()
    values = actuals.pivot(index="kpi_id", columns="period", values="value")
    head = actuals.drop_duplicates("kpi_id").set_index("kpi_id")[["name", "target"]]
    grid = head.join(values)
    for c in grid.columns.drop("name"):
        grid[c] = grid[c].map(_num)
    grid.columns.name = None
    out = grid.reset_index().rename(columns={"kpi_id": "KPI"})
    out.attrs["numeric"] = [c for c in out.columns if c not in ("KPI", "name")]
    return out


def reporting_table(log: pd.DataFrame) -> pd.DataFrame:
    """kpi_reporting.reporting_log for readers, late and missing reports first."""
    order = log["state"].map({"missing": 0, "late": 1, "on time": 2})
    out = log.assign(_o=order).sort_values(["_o", "period", "kpi_id"]).drop(columns="_o")
    return _fmt(out, number_cols={"days_late": 0},
                rename={"kpi_id": "KPI", "owner_side": "side"})  # fmt: skip


def risk_table(register: pd.DataFrame) -> pd.DataFrame:
    """improvement.risk_register for readers."""
    cols = ["id", "title", "owner", "status", "crack", "likelihood", "impact", "score",
            "level", "previous_score", "trend", "reviewed", "mitigation"]  # fmt: skip
    return _fmt(
        register[cols],
        number_cols=dict.fromkeys(["likelihood", "impact", "score", "previous_score"], 0),
        rename={"previous_score": "previous", "reviewed": "last review"},
    )


def issue_table(log: pd.DataFrame) -> pd.DataFrame:
    """improvement.issue_log for readers."""
    cols = ["id", "title", "owner", "side", "severity", "crack", "raised_on", "escalated_on",
            "resolved_on", "open", "age_days", "bucket"]  # fmt: skip
    return _fmt(
        log[cols],
        number_cols={"age_days": 0},
        rename={"side": "raised by", "raised_on": "raised", "escalated_on": "escalated",
                "resolved_on": "resolved", "age_days": "age (days)", "bucket": "ageing"},
    )  # fmt: skip


def cracks_table(work: pd.DataFrame) -> pd.DataFrame:
    """improvement.work_on_cracks for readers: the items as one line each."""
    out = work.assign(items=work["items"].map(lambda xs: "; ".join(xs) if xs else "nothing"))
    counts = ["actions_open", "actions_overdue", "risks_open", "issues_open", "lessons"]
    return _fmt(
        out,
        number_cols=dict.fromkeys(counts, 0),
        rename={"crack_name": "crack name", "actions_open": "actions open",
                "actions_overdue": "of which overdue", "risks_open": "risks open",
                "issues_open": "issues open", "items": "what is being done"},
    )  # fmt: skip


def lesson_table(lessons: pd.DataFrame) -> pd.DataFrame:
    """improvement.lesson_log for readers."""
    return _fmt(lessons, rename={"recorded_on": "recorded"})


def side_by_side(*parts: str) -> str:
    """HTML fragments (charts) next to each other, wrapping on narrow screens."""
    cells = "".join(f"<div>{p}</div>" for p in parts)
    return f'<div style="display:flex;flex-wrap:wrap;gap:28px;align-items:flex-start">{cells}</div>'


def checklist_table(check: pd.DataFrame) -> pd.DataFrame:
    """lifecycle.checklist for readers (stage, artefact, state, evidence, where)."""
    out = check.assign(stage=check["stage"].astype(str) + " " + check["stage_name"])
    return _fmt(out[["stage", "artefact", "state", "evidence", "where"]],
                rename={"where": "recorded in"})  # fmt: skip


# --- one-line summaries ------------------------------------------------------------------------


def _p(value: Any) -> str:
    return "" if value is None or pd.isna(value) else f"{float(value):.0%}"


def on_time_html(on_time: Mapping[str, Any], grace_days: int = 30) -> str:
    """kpi_reporting.on_time_summary in one sentence."""
    rate = _p(on_time["rate"]) or "nothing was expected"
    return (
        f"<p style='font-size:15px'><b>{on_time['on_time']} of {on_time['expected']}</b> "
        f"expected actuals of the last four quarters were reported on time (within "
        f"{grace_days} days of quarter end): <b>{rate}</b>; {on_time['reported']} were "
        "reported at all.</p>"
    )


def escalation_html(row: Mapping[str, Any]) -> str:
    """One alliance's improvement.escalations row in one sentence."""
    row = {k: int(row[k]) for k in ("raised", "raised_escalated", "escalated", "resolved",
                                    "open_escalations")}  # fmt: skip
    return (
        f"<p>Last four quarters: <b>{row['raised_escalated']} of {row['raised']}</b> issues "
        f"raised were escalated; <b>{row['resolved']} of {row['escalated']}</b> escalations "
        f"were resolved; <b>{row['open_escalations']}</b> escalated issues are still open.</p>"
    )


def completeness_html(summary: Mapping[str, Any]) -> str:
    """lifecycle.completeness in one sentence (artefact names escaped)."""
    missing = ", ".join(summary["missing"]) or "nothing"
    return (
        f"<p style='font-size:15px'><b>{summary['existing']} of {summary['expected']}</b> "
        f"artefacts expected by this stage exist: <b>{_p(summary['completeness'])}</b> "
        f"complete. Missing: <b>{html.escape(missing)}</b>.</p>"
    )
