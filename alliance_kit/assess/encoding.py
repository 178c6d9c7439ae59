"""Alliance ids as integer codes while a portfolio is scored: each table's ``alliance_id``
becomes its row in the alliances table, so per-alliance sums are array lookups, and the
ids are put back on the way out."""

from __future__ import annotations

import numpy as np
import pandas as pd

from alliance_kit.records.model import RECORD_TYPES, TABLES

# --- portfolio ------------------------------------------------------------------------


def subset_frames(frames: dict[str, pd.DataFrame], ids) -> dict[str, pd.DataFrame]:
    """The frames restricted to some alliances (children follow their parents)."""
    kept: dict[str, pd.Series] = {}
    out: dict[str, pd.DataFrame] = {}
    ids = pd.Index(ids)
    for rt in RECORD_TYPES:
        df = frames.get(rt.table)
        if df is None:
            continue
        t = TABLES[rt.table]
        if rt.table == "alliances":
            df = df[df["id"].isin(ids)]
        elif "alliance_id" in t.c:
            df = df[df["alliance_id"].isin(ids)]
        else:
            for col in t.c:
                fks = [fk.column.table.name for fk in col.foreign_keys]
                if fks and fks[0] in kept:
                    df = df[df[col.name].isin(kept[fks[0]])]
                    break
        out[rt.table] = df
        pk = [c.name for c in t.primary_key.columns]
        if pk == ["id"]:
            kept[rt.table] = df["id"]
    return out


#: Tables coded in the order of their ids rather than of their rows: a side's survey
#: mean adds its respondents' means in that order, so the same answers give the same
#: figures to the last digit whatever order the rows come in.
ID_ORDER = ("respondents",)


def _row_codes(ids: pd.Series, by_id: bool) -> np.ndarray:
    """Each row's integer code: its position, or with ``by_id`` its rank among the ids."""
    if not by_id:
        return np.arange(len(ids))
    rank = np.empty(len(ids), dtype=np.int64)
    rank[np.argsort(ids.to_numpy(), kind="stable")] = np.arange(len(ids))
    return rank


def lookup(ids: pd.Index, keys: pd.Series) -> np.ndarray:
    """Position of each key among ``ids`` (a primary key), -1 when absent or empty.

    ``Index.join`` (public pandas): one merge pass when both sides are sorted, as the
    store reads tables in primary key order and child rows (answers by respondent) mostly
    follow; hashing otherwise, and whenever a key is missing (an optional reference left
    empty does not compare with text, so it cannot take the merge pass)."""
    fk = keys.to_numpy()
    if not len(fk) or not len(ids) or pd.isna(fk[0]) and pd.isna(fk).all():
        return np.full(len(fk), -1, dtype=np.intp)
    left = pd.Index(fk, dtype=object) if fk.dtype == object else pd.Index(fk)
    _, lidx, ridx = left.join(ids, how="left", return_indexers=True)
    found = np.arange(len(fk), dtype=np.intp) if ridx is None else np.asarray(ridx, np.intp)
    if lidx is None:  # the joined rows are the keys in their own order
        return found
    out = np.full(len(fk), -1, dtype=np.intp)
    out[np.asarray(lidx)] = found
    return out


def encode_ids(frames: dict[str, pd.DataFrame]) -> tuple[dict[str, pd.DataFrame], pd.Index]:
    """The frames with text ids replaced by integer codes: positions in their table
    (ranks for ID_ORDER tables), foreign keys by the code of the row they reference,
    -1 when dangling or empty.

    Grouping and joining on integers skips re-hashing the same id strings in every
    groupby and merge; returns the alliance ids to decode results with.
    """
    keys: dict[str, pd.Index] = {}
    codes: dict[str, np.ndarray] = {}
    for name, t in TABLES.items():
        df = frames.get(name)
        if df is not None and [c.name for c in t.primary_key.columns] == ["id"]:
            keys[name] = pd.Index(df["id"])
            codes[name] = _row_codes(df["id"], name in ID_ORDER)
    out = dict(frames)
    for name, t in TABLES.items():
        df = frames.get(name)
        if df is None:
            continue
        new: dict[str, np.ndarray] = {}
        if name in keys:
            new["id"] = codes[name]
        for col in t.c:
            for fk in col.foreign_keys:
                target = fk.column.table.name
                if target in keys:
                    row = lookup(keys[target], df[col.name])
                    new[col.name] = np.append(codes[target], -1)[row]
        if new:
            out[name] = df.assign(**new)
    return out, keys.get("alliances", pd.Index([]))


def decode_ids(df: pd.DataFrame, ids: pd.Index, column: str = "alliance_id") -> pd.DataFrame:
    return df.assign(**{column: ids.take(df[column].to_numpy().astype(np.int64))})


def decode_index(df: pd.DataFrame, ids: pd.Index) -> pd.DataFrame:
    """The frame, its index of coded alliance ids turned back into ids (in place)."""
    df.index = pd.Index(ids.take(df.index.to_numpy().astype(np.int64)), name="alliance_id")
    return df
