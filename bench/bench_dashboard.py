"""Bench: the portfolio dashboard against a trivial one-widget Voila page, same run.

Generates a portfolio of N alliances (default 1,000) into a temporary SQLite store, serves
the dashboard and bench/trivial_dashboard.ipynb with the same Voila settings `alliance-kit
dashboard` uses (sources stripped, token, one preheated kernel), and measures in headless
Chromium the time from navigation to every chart drawn (``.ak-chart svg`` present: 5 on
the dashboard, 1 on the trivial page). Each view is taken with a warm pool (the server's
kernels idle again after the previous view); the first, cold view is reported apart.
Then it opens several viewers at once and reports kernel memory (RSS) per viewer.

    .venv/bin/python bench/bench_dashboard.py [--alliances 1000] [--runs 5] [--viewers 3]

Prints figures and the ratio to the trivial page (target: within 1.5x). Writes a JSON
summary to bench/out/dashboard.json.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DASHBOARD = ROOT / "notebooks" / "dashboards" / "portfolio_dashboard.ipynb"
TRIVIAL = ROOT / "bench" / "trivial_dashboard.ipynb"
PERIOD = "2026-Q3"
TOKEN = "bench-token"


def kernel_processes(server_pid: int) -> list:
    """The kernels a Voila server started (its child ipykernel processes)."""
    import psutil

    out = []
    for p in psutil.Process(server_pid).children(recursive=True):
        try:
            if "ipykernel" in " ".join(p.cmdline()):
                out.append(p)
        except psutil.Error:
            pass
    return out


def wait_idle(server_pid: int, kernels: int, quiet: float = 2.0, timeout: float = 300) -> None:
    """Wait until the server has ``kernels`` kernels and none of them uses CPU (the pool
    is refilled and the preheated notebook has run)."""
    import psutil

    deadline = time.monotonic() + timeout
    calm_since = None
    while time.monotonic() < deadline:
        procs = kernel_processes(server_pid)
        try:
            busy = sum(p.cpu_percent(interval=None) for p in procs)
            time.sleep(0.5)
            busy = sum(p.cpu_percent(interval=None) for p in procs)
        except psutil.Error:
            continue
        if len(procs) >= kernels and busy < 3.0:
            calm_since = calm_since or time.monotonic()
            if time.monotonic() - calm_since >= quiet:
                return
        else:
            calm_since = None
    raise TimeoutError("the Voila server did not become idle")


def rss_mb(procs: list) -> list[float]:
    return [p.memory_info().rss / 2**20 for p in procs]


class Server:
    """Voila as `alliance-kit dashboard` runs it: token, one preheated kernel, the
    dashboard template, and the scores computed once (the snapshot) for every viewer."""

    def __init__(self, notebook: Path, db: str, preheat: int = 1) -> None:
        from alliance_kit.cli.dashboard import DASHBOARD_TEMPLATE, prepare_snapshot
        from alliance_kit.delivery.serve import free_port, voila_command

        self.cmd = voila_command(
            notebook, free_port(), db, TOKEN, preheat=preheat, template=DASHBOARD_TEMPLATE
        )
        self.folder = None
        if notebook == DASHBOARD:
            t = time.perf_counter()
            self.folder = prepare_snapshot(db, self.cmd)
            print(f"scores computed once for all viewers (snapshot): "
                  f"{time.perf_counter() - t:.1f} s")  # fmt: skip
        self.log = tempfile.NamedTemporaryFile("w", suffix=".log", delete=False)  # noqa: SIM115
        self.proc = subprocess.Popen(
            self.cmd.argv, env=self.cmd.env, stdout=self.log, stderr=subprocess.STDOUT
        )
        self.url = f"{self.cmd.url}?token={TOKEN}"
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"{self.cmd.url}login", timeout=5).close()
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise RuntimeError(f"Voila did not start; see {self.log.name}") from None
                time.sleep(0.5)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)


def view(browser, url: str, charts: int) -> float:
    """Seconds from navigation to ``charts`` charts drawn, in a fresh browser context."""
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    start = time.perf_counter()
    page.goto(url, timeout=300_000)
    page.wait_for_function(
        f"document.querySelectorAll('.ak-chart svg').length >= {charts}", timeout=300_000
    )
    elapsed = time.perf_counter() - start
    context.close()
    return elapsed


def filter_change(browser, url: str) -> float:
    """Dashboard only: seconds from choosing status "red" to the page redrawn for it (the
    drill-down's alliance list is the last thing the page updates)."""
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.goto(url, timeout=300_000)
    page.wait_for_function(
        "document.querySelectorAll('.ak-chart svg').length >= 5", timeout=300_000
    )
    before = page.locator(".ak-filter-alliance option").count()
    start = time.perf_counter()
    page.locator(".ak-filter-status select").select_option("red")
    page.wait_for_function(
        f"document.querySelectorAll('.ak-filter-alliance option').length !== {before}",
        timeout=300_000,
    )
    elapsed = time.perf_counter() - start
    context.close()
    return elapsed


def measure_views(browser, servers: dict, runs: int) -> dict[str, list[float]]:
    """Views of each page, interleaved (ABBA...) so both see the same machine load; each
    view starts with the server idle and a preheated kernel waiting."""
    names = list(servers)
    times: dict[str, list[float]] = {n: [] for n in names}
    for server, _ in servers.values():
        wait_idle(server.proc.pid, 1)
    for i in range(runs):
        for name in names if i % 2 == 0 else reversed(names):
            server, charts = servers[name]
            times[name].append(view(browser, server.url, charts))
            wait_idle(server.proc.pid, 2)  # the viewed kernel and the refilled pool kernel
    return times


def memory(browser, server: Server, charts: int, viewers: int) -> dict:
    """Kernel RSS with ``viewers`` pages open at once (each viewer holds a kernel)."""
    import psutil

    contexts = []
    for _ in range(viewers):
        ctx = browser.new_context(viewport={"width": 1366, "height": 900})
        pg = ctx.new_page()
        pg.goto(server.url, timeout=300_000)
        pg.wait_for_function(
            f"document.querySelectorAll('.ak-chart svg').length >= {charts}", timeout=300_000
        )
        contexts.append(ctx)
    wait_idle(server.proc.pid, 1)
    kernels = kernel_processes(server.proc.pid)
    rss = rss_mb(kernels)
    out = {
        "kernels": len(kernels),
        "kernel_rss_mb": rss,
        "rss_per_kernel_mb": statistics.mean(rss) if rss else float("nan"),
        "server_rss_mb": psutil.Process(server.proc.pid).memory_info().rss / 2**20,
    }
    for ctx in contexts:
        ctx.close()
    return out


def cold_view(browser, notebook: Path, db: str, charts: int) -> float:
    """No kernel waiting: the notebook runs while the viewer waits (snapshot still used)."""
    server = Server(notebook, db, preheat=0)
    try:
        return view(browser, server.url, charts)
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--alliances", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--viewers", type=int, default=3)
    parser.add_argument("--no-cold", action="store_true", help="skip the unpreheated view")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    from alliance_kit.delivery.publish import launch_chromium
    from alliance_kit.records import sample
    from alliance_kit.records.opening import open_store

    tmp = Path(tempfile.mkdtemp(prefix="ak-bench-"))
    db = f"sqlite:///{tmp / 'bench.sqlite'}"
    t = time.perf_counter()
    frames = sample.portfolio(n_alliances=args.alliances, last_period=PERIOD)
    store = open_store(db, create=True)
    store.replace_all(frames)
    print(f"portfolio: {args.alliances} alliances generated and stored in "
          f"{time.perf_counter() - t:.1f} s")  # fmt: skip
    store.engine.dispose()
    del frames

    results: dict = {"alliances": args.alliances}
    with sync_playwright() as p:
        browser = launch_chromium(p)
        servers = {"trivial": (Server(TRIVIAL, db), 1), "dashboard": (Server(DASHBOARD, db), 5)}
        try:
            times = measure_views(browser, servers, args.runs)
            for name in servers:
                results[name] = {"warm_s": times[name],
                                 "warm_median_s": statistics.median(times[name])}  # fmt: skip
            results["dashboard"]["filter_change_s"] = filter_change(
                browser, servers["dashboard"][0].url
            )
            for name, (server, charts) in servers.items():
                results[name].update(memory(browser, server, charts, args.viewers))
        finally:
            for server, _ in servers.values():
                server.stop()
        if not args.no_cold:
            for name, nb, charts in (("trivial", TRIVIAL, 1), ("dashboard", DASHBOARD, 5)):
                results[name]["cold_s"] = cold_view(browser, nb, db, charts)
        browser.close()

    tr, da = results["trivial"], results["dashboard"]
    ratio = da["warm_median_s"] / tr["warm_median_s"]
    results["ratio_warm"] = ratio
    print(f"\nnavigation -> all charts drawn (preheated kernel, median of {args.runs}, "
          "pages interleaved):")  # fmt: skip
    for name in ("trivial", "dashboard"):
        r = results[name]
        runs = ", ".join(f"{x:.2f}" for x in r["warm_s"])
        print(f"  {name:9s}: {r['warm_median_s']:.2f} s   [{runs}]")
    print(f"  ratio dashboard / trivial: {ratio:.2f}x (target <= 1.5x) "
          f"{'OK' if ratio <= 1.5 else 'OVER TARGET'}")  # fmt: skip
    if not args.no_cold:
        cr = da["cold_s"] / tr["cold_s"]
        results["ratio_cold"] = cr
        print(f"cold (no preheated kernel): trivial {tr['cold_s']:.2f} s, "
              f"dashboard {da['cold_s']:.2f} s, ratio {cr:.2f}x")  # fmt: skip
    print(f"changing a filter (status red) until the page is redrawn: "
          f"{da['filter_change_s']:.2f} s")  # fmt: skip
    print(f"\nmemory with {args.viewers} viewers open (+ the kernels of earlier views, "
          "not yet culled, and 1 warm kernel):")  # fmt: skip
    for name in ("trivial", "dashboard"):
        r = results[name]
        print(f"  {name:9s}: {r['rss_per_kernel_mb']:.0f} MB RSS per kernel (viewer), "
              f"max {max(r['kernel_rss_mb']):.0f} MB, {r['kernels']} kernels, "
              f"server {r['server_rss_mb']:.0f} MB")  # fmt: skip
    shutil.rmtree(tmp, ignore_errors=True)
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "dashboard.json").write_text(json.dumps(results, indent=2))
    print(f"\nsummary: {out / 'dashboard.json'}")


if __name__ == "__main__":
    main()
