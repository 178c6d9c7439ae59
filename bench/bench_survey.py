"""Bench: a whole round answering at once on the survey web form, and the Voila page.

Opens a round with N invited respondents (default 100, both sides) in a temporary SQLite
store, starts the survey form as `alliance-kit survey serve` does (its own process,
alliance_kit.delivery.survey_web) and drives every respondent concurrently over HTTP, as a browser
without JavaScript would: open the link with the code (redirect, first page), answer all
statements page by page (each page a POST, then the next page), review, submit.

Page ready: from the request to the last byte of the page the respondent sees next
(redirects included). Reported: the first page (link to questionnaire) and every page,
p50/p95; the total time for the round; the server process's RSS (peak, sampled); and a
check that every answer is stored exactly once and every invitation submitted once.

In the same run, the former Voila page (`survey serve --voila`, a kernel per respondent)
with M concurrent respondents (default 10) in headless Chromium: open the link, click an
answer for every statement (each saved at once), submit; page ready = navigation to the
form drawn. Reported with the memory of the Voila server and its kernels.

    .venv/bin/python bench/bench_survey.py [--respondents 100] [--voila 10]

Target (issue 15): page ready p95 under 1 s on this 2-core machine, every answer stored
once. Figures only, no asserts. Writes bench/out/survey.json.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import random
import re
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "survey" / "survey.ipynb"
PERIOD = "2026-Q3"
#: How long a Voila respondent waits for the form (or a click) before giving up.
VOILA_TIMEOUT_MS = 300_000


# --- the round -------------------------------------------------------------------------------


def make_round(db: str, n: int) -> tuple[str, list[str]]:
    """A store with one alliance and a round of ``n`` invited respondents; their links' codes."""
    from alliance_kit.assess import survey
    from alliance_kit.records.store import Store

    store = Store(db)
    store.migrate()
    store.insert(
        "alliances",
        [
            {
                "id": "A001",
                "name": "Cloud Co-sell EMEA",
                "partner": "Northwind Systems",
                "type": "co-sell",
                "stage": "5 working together",
                "start_date": dt.date(2025, 1, 1),
                "owner": "Eve Martin",
                "expected_revenue": 4_000_000.0,
                "currency": "EUR",
                "importance": 5,
            }
        ],
    )
    rnd = survey.open_round(store, "A001", PERIOD, questionnaire_version="2026.1")
    codes = []
    for i in range(n):
        rid = survey.add_respondent(store, rnd["id"], "us" if i % 2 else "partner")
        codes.append(survey.invite(store, rid).code)
    store.engine.dispose()
    return rnd["id"], codes


def stored_once(db: str, respondents: int, statements: int) -> dict:
    """Answers per respondent, duplicates, submitted invitations: read back from the store."""
    from alliance_kit.records.store import Store

    store = Store(db)
    answers = store.read("answers")
    inv = store.read("invitations")
    store.engine.dispose()
    per = answers.groupby("respondent_id").size()
    return {
        "answers": len(answers),
        "expected": respondents * statements,
        "duplicates": int(answers.duplicated(["respondent_id", "statement_id"]).sum()),
        "respondents_complete": int((per == statements).sum()),
        "submitted": int(inv["submitted_at"].notna().sum()),
        "ok": len(answers) == respondents * statements
        and int((per == statements).sum()) == respondents
        and int(inv["submitted_at"].notna().sum()) == respondents,
    }


class RssSampler:
    """Peak RSS (MB) of a process and its children, sampled every 0.1 s in a thread."""

    def __init__(self, pid: int) -> None:
        import psutil

        self.proc = psutil.Process(pid)
        self.peak = 0.0
        self.last = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def sample(self) -> float:
        import psutil

        total = 0
        try:
            procs = [self.proc, *self.proc.children(recursive=True)]
        except psutil.Error:  # the server is stopping
            return self.last
        for p in procs:
            with contextlib.suppress(psutil.Error):
                total += p.memory_info().rss
        return total / 2**20

    def _run(self) -> None:
        while not self._stop.is_set():
            self.last = self.sample()
            self.peak = max(self.peak, self.last)
            time.sleep(0.1)

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak


def wait_listening(url: str, proc: subprocess.Popen, timeout: float = 120) -> None:
    from alliance_kit.delivery.serve import listening

    deadline = time.monotonic() + timeout
    while not listening(url):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the server did not come up ({proc.returncode})")
        time.sleep(0.1)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


