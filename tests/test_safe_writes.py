"""Writes that can lose data ask first and can be undone: import modes and refusals,
merges of partial files, dry runs that count what the real run does, snapshots and
restore, a merge killed midway. Every test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest
from bad_inputs import portfolio as P
from click.testing import CliRunner

from alliance_kit.assess import survey
from alliance_kit.cli import main
from alliance_kit.records import io, sample, snapshots
from alliance_kit.records.opening import open_store
from alliance_kit.records.store import Store


@pytest.fixture(autouse=True)
def snapshot_folder(tmp_path, monkeypatch) -> Path:
    """Snapshots of every store of a test go to its own folder (never data/)."""
    folder = tmp_path / "snapshots"
    monkeypatch.setenv("ALLIANCE_KIT_SNAPSHOTS", str(folder))
    monkeypatch.delenv("ALLIANCE_KIT_SNAPSHOT_KEEP", raising=False)
    return folder


def url_of(store: Store) -> str:
    return store.engine.url.render_as_string(hide_password=False)


def cli(store: Store, *args) -> tuple[int, str]:
    result = CliRunner().invoke(main, [*map(str, args), "--db", url_of(store)])
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


def export_bytes(store: Store, folder: Path) -> dict[str, bytes]:
    """The store as `alliance-kit export --format csv` writes it: file name -> bytes."""
    out = io.export_portfolio(store, folder, "csv")
    return {f.name: f.read_bytes() for f in sorted(out.iterdir())}


def loaded(store: Store, tmp_path: Path) -> dict[str, bytes]:
    """Load the small valid portfolio and return its export."""
    code, out = cli(store, "import", P.write_raw(P.rows(), tmp_path / "first"))
    assert code == 0, out
    return export_bytes(store, tmp_path / "export-before")


def edited_rows() -> dict:
    """The everyday quarter's edit: a renamed alliance, a new KPI report, a meeting held."""
    data = P.rows()
    data["alliances"][1]["name"] = "Reseller EU (renewed)"
    data["alliances"][1]["importance"] = 3
    data["kpi_actuals"].append(
        {"kpi_id": "K1", "period": "2026-Q4", "value": 222, "reported_on": "2027-01-04"}
    )
    return data


# --- refusals ----------------------------------------------------------------------------


def test_import_without_a_mode_into_a_store_with_records_is_refused(store, tmp_path):
    before = loaded(store, tmp_path)
    code, out = cli(store, "import", P.write_raw(edited_rows(), tmp_path / "edit.xlsx"))
    assert code == 1
    lines = out.strip().splitlines()
    assert len(lines) == 1  # one line, with the counts at stake and the way forward
    assert "holds 2 alliances, 41 records" in lines[0]
    assert "--merge" in lines[0] and "--replace" in lines[0] and "--add" in lines[0]
    assert "nothing was imported" in lines[0]
    assert export_bytes(store, tmp_path / "after") == before
    assert snapshots.list_snapshots(store) == []


def test_demo_refuses_a_store_holding_other_records(store, tmp_path):
    before = loaded(store, tmp_path)
    code, out = cli(store, "demo", "--no-reports", "--alliances", "2")
    assert code == 1 and "not the sample portfolio" in out and "--force" in out
    assert export_bytes(store, tmp_path / "after") == before
    assert snapshots.list_snapshots(store) == []
    # --force replaces it, after a snapshot that brings the records back
    code, out = cli(store, "demo", "--no-reports", "--alliances", "2", "--force")
    assert code == 0, out
    [snap] = snapshots.list_snapshots(store)
    assert snap.command == "demo" and f"restore {snap.name}" in out
    assert store.counts()["alliances"] == 2 and sample.holds_sample(store)
    # a store that holds the sample is replaced without asking (snapshot taken all the same)
    code, out = cli(store, "demo", "--no-reports", "--alliances", "2")
    assert code == 0, out
    assert cli(store, "restore", snap.name)[0] == 0
    assert export_bytes(store, tmp_path / "restored") == before


def test_template_refuses_an_existing_file(tmp_path):
    filled = tmp_path / "mine.xlsx"
    filled.write_bytes(b"a filled-in workbook")
    result = CliRunner().invoke(main, ["template", str(filled)])
    assert result.exit_code == 1 and "--force" in result.output
    assert filled.read_bytes() == b"a filled-in workbook"
    result = CliRunner().invoke(main, ["template", str(filled), "--force"])
    assert result.exit_code == 0 and filled.stat().st_size > 5000


