"""The executive dashboard in real headless Chromium, served by Voila as `alliance-kit
dashboard` serves it (sources stripped, token required, preheated kernel).

One server per module; every test opens its own page (its own kernel). Screenshots are
kept under tests/artifacts/. Chromium missing is a failure, not a skip.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest

from alliance_kit import dashboard, health, sample
from alliance_kit.cli.dashboard import dashboard_commands
from alliance_kit.store import open_store

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
PERIOD = "2026-Q3"
TOKEN = "test-token-0123456789"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LOAD_TIMEOUT_MS = 180_000  # a cold kernel on a busy 2-core machine


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_http(url: str, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"Voila exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.5)
    pytest.fail(f"Voila did not answer {url} within {timeout}s")


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[dict]:
    """The sample portfolio in a fresh store, the dashboard served on a free port."""
    tmp = tmp_path_factory.mktemp("dashboard")
    url = f"sqlite:///{tmp / 'store.sqlite'}"
    store = open_store(url, create=True)
    sample.load(store, last_period=PERIOD)
    frames = store.read_all()
    store.engine.dispose()
    scores = health.score_portfolio(frames, PERIOD)
    port = _free_port()
    cmd, _, token = dashboard_commands(port=port, db=url, token=TOKEN, survey=False, root=ROOT)
    log = open(tmp / "voila.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(cmd.argv, env=cmd.env, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_http(f"{cmd.url}?token={token}", proc)
        yield {"url": cmd.url, "token": token, "frames": frames, "scores": scores, "log": tmp}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="module")
def chromium() -> Iterator:
    from playwright.sync_api import sync_playwright

    exe = os.environ.get("ALLIANCE_KIT_CHROMIUM", "/usr/bin/chromium")
    if not Path(exe).exists():
        pytest.fail(f"Chromium not found at {exe}: run .ci/services.sh (installs it with apt)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium, served, request):
    """A laptop-sized page that records console errors and every non-local request."""
    context = chromium.new_context(viewport={"width": 1366, "height": 900})
    pg = context.new_page()
    errors: list[str] = []
    external: list[str] = []
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: errors.append(str(e)))

    def on_request(req):
        host = urlparse(req.url).hostname
        if req.url.startswith(("http:", "https:", "ws:", "wss:")) and host not in (
            "127.0.0.1",
            "localhost",
        ):
            external.append(req.url)

    pg.on("request", on_request)
    pg.errors, pg.external = errors, external
    yield pg
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(ARTIFACTS / f"dashboard_{request.node.name}.png"), full_page=True)
    context.close()
    assert external == [], f"the page loaded from outside this machine: {external}"


def open_dashboard(page, served) -> None:
    page.goto(f"{served['url']}?token={served['token']}", timeout=LOAD_TIMEOUT_MS)
    page.wait_for_selector("[data-testid='alliances']", timeout=LOAD_TIMEOUT_MS)
    page.wait_for_function(
        "document.querySelectorAll('.ak-chart svg').length >= 5", timeout=LOAD_TIMEOUT_MS
    )


def tile_value(page, test_id: str) -> str:
    return page.locator(f"[data-testid='{test_id}'] .ak-tile-value").inner_text().strip()


def choose(page, name: str, value: str) -> None:
    page.locator(f".ak-filter-{name} select").select_option(value)


def test_page_shows_the_revenue_at_risk_alliance_kit_computes(page, served):
    open_dashboard(page, served)
    expected = served["scores"].portfolio
    assert len(expected) >= 1
    for r in expected.itertuples(index=False):
        assert tile_value(page, f"rar-{r.currency}") == dashboard.format_money(
            r.revenue_at_risk, r.currency
        )
    scored = served["scores"].alliances["health_index"].notna().sum()
    assert tile_value(page, "alliances") == str(scored)
    assert page.locator("[data-testid='period']").inner_text() == PERIOD
    assert page.locator(".ak-chart svg").count() >= 5
    # sources are stripped: no code cell input reaches the page
    assert "DashboardApp" not in page.content()
    assert page.errors == []


def test_a_filter_changes_the_view(page, served):
    open_dashboard(page, served)
    table = dashboard.portfolio_table(served["frames"]["alliances"], served["scores"].alliances)
    red = dashboard.apply_filters(table, dashboard.Filters(status="red"))
    assert 0 < len(red) < len(table), "the sample portfolio should have some red alliances"
    choose(page, "status", "red")
    page.wait_for_function(
        f"document.querySelector(\"[data-testid='alliances'] .ak-tile-value\")"
        f".innerText.trim() === '{len(red)}'",
        timeout=60_000,
    )
    assert "status red" in page.locator(".ak-sub").inner_text()
    assert tile_value(page, "amber") == "0" and tile_value(page, "green") == "0"
    for r in dashboard.revenue_by_currency(red).itertuples(index=False):
        assert tile_value(page, f"rar-{r.currency}") == dashboard.format_money(
            r.revenue_at_risk, r.currency
        )
    assert page.errors == []


def test_drill_down_shows_the_chosen_alliance(page, served):
    open_dashboard(page, served)
    table = dashboard.portfolio_table(served["frames"]["alliances"], served["scores"].alliances)
    row = table[table["alliance_id"] == "A011"].iloc[0]  # the sample's failing alliance
    choose(page, "alliance", "A011")
    drill = page.locator("[data-testid='drill'][data-alliance='A011']")
    drill.wait_for(timeout=60_000)
    assert row["name"] in drill.locator("h2").inner_text()
    assert drill.locator("[data-testid='drill-rar'] .ak-tile-value").inner_text() == (
        dashboard.format_money(row["revenue_at_risk"], row["currency"])
    )
    text = drill.inner_text()
    for heading in ("Cracks, scores by side and gaps", "KPIs", "Governance adherence"):
        assert heading in text
    assert re.search(r"Actions|No open actions", text)
    assert drill.locator(".ak-chart svg").count() == 1
    drill.scroll_into_view_if_needed()
    assert page.errors == []


def test_a_request_without_the_token_is_refused(served, chromium):
    for path in ("", "api/kernels", "voila/render/portfolio_dashboard.ipynb"):
        req = urllib.request.Request(served["url"] + path)
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            with opener.open(req, timeout=10) as resp:
                status, location = resp.status, resp.headers.get("Location", "")
        except urllib.error.HTTPError as err:
            status, location = err.code, err.headers.get("Location", "")
        assert status in (302, 403, 404), (path, status)
        if status == 302:
            assert "/login" in location
    wrong = urllib.request.build_opener(_NoRedirect)
    try:
        wrong.open(served["url"] + "?token=wrong", timeout=10)
        pytest.fail("a wrong token was accepted")
    except urllib.error.HTTPError as err:
        assert err.code in (302, 403)
    context = chromium.new_context()
    pg = context.new_page()
    pg.goto(served["url"], timeout=60_000)
    assert "/login" in pg.url
    assert pg.locator("[data-testid='alliances']").count() == 0
    context.close()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None
