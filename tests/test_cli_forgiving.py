"""Commands take what users type where its meaning is clear (any case for quarters and
ids), name unknown keys with their near matches, and refuse impossible stores and busy
ports in one line, before anything starts."""

from __future__ import annotations

import socket

import pytest
from click.testing import CliRunner

from alliance_kit.cli import main
from alliance_kit.records import keys, periods

AS_OF = ["--as-of", "2026-11-27"]


def invoke(*args: str):
    return CliRunner().invoke(main, list(args))


@pytest.fixture
def db(sample_store) -> str:
    return sample_store.url.split("///", 1)[1]


def test_keys_match_any_case_and_width_and_name_near_matches():
    known = ["A001", "A008", "A009", "RND-0001"]
    assert keys.match("a008", known) == "A008"
    assert keys.match("Ａ００８", known) == "A008"
    assert keys.match(" rnd-0001 ", known, what="round") == "RND-0001"
    with pytest.raises(ValueError, match=r"unknown alliance 'A999': did you mean A009"):
        keys.match("A999", known)
    with pytest.raises(ValueError, match="the store has none"):
        keys.match("A001", [])


def test_quarters_in_any_case():
    assert periods.normalize("2026-q3") == "2026-Q3"
    assert periods.normalize(" 2026 Q3 ") == periods.normalize("2026q3") == "2026-Q3"
    assert periods.resolve("2026-q3", periods.end("2026-Q4")) == "2026-Q3"
    with pytest.raises(ValueError, match="write it like 2026-Q3"):
        periods.normalize("Q3-2026")


def test_score_and_explain_accept_lowercase_quarter_and_id(db):
    upper = invoke("score", "--period", "2026-Q3", "--db", db, *AS_OF)
    lower = invoke("score", "--period", "2026-q3", "--db", db, *AS_OF)
    assert upper.exit_code == 0 and lower.exit_code == 0, lower.output
    assert lower.output == upper.output
    upper = invoke("explain", "A008", "--period", "2026-Q3", "--db", db, *AS_OF)
    lower = invoke("explain", "a008", "--period", "2026-q3", "--db", db, *AS_OF)
    assert lower.exit_code == 0, lower.output
    assert lower.output == upper.output


def test_explain_an_unknown_alliance_names_near_matches(db):
    result = invoke("explain", "A999", "--period", "2026-Q3", "--db", db, *AS_OF)
    assert result.exit_code == 1
    assert "unknown alliance 'A999': did you mean A009" in result.output
    assert "no scores" not in result.output and "Traceback" not in result.output


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("README.md", "is not a SQLite database"),
        ("portfolio.xlsx", "looks like an intake file"),
        ("mysql://root:hunter2@db/x", "is not a store alliance-kit can use"),
        (".", "is a folder, not a store"),
    ],
)
def test_impossible_stores_are_refused_in_one_line(tmp_path, monkeypatch, value, says):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "README.md").write_text("# not a database\n")
    (tmp_path / "portfolio.xlsx").write_bytes(b"PK\x03\x04")
    for command in (["score", "--period", "2026-Q3"], ["init"]):
        result = invoke(*command, "--db", value)
        assert result.exit_code == 1, result.output
        assert says in result.output and "postgresql://user:password@host" in result.output
        assert "Traceback" not in result.output and "hunter2" not in result.output
        assert len(result.output.strip().splitlines()) == 1
    assert (tmp_path / "README.md").read_text() == "# not a database\n"


def test_survey_commands_take_any_case_and_one_quarter_rule(db):
    result = invoke("survey", "open-round", "--alliance", "a003", "--period", "2099-Q1",
                    "--db", db)  # fmt: skip
    assert result.exit_code == 1 and "2099-Q1 has not started yet" in result.output
    result = invoke("survey", "open-round", "--alliance", "a003", "--period", "2026-q4",
                    "--db", db)  # fmt: skip
    assert result.exit_code == 0, result.output
    round_id = result.output.split()[1].rstrip(":")
    assert "alliance A003, period 2026-Q4" in result.output
    for side in ("us", "partner"):
        r = invoke("survey", "add-respondent", "--round", round_id.lower(), "--side", side,
                   "--db", db)  # fmt: skip
        assert r.exit_code == 0, r.output
    # the README's command: no --respondent, no --all -> everyone not invited yet
    first = invoke("survey", "invite", "--round", round_id.lower(), "--db", db)
    assert first.exit_code == 0, first.output
    assert first.output.count("?code=") == 2
    again = invoke("survey", "invite", "--round", round_id, "--db", db)
    assert again.exit_code == 1 and "everyone in round" in again.output
    status = invoke("survey", "status", "--alliance", "a003", "--period", "2026-q4", "--db", db)
    assert status.exit_code == 0 and f"round {round_id} (A003, 2026-Q4)" in status.output


def test_a_busy_port_is_refused_before_any_link_is_printed(db):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        for args in (["dashboard", "--port", str(port)], ["survey", "serve", "--port", str(port)]):
            result = invoke(*args, "--db", db)
            assert result.exit_code == 1, result.output
            assert f"port {port} on 127.0.0.1 is in use" in result.output
            assert "token=" not in result.output and "Ctrl-C" not in result.output
