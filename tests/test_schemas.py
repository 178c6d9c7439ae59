"""Validation rules on hand-built frames (no files, no store)."""

from __future__ import annotations

import pandas as pd
import pytest
from bad_inputs import portfolio as P
from hypothesis import given
from hypothesis import strategies as st

from alliance_kit import schemas
from alliance_kit.schemas import Problem


def test_valid_portfolio_has_no_problems_and_is_typed():
    typed, problems = schemas.prepare(P.frames())
    assert problems == []
    a = typed["alliances"]
    assert str(a["start_date"].dtype) == "datetime64[ns]"
    assert str(a["importance"].dtype) == "Int64"
    assert a["expected_revenue"].tolist() == [1250000.5, 0.1]
    assert typed["kpis"]["agreed_by_both"].tolist() == [True, False]
    assert typed["answers"]["score"].isna().tolist() == [False, True]
    # typed frames (as the store returns them) validate again without problems
    assert schemas.validate(typed) == []


def test_problem_reads_like_a_sentence():
    p = Problem("intake.xlsx", "kpis", 7, "target", 40, "a target above the baseline 50")
    assert str(p) == (
        "intake.xlsx, sheet kpis, row 7, column target: 40 — expected a target above the "
        "baseline 50"
    )
    csv = Problem("data/kpis.csv", "kpis", 3, "target", "", "a value")
    assert csv.message == "data/kpis.csv, row 3, column target: (empty) — expected a value"


def test_kpi_target_message_names_baseline_and_direction():
    d = P.rows()
    d["kpis"][0]["target"] = 40
    (p,) = schemas.validate(P.frames(d), source="intake.xlsx")
    assert p.message == (
        "intake.xlsx, sheet kpis, row 2, column target: 40 — expected a target above the "
        "baseline 50 because the KPI should increase"
    )


def test_all_problems_are_collected_not_just_the_first():
    d = P.rows()
    d["alliances"][0]["importance"] = 7
    d["alliances"][1]["currency"] = "XYZ"
    d["people"][0]["side"] = "them"
    d["resources"][0]["period"] = "Q3-2026"
    d["answers"][0]["score"] = "five"
    d["agreements"][0]["expires_on"] = "2023-01-01"
    problems = schemas.validate(P.frames(d), source="in.xlsx")
    places = {(p.sheet, p.row, p.column) for p in problems}
    assert places == {
        ("alliances", 2, "importance"),
        ("alliances", 3, "currency"),
        ("people", 2, "side"),
        ("resources", 2, "period"),
        ("answers", 2, "score"),
        ("agreements", 2, "expires_on"),
    }
    # sorted by sheet order, then row
    assert [p.sheet for p in problems][:2] == ["alliances", "alliances"]


def test_row_numbers_follow_an_index_named_row():
    d = P.rows()
    d["people"][1]["org_level"] = "emperor"
    frames = P.frames(d)
    frames["people"].index = pd.Index([5, 9, 12], name="row")
    (p,) = schemas.validate(frames)
    assert (p.row, p.column, p.value) == (9, "org_level", "emperor")


def test_choices_accept_another_case_and_store_the_canonical_value():
    d = P.rows()
    d["alliances"][0]["type"] = "Co-Sell"
    typed, problems = schemas.prepare(P.frames(d))
    assert problems == []
    assert typed["alliances"].loc[0, "type"] == "co-sell"


def test_flags_and_numbers_parse_leniently():
    d = P.rows()
    d["kpis"][0]["agreed_by_both"] = "Y"
    d["kpis"][1]["agreed_by_both"] = None
    d["alliances"][0]["importance"] = "4.0"
    d["alliances"][0]["start_date"] = "2024-01-15 00:00:00"
    typed, problems = schemas.prepare(P.frames(d))
    assert problems == []
    assert typed["kpis"]["agreed_by_both"].tolist() == [True, False]
    assert typed["alliances"].loc[0, "importance"] == 4


