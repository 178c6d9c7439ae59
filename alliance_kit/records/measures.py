"""Per-alliance measures over the record frames, shared by every principle's evidence.

Each function takes the frames dict (table name -> DataFrame) or plain arrays and returns
arrays or frames with one row per alliance, in the alliances table's order. Per-alliance
figures are summed with ``np.bincount`` over each row's position in the alliances table
instead of a groupby and a merge back onto the alliances: one hash lookup per row, then
plain array arithmetic (the portfolio scoring calls these twice on every record).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import numpy as np
import pandas as pd

from alliance_kit.records import periods
from alliance_kit.records.model import SIDES, TABLES
from alliance_kit.records.store import typed_frame

T = TypeVar("T")


def table(frames: dict[str, pd.DataFrame], name: str) -> pd.DataFrame:
    """A table from the frames dict; a missing table is an empty, typed one."""
    df = frames.get(name)
    return df if df is not None else typed_frame(TABLES[name], pd.DataFrame())


def window_bounds(period: str, window: int = 4) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last day of the ``window`` quarters ending with ``period``."""
    first = periods.shift(period, -(window - 1))
    return pd.Timestamp(periods.start(first)), pd.Timestamp(periods.end(period))


def alliance_ids(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    return table(frames, "alliances")[["id"]].rename(columns={"id": "alliance_id"})


def by_side(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per alliance and side (alliance by alliance, SIDES in order)."""
    ids = table(frames, "alliances")["id"]
    sides = pd.array(list(SIDES) * len(ids), dtype="str")
    alliance = pd.Series(ids.to_numpy().repeat(len(SIDES)), dtype=ids.dtype)
    return pd.DataFrame({"alliance_id": alliance, "side": sides})


def memo(frames: dict[str, pd.DataFrame], key: tuple, compute: Callable[[], T]) -> T:
    """``compute()``, kept in ``frames["__cache__"]`` when the caller gives one: the
    portfolio scoring computes each period's evidence on the same frames, and what does
    not depend on the period is then found once."""
    cache = frames.get("__cache__")
    if cache is None:
        return compute()
    if key not in cache:
        cache[key] = compute()
    return cache[key]


def rows_of(keys: pd.Series, ids: pd.Series) -> np.ndarray:
    """Position of each key among ``ids`` (a primary key, so unique); -1 when absent."""
    return pd.Index(ids).get_indexer(keys)


def positions(frames: dict[str, pd.DataFrame], alliance_id: pd.Series) -> np.ndarray:
    """Row of each ``alliance_id`` in the alliances table; -1 when it is not there."""
    return rows_of(alliance_id, table(frames, "alliances")["id"])


def take(values: np.ndarray, pos: np.ndarray, fill: object) -> np.ndarray:
    """``values[pos]`` with ``fill`` where ``pos`` is -1."""
    return np.append(values, fill)[pos]


def flag(mask: object) -> np.ndarray:
    return np.asarray(mask, dtype=bool)


def equals(values: pd.Series, word: str) -> np.ndarray:
    """``values == word`` as a boolean array (numpy's compare, without pandas' overhead)."""
    return flag(values.to_numpy(dtype=object) == word)


def count(pos: np.ndarray, n: int, mask: object = None) -> np.ndarray:
    """Rows (where ``mask``) at each of ``n`` positions."""
    keep = pos >= 0 if mask is None else (pos >= 0) & flag(mask)
    return np.bincount(pos[keep], minlength=n)


def total(pos: np.ndarray, n: int, values: object, mask: object = None) -> np.ndarray:
    """Sum of ``values`` (missing ones skipped) at each of ``n`` positions, as floats.
    Exact for the whole numbers and quarter days summed here."""
    v = np.asarray(values, dtype=float)
    keep = (pos >= 0) & ~np.isnan(v)
    if mask is not None:
        keep &= flag(mask)
    return np.bincount(pos[keep], weights=v[keep], minlength=n)


def ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den, NaN where den is not positive."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / den, np.nan)


def per_alliance(frames: dict[str, pd.DataFrame], **columns: object) -> pd.DataFrame:
    """One row per alliance, in the alliances table's order, with ``columns``."""
    ids = table(frames, "alliances")["id"].reset_index(drop=True)
    return pd.DataFrame({"alliance_id": ids, **columns})


def days(values: pd.Series) -> np.ndarray:
    """Dates as datetime64[ns] (NaT stays NaT), for plain array comparisons."""
    return pd.to_datetime(values).to_numpy(dtype="datetime64[ns]")


def side_codes(side: pd.Series) -> np.ndarray:
    """Index of each side in SIDES; -1 for anything else."""
    return rows_of(side, pd.Series(list(SIDES), dtype=object))


def quarters_running(frames: dict[str, pd.DataFrame], period: str, window: int) -> np.ndarray:
    """Per alliance (table order): quarters of the window it was running."""
    first = periods.shift(period, -(window - 1))
    months = days(table(frames, "alliances")["start_date"]).astype("datetime64[M]")
    known = ~np.isnat(months)
    start_index = months.astype(np.int64) // 3 + 1970 * 4  # year * 4 + quarter - 1
    skipped = np.where(known, np.clip(start_index - first.number, 0, None), 0)
    return np.clip(window - skipped, 0, None)


def active_quarters(frames: dict[str, pd.DataFrame], period: str, window: int) -> pd.Series:
    """Quarters of the window each alliance was running (from its start quarter on)."""
    ids = table(frames, "alliances")["id"].to_numpy()
    return pd.Series(quarters_running(frames, period, window), index=ids)
