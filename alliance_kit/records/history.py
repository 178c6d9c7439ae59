"""The change history: who changed which records, when, and through what.

Every write through the store records one *change set* (user, UTC time, database role on
PostgreSQL, the command or notebook) and one row per record added, changed or removed,
with its key and its values before and after as JSON, in the same transaction as the
write: a failed write leaves no history either. Survey answers are recorded as counts
only (no key, no values), and invitation code hashes never appear, so the history is no
way around respondent anonymity. This module holds the plain data (who is writing, what
changed) and the presentation of the history; :mod:`alliance_kit.records.store` writes and reads it.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import math
import os
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

#: The environment variable naming who writes, when no ``--user`` is given.
ENV_USER = "ALLIANCE_KIT_USER"
#: Record types that appear in the history as counts only: answers (and their comments)
#: belong to respondents, and naming them, or their values, would undo anonymity.
COUNT_ONLY = frozenset({"answers"})
#: Columns never written to the history (hashes of invitation codes).
HIDDEN_COLUMNS: dict[str, frozenset[str]] = {"invitations": frozenset({"code_hash"})}
#: A write of more records than this (a whole large portfolio replaced) is recorded as
#: counts per record type; the snapshot taken before such a write holds earlier values.
DETAIL_LIMIT = 20_000
ACTIONS = ("added", "changed", "removed")


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name (some containers)
        return "unknown"


def _default_source() -> str:
    """The notebook (JupyterLab names it in the kernel's environment) or the program."""
    notebook = os.environ.get("JPY_SESSION_NAME")
    if notebook:
        return f"notebook {Path(notebook).name}"
    if "ipykernel" in sys.modules:  # a kernel not started by JupyterLab (papermill, ...)
        return "notebook"
    program = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else "python"
    return f"python {program}"


@dataclass(frozen=True)
class Actor:
    """Who writes and through what: ``user`` (``--user``, else ``$ALLIANCE_KIT_USER``,
    else the login name) and ``source`` (the command or notebook)."""

    user: str
    source: str

    @classmethod
    def current(cls, user: str | None = None, source: str | None = None) -> Actor:
        name = (user or os.environ.get(ENV_USER) or _login_name()).strip() or "unknown"
        return cls(name[:200], (source or _default_source())[:400])


@dataclass
class TableChanges:
    """What one write does to one record type: rows added, rows removed (as they were),
    and changed rows before and after (the two frames aligned row by row). This is what
    :func:`alliance_kit.records.store.record_changes` records; :func:`diff_table` makes one."""

    table: str
    added: pd.DataFrame = field(default_factory=pd.DataFrame)
    removed: pd.DataFrame = field(default_factory=pd.DataFrame)
    before: pd.DataFrame = field(default_factory=pd.DataFrame)
    after: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: Known by their numbers only (the frames hold that many rows, no values).
    counted: bool = False

    @property
    def counts(self) -> dict[str, int]:
        return {"added": len(self.added), "changed": len(self.after), "removed": len(self.removed)}

    @property
    def size(self) -> int:
        return sum(self.counts.values())


def diff_table(
    table: str, before: pd.DataFrame, after: pd.DataFrame, key: list[str]
) -> TableChanges:
    """The changes that turn ``before`` into ``after`` (typed frames of one table) by key."""
    if before.empty or after.empty:
        return TableChanges(table, added=after, removed=before)
    b = before.set_index(key, drop=False)
    a = after.set_index(key, drop=False)
    added = a.index.difference(b.index)
    removed = b.index.difference(a.index)
    common = a.index.intersection(b.index)
    bc, ac = b.loc[common], a.loc[common, list(b.columns)]
    changed = np.zeros(len(common), dtype=bool)
    for col in bc.columns:
        x, y = bc[col], ac[col]
        equal = (x == y).fillna(False).to_numpy(dtype=bool) | (x.isna() & y.isna()).to_numpy()
        changed |= ~equal
    return TableChanges(
        table,
        added=a.loc[added].reset_index(drop=True),
        removed=b.loc[removed].reset_index(drop=True),
        before=bc[changed].reset_index(drop=True),
        after=ac[changed].reset_index(drop=True),
    )


# --- values as JSON ------------------------------------------------------------------------


def plain(value: Any) -> Any:
    """One stored value as JSON: dates as ISO text, missing as None."""
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, (pd.Timestamp, dt.datetime)):
        if value.hour == value.minute == value.second == value.microsecond == 0:
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def values_json(table: str, row: Mapping[str, Any]) -> str:
    hidden = HIDDEN_COLUMNS.get(table, frozenset())
    data = {k: plain(v) for k, v in row.items() if k not in hidden}
    return json.dumps(data, ensure_ascii=False, sort_keys=False, default=str)


