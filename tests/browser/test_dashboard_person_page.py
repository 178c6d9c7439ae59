"""The dashboard per person in real headless Chromium, on the real PostgreSQL server
(issue 14, item 3): Voila served as ``alliance-kit dashboard`` serves a team store with
people (personal links, no shared token, no preheat, no snapshot).

An owner signed in by personal link sees only their alliances (the others' names are not
on the page) and the page names them; an executive on the same server sees the whole
portfolio; once the owner's links are revoked, the same link and the same login cookie
get the "no longer valid" page (HTTP 403). The owner's page is saved as a screenshot.
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner

from alliance_kit.cli import main
from alliance_kit.cli.dashboard import DASHBOARD_NOTEBOOK, DASHBOARD_TEMPLATE
from alliance_kit.config import project_root
from alliance_kit.delivery import dashboard_login
from alliance_kit.records import access, sample
from alliance_kit.views import dashboard

pytestmark = [pytest.mark.browser, pytest.mark.postgres]

PERIOD = "2026-Q3"
LOAD_TIMEOUT_MS = 180_000
SCREENSHOT = Path("/tmp/dash_owner.png")


def grant(url: str, person: str, role: str, alliances: list[str] = ()) -> None:
    args = ["access", "grant", "--db", url, "--person", person, "--role", role]
    for alliance in alliances:
        args += ["--alliance", alliance]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output


def open_page(page, url: str) -> None:
    page.goto(url, timeout=LOAD_TIMEOUT_MS)
    page.wait_for_selector("[data-testid='alliances']", timeout=LOAD_TIMEOUT_MS)


def tile_value(page, test_id: str) -> str:
    return page.locator(f"[data-testid='{test_id}'] .ak-tile-value").inner_text().strip()


def test_an_owner_sees_only_their_alliances_until_the_link_is_revoked(
    pg_store, voila_server, browser, page, screenshot
):
    url = pg_store.engine.url.render_as_string(hide_password=False)
    sample.load(pg_store, last_period=PERIOD)
    alliances = pg_store.read_all()["alliances"].sort_values("id")
    # what the administrator's login sees on the page: the alliances of the latest quarter
    everyone = dashboard.DashboardApp.from_store(db=url, warm_up=False).current()
    mine = sorted(everyone["alliance_id"])[:2]
    tag = uuid.uuid4().hex[:6]
    # names are data all the way: into the notebook's parameters and onto the page
    owner, executive = f"Olivia O'Brien\"; import os # {tag}", f"Eve <b>Exec</b> {tag}"
    grant(url, owner, "owner", mine)
    grant(url, executive, "executive")
    assert access.enabled(pg_store)
    owner_token = access.issue_link(pg_store, owner)
    exec_token = access.issue_link(pg_store, executive)

    server = voila_server(
        project_root() / DASHBOARD_NOTEBOOK,
        url,
        template=DASHBOARD_TEMPLATE,
        personal=True,
    )

    # the owner: their two alliances, named on the page, nobody else's
    page.set_viewport_size({"width": 1366, "height": 900})
    open_page(page, f"{server.url}?token={owner_token}")
    signed_in = page.locator("[data-testid='signed-in']").inner_text()
    assert signed_in == f"Signed in as {owner} · owner"
    assert tile_value(page, "alliances") == "2"
    assert page.locator(".ak-sub").inner_text() == "2 alliances · your alliances"
    text = page.locator("body").inner_text()
    shown = alliances[alliances["id"].isin(mine)]
    others = alliances[~alliances["id"].isin(mine)]
    for name in shown["name"]:
        assert name in page.content() or name in text
    hidden = [n for n in others["name"] if not any(n in m for m in shown["name"])]
    assert len(hidden) >= 5
    content = page.content()
    for name in hidden:
        assert name not in text and name not in content, name
    options = page.locator(".ak-filter-alliance option").all_inner_texts()
    assert len(options) == 3  # "Choose an alliance…" and the owner's two
    assert owner_token not in content and "viewer_role" not in content  # sources stripped
    path = screenshot(page, "dashboard_person_owner")
    shutil.copy(path, SCREENSHOT)
    page.assert_no_console_errors()

    # the executive, on the same server: the whole portfolio
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    exec_page = context.new_page()
    open_page(exec_page, f"{server.url}?token={exec_token}")
    assert exec_page.locator("[data-testid='signed-in']").inner_text() == (
        f"Signed in as {executive} · executive"
    )
    assert tile_value(exec_page, "alliances") == str(len(everyone))
    context.close()

    # revoked: the owner's cookie and the owner's link are refused at once
    assert access.revoke_links(pg_store, owner) >= 1
    # the page still open on the link is closed and its kernel shut down within a re-check
    closed = "closed 1 open page(s) of a dashboard link no longer valid"
    page.wait_for_timeout(1000)
    for _ in range(20):
        if closed in server.log_text():
            break
        page.wait_for_timeout(500)
    assert closed in server.log_text()
    refused = page.goto(server.url, timeout=60_000)  # the login cookie of the first visit
    assert refused.status == 403
    assert dashboard_login.NO_LONGER_VALID in page.locator("h1").inner_text()
    assert page.locator("[data-testid='alliances']").count() == 0
    fresh = browser.new_context()
    again = fresh.new_page()
    resp = again.goto(f"{server.url}?token={owner_token}", timeout=60_000)
    assert resp.status == 403
    assert dashboard_login.NO_LONGER_VALID in again.content()
    assert "Traceback" not in again.content()
    fresh.close()
    assert "Traceback" not in server.log_text()
    assert owner_token not in server.log_text()  # tokens are redacted from the log
