"""Shared fixtures: empty stores on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text

from alliance_kit.store import Store

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
    admin = create_engine(
        PG_URL.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


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
