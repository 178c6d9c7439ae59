from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from alliance_kit import periods


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


@pytest.mark.parametrize("bad", ["2026-Q5", "2026Q3", "Q3-2026", "", "2026-q3x"])
def test_bad_period_names_the_value(bad: str) -> None:
    with pytest.raises(ValueError, match="write it like 2026-Q3"):
        periods.parse(bad)


def test_of_dates_is_vectorized() -> None:
    s = pd.Series([pd.Timestamp("2026-05-02"), pd.NaT, pd.Timestamp("2025-12-31")])
    out = periods.of_dates(s)
    assert out.iloc[0] == "2026-Q2" and pd.isna(out.iloc[1]) and out.iloc[2] == "2025-Q4"
