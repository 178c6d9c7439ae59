"""Change history and record versions: every write path leaves a trace of who changed
what (answers only as counts), in the same transaction as the write; a save over a
record someone else changed since it was loaded is refused, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time

import pandas as pd
import pytest
from click.testing import CliRunner
from form_helpers import fill
from sqlalchemy import MetaData
from sqlalchemy.exc import IntegrityError

from alliance_kit.align import forms as af
from alliance_kit.assess import survey
from alliance_kit.assess import survey_widgets as sw
from alliance_kit.cli import main
from alliance_kit.imagine import forms as imf
from alliance_kit.records import io, questionnaire, sample
from alliance_kit.records.history import Actor
from alliance_kit.records.store import StaleRecordError, Store, _alembic_config, to_records
from alliance_kit.succeed import forms as sf
from alliance_kit.views.widgets import RecordForm

SECRET = "SECRET-COMMENT-7f3a"


def url_of(store: Store) -> str:
    return store.engine.url.render_as_string(hide_password=False)


def session(store: Store, user: str) -> Store:
    """A second, independent handle (own engine, own connections) on the same store."""
    return Store(url_of(store), actor=Actor(user, f"notebook of {user}"))


def small(store: Store) -> Store:
    sample.load(store, n_alliances=2, last_period="2026-Q3", respondents_per_side=(1, 2))
    return store


def history_text(store: Store) -> str:
    """Everything the history holds, as one text (for asserting what never appears)."""
    h = store.history()
    return h.astype(str).to_csv(index=False)


def cli(*args: str, env: dict[str, str] | None = None):
    result = CliRunner().invoke(main, list(args), env=env or {}, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


# --- lost updates --------------------------------------------------------------------------


def test_form_save_over_a_newer_record_is_refused_naming_who_and_when(store):
    small(store)
    alice, bob = session(store, "alice"), session(store, "bob")
    try:
        mine, theirs = RecordForm(alice, "alliances"), RecordForm(bob, "alliances")
        assert mine.load("A001") and theirs.load("A001")
        fill(theirs, name="Renamed by Bob")
        assert theirs.save()
        fill(mine, name="Renamed by Alice")
        assert not mine.save()
        status = mine.status.value
        assert "Not saved" in status and "was changed by bob" in status and "UTC" in status
        assert mine.reload_button.layout.display != "none"  # Reload offered
        row = store.read("alliances", {"id": "A001"}).iloc[0]
        assert row["name"] == "Renamed by Bob" and row["version"] == 2
        assert "alice" not in set(store.history()["user_name"])  # the refusal wrote nothing
        mine.reload_button.click()
        assert mine.fields["name"].widget.value == "Renamed by Bob"
        assert mine.reload_button.layout.display == "none"
        fill(mine, name="Renamed by Alice")
        assert mine.save()
        row = store.read("alliances", {"id": "A001"}).iloc[0]
        assert row["name"] == "Renamed by Alice" and row["version"] == 3
    finally:
        alice.engine.dispose()
        bob.engine.dispose()


def test_concurrent_sessions_cannot_both_save_the_same_version(store):
    """Two sessions hold version 1; the second waits for the first's transaction, then
    is refused instead of overwriting it."""
    small(store)
    alice, bob = session(store, "alice"), session(store, "bob")
    try:
        row = alice.read("risks").iloc[0].to_dict()
        assert row["version"] == 1
        outcome: list[object] = []

        def bob_saves() -> None:
            try:
                bob.upsert("risks", [row | {"title": "Bob's title"}])
                outcome.append("saved")
            except StaleRecordError as exc:
                outcome.append(exc)

        with alice.transaction() as conn:
            alice.upsert("risks", [row | {"title": "Alice's title"}], conn=conn)
            other = threading.Thread(target=bob_saves)
            other.start()
            time.sleep(0.5)
            assert other.is_alive()  # bob waits for alice's write to end
        other.join(60)
        assert len(outcome) == 1 and isinstance(outcome[0], StaleRecordError)
        assert "by alice" in str(outcome[0])
        assert outcome[0].stale.iloc[0]["store_version"] == 2
        stored = store.read("risks", {"id": row["id"]}).iloc[0]
        assert stored["title"] == "Alice's title" and stored["version"] == 2
    finally:
        alice.engine.dispose()
        bob.engine.dispose()


def test_merge_check_lists_rows_changed_since_the_export(store, tmp_path):
    small(store)
    exported = io.export_portfolio(store, tmp_path / "before")
    typed, problems = io.load_portfolio(exported)
    assert not problems and (typed["kpis"]["version"] == 1).all()
    assert store.stale_records(typed).empty
    kpi = store.read("kpis").iloc[0].to_dict()
    session_store = session(store, "carol")
    try:
        session_store.upsert("kpis", [kpi | {"target": 99.0}])
    finally:
        session_store.engine.dispose()
    stale = store.stale_records(typed)
    assert stale[["record_type", "key", "held_version", "store_version"]].values.tolist() == [
        ["kpis", kpi["id"], 1, 2]
    ]
    assert stale.iloc[0]["changed_by"].startswith("carol")  # (and the role on PostgreSQL)
    # an export taken now is current again
    typed_now, _ = io.load_portfolio(io.export_portfolio(store, tmp_path / "after"))
    assert store.stale_records(typed_now).empty


def test_versions_are_exported_and_round_trip_exactly(sqlite_store, tmp_path):
    store = small(sqlite_store)
    kpi = store.read("kpis").iloc[0].to_dict()
    store.upsert("kpis", [kpi | {"owner": "Someone else"}])
    store.upsert("kpis", [store.read("kpis", {"id": kpi["id"]}).iloc[0].to_dict()])
    first = io.export_portfolio(store, tmp_path / "one.xlsx")
    assert io.import_portfolio(store, first).ok
    assert store.read("kpis", {"id": kpi["id"]}).iloc[0]["version"] == 3
    second = io.export_portfolio(store, tmp_path / "two.xlsx")
    assert first.read_bytes() == second.read_bytes()
    csv = io.export_portfolio(store, tmp_path / "csv")
    assert (csv / "kpis.csv").read_text().splitlines()[0].endswith(",version")


# --- a failed write leaves no history ------------------------------------------------------


def test_failed_writes_leave_no_history(store):
    small(store)
    before = store.history()
    before_kpis = store.read("kpis")
    bad = store.read("kpis").iloc[0].to_dict() | {"id": "K-NEW", "alliance_id": "NOPE"}
    del bad["version"]
    with pytest.raises(IntegrityError):
        store.upsert("kpis", [bad])
    frames = store.read_all()
    frames["kpis"] = pd.concat([frames["kpis"], pd.DataFrame([bad])], ignore_index=True)
    with pytest.raises(IntegrityError):
        store.replace_all(frames)  # a dangling reference: the whole replacement rolls back
    pd.testing.assert_frame_equal(store.history(), before)
    pd.testing.assert_frame_equal(store.read("kpis"), before_kpis)


# --- every write path ----------------------------------------------------------------------


def _rows(store: Store, record_type: str) -> pd.DataFrame:
    h = store.history()
    return h[h["record_type"] == record_type]


def test_cli_import_replace_and_add_are_recorded_with_the_user(sqlite_store, tmp_path):
    db = str(sqlite_store.engine.url.database)
    small(sqlite_store)
    out = tmp_path / "out"
    io.export_portfolio(sqlite_store, out)
    alliances = pd.read_csv(out / "alliances.csv", dtype=str, keep_default_na=False)
    alliances.loc[0, "notes"] = "changed in the file"
    alliances.to_csv(out / "alliances.csv", index=False)
    cli("--user", "dana", "import", str(out), "--replace", "--db", db)
    h = sqlite_store.history()
    last = h[h["change_set_id"] == h["change_set_id"].iloc[-1]]
    assert set(last["user_name"]) == {"dana"} and set(last["source"]) == {"alliance-kit import"}
    assert last[["record_type", "action"]].values.tolist() == [["alliances", "changed"]]
    change = last.iloc[0]
    assert json.loads(change["after"])["notes"] == "changed in the file"
    assert json.loads(change["before"])["notes"] != "changed in the file"
    # --add, the user from the environment
    add = tmp_path / "add"
    add.mkdir()
    new = alliances.iloc[[0]].assign(id="A777", name="Added alliance", version="")
    new.to_csv(add / "alliances.csv", index=False)
    cli("import", str(add), "--add", "--db", db, env={"ALLIANCE_KIT_USER": "erin"})
    added = _rows(sqlite_store, "alliances").iloc[-1]
    assert (added["user_name"], added["action"], added["alliance_id"]) == ("erin", "added", "A777")
    assert json.loads(added["after"])["version"] == 1


def test_each_form_family_records_its_saves(sample_store):
    store = sample_store
    store.actor = Actor("fran", "notebook 01_strategy.ipynb")
    # Imagine: the strategy (an edit: values before and after) and the KPI catalogue
    form = imf.strategy_form(store, "A003")
    fill(form, vision="A sharper vision")
    assert form.save()
    row = _rows(store, "strategies").iloc[-1]
    assert row["action"] == "changed" and row["alliance_id"] == "A003"
    assert json.loads(row["after"])["vision"] == "A sharper vision"
    assert json.loads(row["before"])["vision"] != "A sharper vision"
    assert (row["user_name"], row["source"]) == ("fran", "notebook 01_strategy.ipynb")
    adder = imf.CatalogueAdder(store, "A002")
    added = adder.add([adder.catalogue["key"].iloc[0]])
    assert added and _rows(store, "kpis").iloc[-1]["action"] == "added"
    # Align: an agreement, and a meeting with its attendance in one change set
    meeting = af.MeetingForm(store, "A003")
    fill(meeting, body_id="A003-GB1", planned_on=dt.date(2026, 9, 20),
         held_on=dt.date(2026, 9, 21), status="held")  # fmt: skip
    meeting.attendees.value = ("A003-P01", "A003-P02")
    assert meeting.save()
    h = store.history()
    last = h[h["change_set_id"] == h["change_set_id"].iloc[-1]]
    assert sorted(set(last["record_type"])) == ["attendance", "meetings"]
    assert set(last["alliance_id"]) == {"A003"}  # attendance -> meeting -> body -> alliance
    agreement = af.agreement_form(store, "A003")
    agreement.load(store.read("agreements", {"alliance_id": "A003"})["id"].iloc[0])
    fill(agreement, title="Renamed agreement")
    assert agreement.save()
    assert json.loads(_rows(store, "agreements").iloc[-1]["after"])["title"] == "Renamed agreement"
    # Succeed: a risk review (through its risk to the alliance)
    review = sf.risk_review_form(store, "A003")
    risk = store.read("risks", {"alliance_id": "A003"})["id"].iloc[0]
    fill(review, risk_id=risk, period="2026-Q4", likelihood="2", impact="3")
    assert review.save(), review.messages
    row = _rows(store, "risk_reviews").iloc[-1]
    assert row["action"] == "added" and row["alliance_id"] == "A003"


def test_survey_answers_are_recorded_as_counts_only(sample_store):
    store = sample_store
    rnd = survey.open_round(store, "A003", "2026-Q4", questionnaire_version="2026.1")
    rid = survey.add_respondent(store, rnd["id"], "partner", role="finance", label="Zed Q.")
    form = sw.workbook_form(store, rid, questionnaire.load("2026.1"))
    first = next(iter(form.items.values()))
    first.comment.value = SECRET
    first.score.value = 4
    survey.save_answer(store, rid, first.statement.id, 2, SECRET + " again")
    h = store.history()
    h = h[h["at"] > h["at"].iloc[0]]  # after the sample's load
    answers = h[h["record_type"] == "answers"]
    assert len(answers) == 2
    assert answers["record_key"].isna().all()
    assert answers["before"].isna().all() and answers["after"].isna().all()
    assert set(answers["alliance_id"]) == {"A003"}
    assert answers["action"].tolist()[-2:] == ["added", "changed"]
    text = history_text(store)
    assert SECRET not in text and rid not in answers.to_csv()
    # the history command shows the counts, never the answers
    result = CliRunner().invoke(
        main, ["history", "--db", str(store.engine.url.database), "--format", "json"]
    )
    assert result.exit_code == 0 and SECRET not in result.output


def test_survey_administration_is_recorded_without_code_hashes(sample_store):
    store = sample_store
    db = str(store.engine.url.database)
    out = cli("--user", "gus", "survey", "open-round", "--db", db, "--alliance", "A003",
              "--period", "2026-Q4").output  # fmt: skip
    round_id = out.split()[1].rstrip(":")
    out = cli("--user", "gus", "survey", "add-respondent", "--db", db, "--round", round_id,
              "--side", "us", "--role", "finance").output  # fmt: skip
    rid = store.read("respondents", {"round_id": round_id})["id"].iloc[0]
    out = cli("--user", "gus", "survey", "invite", "--db", db, "--round", round_id, "--all").output
    cli("--user", "gus", "survey", "revoke", "--db", db, "--respondent", rid)
    h = store.history()
    mine = h[h["user_name"] == "gus"]
    assert set(mine["source"]) == {
        "alliance-kit survey open-round",
        "alliance-kit survey add-respondent",
        "alliance-kit survey invite",
        "alliance-kit survey revoke",
    }
    assert mine[["record_type", "action"]].drop_duplicates().values.tolist() == [
        ["assessment_rounds", "added"],
        ["respondents", "added"],
        ["invitations", "added"],
        ["invitations", "changed"],
    ]
    assert set(mine["alliance_id"]) == {"A003"}
    code_hash = store.read("invitations", {"respondent_id": rid})["code_hash"].iloc[0]
    code = out.split("code=")[1].split()[0].split("&round=")[0]
    text = history_text(store)
    assert code_hash not in text and code not in text and "code_hash" not in text
    revoked = json.loads(mine.iloc[-1]["after"])
    assert revoked["revoked_at"] is not None


# --- the history command -------------------------------------------------------------------


def test_history_command_filters_and_neutralizes(sqlite_store):
    store = small(sqlite_store)
    db = str(store.engine.url.database)
    evil_user = '=HYPERLINK("http://x")'
    a = store.read("alliances", {"id": "A002"}).iloc[0].to_dict()
    store.actor = Actor(evil_user, "test")
    store.upsert("alliances", [a | {"notes": "red\u202etxt.exe"}])  # ESC is refused at the store
    csv_out = cli("history", "--db", db, "--format", "csv", "--alliance", "A002").output
    rows = pd.read_csv(pd.io.common.StringIO(csv_out), dtype=str, keep_default_na=False)
    assert set(rows["alliance_id"]) == {"A002"}
    assert rows["user"].iloc[-1] == "'" + evil_user  # a spreadsheet shows it, never runs it
    assert not rows["user"].str.match(r"^[=+\-@]").any()
    table = cli("history", "--db", db, "--alliance", "A002", "--user", evil_user).output
    assert "\u202e" not in table and "red\\u202etxt" in table
    assert "notes:" in table and len(table.splitlines()) == 3  # header, rule, one change
    js = json.loads(cli("history", "--db", db, "--format", "json").output)
    assert js[-1]["user"] == evil_user and js[-1]["records"][0]["key"] == {"id": "A002"}
    tomorrow = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).date().isoformat()
    assert cli("history", "--db", db, "--since", tomorrow).output.strip() == "no history"
    bad = CliRunner().invoke(main, ["history", "--db", db, "--since", "yesterday"])
    assert bad.exit_code != 0 and "not a date" in bad.output


# --- upgrading a store made by the first schema --------------------------------------------


def test_init_upgrades_a_0001_store_holding_the_sample(store):
    from alembic import command

    url = url_of(store)
    command.downgrade(_alembic_config(store.engine), "0001")  # the first schema, empty
    assert store.revision() == "0001"
    frames = sample.portfolio(n_alliances=2, last_period="2026-Q3")
    with store.transaction() as conn:  # loaded as version 0001 stored it: no version column
        old = MetaData()
        old.reflect(conn)
        for name, frame in frames.items():
            rows = to_records(old.tables[name], frame.drop(columns="version"))
            if rows:
                conn.execute(old.tables[name].insert(), rows)
    cli("init", "--db", url)
    assert store.revision() == store.head()
    got = store.read_all()
    for name, frame in frames.items():
        assert len(got[name]) == len(frame), name
        assert (got[name]["version"] == 1).all(), name
    pd.testing.assert_frame_equal(
        io.export_frames(got)["alliances"], io.export_frames(frames)["alliances"]
    )
    # and it works as a 0002 store: a save is versioned and recorded
    a = got["alliances"].iloc[0].to_dict()
    store.upsert("alliances", [a | {"notes": "after the upgrade"}])
    assert store.read("alliances", {"id": a["id"]}).iloc[0]["version"] == 2
    assert store.history()["record_type"].tolist() == ["alliances"]


def test_migrations_build_the_schema_the_model_describes(store):
    """Upgrading through 0002 gives exactly the model's tables, columns and indexes."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from alliance_kit.records.model import Base

    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_a_large_replacement_is_recorded_as_counts(sqlite_store, monkeypatch):
    from alliance_kit.records import store as store_module

    store = small(sqlite_store)
    frames = store.read_all()
    monkeypatch.setattr(store_module, "DETAIL_LIMIT", 10)
    store.replace_all(frames)
    h = store.history()
    last = h[h["change_set_id"] == h["change_set_id"].iloc[-1]]
    assert last["record_key"].isna().all() and last["after"].isna().all()
    alliances = last[last["record_type"] == "alliances"].set_index("action")["count"]
    assert alliances.to_dict() == {"added": 2, "removed": 2}
    assert set(last["record_type"]) == {n for n, f in frames.items() if len(f)}


