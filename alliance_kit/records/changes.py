"""What a write would change in the store: the per-table difference between the stored
rows and the incoming ones, matched by primary key.

One :class:`Changes` value serves the import's ``--dry-run`` (printed), the real write
(:meth:`alliance_kit.records.store.Store.apply_changes` writes exactly these rows, so the dry run's
counts are what the write does) and a change history (:meth:`Changes.rows` yields each
row's key with its values before and after).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from alliance_kit.records.model import RECORD_TYPES, TABLES, VERSION, value_kind

#: merge: add new keys, update changed rows, keep the rest; replace: the store becomes
#: the input (stored rows absent from it are removed); add: new keys only.
MODES = ("merge", "replace", "add")
Mode = Literal["merge", "replace", "add"]


@dataclass(frozen=True)
class RowChange:
    """One row's change, for a history: values of the compared columns before and after."""

    table: str
    kind: Literal["added", "changed", "removed"]
    key: tuple[Any, ...]
    before: dict[str, Any] | None
    after: dict[str, Any] | None


@dataclass(frozen=True)
class TableChanges:
    """The difference for one table. ``changed`` holds the incoming rows whose key is
    stored and whose compared columns differ; ``before`` the stored rows for the same
    keys, in the same order; ``changed_mask`` which of ``columns`` differ in each."""

    table: str
    key: tuple[str, ...]
    columns: tuple[str, ...]
    added: pd.DataFrame
    changed: pd.DataFrame
    before: pd.DataFrame
    changed_mask: pd.DataFrame
    removed: pd.DataFrame
    unchanged: int

    @property
    def counts(self) -> dict[str, int]:
        return {
            "added": len(self.added),
            "changed": len(self.changed),
            "removed": len(self.removed),
            "unchanged": self.unchanged,
        }

    @property
    def empty(self) -> bool:
        return not (len(self.added) or len(self.changed) or len(self.removed))

    def changed_columns(self) -> dict[str, int]:
        """Column -> how many changed rows differ in it (columns that never differ left out)."""
        sums = self.changed_mask.sum()
        return {c: int(n) for c, n in sums.items() if n}

    def summary(self) -> str:
        """``2 added, 3 changed (name, stage), 0 removed, 40 unchanged``."""
        cols = self.changed_columns()
        changed = f"{len(self.changed):,} changed" + (f" ({', '.join(cols)})" if cols else "")
        return (
            f"{len(self.added):,} added, {changed}, {len(self.removed):,} removed, "
            f"{self.unchanged:,} unchanged"
        )

    def rows(self) -> Iterator[RowChange]:
        """Every added, changed and removed row (for a change history)."""
        cols = list(self.columns)
        for rec in _records(self.added, cols):
            yield RowChange(self.table, "added", self._key(rec), None, rec)
        befores = _records(self.before, cols)
        afters = _records(self.changed, cols)
        masks = self.changed_mask.to_numpy()
        compared = list(self.changed_mask.columns)
        for before, after, mask in zip(befores, afters, masks, strict=True):
            diff = [c for c, m in zip(compared, mask, strict=True) if m]
            yield RowChange(
                self.table,
                "changed",
                self._key(after),
                {c: before[c] for c in diff},
                {c: after[c] for c in diff},
            )
        for rec in _records(self.removed, cols):
            yield RowChange(self.table, "removed", self._key(rec), rec, None)

    def _key(self, rec: Mapping[str, Any]) -> tuple[Any, ...]:
        return tuple(rec[k] for k in self.key)


@dataclass
class Changes:
    """The difference for a whole portfolio, per table in the model's order."""

    mode: str
    tables: dict[str, TableChanges] = field(default_factory=dict)

    def totals(self) -> dict[str, int]:
        out = {"added": 0, "changed": 0, "removed": 0, "unchanged": 0}
        for tc in self.tables.values():
            for k, n in tc.counts.items():
                out[k] += n
        return out

    @property
    def empty(self) -> bool:
        return all(tc.empty for tc in self.tables.values())

    def lines(self) -> list[str]:
        """One line per record type that changes, then one for those that do not."""
        out = [f"  {name}: {tc.summary()}" for name, tc in self.tables.items() if not tc.empty]
        same = [tc for tc in self.tables.values() if tc.empty and tc.unchanged]
        if same:
            n = sum(tc.unchanged for tc in same)
            kinds = "record type" if len(same) == 1 else "record types"
            out.append(f"  {len(same)} other {kinds} unchanged ({n:,} records)")
        return out

    def rows(self) -> Iterator[RowChange]:
        for tc in self.tables.values():
            yield from tc.rows()


def _records(frame: pd.DataFrame, cols: list[str]) -> list[dict[str, Any]]:
    if frame.empty:
        return []
    sub = frame[[c for c in cols if c in frame.columns]].astype(object)
    sub = sub.where(sub.notna(), None)
    return sub.to_dict("records")


