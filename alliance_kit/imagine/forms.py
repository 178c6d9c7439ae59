"""Widget forms of the Imagine workbooks (strategy, goals & KPIs, business case).

Each form is a ``widgets.AllianceForm`` bound to one alliance: new records get its id, the
Load picker and the drop-downs of linked records (objectives, ...) offer only its records.
Nothing is saved until the record is valid; every message shows next to its field:

- the model's rules through ``schemas.validate_record`` (RecordForm does this);
- numbers whose range matters (a discount rate, an amount, a year) are typed into plain
  text boxes instead of bounded number boxes, which would silently clamp 3.0 (300%) to
  1.0: the value stays as typed and the message says what makes sense;
- the business case adds ``business_case.check_case``'s messages.

``KpiDesigner`` adds a live SMART check (``kpis.smart_check``) under the KPI form;
``CatalogueAdder`` adds KPIs from the starter catalogue in one click. All of it runs
without a browser: tests set widget values and call ``save()`` or click the buttons.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import ipywidgets as W
import pandas as pd
from sqlalchemy.exc import SQLAlchemyError

from alliance_kit.imagine import business_case as bc
from alliance_kit.imagine import kpis
from alliance_kit.records import schemas
from alliance_kit.records.model import RecordRefused
from alliance_kit.records.store import Store, StoreError
from alliance_kit.views import formatting as fmt
from alliance_kit.views.widgets import (
    FIELD_WIDTH,
    LABEL_WIDTH,
    AllianceForm,
    _error,
    _note,
    _ok,
    formatted,
    record_label,
)

Saved = Callable[[dict[str, Any]], None]


# --- strategy -----------------------------------------------------------------------------

STRATEGY_FIELDS = (
    "vision",
    "scope_in",
    "scope_out",
    "value_us",
    "value_partner",
    "target_markets",
    "documented_on",
    "approved_us_on",
    "approved_partner_on",
)


def _approval_dates(rec: Mapping[str, Any]) -> dict[str, str]:
    """An approval cannot come before the strategy was documented."""
    out = {}
    doc = rec.get("documented_on")
    for col in ("approved_us_on", "approved_partner_on"):
        day = rec.get(col)
        if doc is not None and day is not None and pd.Timestamp(day) < pd.Timestamp(doc):
            out[col] = (
                f"{pd.Timestamp(day):%Y-%m-%d} is before the strategy was documented "
                f"({pd.Timestamp(doc):%Y-%m-%d}): approve it on or after that day"
            )
    return out


def strategy_form(store: Store, alliance_id: str, on_saved: Saved | None = None) -> AllianceForm:
    """The alliance's strategy (one record per alliance), loaded if it exists."""
    form = AllianceForm(
        store,
        "strategies",
        alliance_id,
        STRATEGY_FIELDS,
        title="Strategy and scope",
        labels={
            "scope_in": "In scope",
            "scope_out": "Out of scope",
            "value_us": "Value for us",
            "value_partner": "Value for the partner",
            "approved_us_on": "We approved on",
            "approved_partner_on": "Partner approved on",
        },
        checks=[_approval_dates],
        on_saved=on_saved,
    )
    if not store.read("strategies", where={"alliance_id": alliance_id}).empty:
        form.load(alliance_id)
    return form


def objective_form(store: Store, alliance_id: str, on_saved: Saved | None = None) -> AllianceForm:
    """Add or edit the alliance's objectives (leave Id empty for a new one)."""
    return AllianceForm(
        store,
        "objectives",
        alliance_id,
        ("id", "title", "description"),
        title="Objective",
        id_format=(f"{alliance_id}-O", 2),
        on_saved=on_saved,
    )


def briefing_form(
    store: Store, alliance_id: str, topic: str = "strategy", on_saved: Saved | None = None
) -> AllianceForm:
    """Add an entry to the communication log: who was briefed on ``topic``, when, and
    whether they acknowledged it."""
    return AllianceForm(
        store,
        "briefings",
        alliance_id,
        ("side", "audience", "briefed_on", "acknowledged"),
        title=f"Communication log: {topic} briefing",
        defaults={"topic": topic},
        where={"topic": topic},
        id_format=(f"{alliance_id}-B", 2),
        on_saved=on_saved,
    )


# --- goals and KPIs -----------------------------------------------------------------------

KPI_FIELDS = (
    "id",
    "objective_id",
    "name",
    "owner",
    "owner_side",
    "unit",
    "direction",
    "baseline",
    "target",
    "due_date",
    "cadence",
    "data_source",
    "agreed_by_both",
)


