"""Rounds, respondents, invitation codes, answers and response status (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import hashlib

import pandas as pd
import pytest

from alliance_kit.assess import survey
from alliance_kit.records import questionnaire

NOW = dt.datetime(2026, 7, 2, 9, 0)
IDS = frozenset(s.id for s in questionnaire.load("2026.1").statements)


def add_alliance(store, alliance_id="A001", name="Cloud Co-sell"):
    store.insert(
        "alliances",
        [
            {
                "id": alliance_id,
                "name": name,
                "partner": "Northwind",
                "type": "co-sell",
                "stage": "5 working together",
                "start_date": dt.date(2025, 1, 1),
                "owner": "Eve",
                "expected_revenue": 1_000_000.0,
                "currency": "USD",
                "importance": 4,
            }
        ],
    )


@pytest.fixture
def round_(store):
    add_alliance(store)
    rnd = survey.open_round(
        store, "A001", "2026-Q3", questionnaire_version="2026.1", opened_on=dt.date(2026, 7, 1)
    )
    return store, rnd


# --- rounds and respondents -------------------------------------------------------------


def test_open_round_records_version_and_is_idempotent(round_):
    store, rnd = round_
    assert rnd["questionnaire_version"] == "2026.1"
    again = survey.open_round(store, "A001", "2026-Q3", questionnaire_version="2099.9")
    assert again["id"] == rnd["id"]
    assert again["questionnaire_version"] == "2026.1"  # an existing round keeps its version
    assert len(store.read("assessment_rounds")) == 1


def test_open_round_defaults_to_newest_questionnaire(store):
    add_alliance(store)
    rnd = survey.open_round(store, "A001", "2026-Q2")
    assert rnd["questionnaire_version"] == questionnaire.newest()


@pytest.mark.parametrize(
    ("alliance", "period", "message"),
    [("A001", "2026-3", "quarter"), ("A999", "2026-Q3", "no alliance")],
)
def test_open_round_refuses_bad_input(store, alliance, period, message):
    add_alliance(store)
    with pytest.raises(ValueError, match=message):
        survey.open_round(store, alliance, period, questionnaire_version="2026.1")


def test_add_respondent_checks_side_and_level(round_):
    store, rnd = round_
    rid = survey.add_respondent(store, rnd["id"], "partner", role="finance", org_level="vp")
    row = store.read("respondents", {"id": rid}).iloc[0]
    assert (row["side"], row["role"], row["org_level"], row["label"]) == (
        "partner",
        "finance",
        "vp",
        None,
    )
    with pytest.raises(ValueError, match="side"):
        survey.add_respondent(store, rnd["id"], "them")
    with pytest.raises(ValueError, match="org level"):
        survey.add_respondent(store, rnd["id"], "us", org_level="emperor")
    with pytest.raises(ValueError, match="no assessment round"):
        survey.add_respondent(store, "RND-9999", "us")


# --- invitation codes -------------------------------------------------------------------


def test_code_is_stored_only_as_its_sha256(round_):
    store, rnd = round_
    rid = survey.add_respondent(store, rnd["id"], "us")
    issued = survey.invite(store, rid, now=NOW)
    assert len(issued.code) >= 43  # 32 random bytes, url-safe base64
    inv = store.read("invitations")
    assert inv["code_hash"].tolist() == [hashlib.sha256(issued.code.encode()).hexdigest()]
    flat = " ".join(str(v) for v in inv.to_numpy().ravel())
    assert issued.code not in flat
    assert inv["expires_at"].iloc[0] == pd.Timestamp(NOW + dt.timedelta(days=30))
    assert issued.link("http://h:1/") == f"http://h:1/?code={issued.code}&round={rnd['id']}"


def test_codes_are_unique(round_):
    store, rnd = round_
    rid = survey.add_respondent(store, rnd["id"], "us")
    codes = {survey.invite(store, rid, now=NOW).code for _ in range(5)}
    assert len(codes) == 5


def test_verify_valid_code_gives_the_respondent_and_nothing_else(round_):
    store, rnd = round_
    rid = survey.add_respondent(store, rnd["id"], "partner", role="ops")
    issued = survey.invite(store, rid, now=NOW)
    ctx = survey.verify(store, issued.code, NOW + dt.timedelta(days=1))
    assert isinstance(ctx, survey.RespondentContext)
    assert (ctx.respondent_id, ctx.round_id, ctx.alliance_id, ctx.period, ctx.side) == (
        rid,
        rnd["id"],
        "A001",
        "2026-Q3",
        "partner",
    )
    assert ctx.alliance_name == "Cloud Co-sell"
    assert ctx.questionnaire_version == "2026.1"
    # surrounding whitespace from a copy-paste is forgiven
    assert isinstance(survey.verify(store, f"  {issued.code}\n", NOW), survey.RespondentContext)


def test_verify_refusals(round_):
    store, rnd = round_
    rid = survey.add_respondent(store, rnd["id"], "us")
    issued = survey.invite(store, rid, now=NOW, days=30)
    expiry = NOW + dt.timedelta(days=30)
    assert survey.verify(store, "not-a-code", NOW) == survey.Refusal("invalid")
    assert survey.verify(store, "", NOW) == survey.Refusal("invalid")
    assert survey.verify(store, None, NOW) == survey.Refusal("invalid")
    assert survey.verify(store, issued.code[:-1], NOW) == survey.Refusal("invalid")
    assert isinstance(
        survey.verify(store, issued.code, expiry - dt.timedelta(seconds=1)),
        survey.RespondentContext,
    )
    assert survey.verify(store, issued.code, expiry) == survey.Refusal("expired")
    survey.revoke(store, invitation_id=issued.invitation_id, now=NOW)
    assert survey.verify(store, issued.code, NOW) == survey.Refusal("revoked")
    for reason in ("invalid", "expired", "revoked", "submitted", "closed"):
        assert survey.Refusal(reason).message


def test_reinviting_revokes_the_earlier_code(round_):
    store, rnd = round_
    rid = survey.add_respondent(store, rnd["id"], "us")
    first = survey.invite(store, rid, now=NOW)
    second = survey.invite(store, rid, now=NOW)
    assert survey.verify(store, first.code, NOW) == survey.Refusal("revoked")
    assert isinstance(survey.verify(store, second.code, NOW), survey.RespondentContext)


def test_revoke_by_respondent(round_):
    store, rnd = round_
    rid = survey.add_respondent(store, rnd["id"], "us")
    issued = survey.invite(store, rid, now=NOW)
    assert survey.revoke(store, respondent_id=rid, now=NOW) == 1
    assert survey.revoke(store, respondent_id=rid, now=NOW) == 0
    assert survey.verify(store, issued.code, NOW).reason == "revoked"
    with pytest.raises(ValueError):
        survey.revoke(store)


def test_submit_then_refused_until_reopened(round_):
    store, rnd = round_
    rid = survey.add_respondent(store, rnd["id"], "us")
    issued = survey.invite(store, rid, now=NOW)
    survey.submit(store, issued.code, NOW)
    assert store.read("invitations")["submitted_at"].iloc[0] == pd.Timestamp(NOW)
    assert survey.verify(store, issued.code, NOW) == survey.Refusal("submitted")
    with pytest.raises(ValueError, match="already been submitted"):
        survey.submit(store, issued.code, NOW)
    assert survey.reopen(store, rid, NOW) == 1
    assert isinstance(survey.verify(store, issued.code, NOW), survey.RespondentContext)


def test_closed_round_refuses_codes_and_reopening(round_):
    store, rnd = round_
    rid = survey.add_respondent(store, rnd["id"], "us")
    issued = survey.invite(store, rid, now=NOW)
    survey.save_answer(store, rid, "C1.1", 4, statement_ids=IDS)
    survey.close_round(store, rnd["id"], dt.date(2026, 7, 10))
    # updating the round keeps its respondents, answers and invitations (no cascade)
    assert store.read("respondents")["id"].tolist() == [rid]
    assert len(store.read("answers")) == 1 and len(store.read("invitations")) == 1
    assert isinstance(
        survey.verify(store, issued.code, dt.datetime(2026, 7, 10, 23)), survey.RespondentContext
    )
    assert survey.verify(store, issued.code, dt.datetime(2026, 7, 11, 0)).reason == "closed"
    with pytest.raises(ValueError, match="closed"):
        survey.reopen(store, rid, dt.datetime(2026, 7, 11))


# --- answers ---------------------------------------------------------------------------


def test_save_answer_upserts_one_row(round_):
    store, rnd = round_
    rid = survey.add_respondent(store, rnd["id"], "us")
    survey.save_answer(store, rid, "C1.1", 2, "first", now=NOW)
    survey.save_answer(store, rid, "C1.1", 4, "  second  ", now=NOW + dt.timedelta(minutes=1))
    survey.save_answer(store, rid, "C2.1", None, "", now=NOW)  # don't know, no comment
    answers = store.read("answers", {"respondent_id": rid})
    assert answers["statement_id"].tolist() == ["C1.1", "C2.1"]
    first = answers.iloc[0]
    assert (first["score"], first["comment"]) == (4, "second")
    assert first["answered_at"] == pd.Timestamp(NOW + dt.timedelta(minutes=1))
    assert pd.isna(answers.iloc[1]["score"]) and answers.iloc[1]["comment"] is None


@pytest.mark.parametrize(
    ("statement", "score", "comment", "message"),
    [
        ("C9.9", 3, None, "not part of this questionnaire"),
        ("C1.1", 6, None, "1 to 5"),
        ("C1.1", 0, None, "1 to 5"),
        ("C1.1", True, None, "1 to 5"),
        ("C1.1", 3, "x" * (survey.COMMENT_MAX + 1), "under 2000"),
        ("C1.1", 3, "pasted\x00text", r"control character \(\\x00\) at character 7"),
        ("C1.1", 3, "a\x0bb", r"control character \(\\x0b\)"),
        ("C1.1", 3, "\x01", "control character"),
    ],
)
def test_save_answer_refuses_bad_input_and_writes_nothing(
    round_, statement, score, comment, message
):
    store, rnd = round_
    rid = survey.add_respondent(store, rnd["id"], "us")
    with pytest.raises(survey.AnswerRefused, match=message):
        survey.save_answer(store, rid, statement, score, comment)
    assert store.read("answers").empty


def test_a_comment_keeps_tabs_and_line_breaks_written_as_lf(round_):
    store, rnd = round_
    rid = survey.add_respondent(store, rnd["id"], "us")
    survey.save_answer(store, rid, "C1.1", 4, "one\r\ntwo\tcols\rthree", statement_ids=IDS)
    assert store.read("answers")["comment"].tolist() == ["one\ntwo\tcols\nthree"]


def test_a_respondent_label_with_a_control_character_is_refused(round_):
    store, rnd = round_
    with pytest.raises(ValueError, match=r"label 'Ann\\x00' cannot be stored"):
        survey.add_respondent(store, rnd["id"], "us", label="Ann\x00")
    assert store.read("respondents").empty


def test_save_answer_looks_up_the_rounds_version(round_):
    store, rnd = round_
    rid = survey.add_respondent(store, rnd["id"], "us")
    survey.save_answer(store, rid, "C6.4", 5)
    assert store.read("answers")["statement_id"].tolist() == ["C6.4"]


def test_a_failing_save_loses_only_that_answer(round_, monkeypatch):
    store, rnd = round_
    rid = survey.add_respondent(store, rnd["id"], "us")
    survey.save_answer(store, rid, "C1.1", 4, statement_ids=IDS)
    real = store.upsert

    def crash(table, rows, **kw):
        real(table, rows, **kw)  # the write happens inside the transaction...
        raise RuntimeError("kernel died")  # ...which then fails before it commits

    def crash_in_transaction(table, rows, **kw):
        with store.transaction() as conn:
            crash(table, rows, conn=conn)

    monkeypatch.setattr(store, "upsert", crash_in_transaction)
    with pytest.raises(RuntimeError):
        survey.save_answer(store, rid, "C1.2", 2, statement_ids=IDS)
    answers = store.read("answers")
    assert answers["statement_id"].tolist() == ["C1.1"]


def test_save_answer_with_code_checks_the_code_every_time(round_):
    store, rnd = round_
    rid = survey.add_respondent(store, rnd["id"], "us")
    issued = survey.invite(store, rid, now=NOW)
    survey.save_answer_with_code(store, issued.code, "C1.1", 3, now=NOW)
    survey.revoke(store, respondent_id=rid, now=NOW)
    with pytest.raises(survey.AnswerRefused, match="withdrawn"):
        survey.save_answer_with_code(store, issued.code, "C1.2", 3, now=NOW)
    assert store.read("answers")["statement_id"].tolist() == ["C1.1"]


def test_own_answers_are_only_that_respondents(round_):
    store, rnd = round_
    a = survey.add_respondent(store, rnd["id"], "us")
    b = survey.add_respondent(store, rnd["id"], "partner")
    survey.save_answer(store, a, "C1.1", 1, "mine", statement_ids=IDS)
    survey.save_answer(store, b, "C1.1", 5, "theirs", statement_ids=IDS)
    own = survey.own_answers(store, a)
    assert own["respondent_id"].tolist() == [a]
    assert own["comment"].tolist() == ["mine"]


# --- response status --------------------------------------------------------------------


def test_response_status_hand_computed(round_):
    store, rnd = round_
    r = rnd["id"]
    us = [survey.add_respondent(store, r, "us") for _ in range(3)]
    partner = [survey.add_respondent(store, r, "partner") for _ in range(2)]
    # us[0]: invited, answered, submitted; us[1]: invited, answered one; us[2]: nothing
    code0 = survey.invite(store, us[0], now=NOW).code
    survey.invite(store, us[1], now=NOW)
    survey.save_answer(store, us[0], "C1.1", 4, statement_ids=IDS)
    survey.save_answer(store, us[1], "C1.1", 2, statement_ids=IDS)
    survey.submit(store, code0, NOW)
    # partner[0]: workshop, answered every statement (no invitation); partner[1]: invited
    for sid in sorted(IDS):
        survey.save_answer(store, partner[0], sid, None, statement_ids=IDS)
    survey.invite(store, partner[1], now=NOW)
    # another round's respondent does not count
    add_alliance(store, "A002")
    other = survey.open_round(store, "A002", "2026-Q3", questionnaire_version="2026.1")
    survey.add_respondent(store, other["id"], "us")

    frames = survey.survey_frames(store, r)
    assert "code_hash" not in frames["invitations"].columns
    status = survey.response_status(frames, r, n_statements=len(IDS))
    assert list(status.columns) == survey.STATUS_COLUMNS
    assert status.to_dict("records") == [
        {
            "side": "us",
            "respondents": 3,
            "invited": 2,
            "started": 2,
            "completed": 1,
            "response_rate": pytest.approx(1 / 3),
        },
        {
            "side": "partner",
            "respondents": 2,
            "invited": 1,
            "started": 1,
            "completed": 1,
            "response_rate": 0.5,
        },
    ]
    # without the statement count only submissions count as completed
    plain = survey.response_status(frames, r)
    assert plain["completed"].tolist() == [1, 0]


def test_response_status_empty_round_has_both_sides(round_):
    store, rnd = round_
    status = survey.response_status(survey.survey_frames(store, rnd["id"]), rnd["id"])
    assert status["side"].tolist() == ["us", "partner"]
    assert status["respondents"].tolist() == [0, 0]
    assert status["response_rate"].isna().all()


# --- command line -------------------------------------------------------------------------


def test_cli_round_invite_status_revoke(sqlite_store, monkeypatch):
    from click.testing import CliRunner

    from alliance_kit.cli import main

    store = sqlite_store
    add_alliance(store)
    db = str(store.engine.url.database)
    run = CliRunner().invoke

    out = run(main, ["survey", "open-round", "--db", db, "--alliance", "A001", "--period",
                     "2026-Q3", "--version", "2026.1"])  # fmt: skip
    assert out.exit_code == 0, out.output
    round_id = store.read("assessment_rounds")["id"].iloc[0]
    assert f"round {round_id}" in out.output
    for side in ("us", "partner"):
        out = run(main, ["survey", "add-respondent", "--db", db, "--round", round_id,
                         "--side", side, "--role", "ops"])  # fmt: skip
        assert out.exit_code == 0, out.output
    out = run(main, ["survey", "invite", "--db", db, "--round", round_id, "--all",
                     "--base-url", "https://survey.example/"])  # fmt: skip
    assert out.exit_code == 0, out.output
    links = [w for w in out.output.split() if w.startswith("https://survey.example/?code=")]
    assert len(links) == 2
    codes = [link.split("code=", 1)[1].split("&round=")[0] for link in links]
    assert all(isinstance(survey.verify(store, c), survey.RespondentContext) for c in codes)
    stored = " ".join(store.read("invitations")["code_hash"])
    assert not any(c in stored for c in codes)

    out = run(main, ["survey", "status", "--db", db, "--round", round_id])
    assert out.exit_code == 0, out.output
    lines = out.output.splitlines()
    assert lines[2].split()[:5] == ["us", "1", "1", "0", "0"]
    assert lines[3].split()[:5] == ["partner", "1", "1", "0", "0"]

    rid = survey.verify(store, codes[0]).respondent_id
    out = run(main, ["survey", "revoke", "--db", db, "--respondent", rid])
    assert out.exit_code == 0 and "1 invitation(s) revoked" in out.output
    assert survey.verify(store, codes[0]) == survey.Refusal("revoked")

    out = run(main, ["survey", "invite", "--db", db, "--round", round_id, "--respondent", "X"])
    assert out.exit_code != 0 and "unknown respondent of round" in out.output
    out = run(main, ["survey", "status", "--db", db, "--alliance", "A001"])
    assert out.exit_code != 0 and "--alliance and --period" in out.output


def test_cli_serve_builds_the_survey_form_command(sqlite_store, monkeypatch):
    from click.testing import CliRunner

    from alliance_kit.cli import main
    from alliance_kit.delivery import serve

    seen = {}

    def fake_serve(cmd, name, *, kernels=True, on_ready=None):
        seen.update(cmd=cmd, kernels=kernels)
        assert "code=CODE" not in seen.get("printed", "")  # nothing printed before ready
        if on_ready is not None:
            on_ready()
        return 0

    monkeypatch.setattr(serve, "serve", fake_serve)
    db = str(sqlite_store.engine.url.database)
    out = CliRunner().invoke(main, ["survey", "serve", "--db", db, "--port", "8999"])
    assert out.exit_code == 0, out.output
    assert "http://127.0.0.1:8999/?code=CODE" in out.output
    argv = seen["cmd"].argv
    assert argv[1:3] == ["-m", "alliance_kit.delivery.survey_web"] and "--port=8999" in argv
    assert seen["kernels"] is False
    assert "ALLIANCE_KIT_VOILA_TOKEN" not in seen["cmd"].env
    assert seen["cmd"].env["ALLIANCE_KIT_DB"].endswith(".sqlite")
    # the former Voila page stays reachable on request
    out = CliRunner().invoke(main, ["survey", "serve", "--db", db, "--port", "8999", "--voila"])
    assert out.exit_code == 0, out.output
    argv = seen["cmd"].argv
    assert argv[3].endswith("notebooks/survey/survey.ipynb") and "--port=8999" in argv


def test_invitation_links_carry_their_round(store):
    add_alliance(store)
    rnd = survey.open_round(store, "A001", "2026-Q3", questionnaire_version="2026.1")
    rid = survey.add_respondent(store, rnd["id"], "us")
    issued = survey.invite(store, rid)
    assert issued.round_id == rnd["id"]
    assert issued.link("http://h/") == f"http://h/?code={issued.code}&round={rnd['id']}"
    assert survey.survey_link("http://h/?x=1", "C") == "http://h/?x=1&code=C"


def test_workshop_round_defaults(store):
    with pytest.raises(ValueError, match="no alliance"):
        survey.workshop_round(store)
    add_alliance(store)
    # no round yet: one for the last closed quarter before today
    first = survey.workshop_round(store, today=dt.date(2026, 11, 27))
    assert (first["alliance_id"], first["period"]) == ("A001", "2026-Q3")
    assert first["opened_on"] == dt.date(2026, 11, 27)
    later = survey.open_round(store, "A001", "2026-Q4", questionnaire_version="2026.1")
    # without a period: the alliance's latest round
    assert survey.workshop_round(store, "A001", today=dt.date(2027, 6, 1))["id"] == later["id"]
    summary = survey.round_summary(store, later["id"])
    assert (summary["alliance_name"], summary["partner"]) == ("Cloud Co-sell", "Northwind")
