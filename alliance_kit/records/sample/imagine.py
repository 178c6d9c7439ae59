"""Sample Imagine records drawn from the plan: strategies, objectives, KPIs and actuals,
business cases."""

from __future__ import annotations

import numpy as np
import pandas as pd

from alliance_kit.records.sample.plan import (
    NAT,
    _choice,
    _days,
    _frame,
    _ids,
    _maybe,
    _obj,
    _People,
    _person_pick,
    _pick_child,
    _Plan,
    _q,
    _ragged,
)

_MARKETS = (
    "mid-market manufacturing",
    "EU public sector",
    "North American healthcare",
    "APAC retail",
    "financial services",
    "SMB channel",
    "energy & utilities",
)
_OBJECTIVES = (
    ("Grow joint pipeline", "Build a qualified joint pipeline across target accounts."),
    ("Launch the joint offering", "Take the integrated offering to general availability."),
    ("Win lighthouse customers", "Sign reference customers in each target market."),
    ("Improve customer retention", "Reduce churn in the shared customer base."),
    ("Enable partner sales teams", "Certify partner sellers and engineers."),
    ("Reduce cost to serve", "Lower delivery and support costs through joint operations."),
    ("Expand into a new region", "Open the next region with the partner's channel."),
)
# name, unit ("$" = the alliance currency), direction, baseline low/high, change low/high
_KPIS = (
    ("Joint pipeline", "$", "increase", 0.05, 0.2, 0.3, 0.8),
    ("Win rate", "%", "increase", 18, 32, 0.15, 0.4),
    ("Co-sold deals", "count", "increase", 5, 30, 0.3, 1.0),
    ("Average time to close", "days", "decrease", 90, 180, 0.15, 0.35),
    ("Customer churn", "%", "decrease", 6, 14, 0.2, 0.4),
    ("Certified engineers", "count", "increase", 4, 25, 0.5, 1.5),
    ("Support escalations", "count", "decrease", 20, 60, 0.2, 0.5),
    ("Partner-sourced revenue", "$", "increase", 0.02, 0.1, 0.3, 0.9),
    ("Net promoter score", "points", "increase", 10, 40, 0.2, 0.6),
    ("Integration defects open", "count", "decrease", 15, 50, 0.3, 0.6),
    ("Marketing qualified leads", "count", "increase", 50, 400, 0.3, 0.8),
)
_DATA_SOURCES = (
    "CRM opportunity report",
    "Partner portal",
    "Finance ledger",
    "Joint dashboard",
    "Support system",
    "Marketing automation",
    "Survey tool",
)


# --- Imagine: strategy, objectives, KPIs, business case ---------------------------------


def _strategies(plan: _Plan) -> pd.DataFrame:
    rng, n = plan.rng, plan.n
    q = _q(plan.final(2))
    r = rng.random((n, 8))
    market = _choice(rng, _MARKETS, n)
    documented = _maybe(r[:, 0] < q + 0.4, _days(plan.pstart[0], rng.integers(0, 45, n)))
    documented = np.minimum(documented, plan.last_day)
    has_doc = ~np.isnat(documented)
    ok_us = has_doc & (r[:, 1] < q + 0.3)
    ok_partner = has_doc & (r[:, 2] < q)
    return _frame(
        "strategies",
        {
            "alliance_id": plan.ids,
            "vision": _maybe(
                r[:, 3] < q + 0.3,
                _obj(
                    f"With {p}, become the partner of choice in {mk}."
                    for p, mk in zip(plan.partner, market, strict=True)
                ),
            ),
            "scope_in": _maybe(
                r[:, 4] < q + 0.2,
                _obj(f"Joint offering for {mk}; named accounts." for mk in market),
            ),
            "scope_out": _maybe(r[:, 5] < q, _obj(["Custom development & consumer segments."] * n)),
            "value_us": _obj(f"New revenue in {mk} and a stronger offering." for mk in market),
            "value_partner": _maybe(
                r[:, 6] < q + 0.2, _obj(["Access to our installed base and product roadmap."] * n)
            ),
            "target_markets": _maybe(r[:, 7] < q + 0.3, market),
            "documented_on": documented,
            "approved_us_on": _maybe(
                ok_us, np.minimum(_days(documented, rng.integers(3, 30, n)), plan.last_day)
            ),
            "approved_partner_on": _maybe(
                ok_partner, np.minimum(_days(documented, rng.integers(5, 60, n)), plan.last_day)
            ),
        },
    )


