"""E-mail notifications against a real SMTP server (aiosmtpd on a free port): invitations,
reminders, reports and alert digests; once only; failures that record nothing."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
import re
import socket
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from click.testing import CliRunner

from alliance_kit.assess import survey
from alliance_kit.cli import main
from alliance_kit.delivery import mail, notify
from alliance_kit.records.history import Actor

NOW = survey.utcnow()
HOSTILE = '<script>alert("x")</script> & Co'


# --- a real SMTP server ----------------------------------------------------------------------


class Recorder:
    """aiosmtpd handler keeping every accepted message; refuses addresses with 'bounce'."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []
        #: after this many messages, answer DATA with 421 (the server going away)
        self.take = 1_000

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if "bounce" in address:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if len(self.messages) >= self.take:
            return "421 4.3.2 shutting down"
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((list(envelope.rcpt_tos), msg))
        return "250 Message accepted"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [m for rcpt, m in self.messages if rcpt == [address]]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(port: int, **extra: str) -> dict[str, str]:
    return {
        mail.ENV_HOST: "127.0.0.1",
        mail.ENV_PORT: str(port),
        mail.ENV_TLS: "none",
        mail.ENV_FROM: "Alliance office <alliances@corp.example>",
        mail.ENV_TIMEOUT: "5",
    } | extra


@pytest.fixture
def smtp():
    handler = Recorder()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield handler, _env(controller.port)
    finally:
        controller.stop()


def _authenticator(server, session, envelope, mechanism, auth_data):
    ok = auth_data.login == b"alliance" and auth_data.password == b"right-password"
    return AuthResult(success=ok, handled=False)


@pytest.fixture
def auth_smtp():
    handler = Recorder()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=_free_port(),
        authenticator=_authenticator,
        auth_required=True,
        auth_require_tls=False,
    )
    controller.start()
    try:
        yield handler, _env(controller.port, **{mail.ENV_USER: "alliance"})
    finally:
        controller.stop()


# --- a small portfolio -------------------------------------------------------------------------


def _portfolio(store, partner: str = "Northwind") -> dict:
    store.insert(
        "alliances",
        [
            {
                "id": "A001",
                "name": "Cloud Co-sell",
                "partner": partner,
                "type": "co-sell",
                "stage": "5 working together",
                "start_date": dt.date(2025, 1, 1),
                "owner": "Eve Owner",
                "our_sponsor": "Sam Sponsor",
                "partner_sponsor": "Pat Partner",
                "expected_revenue": 1_000_000.0,
                "currency": "USD",
                "importance": 4,
            }
        ],
    )
    people = [
        ("P1", "us", "Eve Owner", "eve@corp.example"),
        ("P2", "us", "Sam Sponsor", None),  # no address: named and skipped
        ("P3", "partner", "Pat Partner", "pat@northwind.example"),
    ]
    store.insert(
        "people",
        [
            {"id": i, "alliance_id": "A001", "side": s, "name": n, "org_level": "vp", "email": e}
            for i, s, n, e in people
        ],
    )
    rnd = survey.open_round(store, "A001", "2026-Q4", questionnaire_version="2026.1")
    ids = {
        "ana": survey.add_respondent(store, rnd["id"], "us", label="Ana", email="ana@corp.example"),
        "bo": survey.add_respondent(
            store, rnd["id"], "partner", label="Bo <b>Smith</b>", email="bo@northwind.example"
        ),
        "cy": survey.add_respondent(store, rnd["id"], "partner", label="Cy"),  # no address
    }
    return {"round": rnd["id"], **ids}


def _run(store, env, now=NOW, mailer=None) -> notify.Run:
    settings = mail.settings_from_env(env)
    return notify.Run(store, mailer or mail.SmtpMailer(settings), settings.sender, now=now)


def _link_code(msg: email.message.EmailMessage) -> str:
    text = msg.get_body(("plain",)).get_content()
    found = re.findall(r"https://survey\.example/s\?code=([A-Za-z0-9_-]+)&round=RND-\d+", text)
    assert len(set(found)) == 1, text  # with its round: the page counts wrong codes per round
    return found[0]


