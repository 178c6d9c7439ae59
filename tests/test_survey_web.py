"""The survey page as a light web form (alliance_kit.delivery.survey_web), over real HTTP.

The application runs in a thread on a free port against the ``store`` fixture (SQLite and
PostgreSQL); a ``requests`` session is the respondent's browser (cookies kept, redirects
followed). Everything is checked in the store, not only on the page.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pandas as pd
import pytest
import requests

from alliance_kit.assess import survey
from alliance_kit.delivery import survey_web
from alliance_kit.delivery.serve import free_port
from alliance_kit.delivery.web_guard import AttemptCounter
from alliance_kit.records import questionnaire
from alliance_kit.records.store import Store
from tests.survey_helpers import OTHER_COMMENT, invited_round

Q = questionnaire.load("2026.1")
SCRIPT = "<script>alert('x')</script> & <b>bold</b>"


class Running:
    """The app listening on a free port in a thread of its own (its own event loop)."""

    def __init__(self, app: Any) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        started = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(asyncio.new_event_loop())
            from tornado.ioloop import IOLoop

            self.loop = IOLoop.current()
            # xheaders: the tests play several client addresses with X-Real-Ip
            self.server = app.listen(
                self.port, "127.0.0.1", xheaders=True, max_body_size=survey_web.MAX_BODY
            )
            started.set()
            self.loop.start()

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()
        assert started.wait(10)

    def stop(self) -> None:
        def halt() -> None:
            self.server.stop()
            self.loop.stop()

        self.loop.add_callback(halt)
        self.thread.join(10)


@dataclass
class Site:
    store: Store
    server: Running
    round_id: str
    people: dict[str, str]
    codes: dict[str, str]

    def browser(self, address: str = "10.0.0.1") -> requests.Session:
        s = requests.Session()
        s.headers["X-Real-Ip"] = address
        return s

    def link(self, who: str) -> str:
        return survey.survey_link(self.server.url, self.codes[who], self.round_id)


#: Text a page must show as text, not markup.
HOSTILE_ALLIANCE = {
    "id": "A001",
    "name": "Cloud <Co-sell>",
    "partner": "Northwind & Sons",
    "type": "co-sell",
    "stage": "5 working together",
    "start_date": dt.date(2025, 1, 1),
    "owner": "Eve",
    "expected_revenue": 1_000_000.0,
    "currency": "USD",
    "importance": 4,
}


def add_alliance(store: Store) -> None:
    store.insert("alliances", [HOSTILE_ALLIANCE])


def make_site(store: Store, guard: survey_web.Guard | None = None) -> tuple[Site, Running]:
    made = invited_round(
        store,
        {"ana": ("partner", "sales director"), "bo": ("us", "alliance manager"),
         "expired": ("us", None), "revoked": ("partner", None)},
        alliance=HOSTILE_ALLIANCE,
    )  # fmt: skip
    server = Running(survey_web.make_app(store, guard=guard))
    return Site(store, server, made.round_id, made.people, made.codes), server


@pytest.fixture
def site(store) -> Iterator[Site]:
    made, server = make_site(store)
    yield made
    server.stop()


def xsrf(html: str) -> str:
    found = re.search(r'name="_xsrf" value="([^"]+)"', html)
    assert found, "no _xsrf field in the form"
    return found.group(1)


def section_form(page: str, answers: dict[str, tuple[str, str]], go: str = "next") -> dict:
    """The fields a browser posts: ``answers`` maps statement id -> (choice, comment)."""
    data = {"_xsrf": xsrf(page), "go": go}
    for sid, (choice, comment) in answers.items():
        if choice:
            data[f"score_{sid}"] = choice
        data[f"comment_{sid}"] = comment
    return data


def stored(store: Store, respondent_id: str) -> pd.DataFrame:
    return store.read("answers", {"respondent_id": respondent_id}).set_index("statement_id")


def checked(page: str, sid: str) -> str | None:
    """The choice preselected for a statement on a section page."""
    found = re.search(rf'name="score_{re.escape(sid)}" value="(\w+)" checked', page)
    return found.group(1) if found else None


# --- the respondent's way through -----------------------------------------------------------


def test_code_form_partial_save_resume_submit_stores_each_answer_once(site):
    store, ana = site.store, site.people["ana"]
    b = site.browser()
    first = b.get(site.link("ana"))
    assert first.status_code == 200 and first.url == site.server.url + "section/1"
    # the code left the URL at once: it lives in an HttpOnly session cookie
    assert site.codes["ana"] not in first.url
    assert first.history[0].status_code == 303
    cookie = first.history[0].headers["Set-Cookie"]
    assert "ak_survey=" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Cloud &lt;Co-sell&gt;" in first.text and "Northwind &amp; Sons" in first.text
    assert all(f"score_{s.id}" in first.text for s in Q.by_crack(1))
    assert OTHER_COMMENT not in first.text

    # page 1, partly answered: a score, don't know with a comment; then on to page 2
    sent = b.post(
        site.server.url + "section/1",
        data=section_form(first.text, {"C1.1": ("4", "sponsors came"), "C1.2": ("dk", "")}),
    )
    assert sent.status_code == 200 and sent.url.endswith("/section/2")
    saved = stored(store, ana)
    assert sorted(saved.index) == ["C1.1", "C1.2"]
    assert saved.loc["C1.1", "score"] == 4 and saved.loc["C1.1", "comment"] == "sponsors came"
    assert pd.isna(saved.loc["C1.2", "score"])  # don't know

    # resume in a new browser with the same link: back on page 1, answers preselected
    again = site.browser().get(site.link("ana"))
    assert again.url.endswith("/section/1")
    assert checked(again.text, "C1.1") == "4" and checked(again.text, "C1.2") == "dk"
    assert checked(again.text, "C1.3") is None
    assert ">sponsors came</textarea>" in again.text
    assert "2 of 24 statements answered" in again.text

    # answer everything, page by page (page 1 again: C1.1 changed, an upsert)
    page = b.get(site.server.url + "section/1")
    for number, crack in enumerate(survey_web.sections(Q), start=1):
        answers = {s.id: ("3", "") for s in Q.by_crack(crack)}
        if number == 1:
            answers["C1.2"] = ("dk", "")
        page = b.post(site.server.url + f"section/{number}", data=section_form(page.text, answers))
        assert page.status_code == 200
    assert page.url.endswith("/review")
    assert "Submit my answers" in page.text and "not answered" not in page.text
    done = b.post(site.server.url + "submit", data={"_xsrf": xsrf(page.text)})
    assert done.status_code == 200 and "your answers are submitted" in done.text
    saved = store.read("answers", {"respondent_id": ana})
    assert len(saved) == len(Q.statements) == saved["statement_id"].nunique()
    assert saved.set_index("statement_id").loc["C1.1", "score"] == 3
    inv = store.read("invitations", {"respondent_id": ana})
    assert inv["submitted_at"].notna().sum() == 1
    # nothing of the other respondents was ever shown or changed
    other = store.read("answers", {"statement_id": "C1.1"})
    assert OTHER_COMMENT in other["comment"].tolist()


def test_a_resubmission_is_refused_clearly(site):
    b = site.browser()
    page = b.get(site.link("bo"))
    page = b.post(page.url, data=section_form(page.text, {"C1.1": ("5", "")}, go="review"))
    token = xsrf(page.text)
    session = dict(b.cookies)
    assert b.post(site.server.url + "submit", data={"_xsrf": token}).status_code == 200
    # the same session posting again (a second tab, the back button)
    twice = requests.post(
        site.server.url + "submit",
        data={"_xsrf": token},
        cookies=session,
        headers={"X-Real-Ip": "10.0.0.1"},
    )
    assert twice.status_code == 409
    assert survey.REFUSAL_MESSAGES["submitted"].replace("'", "&#39;") in twice.text
    # the link again
    link = site.browser().get(site.link("bo"))
    assert link.status_code == 409 and "already been submitted" in link.text
    assert "score_C1.1" not in link.text
    inv = site.store.read("invitations", {"respondent_id": site.people["bo"]})
    assert inv["submitted_at"].notna().sum() == 1


def test_submit_with_no_answer_is_refused(site):
    b = site.browser()
    b.get(site.link("bo"))
    review = b.get(site.server.url + "review")
    refused = b.post(site.server.url + "submit", data={"_xsrf": xsrf(review.text)})
    assert refused.status_code == 400 and "Answer at least one statement" in refused.text
    inv = site.store.read("invitations", {"respondent_id": site.people["bo"]})
    assert inv["submitted_at"].isna().all()


@pytest.mark.parametrize("case", ["invalid", "expired", "revoked"])
def test_refused_codes_show_no_questionnaire(site, case):
    code = "not-a-real-code-123" if case == "invalid" else site.codes[case]
    page = site.browser().get(survey.survey_link(site.server.url, code, site.round_id))
    assert page.status_code == 403
    assert "We cannot open a questionnaire with this code" in page.text
    assert survey.REFUSAL_MESSAGES[case] in page.text
    assert "ak_survey" not in page.cookies
    for st in Q.statements:
        assert st.text not in page.text
    assert "Cloud" not in page.text
    # without a valid session, no page of the form opens either
    form = site.browser().get(site.server.url + "section/1")
    assert form.status_code == 401 and "score_C1.1" not in form.text


def test_a_code_is_bound_to_its_round(site):
    wrong_round = survey.survey_link(site.server.url, site.codes["ana"], "RND-9999")
    page = site.browser().get(wrong_round)
    assert page.status_code == 403 and survey.REFUSAL_MESSAGES["invalid"] in page.text


def test_a_code_revoked_during_the_session_stops_saving(site):
    b = site.browser()
    page = b.get(site.link("ana"))
    survey.revoke(site.store, respondent_id=site.people["ana"])
    sent = b.post(page.url, data=section_form(page.text, {"C1.1": ("2", "")}))
    assert sent.status_code == 403 and survey.REFUSAL_MESSAGES["revoked"] in sent.text
    assert site.store.read("answers", {"respondent_id": site.people["ana"]}).empty


def test_a_typed_code_opens_the_questionnaire(site):
    b = site.browser()
    start = b.get(site.server.url)
    assert start.status_code == 200 and 'type="password" name="code"' in start.text
    opened = b.post(site.server.url, data={"_xsrf": xsrf(start.text), "code": site.codes["bo"]})
    assert opened.url.endswith("/section/1") and "score_C1.1" in opened.text


# --- what a public form needs ---------------------------------------------------------------


def test_a_post_without_or_with_a_wrong_xsrf_token_is_refused(site):
    b = site.browser()
    page = b.get(site.link("ana"))
    for token in (None, "2|00000000|00000000000000000000000000000000|1796524420"):
        data = section_form(page.text, {"C1.1": ("4", "")})
        if token is None:
            del data["_xsrf"]
        else:
            data["_xsrf"] = token
        refused = b.post(page.url, data=data)
        assert refused.status_code == 403
        assert "not sent from the survey page" in refused.text
    # and the code form too (a login CSRF)
    typed = b.post(site.server.url, data={"code": site.codes["bo"]})
    assert typed.status_code == 403
    assert site.store.read("answers", {"respondent_id": site.people["ana"]}).empty


@pytest.fixture
def strict_site(store) -> Iterator[Site]:
    guard = survey_web.Guard(
        per_address=AttemptCounter(limit=3, window=600, lockout=900),
        per_round=AttemptCounter(limit=5, window=600, lockout=900),
    )
    made, server = make_site(store, guard)
    yield made
    server.stop()


def wrong(site: Site, address: str, round_id: str | None) -> requests.Response:
    return site.browser(address).get(survey.survey_link(site.server.url, "guess-0", round_id))


def test_wrong_codes_lock_the_address_out(strict_site):
    site = strict_site
    assert [wrong(site, "10.0.0.9", None).status_code for _ in range(3)] == [403, 403, 429]
    # locked: even a right code from that address waits; another address is served
    assert site.browser("10.0.0.9").get(site.link("ana")).status_code == 429
    assert "Too many wrong codes" in wrong(site, "10.0.0.9", None).text
    assert site.browser("10.0.0.10").get(site.link("ana")).status_code == 200
    # a typed code counts too (in the round's form: the round-less counter is nearly full)
    b = site.browser("10.0.0.11")
    data = {"_xsrf": xsrf(b.get(site.server.url).text), "code": "x", "round": site.round_id}
    codes = [b.post(site.server.url, data=data).status_code for _ in range(3)]
    assert codes == [403, 403, 429]


def test_wrong_codes_from_many_addresses_lock_the_round(strict_site):
    site = strict_site
    statuses = [wrong(site, f"10.1.0.{i}", site.round_id).status_code for i in range(5)]
    assert statuses == [403, 403, 403, 403, 429]
    # a new address with a right code for that round waits too ...
    assert site.browser("10.2.0.1").get(site.link("bo")).status_code == 429
    # ... codes given without a round share one counter of their own, not this round's
    assert wrong(site, "10.2.0.2", None).status_code == 403


def test_a_session_keeps_working_while_the_round_is_locked(strict_site):
    site = strict_site
    b = site.browser("10.4.0.1")
    page = b.get(site.link("ana"))
    assert page.status_code == 200
    for i in range(5):
        wrong(site, f"10.5.0.{i}", site.round_id)
    assert site.browser("10.6.0.1").get(site.link("bo")).status_code == 429
    sent = b.post(page.url, data=section_form(page.text, {"C1.1": ("4", "")}))
    assert sent.status_code == 200 and sent.url.endswith("/section/2")
    assert b.get(site.server.url).status_code == 200  # resume from "/" with the session


def test_a_comment_too_long_is_refused_with_a_message(site):
    b = site.browser()
    page = b.get(site.link("ana"))
    long = "x" * (survey.COMMENT_MAX + 1)
    sent = b.post(
        page.url, data=section_form(page.text, {"C1.1": ("4", long), "C1.2": ("2", "fine")})
    )
    assert sent.status_code == 400
    assert f"please keep it under {survey.COMMENT_MAX}" in sent.text
    assert f">{long}</textarea>" in sent.text  # what was typed is not lost on the page
    saved = stored(site.store, site.people["ana"])
    assert list(saved.index) == ["C1.2"]  # the rest of the page was saved
    # a comment without a choice is not silently dropped
    sent = b.post(page.url, data=section_form(page.text, {"C1.3": ("", "no score")}))
    assert sent.status_code == 400 and "pick an answer" in sent.text
    # a score the form does not offer
    sent = b.post(page.url, data=section_form(page.text, {"C1.4": ("7", "")}))
    assert sent.status_code == 400 and "the score must be 1 to 5" in sent.text
    # a body larger than any form is cut off by the server
    try:  # tornado answers 400 or closes the connection, as the body arrives
        huge = b.post(page.url, data={"_xsrf": xsrf(page.text), "comment_C1.1": "y" * 400_000})
        assert huge.status_code >= 400
    except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError):
        pass
    assert list(stored(site.store, site.people["ana"]).index) == ["C1.2"]


def test_a_script_in_a_comment_is_shown_as_text_everywhere(site):
    b = site.browser()
    page = b.get(site.link("ana"))
    b.post(page.url, data=section_form(page.text, {"C1.1": ("4", SCRIPT)}))
    assert stored(site.store, site.people["ana"]).loc["C1.1", "comment"] == SCRIPT
    escaped = "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;"
    for url in (site.link("ana"), site.server.url + "section/1", site.server.url + "review"):
        shown = site.browser().get(url) if url == site.link("ana") else b.get(url)
        assert escaped in shown.text, url
        assert "<script" not in shown.text and "<b>bold" not in shown.text


def test_security_headers_on_every_response(site):
    b = site.browser()
    responses = [
        b.get(site.server.url),
        b.get(site.link("ana")),
        b.get(site.server.url + "review"),
        b.get(site.server.url + "static/survey.css"),
        b.get(site.server.url + "no/such/page"),
        b.get(site.server.url + "section/99"),
        b.post(site.server.url + "submit", data={}),  # no xsrf
        site.browser().get(site.link("expired")),
    ]
    assert [r.status_code for r in responses] == [200, 200, 200, 200, 404, 404, 403, 403]
    for r in responses:
        csp = r.headers["Content-Security-Policy"]
        assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp, r.url
        assert "script-src" not in csp and "unsafe-inline" not in csp
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert r.headers["Referrer-Policy"] == "no-referrer"
        assert r.headers["X-Frame-Options"] == "DENY"
        assert "<script" not in r.text.lower()
        assert "Traceback" not in r.text
    assert responses[1].headers["Cache-Control"] == "no-store"
    assert responses[3].headers["Content-Type"].startswith("text/css")


def test_the_code_never_reaches_the_log(site, caplog):
    caplog.set_level(logging.INFO, logger="tornado.access")
    b = site.browser()
    b.get(site.link("ana"))
    start = b.get(site.server.url)
    b.post(site.server.url, data={"_xsrf": xsrf(start.text), "code": site.codes["bo"]})
    assert "[redacted]" in caplog.text
    for code in site.codes.values():
        assert code not in caplog.text


def test_a_sparse_round_one_respondent_per_side(store):
    """One alliance, one respondent per side, optional fields empty: each answers their own
    questionnaire, neither sees the other's answers, both submit; the counts say so."""
    add_alliance(store)
    rnd = survey.open_round(store, "A001", "2026-Q3", questionnaire_version="2026.1")
    us = survey.add_respondent(store, rnd["id"], "us")
    partner = survey.add_respondent(store, rnd["id"], "partner")
    codes = {rid: survey.invite(store, rid).code for rid in (us, partner)}
    server = Running(survey_web.make_app(store))
    try:
        for rid, comment in ((us, "ours only"), (partner, "theirs only")):
            b = requests.Session()
            page = b.get(survey.survey_link(server.url, codes[rid], rnd["id"]))
            assert "ours only" not in page.text and "theirs only" not in page.text
            assert " as " not in page.text.split("</header>")[0]  # no role given: none shown
            page = b.post(
                page.url, data=section_form(page.text, {"C1.1": ("5", comment)}, go="review")
            )
            assert comment in page.text and "23 statement(s) are not answered" in page.text
            done = b.post(server.url + "submit", data={"_xsrf": xsrf(page.text)})
            assert "You left 23 statement(s) unanswered" in done.text
        status = survey.response_status(survey.survey_frames(store, rnd["id"]), rnd["id"])
        assert status["completed"].tolist() == [1, 1]
        assert len(store.read("answers")) == 2
    finally:
        server.stop()


