"""The goals & KPIs workbook's functions: SMART check, objective tree, starter catalogue."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from alliance_kit.imagine import kpis
from alliance_kit.records.model import TABLES
from alliance_kit.records.store import typed_frame

COMPLETE = {
    "id": "K1",
    "alliance_id": "A001",
    "objective_id": "O1",
    "name": "Joint pipeline",
    "owner": "Priya",
    "owner_side": "us",
    "unit": "USD",
    "direction": "increase",
    "baseline": 10.0,
    "target": 20.0,
    "due_date": dt.date(2027, 6, 30),
    "cadence": "quarterly",
    "data_source": "CRM",
    "agreed_by_both": True,
}


def frames(*kpi_rows, objectives=({"id": "O1", "alliance_id": "A001", "title": "Grow"},)):
    return {
        "kpis": typed_frame(TABLES["kpis"], pd.DataFrame(list(kpi_rows))),
        "objectives": typed_frame(TABLES["objectives"], pd.DataFrame(list(objectives))),
    }


def test_smart_check_complete_kpi_lacks_nothing() -> None:
    assert kpis.smart_check(COMPLETE) == []


def test_smart_check_names_exactly_what_is_missing() -> None:
    kpi = COMPLETE | {"owner": " ", "unit": None, "target": float("nan"), "agreed_by_both": False}
    assert kpis.smart_check(kpi) == ["owner", "unit", "target", "agreed by both"]
    bare = {"name": "x", "direction": "increase"}
    assert kpis.smart_check(bare) == [
        "owner",
        "unit",
        "baseline",
        "target",
        "due date",
        "cadence",
        "data source",
        "agreed by both",
    ]
    # a baseline of 0 is a value, not a gap
    assert kpis.smart_check(COMPLETE | {"baseline": 0.0}) == []


def test_smart_table_agrees_with_smart_check() -> None:
    rows = [
        COMPLETE,
        COMPLETE | {"id": "K2", "cadence": None, "data_source": "", "agreed_by_both": False},
    ]
    t = kpis.smart_table(frames(*rows))
    assert t["missing"].tolist() == ["", "cadence, data source, agreed by both"]
    assert t["n_missing"].tolist() == [0, 3]
    assert t["smart"].tolist() == [True, False]
    typed = frames(*rows)["kpis"]
    for row, expected in zip(typed.to_dict("records"), t["missing"], strict=True):
        assert ", ".join(kpis.smart_check(row)) == expected


def test_kpi_tree_links_objectives_and_kpis_and_shows_gaps() -> None:
    f = frames(
        COMPLETE,
        COMPLETE | {"id": "K2", "objective_id": None, "name": "Orphan"},
        objectives=(
            {"id": "O1", "alliance_id": "A001", "title": "Grow"},
            {"id": "O2", "alliance_id": "A001", "title": "Unmeasured"},
            {"id": "O9", "alliance_id": "A002", "title": "Other alliance"},
        ),
    )
    tree = kpis.kpi_tree(f, "A001")
    assert tree[["objective", "kpi_id"]].fillna("-").values.tolist() == [
        ["Grow", "K1"],
        ["Unmeasured", "-"],
        [kpis.NO_OBJECTIVE, "K2"],
    ]
    html = kpis.tree_html(tree)
    assert "no KPI measures this objective yet" in html
    assert "SMART and agreed" in html


def test_tree_html_escapes_user_text() -> None:
    f = frames(COMPLETE | {"name": "<script>alert(1)</script>"})
    html = kpis.tree_html(kpis.kpi_tree(f, "A001"))
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_catalogue_loads_with_the_common_alliance_kpis() -> None:
    cat = kpis.load_catalogue()
    assert len(cat) >= 10 and cat["key"].is_unique
    for key in (
        "sourced_revenue",
        "influenced_revenue",
        "joint_pipeline",
        "win_rate",
        "joint_customers",
        "time_to_market",
        "partner_satisfaction",
        "certified_staff",
        "deal_registrations",
        "marketing_sourced_leads",
    ):
        assert key in set(cat["key"])
    assert set(cat["direction"]) <= {"increase", "decrease"}
    assert cat.set_index("key").loc["time_to_market", "direction"] == "decrease"


def test_catalogue_rejects_incomplete_entries(tmp_path) -> None:
    bad = tmp_path / "cat.yaml"
    bad.write_text("kpis:\n  - key: x\n    name: X\n    unit: count\n    direction: up\n")
    with pytest.raises(ValueError, match="lacks cadence, data_source, why"):
        kpis.load_catalogue(bad)


def test_kpi_from_catalogue_fills_suggestions_and_leaves_the_rest() -> None:
    entry = kpis.load_catalogue().set_index("key").loc["sourced_revenue"].to_dict()
    rec = kpis.kpi_from_catalogue(entry | {"key": "sourced_revenue"}, "A001", currency="EUR")
    assert rec["unit"] == "EUR" and rec["direction"] == "increase"
    assert kpis.smart_check(rec) == ["owner", "baseline", "target", "due date", "agreed by both"]
