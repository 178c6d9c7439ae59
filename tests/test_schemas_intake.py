"""What the intake reads leniently (issue 16): percentages in share columns, thousands
separators, Excel date numbers, day-first and month-first dates by setting, every ISO 4217
currency; and what it still refuses, with the message that says why."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pycountry
import pytest
from bad_inputs import portfolio as P
from openpyxl.utils.datetime import from_excel

from alliance_kit.records import model, schemas


def _one(sheet: str, i: int, dates: str = "iso", **values):
    """The portfolio with cells of one row replaced: typed frames and problems."""
    d = P.rows()
    d[sheet][i].update(values)
    return schemas.prepare(P.frames(d), source="in.xlsx", dates=dates)


def _only_problem(problems, sheet: str, row: int, column: str):
    assert [(p.sheet, p.row, p.column) for p in problems] == [(sheet, row, column)], problems
    return problems[0]


# --- shares and percentages ------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed, value",
    [("40%", 0.40), ("40 %", 0.40), ("7%", 0.07), ("12.5%", 0.125), ("0%", 0.0), ("100%", 1.0)],
)
def test_a_share_column_reads_a_percentage(typed, value):
    frames, problems = _one("business_cases", 0, discount_rate=typed)
    assert problems == []
    # exactly the float a user typing the share would get (7% is 0.07, not 0.07000000001)
    assert frames["business_cases"]["discount_rate"].tolist() == [value]


def test_the_share_column_says_so_in_its_rule():
    spec = schemas.SPECS["business_cases"].columns["discount_rate"]
    assert spec.share and spec.describe() == "a share from 0 to 1, or a percentage like 40%"
    shares = [c.name for t in schemas.SPECS.values() for c in t.columns.values() if c.share]
    assert shares == ["discount_rate"]


@pytest.mark.parametrize(
    "typed, says",
    [
        ("140%", "a share from 0 to 1"),
        ("-5%", "a share from 0 to 1"),
        ("ten%", "a percentage like 40%"),
        ("1e1%", "a percentage like 40%"),
        ("0,1", "decimal point"),
    ],
)
def test_a_share_that_is_no_share_is_refused(typed, says):
    _, problems = _one("business_cases", 0, discount_rate=typed)
    p = _only_problem(problems, "business_cases", 2, "discount_rate")
    assert p.message.startswith(
        f"in.xlsx, sheet business_cases, row 2, column discount_rate: {typed}"
    )
    assert says in p.expected


def test_a_percentage_outside_a_share_column_is_refused_saying_why():
    _, problems = _one("alliances", 0, expected_revenue="40%")
    p = _only_problem(problems, "alliances", 2, "expected_revenue")
    assert "without %" in p.expected and "discount_rate" in p.expected


# --- thousands separators ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed, value",
    [
        ("2,000,000", 2_000_000.0),
        ("2 000 000", 2_000_000.0),
        ("2\u00a0000\u00a0000", 2_000_000.0),  # no-break spaces (a French spreadsheet)
        ("2\u202f000\u202f000", 2_000_000.0),  # narrow no-break spaces
        ("1,250,000.5", 1_250_000.5),
        ("+1,000", 1000.0),
    ],
)
def test_numbers_with_thousands_separators_are_read(typed, value):
    frames, problems = _one("alliances", 0, expected_revenue=typed)
    assert problems == []
    assert frames["alliances"]["expected_revenue"].tolist()[0] == value


def test_a_whole_number_with_a_thousands_separator_is_read():
    frames, problems = _one("agreements", 0, notice_days="1,000")
    assert problems == []
    assert frames["agreements"]["notice_days"].tolist()[0] == 1000


@pytest.mark.parametrize(
    "typed, says",
    [
        ("1,5", "decimal point"),  # a decimal comma: 1.5 or 15?
        ("0,100", "decimal point"),
        ("1.234,5", "decimal point"),
        ("2,00,000", "a number"),  # groups of two
        ("2,000 000", "a number"),  # two separators
        ("2,0000", "a number"),
        (",500", "a number"),
    ],
)
def test_ambiguous_or_malformed_groups_are_refused(typed, says):
    _, problems = _one("alliances", 0, expected_revenue=typed)
    p = _only_problem(problems, "alliances", 2, "expected_revenue")
    assert p.value == typed and says in p.expected


# --- Excel date numbers ------------------------------------------------------------------------


@pytest.mark.parametrize("serial", [45658, 45658.0, 7306, 109574])
def test_a_number_in_a_date_column_is_an_excel_date(serial):
    frames, problems = _one("kpis", 0, due_date=serial)
    assert problems == []
    expected = pd.Timestamp(from_excel(serial))  # openpyxl's reading, as a check
    assert frames["kpis"]["due_date"].tolist()[0] == expected


def test_an_excel_date_number_keeps_its_time_in_a_date_and_time_column():
    frames, problems = _one("answers", 0, answered_at=45658.5)
    assert problems == []
    assert frames["answers"]["answered_at"].tolist()[0] == pd.Timestamp("2025-01-01 12:00:00")
    # a date column keeps the day
    frames, problems = _one("actions", 0, due_on=46154.75)
    assert problems == [] and frames["actions"]["due_on"].tolist() == [pd.Timestamp(2026, 5, 12)]


@pytest.mark.parametrize(
    "value, says",
    [
        (2026, "2026 alone is a year"),
        (1999.0, "1999 alone is a year"),
        (15, "from 7306 = 1920-01-01"),
        (7305, "from 7306 = 1920-01-01"),
        (109575, "to 109574 = 2199-12-31"),
        ("45658", "write 2025-01-01"),  # text, as a CSV cell: not read as a date number
    ],
)
def test_numbers_that_are_not_plausible_dates_are_refused(value, says):
    _, problems = _one("kpis", 0, due_date=value)
    p = _only_problem(problems, "kpis", 2, "due_date")
    assert p.value == str(value).removesuffix(".0")
    assert "YYYY-MM-DD" in p.expected and says in p.expected


# --- day-first and month-first dates -------------------------------------------------------------


@pytest.mark.parametrize(
    "dates, typed, day",
    [
        ("day-first", "03/04/2026", dt.date(2026, 4, 3)),
        ("day-first", "3.4.2026", dt.date(2026, 4, 3)),
        ("day-first", "31-12-2025", dt.date(2025, 12, 31)),
        ("month-first", "03/04/2026", dt.date(2026, 3, 4)),
        ("month-first", "12/31/2025", dt.date(2025, 12, 31)),
        ("day-first", "2026-04-03", dt.date(2026, 4, 3)),  # ISO is read under any setting
        ("month-first", "2026-04-03", dt.date(2026, 4, 3)),
        ("day-first", "2026/04/03", dt.date(2026, 4, 3)),  # year first: read as before
    ],
)
def test_dates_are_read_as_the_setting_says(dates, typed, day):
    frames, problems = _one("kpis", 0, dates=dates, due_date=typed)
    assert problems == []
    assert frames["kpis"]["due_date"].tolist()[0] == pd.Timestamp(day)


def test_a_date_and_time_is_read_day_first():
    frames, problems = _one("answers", 0, dates="day-first", answered_at="03/09/2026 10:15")
    assert problems == []
    assert frames["answers"]["answered_at"].tolist()[0] == pd.Timestamp("2026-09-03 10:15")


def test_a_day_first_date_without_the_setting_is_refused_naming_the_setting():
    _, problems = _one("actions", 0, due_on="03/04/2026")
    p = _only_problem(problems, "actions", 2, "due_on")
    assert p.value == "03/04/2026"
    assert "Dates are written" in p.expected and "--dates day-first" in p.expected


@pytest.mark.parametrize(
    "dates, typed, shape",
    [
        ("day-first", "31/13/2026", "DD/MM/YYYY"),
        ("month-first", "31/12/2026", "MM/DD/YYYY"),
        ("day-first", "03/04/26", "DD/MM/YYYY"),  # a two-digit year: which century?
    ],
)
def test_dates_against_the_setting_are_refused(dates, typed, shape):
    _, problems = _one("kpis", 0, dates=dates, due_date=typed)
    p = _only_problem(problems, "kpis", 2, "due_date")
    assert p.expected.startswith(f"a date written {shape} or YYYY-MM-DD")


def test_an_unknown_date_setting_is_an_error():
    with pytest.raises(ValueError, match="day-first"):
        schemas.prepare(P.frames(), dates="dmy")


# --- currencies --------------------------------------------------------------------------------


def test_every_iso_4217_currency_is_accepted_from_pycountry():
    codes = {c.alpha_3 for c in pycountry.currencies} - {"XTS", "XXX"}
    assert set(model.CURRENCIES) == codes and len(codes) > 150
    assert {"NOK", "DKK", "PLN", "BRL", "ZAR", "USD"} <= codes
    d = P.rows()
    d["alliances"] = [dict(d["alliances"][1], id=f"C{i}", currency=c) for i, c in enumerate(codes)]
    for sheet in list(d):
        if sheet != "alliances":
            d[sheet] = []
    _, problems = schemas.prepare(P.frames(d))
    assert problems == []


@pytest.mark.parametrize("typed, stored", [("NOK", "NOK"), ("nok", "NOK"), ("Dkk", "DKK")])
def test_a_currency_code_is_stored_upper_case(typed, stored):
    frames, problems = _one("alliances", 1, currency=typed)
    assert problems == []
    assert frames["alliances"]["currency"].tolist()[1] == stored


@pytest.mark.parametrize(
    "typed, suggested",
    [
        ("NKO", "did you mean NOK (Norwegian Krone)"),
        ("krone", "DKK (Danish Krone), NOK (Norwegian Krone)"),
        ("Euro", "did you mean EUR (Euro)"),
        ("Swiss franc", "did you mean CHF (Swiss Franc)?"),
    ],
)
def test_an_unknown_currency_gets_near_matches(typed, suggested):
    _, problems = _one("alliances", 1, currency=typed)
    p = _only_problem(problems, "alliances", 3, "currency")
    assert p.message.startswith(f"in.xlsx, sheet alliances, row 3, column currency: {typed} — ")
    assert p.expected.startswith("an ISO 4217 currency code such as USD, EUR or NOK")
    assert suggested in p.expected


@pytest.mark.parametrize("typed", ["XYZ", "XXX", "XTS", "US$"])
def test_a_code_that_is_no_currency_is_refused(typed):
    _, problems = _one("alliances", 1, currency=typed)
    p = _only_problem(problems, "alliances", 3, "currency")
    assert "ISO 4217" in p.expected and len(p.expected) < 200  # no list of 176 codes


def test_a_form_gets_the_same_rules():
    typed, _ = schemas.prepare(P.frames())
    record = typed["business_cases"].iloc[0].to_dict() | {"discount_rate": "8%"}
    assert schemas.validate_record("business_cases", record, existing=typed) == {}
    alliance = typed["alliances"].iloc[0].to_dict() | {"currency": "NKO"}
    msgs = schemas.validate_record("alliances", alliance, existing=typed)
    assert "did you mean NOK" in msgs["currency"]