# --- the command ------------------------------------------------------------------------------


def test_survey_serve_prints_the_link_once_the_form_answers_and_stops_in_one_line(tmp_path):
    import signal

    from process_helpers import port_open

    from alliance_kit.records.opening import open_store

    db = tmp_path / "store.sqlite"
    open_store(str(db), create=True).engine.dispose()
    for sig, said, status in (
        (signal.SIGTERM, "SIGTERM", -signal.SIGTERM),
        (signal.SIGINT, "Ctrl-C", 0),
    ):
        port = free_port()
        proc = subprocess.Popen(
            [sys.executable, "-c", "from alliance_kit.cli import main; main()", "survey",
             "serve", "--db", str(db), "--port", str(port)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )  # fmt: skip
        try:
            first = proc.stdout.readline()  # the server logs nothing before it
            link = f"http://127.0.0.1:{port}/?code=CODE"
            assert first.strip() == f"survey page at {link} (Ctrl-C to stop)"
            assert port_open(port)  # the link is printed only once the form answers
            page = requests.get(f"http://127.0.0.1:{port}/?code=NOSUCHCODE", timeout=10)
            assert page.status_code == 403 and "not valid" in page.text
            proc.send_signal(sig)
            out, _ = proc.communicate(timeout=30)
            assert proc.returncode == status, out
            assert out.rstrip().endswith(f"Stopped by {said}: the survey page is shut down."), out
            assert "Traceback" not in out and "NOSUCHCODE" not in out, out
            assert not port_open(port)
        finally:
            if proc.poll() is None:
                proc.kill()


def test_store_rows_are_plain_python_values(store):
    """Store.rows (the per-request lookups of survey.verify) gives the values read() gives,
    as Python objects: datetimes and dates, None for NULL, no pandas types."""
    add_alliance(store)
    rnd = survey.open_round(
        store, "A001", "2026-Q3", questionnaire_version="2026.1", closes_on=dt.date(2026, 12, 31)
    )
    rid = survey.add_respondent(store, rnd["id"], "us")
    issued = survey.invite(store, rid, now=dt.datetime(2026, 11, 1, 9, 30))
    [inv] = store.rows("invitations", {"respondent_id": rid})
    assert inv["expires_at"] == dt.datetime(2026, 12, 1, 9, 30) and inv["revoked_at"] is None
    [row] = store.rows("assessment_rounds", {"id": [rnd["id"]]})
    assert row["closes_on"] == dt.date(2026, 12, 31)
    assert store.rows("answers", {"respondent_id": rid}) == []
    ctx = survey.verify(store, issued.code, dt.datetime(2026, 11, 2))
    assert ctx.closes_on == dt.date(2026, 12, 31)
    assert ctx.expires_at == dt.datetime(2026, 12, 1, 9, 30)
    assert survey.verify(store, issued.code, dt.datetime(2027, 1, 1)) == survey.Refusal("expired")
