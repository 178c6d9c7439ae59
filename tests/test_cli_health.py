"""``alliance-kit score`` and ``alliance-kit explain`` against a real SQLite store."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from alliance_kit import periods
from alliance_kit.cli import main
from alliance_kit.cli.health import _period
from alliance_kit.store import Store

sys.path.insert(0, str(Path(__file__).parent))
from test_health import EXPECTED_SCORES, P, base_frames  # noqa: E402


@pytest.fixture
def db(tmp_path) -> str:
    path = tmp_path / "store.sqlite"
    store = Store(str(path))
    store.migrate()
    store.replace_all(base_frames())
    store.engine.dispose()
    return str(path)


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_score_table_is_readable(db):
    r = run("score", "--period", P, "--db", db)
    assert r.exit_code == 0, r.output
    assert "Alliance health, 2026-Q3" in r.output
    row = next(line for line in r.output.splitlines() if line.strip().startswith("A1 "))
    assert "54.7" in row and "amber" in row and "58%" in row
    assert "48R" in row and "75G" in row and "33R" in row and "51A" in row
    assert "USD:" in r.output and "coin flip at health 60.0" in r.output


def test_score_json_holds_every_table(db):
    r = run("score", "--period", P, "--format", "json", "--db", db)
    doc = json.loads(r.output)
    assert doc["period"] == P and doc["model"]["source"] == "default"
    assert doc["alliances"][0]["health_index"] == pytest.approx(sum(EXPECTED_SCORES.values()) / 6)
    scores = {c["crack"]: c["score"] for c in doc["cracks"]}
    assert scores == pytest.approx(EXPECTED_SCORES)
    assert {"alerts", "sides", "evidence", "portfolio"} <= set(doc)
    assert all("respondent_id" not in s for s in doc["sides"])


def test_score_csv_to_a_file(db, tmp_path):
    out = tmp_path / "out" / "cracks.csv"
    r = run("score", "-p", P, "--format", "csv", "--table", "cracks", "--out", str(out),
            "--db", db)  # fmt: skip
    assert r.exit_code == 0
    df = pd.read_csv(out)
    assert len(df) == 6 and df.set_index("crack")["status"][1] == "red"
    r = run("score", "-p", P, "--format", "csv", "--db", db)
    assert pd.read_csv(io.StringIO(r.output))["alliance_id"].tolist() == ["A1"]


def test_previous_means_the_last_closed_quarter():
    assert _period("previous") == periods.last_closed()
    assert _period(" 2026-Q1 ") == "2026-Q1"


def test_bad_period_is_a_clean_error(db):
    r = CliRunner().invoke(main, ["score", "--period", "2026-13", "--db", db])
    assert r.exit_code != 0 and "not a quarter" in r.output


def test_explain_defaults_to_the_worst_crack(db):
    r = run("explain", "A1", "--period", P, "--db", db)
    assert r.exit_code == 0
    assert "crack 3 Trusting working relationship: score 33.0 (red)" in r.output
    assert "decision latency: median 30 days" in r.output
    r = run("explain", "A1", "--period", P, "--crack", "1", "--db", db)
    assert "blind spot" in r.output and "repaired by: business case, governance" in r.output


def test_a_quarter_that_has_not_started_is_refused(db):
    for cmd in (["score"], ["explain", "A1"]):
        r = CliRunner().invoke(main, [*cmd, "-p", "2026-Q4", "--as-of", "2026-09-30", "--db", db])
        assert r.exit_code != 0, r.output
        assert "2026-Q4 has not started yet" in r.output
        assert "Alliance health" not in r.output and "Traceback" not in r.output


def test_a_quarter_in_progress_is_scored_and_labelled_so(db):
    r = run("score", "-p", P, "--as-of", "2026-08-15", "--db", db)
    assert r.exit_code == 0, r.output
    assert "Alliance health, 2026-Q3 (in progress, as of 2026-08-15)" in r.output
    doc = json.loads(run("score", "-p", P, "--format", "json", "--as-of", "2026-08-15",
                         "--db", db).output)  # fmt: skip
    assert doc["period"] == P and doc["in_progress"] is True and doc["as_of"] == "2026-08-15"
    r = run("explain", "A1", "-p", P, "--as-of", "2026-08-15", "--db", db)
    assert r.output.startswith("2026-Q3 (in progress, as of 2026-08-15)")
    closed = run("score", "-p", P, "--as-of", "2026-11-27", "--db", db)
    assert (
        "Alliance health, 2026-Q3  (crack" in closed.output and "in progress" not in closed.output
    )
    doc = json.loads(run("score", "-p", P, "--format", "json", "--as-of", "2026-11-27",
                         "--db", db).output)  # fmt: skip
    assert doc["in_progress"] is False


def test_a_quarter_before_any_alliance_ran_is_refused(db):
    r = CliRunner().invoke(main, ["score", "-p", "2023-Q4", "--as-of", "2026-11-27", "--db", db])
    assert r.exit_code != 0
    assert "no alliance was running in 2023-Q4" in r.output
    assert "running in 2024-Q1 to 2026-Q4" in r.output
