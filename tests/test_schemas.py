"""Validation rules on hand-built frames (no files, no store)."""

from __future__ import annotations

import pandas as pd
import pytest
from bad_inputs import portfolio as P
from hypothesis import given
from hypothesis import strategies as st

from alliance_kit.records import schemas
from alliance_kit.records.schemas import Problem


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


def test_a_numbered_choice_is_accepted_by_its_number_or_its_words():
    """The lifecycle stage ``6 value creation`` typed as ``6`` or ``Value creation``."""
    d = P.rows()
    d["alliances"][0]["stage"] = 6
    d["alliances"][1]["stage"] = " Value Creation"
    typed, problems = schemas.prepare(P.frames(d))
    assert problems == []
    assert typed["alliances"]["stage"].head(2).tolist() == ["6 value creation"] * 2
    d["alliances"][0]["stage"] = 9
    _, problems = schemas.prepare(P.frames(d))
    assert [(p.column, str(p.value)) for p in problems] == [("stage", "9")]


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


# --- what ids and text may hold (model.ID_PATTERN, model.FORBIDDEN_TEXT) -----------------

#: Characters a text may hold although they look odd: all reach PostgreSQL and xlsx intact.
ODD_BUT_FINE = ["\t", "\n", "\x7f", "\x85", "\xa0", "\u2028", "\u200b", "\U0001f680"]
#: Characters no text may hold: the C0 controls but tab, LF and CR; lone surrogates; the
#: non-characters XML refuses.
FORBIDDEN = [chr(c) for c in range(0x20) if chr(c) not in "\t\n\r"] + [
    "\ud800",
    "\udfff",
    "\ufffe",
    "\uffff",
]


@pytest.mark.parametrize("char", FORBIDDEN, ids=lambda c: f"U+{ord(c):04X}")
def test_text_with_a_control_character_is_refused_in_place(char):
    d = P.rows()
    d["alliances"][0]["notes"] = f"before{char}after"
    (p,) = schemas.validate(P.frames(d), source="in.xlsx")
    assert (p.sheet, p.row, p.column) == ("alliances", 2, "notes")
    assert "control characters" in p.expected and "at character 7" in p.expected
    assert char not in p.message  # shown as an escape, never raw in a terminal


@pytest.mark.parametrize("char", ODD_BUT_FINE, ids=lambda c: f"U+{ord(c):04X}")
def test_text_with_tabs_line_breaks_and_other_odd_characters_is_valid(char):
    d = P.rows()
    d["alliances"][0]["notes"] = f"before{char}after"
    typed, problems = schemas.prepare(P.frames(d))
    assert problems == []
    assert typed["alliances"].loc[0, "notes"] == f"before{char}after"


def test_windows_line_breaks_are_read_as_line_feeds():
    d = P.rows()
    d["alliances"][0]["notes"] = "one\r\ntwo\rthree"
    typed, problems = schemas.prepare(P.frames(d))
    assert problems == [] and typed["alliances"].loc[0, "notes"] == "one\ntwo\nthree"


@pytest.mark.parametrize(
    "bad",
    ["../x", "a/b", "a\\b", ".hidden", "-opt", "_x", "A 1", "A:1", "Ａ1", "x" * 41, "é1", ""],
)
def test_ids_that_could_not_name_a_file_are_refused(bad):
    d = P.rows()
    d["objectives"][0]["id"] = bad
    d["kpis"][0]["objective_id"] = None
    problems = schemas.validate(P.frames(d))
    assert any((p.sheet, p.row, p.column) == ("objectives", 2, "id") for p in problems)


@pytest.mark.parametrize("good", ["A001", "KPI-0007", "a.b_c-d", "9", "x" * 40])
def test_ids_of_letters_digits_dots_dashes_and_underscores_are_valid(good):
    d = P.rows()
    d["objectives"][0]["id"] = good
    for sheet in ("kpis", "actions"):
        for row in d[sheet]:
            if row.get("objective_id") == "O1":
                row["objective_id"] = good
    assert schemas.validate(P.frames(d)) == []


@pytest.mark.parametrize("reserved", ["portfolio", "PORTFOLIO", "index", "manifest", "NUL"])
def test_alliance_ids_the_batch_uses_for_its_own_files_are_refused(reserved):
    d = P.rows()
    d["alliances"][1]["id"] = reserved
    problems = schemas.validate(P.frames(d))
    assert any((p.row, p.column) == (3, "id") and "report batch" in p.expected for p in problems)


def test_ids_differing_only_by_case_or_width_from_stored_ids_are_refused_when_adding():
    typed, _ = schemas.prepare(P.frames())
    for twin in ("a1", "Ａ1"):
        new = P.rows()["alliances"][:1]
        new[0]["id"] = twin
        problems = schemas.validate({"alliances": pd.DataFrame(new)}, existing=typed)
        assert any("stored id A1" in p.expected for p in problems), problems
    # a form's edit of A1 itself is no twin; a new record a1 is
    record = dict(P.rows()["alliances"][0])
    assert schemas.validate_record("alliances", record, existing=typed) == {}
    record["id"] = "a1"
    assert "stored id A1" in schemas.validate_record("alliances", record, existing=typed)["id"]
