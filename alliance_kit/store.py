"""The store: the only module that knows tables and SQL.

A SQLite file (WAL mode) by default, a PostgreSQL server for teams. Every write is one
transaction: a failure writes nothing. Reads return DataFrames typed from the model
(dates as ``datetime64``, flags as ``bool``, whole numbers as ``Int64``).
"""

from __future__ import annotations

import datetime as dt
import gc
import os
import sqlite3
import time
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
    select,
    tuple_,
    update,
)
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from alliance_kit import config
from alliance_kit.changes import Changes
from alliance_kit.model import ID_PATTERN, RECORD_TYPES, TABLES, Base, refuse_bad_values, value_kind

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


def make_engine(url: str | None = None) -> Engine:
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
    return create_engine(url, pool_pre_ping=True)


def _alembic_config(engine: Engine):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


class Store:
    """A handle on one alliance store. Cheap to create; share one per process."""

    def __init__(self, url: str | None = None, *, engine: Engine | None = None) -> None:
        self.engine = engine or make_engine(url)
        self.url = self.engine.url.render_as_string(hide_password=True)
        #: the snapshot taken before :func:`open_store` upgraded this store's schema
        self.upgrade_snapshot: str | None = None

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
        with self.engine.connect() as conn:
            driver = conn.connection.driver_connection
            driver.execute("PRAGMA foreign_keys=OFF")  # ignored inside a transaction
            try:
                conn = conn.execution_options(write=True)
                with conn.begin():
                    yield conn
                    _check_foreign_keys(conn)
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
            with self.engine.connect() as conn:
                driver = conn.connection.driver_connection
                driver.execute("PRAGMA foreign_keys=OFF")  # ignored inside a transaction
                try:
                    conn = conn.execution_options(write=True)
                    with conn.begin():
                        yield conn
                finally:
                    driver.execute("PRAGMA foreign_keys=ON")
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
        """Write a :class:`~alliance_kit.changes.Changes` in the caller's transaction
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
                    self.insert(rt.table, tc.added, conn=conn)
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
        stmt = (
            update(t)
            .where(*[t.c[k] == bindparam(f"key_{k}") for k in keys])
            .values({c: bindparam(f"val_{c}") for c in others})
        )
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
        """All rows of a table (optionally ``column == value`` or ``column in [values]``)."""
        t = _table(table)
        query = select(t)
        for name, value in (where or {}).items():
            col = t.c[name]
            if isinstance(value, (list, tuple, set, pd.Series, np.ndarray)):
                query = query.where(col.in_(list(value)))
            else:
                query = query.where(col == value)
        query = query.order_by(*t.primary_key.columns)
        with _paused_gc():
            if conn is not None:
                rows = conn.execute(query).all()
            else:
                with self.engine.connect() as c:
                    rows = c.execute(query).all()
            # column by column: DataFrame.from_records is several times slower on tuples
            columns = zip(*rows, strict=True) if rows else ([] for _ in t.c)
            frame = pd.DataFrame(dict(zip(t.c.keys(), map(list, columns), strict=True)))
        return typed_frame(t, frame)

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
        """Insert rows; with no ``conn`` the insert is its own transaction."""
        t = _table(table)
        _guard(t, rows)
        if isinstance(rows, pd.DataFrame) and self.engine.dialect.name == "sqlite":
            return self._insert_sqlite(t, rows, conn)
        if isinstance(rows, pd.DataFrame) and len(rows) >= _COPY_FROM and _copies(self.engine):
            return self._insert_copy(t, rows, conn)
        records = to_records(t, rows)
        if not records:
            return 0
        if conn is None:
            with self.transaction() as c:
                c.execute(t.insert(), records)
        else:
            conn.execute(t.insert(), records)
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
        """Insert rows or replace those whose primary key exists (what a form's save does)."""
        t = _table(table)
        _guard(t, rows)
        records = to_records(t, rows)
        if not records:
            return 0
        keys = [c.name for c in t.primary_key.columns]

        def run(c: Connection) -> None:
            # Existing rows are updated in place, not deleted and re-inserted: a delete
            # would cascade (ON DELETE CASCADE) to the row's children.
            key_cols = [t.c[k] for k in keys]
            key_values = [tuple(r[k] for k in keys) for r in records]
            found = {
                tuple(row)
                for row in c.execute(
                    select(*key_cols).where(tuple_(*key_cols).in_(key_values))
                ).all()
            }
            old = [r for r, kv in zip(records, key_values, strict=True) if kv in found]
            new = [r for r, kv in zip(records, key_values, strict=True) if kv not in found]
            if old:
                others = [col for col in t.c if col.name not in keys]
                stmt = (
                    update(t)
                    .where(*[t.c[k] == bindparam(f"key_{k}") for k in keys])
                    .values({col.name: bindparam(f"val_{col.name}") for col in others})
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

        self._run(run, conn)
        return len(records)

    def delete(self, table: str, keys: Mapping[str, Any], *, conn: Connection | None = None) -> int:
        t = _table(table)
        stmt = delete(t)
        for name, value in keys.items():
            stmt = stmt.where(t.c[name] == value)
        if conn is None:
            with self.transaction() as c:
                return c.execute(stmt).rowcount
        return conn.execute(stmt).rowcount

    def replace_all(self, frames: Mapping[str, pd.DataFrame]) -> dict[str, int]:
        """Load a whole portfolio in one transaction: what is given replaces what was there.

        Tables absent from ``frames`` are emptied too, so the store equals the input.
        """
        written: dict[str, int] = {}
        with self._bulk_transaction() as conn:
            _empty_all(conn)
            for rt in RECORD_TYPES:
                frame = frames.get(rt.table)
                written[rt.table] = 0 if frame is None else self.insert(rt.table, frame, conn=conn)
        return written

    def next_id(self, table: str, prefix: str, *, width: int = 4) -> str:
        """The next free id like ``KPI-0007`` for records created in a form."""
        col = _table(table).c["id"]
        with self.engine.connect() as conn:
            ids = conn.execute(select(col).where(col.like(f"{prefix}%"))).scalars().all()
        numbers = [int(s[len(prefix) :]) for s in ids if s[len(prefix) :].isdigit()]
        return f"{prefix}{(max(numbers) + 1) if numbers else 1:0{width}d}"


TABLES_WITH_SECRETS: dict[str, Table] = {"invitations": Base.metadata.tables["invitations"]}


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
        except DBAPIError:
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
    except DBAPIError:
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
    return TABLES[name] if name in TABLES else TABLES_WITH_SECRETS[name]


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


def open_store(url: str | None = None, *, create: bool = False) -> Store:
    """Open the store at ``url`` (or the configured default), creating it if asked.

    Without ``create``, a SQLite file that does not exist is refused before anything is
    opened, so a mistyped path neither creates a stray file nor passes for an empty store.
    """
    check_store_url(url)
    if not create:
        missing = _missing_sqlite_file(config.db_url(url))
        if missing is not None:
            raise StoreError(
                f"no store at {missing.resolve()} (file not found); check --db or "
                f"${config.ENV_DB}, or create one with `alliance-kit init` (empty) or "
                "`alliance-kit demo` (sample portfolio)"
            )
    store = Store(url)
    if create:
        store.upgrade_snapshot = _snapshot_before_upgrade(store)
        store.migrate()
    else:
        store.check()
    return store


def _snapshot_before_upgrade(store: Store) -> str | None:
    """Snapshot a store holding records whose schema is behind this version's, before the
    upgrade; returns the snapshot's name (None: nothing to upgrade or nothing stored)."""
    try:
        current = store.revision()
    except OperationalError:
        return None
    if current is None or current == store.head():
        return None
    try:
        with store.engine.connect() as conn:
            if conn.exec_driver_sql("SELECT 1 FROM alliances LIMIT 1").first() is None:
                return None
    except DBAPIError:
        return None
    from alliance_kit import snapshots

    return snapshots.take(store, "upgrade").name


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
