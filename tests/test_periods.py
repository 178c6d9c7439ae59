from __future__ import annotations

import datetime as dt
import json
import pickle
import re

import pandas as pd
import pytest

from alliance_kit.records import periods


def test_bounds_shift_and_span() -> None:
    assert periods.start("2026-Q3") == dt.date(2026, 7, 1)
    assert periods.end("2026-Q4") == dt.date(2026, 12, 31)
    assert periods.end("2024-Q1") == dt.date(2024, 3, 31)
    assert periods.shift("2026-Q1", -1) == "2025-Q4"
    assert periods.shift("2025-Q4", 5) == "2027-Q1"
    assert periods.span("2025-Q3", "2026-Q2") == ["2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2"]


def test_last_closed_is_the_quarter_before_today() -> None:
    assert periods.last_closed(dt.date(2026, 11, 27)) == "2026-Q3"
    assert periods.last_closed(dt.date(2027, 1, 1)) == "2026-Q4"


@pytest.mark.parametrize(
    "bad", ["2026-Q5", "Q3-2026", "2026-Q", "", "2026-q3x", "２０２６-Q3", "٢٠٢٦-Q3", "2026-Q3\nx"]
)
def test_bad_period_names_the_value(bad: str) -> None:
    with pytest.raises(ValueError, match="write it like 2026-Q3"):
        periods.parse(bad)


def test_a_started_quarter_comes_back_as_written_everywhere() -> None:
    """The quarter names the report folder: what comes back is the canonical text."""
    today = dt.date(2026, 11, 27)
    assert periods.check_started(" 2026-Q3\n", today) == "2026-Q3"
    assert periods.resolve("2026-Q3 ", today) == "2026-Q3"


def test_of_dates_is_vectorized() -> None:
    s = pd.Series([pd.Timestamp("2026-05-02"), pd.NaT, pd.Timestamp("2025-12-31")])
    out = periods.of_dates(s)
    assert out.iloc[0] == "2026-Q2" and pd.isna(out.iloc[1]) and out.iloc[2] == "2025-Q4"


TODAY = dt.date(2026, 11, 27)  # in 2026-Q4; the last closed quarter is 2026-Q3


def test_a_quarter_that_has_not_started_is_refused_naming_it() -> None:
    with pytest.raises(ValueError, match=r"2027-Q4 has not started yet.*2027-10-01.*2026-11-27"):
        periods.check_started("2027-Q4", TODAY)
    with pytest.raises(ValueError, match="last closed one is 2026-Q3"):
        periods.check_started("2027-Q1", TODAY)
    with pytest.raises(ValueError, match="not started"):
        periods.resolve(" 2027-Q1 ", TODAY)


def test_started_quarters_pass_including_one_that_starts_today() -> None:
    assert periods.check_started("2026-Q4", TODAY) == "2026-Q4"
    assert periods.check_started("2019-Q1", TODAY) == "2019-Q1"
    assert periods.check_started("2026-Q4", dt.date(2026, 10, 1)) == "2026-Q4"
    with pytest.raises(ValueError):
        periods.check_started("2026-Q4", dt.date(2026, 9, 30))
    assert periods.resolve(" 2026-Q2 ", TODAY) == "2026-Q2"
    assert periods.resolve("previous", TODAY) == "2026-Q3"
    assert periods.resolve("Previous", dt.date(2027, 1, 1)) == "2026-Q4"
    with pytest.raises(ValueError, match="write it like 2026-Q3"):
        periods.resolve("2026-Q5", TODAY)


def test_a_quarter_in_progress_is_labelled_so() -> None:
    assert periods.in_progress("2026-Q4", TODAY)
    assert not periods.in_progress("2026-Q3", TODAY)
    assert periods.in_progress("2026-Q4", dt.date(2026, 12, 31))
    assert not periods.in_progress("2026-Q4", dt.date(2027, 1, 1))
    assert periods.label("2026-Q4", TODAY) == "2026-Q4 (in progress, as of 2026-11-27)"
    assert periods.label("2026-Q3", TODAY) == "2026-Q3"