def _history_text(store) -> str:
    h = store.history()
    return h.to_csv()


BASE = "https://survey.example/s"


# --- invitations -------------------------------------------------------------------------------


def test_invitations_give_each_respondent_their_own_working_link_once(store, smtp):
    server, env = smtp
    ids = _portfolio(store)
    run = _run(store, env)
    done = notify.invitations(run, ids["round"], BASE)
    run.mailer.close()
    outcome = {d.who: d.outcome for d in done}
    assert outcome == {ids["ana"]: "sent", ids["bo"]: "sent", ids["cy"]: "skipped"}
    assert [d.detail for d in done if d.who == ids["cy"]] == ["no e-mail address"]
    assert sorted(r[0] for r, _ in server.messages) == ["ana@corp.example", "bo@northwind.example"]
    codes = {}
    for rid, address in ((ids["ana"], "ana@corp.example"), (ids["bo"], "bo@northwind.example")):
        (msg,) = server.to(address)
        assert msg["Subject"].startswith("Alliance health survey Cloud Co-sell")
        assert msg.get_content_type() == "multipart/alternative"
        code = _link_code(msg)
        ctx = survey.verify(store, code)  # the link works, for this respondent only
        assert isinstance(ctx, survey.RespondentContext) and ctx.respondent_id == rid
        assert code in msg.get_body(("html",)).get_content()
        codes[address] = code
    for address, code in codes.items():  # each code only in its own respondent's message
        others = [m for r, m in server.messages if r != [address]]
        assert others and all(code not in m.as_string() for m in others)
    ledger = notify.sent(store, "invitation", ids["round"])
    assert set(ledger["recipient"]) == {ids["ana"], ids["bo"]}
    assert set(ledger["status"]) == {"sent"}
    history = _history_text(store)
    assert "notifications" in history and "ana@corp.example" in history
    assert all(code not in history for code in codes.values())
    # again (cron): nothing sent, codes unchanged
    again = _run(store, env)
    second = notify.invitations(again, ids["round"], BASE)
    again.mailer.close()
    assert len(server.messages) == 2
    assert {d.outcome for d in second} == {"skipped"}
    assert all(
        isinstance(survey.verify(store, c), survey.RespondentContext) for c in codes.values()
    )


def test_a_refused_recipient_does_not_stop_the_others_and_is_not_recorded(store, smtp):
    server, env = smtp
    ids = _portfolio(store)
    store.upsert("respondents", store.read("respondents", {"id": ids["ana"]})
                 .assign(email="bounce@corp.example"))  # fmt: skip
    run = _run(store, env)
    done = {d.who: d for d in notify.invitations(run, ids["round"], BASE)}
    run.mailer.close()
    assert done[ids["ana"]].outcome == "failed" and "550" in done[ids["ana"]].detail
    assert done[ids["bo"]].outcome == "sent"
    assert [r for r, _ in server.messages] == [["bo@northwind.example"]]
    assert set(notify.sent(store, "invitation")["recipient"]) == {ids["bo"]}
    inv = store.read("invitations", {"respondent_id": ids["ana"]})
    assert inv["revoked_at"].notna().all()  # the undelivered code does not work
    # the address fixed, the next run sends that one only
    store.upsert("respondents", store.read("respondents", {"id": ids["ana"]})
                 .assign(email="ana@corp.example"))  # fmt: skip
    run = _run(store, env)
    again = {d.who: d.outcome for d in notify.invitations(run, ids["round"], BASE)}
    run.mailer.close()
    assert again[ids["ana"]] == "sent" and again[ids["bo"]] == "skipped"
    assert len(server.messages) == 2


