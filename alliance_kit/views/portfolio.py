"""The portfolio register: every alliance with its key facts, and the guide to the workbooks.

``register`` is what the start notebook shows first: one row per alliance with who owns and
sponsors it, how old and how important it is, what it is expected to bring, whether it is
still running and how many KPIs, agreements and open items it carries. ``guide`` lists the
workbooks in the order the foundation is built (Imagine, Align, Succeed, then the health
assessment), so every notebook links to the same map.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from alliance_kit.views import formatting

REGISTER_COLUMNS = (
    "id",
    "name",
    "partner",
    "type",
    "stage",
    "owner",
    "our_sponsor",
    "our_sponsor_level",
    "partner_sponsor",
    "partner_sponsor_level",
    "start_date",
    "end_date",
    "age_years",
    "expected_revenue",
    "currency",
    "importance",
    "status",
    "outcome",
    "kpis",
    "agreements",
    "open_actions",
    "open_issues",
    "open_risks",
)
STATUS_ORDER = ("active", "planned", "ended")
OPEN_ACTION_STATUSES = ("open", "in progress")
DAYS_PER_YEAR = 365.25


def _as_of(as_of: dt.date | str | pd.Timestamp | None) -> pd.Timestamp:
    """The day the register describes; today when not given (views only: tests pass it)."""
    return pd.Timestamp(as_of if as_of is not None else dt.date.today()).normalize()


def _frame(frames: Mapping[str, pd.DataFrame], name: str, columns: Sequence[str]) -> pd.DataFrame:
    """A table from ``frames``, empty with the needed columns when absent."""
    df = frames.get(name)
    if df is None:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    return df


def _count(df: pd.DataFrame, mask: pd.Series | None = None) -> pd.Series:
    """Rows per alliance_id (optionally only those where ``mask`` holds)."""
    rows = df if mask is None else df[mask.fillna(False).astype(bool)]
    return rows.groupby("alliance_id").size()


def _dates(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s, errors="coerce")


def register(
    frames: Mapping[str, pd.DataFrame],
    as_of: dt.date | str | pd.Timestamp | None = None,
    *,
    sort_by: str | Sequence[str] | None = None,
    ascending: bool | Sequence[bool] = True,
) -> pd.DataFrame:
    """One row per alliance with its key facts as of ``as_of`` (default today).

    ``frames`` is a dict of typed frames keyed by table name (``store.read_all()``); only
    ``alliances`` is required. Status is ``planned`` before the start date, ``ended`` once
    the end date (or a recorded outcome) is on or before ``as_of``, else ``active``. Age is
    in years from the start to ``as_of`` or the end, whichever is earlier (0 before the
    start). Open items count what was open on ``as_of``: actions opened by then and still
    open or in progress, issues raised and not yet resolved, risks raised and not closed.
    Default order: active, planned, ended; then importance and expected revenue, highest
    first; then id. ``sort_by`` orders by any register column(s) instead.
    """
    day = _as_of(as_of)
    out = _frame(frames, "alliances", REGISTER_COLUMNS[:16]).reindex(columns=REGISTER_COLUMNS)
    out = out.reset_index(drop=True)
    for col in ("start_date", "end_date"):
        out[col] = _dates(out[col])

    outcomes = _frame(frames, "outcomes", ("alliance_id", "outcome", "ended_on"))
    outcomes = outcomes[_dates(outcomes["ended_on"]) <= day].set_index("alliance_id")
    out["outcome"] = out["id"].map(outcomes["outcome"]).astype(object)
    out["outcome"] = out["outcome"].where(out["outcome"].notna(), None)
    ended = dict(zip(outcomes.index, _dates(outcomes["ended_on"]), strict=True))
    outcome_end = _dates(pd.Series([ended.get(i, pd.NaT) for i in out["id"]], index=out.index))
    ended_on = out["end_date"].where(out["end_date"] <= day)
    ended_on = ended_on.fillna(outcome_end)

    out["status"] = "active"
    out.loc[out["start_date"] > day, "status"] = "planned"
    out.loc[ended_on.notna(), "status"] = "ended"

    until = ended_on.fillna(day).clip(upper=day)
    days = (until - out["start_date"]).dt.days.clip(lower=0)
    out["age_years"] = (days / DAYS_PER_YEAR).round(1).astype("float64")

    out = _add_counts(out, frames, day)
    out = out[list(REGISTER_COLUMNS)]
    return _sort(out, sort_by, ascending)


def _add_counts(
    out: pd.DataFrame, frames: Mapping[str, pd.DataFrame], day: pd.Timestamp
) -> pd.DataFrame:
    kpis = _frame(frames, "kpis", ("alliance_id",))
    agreements = _frame(frames, "agreements", ("alliance_id",))
    actions = _frame(frames, "actions", ("alliance_id", "status", "opened_on"))
    issues = _frame(frames, "issues", ("alliance_id", "raised_on", "resolved_on"))
    risks = _frame(frames, "risks", ("alliance_id", "status", "raised_on"))

    open_actions = actions["status"].isin(OPEN_ACTION_STATUSES) & (
        _dates(actions["opened_on"]) <= day
    )
    resolved = _dates(issues["resolved_on"])
    open_issues = (_dates(issues["raised_on"]) <= day) & (resolved.isna() | (resolved > day))
    open_risks = (risks["status"] != "closed") & (_dates(risks["raised_on"]) <= day)

    counts = {
        "kpis": _count(kpis),
        "agreements": _count(agreements),
        "open_actions": _count(actions, open_actions),
        "open_issues": _count(issues, open_issues),
        "open_risks": _count(risks, open_risks),
    }
    for col, per_alliance in counts.items():
        out[col] = out["id"].map(per_alliance).fillna(0).astype("int64")
    return out


def _sort(
    out: pd.DataFrame, sort_by: str | Sequence[str] | None, ascending: bool | Sequence[bool]
) -> pd.DataFrame:
    if sort_by is not None:
        return out.sort_values(sort_by, ascending=ascending, kind="stable").reset_index(drop=True)
    rank = out["status"].map({s: i for i, s in enumerate(STATUS_ORDER)})
    order = (
        out.assign(_rank=rank, _imp=-out["importance"].astype("float64"))
        .assign(_rev=-out["expected_revenue"].astype("float64"))
        .sort_values(["_rank", "_imp", "_rev", "id"], kind="stable")
        .index
    )
    return out.loc[order].reset_index(drop=True)


# --- display ---------------------------------------------------------------------------

DISPLAY_LABELS = {
    "id": "Id",
    "name": "Alliance",
    "partner": "Partner",
    "status": "Status",
    "type": "Type",
    "stage": "Stage",
    "owner": "Owner",
    "sponsors": "Sponsors (us / partner)",
    "start_date": "Started (age)",
    "expected_revenue": "Revenue / year",
    "importance": "Importance",
    "kpis": "KPIs",
    "agreements": "Agreements",
    "open_items": "Open actions / issues / risks",
}
#: Display columns to right-align, and those never to wrap (read by ``widgets.html_table``).
DISPLAY_NUMERIC = ("expected_revenue", "importance", "kpis", "agreements")
DISPLAY_NOWRAP = ("id", "status", "start_date", "open_items")


def money(amount: float | None, currency: str | None = None) -> str:
    """A compact amount with its currency, ``USD 40.0M``, ``EUR 850k`` (empty if missing)."""
    return formatting.money(amount, currency, missing="")


def _sponsor(name: object, level: object) -> str:
    if name is None or pd.isna(name) or not str(name).strip():
        return "none"
    has_level = level is not None and not pd.isna(level) and str(level)
    return f"{name} ({level})" if has_level else str(name)


def format_register(reg: pd.DataFrame) -> pd.DataFrame:
    """The register as display text with readable headers (values are not HTML-escaped
    here: render it with an escaping table such as ``widgets.html_table``, which reads the
    right-aligned and unbroken columns from ``attrs``). The start date carries the age in
    years, ``2023-07-01 (3.2 y)``; open actions, issues and risks share one column,
    ``3 / 1 / 2``."""
    sponsors = [
        f"{_sponsor(a, b)} / {_sponsor(c, d)}"
        for a, b, c, d in zip(
            reg["our_sponsor"],
            reg["our_sponsor_level"],
            reg["partner_sponsor"],
            reg["partner_sponsor_level"],
            strict=True,
        )
    ]
    status = [
        f"{s} ({o})" if o is not None and not pd.isna(o) else s
        for s, o in zip(reg["status"], reg["outcome"], strict=True)
    ]
    shown = pd.DataFrame(
        {
            "id": reg["id"],
            "name": reg["name"],
            "partner": reg["partner"],
            "status": status,  # early and unbroken: it is what the register is read for
            "type": reg["type"],
            "stage": reg["stage"],
            "owner": reg["owner"],
            "sponsors": sponsors,
            "start_date": [
                "" if pd.isna(d) else f"{d:%Y-%m-%d} ({a:.1f} y)"
                for d, a in zip(reg["start_date"], reg["age_years"], strict=True)
            ],
            "expected_revenue": [
                money(a, c) for a, c in zip(reg["expected_revenue"], reg["currency"], strict=True)
            ],
            "importance": reg["importance"].map(lambda v: "" if pd.isna(v) else f"{int(v)} / 5"),
            "kpis": reg["kpis"],
            "agreements": reg["agreements"],
            "open_items": [
                f"{a} / {i} / {r}"
                for a, i, r in zip(
                    reg["open_actions"], reg["open_issues"], reg["open_risks"], strict=True
                )
            ],
        }
    )
    shown = shown.rename(columns=DISPLAY_LABELS)
    shown.attrs["numeric"] = [DISPLAY_LABELS[c] for c in DISPLAY_NUMERIC]
    shown.attrs["nowrap"] = [DISPLAY_LABELS[c] for c in DISPLAY_NOWRAP]
    return shown


def totals(reg: pd.DataFrame) -> pd.DataFrame:
    """Active alliances and their expected revenue per currency (never summed across
    currencies): columns currency, alliances, expected_revenue."""
    active = reg[reg["status"] == "active"]
    grouped = active.groupby("currency", sort=True).agg(
        alliances=("id", "size"), expected_revenue=("expected_revenue", "sum")
    )
    return grouped.reset_index()


def headline(reg: pd.DataFrame, as_of: dt.date | str | pd.Timestamp | None = None) -> str:
    """One sentence on the register: how many alliances are active and what they are
    expected to bring a year (per currency), how many are planned or ended."""
    counts = reg["status"].value_counts()
    money_text = " + ".join(
        money(r.expected_revenue, r.currency) for r in totals(reg).itertuples(index=False)
    )
    active = int(counts.get("active", 0))
    text = f"{formatting.plural(active, 'active alliance')}"
    if active:
        text += f" expecting {money_text} a year"
    text += f"; {int(counts.get('planned', 0))} planned, {int(counts.get('ended', 0))} ended"
    return f"{text} (as of {_as_of(as_of).date().isoformat()})."


# --- the guide to the workbooks ----------------------------------------------------------


@dataclass(frozen=True)
class Workbook:
    """One workbook of the suite: where it is (relative to ``notebooks/``) and what it answers.

    ``available`` is None unless ``guide`` was given the notebooks folder to look in.
    """

    step: int
    principle: str
    title: str
    path: str
    answers: str
    available: bool | None = None


WORKBOOKS: tuple[Workbook, ...] = (
    Workbook(
        1,
        "Imagine",
        "Strategy and scope",
        "imagine/01_strategy.ipynb",
        "What is the vision, what is in and out of scope, what does each partner get, "
        "and who has been told?",
    ),
    Workbook(
        2,
        "Imagine",
        "Goals and KPIs",
        "imagine/02_goals_and_kpis.ipynb",
        "Which objectives, and which KPIs measure them, complete and agreed by both sides?",
    ),
    Workbook(
        3,
        "Imagine",
        "Business case",
        "imagine/03_business_case.ipynb",
        "Does the alliance pay for each partner (NPV, IRR, payback), under which scenarios "
        "and with what chance?",
    ),
    Workbook(
        4,
        "Align",
        "Agreements and contracts",
        "align/04_agreements.ipynb",
        "Which agreements bind the alliance, what is due, and which renewals or exits "
        "need notice soon?",
    ),
    Workbook(
        5,
        "Align",
        "Governance",
        "align/05_governance.ipynb",
        "Who decides what, do the bodies meet as planned, do executives attend, are "
        "actions closed?",
    ),
    Workbook(
        6,
        "Succeed",
        "Operations and resources",
        "succeed/06_operations.ipynb",
        "Are joint activities moving, and has each partner assigned the people and budget "
        "it committed?",
    ),
    Workbook(
        7,
        "Succeed",
        "KPI reporting",
        "succeed/07_kpi_reporting.ipynb",
        "Where does each KPI stand against its target, and are actuals reported on time?",
    ),
    Workbook(
        8,
        "Succeed",
        "Continuous improvement",
        "succeed/08_continuous_improvement.ipynb",
        "Which risks and issues need attention, and what have we learned?",
    ),
    Workbook(
        9,
        "Succeed",
        "Lifecycle checklist",
        "succeed/09_lifecycle.ipynb",
        "Which ISO 44001 artefacts exist for the alliance's stage, and which are missing?",
    ),
    Workbook(
        10,
        "Health",
        "Six-crack health assessment",
        "assess/10_health_assessment.ipynb",
        "Which of the six cracks is opening, in whose eyes, what does it put at risk and "
        "what repairs it?",
    ),
)


def guide(notebooks_dir: str | Path | None = None) -> list[Workbook]:
    """The workbooks in the order the foundation is built: Imagine, Align, Succeed, then
    the health assessment. Given the ``notebooks/`` folder, each entry says whether its
    notebook exists there yet (the start notebook marks the others as coming).

    Workbook authors: keep your notebook at the path listed here (or change it here).
    """
    if notebooks_dir is None:
        return list(WORKBOOKS)
    root = Path(notebooks_dir)
    return [replace(w, available=(root / w.path).is_file()) for w in WORKBOOKS]


def guide_markdown(notebooks_dir: str | Path) -> str:
    """The guide as Markdown: a numbered list grouped by principle, with relative links to
    the notebooks that exist and "coming" for those that do not yet."""
    lines: list[str] = []
    principle = None
    for w in guide(notebooks_dir):
        if w.principle != principle:
            principle = w.principle
            lines.append(f"\n**{principle}**\n")
        title = f"[{w.title}]({w.path})" if w.available else f"{w.title} *(coming)*"
        lines.append(f"{w.step}. {title} — {w.answers}")
    return "\n".join(lines).strip() + "\n"