# --- the web form: one respondent --------------------------------------------------------------


class Browser:
    """A cookie jar and a client that follows 303s: enough of a browser without script."""

    def __init__(self, client, base: str) -> None:
        self.client = client
        self.base = base
        self.cookies: dict[str, str] = {}

    def _remember(self, response) -> None:
        for header in response.headers.get_list("Set-Cookie"):
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            if "expires=Thu, 01 Jan 1970" in header or value == '""':
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value

    async def fetch(self, path: str, body: dict | None = None) -> tuple[int, str]:
        from urllib.parse import urlencode

        from tornado.httpclient import HTTPRequest

        url, method = self.base.rstrip("/") + path, "POST" if body is not None else "GET"
        data = urlencode(body) if body is not None else None
        for _ in range(5):
            request = HTTPRequest(
                url,
                method=method,
                body=data,
                follow_redirects=False,
                headers={"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())},
                request_timeout=300,
            )
            response = await self.client.fetch(request, raise_error=False)
            self._remember(response)
            if response.code in (301, 302, 303):
                url = self.base.rstrip("/") + response.headers["Location"]
                method, data = "GET", None
                continue
            return response.code, response.body.decode("utf-8", "replace")
        raise RuntimeError("too many redirects")


async def respondent(
    client, base: str, link: str, sections: list[list[str]], rng, think: float = 0.0
) -> dict:
    """Open the link, answer every statement page by page, submit; page-ready times.
    ``think``: mean seconds spent on a page before sending it (0: at once)."""
    b = Browser(client, base)
    t0 = time.perf_counter()
    code, page = await b.fetch(link[len(base.rstrip("/")) :])
    first = time.perf_counter() - t0
    if code != 200:
        raise RuntimeError(f"the link answered {code}")
    pages = [first]
    for number, ids in enumerate(sections, start=1):
        token = re.search(r'name="_xsrf" value="([^"]+)"', page).group(1)
        form = {"_xsrf": token, "go": "next"}
        for sid in ids:
            form[f"score_{sid}"] = rng.choice(["1", "2", "3", "4", "5", "dk"])
            form[f"comment_{sid}"] = rng.choice(["", "", "a remark on " + sid])
        if think:
            await asyncio.sleep(rng.uniform(0.5, 1.5) * think)
        t = time.perf_counter()
        code, page = await b.fetch(f"/section/{number}", form)
        pages.append(time.perf_counter() - t)
        if code != 200:
            raise RuntimeError(f"page {number} answered {code}")
    token = re.search(r'name="_xsrf" value="([^"]+)"', page).group(1)
    t = time.perf_counter()
    code, page = await b.fetch("/submit", {"_xsrf": token})
    pages.append(time.perf_counter() - t)
    if code != 200 or "submitted" not in page:
        raise RuntimeError(f"submit answered {code}")
    return {"first": first, "pages": pages, "total": time.perf_counter() - t0}


async def drive_form(
    base: str, links: list[str], sections: list[list[str]], think: float = 0.0
) -> dict:
    from tornado.httpclient import AsyncHTTPClient

    AsyncHTTPClient.configure(None, max_clients=len(links))
    client = AsyncHTTPClient()
    rng = random.Random(15)
    t0 = time.perf_counter()
    results = await asyncio.gather(
        *(respondent(client, base, link, sections, rng, think) for link in links)
    )
    return {"results": results, "wall": time.perf_counter() - t0}


def bench_form(db: str, round_id: str, codes: list[str], think: float = 0.0) -> dict:
    from alliance_kit.assess import survey
    from alliance_kit.delivery import survey_web
    from alliance_kit.delivery.serve import free_port, stop_processes
    from alliance_kit.records import questionnaire

    q = questionnaire.load("2026.1")
    sections = [[s.id for s in q.by_crack(c)] for c in survey_web.sections(q)]
    port = free_port()
    cmd = survey_web.server_command(port, db)
    proc = subprocess.Popen(
        cmd.argv, env=cmd.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        started = time.perf_counter()
        wait_listening(cmd.url, proc)
        startup = time.perf_counter() - started
        sampler = RssSampler(proc.pid)
        idle = sampler.sample()
        links = [survey.survey_link(cmd.url, c, round_id) for c in codes]
        run = asyncio.run(drive_form(cmd.url, links, sections, think))
        peak = sampler.stop()
    finally:
        stop_processes([proc], grace=5)
    firsts = [r["first"] for r in run["results"]]
    pages = [p for r in run["results"] for p in r["pages"]]
    return {
        "respondents": len(codes),
        "think_s": think,
        "startup_s": startup,
        "first_page_p50_s": statistics.median(firsts),
        "first_page_p95_s": pct(firsts, 0.95),
        "any_page_p50_s": statistics.median(pages),
        "any_page_p95_s": pct(pages, 0.95),
        "pages": len(pages),
        "total_s": run["wall"],
        "server_rss_idle_mb": idle,
        "server_rss_peak_mb": peak,
        "store": stored_once(db, len(codes), len(q.statements)),
    }


# --- the Voila page ------------------------------------------------------------------------------


async def voila_respondent(browser, link: str, ids: list[str]) -> dict:
    try:
        return await _voila_respondent(browser, link, ids)
    except Exception as exc:  # noqa: BLE001 - a respondent who never got through is a figure
        return {"failed": f"{type(exc).__name__}: {str(exc).splitlines()[0]}"}


async def _voila_respondent(browser, link: str, ids: list[str]) -> dict:
    page = await (await browser.new_context(viewport={"width": 1200, "height": 1000})).new_page()
    page.set_default_timeout(VOILA_TIMEOUT_MS)
    t0 = time.perf_counter()
    await page.goto(link)
    try:
        await page.wait_for_selector(".ak-item-C1-1")
    except Exception as exc:
        shown = (await page.locator("body").inner_text())[:300].replace("\n", " | ")
        raise RuntimeError(
            f"no form after {time.perf_counter() - t0:.0f} s; page: {shown}"
        ) from exc
    first = time.perf_counter() - t0
    for sid in ids:
        item = page.locator(f".ak-item-{sid.replace('.', '-')}")
        await item.locator("button.widget-toggle-button", has_text="3").click()
        await item.locator(".ak-ok").wait_for()
    await page.locator("button.ak-submit").click()
    await page.wait_for_selector(".ak-thanks")
    total = time.perf_counter() - t0
    await page.context.close()
    return {"first": first, "total": total}


async def drive_voila(chromium: str, links: list[str], ids: list[str], sampler) -> dict:
    from playwright.async_api import async_playwright

    from alliance_kit.delivery import publish

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium, args=publish.CHROMIUM_ARGS)
        t0 = time.perf_counter()
        results = await asyncio.gather(*(voila_respondent(browser, link, ids) for link in links))
        wall = time.perf_counter() - t0
        rss_all_open = sampler.last
        await browser.close()
    return {"results": results, "wall": wall, "rss_all_open": rss_all_open}


def bench_voila(db: str, codes: list[str]) -> dict:
    from alliance_kit.assess import survey
    from alliance_kit.delivery import publish
    from alliance_kit.delivery.serve import free_port, stop_processes, voila_command
    from alliance_kit.records import questionnaire

    if not NOTEBOOK.exists():
        return {"skipped": "no Voila survey notebook"}
    q = questionnaire.load("2026.1")
    port = free_port()
    cmd = voila_command(NOTEBOOK, port, db, None, preheat=0)  # as `survey serve --voila`
    log = ROOT / "bench" / "out" / "survey_voila.log"  # Voila's log, to see why a page stalls
    log.parent.mkdir(exist_ok=True)
    with open(log, "wb") as fh:
        proc = subprocess.Popen(
            cmd.argv, env=cmd.env, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        wait_listening(cmd.url, proc)
        sampler = RssSampler(proc.pid)
        idle = sampler.sample()
        links = [survey.survey_link(cmd.url, c) for c in codes]
        run = asyncio.run(
            drive_voila(publish.chromium_path(), links, [s.id for s in q.statements], sampler)
        )
        peak = sampler.stop()
    finally:
        stop_processes([proc], grace=5)
    firsts = [r["first"] for r in run["results"] if "first" in r] or [float("nan")]
    return {
        "respondents": len(codes),
        "failed": [r["failed"] for r in run["results"] if "failed" in r],
        "first_page_p50_s": statistics.median(firsts),
        "first_page_p95_s": pct(firsts, 0.95),
        "total_s": run["wall"],
        "server_rss_idle_mb": idle,
        "server_and_kernels_rss_peak_mb": peak,
        "rss_per_respondent_mb": (peak - idle) / len(codes),
        "store": stored_once(db, len(codes), len(q.statements)),
    }


def print_form(f: dict) -> None:
    print(
        f"survey web form, {f['respondents']} respondents at once "
        f"({f['pages']} pages: link, 6 sections of 4 statements, submit; think time "
        f"{f['think_s']:g} s per page):"
    )
    print(
        f"  first page ready (link -> questionnaire): p50 {f['first_page_p50_s']:.3f} s, "
        f"p95 {f['first_page_p95_s']:.3f} s   (target p95 < 1 s)"
    )
    print(
        f"  any page ready:                            p50 {f['any_page_p50_s']:.3f} s, "
        f"p95 {f['any_page_p95_s']:.3f} s"
    )
    print(
        f"  whole round answered and submitted in {f['total_s']:.1f} s; server up in "
        f"{f['startup_s']:.1f} s"
    )
    print(
        f"  server RSS: {f['server_rss_idle_mb']:.0f} MB idle, "
        f"{f['server_rss_peak_mb']:.0f} MB peak (one process, no kernel)"
    )
    s = f["store"]
    print(
        f"  store: {s['answers']} answers of {s['expected']} expected, {s['duplicates']} "
        f"duplicates, {s['respondents_complete']} complete, {s['submitted']} submitted: "
        f"{'every answer stored exactly once' if s['ok'] else 'MISMATCH'}"
    )


def print_voila(f: dict, v: dict) -> None:
    if "skipped" not in v:
        print(f"\nVoila survey page (a kernel per respondent), {v['respondents']} at once:")
        p50, p95 = v["first_page_p50_s"], v["first_page_p95_s"]
        if p95 == p95:  # NaN when no respondent got the form
            print(f"  first page ready: p50 {p50:.2f} s, p95 {p95:.2f} s")
        else:
            print("  first page ready: n/a (no respondent got the form)")
        print(f"  all answered (24 clicks each) and submitted in {v['total_s']:.1f} s")
        if v["failed"]:
            print(f"  {len(v['failed'])} respondent(s) never got through: {v['failed'][0]}")
        print(
            f"  Voila + kernels RSS: {v['server_rss_idle_mb']:.0f} MB idle, "
            f"{v['server_and_kernels_rss_peak_mb']:.0f} MB peak, "
            f"{v['rss_per_respondent_mb']:.0f} MB per respondent"
        )
        vs = v["store"]
        print(
            f"  store: {vs['answers']} of {vs['expected']} answers, {vs['submitted']} "
            f"submitted: {'ok' if vs['ok'] else 'MISMATCH'}"
        )
        per_form = f["server_rss_peak_mb"] / f["respondents"]
        ratio = v["first_page_p95_s"] / f["first_page_p95_s"]
        print(
            f"\nratios: first page p95 Voila/form "
            f"{'n/a (no Voila form drawn)' if ratio != ratio else f'{ratio:.0f}x'}; "
            f"memory per respondent Voila {v['rss_per_respondent_mb']:.0f} MB vs form "
            f"{per_form:.1f} MB (whole server / respondents)"
        )
    else:
        print(
            f"\nVoila survey page: {v['skipped']}; figures recorded in issue 15: "
            "~340 MB per viewer kernel, 7.7 s first view"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--respondents", type=int, default=100)
    parser.add_argument("--voila", type=int, default=10, help="0 skips the Voila page")
    parser.add_argument(
        "--think",
        type=float,
        default=0.0,
        help="Mean seconds a respondent spends on a page before sending it (0: none, the "
        "worst case; everyone still opens the link at the same moment).",
    )
    args = parser.parse_args()
    results: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "form.sqlite")
        round_id, codes = make_round(db, args.respondents)
        results["form"] = bench_form(db, round_id, codes, args.think)
        print_form(results["form"])
        if args.voila:
            vdb = str(Path(tmp) / "voila.sqlite")
            _, vcodes = make_round(vdb, args.voila)
            results["voila"] = bench_voila(vdb, vcodes)
            print_voila(results["form"], results["voila"])
    out = ROOT / "bench" / "out"
    out.mkdir(exist_ok=True)
    (out / "survey.json").write_text(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