def _objectives(plan: _Plan) -> tuple[np.ndarray, pd.DataFrame]:
    rng = plan.rng
    owner, local = _ragged(plan.rng.integers(2, 5, plan.n))
    pick = (rng.integers(0, len(_OBJECTIVES), plan.n)[owner] + local) % len(_OBJECTIVES)
    ids = _ids(plan.ids[owner], "O", local + 1)
    frame = _frame(
        "objectives",
        {
            "id": ids,
            "alliance_id": plan.ids[owner],
            "title": _obj(o[0] for o in _OBJECTIVES)[pick],
            "description": _obj(o[1] for o in _OBJECTIVES)[pick],
        },
    )
    return owner, frame


def _kpis(plan: _Plan, people: _People, obj_owner: np.ndarray, objectives: pd.DataFrame):
    rng, n = plan.rng, plan.n
    owner, local = _ragged(rng.integers(3, 7, n))
    size = owner.size
    cat = (rng.integers(0, len(_KPIS), n)[owner] + local) % len(_KPIS)
    unit = _obj(k[1] for k in _KPIS)[cat]
    money = unit == "$"
    unit = np.where(money, plan.currency[owner], unit)
    increase = np.array([k[2] == "increase" for k in _KPIS])[cat]
    b_lo, b_hi, c_lo, c_hi = (
        np.array([k[j] for k in _KPIS], dtype=float)[cat] for j in (3, 4, 5, 6)
    )
    base = rng.uniform(b_lo, b_hi)
    base = np.where(money, base * plan.revenue[owner], base)
    change = rng.uniform(c_lo, c_hi)
    target = np.where(increase, base * (1 + change), base * (1 - change))
    pct = unit == "%"
    target = np.where(pct & increase, np.minimum(target, 99.0), target)
    whole = (unit == "count") | (unit == "days")  # counts and days are whole numbers
    decimals = np.where(money, -3, np.where(whole, 0, 1))
    base = np.array([round(v, d) for v, d in zip(base, decimals, strict=True)])
    target = np.array([round(v, d) for v, d in zip(target, decimals, strict=True)])

    q = _q(plan.final(4))[owner]
    r = rng.random((size, 9))
    person = _person_pick(plan, people, owner)
    objective = _pick_child(rng, obj_owner, owner, n)
    due = _days(plan.as_of, rng.integers(90, 540, size))
    frame = _frame(
        "kpis",
        {
            "id": _ids(plan.ids[owner], "K", local + 1),
            "alliance_id": plan.ids[owner],
            "objective_id": _maybe(
                (r[:, 0] < q + 0.3) & (objective >= 0),
                objectives["id"].to_numpy(dtype=object)[objective],
            ),
            "name": _obj(k[0] for k in _KPIS)[cat],
            "owner": _maybe(r[:, 1] < q, people.name[person]),
            "owner_side": _maybe(r[:, 1] < q, _obj(("us", "partner"))[people.side[person]]),
            "unit": _maybe(r[:, 2] < q + 0.4, unit),
            "direction": np.where(increase, "increase", "decrease").astype(object),
            "baseline": _maybe(r[:, 3] < q, base),
            "target": _maybe(r[:, 4] < q + 0.2, target),
            "due_date": _maybe(r[:, 5] < q, due),
            "cadence": _maybe(
                r[:, 6] < q + 0.3, _choice(rng, ("quarterly", "monthly"), size, p=[0.75, 0.25])
            ),
            "data_source": _maybe(r[:, 7] < q, _choice(rng, _DATA_SOURCES, size)),
            "agreed_by_both": r[:, 8] < q,
        },
    )
    return owner, base, target, pct, whole, frame