def test_reminders_skip_who_answered_and_come_at_most_every_n_days(store, smtp):
    server, env = smtp
    ids = _portfolio(store)
    run = _run(store, env)
    notify.invitations(run, ids["round"], BASE)
    run.mailer.close()
    ana_code = _link_code(server.to("ana@corp.example")[0])
    bo_code = _link_code(server.to("bo@northwind.example")[0])
    survey.submit(store, ana_code)  # Ana answered
    # too soon after the invitation: nothing
    run = _run(store, env, now=NOW + dt.timedelta(days=3))
    early = notify.reminders(run, ids["round"], BASE, every_days=7)
    assert {d.outcome for d in early} == {"skipped"} and len(server.messages) == 2
    later = NOW + dt.timedelta(days=8)
    run = _run(store, env, now=later)
    done = {d.who: d for d in notify.reminders(run, ids["round"], BASE, every_days=7)}
    run.mailer.close()
    assert done[ids["ana"]].outcome == "skipped" and done[ids["ana"]].detail == "has answered"
    assert done[ids["bo"]].outcome == "sent"
    (reminder,) = server.to("bo@northwind.example")[1:]
    assert reminder["Subject"].startswith("Reminder:")
    assert "replaces the one in your invitation" in reminder.get_body(("plain",)).get_content()
    new = _link_code(reminder)
    ctx = survey.verify(store, new, later)
    assert isinstance(ctx, survey.RespondentContext) and ctx.respondent_id == ids["bo"]
    assert survey.verify(store, bo_code, later) == survey.Refusal("revoked")
    assert len(server.to("ana@corp.example")) == 1
    # the same day again: nothing; 8 days later: one more
    run = _run(store, env, now=later + dt.timedelta(hours=2))
    assert {d.outcome for d in notify.reminders(run, ids["round"], BASE, every_days=7)} == {
        "skipped"
    }
    run = _run(store, env, now=later + dt.timedelta(days=8))
    notify.reminders(run, ids["round"], BASE, every_days=7)
    run.mailer.close()
    assert len(server.to("bo@northwind.example")) == 3
    row = notify.sent(store, "reminder").set_index("recipient").loc[ids["bo"]]
    assert row["sent_count"] == 2 and row["status"] == "sent"


def test_a_reminder_that_cannot_be_delivered_keeps_the_earlier_code(store, smtp):
    server, env = smtp
    ids = _portfolio(store)
    run = _run(store, env)
    notify.invitations(run, ids["round"], BASE)
    run.mailer.close()
    bo_code = _link_code(server.to("bo@northwind.example")[0])
    store.upsert("respondents", store.read("respondents", {"id": ids["bo"]})
                 .assign(email="bounce@northwind.example"))  # fmt: skip
    later = NOW + dt.timedelta(days=8)
    run = _run(store, env, now=later)
    done = {d.who: d.outcome for d in notify.reminders(run, ids["round"], BASE, every_days=7)}
    run.mailer.close()
    assert done[ids["bo"]] == "failed"
    assert isinstance(survey.verify(store, bo_code, later), survey.RespondentContext)
    assert set(notify.sent(store, "reminder")["recipient"]) == {ids["ana"]}  # Ana's went out


# --- failures of the server ---------------------------------------------------------------------


def _cli(args, env):
    return CliRunner().invoke(main, args, env=env)


def _db(store) -> str:
    return store.engine.url.render_as_string(hide_password=False)


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_a_refused_login_is_one_clear_line_and_records_nothing(store, auth_smtp, tmp_path):
    server, env = auth_smtp
    ids = _portfolio(store)
    env = env | {mail.ENV_PASSWORD: "wrong-password"}
    result = _cli(["notify", "invitations", "--db", _db(store), "--round", ids["round"],
                   "--base-url", BASE], env)  # fmt: skip
    assert result.exit_code != 0
    line = result.output.strip().splitlines()[-1]
    assert (
        f"mail server 127.0.0.1:{env[mail.ENV_PORT]}" in line
        and "login as 'alliance' refused" in line
    )
    assert "Traceback" not in result.output and "wrong-password" not in result.output
    assert server.messages == []
    assert store.read("invitations").empty and notify.sent(store).empty
    # the right password, from a file named in the environment: sent
    secret = tmp_path / "smtp-password"
    secret.write_text("right-password\n")
    ok = env | {mail.ENV_PASSWORD: "", mail.ENV_PASSWORD_FILE: str(secret)}
    result = _cli(["notify", "invitations", "--db", _db(store), "--round", ids["round"],
                   "--base-url", BASE], ok)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert len(server.messages) == 2


