"""Shared fixtures: empty stores on SQLite and on a real PostgreSQL server; a fresh copy
of a SQLite store holding the sample portfolio (2026-Q3)."""

from __future__ import annotations

import os
import shutil
import signal
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError, ProgrammingError

from alliance_kit.records.store import Store

# A suite started in the background by a non-interactive shell (CI, `make test &`) inherits
# SIGINT ignored, and so would every process it starts: the Ctrl-C tests send SIGINT as a
# terminal does, so the suite and its children take it as a terminal's foreground job would.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

PG_URL = os.environ.get("ALLIANCE_KIT_TEST_PG")


def _fresh_pg_database() -> tuple[str, str]:
    """Create a throwaway database on the test server; returns (url, name)."""
    if not PG_URL:
        pytest.fail(
            "ALLIANCE_KIT_TEST_PG is not set: run the suite with `make test`, "
            "which starts PostgreSQL (.ci/services.sh)"
        )
    name = f"ak_{uuid.uuid4().hex[:12]}"
    admin = create_engine(
        PG_URL.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return PG_URL.rsplit("/", 1)[0] + "/" + name, name


def _drop_pg_database(name: str) -> None:
    """Drop a throwaway database. FORCE cannot end a backend the test role does not own (an
    autovacuum worker started by the rows a test wrote), so that case falls back to a plain
    DROP, which waits for autovacuum to leave, retried for a few seconds."""
    admin = create_engine(
        PG_URL.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT"
    )
    try:
        for attempt in range(20):
            try:
                with admin.connect() as conn:
                    force = " WITH (FORCE)" if attempt == 0 else ""
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"{force}'))
                    _drop_roles(conn, name)
                return
            except (ProgrammingError, OperationalError):
                if attempt == 19:
                    raise
                time.sleep(0.5)
    finally:
        admin.dispose()


def _drop_roles(conn, database: str) -> None:
    """Drop the roles `alliance-kit access` made for a throwaway database (roles are
    cluster-wide and outlive it): they start with its name."""
    roles = (
        conn.execute(
            text("SELECT rolname FROM pg_roles WHERE starts_with(rolname, :prefix)"),
            {"prefix": database + "_"},
        )
        .scalars()
        .all()
    )
    for role in roles:
        conn.execute(text(f'DROP ROLE IF EXISTS "{role}"'))


@pytest.fixture
def sqlite_store(tmp_path) -> Iterator[Store]:
    store = Store(str(tmp_path / "store.sqlite"))
    store.migrate()
    yield store
    store.engine.dispose()


@pytest.fixture
def pg_store() -> Iterator[Store]:
    url, name = _fresh_pg_database()
    store = Store(url)
    store.migrate()
    yield store
    store.engine.dispose()
    _drop_pg_database(name)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store(request) -> Store:
    """An empty, migrated store; every test using it runs on SQLite and PostgreSQL."""
    return request.getfixturevalue("sqlite_store" if request.param == "sqlite" else "pg_store")


@pytest.fixture(scope="session")
def sample_store_file(tmp_path_factory) -> Path:
    """A migrated SQLite file holding the sample portfolio ending in 2026-Q3 (made once per
    process; tests copy it, never write to it)."""
    from alliance_kit.records import sample

    path = tmp_path_factory.mktemp("sample") / "sample.sqlite"
    store = Store(str(path))
    store.migrate()
    sample.load(store, last_period="2026-Q3")
    store.engine.dispose()
    return path


@pytest.fixture
def sample_store(sample_store_file, tmp_path) -> Iterator[Store]:
    """A fresh copy of the sample portfolio store for one test to change."""
    path = tmp_path / "store.sqlite"
    shutil.copy(sample_store_file, path)
    store = Store(str(path))
    yield store
    store.engine.dispose()