def _alliances(*spans: tuple[str, str | None]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": [f"A{i}" for i in range(len(spans))],
            "start_date": pd.to_datetime([s for s, _ in spans]),
            "end_date": pd.to_datetime([e for _, e in spans]),
        }
    )


def test_running_quarters_follow_start_and_end_dates_up_to_today() -> None:
    a = _alliances(("2019-06-01", "2020-01-15"), ("2021-03-31", None), ("2030-01-01", None))
    got = periods.running(a, TODAY)
    assert got[:3] == ["2019-Q2", "2019-Q3", "2019-Q4"]
    assert got[3:5] == ["2020-Q1", "2021-Q1"]  # 2020-Q2..2020-Q4: nobody
    assert got[-1] == "2026-Q4"  # open-ended alliance runs until today, never later
    assert periods.ranges(got) == "2019-Q2 to 2020-Q1, 2021-Q1 to 2026-Q4"
    assert periods.running(a.iloc[:0], TODAY) == []
    assert periods.running(_alliances(("2027-02-01", None)), TODAY) == []


def test_a_quarter_without_any_running_alliance_is_refused_with_the_ones_that_have() -> None:
    a = _alliances(("2019-06-01", "2020-01-15"), ("2021-03-31", None))
    assert periods.check_running("2019-Q2", a, TODAY) == "2019-Q2"
    assert periods.check_running("2026-Q4", a, TODAY) == "2026-Q4"
    with pytest.raises(
        ValueError,
        match=r"no alliance was running in 2019-Q1: .* 2019-Q2 to 2020-Q1, 2021-Q1 to 2026-Q4",
    ):
        periods.check_running("2019-Q1", a, TODAY)
    with pytest.raises(ValueError, match="no alliance was running in 2020-Q3"):
        periods.check_running("2020-Q3", a, TODAY)
    with pytest.raises(ValueError, match="holds no alliances"):
        periods.check_running("2026-Q3", a.iloc[:0], TODAY)


# --- Period: read once at the edge, passed down ----------------------------------------


def test_a_period_is_the_quarter_as_the_store_writes_it_with_its_dates():
    p = periods.Period(" 2026 q4 ")
    assert p == "2026-Q4" and isinstance(p, str) and hash(p) == hash("2026-Q4")
    assert (p.year, p.quarter, p.number) == (2026, 4, 2026 * 4 + 3)
    assert (p.start, p.end) == (dt.date(2026, 10, 1), dt.date(2026, 12, 31))
    assert periods.Period("2024-Q1").end == dt.date(2024, 3, 31)
    assert p.shift(1) == "2027-Q1" and p.shift(-4) == "2025-Q4"
    assert isinstance(p.shift(1), periods.Period)
    assert periods.Period(p) is p
    assert pickle.loads(pickle.dumps(p)).end == p.end  # crosses into report kernels
    assert json.dumps({"period": p}) == '{"period": "2026-Q4"}'
    assert pd.Series(["2026-Q3", "2026-Q4"]).eq(p).tolist() == [False, True]
    for bad in ("2026-Q5", "Q3-2026", "２０２６-Q1", "2026-Q1x", ""):
        with pytest.raises(ValueError, match="is not a quarter"):
            periods.Period(bad)


def test_functions_given_a_period_do_not_read_its_text_again(monkeypatch):
    p = periods.Period("2026-Q3")
    monkeypatch.setattr(periods, "_PERIOD", re.compile(r"(?!)"))  # reads nothing now
    assert periods.end(p) == dt.date(2026, 9, 30) and periods.start(p) == dt.date(2026, 7, 1)
    assert periods.shift(p, -1) == "2026-Q2" and periods.parse(p) == (2026, 3)
    with pytest.raises(ValueError):
        periods.end("2026-Q3")  # text is read (and here refused)


def test_the_edges_hand_out_periods():
    today = dt.date(2026, 12, 5)
    assert isinstance(periods.resolve("2026 q3", today), periods.Period)
    assert isinstance(periods.resolve("previous", today), periods.Period)
    assert all(isinstance(q, periods.Period) for q in periods.span("2025-Q4", "2026-Q2"))
