"""What row-level security costs a reader: the whole store read (what a report or the
dashboard reads) as each kind of person, against the tables' owner, whom PostgreSQL does
not hold to the policies, in the same run on the same database.

Usage: python bench/bench_access.py [--alliances 1000] [--owned 10] [--repeat 3]
                                    [--server postgresql://user:pw@host/anydb]

The server URL (default $ALLIANCE_KIT_TEST_PG) must name a role with CREATEDB and
CREATEROLE: a throwaway database and its roles are made and dropped again. Prints the best
of --repeat reads per person, and each as a ratio of the owner's. Target: an analyst or an
executive (who read everything) within 1.5x of the owner; an owner of --owned alliances
reads only those, so faster. Prints PASS or MISS; never asserts (timings depend on the
machine and its load).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from alliance_kit.records import access, sample
from alliance_kit.records.store import Store

TARGET = 1.5


def best_read(store: Store, repeat: int) -> tuple[float, int]:
    best, rows = float("inf"), 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        frames = store.read_all()
        best = min(best, time.perf_counter() - t0)
        rows = sum(len(f) for f in frames.values())
    return best, rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--alliances", type=int, default=1000)
    ap.add_argument("--owned", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--server", default=os.environ.get("ALLIANCE_KIT_TEST_PG"))
    args = ap.parse_args()
    if not args.server:
        print("bench_access: skipped (no --server and no $ALLIANCE_KIT_TEST_PG)")
        return 0
    server = make_url(args.server.replace("postgresql://", "postgresql+psycopg://", 1))
    name = f"ak_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = server.set(database=name).render_as_string(hide_password=False)
    owner = Store(url)
    stores: list[Store] = [owner]
    try:
        owner.migrate()
        t0 = time.perf_counter()
        sample.load(owner, n_alliances=args.alliances)
        print(f"{args.alliances} alliances loaded in {time.perf_counter() - t0:.1f} s")
        ids = sorted(owner.read("alliances")["id"])[: args.owned]
        people = {
            "analyst": access.grant(owner, "Analyst", "analyst"),
            "executive": access.grant(owner, "Executive", "executive"),
            f"owner of {len(ids)}": access.grant(owner, "Owner", "owner", ids),
        }
        base, rows = best_read(owner, args.repeat)
        print(f"{'reader':<16}{'seconds':>9}{'rows':>10}{'ratio':>8}")
        print(f"{'tables owner':<16}{base:>9.3f}{rows:>10,}{1.0:>8.2f}  (baseline)")
        verdict = True
        for label, granted in people.items():
            store = Store(
                make_url(url)
                .set(username=granted.person.login, password=granted.password)
                .render_as_string(hide_password=False)
            )
            stores.append(store)
            seconds, n = best_read(store, args.repeat)
            ratio = seconds / base
            reads_all = granted.person.kind in access.READ_ALL
            ok = ratio <= TARGET if reads_all else seconds <= base
            verdict &= ok
            note = f"target {TARGET}x" if reads_all else "target: faster than the owner"
            print(f"{label:<16}{seconds:>9.3f}{n:>10,}{ratio:>8.2f}  {note}: "
                  f"{'PASS' if ok else 'MISS'}")  # fmt: skip
        print("bench_access:", "PASS" if verdict else "MISS")
    finally:
        for store in stores:
            store.engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            for role in (
                conn.execute(
                    text("SELECT rolname FROM pg_roles WHERE starts_with(rolname, :p)"),
                    {"p": name + "_"},
                )
                .scalars()
                .all()
            ):
                conn.execute(text(f'DROP ROLE "{role}"'))
        admin.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