def test_an_unreachable_server_is_one_clear_line_and_records_nothing(store):
    ids = _portfolio(store)
    port = _free_port()  # nothing listens there
    result = _cli(["notify", "invitations", "--db", _db(store), "--round", ids["round"],
                   "--base-url", BASE], _env(port))  # fmt: skip
    assert result.exit_code != 0
    line = result.output.strip().splitlines()[-1]
    assert line.startswith(f"Error: mail server 127.0.0.1:{port}: unreachable"), line
    assert store.read("invitations").empty and notify.sent(store).empty


def test_missing_settings_are_named():
    with pytest.raises(mail.MailConfigError, match=mail.ENV_HOST):
        mail.settings_from_env({})
    base = {mail.ENV_HOST: "smtp.example", mail.ENV_FROM: "a@corp.example"}
    with pytest.raises(mail.MailConfigError, match=mail.ENV_PASSWORD_FILE):
        mail.settings_from_env(base | {mail.ENV_USER: "u"})
    with pytest.raises(mail.MailConfigError, match="choose one of starttls, ssl, none"):
        mail.settings_from_env(base | {mail.ENV_TLS: "tls"})
    with pytest.raises(mail.MailConfigError, match=mail.ENV_FROM):
        mail.settings_from_env({mail.ENV_HOST: "smtp.example"})
    with pytest.raises(mail.MailConfigError, match="cannot read"):
        mail.settings_from_env(
            base | {mail.ENV_USER: "u", mail.ENV_PASSWORD_FILE: "/nonexistent/pw"}
        )
    with pytest.raises(mail.MailConfigError, match="unencrypted"):
        mail.settings_from_env(
            base | {mail.ENV_TLS: "none", mail.ENV_USER: "u", mail.ENV_PASSWORD: "p"}
        )
    s = mail.settings_from_env(
        base | {mail.ENV_TLS: "ssl", mail.ENV_USER: "u", mail.ENV_PASSWORD: "p"}
    )
    assert (s.port, s.tls, s.password) == (465, "ssl", "p") and "p'" not in repr(s)


# --- dry run, escaping, headers ------------------------------------------------------------------


def test_dry_run_writes_the_messages_and_sends_and_records_nothing(store, smtp, tmp_path):
    server, env = smtp
    ids = _portfolio(store)
    out = tmp_path / "outbox"
    result = _cli(["notify", "invitations", "--db", _db(store), "--round", ids["round"],
                   "--base-url", BASE, "--dry-run", str(out)], env)  # fmt: skip
    assert result.exit_code == 0, result.output
    files = sorted(out.glob("*.eml"))
    assert len(files) == 2
    msgs = [email.message_from_bytes(f.read_bytes(), policy=email.policy.default) for f in files]
    assert sorted(str(m["To"].addresses[0].addr_spec) for m in msgs) == [
        "ana@corp.example",
        "bo@northwind.example",
    ]
    assert all(notify.PLACEHOLDER_CODE in m.get_body(("plain",)).get_content() for m in msgs)
    assert server.messages == []
    assert store.read("invitations").empty and notify.sent(store).empty


def test_html_escapes_what_users_typed_and_headers_cannot_be_injected(store, smtp):
    server, env = smtp
    ids = _portfolio(store, partner=HOSTILE)
    alliance = store.read("alliances").assign(name="Cloud\r\nBcc: evil@attacker.example")
    store.upsert("alliances", alliance.drop(columns="version"))
    run = _run(store, env)
    notify.invitations(run, ids["round"], BASE)
    run.mailer.close()
    assert sorted(r[0] for r, _ in server.messages) == ["ana@corp.example", "bo@northwind.example"]
    for _, msg in server.messages:
        assert msg["Bcc"] is None and "\n" not in msg["Subject"]
        body = msg.get_body(("html",)).get_content()
        assert "<script>" not in body and "&lt;script&gt;" in body
        assert "&amp; Co" in body
        assert "<img" not in body  # no tracking pixel
    bo = server.to("bo@northwind.example")[0].get_body(("html",)).get_content()
    assert "<b>Smith</b>" not in bo and "&lt;b&gt;Smith&lt;/b&gt;" in bo
    with pytest.raises(mail.RecipientRefused):
        mail.mailbox("x", "a@corp.example\r\nBcc: evil@attacker.example")
    assert mail.one_line("a\r\nBcc: b") == "a Bcc: b"


