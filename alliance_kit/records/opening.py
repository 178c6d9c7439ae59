"""Opening the configured store safely: a mistyped SQLite path is refused before a stray
file is made, and a store whose schema is behind this version is snapshotted before it is
upgraded (so an upgrade can be undone with ``alliance-kit restore``)."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, OperationalError

from alliance_kit import config
from alliance_kit.records import snapshots
from alliance_kit.records.store import Store, StoreError, _missing_sqlite_file, check_store_url


def open_store(url: str | None = None, *, create: bool = False, role: str | None = None) -> Store:
    """Open the store at ``url`` (or the configured default), creating it if asked;
    ``role``: act as that PostgreSQL role (a dashboard viewer's, see records.access).

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
    store = Store(url, role=role)
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
    return snapshots.take(store, "upgrade").name
