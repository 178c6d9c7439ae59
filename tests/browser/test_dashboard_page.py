"""The executive dashboard in real headless Chromium, served by Voila as `alliance-kit
dashboard` serves it (sources stripped, token required, preheated kernel).

One server per module; every test opens its own page (its own kernel). Screenshots are
kept under tests/artifacts/. Chromium missing is a failure, not a skip.
"""

from __future__ import annotations

import os
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from urllib.parse import urlparse

import pytest

from alliance_kit.assess import health
from alliance_kit.cli.dashboard import DASHBOARD_NOTEBOOK, DASHBOARD_TEMPLATE
from alliance_kit.config import project_root
from alliance_kit.records import sample
from alliance_kit.records.opening import open_store
from alliance_kit.views import dashboard

pytestmark = pytest.mark.browser

PERIOD = "2026-Q3"
TOKEN = "test-token-0123456789"
LOAD_TIMEOUT_MS = 180_000  # a kernel that is still warming up on a busy 2-core machine
LOCAL_HOSTS = ("127.0.0.1", "localhost")


@pytest.fixture(scope="module")
def served(voila_server, tmp_path_factory) -> Iterator[dict]:
    """The sample portfolio in a fresh store, the dashboard served as `alliance-kit
    dashboard` serves it (token, preheated kernel, its template); one server per module."""
    tmp = tmp_path_factory.mktemp("dashboard")
    url = f"sqlite:///{tmp / 'store.sqlite'}"
    store = open_store(url, create=True)
    sample.load(store, last_period=PERIOD)
    frames = store.read_all()
    store.engine.dispose()
    scores = health.score_portfolio(frames, PERIOD)
    snapshot = tmp / "snapshot.pickle"  # scored once for every viewer, as the CLI does
    dashboard.load_snapshot(url, snapshot)
    server = voila_server(
        project_root() / DASHBOARD_NOTEBOOK,
        url,
        token=TOKEN,
        preheat=1,
        template=DASHBOARD_TEMPLATE,
        base_env={**os.environ, dashboard.ENV_SNAPSHOT: str(snapshot)},
    )
    table = dashboard.portfolio_table(frames["alliances"], scores.alliances)
    yield {"url": server.url, "server": server, "scores": scores, "table": table}


@pytest.fixture
def dash(page, screenshot, request):
    """A laptop-sized page that also records every request leaving this machine."""
    page.set_viewport_size({"width": 1366, "height": 900})
    external: list[str] = []

    def on_request(req) -> None:
        if req.url.startswith(("http", "ws")) and urlparse(req.url).hostname not in LOCAL_HOSTS:
            external.append(req.url)

    page.on("request", on_request)
    yield page
    screenshot(page, f"dashboard_{request.node.name}")
    assert external == [], f"the page loaded from outside this machine: {external}"


def open_dashboard(page, served) -> None:
    page.goto(f"{served['url']}?token={TOKEN}", timeout=LOAD_TIMEOUT_MS)
    page.wait_for_selector("[data-testid='alliances']", timeout=LOAD_TIMEOUT_MS)
    page.wait_for_function(
        "document.querySelectorAll('.ak-chart svg').length >= 5", timeout=LOAD_TIMEOUT_MS
    )


def tile_value(page, test_id: str) -> str:
    return page.locator(f"[data-testid='{test_id}'] .ak-tile-value").inner_text().strip()


def choose(page, name: str, value: str) -> None:
    page.locator(f".ak-filter-{name} select").select_option(value)


def choose_label(page, name: str, label: str) -> None:
    page.locator(f".ak-filter-{name} select").select_option(label=label)


def test_page_shows_the_revenue_at_risk_alliance_kit_computes(dash, served):
    open_dashboard(dash, served)
    expected = served["scores"].portfolio  # health's per-currency revenue at risk
    assert len(expected) >= 1
    for r in expected.itertuples(index=False):
        assert tile_value(dash, f"rar-{r.currency}") == dashboard.format_money(
            r.revenue_at_risk, r.currency
        )
    assert tile_value(dash, "alliances") == str(len(served["table"]))
    assert dash.locator("[data-testid='period']").inner_text() == PERIOD
    assert dash.locator(".ak-chart svg").count() >= 5
    # sources are stripped: no code cell input reaches the page
    assert "DashboardApp" not in dash.content()
    dash.assert_no_console_errors()


def test_a_filter_changes_the_view(dash, served):
    open_dashboard(dash, served)
    table = served["table"]
    red = dashboard.apply_filters(table, dashboard.Filters(status="red"))
    assert 0 < len(red) < len(table), "the sample portfolio should have some red alliances"
    choose(dash, "status", "red")
    dash.wait_for_function(
        "document.querySelector(\"[data-testid='alliances'] .ak-tile-value\")"
        f".innerText.trim() === '{len(red)}'",
        timeout=60_000,
    )
    assert "status red" in dash.locator(".ak-sub").inner_text()
    assert tile_value(dash, "amber") == "0" and tile_value(dash, "green") == "0"
    for r in dashboard.revenue_by_currency(red).itertuples(index=False):
        assert tile_value(dash, f"rar-{r.currency}") == dashboard.format_money(
            r.revenue_at_risk, r.currency
        )
    # the drill-down offers "Choose an alliance" and the red ones only
    dash.wait_for_function(
        f"document.querySelectorAll('.ak-filter-alliance option').length === {len(red) + 1}",
        timeout=60_000,
    )
    dash.assert_no_console_errors()


def test_drill_down_shows_the_chosen_alliance(dash, served):
    open_dashboard(dash, served)
    table = served["table"]
    row = table[table["alliance_id"] == "A011"].iloc[0]  # the sample's failing alliance
    label = dict((v, k) for k, v in dashboard.options_for_alliances(table))["A011"]
    choose_label(dash, "alliance", label)
    drill = dash.locator("[data-testid='drill'][data-alliance='A011']")
    drill.wait_for(timeout=60_000)
    assert row["name"] in drill.locator("h2").inner_text()
    assert drill.locator("[data-testid='drill-rar'] .ak-tile-value").inner_text() == (
        dashboard.format_money(row["revenue_at_risk"], row["currency"])
    )
    text = drill.inner_text()
    for heading in ("Cracks, scores by side and gaps", "KPIs", "Governance adherence", "Risks"):
        assert heading in text
    assert re.search(r"Open action|No open actions", text)
    assert drill.locator(".ak-chart svg").count() == 1  # cracks by side
    drill.scroll_into_view_if_needed()
    dash.assert_no_console_errors()


def test_a_request_without_the_token_is_refused(served, browser):
    opener = urllib.request.build_opener(_NoRedirect)
    for path in ("", "?token=wrong", "api/kernels", "api/sessions"):
        try:
            with opener.open(served["url"] + path, timeout=10) as resp:
                status, location = resp.status, resp.headers.get("Location", "")
        except urllib.error.HTTPError as err:
            status, location = err.code, err.headers.get("Location", "")
        assert status in (302, 403), (path, status)
        if status == 302:
            assert "/login" in location, (path, location)
    context = browser.new_context()
    pg = context.new_page()
    pg.goto(served["url"], timeout=60_000)
    assert "/login" in pg.url
    assert pg.locator("[data-testid='alliances']").count() == 0
    context.close()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None
