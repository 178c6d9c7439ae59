"""A small valid portfolio touching every record type, as a user would type it.

Values are text (as cells read from a CSV file) or plain numbers; tests break one cell or
one sheet of a copy and write it with :func:`write_raw`, which writes exactly what it is
given (so malformed values reach the importer as the user would send them).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd

ROWS: dict[str, list[dict[str, Any]]] = {
    "alliances": [
        {
            "id": "A1",
            "name": "Cloud co-sell",
            "partner": '=HYPERLINK("http://x","y")',
            "type": "co-sell",
            "stage": "5 working together",
            "start_date": "2024-01-15",
            "end_date": None,
            "owner": "Ana Ruiz",
            "our_sponsor": "Bo Chen",
            "our_sponsor_level": "svp",
            "partner_sponsor": "Cy Dube",
            "partner_sponsor_level": "vp",
            "expected_revenue": 1250000.5,
            "currency": "USD",
            "importance": 4,
            "notes": "Zoë's notes, with a comma\nand a second line",
        },
        {
            "id": "A2",
            "name": "Reseller EU",
            "partner": "Distri GmbH",
            "type": "reseller",
            "stage": "8 exit strategy",
            "start_date": "2022-03-01",
            "end_date": "2025-06-30",
            "owner": "Dee Eto",
            "our_sponsor": None,
            "our_sponsor_level": None,
            "partner_sponsor": None,
            "partner_sponsor_level": None,
            "expected_revenue": 0.1,
            "currency": "EUR",
            "importance": 2,
            "notes": "-minus",
        },
    ],
    "people": [
        {
            "id": "P1",
            "alliance_id": "A1",
            "side": "us",
            "name": "Bo Chen",
            "role": "sponsor",
            "org_level": "svp",
            "email": "bo@example.com",
        },
        {
            "id": "P2",
            "alliance_id": "A1",
            "side": "partner",
            "name": "Cy Dube",
            "role": "sponsor",
            "org_level": "vp",
            "email": None,
        },
        {
            "id": "P3",
            "alliance_id": "A2",
            "side": "us",
            "name": "Dee Eto",
            "role": "manager",
            "org_level": "manager",
            "email": None,
        },
    ],
    "strategies": [
        {
            "alliance_id": "A1",
            "vision": "Win mid-market together",
            "scope_in": "EMEA",
            "scope_out": "public sector",
            "value_us": "pipeline",
            "value_partner": "reach",
            "target_markets": "SaaS",
            "documented_on": "2024-02-01",
            "approved_us_on": "2024-02-10",
            "approved_partner_on": None,
        },
    ],
    "objectives": [
        {"id": "O1", "alliance_id": "A1", "title": "Grow joint pipeline", "description": None},
    ],
    "kpis": [
        {
            "id": "K1",
            "alliance_id": "A1",
            "objective_id": "O1",
            "name": "Joint pipeline",
            "owner": "Ana Ruiz",
            "owner_side": "us",
            "unit": "USD",
            "direction": "increase",
            "baseline": 50,
            "target": 400,
            "due_date": "2026-12-31",
            "cadence": "quarterly",
            "data_source": "CRM",
            "agreed_by_both": "yes",
        },
        {
            "id": "K2",
            "alliance_id": "A1",
            "objective_id": None,
            "name": "Escalations",
            "owner": None,
            "owner_side": None,
            "unit": "count",
            "direction": "decrease",
            "baseline": 10,
            "target": 2,
            "due_date": None,
            "cadence": None,
            "data_source": None,
            "agreed_by_both": "no",
        },
    ],
    "kpi_actuals": [
        {"kpi_id": "K1", "period": "2026-Q2", "value": 120, "reported_on": "2026-07-05"},
        {"kpi_id": "K1", "period": "2026-Q3", "value": 180.25, "reported_on": None},
    ],
    "business_cases": [
        {
            "alliance_id": "A1",
            "discount_rate": 0.1,
            "horizon_years": 5,
            "first_year": 2024,
            "assumptions": "+20% a year",
            "approved_on": "2024-03-01",
        },
    ],
    "business_case_lines": [
        {
            "id": "L1",
            "alliance_id": "A1",
            "side": "us",
            "year": 2024,
            "category": "investment",
            "item": "enablement",
            "amount": 200000,
            "kind": "plan",
            "assumption": None,
        },
        {
            "id": "L2",
            "alliance_id": "A1",
            "side": "partner",
            "year": 2025,
            "category": "revenue",
            "item": "resale",
            "amount": 750000.75,
            "kind": "plan",
            "assumption": "@list price",
        },
    ],
    "agreements": [
        {
            "id": "G1",
            "alliance_id": "A1",
            "type": "master alliance agreement",
            "title": "MAA",
            "parties": "us; partner",
            "status": "active",
            "signed_on": "2024-01-10",
            "effective_on": "2024-01-15",
            "expires_on": "2027-01-14",
            "notice_days": 90,
            "auto_renew": "yes",
            "exit_provisions": "6 months notice",
        },
    ],
    "obligations": [
        {
            "id": "OB1",
            "agreement_id": "G1",
            "description": "Quarterly report",
            "owner": "Ana Ruiz",
            "owner_side": "us",
            "due_on": "2026-10-15",
            "status": "open",
            "completed_on": None,
        },
    ],
    "briefings": [
        {
            "id": "B1",
            "alliance_id": "A1",
            "topic": "strategy",
            "agreement_id": "G1",
            "side": "us",
            "audience": "sales EMEA",
            "briefed_on": "2024-02-20",
            "acknowledged": "yes",
        },
    ],
    "governance_bodies": [
        {
            "id": "GB1",
            "alliance_id": "A1",
            "name": "Steering",
            "kind": "executive steering committee",
            "meetings_per_year": 4,
            "escalates_to": None,
        },
        {
            "id": "GB2",
            "alliance_id": "A1",
            "name": "Ops",
            "kind": "joint operating committee",
            "meetings_per_year": 12,
            "escalates_to": "GB1",
        },
    ],
    "body_members": [
        {"body_id": "GB1", "person_id": "P1", "role": "chair"},
        {"body_id": "GB1", "person_id": "P2", "role": "member"},
    ],
    "meetings": [
        {
            "id": "M1",
            "body_id": "GB1",
            "planned_on": "2026-04-10",
            "held_on": "2026-04-12",
            "status": "held",
            "notes": None,
        },
        {
            "id": "M2",
            "body_id": "GB1",
            "planned_on": "2026-07-10",
            "held_on": None,
            "status": "cancelled",
            "notes": "sponsor unavailable",
        },
    ],
    "attendance": [
        {"meeting_id": "M1", "person_id": "P1", "attended": "yes"},
        {"meeting_id": "M1", "person_id": "P2", "attended": "no"},
    ],
    "decisions": [
        {
            "id": "D1",
            "alliance_id": "A1",
            "meeting_id": "M1",
            "title": "Joint offer",
            "raised_on": "2026-03-01",
            "decided_on": "2026-04-12",
        },
    ],
    "raci": [
        {
            "id": "R1",
            "alliance_id": "A1",
            "decision_area": "pricing",
            "party": "Steering",
            "role": "A",
        },
    ],
    "actions": [
        {
            "id": "AC1",
            "alliance_id": "A1",
            "kind": "meeting action",
            "meeting_id": "M1",
            "objective_id": "O1",
            "title": "Draft offer",
            "owner": "Ana Ruiz",
            "owner_side": "us",
            "opened_on": "2026-04-12",
            "due_on": "2026-05-12",
            "status": "done",
            "closed_on": "2026-05-02",
            "crack": 4,
        },
    ],
    "resources": [
        {
            "id": "RS1",
            "alliance_id": "A1",
            "side": "us",
            "period": "2026-Q3",
            "fte_committed": 2.5,
            "fte_assigned": 2,
            "budget_committed": 100000,
            "budget_assigned": 80000,
        },
        {
            "id": "RS2",
            "alliance_id": "A1",
            "side": "partner",
            "period": "2026-Q3",
            "fte_committed": 1,
            "fte_assigned": 0.5,
            "budget_committed": 0,
            "budget_assigned": 0,
        },
    ],
    "risks": [
        {
            "id": "RK1",
            "alliance_id": "A1",
            "title": "Channel conflict",
            "owner": "Bo Chen",
            "mitigation": None,
            "status": "open",
            "raised_on": "2026-01-20",
            "crack": 3,
        },
    ],
    "risk_reviews": [
        {"risk_id": "RK1", "period": "2026-Q3", "likelihood": 3, "impact": 4},
    ],
    "issues": [
        {
            "id": "I1",
            "alliance_id": "A1",
            "title": "Deal registration clash",
            "owner": "Ana Ruiz",
            "side": "partner",
            "severity": "high",
            "raised_on": "2026-05-01",
            "escalated_on": "2026-05-10",
            "resolved_on": "2026-06-01",
            "crack": 3,
        },
    ],
    "lessons": [
        {
            "id": "LS1",
            "alliance_id": "A2",
            "recorded_on": "2025-07-01",
            "title": "Exit planned late",
            "description": None,
            "crack": 5,
        },
    ],
    "documents": [
        {
            "id": "DC1",
            "alliance_id": "A1",
            "kind": "governance charter",
            "title": "Charter v2",
            "status": "approved",
            "dated": "2024-02-15",
            "location": "https://intranet/charter",
        },
    ],
    "assessment_rounds": [
        {
            "id": "AR1",
            "alliance_id": "A1",
            "period": "2026-Q3",
            "questionnaire_version": "2026.1",
            "opened_on": "2026-09-01",
            "closes_on": "2026-09-30",
        },
    ],
    "respondents": [
        {
            "id": "RP1",
            "round_id": "AR1",
            "side": "us",
            "role": "sponsor",
            "org_level": "svp",
            "label": "Bo",
        },
        {
            "id": "RP2",
            "round_id": "AR1",
            "side": "partner",
            "role": "finance",
            "org_level": None,
            "label": None,
        },
    ],
    "answers": [
        {
            "respondent_id": "RP1",
            "statement_id": "C1.1",
            "score": 4,
            "comment": None,
            "answered_at": "2026-09-03 10:15:00",
        },
        {
            "respondent_id": "RP2",
            "statement_id": "C1.1",
            "score": None,
            "comment": "don't know",
            "answered_at": None,
        },
    ],
    "outcomes": [
        {
            "alliance_id": "A2",
            "outcome": "exited",
            "ended_on": "2025-06-30",
            "notes": "market exit",
        },
    ],
}


class Formula(str):
    """A cell written as a formula with no calculated value (as a program that does not
    calculate writes one): openpyxl reads such a cell as empty."""


def rows() -> dict[str, list[dict[str, Any]]]:
    """A fresh deep copy of the portfolio's rows, safe to break."""
    return copy.deepcopy(ROWS)


