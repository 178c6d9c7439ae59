"""The survey page in real headless Chromium, served by Voila against a temporary store."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from alliance_kit.assess import survey
from alliance_kit.records import questionnaire
from alliance_kit.records.store import Store
from tests.survey_helpers import OTHER_COMMENT, invited_round

pytestmark = pytest.mark.browser

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "survey" / "survey.ipynb"
Q = questionnaire.load("2026.1")


@pytest.fixture(scope="module")
def survey_site(tmp_path_factory, voila_server):
    """One store (one round, four respondents) and one Voila server for the module."""
    db = str(tmp_path_factory.mktemp("survey") / "store.sqlite")
    store = Store(db)
    store.migrate()
    made = invited_round(
        store,
        {"answering": ("partner", "sales director"), "typing": ("us", "alliance manager"),
         "expired": ("us", None), "revoked": ("partner", None)},
    )  # fmt: skip
    people, codes = made.people, made.codes
    server = voila_server(NOTEBOOK, db)
    yield {"store": store, "server": server, "codes": codes, "people": people}
    store.engine.dispose()


def open_page(page, server, query: str, selector: str):
    page.goto(server.page_url(query))
    page.wait_for_selector(selector)
    return page


def answer(page, statement_id: str, label: str) -> None:
    item = page.locator(f".ak-item-{statement_id.replace('.', '-')}")
    item.locator("button.widget-toggle-button", has_text=label).click()
    item.locator(".ak-ok").wait_for()


def test_valid_code_answers_land_in_the_store(page, survey_site, screenshot):
    server, store = survey_site["server"], survey_site["store"]
    rid = survey_site["people"]["answering"]
    open_page(page, server, f"code={survey_site['codes']['answering']}", ".ak-item-C1-1")
    header = page.locator(".ak-header").inner_text()
    assert "Cloud Co-sell EMEA" in header and "Northwind Systems" in header
    assert "Rate each statement" in page.locator(".ak-help").inner_text()
    assert page.locator(".ak-item").count() == len(Q.statements)
    assert OTHER_COMMENT not in page.content()
    screenshot(page, "survey_page_open")

    answer(page, "C1.1", "4")
    comment = page.locator(".ak-item-C1-1 textarea")
    comment.fill("Both sponsors came to the <b>last</b> steering meeting")
    comment.press("Tab")  # the comment is sent when the field loses focus
    answer(page, "C1.2", "Don't know")
    answer(page, "C5.3", "2")
    page.wait_for_function(
        "document.querySelector('.ak-item-C1-1 .ak-chosen-text')"
        ".textContent.includes('You answered 4')"
    )
    assert "4 Sponsors on both sides engage regularly" in (
        page.locator(".ak-item-C1-1 .ak-chosen").inner_text().replace("\n", " ")
    )
    page.locator(".ak-item-C1-1").scroll_into_view_if_needed()
    screenshot(page, "survey_page_answered")

    def stored():
        return store.read("answers", {"respondent_id": rid}).set_index("statement_id")

    # the comment is saved on blur, after its answer: wait for it (at most 10 s)
    for _ in range(100):
        if stored()["comment"].get("C1.1"):
            break
        page.wait_for_timeout(100)
    answers = stored()
    assert sorted(answers.index) == ["C1.1", "C1.2", "C5.3"]
    assert answers.loc["C1.1", "score"] == 4
    assert pd.isna(answers.loc["C1.2", "score"])  # don't know
    assert answers.loc["C5.3", "score"] == 2
    assert (
        answers.loc["C1.1", "comment"] == "Both sponsors came to the <b>last</b> steering meeting"
    )

    page.locator("button.ak-submit").click()
    page.wait_for_selector(".ak-confirm")  # 21 unanswered: a second press confirms
    assert store.read("invitations", {"respondent_id": rid})["submitted_at"].isna().all()
    page.locator("button.ak-submit").click()
    page.wait_for_selector(".ak-thanks")
    assert "submitted" in page.locator(".ak-thanks").inner_text()
    assert page.locator(".ak-item").count() == 0
    screenshot(page, "survey_page_submitted")
    inv = store.read("invitations", {"respondent_id": rid})
    assert inv["submitted_at"].notna().all()
    page.assert_no_console_errors()


def test_code_typed_in_and_answers_preloaded_on_return(page, survey_site, screenshot):
    server, store = survey_site["server"], survey_site["store"]
    code = survey_site["codes"]["typing"]
    open_page(page, server, "", "input[type=password]")
    assert "invitation code" in page.locator(".ak-help").inner_text()
    screenshot(page, "survey_page_enter_code")
    page.fill("input[type=password]", code)
    page.locator("button.ak-open").click()
    page.wait_for_selector(".ak-item-C2-1")
    answer(page, "C2.1", "5")
    rid = survey_site["people"]["typing"]
    assert store.read("answers", {"respondent_id": rid})["score"].tolist() == [5]
    # coming back with the link shows the earlier answer selected
    open_page(page, server, f"code={code}", ".ak-item-C2-1")
    chosen = page.locator(".ak-item-C2-1 button.widget-toggle-button.mod-active")
    assert chosen.inner_text().strip() == "5"
    assert "1 of 24 statements answered" in page.locator(".ak-form").inner_text()
    page.assert_no_console_errors()


@pytest.mark.parametrize(
    ("case", "reason"),
    [("invalid", "invalid"), ("expired", "expired"), ("revoked", "revoked")],
)
def test_refused_codes_show_no_questionnaire(page, survey_site, screenshot, case, reason):
    code = "not-a-real-code-123" if case == "invalid" else survey_site["codes"][case]
    open_page(page, survey_site["server"], f"code={code}", ".ak-refusal")
    text = page.locator(".ak-refusal").inner_text()
    assert "We cannot open a questionnaire with this code" in text
    assert survey.REFUSAL_MESSAGES[reason] in text.replace("\n", " ")
    assert page.locator(".ak-item").count() == 0
    body = page.locator("body").inner_text()
    for st in Q.statements:
        assert st.text not in body
    assert "Cloud Co-sell EMEA" not in body
    screenshot(page, f"survey_page_refused_{case}")
    page.assert_no_console_errors()
