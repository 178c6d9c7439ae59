"""The portfolio register and the workbook guide, on hand-built frames."""

from __future__ import annotations

import pandas as pd
import pytest

from alliance_kit.records.model import TABLES
from alliance_kit.records.store import typed_frame
from alliance_kit.views import portfolio


def _frame(table: str, rows: list[dict]) -> pd.DataFrame:
    return typed_frame(TABLES[table], pd.DataFrame(rows))


def _alliance(id_: str, **kw) -> dict:
    base = {
        "id": id_,
        "name": f"Alliance {id_}",
        "partner": f"Partner {id_}",
        "type": "co-sell",
        "stage": "5 working together",
        "start_date": "2024-01-01",
        "end_date": None,
        "owner": "Ann",
        "our_sponsor": "Sam",
        "our_sponsor_level": "svp",
        "partner_sponsor": "Pat",
        "partner_sponsor_level": "vp",
        "expected_revenue": 1_000_000.0,
        "currency": "USD",
        "importance": 3,
        "notes": None,
    }
    return base | kw


@pytest.fixture
def frames() -> dict[str, pd.DataFrame]:
    alliances = [
        _alliance("A001", start_date="2023-07-01", importance=3, expected_revenue=2e6),
        _alliance("A002", start_date="2024-01-01", importance=5, expected_revenue=5e5),
        # ended by its end date, with a recorded outcome
        _alliance("A003", start_date="2022-01-01", end_date="2025-01-01", importance=5),
        # starts after the register date
        _alliance("A004", start_date="2026-12-01", importance=4, currency="EUR"),
        # an end date in the future does not end it yet
        _alliance(
            "A005",
            start_date="2025-10-01",
            end_date="2027-01-01",
            importance=3,
            expected_revenue=2e6,
            our_sponsor=None,
            our_sponsor_level=None,
        ),
    ]
    return {
        "alliances": _frame("alliances", alliances),
        "outcomes": _frame(
            "outcomes", [{"alliance_id": "A003", "outcome": "failed", "ended_on": "2025-01-01"}]
        ),
        "kpis": _frame(
            "kpis",
            [
                {"id": f"K{i}", "alliance_id": a, "name": "k", "direction": "increase"}
                for i, a in enumerate(["A001", "A001", "A002"])
            ],
        ),
        "agreements": _frame(
            "agreements",
            [{"id": "G1", "alliance_id": "A002", "type": "NDA", "title": "t", "status": "signed"}],
        ),
        "actions": _frame(
            "actions",
            [
                _action("X1", "A001", "open", "2026-01-01"),
                _action("X2", "A001", "in progress", "2026-09-30"),  # opened on the day: counts
                _action("X3", "A001", "open", "2026-10-01"),  # opened after: does not
                _action("X4", "A001", "done", "2026-01-01"),
                _action("X5", "A002", "cancelled", "2026-01-01"),
            ],
        ),
        "issues": _frame(
            "issues",
            [
                _issue("I1", "A002", "2026-01-01", None),
                _issue("I2", "A002", "2026-01-01", "2026-10-15"),  # resolved after: still open
                _issue("I3", "A002", "2026-01-01", "2026-09-01"),
            ],
        ),
        "risks": _frame(
            "risks",
            [
                _risk("R1", "A001", "open", "2026-01-01"),
                _risk("R2", "A001", "mitigating", "2026-01-01"),
                _risk("R3", "A001", "closed", "2026-01-01"),
            ],
        ),
    }


def _action(id_: str, alliance: str, status: str, opened: str) -> dict:
    return {
        "id": id_,
        "alliance_id": alliance,
        "kind": "activity",
        "title": "t",
        "owner": "o",
        "owner_side": "us",
        "opened_on": opened,
        "status": status,
    }


def _issue(id_: str, alliance: str, raised: str, resolved: str | None) -> dict:
    return {
        "id": id_,
        "alliance_id": alliance,
        "title": "t",
        "owner": "o",
        "side": "us",
        "severity": "low",
        "raised_on": raised,
        "resolved_on": resolved,
    }