def frames(data: dict[str, list[dict[str, Any]]] | None = None) -> dict[str, pd.DataFrame]:
    """The portfolio as raw frames (object columns), one per sheet."""
    data = rows() if data is None else data
    return {name: pd.DataFrame(r).astype(object) for name, r in data.items()}


def write_raw(data: dict[str, list[dict[str, Any]]], path: Path) -> Path:
    """Write rows exactly as given: an .xlsx workbook, or a folder of CSV files."""
    path = Path(path)
    if path.suffix == ".xlsx":
        wb = openpyxl.Workbook()
        wb.remove(wb.active)
        for name, records in data.items():
            ws = wb.create_sheet(name)
            if not records:
                continue
            header = list(records[0])
            ws.append(header)
            for rec in records:
                ws.append([rec.get(c) for c in header])
                for cell, value in zip(ws[ws.max_row], [rec.get(c) for c in header], strict=False):
                    if isinstance(value, Formula):
                        continue  # written as a formula, never calculated
                    if isinstance(cell.value, str) and cell.value.startswith("="):
                        cell.data_type = "s"  # text a user typed, not a formula
        wb.save(path)
    else:
        path.mkdir(parents=True, exist_ok=True)
        for name, records in data.items():
            pd.DataFrame(records).to_csv(path / f"{name}.csv", index=False)
    return path
