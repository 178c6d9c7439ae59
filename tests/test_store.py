"""The store on SQLite and PostgreSQL: schema, typed reads, atomic writes."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy.exc import IntegrityError

from alliance_kit.model import TABLES
from alliance_kit.store import Store, StoreError, open_store


def alliance(id_: str = "A001", **kw) -> dict:
    row = dict(
        id=id_,
        name="Cloud co-sell",
        partner="Müller & Söhne AG",
        type="co-sell",
        stage="5 working together",
        start_date=dt.date(2024, 1, 15),
        owner="Dana",
        expected_revenue=12_500_000.0,
        currency="EUR",
        importance=4,
    )
    row.update(kw)
    return row


def test_migrate_creates_every_table_at_head(store: Store) -> None:
    assert store.revision() == store.head()
    assert set(store.counts()) == set(TABLES)
    store.check()


def test_reads_are_typed_from_the_model(store: Store) -> None:
    store.insert("alliances", [alliance()])
    store.insert(
        "kpis",
        [
            dict(
                id="K1",
                alliance_id="A001",
                name="Pipeline",
                direction="increase",
                baseline=1.5,
                target=None,
                agreed_by_both=True,
            )
        ],
    )
    a = store.read("alliances")
    assert a.loc[0, "start_date"] == pd.Timestamp("2024-01-15")
    assert str(a["importance"].dtype) == "Int64"
    assert a.loc[0, "partner"] == "Müller & Söhne AG"
    k = store.read("kpis")
    assert k["agreed_by_both"].dtype == bool and bool(k.loc[0, "agreed_by_both"])
    assert pd.isna(k.loc[0, "target"]) and k.loc[0, "baseline"] == 1.5


def test_failed_write_writes_nothing(store: Store) -> None:
    store.insert("alliances", [alliance()])
    with pytest.raises(IntegrityError):
        store.insert("alliances", [alliance("A002"), alliance("A001")])  # duplicate key
    assert store.read("alliances")["id"].tolist() == ["A001"]


def test_foreign_keys_are_enforced(store: Store) -> None:
    with pytest.raises(IntegrityError):
        store.insert(
            "people", [dict(id="P1", alliance_id="NOPE", side="us", name="x", org_level="vp")]
        )
    assert store.counts()["people"] == 0


def test_transaction_commits_together_or_not_at_all(store: Store) -> None:
    with pytest.raises(RuntimeError), store.transaction() as conn:
        store.insert("alliances", [alliance()], conn=conn)
        raise RuntimeError("crash in the middle")
    assert store.counts()["alliances"] == 0
    with store.transaction() as conn:
        store.insert("alliances", [alliance()], conn=conn)
        store.insert("alliances", [alliance("A002")], conn=conn)
    assert store.counts()["alliances"] == 2


def test_upsert_replaces_by_primary_key(store: Store) -> None:
    store.insert("alliances", [alliance()])
    store.upsert("alliances", [alliance(name="Renamed"), alliance("A002")])
    a = store.read("alliances")
    assert a["name"].tolist() == ["Renamed", "Cloud co-sell"]


def test_replace_all_is_atomic(store: Store) -> None:
    store.insert("alliances", [alliance()])
    bad = {
        "alliances": pd.DataFrame([alliance("B001")]),
        "people": pd.DataFrame(
            [dict(id="P1", alliance_id="ZZZ", side="us", name="x", org_level="vp")]
        ),
    }
    with pytest.raises(IntegrityError):
        store.replace_all(bad)
    assert store.read("alliances")["id"].tolist() == ["A001"]
    written = store.replace_all({"alliances": pd.DataFrame([alliance("B001")])})
    assert written["alliances"] == 1 and store.read("alliances")["id"].tolist() == ["B001"]


def test_read_filters_and_next_id(store: Store) -> None:
    store.insert("alliances", [alliance("A001"), alliance("A002"), alliance("A010")])
    assert store.read("alliances", {"id": ["A002", "A010"]})["id"].tolist() == ["A002", "A010"]
    assert store.read("alliances", {"id": "A001"}).shape[0] == 1
    assert store.next_id("alliances", "A", width=3) == "A011"
    assert store.next_id("kpis", "KPI-") == "KPI-0001"


def test_unmigrated_store_is_refused_with_advice(tmp_path) -> None:
    with pytest.raises(StoreError, match="alliance-kit init"):
        open_store(str(tmp_path / "empty.sqlite"))


def test_sqlite_store_uses_wal(sqlite_store: Store) -> None:
    with sqlite_store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
