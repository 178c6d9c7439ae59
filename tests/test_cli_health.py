"""``alliance-kit score`` and ``alliance-kit explain`` against a real SQLite store."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from alliance_kit.cli import main
from alliance_kit.cli.health import _period
from alliance_kit.records import periods
from alliance_kit.records.store import Store

sys.path.insert(0, str(Path(__file__).parent))
from frame_helpers import tf  # noqa: E402
from test_health import P, alliance, answers_for, base_frames  # noqa: E402

#: base_frames' crack scores with the default anonymity threshold of 3: the partner side
#: of crack 1 has 2 respondents, so crack 1's survey pools both sides (55.0) and scores
#: 0.6 x 55.0 + 0.4 x 41.1 = 49.4; the index is 329.7 / 6 = 54.95 -> 55.0.
SCORES = {1: 49.4, 2: 75.0, 3: 33.0, 4: 51.4, 5: 70.9, 6: 50.0}


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
    assert "55.0" in row and "amber" in row and "16% (10%-22%)" in row
    assert "49.4R" in row and "75.0G" in row and "33.0R" in row and "51.4A" in row
    assert "USD:" in r.output and "coin flip at health 60.0" in r.output
    assert "one decimal, thresholds on the figure shown" in r.output
    assert "chance of failing within the next 12 months" in r.output
    assert "crack survey figures withheld: fewer than 3 respondents" in r.output


def test_score_json_holds_every_table(db):
    r = run("score", "--period", P, "--format", "json", "--db", db)
    doc = json.loads(r.output)
    assert doc["period"] == P and doc["model"]["source"] == "default"
    assert doc["alliances"][0]["health_index"] == 55.0
    scores = {c["crack"]: c["score"] for c in doc["cracks"]}
    assert scores == SCORES
    assert "one decimal" in doc["rules"]["rounding"] and "12 months" in doc["rules"]["horizon"]
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
    assert "repaired by: business case, governance" in r.output
    assert "partner  withheld: fewer than 3 respondents on this side" in r.output


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


@pytest.fixture
def sparse_db(tmp_path) -> str:
    """A new user's first store: two alliances; A1 has no survey and no records, A2 one
    respondent a side."""
    frames = {
        "alliances": tf("alliances", [alliance("A1"), alliance("A2")]),
        "assessment_rounds": tf("assessment_rounds", [
            dict(id="R2", alliance_id="A2", period=P, questionnaire_version="2026.1",
                 opened_on="2026-09-01")]),
        "respondents": tf("respondents", [dict(id="u", round_id="R2", side="us"),
                                          dict(id="p", round_id="R2", side="partner")]),
        "answers": tf("answers", [a for c in range(1, 7) for r, v in (("u", 4), ("p", 1))
                                  for a in answers_for(r, c, [v] * 4)]),
    }  # fmt: skip
    path = tmp_path / "sparse.sqlite"
    store = Store(str(path))
    store.migrate()
    store.replace_all(frames)
    store.engine.dispose()
    return str(path)


def test_score_json_of_a_sparse_store_says_not_assessed_and_why(sparse_db):
    r = run("score", "--period", P, "--format", "json", "--db", sparse_db)
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output)
    for a in doc["alliances"]:
        assert a["status"] == "not assessed"
        assert a["health_index"] is None and a["failure_probability"] is None
        assert a["revenue_at_risk"] is None and a["missing"]
    assert {a["status"] for a in doc["alliances"]} <= {"green", "amber", "red", "not assessed"}
    for c in doc["cracks"]:
        if c["score"] is None:
            assert c["missing"], c
    assert all(s["mean"] is None and s["withheld"] for s in doc["sides"])
    assert all(c["survey_us"] is None and c["gap"] is None for c in doc["cracks"])
    assert doc["portfolio"][0]["not_assessed"] == 2
    csv = run("score", "-p", P, "--format", "csv", "--table", "sides", "--db", sparse_db).output
    assert "25.0" not in csv and "0.0," not in csv  # neither person's mean


def test_score_table_and_explain_of_a_sparse_store(sparse_db):
    r = run("score", "--period", P, "--db", sparse_db)
    assert r.exit_code == 0, r.output
    assert "Not assessed (what is missing):" in r.output
    assert "A1: no survey answers this quarter" in r.output
    assert "A2: survey answers withheld: fewer than 3 respondents in all" in r.output
    assert "2 not assessed, left out" in r.output
    r = run("explain", "A2", "--period", P, "--crack", "1", "--db", sparse_db)
    assert r.exit_code == 0, r.output
    assert "partner  withheld: fewer than 3 respondents on this side" in r.output
    assert "not computed (not assessed)" in r.output
    r = run("explain", "A1", "--period", P, "--crack", "3", "--db", sparse_db)
    assert r.exit_code == 0, r.output
    assert "score n/a (not assessed)" in r.output
    assert "not scored: no survey answers and no records" in r.output
    assert "age of open issues: null: no issue logged" in r.output
