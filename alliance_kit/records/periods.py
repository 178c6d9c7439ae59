"""Calendar quarters written like ``2026-Q3``: parsing, ranges and date bounds."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd

#: ASCII digits only (``\d`` also takes ``２０２６``) and nothing after (``$`` takes a "\n").
_PERIOD = re.compile(r"^([0-9]{4})\s*-?\s*[Qq]([1-4])\Z")


def parse(period: str) -> tuple[int, int]:
    """Return (year, quarter) of a period string; ValueError names the bad value.
    ``2026-Q3``, ``2026-q3`` and ``2026 Q3`` are the same quarter."""
    m = _PERIOD.match(str(period).strip())
    if not m:
        raise ValueError(f"{period!r} is not a quarter; write it like 2026-Q3")
    return int(m.group(1)), int(m.group(2))


def normalize(period: str) -> str:
    """The quarter as the store writes it (``2026-q3`` -> ``2026-Q3``)."""
    year, q = parse(period)
    return f"{year}-Q{q}"


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


# --- periods against today and against the portfolio ------------------------------------


def _index(period: str) -> int:
    year, q = parse(period)
    return year * 4 + q - 1


def _from_index(index: int) -> str:
    return f"{index // 4}-Q{index % 4 + 1}"


def resolve(value: str, today: dt.date | None = None) -> str:
    """The quarter a user asked for: ``previous`` is the last closed quarter, anything
    else must be a quarter that has started by ``today`` (see :func:`check_started`)."""
    if str(value).strip().lower() == "previous":
        return last_closed(today)
    return check_started(normalize(value), today)


def check_started(period: str, today: dt.date | None = None) -> str:
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
