"""The intake commands: import, validate, export, template."""

from __future__ import annotations

import pytest
from bad_inputs import portfolio as P
from click.testing import CliRunner

from alliance_kit.cli import main
from alliance_kit.records.store import Store


@pytest.fixture
def run():
    runner = CliRunner()

    def invoke(*args: str):
        result = runner.invoke(main, [str(a) for a in args])
        assert "Traceback" not in result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)
        return result

    return invoke


@pytest.mark.parametrize("command", ["import", "validate", "export", "template"])
def test_every_command_has_help(run, command):
    result = run(command, "--help")
    assert result.exit_code == 0 and "Usage:" in result.output


def test_import_then_export_both_formats(run, tmp_path):
    db = tmp_path / "s.sqlite"
    source = P.write_raw(P.rows(), tmp_path / "in.xlsx")
    result = run("import", source, "--db", db)
    assert result.exit_code == 0, result.output
    assert "added 41, changed 0 and removed 0 records" in result.output
    assert "alliances: 2 added" in result.output
    assert Store(str(db)).counts()["kpis"] == 2
    out = run("export", tmp_path / "out.xlsx", "--db", db)
    assert out.exit_code == 0 and (tmp_path / "out.xlsx").exists()
    out = run("export", tmp_path / "folder", "--format", "csv", "--db", db)
    assert out.exit_code == 0 and (tmp_path / "folder" / "alliances.csv").exists()


def test_invalid_import_prints_every_problem_and_exits_1(run, tmp_path):
    db = tmp_path / "s.sqlite"
    assert run("import", P.write_raw(P.rows(), tmp_path / "ok.xlsx"), "--db", db).exit_code == 0
    data = P.rows()
    data["alliances"][0]["importance"] = 7
    data["kpis"][0]["target"] = 40
    data["resources"][0]["period"] = "2026Q3"
    bad = P.write_raw(data, tmp_path / "bad")
    result = run("import", bad, "--db", db, "--replace")
    assert result.exit_code == 1
    lines = result.stdout.strip().splitlines()
    assert lines == [
        f"{bad}/alliances.csv, row 2, column importance: 7 — expected a whole number from 1 to 5",
        f"{bad}/kpis.csv, row 2, column target: 40 — expected a target above the baseline 50 "
        "because the KPI should increase",
        f"{bad}/resources.csv, row 2, column period: 2026Q3 — expected a quarter written like "
        "2026-Q3",
    ]
    assert "3 problems" in result.stderr and "nothing was imported" in result.stderr
    store = Store(str(db))
    assert store.read("alliances")["importance"].tolist() == [4, 2]


def test_dry_run_writes_nothing(run, tmp_path):
    db = tmp_path / "s.sqlite"
    result = run("import", P.write_raw(P.rows(), tmp_path / "in"), "--db", db, "--dry-run")
    assert result.exit_code == 0 and "would add 41, change 0 and remove 0" in result.output
    assert sum(Store(str(db)).counts().values()) == 0


def test_validate_touches_no_store(run, tmp_path, monkeypatch):
    monkeypatch.setenv("ALLIANCE_KIT_DB", str(tmp_path / "never.sqlite"))
    ok = run("validate", P.write_raw(P.rows(), tmp_path / "in.xlsx"))
    assert ok.exit_code == 0 and "is valid: 41 records in " in ok.output
    one = P.rows()
    one = {name: rows[:1] if name == "alliances" else [] for name, rows in one.items()}
    ok = run("validate", P.write_raw(one, tmp_path / "one.xlsx"))
    assert ok.exit_code == 0 and "is valid: 1 record in 1 sheet" in ok.output, ok.output
    wrong = tmp_path / "notes.txt"
    wrong.write_text("hello")
    bad = run("validate", wrong)
    assert bad.exit_code == 1 and bad.stdout.startswith(str(wrong))
    assert not (tmp_path / "never.sqlite").exists()


def test_template_command_writes_the_workbook(run, tmp_path):
    result = run("template", tmp_path / "t.xlsx")
    assert result.exit_code == 0 and (tmp_path / "t.xlsx").stat().st_size > 5000


def test_user_mistakes_give_clean_errors(run, tmp_path):
    usage = run("export", tmp_path / "x", "--format", "ods")
    assert usage.exit_code == 2
    missing_store = run("export", tmp_path / "x.xlsx", "--db", tmp_path / "none.sqlite")
    assert missing_store.exit_code == 1 and "alliance-kit init" in missing_store.output
    absent = run("import", tmp_path / "absent.xlsx", "--db", tmp_path / "s.sqlite")
    assert absent.exit_code == 1 and "absent.xlsx" in absent.output


def test_dates_option_reads_a_day_first_csv_folder(run, tmp_path):
    """A CSV folder has no README sheet: --dates says how its dates are written."""
    data = P.rows()
    data["alliances"][0]["start_date"] = "15/01/2024"
    data["alliances"][0]["currency"] = "nok"
    data["business_cases"][0]["discount_rate"] = "10%"
    folder = P.write_raw(data, tmp_path / "in")
    refused = run("validate", folder)
    assert refused.exit_code == 1
    assert refused.stdout.splitlines() == [
        f"{folder}/alliances.csv, row 2, column start_date: 15/01/2024 — expected a date "
        "written YYYY-MM-DD; 15/01/2024 could be read day-first or month-first: write the "
        "date YYYY-MM-DD, or say how this file writes dates: the README sheet's 'Dates are "
        "written' cell (DD/MM/YYYY or MM/DD/YYYY) in a workbook, or --dates day-first or "
        "--dates month-first"
    ]
    assert run("validate", folder, "--dates", "Day-First").exit_code == 0
    db = tmp_path / "s.sqlite"
    done = run("import", folder, "--db", db, "--dates", "day-first")
    assert done.exit_code == 0, done.output
    a = Store(str(db)).read("alliances").set_index("id")
    assert str(a.loc["A1", "start_date"])[:10] == "2024-01-15" and a.loc["A1", "currency"] == "NOK"
    assert Store(str(db)).read("business_cases")["discount_rate"].tolist() == [0.1]
    wrong = run("validate", folder, "--dates", "dmy")
    assert wrong.exit_code == 2 and "day-first" in wrong.output


def test_the_dates_option_is_in_the_help(run):
    for command in ("import", "validate"):
        shown = run(command, "--help").output
        assert "--dates" in shown and "day-first" in shown and "README" in shown
