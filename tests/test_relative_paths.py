"""Paths a user types are taken from the directory the command was started in, although the
kernels and servers a command starts run elsewhere (issue: `report --out myreports` failed
every report). Every command runs here from a directory that is not the repository root."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from alliance_kit import config
from alliance_kit.cli import main

PERIOD = "2026-Q3"
AS_OF = "2026-11-27"


@pytest.fixture
def workdir(tmp_path, monkeypatch) -> Path:
    """An empty working directory, not the checkout, made the current one."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.delenv(config.ENV_DB, raising=False)
    return work


def run(*args: str) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_absolute_db_makes_files_and_sqlite_urls_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert config.absolute_db("store.sqlite") == str(tmp_path / "store.sqlite")
    assert config.absolute_db("sqlite:///sub/s.sqlite") == f"sqlite:///{tmp_path}/sub/s.sqlite"
    assert config.absolute_db("sqlite:////abs/s.sqlite") == "sqlite:////abs/s.sqlite"
    pg = "postgresql://u:p@host/db"
    assert config.absolute_db(pg) == pg
    assert config.absolute_db(None) is None
    assert config.absolute_db("~/x.sqlite") == str(Path.home() / "x.sqlite")


@pytest.mark.notebook
def test_demo_and_report_with_relative_db_and_out(workdir):
    """demo --out, report --out and --db relative; the kernels find the store and inputs."""
    out = run("demo", "--db", "my.sqlite", "--alliances", "3", "--out", "demo_reports")
    assert (workdir / "my.sqlite").exists()
    index = next((workdir / "demo_reports").glob("*/index.html"))
    assert index.resolve().as_uri() in out

    out = run(
        "report", "--db", "my.sqlite", "--period", PERIOD, "--out", "myreports",
        "--alliance", "A001", "--no-progress", "--as-of", AS_OF,
    )  # fmt: skip
    folder = workdir / "myreports" / PERIOD
    assert (folder / "alliances" / "A001.html").exists() and (folder / "portfolio.html").exists()
    assert "failed" not in out.replace("0 failed", "")


@pytest.mark.notebook
def test_report_with_a_relative_store_in_the_environment(workdir, monkeypatch):
    run("demo", "--db", "env.sqlite", "--alliances", "2", "--no-reports")
    monkeypatch.setenv(config.ENV_DB, "env.sqlite")
    run(
        "report", "--period", PERIOD, "--out", "rel", "--alliance", "A002", "--no-progress",
        "--as-of", AS_OF,
    )  # fmt: skip
    assert (workdir / "rel" / PERIOD / "alliances" / "A002.html").exists()


def test_intake_and_score_commands_with_relative_paths(workdir):
    run("demo", "--db", "s.sqlite", "--alliances", "2", "--no-reports")
    run("template", "blank.xlsx")
    assert (workdir / "blank.xlsx").exists()
    run("export", "out.xlsx", "--db", "s.sqlite")
    run("export", "csv_out", "--format", "csv", "--db", "s.sqlite")
    assert (workdir / "out.xlsx").exists() and (workdir / "csv_out" / "alliances.csv").exists()
    assert "is valid" in run("validate", "out.xlsx")
    run("score", "--period", PERIOD, "--db", "s.sqlite", "--format", "csv", "--out", "scores.csv")
    assert (workdir / "scores.csv").read_text().startswith("alliance")