def smart_html(missing: Sequence[str]) -> str:
    """The SMART check's verdict as escaped HTML."""
    if not missing:
        return (
            '<div style="color:#1b5e20;margin:4px 0">&#10003; SMART and agreed: owner, unit, '
            "baseline, target, due date, cadence, data source and both partners' agreement "
            "are all there.</div>"
        )
    items = ", ".join(html.escape(m) for m in missing)
    return (
        f'<div style="color:#8a4b00;margin:4px 0">SMART check: missing <b>{items}</b> '
        f"({len(missing)} of {len(kpis.SMART_ITEMS)}).</div>"
    )


class KpiDesigner:
    """The KPI form with a live SMART check: as fields change, it says exactly what is
    still missing (``kpis.smart_check``). Saving follows the form's rules (a target below
    the baseline of a KPI that should rise is refused with a message under Target)."""

    def __init__(self, store: Store, alliance_id: str, on_saved: Saved | None = None) -> None:
        self.form = AllianceForm(
            store,
            "kpis",
            alliance_id,
            KPI_FIELDS,
            title="KPI designer",
            id_format=(f"{alliance_id}-K", 2),
            on_saved=on_saved,
        )
        self.smart = W.HTML(value="", layout=W.Layout(margin=f"0 0 0 {LABEL_WIDTH}"))
        for f in self.form.fields.values():
            f.widget.observe(lambda _change: self.update(), names="value")
        self.widget = W.VBox([self.form.widget, self.smart])
        self.update()

    @property
    def missing(self) -> list[str]:
        return kpis.smart_check(self.form.record())

    def update(self) -> None:
        self.smart.value = smart_html(self.missing)

    def refresh(self) -> None:
        """Re-read the drop-downs (call after objectives were added)."""
        self.form.refresh_options()

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle = dict(self.widget._repr_mimebundle_(**kwargs) or {})
        bundle["text/html"] = self.form._repr_mimebundle_(**kwargs)["text/html"]
        return bundle


class CatalogueAdder:
    """Pick common alliance KPIs from the starter catalogue and add them to the alliance in
    one click (name, unit, direction, cadence and data source filled in; the rest is left
    for the partners, and the SMART check lists it)."""

    def __init__(
        self,
        store: Store,
        alliance_id: str,
        catalogue: pd.DataFrame | None = None,
        on_added: Callable[[list[dict[str, Any]]], None] | None = None,
    ) -> None:
        self.store = store
        self.alliance_id = alliance_id
        self.catalogue = kpis.load_catalogue() if catalogue is None else catalogue
        self.on_added = on_added
        style = {"description_width": LABEL_WIDTH}
        self.picker = W.SelectMultiple(
            options=[
                (f"{r['name']} ({r['unit']}, {r['direction']}, {r['cadence']})", r["key"])
                for r in self.catalogue.to_dict("records")
            ],
            rows=min(10, len(self.catalogue)),
            description="Catalogue KPIs",
            style=style,
            layout=W.Layout(width=FIELD_WIDTH),
        )
        self.objective = W.Dropdown(
            options=[], description="For objective", style=style, layout=W.Layout(width=FIELD_WIDTH)
        )
        self.add_button = W.Button(
            description="Add to alliance", button_style="primary", icon="plus"
        )
        self.add_button.on_click(lambda _b: self.add())
        self.status = W.HTML(value="")
        self.widget = W.VBox(
            [
                W.HTML("<h4 style='margin:4px 0'>Starter catalogue</h4>"),
                self.picker,
                self.objective,
                self.add_button,
                self.status,
            ]
        )
        self.refresh()

    def refresh(self) -> None:
        """Re-read the alliance's objectives for the objective drop-down."""
        o = self.store.read("objectives", where={"alliance_id": self.alliance_id})
        current = self.objective.value
        opts = [("—", None)] + [(record_label(r, ["id"]), r["id"]) for r in o.to_dict("records")]
        self.objective.options = opts
        self.objective.value = current if current in [v for _, v in opts] else None

    def _currency(self) -> str | None:
        a = self.store.read("alliances", where={"id": self.alliance_id})
        return None if a.empty else str(a["currency"].iloc[0])

    def add(self, keys: Sequence[str] | None = None) -> list[dict[str, Any]]:
        """Add the chosen catalogue KPIs (or ``keys``); returns the records stored."""
        keys = list(self.picker.value if keys is None else keys)
        if not keys:
            self.status.value = _note("Choose one or more KPIs from the catalogue first.")
            return []
        chosen = self.catalogue.set_index("key").loc[keys].reset_index()
        existing = self.store.read_all()
        taken = set(
            existing["kpis"].loc[existing["kpis"]["alliance_id"] == self.alliance_id, "name"]
        )
        prefix = f"{self.alliance_id}-K"
        first = int(self.store.next_id("kpis", prefix, width=2)[len(prefix) :])
        records, skipped = [], []
        for entry in chosen.to_dict("records"):
            if entry["name"] in taken:
                skipped.append(entry["name"])
                continue
            rec = kpis.kpi_from_catalogue(
                entry,
                self.alliance_id,
                currency=self._currency(),
                kpi_id=f"{prefix}{first + len(records):02d}",
                objective_id=self.objective.value,
            )
            problems = schemas.validate_record("kpis", rec, existing)
            if problems:
                self.status.value = _error(f"Not added: {entry['name']}: {problems}")
                return []
            records.append(rec)
        if records:
            try:
                with self.store.transaction() as conn:
                    self.store.upsert("kpis", records, conn=conn)
            except (SQLAlchemyError, StoreError, RecordRefused) as exc:
                self.status.value = _error(f"Not added: {exc}")
                return []
        text = f"Added {', '.join(r['name'] for r in records)}." if records else "Nothing added."
        if skipped:
            text += f" Already there: {', '.join(skipped)}."
        self.status.value = _ok(text) if records else _note(text)
        if records and self.on_added is not None:
            self.on_added(records)
        return records

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle = dict(self.widget._repr_mimebundle_(**kwargs) or {})
        bundle["text/html"] = (
            "<p><em>Starter catalogue</em>: pick KPIs and add them to the alliance. "
            "Open this notebook in JupyterLab to use it.</p>"
        )
        return bundle