def key_json(row: Mapping[str, Any], key: Iterable[str]) -> str:
    return json.dumps({k: plain(row[k]) for k in key}, ensure_ascii=False, default=str)


# --- presentation --------------------------------------------------------------------------

#: Control characters (terminal escapes, carriage returns) shown as visible escapes.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def safe_text(value: Any) -> str:
    """Text for a terminal: control and bidirectional characters made visible, so a
    stored value cannot move the cursor, recolour the screen or hide what follows."""
    return _CONTROL.sub(_escaped, "" if value is None else str(value))


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def what_changed(action: str, count: int, before: str | None, after: str | None) -> str:
    """One line saying what happened to a record (``col: old -> new`` for changes)."""
    if not isinstance(before, str) and not isinstance(after, str):
        return f"{count} {action} (count only)"
    b = json.loads(before) if isinstance(before, str) else {}
    a = json.loads(after) if isinstance(after, str) else {}
    if action == "changed":
        parts = [
            f"{k}: {json.dumps(b.get(k), ensure_ascii=False)} -> "
            f"{json.dumps(a.get(k), ensure_ascii=False)}"
            for k in a
            if b.get(k) != a.get(k)
        ]
        return "; ".join(parts) or "saved unchanged"
    shown = a if action == "added" else b
    return ", ".join(f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in shown.items())


def history_table(frame: pd.DataFrame) -> pd.DataFrame:
    """The history as the ``table`` and ``csv`` formats show it: one line per record."""
    cols = [
        "at",
        "user",
        "db_role",
        "source",
        "record_type",
        "key",
        "alliance_id",
        "action",
        "what",
    ]
    if frame.empty:
        return pd.DataFrame(columns=cols)
    out = frame.copy()
    out["at"] = pd.to_datetime(out["at"]).dt.strftime("%Y-%m-%d %H:%M:%S UTC")
    out["user"] = out["user_name"]
    out["key"] = out["record_key"].map(_key_text)
    out["what"] = [
        what_changed(a, int(n) if pd.notna(n) else 0, b, f) if pd.notna(a) else "no records changed"
        for a, n, b, f in zip(out["action"], out["count"], out["before"], out["after"], strict=True)
    ]
    return out[cols].astype(object).where(out[cols].notna(), None)


def _key_text(key: Any) -> str | None:
    if not isinstance(key, str):
        return None
    return " / ".join(str(v) for v in json.loads(key).values())


def render_text(frame: pd.DataFrame) -> str:
    """A plain-text table of :func:`history_table`, every cell made safe for a terminal."""
    table = history_table(frame)
    if table.empty:
        return "no history"
    headers = list(table.columns)
    rows = [[safe_text(v) for v in r] for r in table.itertuples(index=False)]
    widths = [
        min(60 if h == "what" else 40, max(len(h), *(len(r[i]) for r in rows)))
        for i, h in enumerate(headers)
    ]

    def line(cells: list[str]) -> str:
        return "  ".join(
            (c if len(c) <= w else c[: w - 1] + "…").ljust(w) if i < len(cells) - 1 else c
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(r) for r in rows)])


def render_json(frame: pd.DataFrame) -> str:
    """The history as JSON: one object per change set, with its records."""
    out: list[dict[str, Any]] = []
    for set_id, rows in frame.groupby("change_set_id", sort=False):
        first = rows.iloc[0]
        records = [
            {
                "record_type": r.record_type,
                "key": json.loads(r.record_key) if isinstance(r.record_key, str) else None,
                "alliance_id": r.alliance_id,
                "action": r.action,
                "count": int(r.count),
                "before": json.loads(r.before) if isinstance(r.before, str) else None,
                "after": json.loads(r.after) if isinstance(r.after, str) else None,
            }
            for r in rows.itertuples(index=False)
            if isinstance(r.action, str)
        ]
        out.append(
            {
                "change_set": str(set_id),
                "at": pd.Timestamp(first["at"]).isoformat() + "Z",
                "user": first["user_name"],
                "db_role": first["db_role"] if isinstance(first["db_role"], str) else None,
                "source": first["source"],
                "records": records,
            }
        )
    return json.dumps(out, ensure_ascii=False, indent=2)
