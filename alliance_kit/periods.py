"""Calendar quarters written like ``2026-Q3``: parsing, ranges and date bounds."""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd

_PERIOD = re.compile(r"^(\d{4})-Q([1-4])$")


def parse(period: str) -> tuple[int, int]:
    """Return (year, quarter) of a period string; ValueError names the bad value."""
    m = _PERIOD.match(str(period).strip())
    if not m:
        raise ValueError(f"{period!r} is not a quarter; write it like 2026-Q3")
    return int(m.group(1)), int(m.group(2))


def of_date(day: dt.date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def start(period: str) -> dt.date:
    year, q = parse(period)
    return dt.date(year, 3 * q - 2, 1)


def end(period: str) -> dt.date:
    """Last day of the quarter."""
    year, q = parse(period)
    nxt = dt.date(year + (q == 4), 1 if q == 4 else 3 * q + 1, 1)
    return nxt - dt.timedelta(days=1)


def shift(period: str, quarters: int) -> str:
    year, q = parse(period)
    index = year * 4 + (q - 1) + quarters
    return f"{index // 4}-Q{index % 4 + 1}"


def previous(period: str) -> str:
    return shift(period, -1)


def last_closed(today: dt.date | None = None) -> str:
    """The most recent quarter that has ended (what ``--period previous`` means)."""
    return previous(of_date(today or dt.date.today()))


def span(first: str, last: str) -> list[str]:
    """All quarters from first to last inclusive."""
    (y1, q1), (y2, q2) = parse(first), parse(last)
    n = (y2 * 4 + q2) - (y1 * 4 + q1)
    return [shift(first, i) for i in range(n + 1)]


def of_dates(days: pd.Series) -> pd.Series:
    """Vectorized quarter of each date (NaT gives missing)."""
    days = pd.to_datetime(days)
    out = (
        days.dt.year.astype("Int64").astype(str)
        + "-Q"
        + days.dt.quarter.astype("Int64").astype(str)
    )
    return out.where(days.notna())
