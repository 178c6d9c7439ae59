"""Reusable fixtures for tests that drive real headless Chromium against Voila pages.

- ``chromium_path``: Debian's chromium (``publish.chromium_path``: $ALLIANCE_KIT_CHROMIUM or
  /usr/bin/chromium), launched with the package's flags (``publish.launch_chromium``);
  the tests FAIL, not skip, when it is missing (run `bash .ci/services.sh`).
- ``browser``: one Chromium per test module (Playwright, sync API).
- ``voila_server``: a factory starting Voila (alliance_kit.delivery.serve.voila_command) on a free
  port against a given store, waiting until it answers; servers stop at module end.
  Start one per module and share it across the module's tests: kernels take seconds.
- ``page``: a fresh page per test, collecting console errors and page errors in
  ``page.errors``; a test ends with ``page.assert_no_console_errors()``.
- ``screenshot(page, name)``: saves tests/artifacts/<name>.png and returns the path.
"""

from __future__ import annotations

import re
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from alliance_kit.delivery import publish
from alliance_kit.delivery.serve import free_port, voila_command

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
START_TIMEOUT = 90.0  # seconds for Voila to answer its first request
PAGE_TIMEOUT = 60_000  # ms for a page's widgets to render (a kernel starts per visit)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    try:
        return publish.chromium_path()
    except FileNotFoundError as exc:
        pytest.fail(f"{exc} (`bash .ci/services.sh` runs `apt-get install chromium`)")


@pytest.fixture(scope="module")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = publish.launch_chromium(pw, chromium_path)
        yield b
        b.close()


@dataclass
class VoilaServer:
    url: str
    process: subprocess.Popen
    log: Path

    def page_url(self, query: str = "") -> str:
        return self.url + (f"?{query}" if query else "")

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def _wait_until_up(server: VoilaServer, timeout: float = START_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"Voila exited early:\n{server.log_text()[-3000:]}")
        try:
            # /voila/static answers without starting a kernel
            with urllib.request.urlopen(server.url + "voila/static/voila.js", timeout=2):
                return
        except urllib.error.HTTPError:
            return  # any HTTP answer means the server is up
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    raise RuntimeError(f"Voila did not answer in {timeout} s:\n{server.log_text()[-3000:]}")


@pytest.fixture(scope="module")
def voila_server(tmp_path_factory) -> Iterator[Callable[..., VoilaServer]]:
    """Factory: ``voila_server(notebook, db, **voila_command_kwargs) -> VoilaServer``."""
    started: list[VoilaServer] = []

    def start(notebook: str | Path, db: str, **kwargs) -> VoilaServer:
        port = free_port()
        cmd = voila_command(notebook, port, db, **kwargs)
        log = tmp_path_factory.mktemp("voila") / "voila.log"
        with open(log, "wb") as fh:
            proc = subprocess.Popen(
                cmd.argv,
                env=cmd.env,
                stdout=fh,
                stderr=subprocess.STDOUT,
                cwd=str(Path(notebook).resolve().parent),
                start_new_session=True,
            )
        server = VoilaServer(cmd.url, proc, log)
        started.append(server)
        _wait_until_up(server)
        return server

    yield start
    for server in started:
        server.process.terminate()
        try:
            server.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait(timeout=5)


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1200, "height": 1000})
    pg = context.new_page()
    pg.set_default_timeout(PAGE_TIMEOUT)
    errors: list[str] = []
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))
    pg.on(
        "requestfailed",
        lambda r: errors.append(f"request failed: {r.url} {r.failure}"),
    )
    pg.on(
        "response",
        lambda r: (
            errors.append(f"HTTP {r.status}: {r.request.method} {r.url}")
            if r.status >= 400
            else None
        ),
    )
    pg.errors = errors
    pg.assert_no_console_errors = lambda: assert_no_console_errors(pg)
    yield pg
    context.close()


# Voila 0.5 posts /voila/api/shutdown/<kernel> on page unload without the _xsrf token
# and the server answers 403 (voila-dashboards/voila#1458, open). It happens only when a
# page is left, is Voila's own, and is made harmless by kernel culling (serve.py); it is
# the one error tolerated, and only in exactly that shape.
KNOWN_VOILA_UNLOAD_ERROR = re.compile(
    r"^HTTP 403: POST http://[^ ]+/voila/api/shutdown/[0-9a-f-]+$"
)
FORBIDDEN_CONSOLE = "Failed to load resource: the server responded with a status of 403 (Forbidden)"


def unexpected_errors(errors: list[str]) -> list[str]:
    shutdowns = sum(bool(KNOWN_VOILA_UNLOAD_ERROR.match(e)) for e in errors)
    out, forgiven = [], 0
    for e in errors:
        if KNOWN_VOILA_UNLOAD_ERROR.match(e):
            continue
        if e == FORBIDDEN_CONSOLE and forgiven < shutdowns:
            forgiven += 1
            continue
        out.append(e)
    return out


def assert_no_console_errors(page) -> None:
    errors = unexpected_errors(page.errors)
    assert errors == [], "browser console errors:\n" + "\n".join(errors)


@pytest.fixture
def screenshot() -> Callable[..., Path]:
    def shoot(page, name: str, *, full_page: bool = False) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return shoot
