"""Import and export of a generated portfolio, against a plain pandas read of the same files.

Usage: python bench/bench_import_export.py [--alliances 10000] [--xlsx-alliances 200]
                                           [--postgres postgresql://user:pw@host/emptydb]

Each measured step runs in its own process so that its peak memory (max RSS) is its own:
  plain read   pandas.read_csv of every CSV file (the baseline)
  SQLite floor the plain read plus SQLite's own work: the rows, already turned into
               Python values off the clock, inserted with the sqlite3 module alone
               (multi-row INSERTs, one transaction, no foreign-key checks) into the
               store's schema; no validation, no typing. No SQLite import can beat it
  import       read + validate + write into a fresh SQLite store (one transaction)
  import (pg)  the same into PostgreSQL (COPY), when --postgres names an empty database
  export       read the store + write the CSV folder
The xlsx workbook is measured on a smaller portfolio (--xlsx-alliances): openpyxl writes
and reads cells one by one, so a 10,000-alliance workbook takes far too long (and is past
Excel's comfortable size anyway); its baseline is pandas.read_excel of the same file.
Target: import within 3x of the plain read. The script prints PASS or MISS against it
(it never asserts: timings depend on the machine and its load).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STEP = r"""
import json, resource, sys, time
from pathlib import Path
step, path, db = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
import pandas as pd
from alliance_kit import io
from alliance_kit.store import Store
t0 = time.perf_counter()
seconds = None
if step == "plain-csv":
    rows = sum(len(pd.read_csv(f)) for f in sorted(path.glob("*.csv")))
elif step == "plain-xlsx":
    rows = sum(len(f) for f in pd.read_excel(path, sheet_name=None).values())
elif step == "sqlite-floor":
    import sqlite3
    from alliance_kit.model import RECORD_TYPES
    Store(db).migrate()
    t0 = time.perf_counter()
    frames = {f.stem: pd.read_csv(f) for f in sorted(path.glob("*.csv"))}
    reading = time.perf_counter() - t0
    batches = []  # off the clock: every row already a run of Python values
    for rt in RECORD_TYPES:
        frame = frames[rt.table]
        if frame.empty:
            continue
        cols = list(frame.columns)
        obj = frame.astype(object).where(frame.notna(), None)
        flat = [v for row in obj.itertuples(index=False) for v in row]
        per = 999 // len(cols)
        step_ = per * len(cols)
        chunks = [tuple(flat[i : i + step_]) for i in range(0, len(flat), step_)]
        names = ", ".join(f'"{c}"' for c in cols)
        one = "(" + ", ".join("?" * len(cols)) + ")"
        for size, group in ((per, chunks[:-1]), (len(chunks[-1]) // len(cols), chunks[-1:])):
            if group:
                sql = f'INSERT INTO "{rt.table}" ({names}) VALUES ' + ", ".join([one] * size)
                batches.append((sql, group))
    con = sqlite3.connect(db, isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=OFF"):
        con.execute(f"PRAGMA {pragma}")
    t1 = time.perf_counter()
    con.execute("BEGIN IMMEDIATE")
    for sql, group in batches:
        con.executemany(sql, group)
    con.execute("COMMIT")
    seconds = reading + time.perf_counter() - t1
    rows = sum(len(f) for f in frames.values())
elif step == "import":
    store = Store(db)
    store.migrate()
    t0 = time.perf_counter()  # schema creation is not part of the import
    result = io.import_portfolio(store, path)
    assert result.ok, [str(p) for p in result.problems[:5]]
    rows = result.records
elif step == "export":
    fmt = "xlsx" if path.suffix == ".xlsx" else "csv"
    rows = sum(len(f) for f in io.export_frames(Store(db)).values())
    t0 = time.perf_counter()
    io.export_portfolio(Store(db), path, fmt)
if seconds is None:
    seconds = time.perf_counter() - t0
# VmHWM: this process's own peak RSS (ru_maxrss would include the parent's before exec)
hwm = [x for x in open("/proc/self/status") if x.startswith("VmHWM")]
usage = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
peak = (int(hwm[0].split()[1]) if hwm else usage) / 1024
print(json.dumps({"seconds": seconds, "peak_mb": peak, "rows": rows}))
"""


def run_step(step: str, path: Path, db: Path) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", STEP, step, str(path), str(db)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


GENERATE = r"""
import sys
from alliance_kit import io, sample
frames = sample.portfolio(n_alliances=int(sys.argv[1]), seed=7, last_period="2026-Q3")
io.export_portfolio(frames, sys.argv[2], sys.argv[3])
"""


def generate(n: int, out: Path, fmt: str) -> tuple[Path, float]:
    """Write the sample portfolio (in a child process, so the parent stays small)."""
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", GENERATE, str(n), str(out), fmt], check=True)
    return out, time.perf_counter() - t0


TARGET = 3.0  # import time / plain read time


def line(name: str, r: dict, base: dict | None, target: float | None = None) -> str:
    ratio = r["seconds"] / base["seconds"] if base else 1.0
    verdict = ""
    if target is not None:
        verdict = f"  {'PASS' if ratio <= target else 'MISS'} (target {target:g}x)"
    return (
        f"  {name:<22} {r['seconds']:8.2f} s  {r['peak_mb']:8.0f} MB peak  {ratio:6.2f}x "
        f"({r['rows']:,} rows){verdict}"
    )


def bench(fmt: str, n: int, work: Path, postgres: str | None = None) -> float:
    name = "portfolio.xlsx" if fmt == "xlsx" else "portfolio"
    path, gen = generate(n, work / name, fmt)
    print(f"{fmt}: {n:,} alliances generated and written in {gen:.1f} s")
    base = run_step(f"plain-{fmt}", path, work / "unused.sqlite")
    raw = run_step("sqlite-floor", path, work / "floor.sqlite") if fmt == "csv" else None
    imp = run_step("import", path, work / f"{fmt}.sqlite")
    pg = run_step("import", path, postgres) if postgres and fmt == "csv" else None
    exp = run_step(
        "export", work / ("again.xlsx" if fmt == "xlsx" else "again"), work / f"{fmt}.sqlite"
    )
    print(line("plain pandas read", base, None))
    if raw:
        print(line("SQLite floor", raw, base))
    print(line("validate + import", imp, base, TARGET))
    if pg:
        print(line("import (PostgreSQL)", pg, base))
    print(line("export", exp, base))
    if raw:
        print(
            f"  reading and SQLite alone take {raw['seconds'] / base['seconds']:.2f}x the plain "
            f"read; the import takes {imp['seconds'] / raw['seconds']:.2f}x that floor"
        )
    return imp["seconds"] / base["seconds"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--alliances", type=int, default=10_000)
    ap.add_argument("--xlsx-alliances", type=int, default=200)
    ap.add_argument("--postgres", help="URL of an empty PostgreSQL database to import into too")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        ratio = bench("csv", args.alliances, work, args.postgres)
        if args.xlsx_alliances:
            bench("xlsx", args.xlsx_alliances, work)
    verdict = "PASS" if ratio <= TARGET else "MISS"
    print(f"CSV import / plain read = {ratio:.2f}x: {verdict} (target {TARGET:g}x)")


if __name__ == "__main__":
    main()