# --- imports and restores in the history ---------------------------------------------------


def test_a_merge_of_an_old_export_refuses_rows_changed_since_unless_forced(store, tmp_path):
    """Bob exports, Alice changes A001 in a form, Bob merges his edited export: his row
    for A001 is refused at its place (who changed it, when), nothing is written; --force
    saves it. A merge raises the version of what it changes and records it as Bob's."""
    small(store)
    db = url_of(store)
    out = tmp_path / "bobs"
    io.export_portfolio(store, out)
    alice = session(store, "alice")
    try:
        form = RecordForm(alice, "alliances")
        assert form.load("A001")
        fill(form, name="Renamed by Alice")
        assert form.save()
    finally:
        alice.engine.dispose()
    alliances = pd.read_csv(out / "alliances.csv", dtype=str, keep_default_na=False)
    row = alliances.index[alliances["id"] == "A001"][0]
    alliances.loc[row, "notes"] = "Bob's note"
    alliances.to_csv(out / "alliances.csv", index=False)
    before = store.read("alliances", {"id": "A001"}).iloc[0]
    refused = CliRunner().invoke(main, ["--user", "bob", "import", str(out), "--merge", "--db", db])
    assert refused.exit_code == 1
    text = " ".join(refused.output.split())
    assert f"row {row + 2}" in text and "column version" in text
    assert "A001 was changed by alice" in text and "--force" in text
    assert store.read("alliances", {"id": "A001"}).iloc[0].equals(before)
    cli("--user", "bob", "import", str(out), "--merge", "--force", "--db", db)
    now = store.read("alliances", {"id": "A001"}).iloc[0]
    assert now["notes"] == "Bob's note" and now["name"] != "Renamed by Alice"  # forced over
    assert now["version"] == before["version"] + 1
    last = _rows(store, "alliances").iloc[-1]
    assert (last["user_name"], last["action"]) == ("bob", "changed")
    after, prior = json.loads(last["after"]), json.loads(last["before"])
    assert after["notes"] == "Bob's note" and prior["name"] == "Renamed by Alice"
    assert "version" not in after  # the store's count, not a value Bob changed


def test_a_restore_keeps_the_history_and_records_itself(store, tmp_path):
    from alliance_kit.records import snapshots

    small(store)
    snap = snapshots.take(store, "test")
    a = store.read("alliances", {"id": "A002"}).iloc[0].to_dict()
    store.actor = Actor("carol", "test")
    store.upsert("alliances", [a | {"notes": "after the snapshot"}])
    sets_before = set(store.history()["change_set_id"])
    store.actor = Actor("dave", "alliance-kit restore")
    snapshots.restore(store, snap.name)
    store.engine.dispose()
    h = store.history()
    assert sets_before <= set(h["change_set_id"])  # nothing the history held is lost
    last = h[h["change_set_id"] == h["change_set_id"].iloc[-1]]
    assert set(last["user_name"]) == {"dave"} and set(last["source"]) == {f"restore {snap.name}"}
    assert last[["record_type", "action"]].values.tolist() == [["alliances", "changed"]]
    assert json.loads(last.iloc[0]["before"])["notes"] == "after the snapshot"
    assert store.read("alliances", {"id": "A002"}).iloc[0]["notes"] == a["notes"]
