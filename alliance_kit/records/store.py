"""The store: the only module that knows tables and SQL.

A SQLite file (WAL mode) by default, a PostgreSQL server for teams. Every write is one
transaction: a failure writes nothing. Reads return DataFrames typed from the model
(dates as ``datetime64``, flags as ``bool``, whole numbers as ``Int64``).
"""

from __future__ import annotations

import datetime as dt
import gc
import os
import re
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import (
    Boolean,
    Connection,
    Date,
    DateTime,
    Engine,
    Float,
    Integer,
    Table,
    bindparam,
    create_engine,
    delete,
    event,
    func,
    inspect,
    null,
    select,
    tuple_,
    update,
)
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from alliance_kit import config
from alliance_kit.records.changes import Changes
from alliance_kit.records.history import (
    COUNT_ONLY,
    DETAIL_LIMIT,
    Actor,
    TableChanges,
    diff_table,
    key_json,
    values_json,
)
from alliance_kit.records.model import (
    ALLIANCE_PATH,
    HISTORY_TABLES,
    ID_PATTERN,
    RECORD_TYPES,
    TABLES,
    VERSION,
    Base,
    refuse_bad_values,
    value_kind,
)

MIGRATIONS = Path(__file__).with_name("migrations")


class StoreError(RuntimeError):
    """A store that cannot be used as asked (missing, not initialised, out of date)."""


class StoreBusy(StoreError):
    """Another program held the store longer than this one would wait (an import, a
    long write): nothing was written; try again when it has finished."""


#: Seconds a write waits for another writer before giving up ($ALLIANCE_KIT_DB_TIMEOUT).
ENV_TIMEOUT = "ALLIANCE_KIT_DB_TIMEOUT"
DEFAULT_TIMEOUT = 60.0


def busy_timeout() -> float:
    """How long a write waits for the store's write lock, in seconds."""
    raw = os.environ.get(ENV_TIMEOUT, "").strip()
    try:
        value = float(raw) if raw else DEFAULT_TIMEOUT
    except ValueError:
        raise StoreError(f"${ENV_TIMEOUT} must be a number of seconds, not {raw!r}") from None
    return max(value, 0.0)


def _busy_message(url: str, seconds: float) -> str:
    return (
        f"the store {url} is busy: another program (an import, a report or a form saving) "
        f"has held it for more than {seconds:g} s; nothing was written. Try again when it "
        f"has finished (${ENV_TIMEOUT} sets how long to wait)."
    )


def _translate_busy(ctx: Any) -> None:
    """SQLAlchemy ``handle_error`` hook: SQLite's "database is locked" after the busy
    timeout becomes :class:`StoreBusy`, a message instead of a driver traceback."""
    orig = ctx.original_exception
    if isinstance(orig, sqlite3.OperationalError) and (
        "database is locked" in str(orig) or "database is busy" in str(orig)
    ):
        url = ctx.engine.url.render_as_string(hide_password=True) if ctx.engine else "store"
        raise StoreBusy(_busy_message(url, busy_timeout())) from orig


class StaleRecordError(StoreError):
    """A save over records someone changed (or removed) since they were loaded.

    ``stale`` holds one row per refused record: its type, key, the version the writer
    held and the store's, and who changed it last and when (UTC)."""

    def __init__(self, stale: pd.DataFrame, *, hidden_from: str | None = None) -> None:
        self.stale = stale
        message = stale_message(stale)
        if hidden_from:  # row-level security: "removed" may mean "not yours to see"
            message += (
                f" (or it belongs to an alliance the role {hidden_from} may not see or "
                "change; nothing was written)"
            )
        super().__init__(message)


def stale_message(stale: pd.DataFrame) -> str:
    """``KPI-0001 (kpis) was changed by alice at 2026-12-05 18:03 UTC since it was loaded``"""
    parts = []
    for r in stale.to_dict("records"):
        what = f"{r['key']} ({r['record_type']})"
        gone = r["store_version"] is None or pd.isna(r["store_version"])
        verb = "was removed" if gone else "was changed"
        by = f" by {r['changed_by']}" if r.get("changed_by") else ""
        at = r.get("changed_at")
        when = (
            f" at {pd.Timestamp(at):%Y-%m-%d %H:%M} UTC" if at is not None and pd.notna(at) else ""
        )
        held = f"version {r['held_version']}"
        now = "" if gone else f", now version {int(r['store_version'])}"
        parts.append(f"{what} {verb}{by}{when} since it was loaded ({held}{now})")
    return "; ".join(parts) + "; reload to see the change, then make yours again"


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # The driver's own transaction handling is switched off so that BEGIN IMMEDIATE
    # below takes the write lock up front: two writers then queue instead of deadlocking.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={int(busy_timeout() * 1000)}")
    cur.close()


def _sqlite_begin(conn: Connection) -> None:
    conn.exec_driver_sql(
        "BEGIN IMMEDIATE" if conn.get_execution_options().get("write") else "BEGIN"
    )


def make_engine(url: str | None = None, role: str | None = None) -> Engine:
    """The engine of a store. ``role`` (PostgreSQL): every connection takes that role
    (``SET ROLE``), so row-level security applies as that person; the login must be a
    member of it (an admin is a member of every person's role: see records.access)."""
    url = config.db_url(url)
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1] if "///" in url else ""
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": busy_timeout()})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        event.listen(engine, "handle_error", _translate_busy)
        return engine
    engine = create_engine(url, pool_pre_ping=True)
    if role:
        event.listen(engine, "connect", _set_role(role))
    event.listen(engine, "handle_error", _refusal_translator(role or engine.url.username or ""))
    return engine


def _set_role(role: str) -> Callable[[Any, Any], None]:
    def set_role(dbapi_conn: Any, _record: Any) -> None:
        from psycopg import sql

        with dbapi_conn.cursor() as cur:
            cur.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(role)))
        dbapi_conn.commit()

    return set_role


def refusal_message(role: str, error: str) -> str:
    """A write or read PostgreSQL refused, said in the team's terms."""
    table = re.search(r'(?:table|relation) "?([a-z_]+)"?', error)
    what = table.group(1) if table else "this record"
    if "row-level security" in error:
        return (
            f"refused: the role {role} may not write this {what} row. An owner changes only "
            "their own alliances; changing another alliance needs the analyst or admin "
            "role, or `alliance-kit access grant --person NAME --role owner --alliance ID`. "
            "Nothing was written."
        )
    if "must be owner" in error:
        return (
            f"refused: the schema of {what} can only be changed by the store's owner (the "
            f"role that created it), not {role}: upgrading the schema and restoring a "
            "snapshot are the owner's. Nothing was written."
        )
    return (
        f"refused: the role {role} has no right to this on {what} ({error.strip()}). Writing "
        "records needs the analyst, owner or admin role; executives and readers only read. "
        "Nothing was written."
    )


#: Columns that say who a respondent is (their name, e-mail, role, level, own words) or
#: hold a code's hash: executives and readers have no privilege on them (see
#: records.access) and read them as empty. Scores need none of them: a respondent stays
#: an id and a side.
PRIVATE_COLUMNS: dict[str, tuple[str, ...]] = {
    "respondents": ("label", "email", "role", "org_level"),
    "answers": ("comment",),
    "invitations": ("code_hash",),
}


class AccessRefused(StoreError):
    """PostgreSQL refused a read or write to this role (privileges or row-level security);
    the transaction was rolled back: nothing was written."""


