"""Import and export of a generated portfolio, against the SQLite floor of the same files.

Usage: python bench/bench_import_export.py [--alliances 10000] [--merge-alliances 2000]
                                           [--xlsx-alliances 200]
                                           [--postgres postgresql://user:pw@host/emptydb]

Each measured step runs in its own process so that its peak memory (max RSS) is its own:
  plain read   pandas.read_csv(engine="pyarrow") of every CSV file
  SQLite floor the plain read plus SQLite's own work: the rows, already turned into
               Python values off the clock, inserted with the sqlite3 module alone
               (multi-row INSERTs, one transaction, no foreign-key checks) into the
               store's schema; no validation, no typing. No SQLite import can beat it
  import       `import --replace` into a fresh SQLite store: read + validate + compare
               with the store + write (one transaction)
  import (pg)  the same into PostgreSQL (COPY), when --postgres names an empty database
  export       read the store + write the CSV folder
Then, on a --merge-alliances portfolio already in a store, one quarter's changes (the
export with about 5% of the rows of every record type edited):
  merge        `import --merge` of that file, snapshot of the store included
  replace      `import --replace` of the same file into the same store, snapshot included
The xlsx workbook is measured on a smaller portfolio (--xlsx-alliances): openpyxl writes
and reads cells one by one, so a 10,000-alliance workbook takes far too long (and is past
Excel's comfortable size anyway); its baseline is pandas.read_excel of the same file.
Targets: the import within 1.5x of the SQLite floor; the merge within 2x of the
same-size replace. The script prints PASS or MISS against them (it never asserts:
timings depend on the machine and its load).
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
from alliance_kit.records import io
from alliance_kit.records.store import Store
t0 = time.perf_counter()
seconds = None
if step == "plain-csv":
    rows = sum(len(pd.read_csv(f, engine="pyarrow")) for f in sorted(path.glob("*.csv")))
elif step == "plain-xlsx":
    rows = sum(len(f) for f in pd.read_excel(path, sheet_name=None).values())
elif step == "sqlite-floor":
    import sqlite3
    from alliance_kit.records.model import RECORD_TYPES
    Store(db).migrate()
    t0 = time.perf_counter()
    frames = {f.stem: pd.read_csv(f, engine="pyarrow") for f in sorted(path.glob("*.csv"))}
    reading = time.perf_counter() - t0
    batches = []  # off the clock: every row already a run of Python values
    for rt in RECORD_TYPES:
        frame = frames[rt.table]
        if frame.empty:
            continue
        cols = list(frame.columns)
        for c in frame.columns:  # pyarrow parses ISO dates: back to the text stored
            if pd.api.types.is_datetime64_any_dtype(frame[c]):
                frame[c] = frame[c].dt.strftime("%Y-%m-%d %H:%M:%S")
        obj = frame.astype(object)
        obj = obj.where(frame.notna(), None)
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
    result = io.import_portfolio(store, path, mode="replace")
    assert result.ok, [str(p) for p in result.problems[:5]]
    rows = result.records
elif step in ("merge", "replace"):
    from alliance_kit.records import snapshots
    store = Store(db)  # a copy of the loaded store, made off the clock
    t0 = time.perf_counter()
    result = io.import_portfolio(
        store, path, mode=step, before_write=lambda c: snapshots.take(store, "import-" + step)
    )
    assert result.ok, [str(p) for p in result.problems[:5]]
    totals = result.changes.totals()
    rows = result.records
    print(json.dumps({"changes": totals}))
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


def run_step(step: str, path: Path, db: Path | str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", STEP, step, str(path), str(db)],
        check=True,
        capture_output=True,
        text=True,
    )
    lines = [json.loads(x) for x in out.stdout.strip().splitlines() if x.startswith("{")]
    return {k: v for d in lines for k, v in d.items()}


GENERATE = r"""
import sys
from alliance_kit.records import io, sample
frames = sample.portfolio(n_alliances=int(sys.argv[1]), seed=7, last_period="2026-Q3")
io.export_portfolio(frames, sys.argv[2], sys.argv[3])
"""


def generate(n: int, out: Path, fmt: str) -> tuple[Path, float]:
    """Write the sample portfolio (in a child process, so the parent stays small)."""
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", GENERATE, str(n), str(out), fmt], check=True)
    return out, time.perf_counter() - t0


TARGET = 1.5  # import time / SQLite floor time
MERGE_TARGET = 2.0  # merge time / same-size replace time

EDIT = r"""
import sys
from pathlib import Path
import pandas as pd
from alliance_kit.records.schemas import SPECS
src, out = Path(sys.argv[1]), Path(sys.argv[2])
out.mkdir()
for f in sorted(src.glob("*.csv")):
    frame = pd.read_csv(f, dtype=object, keep_default_na=False, na_filter=False)
    spec = SPECS[f.stem]
    free = [c for c in spec.columns.values() if c.name not in spec.primary_key
            and not c.ref and not c.choices and not c.pattern
            and c.min is None and c.max is None]
    text = [c.name for c in free if c.kind == "text" and (c.length or 999) >= 40]
    num = [c.name for c in free if c.kind == "float"]
    flags = [c.name for c in free if c.kind == "bool"]
    rows = frame.index[::20]  # every 20th row: 5% of each record type
    if text:
        frame.loc[rows, text[0]] = frame.loc[rows, text[0]] + " (edited)"
    elif num:
        col = frame.loc[rows, num[0]]
        frame.loc[rows, num[0]] = [str(float(v) + 1) if v else "1" for v in col]
    elif flags:
        flipped = {"yes": "no", "no": "yes", "": "yes"}
        frame.loc[rows, flags[0]] = frame.loc[rows, flags[0]].map(flipped)
    frame.to_csv(out / f.name, index=False, lineterminator="\n")