def _kpi_actuals(plan, kpi_owner, kpi_ids, base, target, pct, whole) -> pd.DataFrame:
    rng, T = plan.rng, plan.T
    k_rows, t = _ragged(plan.end_t[kpi_owner] + 1)
    a = kpi_owner[k_rows]
    h = plan.health[a, 3, t]
    q = _q(h)
    perf = 2 * h - 0.6
    progress = (t + 1) / (T + 1) * perf
    span = target[k_rows] - base[k_rows]
    value = base[k_rows] + span * progress + np.abs(span) * rng.normal(0, 0.05, t.size)
    value = np.maximum(value, 0)
    value = np.where(pct[k_rows], np.minimum(value, 100), value)
    value = np.where(whole[k_rows], np.round(value), np.round(value, 2))
    keep = rng.random(t.size) < 0.5 + 0.5 * q
    on_time = rng.random(t.size) < q
    end = plan.pend[t]
    early = _days(end, -rng.integers(0, 12, t.size))
    late = np.minimum(_days(end, rng.integers(20, 80, t.size)), plan.last_day[a])
    reported = np.where(on_time, early, np.where(t < T - 1, late, NAT))
    reported = np.minimum(reported, plan.last_day[a])
    return _frame(
        "kpi_actuals",
        {
            "kpi_id": kpi_ids[k_rows][keep],
            "period": _obj(plan.periods)[t][keep],
            "value": value[keep],
            "reported_on": reported[keep],
        },
    )


def _business_cases(plan: _Plan) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng, n = plan.rng, plan.n
    first_year = int(str(plan.pstart[0])[:4])
    q = _q((plan.final(2) + plan.final(4)) / 2)
    approved = rng.random(n) < q + 0.3
    cases = _frame(
        "business_cases",
        {
            "alliance_id": plan.ids,
            "discount_rate": np.round(rng.uniform(0.08, 0.12, n), 3),
            "horizon_years": np.full(n, 5),
            "first_year": np.full(n, first_year),
            "assumptions": _obj(
                ["Ramp to full run-rate in year 3; prices flat; FX at plan rate."] * n
            ),
            "approved_on": _maybe(approved, _days(plan.pstart[0], rng.integers(0, 60, n))),
        },
    )
    # Grid: alliance x side x year x item (investment, team cost, marketing cost, revenue).
    items = ("Joint solution development", "Alliance team", "Joint marketing", "Alliance revenue")
    cats = ("investment", "cost", "cost", "revenue")
    a, side, year, item = (g.ravel() for g in np.indices((n, 2, 5, 4)))
    R = plan.revenue[a] * np.where(side == 0, 1.0, rng.uniform(0.5, 1.2, n)[a])
    # No revenue in year 0: the case opens with a net outflow, so IRR and payback are defined.
    ramp = np.array([0.0, 0.45, 0.85, 1.05, 1.15])[year]
    inv = np.where(year == 0, rng.uniform(0.25, 0.5, n)[a], 0.03)
    share = np.select(
        [item == 0, item == 1, item == 2],
        [inv, rng.uniform(0.05, 0.1, n)[a], rng.uniform(0.02, 0.05, n)[a]],
        ramp,
    )
    plan_amount = np.round(R * share, -3)
    last_year = np.array([int(str(d)[:4]) for d in plan.last_day])
    past = first_year + year < last_year[a]
    mean_h = plan.health.mean(axis=(1, 2))
    factor = np.where(item == 3, 0.55 + 0.5 * mean_h[a], 0.95) + rng.normal(0, 0.05, a.size)
    actual_amount = np.round(plan_amount * np.maximum(factor, 0.1), -3)
    both = np.concatenate([np.arange(a.size), np.flatnonzero(past)])
    kind = np.r_[np.zeros(a.size, dtype=int), np.ones(past.sum(), dtype=int)]
    amount = np.r_[plan_amount, actual_amount[past]]
    order = np.lexsort((kind, both))  # group by alliance, plan before actual
    both, kind, amount = both[order], kind[order], amount[order]
    aa = a[both]
    _, local = _ragged(np.bincount(aa, minlength=n))
    lines = _frame(
        "business_case_lines",
        {
            "id": _ids(plan.ids[aa], "BC", local + 1, 3),
            "alliance_id": plan.ids[aa],
            "side": _obj(("us", "partner"))[side[both]],
            "year": first_year + year[both],
            "category": _obj(cats)[item[both]],
            "item": _obj(items)[item[both]],
            "amount": amount,
            "kind": _obj(("plan", "actual"))[kind],
            "assumption": np.where(item[both] == 3, "Ramp per joint sales plan", None),
        },
    )
    return cases, lines
