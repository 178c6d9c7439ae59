"""Snapshots of a whole store, taken before every write that can lose data, and restore.

A snapshot is a folder named by UTC time and command (``20261205T183740Z-import-merge``)
holding ``manifest.json`` and the data:

- SQLite: ``store.sqlite``, a copy made with SQLite's backup API (consistent while others
  read or write). Restore copies it back with the same API into the live file in one
  transaction: a process killed midway leaves the store as it was.
- PostgreSQL: one CSV file per table (``COPY ... TO STDOUT``) exported in one
  ``REPEATABLE READ`` transaction, so every table shows the same moment. Restore empties
  and reloads every table in one transaction.

Snapshots live in ``snapshots/`` beside a SQLite store file (``data/snapshots/`` for the
default store), or in ``$ALLIANCE_KIT_SNAPSHOTS`` (PostgreSQL's default:
``data/snapshots/`` of the checkout). The newest ``$ALLIANCE_KIT_SNAPSHOT_KEEP`` (default
20) of each store are kept. A folder being written is named ``.tmp-...`` and renamed when
complete, so a killed snapshot never lists as one.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sqlite3
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData

from alliance_kit import config
from alliance_kit.records.model import ACCESS_TABLES, HISTORY_TABLES
from alliance_kit.records.store import (
    Store,
    StoreError,
    _foreign_keys_checked_at_end,
    row_security_active,
)

MANIFEST = "manifest.json"
SQLITE_FILE = "store.sqlite"
FORMAT = 1
#: A ``.tmp-`` folder older than this was left by a killed snapshot and is removed.
_STALE_SECONDS = 3600


@dataclass(frozen=True)
class Snapshot:
    """One snapshot folder and what its manifest says."""

    name: str
    path: Path
    taken_at: dt.datetime
    command: str
    store: str
    backend: str
    revision: str | None
    records: int

    def describe(self) -> str:
        when = self.taken_at.strftime("%Y-%m-%d %H:%M:%S UTC")
        return f"{self.name}  {when}  {self.command}  {self.records:,} records"


# --- where ----------------------------------------------------------------------------


def store_identity(store: Store) -> str:
    """What names a store across runs and users: a SQLite file's resolved path, or
    PostgreSQL's ``postgresql://host:port/database`` (whichever role connects)."""
    url = store.engine.url
    if url.get_backend_name() == "sqlite":
        return str(Path(url.database or "").resolve())
    return f"postgresql://{url.host or 'localhost'}:{url.port or 5432}/{url.database or ''}"


def location(store: Store) -> Path:
    """The snapshot folder of a store (see the module docstring)."""
    chosen = os.environ.get(config.ENV_SNAPSHOTS)
    if chosen:
        return Path(chosen).expanduser().resolve()
    url = store.engine.url
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        return Path(url.database).resolve().parent / "snapshots"
    return config.project_root() / "data" / "snapshots"


def keep_setting() -> int:
    """How many snapshots of a store are kept (``$ALLIANCE_KIT_SNAPSHOT_KEEP``, default 20)."""
    raw = os.environ.get(config.ENV_SNAPSHOT_KEEP, "").strip()
    if not raw:
        return config.DEFAULT_SNAPSHOT_KEEP
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"${config.ENV_SNAPSHOT_KEEP} must be a whole number of at least 1")
    return int(raw)


# --- listing ------------------------------------------------------------------------


