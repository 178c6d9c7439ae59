"""The survey web form (alliance_kit.delivery.survey_web) in real headless Chromium.

The form is served as `alliance-kit survey serve` serves it (its own process,
survey_web.server_command) against a temporary store. The page runs no script at all, so
the browser exercises plain HTML forms, the CSP (a violation would be a console error),
cookies and redirects.
"""

from __future__ import annotations

import subprocess

import pandas as pd
import pytest

from alliance_kit.assess import survey
from alliance_kit.delivery import survey_web
from alliance_kit.delivery.serve import free_port, listening
from alliance_kit.records import questionnaire
from alliance_kit.records.store import Store
from tests.survey_helpers import OTHER_COMMENT, invited_round

pytestmark = pytest.mark.browser

Q = questionnaire.load("2026.1")
SCRIPT_COMMENT = "<script>document.title='owned'</script><img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def form_site(tmp_path_factory):
    """One store (one round, five respondents) and one survey form server for the module."""
    import time

    db = str(tmp_path_factory.mktemp("survey_form") / "store.sqlite")
    store = Store(db)
    store.migrate()
    made = invited_round(
        store,
        {"answering": ("partner", "sales director"), "script": ("us", "alliance manager"),
         "twice": ("us", None), "expired": ("us", None), "revoked": ("partner", None)},
    )  # fmt: skip
    people, codes = made.people, made.issued
    cmd = survey_web.server_command(free_port(), db)
    log = tmp_path_factory.mktemp("survey_form_log") / "server.log"
    with open(log, "wb") as fh:
        proc = subprocess.Popen(cmd.argv, env=cmd.env, stdout=fh, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while not listening(cmd.url):
        assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
        time.sleep(0.1)
    links = {who: issued.link(cmd.url) for who, issued in codes.items()}
    yield {"store": store, "url": cmd.url, "links": links, "people": people, "log": log}
    proc.terminate()
    proc.wait(timeout=15)
    store.engine.dispose()


def choose(page, statement_id: str, value: str) -> None:
    item = page.locator(f".ak-item-{statement_id.replace('.', '-')}")
    item.locator(f"input[type=radio][value='{value}']").check()


def refused_statuses(page) -> list[str]:
    """HTTP errors the page fixture saw that are the expected refusals (403/409), removed."""
    kept = [e for e in page.errors if not e.startswith(("HTTP 403", "HTTP 409"))]
    kept = [e for e in kept if "status of 403" not in e and "status of 409" not in e]
    gone = [e for e in page.errors if e not in kept]
    page.errors[:] = kept
    return gone


def test_link_form_resume_and_submit(page, form_site, screenshot):
    store, rid = form_site["store"], form_site["people"]["answering"]
    page.goto(form_site["links"]["answering"])
    page.wait_for_selector(".ak-item-C1-1")
    assert page.url == form_site["url"] + "section/1"  # the code left the address bar
    header = page.locator(".ak-header").inner_text()
    assert "Cloud Co-sell EMEA" in header and "Northwind Systems" in header
    assert "Rate each statement" in page.locator(".ak-help").inner_text()
    assert page.locator(".ak-item").count() == len(Q.by_crack(1))
    assert OTHER_COMMENT not in page.content()
    screenshot(page, "survey_form_open")

    choose(page, "C1.1", "4")
    page.locator(".ak-item-C1-1 textarea").fill("Both sponsors came to the <b>last</b> meeting")
    choose(page, "C1.2", "dk")
    page.get_by_role("button", name="Save and continue").click()
    page.wait_for_url("**/section/2")
    answers = store.read("answers", {"respondent_id": rid}).set_index("statement_id")
    assert sorted(answers.index) == ["C1.1", "C1.2"]
    assert answers.loc["C1.1", "score"] == 4 and pd.isna(answers.loc["C1.2", "score"])
    assert answers.loc["C1.1", "comment"] == "Both sponsors came to the <b>last</b> meeting"

    # resume: a new browser context (no session) with the same link lands on page 1,
    # the earlier answers checked
    other = page.context.browser.new_context()
    again = other.new_page()
    again.goto(form_site["links"]["answering"])
    again.wait_for_selector(".ak-item-C1-1")
    assert again.locator(".ak-item-C1-1 input[value='4']").is_checked()
    assert again.locator(".ak-item-C1-2 input[value='dk']").is_checked()
    assert "2 of 24 statements answered" in again.locator(".ak-nav").inner_text()
    other.close()

    page.get_by_role("link", name="Review and submit").click()
    page.wait_for_selector(".ak-submit")
    assert "22 statement(s) are not answered" in page.locator(".ak-confirm").inner_text()
    screenshot(page, "survey_form_review", full_page=True)
    page.locator("button.ak-submit").click()
    page.wait_for_selector(".ak-thanks")
    assert "submitted" in page.locator(".ak-thanks").inner_text()
    screenshot(page, "survey_form_submitted")
    inv = store.read("invitations", {"respondent_id": rid})
    assert inv["submitted_at"].notna().sum() == 1
    page.assert_no_console_errors()


def test_resubmission_is_refused(page, form_site):
    page.goto(form_site["links"]["twice"])
    page.wait_for_selector(".ak-item-C1-1")
    choose(page, "C1.1", "3")
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_selector(".ak-saved")
    page.goto(form_site["url"] + "review")
    page.locator("button.ak-submit").click()
    page.wait_for_selector(".ak-thanks")
    page.goto(form_site["links"]["twice"])
    page.wait_for_selector(".ak-refusal")
    text = page.locator(".ak-refusal").inner_text()
    assert "already been submitted" in text and page.locator(".ak-item").count() == 0
    assert refused_statuses(page)  # the refusal is an HTTP 409, nothing else failed
    page.assert_no_console_errors()


@pytest.mark.parametrize("case", ["invalid", "expired", "revoked"])
def test_refused_codes_show_no_questionnaire(page, form_site, screenshot, case):
    link = (
        survey.survey_link(form_site["url"], "not-a-real-code-123")
        if case == "invalid"
        else form_site["links"][case]
    )
    page.goto(link)
    page.wait_for_selector(".ak-refusal")
    text = page.locator(".ak-refusal").inner_text()
    assert "We cannot open a questionnaire with this code" in text
    assert survey.REFUSAL_MESSAGES[case] in text.replace("\n", " ")
    body = page.locator("body").inner_text()
    assert all(st.text not in body for st in Q.statements)
    assert "Cloud Co-sell EMEA" not in body
    if case == "invalid":  # a wrong code may be typed again
        assert page.locator("input.ak-code").count() == 1
    screenshot(page, f"survey_form_refused_{case}")
    assert refused_statuses(page)
    page.assert_no_console_errors()


def test_a_script_in_a_comment_is_shown_as_text(page, form_site, screenshot):
    page.goto(form_site["links"]["script"])
    page.wait_for_selector(".ak-item-C1-1")
    choose(page, "C1.1", "2")
    page.locator(".ak-item-C1-1 textarea").fill(SCRIPT_COMMENT)
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_selector(".ak-saved")
    for url in ("section/1", "review"):
        page.goto(form_site["url"] + url)
        page.wait_for_selector(".ak-nav")
        assert page.title() != "owned"
        assert page.locator(".ak-page img").count() == 0
        if url == "review":
            shown = page.locator(".ak-row-C1-1 .ak-given-comment").inner_text()
        else:
            shown = page.locator(".ak-item-C1-1 textarea").input_value()
        assert shown == SCRIPT_COMMENT
    screenshot(page, "survey_form_script_comment")
    stored = form_site["store"].read("answers", {"respondent_id": form_site["people"]["script"]})
    assert stored["comment"].tolist() == [SCRIPT_COMMENT]
    page.assert_no_console_errors()
