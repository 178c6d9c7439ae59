"""Benchmark the report batch against the plain loop, in one run on this machine.

Batch: 200 alliance reports plus the portfolio report over a generated 200-alliance
portfolio (``alliance_kit.delivery.batch.run``: portfolio scored once, warm kernels, in-process
HTML export, 2 worker processes by default).

Plain loop: for a sample of the same alliance reports, one ``papermill`` CLI run then one
``jupyter nbconvert --to html --no-input`` per report, each starting its own kernel and
interpreter (given the same precomputed inputs, so only the machinery differs).

Prints reports per second for both, their ratio and the peak memory per worker (worker
process plus its kernel). Target: ratio >= 10 on 2 cores, < 1 GiB per worker.

    .venv/bin/python bench/bench_reports.py [--alliances 200] [--workers 2] [--sample 5]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from alliance_kit.assess import health
from alliance_kit.delivery import batch
from alliance_kit.records import sample

PERIOD = "2026-Q3"
BIN = Path(sys.executable).parent


def batch_run(frames, ids, out: Path, workers: int, executor: str):
    start = time.perf_counter()
    result = batch.run(
        PERIOD,
        frames=frames,
        alliance_ids=ids,
        out=out,
        workers=workers,
        executor=executor,
        force=True,
        progress=False,
        formats="html,ipynb",
    )
    seconds = time.perf_counter() - start
    reports = result.manifest["reports"].values()
    peak = max((r.get("peak_rss_mb") or 0) for r in reports)
    return seconds, len(result.ran) - len(result.failed), peak, len(result.failed)


def plain_loop(ids: list[str], inputs: Path, out: Path) -> float:
    """papermill CLI then nbconvert CLI per report, as a shell script would do it."""
    out.mkdir(parents=True, exist_ok=True)
    nb = batch.alliance_notebook()
    start = time.perf_counter()
    for alliance_id in ids:
        executed = out / f"{alliance_id}.ipynb"
        subprocess.run(
            [
                str(BIN / "papermill"),
                str(nb),
                str(executed),
                "-p",
                "alliance",
                alliance_id,
                "-p",
                "period",
                PERIOD,
                "-p",
                "scores_path",
                str(inputs),
                "--no-progress-bar",
            ],  # fmt: skip
            check=True,
            capture_output=True,
        )
        subprocess.run(
            [str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(executed)],
            check=True,
            capture_output=True,
        )
    return time.perf_counter() - start


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--alliances", type=int, default=200)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--sample", type=int, default=5)
    ap.add_argument("--executor", default="local", choices=["local", "dask"])
    ap.add_argument("--keep", action="store_true", help="keep the output folder")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="ak_bench_reports_"))
    try:
        # A few generated alliances have ended or not started by the period: generate
        # some spare and report on the first N running ones.
        frames = sample.portfolio(n_alliances=args.alliances + 20, seed=11, last_period=PERIOD)
        running = sorted(health.score_portfolio(frames, PERIOD).alliances["alliance_id"])
        ids = running[: args.alliances]
        print(
            f"portfolio: {len(frames['alliances'])} alliances, {len(ids)} reported on, "
            f"period {PERIOD}, {args.workers} workers"
        )

        run = batch_run(frames, ids, tmp / "batch", args.workers, args.executor)
        seconds, built, peak_mb, failed = run
        batch_rate = built / seconds
        print(
            f"batch     : {built} reports ({failed} failed) in {seconds:.1f} s "
            f"= {batch_rate:.2f} reports/s (includes reading, scoring, pool start-up)"
        )

        inputs = tmp / "batch" / PERIOD / ".inputs" / "portfolio.pkl"
        ids = ids[: args.sample]
        plain_s = plain_loop(ids, inputs, tmp / "plain")
        plain_rate = len(ids) / plain_s
        print(
            f"plain loop: {len(ids)} reports in {plain_s:.1f} s = {plain_rate:.3f} reports/s "
            f"({plain_s / len(ids):.1f} s a report; papermill CLI + nbconvert CLI, 1 process)"
        )
        ratio = batch_rate / plain_rate
        print(f"ratio     : {ratio:.1f}x the plain loop (target >= 10x)")
        print(f"peak memory per worker (worker + kernel): {peak_mb:.0f} MiB (target < 1024 MiB)")
        return 0 if failed == 0 else 1
    finally:
        if args.keep:
            print(f"outputs kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
