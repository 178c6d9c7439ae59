"""The difference between stored and incoming records that dry runs print, imports write
and a change history can record."""

from __future__ import annotations

import pandas as pd

from alliance_kit.records import changes
from alliance_kit.records.model import TABLES
from alliance_kit.records.store import typed_frame


def frame(table: str, rows: list[dict]) -> pd.DataFrame:
    return typed_frame(TABLES[table], pd.DataFrame(rows))


def actual(period: str, value, reported=None, **kw) -> dict:
    return {"kpi_id": "K1", "period": period, "value": value, "reported_on": reported, **kw}


def test_merge_adds_updates_and_keeps_rows_absent_from_the_input():
    stored = {"kpi_actuals": frame("kpi_actuals", [actual("2026-Q1", 1.0), actual("2026-Q2", 2.0)])}
    incoming = {
        "kpi_actuals": frame("kpi_actuals", [actual("2026-Q2", 2.5), actual("2026-Q3", None)])
    }
    diff = changes.diff(stored, incoming, mode="merge")
    assert list(diff.tables) == ["kpi_actuals"]  # tables the input lacks are not concerned
    tc = diff.tables["kpi_actuals"]
    assert tc.counts == {"added": 1, "changed": 1, "removed": 0, "unchanged": 0}
    assert tc.changed_columns() == {"value": 1}
    rows = list(diff.rows())
    assert [(r.kind, r.key) for r in rows] == [
        ("added", ("K1", "2026-Q3")),
        ("changed", ("K1", "2026-Q2")),
    ]
    assert rows[1].before == {"value": 2.0} and rows[1].after == {"value": 2.5}


def test_replace_removes_what_the_input_lacks_in_every_table():
    stored = {
        "kpi_actuals": frame("kpi_actuals", [actual("2026-Q1", 1.0), actual("2026-Q2", 2.0)]),
        "lessons": frame("lessons", [{"id": "L1", "alliance_id": "A1", "lesson": "x"}]),
    }
    incoming = {"kpi_actuals": frame("kpi_actuals", [actual("2026-Q2", 2.0)])}
    diff = changes.diff(stored, incoming, mode="replace")
    assert diff.tables["kpi_actuals"].counts == {
        "added": 0, "changed": 0, "removed": 1, "unchanged": 1
    }  # fmt: skip
    assert diff.tables["lessons"].counts["removed"] == 1
    assert diff.totals() == {"added": 0, "changed": 0, "removed": 2, "unchanged": 1}
    assert [r.kind for r in diff.rows()] == ["removed", "removed"]


def test_empty_cells_are_equal_and_times_compare_to_the_second():
    t = "2026-07-01 10:00:00"
    stored = {"kpi_actuals": frame("kpi_actuals", [actual("2026-Q1", None, "2026-07-01")])}
    same = {"kpi_actuals": frame("kpi_actuals", [actual("2026-Q1", None, "2026-07-01")])}
    assert changes.diff(stored, same, mode="merge").empty
    answers = frame(
        "answers",
        [{"respondent_id": "R1", "statement_id": "S1", "score": 4, "answered_at": t + ".123456"}],
    )
    exported = answers.assign(answered_at=pd.Timestamp(t))  # as a file carries it
    assert changes.diff({"answers": answers}, {"answers": exported}, mode="merge").empty
    later = answers.assign(answered_at=pd.Timestamp("2026-07-01 10:00:01"))
    diff = changes.diff({"answers": answers}, {"answers": later}, mode="merge")
    assert diff.tables["answers"].changed_columns() == {"answered_at": 1}


def test_merge_compares_only_the_columns_the_input_carries():
    stored = {"kpi_actuals": frame("kpi_actuals", [actual("2026-Q1", 1.0, "2026-04-02")])}
    incoming = {"kpi_actuals": frame("kpi_actuals", [actual("2026-Q1", 1.0, None)])}
    carried = {"kpi_actuals": ("kpi_id", "period", "value")}  # no reported_on column
    diff = changes.diff(stored, incoming, mode="merge", columns=carried)
    assert diff.empty and diff.tables["kpi_actuals"].unchanged == 1
    assert changes.diff(stored, incoming, mode="merge").tables["kpi_actuals"].changed_columns() == {
        "reported_on": 1
    }