"""


def quarter_of_changes(loaded: Path, out: Path) -> None:
    """The export of a loaded portfolio with about 5% of every record type's rows edited."""
    subprocess.run([sys.executable, "-c", EDIT, str(loaded), str(out)], check=True)


def line(name: str, r: dict, base: dict | None, target: float | None = None) -> str:
    ratio = r["seconds"] / base["seconds"] if base else 1.0
    verdict = ""
    if target is not None:
        verdict = f"  {'PASS' if ratio <= target else 'MISS'} (target {target:g}x)"
    return (
        f"  {name:<22} {r['seconds']:8.2f} s  {r['peak_mb']:8.0f} MB peak  {ratio:6.2f}x "
        f"({r['rows']:,} rows){verdict}"
    )


def bench_merge(n: int, work: Path) -> float:
    """One quarter's changes merged into, and replacing, an n-alliance SQLite store."""
    import shutil

    path, gen = generate(n, work / "merge-base", "csv")
    print(f"merge: {n:,} alliances generated and written in {gen:.1f} s")
    base = work / "merge-base.sqlite"
    run_step("import", path, base)
    edited = work / "quarter"
    quarter_of_changes(path, edited)
    results = {}
    for step in ("replace", "merge"):
        db = work / step / "store.sqlite"
        db.parent.mkdir()
        shutil.copy(base, db)
        results[step] = run_step(step, edited, db)
    rep, mer = results["replace"], results["merge"]
    print(line("import --replace", rep, None))
    print(line("import --merge", mer, rep, MERGE_TARGET))
    c = mer["changes"]
    print(
        f"  the merge changed {c['changed']:,} of {c['changed'] + c['unchanged']:,} records "
        f"({c['changed'] / max(c['changed'] + c['unchanged'], 1):.1%}); both runs include "
        "the snapshot taken before the write"
    )
    return mer["seconds"] / rep["seconds"]


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
    floor = raw or base
    if raw:
        print(line("SQLite floor", raw, base))
    print(line("import --replace", imp, floor, TARGET if raw else None))
    if pg:
        print(line("import (PostgreSQL)", pg, floor))
    print(line("export", exp, floor))
    if raw:
        print(
            f"  reading and SQLite alone take {raw['seconds'] / base['seconds']:.2f}x the plain "
            f"read; the import takes {imp['seconds'] / raw['seconds']:.2f}x that floor "
            "(ratios above: against the floor)"
        )
    return imp["seconds"] / floor["seconds"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--alliances", type=int, default=10_000)
    ap.add_argument("--merge-alliances", type=int, default=2_000)
    ap.add_argument("--xlsx-alliances", type=int, default=200)
    ap.add_argument("--postgres", help="URL of an empty PostgreSQL database to import into too")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        ratio = bench("csv", args.alliances, work, args.postgres)
        merge = bench_merge(args.merge_alliances, work) if args.merge_alliances else None
        if args.xlsx_alliances:
            bench("xlsx", args.xlsx_alliances, work)
    verdict = "PASS" if ratio <= TARGET else "MISS"
    print(f"CSV import --replace / SQLite floor = {ratio:.2f}x: {verdict} (target {TARGET:g}x)")
    if merge is not None:
        verdict = "PASS" if merge <= MERGE_TARGET else "MISS"
        print(
            f"import --merge / same-size --replace = {merge:.2f}x: {verdict} "
            f"(target {MERGE_TARGET:g}x)"
        )


if __name__ == "__main__":
    main()
