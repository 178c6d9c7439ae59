"""Scoring a large portfolio: 10,000 alliances and 1,000,000 answers.

Builds synthetic typed frames (every table the evidence reads, at realistic sizes), then
times ``health.score_portfolio`` (this period and the previous one: cracks, evidence,
alerts, risk) against the floor: a plain pandas groupby-mean over the same answers.
Floor and score run back to back in each round, so both see the same machine load; the
verdict uses the median over rounds of score / floor, and the median score time.
Peak memory is what tracemalloc sees allocated during one call (numpy included).
Targets: within 15x of the floor (issue 3 set 10x; issue 17 moved it to 15x for code
without private pandas joins or bit masks) and under 2 s. Prints PASS or MISS; never fails.

    .venv/bin/python bench/bench_health.py [--alliances 10000] [--answers 1000000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import time
import tracemalloc

import numpy as np
import pandas as pd

from alliance_kit.assess import health, indicators, survey_scores
from alliance_kit.records.model import ORG_LEVELS, TABLES
from alliance_kit.records.store import typed_frame

P = "2026-Q3"


def _ids(prefix: str, n: int) -> np.ndarray:
    return np.char.add(prefix, np.char.zfill(np.arange(1, n + 1).astype(str), 7)).astype(object)


def _dates(rng, n: int, start: str, days: int) -> np.ndarray:
    return pd.Timestamp(start) + pd.to_timedelta(rng.integers(0, days, n), unit="D")


def _maybe(rng, values, p_missing: float):
    values = pd.Series(values)
    return values.where(rng.random(len(values)) >= p_missing)


def portfolio(n_alliances: int, n_answers: int, seed: int = 1) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    n = n_alliances
    aid = _ids("A", n)
    levels = np.array(ORG_LEVELS, dtype=object)
    f: dict[str, pd.DataFrame] = {}

    def put(name: str, data: dict) -> None:
        f[name] = typed_frame(TABLES[name], pd.DataFrame(data))

    put("alliances", {
        "id": aid, "name": aid, "partner": "P", "type": "co-sell", "stage": "5 working together",
        "start_date": _dates(rng, n, "2022-01-01", 1200), "owner": "o",
        "our_sponsor_level": rng.choice(levels, n), "partner_sponsor_level": rng.choice(levels, n),
        "expected_revenue": rng.uniform(1e5, 5e7, n), "currency": rng.choice(["USD", "EUR"], n),
        "importance": rng.integers(1, 6, n),
    })  # fmt: skip
    people = 4 * n
    pid = _ids("PE", people)
    put("people", {"id": pid, "alliance_id": np.repeat(aid, 4), "name": "x",
                   "side": np.tile(["us", "us", "partner", "partner"], n),
                   "org_level": rng.choice(levels, people)})  # fmt: skip
    put("strategies", {
        "alliance_id": aid, "vision": "v",
        "documented_on": _maybe(rng, _dates(rng, n, "2025-01-01", 600), 0.2),
        "approved_us_on": _maybe(rng, _dates(rng, n, "2025-01-01", 600), 0.3),
        "approved_partner_on": _maybe(rng, _dates(rng, n, "2025-01-01", 600), 0.4),
    })  # fmt: skip
    nb = 2 * n
    put("briefings", {"id": _ids("BR", nb), "alliance_id": np.repeat(aid, 2), "topic": "strategy",
                      "side": np.tile(["us", "partner"], n), "audience": "team",
                      "briefed_on": _dates(rng, nb, "2025-06-01", 480),
                      "acknowledged": rng.random(nb) < 0.7})  # fmt: skip
    nk = 4 * n
    kid = _ids("K", nk)
    put("kpis", {"id": kid, "alliance_id": np.repeat(aid, 4), "name": "k", "direction": "increase",
                 "owner": _maybe(rng, np.full(nk, "o"), 0.2),
                 "baseline": _maybe(rng, rng.random(nk), 0.2),
                 "target": _maybe(rng, rng.random(nk), 0.1),
                 "due_date": _maybe(rng, _dates(rng, nk, "2026-06-01", 400), 0.2),
                 "cadence": _maybe(rng, rng.choice(["quarterly", "monthly", "annual"], nk), 0.1),
                 "data_source": _maybe(rng, np.full(nk, "CRM"), 0.3),
                 "agreed_by_both": rng.random(nk) < 0.6})  # fmt: skip
    quarters = ["2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3"]
    act = pd.DataFrame({"kpi_id": np.repeat(kid, 4), "period": np.tile(quarters, nk)})
    act = act[rng.random(len(act)) < 0.8]
    put("kpi_actuals", {"kpi_id": act["kpi_id"], "period": act["period"], "value": 1.0,
                        "reported_on": pd.PeriodIndex(act["period"], freq="Q").end_time.normalize()
                        + pd.to_timedelta(rng.integers(0, 60, len(act)), unit="D")})  # fmt: skip
    bid = _ids("B", nb)
    put("governance_bodies", {
        "id": bid, "alliance_id": np.repeat(aid, 2), "name": "b",
        "kind": np.tile(["executive steering committee", "joint operating committee"], n),
        "meetings_per_year": np.tile([4, 12], n),
    })  # fmt: skip
    nm = 8 * nb
    mid = _ids("M", nm)
    planned = _dates(rng, nm, "2025-10-01", 365)
    status = rng.choice(["held", "held", "held", "cancelled", "planned"], nm)
    put("meetings", {"id": mid, "body_id": np.repeat(bid, 8), "planned_on": planned,
                     "held_on": pd.Series(planned).where(status == "held"),
                     "status": status})  # fmt: skip
    body_alliance = np.repeat(np.arange(n), 2)[np.repeat(np.arange(nb), 8)]
    na = 2 * nm
    person = 4 * np.repeat(body_alliance, 2) + rng.integers(0, 4, na)
    att = pd.DataFrame({"meeting_id": np.repeat(mid, 2), "person_id": pid[person]})
    att = att.drop_duplicates()
    put("attendance", {"meeting_id": att["meeting_id"], "person_id": att["person_id"],
                       "attended": rng.random(len(att)) < 0.8})  # fmt: skip
    nd = 3 * n
    raised = _dates(rng, nd, "2025-09-01", 390)
    put("decisions", {"id": _ids("D", nd), "alliance_id": np.repeat(aid, 3), "title": "d",
                      "raised_on": raised,
                      "decided_on": _maybe(rng, raised + pd.to_timedelta(
                          rng.integers(1, 120, nd), unit="D"), 0.2)})  # fmt: skip
    nx = 5 * n
    due = _dates(rng, nx, "2025-09-01", 420)
    done = rng.random(nx) < 0.6
    put("actions", {"id": _ids("X", nx), "alliance_id": np.repeat(aid, 5),
                    "kind": "meeting action", "title": "t", "owner": "o", "owner_side": "us",
                    "opened_on": due - pd.Timedelta(days=30), "due_on": due,
                    "status": np.where(done, "done", "open"),
                    "closed_on": pd.Series(due).where(done)})  # fmt: skip
    nr = 4 * n
    put("resources", {"id": _ids("R", nr), "alliance_id": np.repeat(aid, 4),
                      "side": np.tile(["us", "us", "partner", "partner"], n),
                      "period": np.tile(["2026-Q2", "2026-Q3"], 2 * n),
                      "fte_committed": 2.0, "fte_assigned": rng.uniform(0, 2.5, nr),
                      "budget_committed": 100.0,
                      "budget_assigned": rng.uniform(0, 120, nr)})  # fmt: skip
    ni = 3 * n
    iraised = _dates(rng, ni, "2025-06-01", 480)
    put("issues", {"id": _ids("I", ni), "alliance_id": np.repeat(aid, 3), "title": "i",
                   "owner": "o", "side": "us", "severity": rng.choice(["low", "high"], ni),
                   "raised_on": iraised,
                   "escalated_on": _maybe(rng, iraised + pd.Timedelta(days=20), 0.7),
                   "resolved_on": _maybe(rng, iraised + pd.Timedelta(days=60), 0.4)})  # fmt: skip
    rid = _ids("RD", n)
    put("assessment_rounds", {"id": rid, "alliance_id": aid, "period": P,
                              "questionnaire_version": "2026.1",
                              "opened_on": pd.Timestamp("2026-09-01")})  # fmt: skip
    n_resp = -(-n_answers // 24)
    of_round = np.concatenate([np.repeat(np.arange(n), 2), rng.integers(0, n, n_resp - 2 * n)])
    resp = _ids("RS", n_resp)
    put("respondents", {"id": resp, "round_id": rid[of_round],
                        "side": np.where(np.arange(n_resp) % 2, "partner", "us")})  # fmt: skip
    statements = np.array([f"C{c}.{k}" for c in range(1, 7) for k in range(1, 5)], dtype=object)
    score = pd.array(rng.integers(1, 6, n_resp * 24), dtype="Int64")
    score[rng.random(len(score)) < 0.1] = pd.NA
    answers = pd.DataFrame({
        "respondent_id": np.repeat(resp, 24), "statement_id": np.tile(statements, n_resp),
        "score": score,
    }).iloc[:n_answers]  # fmt: skip
    put("answers", answers)
    return f


TARGET_RATIO = 15.0
TARGET_SECONDS = 2.0


def once(fn) -> tuple[float, float]:
    """Wall and CPU seconds of one call, after a full garbage collection."""
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def peak_mb(fn) -> float:
    gc.collect()
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--alliances", type=int, default=10_000)
    ap.add_argument("--answers", type=int, default=1_000_000)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    t = time.perf_counter()
    frames = portfolio(args.alliances, args.answers)
    rows = sum(len(v) for v in frames.values())
    print(f"generated {args.alliances:,} alliances, {len(frames['answers']):,} answers, "
          f"{rows:,} rows in all, in {time.perf_counter() - t:.1f} s")  # fmt: skip
    answers = frames["answers"]

    def floor():
        return answers.groupby("respondent_id")["score"].mean()

    def score():
        return health.score_portfolio(frames, P)

    score()  # warm-up: imports, questionnaire, scipy
    floor()
    rounds = [(once(floor), once(score)) for _ in range(args.rounds)]
    f_wall = [f[0] for f, _ in rounds]
    s_wall = [s[0] for _, s in rounds]
    ratios = [s[0] / f[0] for f, s in rounds]
    cpu_ratios = [s[1] / f[1] for f, s in rounds if f[1] > 0]
    survey = min(once(lambda: survey_scores.survey_by_side(frames, P))[0] for _ in range(3))
    evidence = min(once(lambda: indicators.evidence(frames, P))[0] for _ in range(3))
    f_peak, s_peak = peak_mb(floor), peak_mb(score)
    med = statistics.median
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"machine: {os.cpu_count()} cores, load average {load}; {args.rounds} rounds")
    print(f"floor  groupby-mean over the answers   best {min(f_wall):.3f} s  "
          f"median {med(f_wall):.3f} s  peak {f_peak:,.0f} MB")  # fmt: skip
    print(f"score  score_portfolio (this period and the previous)\n"
          f"                                       best {min(s_wall):.3f} s  "
          f"median {med(s_wall):.3f} s  peak {s_peak:,.0f} MB")  # fmt: skip
    print(f"  of which alone: survey aggregation {survey:.3f} s, "
          f"evidence for one period {evidence:.3f} s")  # fmt: skip
    ratio = med(ratios)
    print(
        f"ratio  score / floor per round: median {ratio:.1f}x "
        f"(range {min(ratios):.1f}-{max(ratios):.1f}x; CPU time {med(cpu_ratios):.1f}x)"
    )
    print(f"{verdict(ratio <= TARGET_RATIO)}  within {TARGET_RATIO:.0f}x of the floor "
          f"(median {ratio:.1f}x)")  # fmt: skip
    print(f"{verdict(med(s_wall) < TARGET_SECONDS)}  under {TARGET_SECONDS:.0f} s "
          f"(median {med(s_wall):.3f} s)")  # fmt: skip
    scores = health.score_portfolio(frames, P)
    a, n_alerts = scores.alliances, len(scores.alerts)
    print(f"scored {a['health_index'].notna().sum():,} alliances; status counts "
          f"{a['status'].value_counts().to_dict()}; {n_alerts:,} alerts")  # fmt: skip


if __name__ == "__main__":
    main()