def test_references_resolve_against_existing_frames_when_adding():
    typed, _ = schemas.prepare(P.frames())
    new = {"objectives": pd.DataFrame([{"id": "O2", "alliance_id": "A2", "title": "Exit"}])}
    assert schemas.validate(new, existing=typed) == []
    dup = {"objectives": pd.DataFrame([{"id": "O1", "alliance_id": "A1", "title": "x"}])}
    (p,) = schemas.validate(dup, existing=typed)
    assert (p.column, p.value) == ("id", "O1") and "not yet in the store" in p.expected
    # without existing records the same objective's alliance is missing
    problems = schemas.validate(new)
    assert {p.column for p in problems} == {"alliance_id", ""}


def test_people_of_another_alliance_are_reported():
    d = P.rows()
    d["body_members"][1]["person_id"] = "P3"  # P3 works on A2, the body belongs to A1
    (p,) = schemas.validate(P.frames(d))
    assert (p.sheet, p.row, p.column, p.value) == ("body_members", 3, "person_id", "P3")
    assert "alliance A1" in p.expected and "A2" in p.expected


def test_attendance_by_a_non_member_is_reported_only_when_present():
    d = P.rows()
    d["people"].append(
        {"id": "P4", "alliance_id": "A1", "side": "us", "name": "Eve", "org_level": "staff"}
    )
    d["attendance"].append({"meeting_id": "M1", "person_id": "P4", "attended": "no"})
    assert schemas.validate(P.frames(d)) == []
    d["attendance"][-1]["attended"] = "yes"
    (p,) = schemas.validate(P.frames(d))
    assert (p.sheet, p.row, p.column, p.value) == ("attendance", 4, "person_id", "P4")
    assert "member of body GB1" in p.expected


def test_missing_and_unknown_columns_and_sheets():
    frames = P.frames()
    frames["kpis"] = frames["kpis"].drop(columns=["direction"]).assign(colour="red")
    frames["partners"] = pd.DataFrame({"id": ["X"]})
    problems = schemas.validate(frames, source="in.xlsx")
    found = {(p.sheet, p.column) for p in problems}
    assert ("kpis", "direction") in found
    assert ("kpis", "colour") in found
    assert ("partners", "") in found


def test_empty_alliances_sheet_is_reported():
    frames = P.frames()
    frames["alliances"] = frames["alliances"].iloc[0:0]
    problems = schemas.validate(frames, source="in.xlsx")
    assert any(p.sheet == "alliances" and p.row is None for p in problems)


def test_validate_record_gives_inline_messages_per_field():
    typed, _ = schemas.prepare(P.frames())
    record = {
        "id": "K1",  # an edit of an existing KPI: its key may exist
        "alliance_id": "A1",
        "name": "Pipeline",
        "direction": "increase",
        "baseline": 5,
        "target": 1,
        "objective_id": "O1",
    }
    assert schemas.validate_record("kpis", record, existing=typed) == {
        "target": "1 — expected a target above the baseline 5 because the KPI should increase"
    }
    msgs = schemas.validate_record(
        "resources",
        {
            "id": "R9",
            "alliance_id": "A9",
            "side": "us",
            "period": "2026-Q5",
            "fte_committed": -1,
            "fte_assigned": 1,
            "budget_committed": 0,
            "budget_assigned": 0,
        },
        existing=typed,
    )
    assert set(msgs) == {"alliance_id", "period", "fte_committed"}
    assert msgs["fte_committed"] == "-1 — expected a number of at least 0"
    assert schemas.validate_record("alliances", {"id": "A5"})["name"].startswith("(empty)")
    with pytest.raises(ValueError):
        schemas.validate_record("nope", {})


@given(st.text(max_size=12))
def test_neutralize_is_undone_by_import(text):
    s = pd.Series([text, None], dtype=object)
    guarded = schemas.neutralize(s)
    assert not str(guarded[0]).startswith(schemas.FORMULA_START)
    assert schemas.unneutralize(guarded)[0] == text
    assert guarded[1] is None