# --- reports and alerts --------------------------------------------------------------------------


def _reports_folder(tmp_path: Path, period: str) -> Path:
    folder = tmp_path / "reports" / period
    (folder / "alliances").mkdir(parents=True)
    (folder / "alliances" / "A001.pdf").write_bytes(b"%PDF-1.4 alliance report")
    (folder / "portfolio.pdf").write_bytes(b"%PDF-1.4 portfolio report")
    manifest = {
        "reports": {
            "A001": {
                "kind": "alliance",
                "name": "Cloud Co-sell",
                "status": "ok",
                "figures": {"status": "amber", "health_index": 61.5},
                "files": {"html": "alliances/A001.html", "pdf": "alliances/A001.pdf"},
            },
            "portfolio": {
                "kind": "portfolio",
                "status": "ok",
                "files": {"html": "portfolio.html", "pdf": "portfolio.pdf"},
            },
        }
    }
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder.parent


def test_reports_reach_owner_and_sponsors_and_people_without_address_are_named(
    store, smtp, tmp_path
):
    server, env = smtp
    _portfolio(store)
    period = "2026-Q3"
    reports = _reports_folder(tmp_path, period)
    run = _run(store, env)
    done = notify.reports_to_people(run, period, reports, base_url="https://reports.example/q",
                                    partner_sponsors=True)  # fmt: skip
    run.mailer.close()
    lines = [d.line() for d in done]
    assert any("Sam Sponsor (our sponsor of A001)" in x and "skipped" in x for x in lines), lines
    assert sorted(r[0] for r, _ in server.messages) == ["eve@corp.example", "pat@northwind.example"]
    (msg,) = server.to("eve@corp.example")
    assert msg["Subject"] == f"Alliance report {period}: Cloud Co-sell"
    text = msg.get_body(("plain",)).get_content()
    assert f"https://reports.example/q/{period}/alliances/A001.html" in text
    assert "amber" in text
    # the portfolio goes to our sponsors only; ours has no address: named, not sent
    assert any(d.kind == "portfolio" and d.outcome == "skipped" and "Sam" in d.who for d in done)
    history = _history_text(store)
    assert "eve@corp.example" in history and "report" in history
    run = _run(store, env)  # again: nothing
    again = notify.reports_to_people(run, period, reports, base_url="https://reports.example/q",
                                     partner_sponsors=True)  # fmt: skip
    run.mailer.close()
    assert len(server.messages) == 2 and "sent" not in {d.outcome for d in again}


def test_reports_with_the_pdf_attached(store, smtp, tmp_path):
    server, env = smtp
    _portfolio(store)
    people = store.read("people").assign(email=lambda f: f["email"].fillna("sam@corp.example"))
    store.upsert("people", people.drop(columns="version"))
    reports = _reports_folder(tmp_path, "2026-Q3")
    run = _run(store, env)
    notify.reports_to_people(run, "2026-Q3", reports, base_url=None, attach=True)
    run.mailer.close()
    assert sorted(r[0] for r, _ in server.messages) == [
        "eve@corp.example",
        "sam@corp.example",
        "sam@corp.example",
    ]  # Sam: the alliance report and the portfolio report; Pat (partner) not without the flag
    subjects = sorted(m["Subject"] for m in server.to("sam@corp.example"))
    assert subjects == [
        "Alliance portfolio report 2026-Q3",
        "Alliance report 2026-Q3: Cloud Co-sell",
    ]
    for msg in server.to("sam@corp.example"):
        (pdf,) = list(msg.iter_attachments())
        assert pdf.get_content_type() == "application/pdf"
        assert pdf.get_content().startswith(b"%PDF-1.4")