def test_makefile_demo_ignores_an_inherited_store(tmp_path):
    """`make demo` loads the repository's data/ store even when $ALLIANCE_KIT_DB names
    a team's database (make -n prints the command without running it)."""
    root = Path(__file__).resolve().parents[1]
    env = os.environ | {"ALLIANCE_KIT_DB": "postgresql://team@db.example/alliances"}
    shown = subprocess.run(
        ["make", "-n", "-o", ".venv/.installed", "demo"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert f'demo --db "{root}/data/alliance_kit.sqlite"' in shown


# --- merge, add, replace ------------------------------------------------------------------


def test_merge_of_a_partial_file_keeps_what_it_lacks(store, tmp_path):
    loaded(store, tmp_path)
    before = store.read_all()
    partial = {
        "kpi_actuals": [
            {"kpi_id": "K1", "period": "2026-Q3", "value": 199, "reported_on": "2026-10-02"},
            {"kpi_id": "K1", "period": "2026-Q4", "value": 230, "reported_on": None},
        ]
    }
    code, out = cli(store, "import", P.write_raw(partial, tmp_path / "q4"), "--merge")
    assert code == 0, out
    assert "kpi_actuals: 1 added, 1 changed (value, reported_on), 0 removed, 0 unchanged" in out
    after = store.read_all()
    actuals = after["kpi_actuals"].set_index(["kpi_id", "period"])
    assert actuals.loc[("K1", "2026-Q2"), "value"] == 120  # absent from the file: kept
    assert actuals.loc[("K1", "2026-Q3"), "value"] == 199
    assert actuals.loc[("K1", "2026-Q4"), "value"] == 230
    for table in before:
        if table != "kpi_actuals":
            pd.testing.assert_frame_equal(after[table], before[table], check_like=True)


def test_merge_checks_references_against_the_store(store, tmp_path):
    before = loaded(store, tmp_path)
    partial = {"kpi_actuals": [{"kpi_id": "K9", "period": "2026-Q4", "value": 1}]}
    path = P.write_raw(partial, tmp_path / "bad")
    code, out = cli(store, "import", path, "--merge")
    assert code == 1
    assert f"{path}/kpi_actuals.csv, row 2, column kpi_id: K9 — expected the id of a record " in out
    assert export_bytes(store, tmp_path / "after") == before


def test_merge_of_a_sheet_without_an_optional_column_keeps_the_stored_values(store, tmp_path):
    loaded(store, tmp_path)
    partial = {
        "alliances": [{k: v for k, v in r.items() if k != "notes"} for r in P.rows()["alliances"]]
    }
    partial["alliances"][0]["importance"] = 5
    code, out = cli(store, "import", P.write_raw(partial, tmp_path / "a.xlsx"), "--merge")
    assert code == 0, out
    assert "alliances: 0 added, 1 changed (importance), 0 removed, 1 unchanged" in out
    got = store.read("alliances").set_index("id")
    assert got.loc["A1", "importance"] == 5
    assert got.loc["A1", "notes"] == P.rows()["alliances"][0]["notes"]


@pytest.mark.parametrize("mode", ["merge", "replace", "add"])
def test_dry_run_counts_equal_what_the_real_run_does(store, tmp_path, mode):
    loaded(store, tmp_path)
    data = edited_rows()
    if mode == "replace":
        del data["kpi_actuals"][0]  # removed by a replace, kept by a merge
        data["lessons"] = []  # a record type emptied
    if mode == "add":
        data = {"kpi_actuals": data["kpi_actuals"][2:]}
    path = P.write_raw(data, tmp_path / "edit")
    counts_before = store.counts()
    code, dry = cli(store, "import", path, f"--{mode}", "--dry-run")
    assert code == 0, dry
    assert "dry run, nothing was written" in dry
    assert store.counts() == counts_before
    code, real = cli(store, "import", path, f"--{mode}")
    assert code == 0, real
    dry_lines, real_lines = dry.splitlines(), real.splitlines()
    assert [ln for ln in dry_lines if ln.startswith("  ")] == [
        ln for ln in real_lines[1 : len(dry_lines)] if ln.startswith("  ")
    ]
    numbers = dry_lines[0].split(" would ")[1].split(";")[0]
    assert (
        numbers.replace("add", "added")
        .replace("change ", "changed ")
        .replace("and remove", "and removed")
        in real_lines[0]
    )
    expected = {
        "merge": "alliances: 0 added, 1 changed (name, importance), 0 removed, 1 unchanged",
        "replace": "kpi_actuals: 1 added, 0 changed, 1 removed, 1 unchanged",
        "add": "kpi_actuals: 1 added, 0 changed, 0 removed, 0 unchanged",
    }[mode]
    assert expected in dry
    # what was done is exactly what was announced: the same file now changes nothing
    if mode != "add":
        code, again = cli(store, "import", path, f"--{mode}", "--dry-run")
        assert "would add 0, change 0 and remove 0 records" in again, again
    counts = store.counts()
    assert counts["kpi_actuals"] == {"merge": 3, "replace": 2, "add": 3}[mode]
    assert counts["lessons"] == (0 if mode == "replace" else counts_before["lessons"])


def test_replace_keeps_survey_invitations_of_the_respondents_it_keeps(store, tmp_path):
    loaded(store, tmp_path)
    when = dt.datetime(2026, 9, 10, 12, 0)
    kept = survey.invite(store, "RP1", now=when)
    survey.submit(store, kept.code, now=when)
    gone = survey.invite(store, "RP2", now=when)
    data = P.rows()
    data["respondents"] = [r for r in data["respondents"] if r["id"] != "RP2"]
    data["answers"] = [a for a in data["answers"] if a["respondent_id"] != "RP2"]
    path = P.write_raw(data, tmp_path / "without-rp2")
    code, dry = cli(store, "import", path, "--replace", "--dry-run")
    assert "1 survey invitation(s) of removed respondents would be deleted" in dry
    code, out = cli(store, "import", path, "--replace")
    assert code == 0, out
    assert "1 survey invitation(s) of removed respondents were deleted" in out
    # the kept respondent's code is still theirs, and still submitted
    assert survey.verify(store, kept.code, now=when).reason == "submitted"
    assert survey.verify(store, gone.code, now=when).reason == "invalid"


# --- snapshots and restore -----------------------------------------------------------------


def test_restore_brings_back_the_export_taken_before_the_change(store, tmp_path):
    before = loaded(store, tmp_path)
    code, out = cli(store, "import", P.write_raw(edited_rows(), tmp_path / "e.xlsx"), "--merge")
    assert code == 0, out
    [merge_snap] = snapshots.list_snapshots(store)
    assert merge_snap.command == "import-merge" and merge_snap.records == 41
    assert f"alliance-kit restore {merge_snap.name}" in out
    merged = export_bytes(store, tmp_path / "merged")
    assert merged != before
    code, out = cli(
        store,
        "import",
        P.write_raw({"alliances": P.rows()["alliances"][:1]}, tmp_path / "one"),
        "--replace",
    )
    assert code == 0, out
    assert store.counts()["alliances"] == 1
    code, listing = cli(store, "snapshots")
    assert merge_snap.name in listing and "import-replace" in listing
    code, out = cli(store, "restore", merge_snap.name)
    assert code == 0, out
    assert export_bytes(store, tmp_path / "restored") == before
    # the restore snapshotted the state it replaced: it can be undone too
    latest = snapshots.list_snapshots(store)[-1]
    assert latest.command == "restore" and latest.records < 41
    assert cli(store, "restore", latest.name)[0] == 0
    assert store.counts()["alliances"] == 1


def test_snapshots_keep_the_newest_n(store, tmp_path, monkeypatch):
    loaded(store, tmp_path)
    monkeypatch.setenv("ALLIANCE_KIT_SNAPSHOT_KEEP", "2")
    names = [snapshots.take(store, f"step{i}").name for i in range(3)]
    assert [s.name for s in snapshots.list_snapshots(store)] == names[1:]
    with pytest.raises(ValueError, match="no snapshot"):
        snapshots.find(store, "../../etc")


def test_schema_upgrade_of_a_store_with_records_is_snapshotted(store, tmp_path, monkeypatch):
    before = loaded(store, tmp_path)
    url = url_of(store)
    # the store is at this version's head: opening it for writing takes no snapshot
    assert open_store(url, create=True).upgrade_snapshot is None
    # a newer version (a head beyond the store's revision) snapshots before upgrading
    with monkeypatch.context() as m:
        m.setattr(Store, "head", lambda self: "9999_future")
        upgraded = open_store(url, create=True)
    assert upgraded.upgrade_snapshot is not None
    [snap] = snapshots.list_snapshots(store)
    assert snap.command == "upgrade" and snap.records == 41
    upgraded.engine.dispose()
    store.replace_all({})
    snapshots.restore(store, snap.name)
    assert export_bytes(store, tmp_path / "after") == before


# --- a merge killed midway -------------------------------------------------------------------


KILLED_MERGE = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from alliance_kit.records import io
    from alliance_kit.records.store import Store

    url, path, flag = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    store = Store(url)
    real_insert = Store._insert

    def insert_then_hang(self, table, rows, *, conn=None):
        n = real_insert(self, table, rows, conn=conn)
        flag.write_text(table)  # rows of the merge are written, not committed
        time.sleep(120)  # killed here
        return n

    Store._insert = insert_then_hang
    io.import_portfolio(store, path, mode="merge")
    """
)


def test_kill_9_during_a_merge_leaves_the_previous_state_and_a_usable_store(store, tmp_path):
    before = loaded(store, tmp_path)
    path = P.write_raw(edited_rows(), tmp_path / "edit")
    flag = tmp_path / "writing"
    proc = subprocess.Popen([sys.executable, "-c", KILLED_MERGE, url_of(store), path, flag])
    try:
        deadline = time.monotonic() + 120
        while not flag.exists():
            assert time.monotonic() < deadline, "the merge never started writing"
            assert proc.poll() is None, "the merge exited early"
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    store.engine.dispose()
    assert export_bytes(store, tmp_path / "after-kill") == before
    # and the store takes the same merge afterwards
    code, out = cli(store, "import", path, "--merge")
    assert code == 0, out
    assert store.read("alliances").set_index("id").loc["A2", "name"] == "Reseller EU (renewed)"


@pytest.mark.postgres
def test_an_application_role_merges_replaces_and_restores(pg_store, tmp_path):
    """A team's application account (an existing login granted the analyst role) may only
    read and write rows (no TRUNCATE, owns no table, row-level security applies): merge,
    replace, snapshot and restore still work, with the same results."""
    from sqlalchemy.engine import make_url

    from alliance_kit.records import access

    app = os.environ.get("ALLIANCE_KIT_TEST_PG_APP")
    if not app:
        pytest.fail("ALLIANCE_KIT_TEST_PG_APP is not set: run the suite with `make test`")
    access.grant(pg_store, "Team app", "analyst", login=make_url(app).username)
    before = loaded(pg_store, tmp_path)
    app_url = f"{app}/{pg_store.engine.url.database}"

    def as_app(*args) -> None:  # in a process of its own: its connections end with it
        run = [sys.executable, "-c", "from alliance_kit.cli import main; main()"]
        done = subprocess.run([*run, *map(str, args), "--db", app_url], capture_output=True)
        assert done.returncode == 0, done.stdout + done.stderr

    as_app("import", P.write_raw(edited_rows(), tmp_path / "edit"), "--merge")
    as_app(
        "import",
        P.write_raw({"alliances": P.rows()["alliances"][:1]}, tmp_path / "one"),
        "--replace",
    )
    assert pg_store.counts()["alliances"] == 1
    first = snapshots.list_snapshots(pg_store)[0]
    assert first.command == "import-merge"
    as_app("restore", first.name)
    assert export_bytes(pg_store, tmp_path / "after") == before


KILLED_RESTORE = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from alliance_kit.records import snapshots
    from alliance_kit.records.store import Store

    url, name, flag = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    store = Store(url)
    snap = snapshots.find(store, name)

    def slowly(status, remaining, total):
        flag.write_text(f"{remaining} of {total} pages to go")
        time.sleep(120)  # killed here, part of the pages copied into the live file

    snapshots._sqlite_restore(store, snap.path / snapshots.SQLITE_FILE, pages=1, progress=slowly)
    """
)


def test_kill_9_during_a_sqlite_restore_leaves_the_store_as_it_was(sqlite_store, tmp_path):
    loaded(sqlite_store, tmp_path)
    snap = snapshots.take(sqlite_store, "before-merge")
    code, out = cli(sqlite_store, "import", P.write_raw(edited_rows(), tmp_path / "e"), "--merge")
    assert code == 0, out
    merged = export_bytes(sqlite_store, tmp_path / "merged")
    flag = tmp_path / "copying"
    url = str(sqlite_store.engine.url.database)
    proc = subprocess.Popen([sys.executable, "-c", KILLED_RESTORE, url, snap.name, flag])
    try:
        deadline = time.monotonic() + 120
        while not flag.exists():
            assert time.monotonic() < deadline, "the restore never started copying"
            assert proc.poll() is None, "the restore exited early"
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert not flag.read_text().startswith("0 of")  # killed with pages still to copy
    sqlite_store.engine.dispose()
    assert export_bytes(sqlite_store, tmp_path / "after-kill") == merged
    sqlite_store.check()  # still a store at this version's schema
    snapshots.restore(sqlite_store, snap.name)  # and the restore, run again, completes
    assert sqlite_store.read("alliances").set_index("id").loc["A2", "name"] == "Reseller EU"