# --- business case ------------------------------------------------------------------------


def business_case_form(
    store: Store, alliance_id: str, on_saved: Saved | None = None
) -> AllianceForm:
    """The terms of the alliance's business case: discount rate, horizon, first year,
    assumptions, approval. A discount rate of 3.0 (300%) is refused with a message."""

    def check(rec: dict[str, Any]) -> dict[str, str]:
        return bc.check_case(rec)

    form = AllianceForm(
        store,
        "business_cases",
        alliance_id,
        ("discount_rate", "horizon_years", "first_year", "assumptions", "approved_on"),
        title="Business case terms",
        free_numbers=("discount_rate", "horizon_years", "first_year"),
        checks=[check],
        on_saved=on_saved,
    )
    if not store.read("business_cases", where={"alliance_id": alliance_id}).empty:
        form.load(alliance_id)
    return form


def line_form(store: Store, alliance_id: str, on_saved: Saved | None = None) -> AllianceForm:
    """Add or edit a business case line: whose money, which year, investment, cost or
    revenue, the amount (positive) and whether it is plan or actual. A negative amount or a
    year outside the case's horizon is refused with a message."""

    def check(rec: dict[str, Any]) -> dict[str, str]:
        cases = store.read("business_cases", where={"alliance_id": alliance_id})
        case = cases.iloc[0].to_dict() if len(cases) else {"alliance_id": alliance_id}
        if len(cases) == 0:
            return {"": "enter the business case terms (discount rate, horizon) first"}
        found = bc.check_case(case, pd.DataFrame([rec]))
        return {k.rsplit(".", 1)[-1]: v for k, v in found.items() if k.startswith("lines[")}

    return AllianceForm(
        store,
        "business_case_lines",
        alliance_id,
        ("id", "side", "year", "category", "item", "amount", "kind", "assumption"),
        title="Business case line",
        free_numbers=("year", "amount"),
        checks=[check],
        id_format=(f"{alliance_id}-BC", 3),
        on_saved=on_saved,
    )


# --- views shared by the Imagine workbooks ---------------------------------------------------


class HtmlView(W.HTML):
    """An HTML widget whose content also appears in static exports (like TableView): for
    charts (inline SVG), outlines and documents that refresh after a save."""

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle = dict(super()._repr_mimebundle_(**kwargs) or {})
        bundle["text/html"] = self.value
        return bundle


def money(value: Any, currency: str = "") -> str:
    """An amount in whole units with its currency, ``1,234,567 EUR`` (empty when missing)."""
    return fmt.money(value, currency, style="full", missing="")


def pct(value: Any, digits: int = 1) -> str:
    """A fraction as a percentage, ``12.5%`` (empty when missing)."""
    return fmt.pct(value, digits, missing="")


def html_message(text: str, colour: str = "#8a4b00") -> str:
    """One escaped message in a box (a problem that stops a computation, a warning)."""
    return (
        f'<div style="background:#fff4e0;border-left:4px solid #e69500;padding:6px 12px;'
        f'margin:6px 0;color:{colour}">{html.escape(text)}</div>'
    )