def _risk(id_: str, alliance: str, status: str, raised: str) -> dict:
    return {
        "id": id_,
        "alliance_id": alliance,
        "title": "t",
        "owner": "o",
        "status": status,
        "raised_on": raised,
    }


def test_register_key_facts(frames) -> None:
    reg = portfolio.register(frames, as_of="2026-09-30")
    assert list(reg.columns) == list(portfolio.REGISTER_COLUMNS)
    # active first (importance, then revenue, highest first), then planned, then ended
    assert reg["id"].tolist() == ["A002", "A001", "A005", "A004", "A003"]
    by_id = reg.set_index("id")
    assert by_id["status"].to_dict() == {
        "A001": "active",
        "A002": "active",
        "A003": "ended",
        "A004": "planned",
        "A005": "active",
    }
    # 2023-07-01 .. 2026-09-30 = 1187 days; 2022-01-01 .. 2025-01-01 = 1096 days
    assert by_id.loc["A001", "age_years"] == round(1187 / 365.25, 1) == 3.2
    assert by_id.loc["A003", "age_years"] == 3.0
    assert by_id.loc["A004", "age_years"] == 0.0
    assert by_id.loc["A005", "age_years"] == round(364 / 365.25, 1) == 1.0
    assert by_id.loc["A003", "outcome"] == "failed"
    assert by_id.loc["A001", "outcome"] is None
    assert by_id["kpis"].to_dict() == {"A001": 2, "A002": 1, "A003": 0, "A004": 0, "A005": 0}
    assert by_id["agreements"].to_dict() == {"A001": 0, "A002": 1, "A003": 0, "A004": 0, "A005": 0}
    assert by_id.loc["A001", "open_actions"] == 2
    assert by_id.loc["A002", "open_actions"] == 0
    assert by_id.loc["A002", "open_issues"] == 2
    assert by_id.loc["A001", "open_risks"] == 2
    assert by_id.loc["A004", "currency"] == "EUR"
    assert by_id.loc["A002", "expected_revenue"] == 5e5
    assert by_id.loc["A001", "our_sponsor_level"] == "svp"


def test_register_as_of_moves_status_and_counts(frames) -> None:
    reg = portfolio.register(frames, as_of="2026-12-01").set_index("id")
    assert reg.loc["A004", "status"] == "active"  # starts that day
    assert reg.loc["A001", "open_actions"] == 3
    assert reg.loc["A002", "open_issues"] == 1
    early = portfolio.register(frames, as_of="2024-12-31").set_index("id")
    assert early.loc["A003", "status"] == "active"  # ends the next day
    assert early.loc["A003", "outcome"] is None  # not recorded yet then
    assert early.loc["A005", "status"] == "planned"


def test_outcome_alone_ends_an_alliance(frames) -> None:
    frames = dict(frames)
    frames["outcomes"] = _frame(
        "outcomes", [{"alliance_id": "A001", "outcome": "exited", "ended_on": "2026-06-30"}]
    )
    reg = portfolio.register(frames, as_of="2026-09-30").set_index("id")
    assert reg.loc["A001", "status"] == "ended"
    assert reg.loc["A001", "age_years"] == round(1095 / 365.25, 1)
    assert reg.loc["A003", "status"] == "ended"  # by its end date, without outcome now


def test_register_sort_by_any_column(frames) -> None:
    reg = portfolio.register(frames, as_of="2026-09-30", sort_by="start_date", ascending=False)
    assert reg["id"].tolist() == ["A004", "A005", "A002", "A001", "A003"]
    reg = portfolio.register(frames, as_of="2026-09-30", sort_by=["currency", "id"])
    assert reg["id"].tolist() == ["A004", "A001", "A002", "A003", "A005"]