def _read_manifest(folder: Path) -> Snapshot | None:
    try:
        m = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        return Snapshot(
            name=folder.name,
            path=folder,
            taken_at=dt.datetime.fromisoformat(m["taken_at"]),
            command=str(m["command"]),
            store=str(m["store"]),
            backend=str(m["backend"]),
            revision=m.get("revision"),
            records=int(m.get("records", 0)),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def list_snapshots(store: Store) -> list[Snapshot]:
    """The store's snapshots, oldest first."""
    folder = location(store)
    if not folder.is_dir():
        return []
    me = store_identity(store)
    found = [
        snap
        for child in folder.iterdir()
        if child.is_dir() and not child.name.startswith(".")
        for snap in [_read_manifest(child)]
        if snap is not None and snap.store == me
    ]
    return sorted(found, key=lambda s: (s.taken_at, s.name))


def find(store: Store, name: str) -> Snapshot:
    """A snapshot of this store by its name (or a unique beginning of it)."""
    snaps = list_snapshots(store)
    exact = [s for s in snaps if s.name == name]
    if exact:
        return exact[0]
    partial = [s for s in snaps if name and s.name.startswith(name)]
    if len(partial) == 1:
        return partial[0]
    if not partial:
        raise ValueError(
            f"no snapshot {name!r} of the store {store.url} in {location(store)}; "
            "`alliance-kit snapshots` lists them"
        )
    raise ValueError(f"{name!r} names {len(partial)} snapshots; give more of the name")


# --- taking ----------------------------------------------------------------------------


#: Tables a snapshot holds that are not records (the schema version, the change history).
_NOT_RECORDS = frozenset({"alembic_version", *HISTORY_TABLES, *ACCESS_TABLES})


def take(
    store: Store, command: str, *, keep: int | None = None, protect: frozenset[str] = frozenset()
) -> Snapshot:
    """Snapshot the whole store now; then keep only the newest ``keep`` of this store
    (never deleting the ones named in ``protect``)."""
    keep = keep_setting() if keep is None else keep
    folder = location(store)
    folder.mkdir(parents=True, exist_ok=True)
    _remove_stale_temps(folder)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    safe = "".join(ch if ch.isalnum() or ch == "-" else "-" for ch in command)[:40]
    tmp = folder / f".tmp-{uuid.uuid4().hex}"
    tmp.mkdir()
    try:
        if store.engine.dialect.name == "sqlite":
            tables = _sqlite_snapshot(store, tmp / SQLITE_FILE)
        else:
            tables = _postgres_snapshot(store, tmp)
        records = sum(n for name, n in tables.items() if name not in _NOT_RECORDS)
        manifest = {
            "format": FORMAT,
            "taken_at": now.isoformat(),
            "command": command,
            "store": store_identity(store),
            "backend": store.engine.dialect.name,
            "revision": _revision(store),
            "records": records,
            "tables": tables,
        }
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        final = _free_name(folder, f"{now:%Y%m%dT%H%M%SZ}-{safe}")
        tmp.rename(final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    snap = _read_manifest(final)
    assert snap is not None
    prune(store, keep, protect=protect | {snap.name})
    return snap


def _free_name(folder: Path, name: str) -> Path:
    path, n = folder / name, 2
    while path.exists():
        path, n = folder / f"{name}-{n}", n + 1
    return path


def _remove_stale_temps(folder: Path) -> None:
    for child in folder.glob(".tmp-*"):
        try:
            if time.time() - child.stat().st_mtime > _STALE_SECONDS:
                shutil.rmtree(child, ignore_errors=True)
        except OSError:
            pass


def prune(store: Store, keep: int, *, protect: frozenset[str] = frozenset()) -> list[str]:
    """Delete this store's oldest snapshots beyond the newest ``keep``; returns their names."""
    snaps = list_snapshots(store)
    doomed = [s for s in snaps[: max(len(snaps) - keep, 0)] if s.name not in protect]
    for s in doomed:
        shutil.rmtree(s.path, ignore_errors=True)
    return [s.name for s in doomed]


def _revision(store: Store) -> str | None:
    try:
        return store.revision()
    except Exception:  # noqa: BLE001 - an unreadable revision is recorded as unknown
        return None


def _sqlite_file(store: Store) -> Path:
    name = store.engine.url.database
    if not name or name == ":memory:":
        raise StoreError("an in-memory SQLite store cannot be snapshotted")
    return Path(name).resolve()


def _sqlite_connect(path: Path) -> sqlite3.Connection:
    con = sqlite3.connect(path, timeout=60, isolation_level=None)
    con.execute("PRAGMA busy_timeout=60000")
    return con


def _sqlite_snapshot(store: Store, target: Path) -> dict[str, int]:
    src = _sqlite_connect(_sqlite_file(store))
    dst = sqlite3.connect(target, isolation_level=None)
    try:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        names = [
            r[0]
            for r in dst.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        return {n: dst.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}
    finally:
        dst.close()
        src.close()


def _postgres_tables(conn: Any) -> list[Any]:
    """The store's tables as the database has them (any schema revision), parents first."""
    meta = MetaData()
    meta.reflect(bind=conn)
    return [t for t in meta.sorted_tables if t.name not in ACCESS_TABLES]


def _postgres_snapshot(store: Store, folder: Path) -> dict[str, int]:
    counts: dict[str, int] = {}
    order: list[dict[str, Any]] = []
    with store.engine.connect() as conn:
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            conn.exec_driver_sql("SET TRANSACTION READ ONLY")
            quote = conn.dialect.identifier_preparer.quote
            cur_conn = conn.connection.driver_connection
            for t in _postgres_tables(conn):
                cols = [c.name for c in t.c]
                names = ", ".join(quote(c) for c in cols)
                sql = f"COPY (SELECT {names} FROM {quote(t.name)}) TO STDOUT WITH (FORMAT csv)"
                with (
                    open(folder / f"{t.name}.csv", "wb") as out,
                    cur_conn.cursor() as cur,
                    cur.copy(sql) as copy,
                ):
                    for chunk in copy:
                        out.write(chunk)
                counts[t.name] = conn.exec_driver_sql(
                    f"SELECT count(*) FROM {quote(t.name)}"
                ).scalar_one()
                order.append({"name": t.name, "columns": cols})
    (folder / "tables.json").write_text(json.dumps(order, indent=1), encoding="utf-8")
    return counts


# --- restoring ------------------------------------------------------------------------


def restore(store: Store, name: str) -> tuple[Snapshot, Snapshot]:
    """Bring the store back to a snapshot, exactly; the current state is snapshotted first.

    Returns (the snapshot restored, the snapshot of the state it replaced)."""
    snap = find(store, name)
    if snap.backend != store.engine.dialect.name:
        raise ValueError(f"snapshot {snap.name} is of a {snap.backend} store, not this one")
    if snap.backend != "sqlite":
        current = _revision(store)
        if snap.revision != current:
            raise ValueError(
                f"snapshot {snap.name} is at schema {snap.revision}, the store at {current}: "
                "a PostgreSQL snapshot restores into a store at its own schema"
            )
    before = take(store, "restore", protect=frozenset({snap.name}))
    tracked = store.has_history()
    records = store.read_all() if tracked else {}
    if snap.backend == "sqlite":
        history = store.read_history() if tracked else None
        _sqlite_restore(store, snap.path / SQLITE_FILE)
        if tracked and store.has_history():
            with store.transaction() as conn:
                store.record_restore(conn, records, snap.name, history=history)
    else:

        def record(conn: Any) -> None:
            if tracked:
                store.record_restore(conn, records, snap.name)

        _postgres_restore(store, snap.path, after=record)
    return snap, before


def _sqlite_restore(
    store: Store,
    source: Path,
    *,
    pages: int = -1,
    progress: Callable[[int, int, int], object] | None = None,
) -> None:
    """The backup API from the snapshot into the live file. The destination stays locked
    in one write transaction until the copy is complete (however many ``pages`` a step
    copies), so a process killed midway leaves the live store as it was."""
    store.engine.dispose()
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    live = _sqlite_connect(_sqlite_file(store))
    try:
        live.execute("PRAGMA journal_mode=WAL")
        src.backup(live, pages=pages, progress=progress)
    finally:
        live.close()
        src.close()
    store.engine.dispose()


def _postgres_restore(
    store: Store, folder: Path, *, after: Callable[[Any], None] | None = None
) -> None:
    """Every table but the schema version and the change history (which a restore keeps
    and adds to) loaded from the snapshot's CSV files in one transaction; ``after`` runs
    in that transaction once the tables are loaded and checked."""
    order = json.loads((folder / "tables.json").read_text(encoding="utf-8"))
    kept = {"alembic_version", *HISTORY_TABLES, *ACCESS_TABLES}
    tables = [t for t in order if t["name"] not in kept]
    with store.transaction() as conn:
        quote = conn.dialect.identifier_preparer.quote
        names = ", ".join(quote(t["name"]) for t in tables)
        with _foreign_keys_checked_at_end(conn):
            try:
                with conn.begin_nested():
                    conn.exec_driver_sql(f"TRUNCATE {names}")
            except Exception:  # noqa: BLE001 - without the privilege, rows are deleted
                for t in reversed(tables):
                    conn.exec_driver_sql(f"DELETE FROM {quote(t['name'])}")
            driver = conn.connection.driver_connection
            for t in tables:
                name, cols = quote(t["name"]), ", ".join(quote(c) for c in t["columns"])
                # COPY FROM is refused where row-level security applies (a person of the
                # team): such rows go through a temporary table and INSERT, checked per row.
                checked = row_security_active(conn, t["name"])
                target = name
                if checked:
                    target = quote(f"restore_{t['name']}")
                    conn.exec_driver_sql(
                        f"CREATE TEMPORARY TABLE {target} (LIKE {name}) ON COMMIT DROP"
                    )
                sql = f"COPY {target} ({cols}) FROM STDIN WITH (FORMAT csv)"
                with (
                    open(folder / f"{t['name']}.csv", "rb") as src,
                    driver.cursor() as cur,
                    cur.copy(sql) as copy,
                ):
                    while chunk := src.read(1 << 20):
                        copy.write(chunk)
                if checked:
                    conn.exec_driver_sql(f"INSERT INTO {name} ({cols}) SELECT {cols} FROM {target}")
        if after is not None:
            after(conn)