def problems_html(warnings: Sequence[str], problems: Mapping[str, str]) -> str:
    """The business case's warnings and line problems as an escaped list (empty if none)."""
    items = [html.escape(w) for w in warnings]
    items += [f"{html.escape(k)}: {html.escape(v)}" for k, v in problems.items()]
    if not items:
        return ""
    return (
        '<div style="background:#fff4e0;border-left:4px solid #e69500;padding:6px 12px;'
        'margin:6px 0"><b>Read with care:</b><ul style="margin:2px 0">'
        + "".join(f"<li>{i}</li>" for i in items)
        + "</ul></div>"
    )


def _years_text(value: float | None) -> str:
    return "not within the horizon" if value is None else f"{value:.1f} years"


def headline_table(summary: bc.BusinessCaseSummary, failure: bc.FailureEstimate) -> pd.DataFrame:
    """The case's headline figures as a two-column table for readers (measure, value)."""
    s, cur = summary, summary.currency
    irr = pct(s.irr.value) if s.irr.value is not None else f"undefined ({s.irr.reason})"
    rows = [
        ("NPV, our side", money(s.npv, cur)),
        ("IRR, our side", irr),
        ("payback", _years_text(s.payback_years)),
        ("discounted payback", _years_text(s.discounted_payback_years)),
        ("annual failure probability", pct(failure.annual)),
        ("where it comes from", failure.explanation),
        ("risk-adjusted NPV, our side", money(s.risk_adjusted_npv, cur)),
        ("NPV, partner's side", money(s.npv_partner, cur)),
        ("NPV, the alliance as a whole", money(s.npv_joint, cur)),
    ]
    if s.monte_carlo is not None:
        mc = s.monte_carlo
        rows += [
            (f"Monte Carlo ({mc.n:,} draws): P(NPV > 0)", pct(mc.p_positive, 0)),
            (
                "Monte Carlo NPV: P5 / median / P95",
                f"{money(mc.p5)} / {money(mc.p50)} / {money(mc.p95)} {cur}".strip(),
            ),
        ]
    out = pd.DataFrame(rows, columns=["measure", "value"])
    out.attrs["nowrap"] = ["measure"]
    return out


# --- the business case workbook's tables (display text, read by TableView) ----------------


def plan_lines_table(lines: pd.DataFrame, alliance_id: str) -> pd.DataFrame:
    """The alliance's plan lines by side, category and item, one money column per year."""
    table = bc.lines_table(lines, alliance_id)
    years = [c for c in table.columns if c not in ("side", "category", "item")]
    return formatted(table, money_cols=years)


def scenarios_table(s: bc.BusinessCaseSummary) -> pd.DataFrame:
    """Base, upside and downside: the multipliers applied and the NPV, IRR and payback."""
    cols = ["scenario", "revenue_x", "cost_x", "investment_x", "delay_years", "npv", "irr",
            "payback_years"]  # fmt: skip
    numbers = {"revenue_x": 2, "cost_x": 2, "investment_x": 2, "delay_years": 1,
               "payback_years": 1}  # fmt: skip
    rename = {"revenue_x": "revenue ×", "cost_x": "costs ×", "investment_x": "investment ×",
              "delay_years": "delay (years)", "payback_years": "payback (years)",
              "npv": f"NPV ({s.currency})", "irr": "IRR"}  # fmt: skip
    return formatted(
        s.scenarios[cols], money_cols=["npv"], pct_cols=["irr"], number_cols=numbers,
        rename=rename,
    )  # fmt: skip


def tornado_table(s: bc.BusinessCaseSummary) -> pd.DataFrame:
    """Each driver moved down and up, the NPV either way and the swing."""
    return formatted(
        s.tornado[["driver", "down", "up", "npv_down", "npv_up", "swing"]],
        money_cols=["npv_down", "npv_up", "swing"],
        rename={"npv_down": "NPV if down", "npv_up": "NPV if up"},
    )


def value_split_table(s: bc.BusinessCaseSummary) -> pd.DataFrame:
    """Each side's share of the investment against its share of the value."""
    cols = ["side", "investment", "investment_share", "npv_own", "value_share", "gap_points",
            "imbalanced"]  # fmt: skip
    rename = {"investment_share": "share of investment", "npv_own": "own NPV",
              "value_share": "share of value", "gap_points": "gap (points)"}  # fmt: skip
    return formatted(
        s.value_split[cols], money_cols=["investment", "npv_own"],
        pct_cols=["investment_share", "value_share"], number_cols={"gap_points": 1},
        rename=rename,
    )  # fmt: skip


def plan_vs_actual_table(s: bc.BusinessCaseSummary) -> pd.DataFrame:
    """Years with actual lines: plan, actual and variance per side and category."""
    return formatted(
        s.plan_vs_actual.drop(columns="alliance_id"),
        money_cols=["plan", "actual", "variance"],
        pct_cols=["variance_pct"],
        rename={"variance_pct": "variance %"},
    )
