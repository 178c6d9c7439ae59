"""Reports opened in real headless Chromium: names and notes holding HTML or script show
as text, no script runs (no dialog, no console error but the CSP's), nothing is fetched."""

from __future__ import annotations

import pytest

from alliance_kit.delivery import batch
from alliance_kit.records import sample

PERIOD = "2026-Q3"
XSS_NAME = "<script>alert(1)</script> Co-Sell"
XSS_NOTE = "<img src=x onerror=alert(2)> watch this"
XSS_PARTNER = '"><svg onload=alert(3)>'

pytestmark = [pytest.mark.browser, pytest.mark.notebook]


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    frames = sample.portfolio(n_alliances=12, seed=7, last_period=PERIOD)
    a = frames["alliances"].copy()
    mask = a["id"] == "A002"
    a.loc[mask, "name"] = XSS_NAME
    a.loc[mask, "notes"] = XSS_NOTE
    a.loc[mask, "partner"] = XSS_PARTNER
    frames["alliances"] = a
    out = tmp_path_factory.mktemp("browser_reports")
    result = batch.run(
        PERIOD, frames=frames, out=out, alliance_ids=["A002"], workers=1, progress=False
    )
    assert result.ok, result.summary()
    return result.folder


def open_report(browser, path):
    page = browser.new_page()
    events: dict[str, list[str]] = {"dialogs": [], "console": [], "requests": [], "errors": []}

    def on_dialog(dialog):
        events["dialogs"].append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on("console", lambda m: events["console"].append(f"{m.type}: {m.text}"))
    page.on("pageerror", lambda e: events["errors"].append(str(e)))
    page.on(
        "request",
        lambda r: events["requests"].append(r.url) if not r.url.startswith("file:") else None,
    )
    page.goto(path.as_uri())
    page.wait_for_timeout(500)
    return page, events


@pytest.mark.parametrize("name", ["alliances/A002.html", "portfolio.html", "index.html"])
def test_user_text_shows_as_text_and_no_script_runs(browser, reports, name):
    page, events = open_report(browser, reports / name)
    try:
        body = page.inner_text("body")
        assert XSS_NAME in body  # the name is visible, as typed
        if name != "index.html":
            assert page.locator("img[src=x]").count() == 0
            assert page.locator("svg[onload]").count() == 0
        if name.startswith("alliances"):
            assert XSS_NOTE in body and XSS_PARTNER in body
        assert page.evaluate("document.scripts.length") == 0
        assert events["dialogs"] == []
        assert events["errors"] == []
        assert events["requests"] == []  # nothing fetched: no CDN, no injected image
        assert [c for c in events["console"] if not c.startswith("error")] == []
    finally:
        page.close()
