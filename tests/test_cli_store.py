"""How commands treat the store they are pointed at: read-only commands never create one."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from alliance_kit.cli import main


@pytest.mark.parametrize(
    "args",
    [
        ["score", "--period", "2026-Q3"],
        ["export", "{out}"],
        ["survey", "status", "--round", "R1"],
    ],
)
@pytest.mark.parametrize("name", ["alliance_kit.sqlit", "missing_folder/alliance_kit.sqlite"])
def test_read_only_commands_refuse_a_missing_store_without_creating_it(tmp_path, args, name):
    db = tmp_path / name
    args = [a.format(out=tmp_path / "out.xlsx") for a in args]
    result = CliRunner().invoke(main, [*args, "--db", str(db)])
    assert result.exit_code == 1, result.output
    assert "no store at" in result.output and "file not found" in result.output
    assert "is empty" not in result.output
    for hint in ("--db", "ALLIANCE_KIT_DB", "alliance-kit init", "alliance-kit demo"):
        assert hint in result.output
    assert list(tmp_path.iterdir()) == []


def test_missing_store_named_by_the_environment_is_refused(tmp_path, monkeypatch):
    db = tmp_path / "typo.sqlit"
    monkeypatch.setenv("ALLIANCE_KIT_DB", str(db))
    result = CliRunner().invoke(main, ["score", "--period", "2026-Q3"])
    assert result.exit_code == 1 and "no store at" in result.output
    assert not db.exists()


def test_init_still_creates_the_store_and_its_folder(tmp_path):
    db = tmp_path / "new" / "alliance_kit.sqlite"
    result = CliRunner().invoke(main, ["init", "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert db.exists()
    result = CliRunner().invoke(main, ["score", "--period", "2026-Q3", "--db", str(db)])
    assert "no store at" not in result.output