def test_register_of_alliances_only_and_of_nothing(frames) -> None:
    reg = portfolio.register({"alliances": frames["alliances"]}, as_of="2026-09-30")
    assert (
        (reg[["kpis", "agreements", "open_actions", "open_issues", "open_risks"]] == 0).all().all()
    )
    assert reg["outcome"].isna().all()
    empty = portfolio.register({"alliances": frames["alliances"].iloc[0:0]}, as_of="2026-09-30")
    assert empty.empty and list(empty.columns) == list(portfolio.REGISTER_COLUMNS)


def test_money() -> None:
    assert portfolio.money(40_000_000, "USD") == "USD 40.0M"
    assert portfolio.money(1_250_000_000, "EUR") == "EUR 1.2B"
    assert portfolio.money(850_000, "GBP") == "GBP 850k"
    assert portfolio.money(900, "CHF") == "CHF 900"
    assert portfolio.money(float("nan"), "USD") == ""
    assert portfolio.money(2_500_000) == "2.5M"


def test_format_register(frames) -> None:
    shown = portfolio.format_register(portfolio.register(frames, as_of="2026-09-30"))
    assert list(shown.columns)[:4] == ["Id", "Alliance", "Partner", "Status"]
    assert "Status" in shown.attrs["nowrap"]  # "ended (failed)" is never broken or cut
    row = shown.set_index("Id").loc["A001"]
    assert row["Sponsors (us / partner)"] == "Sam (svp) / Pat (vp)"
    assert row["Revenue / year"] == "USD 2.0M"
    assert row["Open actions / issues / risks"] == "2 / 0 / 2"
    assert "Revenue / year" in shown.attrs["numeric"] and "Started (age)" in shown.attrs["nowrap"]
    assert row["Started (age)"] == "2023-07-01 (3.2 y)"
    assert row["Importance"] == "3 / 5"
    assert shown.set_index("Id").loc["A005", "Sponsors (us / partner)"] == "none / Pat (vp)"
    assert shown.set_index("Id").loc["A003", "Status"] == "ended (failed)"


def test_totals_per_currency_of_active_alliances(frames) -> None:
    t = portfolio.totals(portfolio.register(frames, as_of="2026-09-30"))
    assert t.to_dict(orient="records") == [
        {"currency": "USD", "alliances": 3, "expected_revenue": 4.5e6}
    ]


def test_headline(frames) -> None:
    reg = portfolio.register(frames, as_of="2026-09-30")
    assert portfolio.headline(reg, "2026-09-30") == (
        "3 active alliances expecting USD 4.5M a year; 1 planned, 1 ended (as of 2026-09-30)."
    )
    frames["alliances"].loc[frames["alliances"]["id"] == "A001", "currency"] = "EUR"
    reg = portfolio.register(frames, as_of="2026-09-30")
    assert "expecting EUR 2.0M + USD 2.5M a year" in portfolio.headline(reg, "2026-09-30")
    none = portfolio.register({"alliances": frames["alliances"].iloc[0:0]}, as_of="2026-09-30")
    assert portfolio.headline(none, "2026-09-30") == (
        "0 active alliances; 0 planned, 0 ended (as of 2026-09-30)."
    )


def test_guide_order_and_availability(tmp_path) -> None:
    steps = portfolio.guide()
    assert [w.principle for w in steps] == (
        ["Imagine"] * 3 + ["Align"] * 2 + ["Succeed"] * 4 + ["Health"]
    )
    assert [w.step for w in steps] == list(range(1, 11))
    assert all(w.available is None and w.path.endswith(".ipynb") for w in steps)
    (tmp_path / "align").mkdir()
    (tmp_path / "align" / "05_governance.ipynb").write_text("{}")
    found = {w.path: w.available for w in portfolio.guide(tmp_path)}
    assert found["align/05_governance.ipynb"] is True
    assert sum(found.values()) == 1
    md = portfolio.guide_markdown(tmp_path)
    assert "[Governance](align/05_governance.ipynb)" in md
    assert "Strategy and scope *(coming)*" in md
    assert md.index("**Imagine**") < md.index("**Align**") < md.index("**Succeed**")
    assert md.index("**Succeed**") < md.index("**Health**")
