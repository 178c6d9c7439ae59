"""The store on SQLite and PostgreSQL: schema, typed reads, atomic writes."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import threading
import time

import pandas as pd
import pytest
from sqlalchemy import make_url
from sqlalchemy.exc import IntegrityError

from alliance_kit.records.model import TABLES, RecordRefused
from alliance_kit.records.opening import open_store
from alliance_kit.records.store import Store, StoreBusy, StoreError


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


# --- bulk paths (multi-row INSERTs on SQLite, COPY on PostgreSQL) --------------------------

TRICKY = [
    "tab\there",
    "line\nbreak\r\nand CR",
    "back\\slash \\N \\.",
    '"quoted", comma',
    "Ünïcødé — 数据 🚀",
    "=1+2",
    "",
    None,
]


def _bulk_frames(n: int = 1_200) -> dict[str, pd.DataFrame]:
    """Enough rows for the bulk paths, with every value kind and text that COPY escapes."""
    alliances = pd.DataFrame(
        [
            alliance(
                f"A{i:04d}",
                notes=TRICKY[i % len(TRICKY)],
                expected_revenue=[0.1 + 0.2, 1e-17, 123456789.123456789, 0.0][i % 4],
                importance=1 + i % 5,
                end_date=None if i % 2 else dt.date(2030, 12, 31),
            )
            for i in range(n)
        ]
    )
    kpis = pd.DataFrame(
        {
            "id": [f"K{i:04d}" for i in range(n)],
            "alliance_id": alliances["id"],
            "name": [TRICKY[i % 6] or "x" for i in range(n)],
            "direction": "increase",
            "baseline": [None if i % 3 == 0 else i / 7 for i in range(n)],
            "agreed_by_both": [i % 2 == 0 for i in range(n)],
        }
    )
    rounds = pd.DataFrame(
        [
            dict(
                id="R1",
                alliance_id="A0000",
                period="2026-Q3",
                questionnaire_version="2026.1",
                opened_on=dt.date(2026, 9, 1),
            )
        ]
    )
    respondents = pd.DataFrame([dict(id="R1-P1", round_id="R1", side="partner")])
    base = pd.Timestamp("2026-09-03 10:15:00.123456")
    answers = pd.DataFrame(
        {
            "respondent_id": "R1-P1",
            "statement_id": [f"S{i:04d}" for i in range(n)],
            "score": pd.array([None if i % 6 == 0 else 1 + i % 5 for i in range(n)], "Int64"),
            "comment": [TRICKY[i % len(TRICKY)] for i in range(n)],
            "answered_at": [
                None if i % 9 == 0 else base + pd.Timedelta(seconds=i) for i in range(n)
            ],
        }
    )
    return {
        "alliances": alliances,
        "kpis": kpis,
        "assessment_rounds": rounds,
        "respondents": respondents,
        "answers": answers,
    }


def test_bulk_writes_keep_every_value_exactly(store: Store) -> None:
    frames = _bulk_frames()
    written = store.replace_all(frames)
    assert written["answers"] == written["alliances"] == 1_200
    for table, given in frames.items():
        got = store.read(table)[list(given.columns)]
        expected = given.copy()
        for col in expected:
            if "date" in col or col.endswith("_at") or col.endswith("_on"):
                expected[col] = pd.to_datetime(expected[col]).astype("datetime64[ns]")
        pd.testing.assert_frame_equal(
            got.astype(object).where(got.notna(), None),
            expected.astype(object).where(expected.notna(), None),
            check_dtype=False,
            obj=table,
        )
    # the same rows added by insert (not replace) take the same path
    store.replace_all({})
    with store.transaction() as conn:
        for table in ("alliances", "kpis", "assessment_rounds", "respondents", "answers"):
            store.insert(table, frames[table], conn=conn)
    comments = [TRICKY[i % len(TRICKY)] for i in range(1_200)]
    assert store.read("answers")["comment"].tolist() == comments


@pytest.mark.postgres
def test_postgresql_replace_restores_its_foreign_keys(pg_store: Store) -> None:
    def keys() -> list[tuple]:
        with pg_store.engine.connect() as conn:
            return conn.exec_driver_sql(
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
                "FROM pg_constraint WHERE contype = 'f' ORDER BY 1, 2"
            ).all()

    before = keys()
    assert len(before) > 20
    pg_store.replace_all(_bulk_frames(50))
    assert keys() == before
    dangling = _bulk_frames(50)
    dangling["answers"].loc[3, "respondent_id"] = "nobody"
    with pytest.raises(IntegrityError):
        pg_store.replace_all(dangling)
    assert keys() == before
    assert len(pg_store.read("answers")) == 50
    with pytest.raises(IntegrityError):  # and they still hold for ordinary writes
        pg_store.insert(
            "people", [dict(id="P1", alliance_id="nope", side="us", name="x", org_level="vp")]
        )


@pytest.mark.postgres
def test_postgresql_replace_by_a_role_that_owns_no_tables(pg_store: Store) -> None:
    """A team's application account (an existing login, granted the analyst role) may only
    read and write rows: the replacement then deletes instead of truncating and keeps the
    row-by-row key checks, with the same result."""
    from alliance_kit.records import access

    app = os.environ.get("ALLIANCE_KIT_TEST_PG_APP")
    if not app:
        pytest.fail("ALLIANCE_KIT_TEST_PG_APP is not set: run the suite with `make test`")
    access.grant(pg_store, "Team app", "analyst", login=make_url(app).username)
    pg_store.replace_all(_bulk_frames(20))
    app_store = Store(f"{app}/{pg_store.engine.url.database}")
    try:
        written = app_store.replace_all(_bulk_frames(1_200))
        assert written["answers"] == 1_200 and pg_store.counts()["alliances"] == 1_200
        dangling = _bulk_frames(1_200)
        dangling["kpis"].loc[7, "alliance_id"] = "nobody"
        with pytest.raises(IntegrityError):
            app_store.replace_all(dangling)
        assert pg_store.counts()["kpis"] == 1_200
    finally:
        app_store.engine.dispose()


def _wait_for(condition, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"never {what}")
        time.sleep(0.02)


@pytest.mark.postgres
def test_postgresql_readers_wait_for_an_import_and_never_deadlock(pg_store: Store) -> None:
    """A reader reading the whole portfolio (in the model's order, as read_all does) while
    an import replaces it: the reader has read alliances when the import starts; then it
    reads the rest. Before, the import had already dropped the children's foreign keys
    (locking them) and waited for alliances: PostgreSQL killed one side (DeadlockDetected).
    Now the import takes every lock up front or none: the reader finishes on the old
    portfolio, then the import commits the new one."""
    pg_store.replace_all(_bulk_frames(50))
    outcome: dict[str, object] = {}

    def import_new() -> None:
        try:
            outcome["written"] = pg_store.replace_all(_bulk_frames(60))
        except Exception as exc:  # noqa: BLE001 - the test reports it
            outcome["error"] = exc

    def import_waits() -> bool:
        with pg_store.engine.connect() as c:
            sql = "SELECT count(*) FROM pg_locks WHERE NOT granted"
            return bool(c.exec_driver_sql(sql).scalar())

    with pg_store.engine.connect() as conn, conn.begin():
        seen = {"alliances": len(pg_store.read("alliances", conn=conn))}
        writer = threading.Thread(target=import_new)
        writer.start()
        _wait_for(import_waits, "saw the import wait for the reader")
        try:
            for name in list(TABLES)[1:]:
                seen[name] = len(pg_store.read(name, conn=conn))
        except Exception as exc:  # noqa: BLE001
            outcome["reader"] = exc
    writer.join(timeout=120)
    assert "reader" not in outcome and "error" not in outcome, outcome
    assert seen["alliances"] == seen["kpis"] == seen["answers"] == 50  # one snapshot
    assert outcome["written"]["alliances"] == 60 and pg_store.counts()["answers"] == 60
    assert not import_waits()


@pytest.mark.postgres
def test_postgresql_import_waiting_too_long_for_a_reader_is_refused_plainly(
    pg_store: Store, monkeypatch
) -> None:
    pg_store.replace_all(_bulk_frames(20))
    monkeypatch.setenv("ALLIANCE_KIT_DB_TIMEOUT", "1")
    with pg_store.engine.connect() as conn, conn.begin():
        pg_store.read("answers", conn=conn)  # a long report holding a table
        with pytest.raises(StoreBusy, match="is busy.*ALLIANCE_KIT_DB_TIMEOUT"):
            pg_store.replace_all(_bulk_frames(30))
    assert pg_store.counts()["alliances"] == 20


def test_sqlite_store_locked_by_another_writer_is_refused_plainly(
    sqlite_store: Store, tmp_path, monkeypatch
) -> None:
    """Another program holding the write lock past the busy timeout: a one-line message
    naming the store and the setting, from the store and from the command line."""
    from bad_inputs import portfolio as P
    from click.testing import CliRunner

    from alliance_kit.cli import main

    monkeypatch.setenv("ALLIANCE_KIT_DB_TIMEOUT", "0.5")
    sqlite_store.insert("alliances", [alliance("A001")])
    path = sqlite_store.engine.url.database
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        store = Store(path)  # a new engine picks up the timeout
        with pytest.raises(StoreBusy, match=r"is busy.*more than 0\.5 s"):
            store.insert("alliances", [alliance("A002")])
        store.engine.dispose()
        intake = P.write_raw(P.rows(), tmp_path / "intake.xlsx")
        result = CliRunner().invoke(main, ["import", str(intake), "--merge", "--db", path])
        assert result.exit_code == 1, result.output
        assert "Traceback" not in result.output and "database is locked" not in result.output
        assert "is busy" in result.output and result.output.count("\n") <= 2
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert sqlite_store.read("alliances")["id"].tolist() == ["A001"]


@pytest.mark.parametrize("name", ["alliance_kit.sqlit", "no_such_folder/alliance_kit.sqlite"])
def test_missing_sqlite_file_is_refused_and_never_created(tmp_path, name) -> None:
    path = tmp_path / name
    with pytest.raises(StoreError, match="no store at .*file not found") as err:
        open_store(str(path))
    assert "is empty" not in str(err.value) and "alliance-kit init" in str(err.value)
    assert list(tmp_path.iterdir()) == []  # no stray file, no folder
    with pytest.raises(StoreError, match="no store at"):
        open_store(f"sqlite:///{path}")
    assert open_store(str(path), create=True).revision()  # creating still creates
    assert path.exists()


def test_existing_empty_sqlite_file_is_still_reported_as_empty(tmp_path) -> None:
    path = tmp_path / "empty.sqlite"
    path.touch()
    with pytest.raises(StoreError, match="is empty"):
        open_store(str(path))


# --- the last guard: text no store or export can carry -------------------------------------


@pytest.mark.parametrize("bulk", [False, True], ids=["rows", "bulk"])
def test_the_store_refuses_control_characters_and_unsafe_ids_whatever_the_path(
    store: Store, bulk: bool
) -> None:
    """Every path into the store (insert of rows, the bulk paths: multi-row INSERT on
    SQLite, COPY on PostgreSQL; upsert) refuses a NUL or another control character in
    text, and an id that could not name a file, before any SQL: nothing is written."""
    n = 1_200 if bulk else 2
    ok = [alliance(f"A{i:04d}") for i in range(n)]
    for bad in (
        {"notes": "pasted\x00text"},
        {"name": "vertical\x0btab"},
        {"id": "../../tmp/x"},
        {"id": "A\x001"},
    ):
        rows = [*ok[:-1], {**ok[-1], **bad}]
        with pytest.raises(RecordRefused, match=rf"alliances, record {n}, column"):
            store.insert("alliances", pd.DataFrame(rows) if bulk else rows)
        with pytest.raises(RecordRefused):
            store.upsert("alliances", rows[-1:])
        assert store.counts()["alliances"] == 0
    # tabs, line breaks and other odd but valid characters are stored as given
    fine = "tab\there\nline\r\nDEL\x7f NEL\x85 LS\u2028 🚀"
    assert store.insert("alliances", [alliance("A1", notes=fine)]) == 1
    assert store.read("alliances").loc[0, "notes"] == fine
