"""Calendar quarters written like ``2026-Q3``: parsing, ranges and date bounds.

A quarter is read once, where it enters (a command's ``--period``, a notebook parameter,
a workbook's picker), into a :class:`Period`, and passed down as that value. Every function
here takes a Period or the text of one; given a Period it does not read the text again.
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd

#: ASCII digits only (``\d`` also takes ``２０２６``) and nothing after (``$`` takes a "\n").
_PERIOD = re.compile(r"^([0-9]{4})\s*-?\s*[Qq]([1-4])\Z")


class Period(str):
    """A calendar quarter, read once: ``Period("2026 q3")`` is the text ``"2026-Q3"`` (as
    the store writes it) with its ``year``, ``quarter``, ``start`` and ``end`` at hand.

    It is a ``str``, so it goes unchanged into frames, SQL parameters, file names and
    papermill parameters, and compares equal to the text it stands for. ValueError names a
    value that is not a quarter.
    """

    year: int
    quarter: int

    def __new__(cls, value: str) -> Period:
        if isinstance(value, Period):
            return value
        m = _PERIOD.match(str(value).strip())
        if not m:
            raise ValueError(f"{value!r} is not a quarter; write it like 2026-Q3")
        return cls._of(int(m.group(1)), int(m.group(2)))

    @classmethod
    def _of(cls, year: int, quarter: int) -> Period:
        self = super().__new__(cls, f"{year}-Q{quarter}")
        self.year, self.quarter = year, quarter
        return self

    @property
    def start(self) -> dt.date:
        """First day of the quarter."""
        return dt.date(self.year, 3 * self.quarter - 2, 1)

    @property
    def end(self) -> dt.date:
        """Last day of the quarter."""
        last_month = 3 * self.quarter
        following = dt.date(self.year + last_month // 12, last_month % 12 + 1, 1)
        return following - dt.timedelta(days=1)

    @property
    def number(self) -> int:
        """Quarters since year 0 (``year * 4 + quarter - 1``): consecutive quarters
        differ by 1."""
        return self.year * 4 + self.quarter - 1

    def shift(self, quarters: int) -> Period:
        """The quarter ``quarters`` later (earlier when negative)."""
        n = self.number + quarters
        return Period._of(n // 4, n % 4 + 1)


def parse(period: str) -> tuple[int, int]:
    """Return (year, quarter) of a period; ValueError names the bad value.
    ``2026-Q3``, ``2026-q3`` and ``2026 Q3`` are the same quarter."""
    p = Period(period)
    return p.year, p.quarter


def normalize(period: str) -> Period:
    """The quarter as the store writes it (``2026-q3`` -> ``2026-Q3``), as a Period."""
    return Period(period)


def of_date(day: dt.date) -> Period:
    """The quarter ``day`` falls in."""
    return Period._of(day.year, (day.month - 1) // 3 + 1)


def start(period: str) -> dt.date:
    """First day of the quarter."""
    return Period(period).start


def end(period: str) -> dt.date:
    """Last day of the quarter."""
    return Period(period).end


def shift(period: str, quarters: int) -> Period:
    """The quarter ``quarters`` after ``period`` (before it when negative)."""
    return Period(period).shift(quarters)


def previous(period: str) -> Period:
    return shift(period, -1)


def last_closed(today: dt.date | None = None) -> Period:
    """The most recent quarter that has ended (what ``--period previous`` means)."""
    return previous(of_date(today or dt.date.today()))


def span(first: str, last: str) -> list[Period]:
    """All quarters from first to last inclusive."""
    first = Period(first)
    return [first.shift(i) for i in range(Period(last).number - first.number + 1)]


def of_dates(days: pd.Series) -> pd.Series:
    """Vectorized quarter of each date (NaT gives missing)."""
    days = pd.to_datetime(days)
    out = (
        days.dt.year.astype("Int64").astype(str)
        + "-Q"
        + days.dt.quarter.astype("Int64").astype(str)
    )
    return out.where(days.notna())


# --- periods against today and against the portfolio ------------------------------------


def _index(period: str) -> int:
    return Period(period).number


def _from_index(number: int) -> Period:
    return Period._of(number // 4, number % 4 + 1)


def resolve(value: str, today: dt.date | None = None) -> Period:
    """The quarter a user asked for: ``previous`` is the last closed quarter, anything
    else must be a quarter that has started by ``today`` (see :func:`check_started`)."""
    if str(value).strip().lower() == "previous":
        return last_closed(today)
    return check_started(normalize(value), today)


def check_started(period: str, today: dt.date | None = None) -> Period:
    """Return ``period`` if it has started by ``today``; else ValueError.

    The one rule for every view that scores or reports a quarter: a quarter that has not
    begun has no meetings, answers or actuals yet, and scoring it would make up failures
    (every governance figure 0, every alliance red). A quarter in progress is allowed;
    show it with :func:`label`.
    """
    today = today or dt.date.today()
    period = normalize(period)
    if start(period) > today:
        raise ValueError(
            f"{period} has not started yet (it starts on {start(period).isoformat()}; "
            f"today is {today.isoformat()}), so nothing can be scored or reported for it "
            f"yet. The current quarter is {of_date(today)} (in progress); the last closed "
            f"one is {last_closed(today)}."
        )
    return period


def in_progress(period: str, today: dt.date | None = None) -> bool:
    """Whether ``period`` has started but not yet ended on ``today``."""
    today = today or dt.date.today()
    return start(period) <= today <= end(period)


def label(period: str, today: dt.date | None = None) -> str:
    """The quarter as reports and the CLI show it: ``2026-Q3``, or
    ``2026-Q4 (in progress, as of 2026-11-27)`` while it is still running."""
    today = today or dt.date.today()
    if in_progress(period, today):
        return f"{period} (in progress, as of {today.isoformat()})"
    return period


def running(alliances: pd.DataFrame, today: dt.date | None = None) -> list[str]:
    """The quarters, up to today's, in which at least one alliance runs (started on or
    before the quarter's end, not ended before its start), oldest first. ``alliances``
    needs ``start_date`` and ``end_date`` columns (missing end: still running)."""
    now = _index(of_date(today or dt.date.today()))
    starts = pd.to_datetime(alliances["start_date"])
    ends = pd.to_datetime(alliances["end_date"])
    keep = starts.notna()
    first = (starts[keep].dt.year * 4 + starts[keep].dt.quarter - 1).astype("int64")
    last = (ends[keep].dt.year * 4 + ends[keep].dt.quarter - 1).fillna(now).astype("int64")
    last = last.clip(upper=now)
    ok = first <= last
    first, last = first[ok].to_numpy(), last[ok].to_numpy()
    if not len(first):
        return []
    lo = int(first.min())
    cover = np.zeros(now - lo + 2, dtype="int64")
    np.add.at(cover, first - lo, 1)
    np.add.at(cover, last - lo + 1, -1)
    return [_from_index(lo + i) for i in np.flatnonzero(np.cumsum(cover)[:-1] > 0)]


def ranges(quarters: list[str]) -> str:
    """Consecutive quarters written as ranges: ``2019-Q2 to 2024-Q1, 2025-Q3``."""
    out: list[str] = []
    idx = sorted(_index(p) for p in quarters)
    i = 0
    while i < len(idx):
        j = i
        while j + 1 < len(idx) and idx[j + 1] == idx[j] + 1:
            j += 1
        first, last = _from_index(idx[i]), _from_index(idx[j])
        out.append(first if i == j else f"{first} to {last}")
        i = j + 1
    return ", ".join(out)


def check_running(period: str, alliances: pd.DataFrame, today: dt.date | None = None) -> str:
    """Return ``period`` if at least one alliance runs in it; else ValueError naming the
    quarters that have alliances (a report of an empty quarter would show nothing but
    blanks, and a portfolio count of alliances that did not exist yet)."""
    have = running(alliances, today)
    if period in have:
        return period
    where = (
        f"the store has alliances running in {ranges(have)}"
        if have
        else "the store holds no alliances (load them with `alliance-kit import`)"
    )
    raise ValueError(f"no alliance was running in {period}: {where}")