def test_alerts_digest_goes_to_each_owner_with_their_alliances_only(sample_store, smtp):
    from alliance_kit.assess import health, scoring

    server, env = smtp
    frames = sample_store.read_all()
    scores = health.score_portfolio(
        frames, "2026-Q3", scoring.ScoringConfig(as_of=dt.date(2026, 10, 5))
    )
    assert not scores.alerts.empty
    run = _run(sample_store, env)
    run.store.actor = Actor("cron", "alliance-kit notify alerts")
    done = notify.deliver(run, notify.alert_items(run, frames, "2026-Q3", scores.alerts))
    run.mailer.close()
    sent = [d for d in done if d.outcome == "sent"]
    assert sent and len(server.messages) == len(sent)
    alliances = frames["alliances"].set_index("id")
    people = frames["people"]
    for rcpt, msg in server.messages:
        owned = alliances[alliances["owner"].isin(people.loc[people["email"] == rcpt[0], "name"])]
        text = msg.get_body(("plain",)).get_content()
        mentioned = set(re.findall(r"\((A\d{3})\):", text))
        assert mentioned and mentioned <= set(owned.index)
        assert msg["Subject"].startswith("Alliance alerts 2026-Q3")
    run = _run(sample_store, env)
    again = notify.deliver(run, notify.alert_items(run, frames, "2026-Q3", scores.alerts))
    run.mailer.close()
    assert len(server.messages) == len(sent) and "sent" not in {d.outcome for d in again}


def test_commands_for_reports_and_alerts_on_the_sample(sample_store, smtp, tmp_path):
    server, env = smtp
    db = _db(sample_store)
    reports = _reports_folder(tmp_path, "2026-Q3")
    outbox = tmp_path / "outbox"
    result = _cli(["notify", "alerts", "--db", db, "-p", "2026-Q3", "--dry-run", str(outbox)], env)
    assert result.exit_code == 0, result.output
    assert sorted(outbox.glob("*-alerts-*.eml")) and server.messages == []
    assert notify.sent(sample_store).empty
    args = ["notify", "reports", "--db", db, "-p", "2026-q3", "--reports", str(reports)]
    result = _cli(args, env)  # no URL and no --attach: says what to give
    assert result.exit_code != 0 and "--reports-url" in result.output
    result = _cli([*args, "--reports-url", "https://reports.example"], env)
    assert result.exit_code == 0, result.output
    a001 = sample_store.read("alliances", {"id": "A001"}).iloc[0]
    people = sample_store.read("people", {"alliance_id": "A001"}).set_index("name")["email"]
    owner, sponsor = people[a001["owner"]], people[a001["our_sponsor"]]
    assert sorted(r[0] for r, _ in server.messages) == sorted([owner, sponsor, sponsor])
    result = _cli([*args, "--reports-url", "https://reports.example"], env)
    assert result.exit_code == 0 and "nothing to send" not in result.output
    assert len(server.messages) == 3  # the second run sent nothing
    assert "already sent" in result.output


def test_a_message_another_run_took_on_is_not_sent_twice(store, smtp):
    """A claim left by a run still sending (or killed while sending) holds the message
    back; --retry-interrupted sends it once the claim is old."""
    server, env = smtp
    ids = _portfolio(store)
    store.insert(
        "notifications",
        [
            {
                "kind": "invitation",
                "scope": ids["round"],
                "recipient": ids["ana"],
                "address": "ana@corp.example",
                "status": "sending",
                "claimed_at": NOW - dt.timedelta(minutes=1),
                "sent_count": 0,
            }
        ],
    )
    run = _run(store, env)
    done = {d.who: d for d in notify.invitations(run, ids["round"], BASE)}
    assert done[ids["ana"]].outcome == "skipped" and "did not finish" in done[ids["ana"]].detail
    assert done[ids["bo"]].outcome == "sent"
    later = NOW + dt.timedelta(hours=1)
    run = _run(store, env, now=later)
    run.retry_interrupted = True
    done = {d.who: d.outcome for d in notify.invitations(run, ids["round"], BASE)}
    run.mailer.close()
    assert done == {ids["ana"]: "sent", ids["bo"]: "skipped", ids["cy"]: "skipped"}
    assert sorted(r[0] for r, _ in server.messages) == ["ana@corp.example", "bo@northwind.example"]
    assert set(notify.sent(store)["status"]) == {"sent"}