def _key_index(frame: pd.DataFrame, key: list[str]) -> pd.Index:
    if len(key) == 1:
        return pd.Index(frame[key[0]].astype(object).to_numpy())
    return pd.MultiIndex.from_arrays([frame[k].astype(object).to_numpy() for k in key])


def differs(kind: str, a: pd.Series, b: pd.Series) -> np.ndarray:
    """Cell by cell, whether two typed columns of equal length hold different values (two
    empty cells are equal). Datetimes compare to the second: the export files carry them
    to the second, so a stored time with microseconds reads back unchanged."""
    a_na = a.isna().to_numpy()
    b_na = b.isna().to_numpy()
    if kind == "datetime":
        av = a.to_numpy(dtype="datetime64[ns]").astype("datetime64[s]")
        bv = b.to_numpy(dtype="datetime64[ns]").astype("datetime64[s]")
        same = av == bv
    elif kind == "date":
        same = a.to_numpy(dtype="datetime64[ns]") == b.to_numpy(dtype="datetime64[ns]")
    elif kind in ("int", "float"):
        same = a.to_numpy(dtype="float64", na_value=np.nan) == b.to_numpy(
            dtype="float64", na_value=np.nan
        )
    elif kind == "bool":
        same = a.to_numpy(dtype=bool) == b.to_numpy(dtype=bool)
    else:
        same = a.to_numpy(dtype=object) == b.to_numpy(dtype=object)
    same = np.asarray(same, dtype=bool)
    return ~((a_na & b_na) | (~a_na & ~b_na & same))


def table_diff(
    table: str,
    stored: pd.DataFrame,
    incoming: pd.DataFrame | None,
    *,
    columns: tuple[str, ...] | None = None,
    removes: bool = False,
) -> TableChanges:
    """The difference for one table. ``incoming`` None means the input does not concern
    the table (nothing added or changed; with ``removes``, every stored row goes).
    ``columns``: the non-key columns to compare and write (default: all of them)."""
    t = TABLES[table]
    key = [c.name for c in t.primary_key.columns]
    # the version is the store's own count of updates, not a value the user changes
    every = [c.name for c in t.c if c.name not in key and c.name != VERSION]
    compared = tuple(c for c in every if columns is None or c in columns)
    cols = tuple(key) + compared
    if incoming is None:
        incoming = stored.iloc[:0]
    incoming = incoming.reset_index(drop=True)
    if stored.empty:  # every row is new: no keys to match (a first import, fast)
        pos = np.full(len(incoming), -1)
    else:
        pos = _key_index(stored, key).get_indexer(_key_index(incoming, key))
    new = pos < 0
    matched = incoming[~new].reset_index(drop=True)
    before = stored.iloc[pos[~new]].reset_index(drop=True)
    mask = {c: differs(value_kind(t.c[c]), matched[c], before[c]) for c in compared}
    mask_frame = pd.DataFrame(mask, columns=list(compared), dtype=bool)
    any_diff = mask_frame.to_numpy().any(axis=1) if compared else np.zeros(len(matched), bool)
    if removes:
        seen = np.zeros(len(stored), dtype=bool)
        seen[pos[~new]] = True
        removed = stored[~seen].reset_index(drop=True)
    else:
        removed = stored.iloc[:0]
    return TableChanges(
        table=table,
        key=tuple(key),
        columns=cols,
        added=incoming if new.all() else incoming[new].reset_index(drop=True),
        changed=matched[any_diff].reset_index(drop=True),
        before=before[any_diff].reset_index(drop=True),
        changed_mask=mask_frame[any_diff].reset_index(drop=True),
        removed=removed,
        unchanged=int((~any_diff).sum()),
    )


def diff(
    stored: Mapping[str, pd.DataFrame],
    incoming: Mapping[str, pd.DataFrame],
    *,
    mode: str,
    columns: Mapping[str, tuple[str, ...] | set[str]] | None = None,
) -> Changes:
    """The difference between the store's typed frames and the input's, per mode.

    merge and add: tables absent from ``incoming`` are untouched; replace: every table,
    and stored rows whose key the input lacks are removed. ``columns`` names, per table,
    the columns the input carries: merge compares and writes only those, so a sheet
    without an optional column keeps the stored values of that column.
    """
    if mode not in MODES:
        raise ValueError(f"unknown import mode {mode!r}; use one of {', '.join(MODES)}")
    out = Changes(mode)
    for rt in RECORD_TYPES:
        name = rt.table
        frame = incoming.get(name)
        if frame is None and mode != "replace":
            continue
        cols = None
        if mode == "merge" and columns is not None and name in columns:
            cols = tuple(columns[name])
        out.tables[name] = table_diff(
            name,
            stored.get(name, pd.DataFrame(columns=list(TABLES[name].c.keys()))),
            frame,
            columns=cols,
            removes=mode == "replace",
        )
    return out