def _refusal_translator(role: str) -> Callable[[Any], None]:
    """SQLAlchemy ``handle_error`` hook: PostgreSQL's ``insufficient_privilege`` (a table
    the role may not write, a row outside an owner's alliances) becomes
    :class:`AccessRefused`, saying which role would be needed."""

    def translate(ctx: Any) -> None:
        orig = ctx.original_exception
        if getattr(orig, "sqlstate", None) != "42501":
            return
        raise AccessRefused(refusal_message(role, str(orig))) from orig

    return translate


def _alembic_config(engine: Engine):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


class Store:
    """A handle on one alliance store. Cheap to create; share one per process."""

    def __init__(
        self,
        url: str | None = None,
        *,
        engine: Engine | None = None,
        actor: Actor | None = None,
        role: str | None = None,
    ) -> None:
        self.engine = engine or make_engine(url, role)
        #: private columns this role may not read, per table (found at first read)
        self._hidden: dict[str, frozenset[str]] = {}
        self.url = self.engine.url.render_as_string(hide_password=True)
        #: the snapshot taken before :func:`open_store` upgraded this store's schema
        self.upgrade_snapshot: str | None = None
        #: Who writes through this handle, and through what (written to the history).
        self.actor = actor or Actor.current()

    # --- schema ---------------------------------------------------------------------

    def migrate(self) -> str:
        """Create or upgrade the schema to the newest migration; returns the revision."""
        from alembic import command

        command.upgrade(_alembic_config(self.engine), "head")
        return self.revision() or ""

    def revision(self) -> str | None:
        from alembic.runtime.migration import MigrationContext

        with self.engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    def head(self) -> str:
        from alembic.script import ScriptDirectory

        return ScriptDirectory.from_config(_alembic_config(self.engine)).get_current_head() or ""

    def check(self) -> None:
        """Raise StoreError unless the schema is at the newest migration."""
        try:
            current = self.revision()
        except OperationalError as exc:
            raise StoreError(f"cannot open the store {self.url}: {exc.orig}") from exc
        if current is None:
            raise StoreError(f"the store {self.url} is empty; run `alliance-kit init` first")
        if current != self.head():
            raise StoreError(
                f"the store {self.url} is at schema {current}, this version needs "
                f"{self.head()}; run `alliance-kit init` to upgrade it"
            )

    # --- transactions ----------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One write transaction: everything inside commits together or not at all."""
        with self.engine.connect() as conn:
            conn = conn.execution_options(write=True)
            with conn.begin():
                yield conn

    @contextmanager
    def _bulk_transaction(self) -> Iterator[Connection]:
        """A write transaction for loading a whole portfolio, with foreign keys checked
        once, in one pass at the end, instead of at every inserted row (SQLite: ``PRAGMA
        foreign_key_check``; PostgreSQL: constraints dropped and added again); a dangling
        reference still rolls everything back."""
        if self.engine.dialect.name == "postgresql":
            with self.transaction() as conn:
                _lock_for_replace(conn, self.url)
                with _foreign_keys_checked_at_end(conn):
                    yield conn
            return
        if self.engine.dialect.name != "sqlite":
            with self.transaction() as conn:
                yield conn
            return
        with self._sqlite_unchecked_write() as conn:
            yield conn
            _check_foreign_keys(conn)

    @contextmanager
    def _sqlite_unchecked_write(self) -> Iterator[Connection]:
        """A SQLite write transaction on a connection whose foreign keys are not enforced
        (the caller checks them once before commit); enforcement is back afterwards."""
        with self.engine.connect() as conn:
            driver = conn.connection.driver_connection
            driver.execute("PRAGMA foreign_keys=OFF")  # ignored inside a transaction
            try:
                conn = conn.execution_options(write=True)
                with conn.begin():
                    yield conn
            finally:
                driver.execute("PRAGMA foreign_keys=ON")

    @contextmanager
    def exclusive_write(self) -> Iterator[Connection]:
        """A write transaction that reads what it will change and keeps every other writer
        out until it commits (an import: read the store, compare, write the difference).

        SQLite: ``BEGIN IMMEDIATE`` with foreign keys unenforced on this connection;
        :meth:`apply_changes` checks the tables it touched before commit. PostgreSQL: the
        record tables are locked against other writers (readers go on)."""
        if self.engine.dialect.name == "sqlite":
            with self._sqlite_unchecked_write() as conn:
                yield conn
            return
        with self.transaction() as conn:
            if conn.dialect.name == "postgresql":
                quote = conn.dialect.identifier_preparer.quote
                names = [rt.table for rt in RECORD_TYPES] + list(TABLES_WITH_SECRETS)
                conn.exec_driver_sql(
                    "LOCK TABLE "
                    + ", ".join(quote(n) for n in names)
                    + " IN SHARE ROW EXCLUSIVE MODE"
                )
            yield conn

    def apply_changes(self, changes: Changes, conn: Connection) -> dict[str, int]:
        """Write a :class:`~alliance_kit.records.changes.Changes` in the caller's transaction
        (from :meth:`exclusive_write`): removed rows deleted children first, then added
        rows inserted and changed rows updated parents first. Survey invitations of
        removed respondents go with them. Returns ``{"invitations_removed": n}``."""
        touched: set[str] = set()
        removed_from: set[str] = set()
        invitations_removed = 0
        respondents = changes.tables.get("respondents")
        if respondents is not None and len(respondents.removed):
            inv = TABLES_WITH_SECRETS["invitations"]
            ids = respondents.removed["id"].tolist()
            for i in range(0, len(ids), 500):
                chunk = ids[i : i + 500]
                invitations_removed += conn.execute(
                    delete(inv).where(inv.c.respondent_id.in_(chunk))
                ).rowcount
        added = sum(len(tc.added) for tc in changes.tables.values())
        bulk = conn.dialect.name == "postgresql" and added >= _DEFER_CHECKS_FROM
        with _foreign_keys_checked_at_end(conn) if bulk else _nothing():
            for rt in reversed(RECORD_TYPES):
                tc = changes.tables.get(rt.table)
                if tc is not None and len(tc.removed):
                    self._delete_keys(TABLES[rt.table], tc.removed, conn)
                    removed_from.add(rt.table)
            for rt in RECORD_TYPES:
                tc = changes.tables.get(rt.table)
                if tc is None:
                    continue
                if len(tc.added):
                    self._insert(rt.table, tc.added, conn=conn)
                    touched.add(rt.table)
                if len(tc.changed):
                    self._update_rows(TABLES[rt.table], tc.changed, tc.columns, conn)
                    touched.add(rt.table)
        if conn.dialect.name == "sqlite" and not _sqlite_enforces_keys(conn):
            children = {
                t.name
                for t in Base.metadata.sorted_tables
                for fk in t.foreign_keys
                if fk.column.table.name in removed_from
            }
            _check_foreign_keys(conn, sorted(touched | children))
        record_changes(conn, _history_of(changes), self.actor)
        return {"invitations_removed": invitations_removed}

    @staticmethod
    def _delete_keys(t: Table, rows: pd.DataFrame, conn: Connection) -> None:
        keys = [c.name for c in t.primary_key.columns]
        stmt = delete(t).where(*[t.c[k] == bindparam(f"key_{k}") for k in keys])
        records = to_records(t, rows[keys])
        conn.execute(stmt, [{f"key_{k}": r[k] for k in keys} for r in records])

    @staticmethod
    def _update_rows(
        t: Table, rows: pd.DataFrame, columns: Iterable[str], conn: Connection
    ) -> None:
        keys = [c.name for c in t.primary_key.columns]
        others = [c for c in columns if c not in keys]
        if not others:
            return
        _guard(t, rows[keys + others])
        values: dict[str, Any] = {c: bindparam(f"val_{c}") for c in others}
        if VERSION in t.c:
            others = [c for c in others if c != VERSION]
            values = {c: bindparam(f"val_{c}") for c in others} | {VERSION: t.c[VERSION] + 1}
        stmt = update(t).where(*[t.c[k] == bindparam(f"key_{k}") for k in keys]).values(values)
        records = to_records(t, rows[keys + others])
        params = [
            {f"key_{k}": r[k] for k in keys} | {f"val_{c}": r[c] for c in others} for r in records
        ]
        with _paused_gc():
            conn.execute(stmt, params)

    # --- reads -----------------------------------------------------------------------

    def read(
        self,
        table: str,
        where: Mapping[str, Any] | None = None,
        *,
        conn: Connection | None = None,
    ) -> pd.DataFrame:
        """All rows of a table (optionally ``column == value`` or ``column in [values]``).
        Columns this role may not read (a respondent's name for an executive) are empty."""
        t = _table(table)
        with _paused_gc():
            query = select(*self._readable(t, conn))
            for name, value in (where or {}).items():
                col = t.c[name]
                if isinstance(value, (list, tuple, set, pd.Series, np.ndarray)):
                    query = query.where(col.in_(list(value)))
                else:
                    query = query.where(col == value)
            query = query.order_by(*t.primary_key.columns)
            if conn is not None:
                rows = conn.execute(query).all()
            else:
                with self.engine.connect() as c:
                    rows = c.execute(query).all()
            # column by column: DataFrame.from_records is several times slower on tuples
            columns = zip(*rows, strict=True) if rows else ([] for _ in t.c)
            frame = pd.DataFrame(dict(zip(t.c.keys(), map(list, columns), strict=True)))
        return typed_frame(t, frame)

    def _readable(self, t: Table, conn: Connection | None = None) -> list[Any]:
        """The table's columns to select: a private column (PRIVATE_COLUMNS) this role has
        no privilege to read is selected as NULL under its name (PostgreSQL, per person)."""
        private = PRIVATE_COLUMNS.get(t.name)
        if not private or self.engine.dialect.name != "postgresql":
            return list(t.c)
        hidden = self._hidden.get(t.name)
        if hidden is None:
            sql = "SELECT " + ", ".join(
                f"has_column_privilege(%(t)s, '{c}', 'SELECT')" for c in private
            )
            if conn is not None:
                allowed = conn.exec_driver_sql(sql, {"t": t.name}).one()
            else:
                with self.engine.connect() as c:
                    allowed = c.exec_driver_sql(sql, {"t": t.name}).one()
            hidden = frozenset(c for c, ok in zip(private, allowed, strict=True) if not ok)
            self._hidden[t.name] = hidden
        return [null().label(c.name) if c.name in hidden else c for c in t.c]

    def rows(self, table: str, where: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """Rows as plain dicts of Python values (None for NULL), without building a
        DataFrame: for the few-row lookups a web request makes (a survey code, a
        respondent), where :meth:`read`'s typed frame costs more than the query."""
        t = _table(table)
        query = select(*self._readable(t))
        for name, value in (where or {}).items():
            col = t.c[name]
            if isinstance(value, (list, tuple, set)):
                query = query.where(col.in_(list(value)))
            else:
                query = query.where(col == value)
        query = query.order_by(*t.primary_key.columns)
        with self.engine.connect() as c:
            return [dict(m) for m in c.execute(query).mappings().all()]

    def read_all(
        self, tables: Iterable[str] | None = None, *, conn: Connection | None = None
    ) -> dict[str, pd.DataFrame]:
        """Several tables read in one consistent snapshot (or in the caller's transaction)."""
        # In one fixed order (the model's), the order in which an import locks them: two
        # transactions taking the same locks in the same order queue, never deadlock.
        order = list(TABLES) + list(TABLES_WITH_SECRETS)
        names = sorted(tables or TABLES, key=lambda n: order.index(n) if n in order else 0)
        if conn is not None:
            return {name: self.read(name, conn=conn) for name in names}
        with self.engine.connect() as c, c.begin():
            return {name: self.read(name, conn=c) for name in names}

    def holds_records(self) -> dict[str, int]:
        """Rows per record table that has any, plus ``invitations`` when there are some
        (what a wholesale write puts at stake)."""
        counts = {k: n for k, n in self.counts().items() if n}
        with self.engine.connect() as conn:
            t = TABLES_WITH_SECRETS["invitations"]
            n = conn.execute(select(func.count()).select_from(t)).scalar_one()
        if n:
            counts["invitations"] = n
        return counts

    def counts(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            return {
                name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                for name, t in TABLES.items()
            }

    # --- writes ----------------------------------------------------------------------

    def insert(
        self, table: str, rows: pd.DataFrame | list[dict], *, conn: Connection | None = None
    ) -> int:
        """Insert rows (recorded in the history); with no ``conn`` the insert is its own
        transaction."""
        t = _table(table)
        if isinstance(rows, pd.DataFrame):
            rows = _with_versions(t, rows)
            added = rows
        else:
            rows = [_with_defaults(t, r) for r in rows]
            added = pd.DataFrame(rows)

        def run(c: Connection) -> int:
            n = self._insert(table, rows, conn=c)
            record_changes(c, [TableChanges(table, added=added)], self.actor)
            return n

        return self._run(run, conn)

    def _insert(
        self, table: str, rows: pd.DataFrame | list[dict], *, conn: Connection | None = None
    ) -> int:
        """Insert rows, no history (the caller records it): frames by the bulk paths."""
        t = _table(table)
        _guard(t, rows)
        if isinstance(rows, pd.DataFrame):
            rows = _with_versions(t, rows)
            if self.engine.dialect.name == "sqlite":
                return self._insert_sqlite(t, rows, conn)
            if len(rows) >= _COPY_FROM and _copies(self.engine):
                return self._insert_copy(t, rows, conn)
        records = to_records(t, rows)
        if not records:
            return 0
        self._run(lambda c: c.execute(t.insert(), records), conn)
        return len(records)

    def _insert_sqlite(self, t: Table, df: pd.DataFrame, conn: Connection | None) -> int:
        """Bulk path for a frame into SQLite: columns converted vectorized to the values
        SQLAlchemy's SQLite types store, then multi-row INSERTs (far fewer statement
        steps than one row per statement; bulk imports)."""
        if df.empty:
            return 0
        cols = [c for c in t.c if c.name in df.columns]
        flat = _interleaved([_bulk_column(c, df[c.name]) for c in cols])
        per = max(1, _SQLITE_MAX_PARAMS // len(cols))  # rows per statement
        step = per * len(cols)
        chunks = [tuple(flat[i : i + step]) for i in range(0, len(flat), step)]

        def run(c: Connection) -> None:
            if len(chunks) > 1:
                c.exec_driver_sql(_insert_sql(t, cols, per), chunks[:-1])
            last = chunks[-1]
            c.exec_driver_sql(_insert_sql(t, cols, len(last) // len(cols)), last)

        with _paused_gc():
            self._run(run, conn)
        return len(df)

    def _insert_copy(self, t: Table, df: pd.DataFrame, conn: Connection | None) -> int:
        """Bulk path for a frame into PostgreSQL: ``COPY ... FROM STDIN`` (rows streamed
        in one statement, not one INSERT each)."""
        cols = [c for c in t.c if c.name in df.columns]
        columns = [_bulk_column(c, df[c.name]) for c in cols]
        names = ", ".join(f'"{c.name}"' for c in cols)
        sql = f'COPY "{t.name}" ({names}) FROM STDIN'

        def run(c: Connection) -> None:
            # COPY FROM is refused where row-level security applies (a person of the
            # team, not the tables' owner): their rows go in as INSERTs, checked per row.
            if row_security_active(c, t.name):
                c.execute(t.insert(), to_records(t, df))
                return
            dbapi_error = c.dialect.loaded_dbapi.Error
            try:
                with c.connection.driver_connection.cursor() as cur, cur.copy(sql) as copy:
                    for row in zip(*columns, strict=True):
                        copy.write_row(row)
            except dbapi_error as exc:  # as SQLAlchemy reports it (IntegrityError, ...)
                raise DBAPIError.instance(sql, None, exc, dbapi_error) from exc

        with _paused_gc():
            self._run(run, conn)
        return len(df)

    def _run(self, run: Callable[[Connection], Any], conn: Connection | None) -> Any:
        """``run`` in the caller's transaction, or in a write transaction of its own."""
        if conn is not None:
            return run(conn)
        with self.transaction() as c:
            return run(c)

    def upsert(
        self, table: str, rows: pd.DataFrame | list[dict], *, conn: Connection | None = None
    ) -> int:
        """Insert rows or update those whose primary key exists (what a form's save does).

        Each update adds one to the row's version. A row that carries a ``version`` (the
        one it was loaded at) is only saved over that same version: if someone changed or
        removed the record since, nothing is written and StaleRecordError names who and
        when. Rows without a version are saved regardless (new records, computed rows).
        """
        t = _table(table)
        _guard(t, rows)
        records = to_records(t, rows)
        if not records:
            return 0
        keys = [c.name for c in t.primary_key.columns]
        versioned = VERSION in t.c

        def run(c: Connection) -> None:
            # Existing rows are updated in place, not deleted and re-inserted: a delete
            # would cascade (ON DELETE CASCADE) to the row's children.
            key_cols = [t.c[k] for k in keys]
            key_values = [tuple(r[k] for k in keys) for r in records]
            query = select(t).where(tuple_(*key_cols).in_(key_values))
            if c.dialect.name == "postgresql":
                query = query.with_for_update()  # no other writer between check and update
            stored = {tuple(m[k] for k in keys): dict(m) for m in c.execute(query).mappings().all()}
            if versioned:
                held = [r for r in records if r.get(VERSION) is not None]
                stale = _stale(c, table, keys, held, stored)
                if not stale.empty:
                    raise StaleRecordError(stale, hidden_from=_hidden_from(c, table, stale))
            pairs = list(zip(records, key_values, strict=True))
            old = [r for r, kv in pairs if kv in stored]
            new = [r | ({VERSION: 1} if versioned else {}) for r, kv in pairs if kv not in stored]
            others = [col for col in t.c if col.name not in keys and col.name != VERSION]
            after = [
                {k: r[k] for k in keys}
                | {col.name: r.get(col.name, _default(col)) for col in others}
                | ({VERSION: stored[kv][VERSION] + 1} if versioned else {})
                for r, kv in pairs
                if kv in stored
            ]
            if old:
                values = {col.name: bindparam(f"val_{col.name}") for col in others}
                if versioned:
                    values[VERSION] = t.c[VERSION] + 1
                stmt = (
                    update(t).where(*[t.c[k] == bindparam(f"key_{k}") for k in keys]).values(values)
                )
                c.execute(
                    stmt,
                    [
                        {f"key_{k}": r[k] for k in keys}
                        | {f"val_{col.name}": r.get(col.name, _default(col)) for col in others}
                        for r in old
                    ],
                )
            if new:
                c.execute(t.insert(), new)
            before = [stored[kv] for r, kv in pairs if kv in stored]
            change = TableChanges(
                table,
                added=pd.DataFrame(new),
                before=pd.DataFrame(before),
                after=pd.DataFrame(after),
            )
            record_changes(c, [change], self.actor)

        self._run(run, conn)
        return len(records)

    def delete(self, table: str, keys: Mapping[str, Any], *, conn: Connection | None = None) -> int:
        """Delete the rows matching ``keys`` (recorded in the history as removed)."""
        t = _table(table)
        stmt = delete(t)
        query = select(t)
        for name, value in keys.items():
            stmt = stmt.where(t.c[name] == value)
            query = query.where(t.c[name] == value)

        def run(c: Connection) -> int:
            gone = pd.DataFrame([dict(m) for m in c.execute(query).mappings().all()])
            record_changes(c, [TableChanges(table, removed=gone)], self.actor)
            return c.execute(stmt).rowcount

        return self._run(run, conn)

    def replace_all(self, frames: Mapping[str, pd.DataFrame]) -> dict[str, int]:
        """Load a whole portfolio in one transaction: what is given replaces what was there.

        Tables absent from ``frames`` are emptied too, so the store equals the input,
        versions included (a row without one starts at 1). The history records what
        changed, record by record (by counts for a record type beyond DETAIL_LIMIT rows).
        """
        written: dict[str, int] = {}
        with self._bulk_transaction() as conn:
            given = {
                rt.table: _with_versions(TABLES[rt.table], frames.get(rt.table))
                for rt in RECORD_TYPES
            }
            changes = self._replacement_changes(conn, given)
            _empty_all(conn)
            for rt in RECORD_TYPES:
                frame = given[rt.table]
                written[rt.table] = 0 if frame.empty else self._insert(rt.table, frame, conn=conn)
            record_changes(conn, changes, self.actor)
        return written

    def _replacement_changes(
        self, conn: Connection, frames: Mapping[str, pd.DataFrame]
    ) -> list[TableChanges]:
        """What replacing every table by ``frames`` changes: a diff by key per table, or,
        when the store or the input holds more than DETAIL_LIMIT records (answers aside),
        each table's rows as counts (removed, added), read from nothing but the counts."""
        stored = {
            rt.table: conn.execute(select(func.count()).select_from(TABLES[rt.table])).scalar_one()
            for rt in RECORD_TYPES
        }

        def total(tables: list[str]) -> int:
            return max(sum(stored[t] for t in tables), sum(len(frames[t]) for t in tables))

        counted = [rt.table for rt in RECORD_TYPES if rt.table in COUNT_ONLY]
        detailed = [rt.table for rt in RECORD_TYPES if rt.table not in COUNT_ONLY]
        # answers are only counted, but diffing them still reads them all: allow more
        big = total(detailed) > DETAIL_LIMIT or total(counted) > 10 * DETAIL_LIMIT
        out = []
        for rt in RECORD_TYPES:
            t = TABLES[rt.table]
            new = frames[rt.table]
            if stored[rt.table] == 0 and new.empty:
                continue
            if big:
                out.append(_counted(rt.table, removed=stored[rt.table], added=len(new)))
                continue
            if stored[rt.table]:
                old = self.read(rt.table, conn=conn)
            else:
                old = typed_frame(t, pd.DataFrame())
            keys = [c.name for c in t.primary_key.columns]
            out.append(diff_table(rt.table, old, typed_frame(t, new), keys))
        return out

    # --- history and versions ------------------------------------------------------------

    def has_history(self) -> bool:
        """Whether the store's schema holds the change history (not a store restored from
        a snapshot taken before the history existed)."""
        names = set(inspect(self.engine).get_table_names())
        return set(HISTORY_TABLES) <= names

    def read_history(self) -> dict[str, pd.DataFrame]:
        """The change history's two tables as stored (kept across a restore)."""
        with self.engine.connect() as conn:
            return {
                name: pd.DataFrame(conn.execute(select(t)).mappings().all(), columns=t.c.keys())
                for name, t in HISTORY_TABLES.items()
            }

    def record_restore(
        self,
        conn: Connection,
        before: Mapping[str, pd.DataFrame],
        snapshot: str,
        *,
        history: Mapping[str, pd.DataFrame] | None = None,
    ) -> str:
        """After a restore, in its transaction: put back the history entries the snapshot
        lacked (``history``: the tables as they were before), then record the restore
        itself, record by record, as a change from ``before`` (typed frames) to what
        the store now holds."""
        if history is not None:
            _add_missing_history(conn, history)
        after = self.read_all(conn=conn)
        big = sum(len(before.get(n, ())) + len(after[n]) for n in after if n not in COUNT_ONLY)
        out = []
        for rt in RECORD_TYPES:
            old = before.get(rt.table, after[rt.table].iloc[:0])
            new = after[rt.table]
            if old.empty and new.empty:
                continue
            if big > 2 * DETAIL_LIMIT:
                out.append(_counted(rt.table, removed=len(old), added=len(new)))
                continue
            keys = [c.name for c in TABLES[rt.table].primary_key.columns]
            out.append(diff_table(rt.table, old, new, keys))
        return record_changes(conn, out, Actor(self.actor.user, f"restore {snapshot}"))

    def stale_records(
        self, frames: Mapping[str, pd.DataFrame], *, conn: Connection | None = None
    ) -> pd.DataFrame:
        """:meth:`stale_rows` over every record type of ``frames`` (a portfolio read from
        an export): the rows a ``--merge`` import refuses unless forced, in table order."""
        found = [
            self.stale_rows(rt.table, frames[rt.table], conn=conn)
            for rt in RECORD_TYPES
            if rt.table in frames and VERSION in frames[rt.table].columns
        ]
        found = [f for f in found if not f.empty]
        columns = [
            "record_type",
            "key",
            "held_version",
            "store_version",
            "changed_by",
            "changed_at",
        ]
        return pd.concat(found, ignore_index=True) if found else pd.DataFrame(columns=columns)

    def history(
        self,
        *,
        alliance: str | None = None,
        since: dt.datetime | None = None,
        user: str | None = None,
    ) -> pd.DataFrame:
        """The change history, oldest first: one row per record changed (joined with its
        change set); change sets that changed no record appear once with no record."""
        cs, cr = HISTORY_TABLES["change_sets"], HISTORY_TABLES["change_rows"]
        query = select(
            cs.c.id.label("change_set_id"),
            cs.c.at,
            cs.c.user_name,
            cs.c.db_role,
            cs.c.source,
            cr.c.record_type,
            cr.c.record_key,
            cr.c.alliance_id,
            cr.c.action,
            cr.c.count,
            cr.c.before,
            cr.c.after,
        ).select_from(cs.outerjoin(cr, cr.c.change_set_id == cs.c.id))
        if alliance is not None:
            query = query.where(cr.c.alliance_id == alliance)
        if since is not None:
            query = query.where(cs.c.at >= since)
        if user is not None:
            query = query.where(cs.c.user_name == user)
        query = query.order_by(cs.c.at, cs.c.id, cr.c.seq)
        with self.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        return pd.DataFrame([dict(r) for r in rows], columns=list(query.selected_columns.keys()))

    def stale_rows(
        self, table: str, rows: pd.DataFrame, *, conn: Connection | None = None
    ) -> pd.DataFrame:
        """The rows of ``rows`` (with a ``version``, say from an export) whose stored
        record has a newer version or is gone: what a merge import must refuse unless
        forced. One row each: record type, key, held and stored version, who changed
        it last and when. Rows without a version, or not stored, are not stale."""
        t = _table(table)
        keys = [c.name for c in t.primary_key.columns]
        records = [r for r in to_records(t, rows) if r.get(VERSION) is not None]

        def run(c: Connection) -> pd.DataFrame:
            stored: dict[tuple, dict[str, Any]] = {}
            key_cols = [t.c[k] for k in keys]
            for i in range(0, len(records), 500):
                chunk = [tuple(r[k] for k in keys) for r in records[i : i + 500]]
                found = c.execute(select(t).where(tuple_(*key_cols).in_(chunk))).mappings()
                stored.update({tuple(m[k] for k in keys): dict(m) for m in found})
            present = [r for r in records if tuple(r[k] for k in keys) in stored]
            return _stale(c, table, keys, present, stored, newer_only=True)

        if conn is not None:
            return run(conn)
        with self.engine.connect() as c:
            return run(c)

    def next_id(self, table: str, prefix: str, *, width: int = 4) -> str:
        """The next free id like ``KPI-0007`` for records created in a form."""
        col = _table(table).c["id"]
        with self.engine.connect() as conn:
            if _has_function(conn, "ak_max_id(text,text)"):
                # every row's id, also those row-level security hides from this role
                top = conn.exec_driver_sql("SELECT ak_max_id(%s, %s)", (table, prefix)).scalar()
                return f"{prefix}{(top or 0) + 1:0{width}d}"
            ids = conn.execute(select(col).where(col.like(f"{prefix}%"))).scalars().all()
        numbers = [int(s[len(prefix) :]) for s in ids if s[len(prefix) :].isdigit()]
        return f"{prefix}{(max(numbers) + 1) if numbers else 1:0{width}d}"


TABLES_WITH_SECRETS: dict[str, Table] = {"invitations": Base.metadata.tables["invitations"]}
#: What ``alliance-kit notify`` sent (alliance_kit.delivery.notify): written through the store with
#: its history, but neither a record type (never imported, exported or replaced) nor a secret.
TABLES_OUTBOX: dict[str, Table] = {"notifications": Base.metadata.tables["notifications"]}


# --- history and versions ----------------------------------------------------------------


def _with_versions(t: Table, rows: pd.DataFrame | None) -> pd.DataFrame:
    """``rows`` with every missing version set to 1 (a record not stored before)."""
    if rows is None:
        return pd.DataFrame()
    if VERSION not in t.c or rows.empty or VERSION not in rows.columns:
        return rows
    version = rows[VERSION]
    if not version.isna().any():
        return rows
    return rows.assign(**{VERSION: pd.to_numeric(version).fillna(1).astype("Int64")})


def _with_defaults(t: Table, row: Mapping[str, Any]) -> dict[str, Any]:
    """A row to insert with the model's scalar defaults for what it leaves out or empty
    (as the insert fills them), so the history shows what was stored."""
    out = dict(row)
    for col in t.c:
        if col.default is None or not col.default.is_scalar:
            continue
        if col.name not in out or (col.name == VERSION and out[col.name] is None):
            out[col.name] = col.default.arg
    return out


def _history_of(diff: Changes) -> list[TableChanges]:
    """An import's :class:`~alliance_kit.records.changes.Changes` as the history records them:
    whole rows added and removed, changed rows before and after in the compared columns
    (the version, which the write raises by one, is left out)."""
    out = []
    for name, tc in diff.tables.items():
        if tc.empty:
            continue
        cols = [c for c in tc.columns if c != VERSION]
        out.append(
            TableChanges(
                name,
                added=_with_versions(TABLES[name], tc.added),
                removed=tc.removed,
                before=tc.before[cols] if len(tc.changed) else pd.DataFrame(),
                after=tc.changed[cols] if len(tc.changed) else pd.DataFrame(),
            )
        )
    return out


def _add_missing_history(conn: Connection, history: Mapping[str, pd.DataFrame]) -> None:
    """Insert the change sets (and their rows) of ``history`` the store does not hold."""
    sets, rows = HISTORY_TABLES["change_sets"], HISTORY_TABLES["change_rows"]
    held = set(conn.execute(select(sets.c.id)).scalars())
    old_sets = history["change_sets"]
    missing = old_sets[~old_sets["id"].isin(held)]
    if missing.empty:
        return
    conn.execute(sets.insert(), _plain_records(missing))
    old_rows = history["change_rows"]
    lost = old_rows[old_rows["change_set_id"].isin(set(missing["id"]))]
    if not lost.empty:
        conn.execute(rows.insert(), _plain_records(lost))


def _plain_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts of plain Python values (None for missing) for an INSERT."""
    out = frame.astype(object).where(frame.notna(), None).to_dict("records")
    for r in out:
        for k, v in r.items():
            if isinstance(v, pd.Timestamp):
                r[k] = v.to_pydatetime()
            elif isinstance(v, np.generic):
                r[k] = v.item()
    return out


def _counted(table: str, **counts: int) -> TableChanges:
    """Changes known only by their counts: frames of that many empty rows."""
    return TableChanges(
        table,
        counted=True,
        **{what: pd.DataFrame(index=range(n)) for what, n in counts.items()},
    )


def _hidden_from(conn: Connection, table: str, stale: pd.DataFrame) -> str | None:
    """The role, when records it holds are "removed" and row-level security may be
    hiding them from it (PostgreSQL, a person of the team), else None."""
    if conn.dialect.name != "postgresql" or stale["store_version"].notna().all():
        return None
    if not row_security_active(conn, table):
        return None
    return conn.exec_driver_sql("SELECT current_user").scalar_one()


def row_security_active(conn: Connection, table: str) -> bool:
    """PostgreSQL applies row-level security to this connection's role on ``table`` (a
    person of the team; never the tables' owner, never SQLite)."""
    if conn.dialect.name != "postgresql":
        return False
    return bool(conn.exec_driver_sql("SELECT row_security_active(%s)", (table,)).scalar())


def _has_function(conn: Connection, signature: str) -> bool:
    """A PostgreSQL store whose schema has this function (those of migration 0004)."""
    if conn.dialect.name != "postgresql":
        return False
    return bool(
        conn.exec_driver_sql("SELECT to_regprocedure(%s) IS NOT NULL", (signature,)).scalar()
    )


def _stale(
    conn: Connection,
    table: str,
    keys: list[str],
    held: list[dict[str, Any]],
    stored: Mapping[tuple, Mapping[str, Any]],
    *,
    newer_only: bool = False,
) -> pd.DataFrame:
    """The records of ``held`` whose stored version differs from the one they carry
    (``newer_only``: is newer), or that are no longer stored, with who changed them last."""
    found = []
    for r in held:
        kv = tuple(r[k] for k in keys)
        now = stored.get(kv)
        mine = int(r[VERSION])
        if now is None:
            bad = not newer_only
        else:
            bad = now[VERSION] > mine if newer_only else now[VERSION] != mine
        if bad:
            found.append(
                {
                    "record_type": table,
                    "key": " / ".join(str(v) for v in kv),
                    "record_key": key_json(r, keys),
                    "held_version": mine,
                    "store_version": None if now is None else int(now[VERSION]),
                }
            )
    columns = ["record_type", "key", "held_version", "store_version", "changed_by", "changed_at"]
    if not found:
        return pd.DataFrame(columns=columns)
    last = _last_changes(conn, table, [f["record_key"] for f in found])
    for f in found:
        f["changed_by"], f["changed_at"] = last.get(f.pop("record_key"), (None, None))
    return pd.DataFrame(found, columns=columns)


def _last_changes(
    conn: Connection, table: str, record_keys: list[str]
) -> dict[str, tuple[str, dt.datetime]]:
    """Who changed each record last and when, from the history (key JSON -> who, when)."""
    cs, cr = HISTORY_TABLES["change_sets"], HISTORY_TABLES["change_rows"]
    query = (
        select(cr.c.record_key, cs.c.user_name, cs.c.db_role, cs.c.at)
        .join(cs, cs.c.id == cr.c.change_set_id)
        .where(cr.c.record_type == table, cr.c.record_key.in_(record_keys))
        .order_by(cs.c.at, cr.c.seq)
    )
    out = {}
    for key, user, role, at in conn.execute(query).all():
        out[key] = (user if not role or role == user else f"{user} ({role})", at)
    return out


def record_changes(conn: Connection, changes: Iterable[TableChanges], context: Actor) -> str:
    """Write the history of a write, in the caller's transaction; returns the change set id.

    All calls within one transaction share one change set (who, when, what through, and on
    PostgreSQL the database role). Each record is one row with its key and its values
    before and after as JSON; answers, and record types with more than DETAIL_LIMIT rows
    in one write, are counted instead (per alliance for answers). Invitation code hashes
    are left out. The import modes, the forms, the survey and restore all write this way.
    """
    changes = list(changes)
    set_id, seq = _change_set(conn, context)
    rows: list[dict[str, Any]] = []
    for change in changes:
        if change.size:
            rows.extend(_history_rows(conn, set_id, change, changes))
    for i, row in enumerate(rows, start=seq):
        row["seq"] = i
    if rows:
        conn.execute(HISTORY_TABLES["change_rows"].insert(), rows)
        txn = conn.info["alliance_kit_change_set"][0]
        conn.info["alliance_kit_change_set"] = (txn, set_id, seq + len(rows))
    return set_id


def _change_set(conn: Connection, context: Actor) -> tuple[str, int]:
    """The change set of the connection's current transaction, made at its first write,
    and the number of its next history row."""
    txn = conn.get_transaction()
    held = conn.info.get("alliance_kit_change_set")
    if held is not None and txn is not None and held[0] is txn:
        return held[1], held[2]
    role = None
    user = context.user
    if conn.dialect.name == "postgresql":
        # A person of the team is recorded under their name (row-level security insists)
        role = conn.exec_driver_sql("SELECT current_user").scalar_one()
        if _has_function(conn, "ak_person(name)"):
            user = conn.exec_driver_sql("SELECT ak_person(current_user)").scalar() or user
    set_id = uuid.uuid4().hex
    at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    conn.execute(
        HISTORY_TABLES["change_sets"]
        .insert()
        .values(id=set_id, at=at, user_name=user, db_role=role, source=context.source)
    )
    conn.info["alliance_kit_change_set"] = (txn, set_id, 1)
    return set_id, 1


def _history_rows(
    conn: Connection, set_id: str, change: TableChanges, everything: Iterable[TableChanges]
) -> list[dict[str, Any]]:
    table = change.table
    t = _table(table)
    keys = [c.name for c in t.primary_key.columns]
    base = {"change_set_id": set_id, "record_type": table}
    detailed = not change.counted and table not in COUNT_ONLY and change.size <= DETAIL_LIMIT
    if not detailed:
        out = []
        for action, frame in (
            ("added", change.added),
            ("changed", change.after),
            ("removed", change.removed),
        ):
            if not len(frame):  # (counted changes are frames of rows without columns)
                continue
            if table in COUNT_ONLY and set(keys) <= set(frame.columns):
                alliances = _alliances(conn, table, frame, everything)
                groups = alliances.fillna("").value_counts(sort=False).items()
            else:
                groups = [("", len(frame))]
            out.extend(
                base
                | {
                    "record_key": None,
                    "alliance_id": a or None,
                    "action": action,
                    "count": int(n),
                    "before": None,
                    "after": None,
                }
                for a, n in groups
            )
        return out
    out = []
    for action, frame, before in (
        ("added", change.added, None),
        ("changed", change.after, change.before),
        ("removed", change.removed, None),
    ):
        if frame.empty:
            continue
        alliances = _alliances(conn, table, frame, everything).tolist()
        rows = frame.to_dict("records")
        olds = before.to_dict("records") if before is not None else [None] * len(rows)
        for row, old, alliance in zip(rows, olds, alliances, strict=True):
            out.append(
                base
                | {
                    "record_key": key_json(row, keys),
                    "alliance_id": alliance,
                    "action": action,
                    "count": 1,
                    "before": values_json(table, row if action == "removed" else old)
                    if action != "added"
                    else None,
                    "after": values_json(table, row) if action != "removed" else None,
                }
            )
    return out


def _alliances(
    conn: Connection, table: str, frame: pd.DataFrame, everything: Iterable[TableChanges]
) -> pd.Series:
    """The alliance each row belongs to (through its parents if need be): from the row,
    the other changes of the same write (parents removed with it), then the store."""
    if table == "alliances":
        return frame["id"].astype(object)
    if "alliance_id" in frame.columns:
        return frame["alliance_id"].astype(object)
    if table not in ALLIANCE_PATH:
        return pd.Series([None] * len(frame), dtype=object)
    link, parent = ALLIANCE_PATH[table]
    ids = frame[link]
    lookup = _parent_alliances(conn, parent, set(ids.dropna()), list(everything))
    return ids.map(lookup).astype(object).where(ids.map(lookup).notna(), None)


def _parent_alliances(
    conn: Connection, table: str, ids: set[Any], everything: list[TableChanges]
) -> dict[Any, Any]:
    """Alliance of each record ``id`` of ``table`` (a table keyed by ``id``)."""
    if not ids:
        return {}
    if table == "alliances":
        return {i: i for i in ids}
    link = "alliance_id" if table not in ALLIANCE_PATH else ALLIANCE_PATH[table][0]
    pairs: dict[Any, Any] = {}
    for change in everything:
        if change.table != table:
            continue
        for frame in (change.added, change.removed, change.after):
            if not frame.empty and "id" in frame.columns and link in frame.columns:
                known = frame[frame["id"].isin(ids)]
                pairs.update(zip(known["id"], known[link], strict=True))
    t = _table(table)
    missing = list(ids - set(pairs))
    for i in range(0, len(missing), 500):
        query = select(t.c.id, t.c[link]).where(t.c.id.in_(missing[i : i + 500]))
        pairs.update(dict(conn.execute(query).all()))
    if link == "alliance_id":
        return pairs
    up = _parent_alliances(conn, ALLIANCE_PATH[table][1], set(pairs.values()) - {None}, everything)
    return {i: up.get(p) for i, p in pairs.items()}


def _empty_all(conn: Connection) -> None:
    """Delete every record (and every survey invitation) within the transaction.
    PostgreSQL truncates (far faster than deleting row by row, and leaves no dead rows),
    which locks the tables until commit; without the privilege to, rows are deleted."""
    tables = [rt.model.__table__ for rt in reversed(RECORD_TYPES)]
    tables.append(TABLES_WITH_SECRETS["invitations"])
    if conn.dialect.name == "postgresql":
        quote = conn.dialect.identifier_preparer.quote
        try:
            with conn.begin_nested():
                conn.exec_driver_sql("TRUNCATE " + ", ".join(quote(t.name) for t in tables))
            return
        except (DBAPIError, AccessRefused):  # not the tables' owner
            pass
    for t in tables:
        conn.execute(delete(t))


#: PostgreSQL: how long one attempt to lock every table for an import waits (shorter
#: than the server's deadlock_timeout of 1 s, so a reader waiting on a table the import
#: already holds is never part of a deadlock: the import lets go first and tries again).
_LOCK_ATTEMPT = "200ms"
_LOCK_RETRY_CODES = ("55P03", "40P01")  # lock_not_available, deadlock_detected


def _lock_for_replace(conn: Connection, url: str) -> None:
    """PostgreSQL: take every record table (and invitations) IN ACCESS EXCLUSIVE MODE, in
    the model's order, before the import touches any. An attempt that cannot get them all
    within _LOCK_ATTEMPT rolls back to its savepoint, which releases what it got, and
    tries again until busy_timeout(); so readers queue behind the import (they see the old
    portfolio or, after the commit, the new one) and never deadlock with it. A role that
    may not take such locks loads as before, table by table."""
    quote = conn.dialect.identifier_preparer.quote
    names = [rt.table for rt in RECORD_TYPES] + list(TABLES_WITH_SECRETS)
    sql = "LOCK TABLE " + ", ".join(quote(n) for n in names) + " IN ACCESS EXCLUSIVE MODE"
    timeout = busy_timeout()
    deadline = time.monotonic() + timeout
    pause = 0.05
    while True:
        try:
            with conn.begin_nested():
                conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{_LOCK_ATTEMPT}'")
                conn.exec_driver_sql(sql)
            conn.exec_driver_sql("SET LOCAL lock_timeout = DEFAULT")
            return
        except DBAPIError as exc:
            code = getattr(exc.orig, "sqlstate", None)
            if code not in _LOCK_RETRY_CODES:
                return  # e.g. no privilege for such locks: the row-by-row path still works
            if time.monotonic() >= deadline:
                raise StoreBusy(_busy_message(url, timeout)) from exc
            time.sleep(pause)
            pause = min(pause * 2, 1.0)


@contextmanager
def _foreign_keys_checked_at_end(conn: Connection) -> Iterator[None]:
    """PostgreSQL: drop the foreign keys of the record tables, let the caller load, then
    add them again, which checks every row in one pass per key (a join) rather than by a
    trigger per inserted row. DDL is transactional there: a failure restores them. A role
    that does not own the tables keeps the row-by-row checks."""
    names = [rt.table for rt in RECORD_TYPES] + list(TABLES_WITH_SECRETS)
    keys = conn.exec_driver_sql(
        "SELECT cl.relname, co.conname, pg_get_constraintdef(co.oid) "
        "FROM pg_constraint co JOIN pg_class cl ON cl.oid = co.conrelid "
        "WHERE co.contype = 'f' AND cl.relnamespace = current_schema()::regnamespace "
        "AND cl.relname = ANY(%(names)s) ORDER BY cl.relname, co.conname",
        {"names": names},
    ).all()
    quote = conn.dialect.identifier_preparer.quote
    try:
        with conn.begin_nested():
            for table, name, _ in keys:
                conn.exec_driver_sql(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")
    except (DBAPIError, AccessRefused):  # not the tables' owner
        keys = []
    yield
    for table, name, definition in keys:
        add = f"ADD CONSTRAINT {quote(name)} {definition}"
        conn.exec_driver_sql(f"ALTER TABLE {quote(table)} {add}")


def _check_foreign_keys(conn: Connection, tables: Iterable[str] | None = None) -> None:
    """Raise IntegrityError (as a row-wise check would) if any reference dangles (of the
    given tables' rows only, when named)."""
    sqls = (
        ["PRAGMA foreign_key_check"]
        if tables is None
        else [f'PRAGMA foreign_key_check("{name}")' for name in tables]
    )
    for sql in sqls:
        _raise_dangling(conn, sql)


def _raise_dangling(conn: Connection, sql: str) -> None:
    found = conn.exec_driver_sql(sql).first()
    if found is not None:
        table, rowid, parent, _ = found
        orig = sqlite3.IntegrityError(
            f"FOREIGN KEY constraint failed: row {rowid} of {table} refers to no {parent}"
        )
        raise IntegrityError(sql, None, orig)


def _guard(t: Table, rows: pd.DataFrame | list[dict]) -> None:
    """The last guard before SQL: text no store or export can carry and ids that could
    not name a file are refused (model.refuse_bad_values) whatever path they came by."""
    text = [c for c in t.c if value_kind(c) == "text"]
    ids = {c.name for c in text if c.info.get("pattern") == ID_PATTERN}
    if isinstance(rows, pd.DataFrame):
        columns = {c.name: rows[c.name].tolist() for c in text if c.name in rows.columns}
    else:
        columns = {c.name: [r.get(c.name) for r in rows] for c in text}
        columns = {k: v for k, v in columns.items() if any(x is not None for x in v)}
    refuse_bad_values(t.name, columns, ids)


def _sqlite_enforces_keys(conn: Connection) -> bool:
    return bool(conn.exec_driver_sql("PRAGMA foreign_keys").scalar())


@contextmanager
def _nothing() -> Iterator[None]:
    yield


#: Added rows from which a PostgreSQL import checks foreign keys once at the end.
_DEFER_CHECKS_FROM = 20_000


def _default(col: Any) -> Any:
    """What a column holds when a replacing row does not give it (as an insert would)."""
    default = col.default
    return default.arg if default is not None and getattr(default, "is_scalar", False) else None


def _table(name: str) -> Table:
    """A record table, or a secrets table (read and written by name, never bulk-exported)."""
    if name in TABLES:
        return TABLES[name]
    return TABLES_WITH_SECRETS[name] if name in TABLES_WITH_SECRETS else TABLES_OUTBOX[name]


def _missing_sqlite_file(url: str) -> Path | None:
    """The file a SQLite URL names when it does not exist (None: it exists, or the URL is
    not a plain SQLite file: PostgreSQL, in-memory, ``file:`` URI)."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.query.get("uri"):
        return None
    name = parsed.database or ""
    if name in ("", ":memory:") or name.startswith("file:"):
        return None
    path = Path(name)
    return None if path.exists() else path


STORE_URL_HELP = (
    "a store is a SQLite file (such as data/alliance_kit.sqlite) or a PostgreSQL URL "
    "(postgresql://user:password@host/database)"
)
_SQLITE_HEADER = b"SQLite format 3\x00"
_INTAKE_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".csv"}


def check_store_url(url: str | None) -> None:
    """Refuse, in one line, a --db value that cannot be a store: another database's URL,
    an intake workbook, or an existing file that is not a SQLite database."""
    resolved = config.db_url(url)
    scheme = resolved.split("://", 1)[0]
    shown = _redacted(url or resolved)
    if not (scheme.startswith("sqlite") or scheme.startswith("postgresql")):
        raise StoreError(f"{shown} is not a store alliance-kit can use: {STORE_URL_HELP}")
    if not scheme.startswith("sqlite"):
        return
    path = resolved.split("///", 1)[1] if "///" in resolved else ""
    if not path or path == ":memory:":
        return
    file = Path(path)
    if file.suffix.lower() in _INTAKE_SUFFIXES:
        raise StoreError(
            f"{file.name} looks like an intake file, not a store: load it with "
            f"`alliance-kit import {file.name}`; {STORE_URL_HELP}"
        )
    if file.is_dir():
        raise StoreError(f"{file} is a folder, not a store: {STORE_URL_HELP}")
    if file.is_file() and file.stat().st_size > 0:
        with file.open("rb") as fh:
            if fh.read(len(_SQLITE_HEADER)) != _SQLITE_HEADER:
                raise StoreError(f"{file} is not a SQLite database: {STORE_URL_HELP}")


def _redacted(url: str) -> str:
    """A URL as it may be printed: without the password."""
    if "://" not in url or "@" not in url:
        return url
    scheme, rest = url.split("://", 1)
    creds, host = rest.rsplit("@", 1)
    return f"{scheme}://{creds.split(':', 1)[0]}:***@{host}" if ":" in creds else url


# --- typing between DataFrames and rows ----------------------------------------------


def typed_frame(table: Table, df: pd.DataFrame) -> pd.DataFrame:
    """Give each column the dtype its model column implies."""
    out = {}
    for col in table.c:
        s = df[col.name] if col.name in df else pd.Series([None] * len(df), dtype=object)
        if isinstance(col.type, (Date, DateTime)):
            s = pd.to_datetime(s, errors="coerce")
            s = s.astype("datetime64[ns]")
        elif isinstance(col.type, Boolean):
            s = s.fillna(False).astype(bool)
        elif isinstance(col.type, Integer):
            s = pd.to_numeric(s, errors="coerce").astype("Int64")
        elif isinstance(col.type, Float):
            s = pd.to_numeric(s, errors="coerce").astype("float64")
        else:
            s = s.astype(object).where(s.notna(), None)
        out[col.name] = s.reset_index(drop=True)
    return pd.DataFrame(out, columns=list(table.c.keys()))


def _py(value: Any, kind: str) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and np.isnan(value):
        return None
    if kind == "date":
        return value.date() if isinstance(value, (pd.Timestamp, dt.datetime)) else value
    if kind == "datetime":
        return value.to_pydatetime() if isinstance(value, pd.Timestamp) else value
    if kind == "bool":
        return bool(value)
    if kind == "int":
        return int(value)
    if kind == "float":
        return float(value)
    return value


def _bulk_column(col: Any, s: pd.Series) -> list[Any]:
    """One column for the bulk paths: as SQLite stores it through SQLAlchemy (dates as
    ISO text, flags 0/1), which is also text PostgreSQL's COPY reads for each type."""
    kind = value_kind(col)
    if kind in ("date", "datetime"):
        s = pd.to_datetime(s, errors="coerce")
        fmt = "%Y-%m-%d" if kind == "date" else "%Y-%m-%d %H:%M:%S.%f"
        out = s.dt.strftime(fmt).astype(object)
    elif kind == "bool":
        out = s.fillna(False).astype(bool).astype(int).astype(object)
    elif kind == "int":
        out = pd.to_numeric(s, errors="coerce").astype("Int64").astype(object)
    elif kind == "float":
        out = pd.to_numeric(s, errors="coerce").astype("float64").astype(object)
    else:
        out = s.astype(object)
    return out.where(out.notna(), None).tolist()


#: Rows from which a frame goes to PostgreSQL by COPY (forms save a row or two).
_COPY_FROM = 1_000


def _copies(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql" and engine.dialect.driver == "psycopg"


#: Bound parameters per statement: SQLite's limit before 3.32 (newer builds allow more).
_SQLITE_MAX_PARAMS = 999


def _insert_sql(t: Table, cols: list[Any], rows: int) -> str:
    """``INSERT INTO t (a, b) VALUES (?, ?), (?, ?), ...`` for ``rows`` rows."""
    names = ", ".join(f'"{c.name}"' for c in cols)
    one = "(" + ", ".join("?" for _ in cols) + ")"
    return f'INSERT INTO "{t.name}" ({names}) VALUES ' + ", ".join([one] * rows)


def _interleaved(columns: list[list[Any]]) -> list[Any]:
    """Column lists as one row-major list of values (slice assignment runs in C)."""
    width = len(columns)
    flat: list[Any] = [None] * (width * len(columns[0]))
    for i, values in enumerate(columns):
        flat[i::width] = values
    return flat


@contextmanager
def _paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while millions of row tuples are made: they
    hold no cycles, and the collector's repeated passes over them cost seconds."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def to_records(table: Table, rows: pd.DataFrame | list[dict]) -> list[dict[str, Any]]:
    """Rows as plain Python values the driver accepts (None for missing)."""
    df = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
    if df.empty:
        return []
    cols = [c for c in table.c if c.name in df.columns]
    converted = {}
    for col in cols:
        kind = value_kind(col)
        values = df[col.name].tolist()
        converted[col.name] = [_py(v, kind) for v in values]
    names = list(converted)
    return [dict(zip(names, vals, strict=True)) for vals in zip(*converted.values(), strict=True)]