def test_a_sparse_portfolio_names_who_cannot_be_reached_and_sends_nothing_else(
    store, smtp, tmp_path
):
    """One alliance, owner only (no sponsors, nobody in the people register), a round
    without respondents: every command finishes, says why nothing went."""
    server, env = smtp
    store.insert(
        "alliances",
        [
            {
                "id": "A001",
                "name": "Solo",
                "partner": "Lone",
                "type": "co-sell",
                "stage": "5 working together",
                "start_date": dt.date(2025, 1, 1),
                "owner": "Olga Owner",
                "expected_revenue": 1.0,
                "currency": "USD",
                "importance": 1,
            }
        ],
    )
    rnd = survey.open_round(store, "A001", "2026-Q4", questionnaire_version="2026.1")
    run = _run(store, env)
    assert notify.invitations(run, rnd["id"], BASE) == []
    reports = _reports_folder(tmp_path, "2026-Q3")
    done = notify.reports_to_people(run, "2026-Q3", reports, base_url="https://r.example")
    run.mailer.close()
    assert [(d.who, d.outcome, d.detail) for d in done] == [
        ("Olga Owner (owner of A001)", "skipped", "not in the people register of A001")
    ]
    assert server.messages == [] and notify.sent(store).empty
    with pytest.raises(ValueError, match="is not an http"):
        notify.invitations(run, rnd["id"], "javascript:alert(1)")


def test_a_server_failing_midway_stops_the_run_and_records_only_what_it_accepted(store, smtp):
    server, env = smtp
    ids = _portfolio(store)
    server.take = 1
    result = _cli(["notify", "invitations", "--db", _db(store), "--round", ids["round"],
                   "--base-url", BASE], env)  # fmt: skip
    assert result.exit_code == 1
    assert (
        result.output.strip()
        .splitlines()[-1]
        .startswith(
            f"Error: mail server 127.0.0.1:{env[mail.ENV_PORT]}: message refused for now (421"
        )
    )
    ((first, msg),) = server.messages
    sent_to = notify.sent(store, "invitation")
    assert sent_to["recipient"].tolist() == [ids["ana"]] and first == ["ana@corp.example"]
    assert sent_to["status"].tolist() == ["sent"]
    code = _link_code(msg)
    assert isinstance(survey.verify(store, code), survey.RespondentContext)
    bo = store.read("invitations", {"respondent_id": ids["bo"]})
    assert bo["revoked_at"].notna().all()  # Bo's undelivered code was withdrawn
    server.take = 1_000  # the server is back: the next run sends Bo's only
    result = _cli(["notify", "invitations", "--db", _db(store), "--round", ids["round"],
                   "--base-url", BASE], env)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert [r for r, _ in server.messages] == [["ana@corp.example"], ["bo@northwind.example"]]


@pytest.mark.parametrize(
    ("tls", "said"),
    [
        ("starttls", "STARTTLS extension not supported by server"),
        ("ssl", "TLS failed"),
    ],
)
def test_a_tls_mode_the_server_does_not_speak_is_named(smtp, tls, said):
    server, env = smtp
    mailer = mail.SmtpMailer(mail.settings_from_env(env | {mail.ENV_TLS: tls}))
    with pytest.raises(mail.MailServerError) as err:
        mailer.connect()
    assert str(err.value).startswith(f"mail server 127.0.0.1:{env[mail.ENV_PORT]}: ")
    assert said in str(err.value) and mail.ENV_TLS in str(err.value)
    assert server.messages == []


def test_a_respondent_address_is_checked_where_it_is_typed(store):
    ids = _portfolio(store)
    for bad in ("ana", "ana@corp.example\r\nBcc: x@evil.example", "a b@corp.example"):
        with pytest.raises(ValueError, match="e-mail address cannot be stored"):
            survey.add_respondent(store, ids["round"], "us", email=bad)
    args = ["survey", "add-respondent", "--db", _db(store), "--round", ids["round"]]
    result = CliRunner().invoke(main, [*args, "--side", "us", "--email", "dee@corp.example"])
    assert result.exit_code == 0, result.output
    rid = result.output.strip()
    assert store.read("respondents", {"id": rid}).iloc[0]["email"] == "dee@corp.example"
