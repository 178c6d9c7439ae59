"""Sample Succeed records drawn from the plan: actions, resources, risks, issues, lessons,
documents."""

from __future__ import annotations

import numpy as np
import pandas as pd

from alliance_kit.records.sample.plan import (
    ENDED,
    FAILING,
    HEALTHY,
    OUR_DOMAIN,
    _between,
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

_ACTION_TITLES = (
    "Send updated forecast",
    "Share account plan",
    "Schedule joint customer workshop",
    "Fix data feed for KPI dashboard",
    "Prepare QBR deck",
    "Confirm enablement dates",
    "Review SOW change request",
    "Update risk register",
)
_IMPROVEMENTS = {
    1: "Re-engage the executive sponsors: schedule a sponsor-to-sponsor review",
    2: "Refresh the alliance strategy, get both approvals and brief both field teams",
    3: "Run a joint trust workshop and clear the aged issue log",
    4: "Complete KPI definitions (owner, baseline, target, source) and agree them jointly",
    5: "Reset the governance calendar and close overdue actions",
    6: "Restore committed resources: take the FTE gap to the sponsors",
}
_ACTIVITIES = (
    "Joint webinar for target accounts",
    "Sales enablement bootcamp",
    "Partner portal refresh",
    "Joint customer advisory board",
    "Reference case study",
)
_RISKS = {
    1: "Partner sponsor may change or disengage",
    2: "Scope creep beyond the agreed segments",
    3: "Channel conflict between the sales teams",
    4: "KPIs not trusted by the partner's finance team",
    5: "Steering committee loses momentum",
    6: "Key engineers reassigned to other programmes",
    0: "Regulatory change in a target market",
}
_ISSUES = {
    1: "Escalation waiting for a sponsor decision",
    2: "Disagreement on which segments are in scope",
    3: "Partner sales team bypassing agreed rules of engagement",
    4: "KPI figures disputed by the partner",
    5: "Action items from the last committee not closed",
    6: "Committed engineers not yet assigned",
}
_LESSONS = (
    ("Agree KPIs before launch", "Undefined KPIs cost us two quarters & a re-plan."),
    ("Keep sponsors close", 'The sponsor review "every quarter" kept decisions moving.'),
    ("Brief the field early", "Sales teams on both sides need the strategy, not just slides."),
    ("Staff what you commit", "Resource gaps > 30% showed up as slipped milestones."),
    ("Log issues jointly", "One shared issue log built trust faster than two private ones."),
)
# document kind -> the ISO 44001 stage that expects it, and the crack it evidences
_DOCS = (
    ("relationship management plan", 1, 5),
    ("initial risk assessment", 1, 3),
    ("business strategy", 2, 2),
    ("value analysis", 2, 2),
    ("exit considerations", 2, 2),
    ("strategy document", 2, 2),
    ("business case", 2, 4),
    ("collaborative profile", 3, 3),
    ("partner selection criteria", 4, 1),
    ("governance charter", 5, 5),
    ("roles and responsibilities", 5, 5),
    ("value creation process", 6, 4),
    ("joint review", 7, 3),
    ("exit strategy", 8, 2),
)


# --- Succeed: actions, resources, risks, issues, lessons, documents ---------------------


def _actions(plan, people, obj_owner, objective_ids, bodies, m_body, m_t, m_held, m_held_on, m_ids):
    rng, n = plan.rng, plan.n
    parts = []
    # Meeting actions: 0-2 per held committee meeting, 0-1 per team meeting.
    held = np.flatnonzero(m_held)
    kind = bodies.kind[m_body[held]]
    mi, local = _ragged(
        np.where(kind < 2, rng.integers(0, 3, held.size), rng.integers(0, 2, held.size))
    )
    meeting = held[mi]
    a = bodies.owner[m_body[meeting]]
    q = _q(plan.health[a, 4, m_t[meeting]])
    parts.append(
        dict(
            id=_ids(m_ids[meeting], "A", local + 1, 1),
            a=a,
            kind="meeting action",
            meeting=m_ids[meeting],
            opened=m_held_on[meeting],
            q=q,
            crack=np.zeros(a.size, int),
            title=_choice(rng, _ACTION_TITLES, a.size),
            due_days=rng.integers(14, 46, a.size),
        )
    )
    # Improvement actions: 1-2 for each open crack, opened in the last two active quarters;
    # healthy alliances sometimes have a finished one.
    extra = (plan.kind == HEALTHY) & (rng.random(n) < 0.3)
    wanted = plan.open | (
        extra[:, None] & (np.arange(6)[None, :] == rng.integers(0, 6, n)[:, None])
    )
    ia, ic = np.nonzero(wanted)
    ii, il = _ragged(rng.integers(1, 3, ia.size))
    a2, c2 = ia[ii], ic[ii] + 1
    since = plan.pstart[np.maximum(plan.end_t[a2] - 1, 0)]
    parts.append(
        dict(
            id=_obj(
                f"{x}-IA{c}{j + 1}"
                for x, c, j in zip(plan.ids[a2], c2.tolist(), il.tolist(), strict=True)
            ),
            a=a2,
            kind="improvement",
            meeting=np.full(a2.size, None, dtype=object),
            opened=_between(rng, since, plan.last_day[a2]),
            q=np.where(plan.open[a2, c2 - 1], 0.2, 0.95),
            crack=c2,
            title=_obj(_IMPROVEMENTS[c] for c in c2.tolist()),
            due_days=rng.integers(30, 91, a2.size),
        )
    )
    # Operational activities: 1-3 per alliance.
    a3, l3 = _ragged(rng.integers(1, 4, n))
    parts.append(
        dict(
            id=_ids(plan.ids[a3], "ACT", l3 + 1),
            a=a3,
            kind="activity",
            meeting=np.full(a3.size, None, dtype=object),
            opened=_between(rng, np.full(a3.size, plan.pstart[0]), plan.last_day[a3]),
            q=_q(plan.final(5))[a3],
            crack=np.zeros(a3.size, int),
            title=_choice(rng, _ACTIVITIES, a3.size),
            due_days=rng.integers(20, 120, a3.size),
        )
    )
    cols = {
        k: np.concatenate(
            [
                p[k] if isinstance(p[k], np.ndarray) else np.full(p["a"].size, p[k], dtype=object)
                for p in parts
            ]
        )
        for k in parts[0]
    }
    a, opened, q = cols["a"], cols["opened"], cols["q"]
    size = a.size
    last = plan.last_day[a]
    due = _days(opened, cols["due_days"])
    close_by = np.where(due <= last, 0.35 + 0.63 * q, 0.3 * q)
    done = rng.random(size) < close_by
    closed = np.minimum(
        _days(opened, np.floor(rng.random(size) * ((due - opened).astype(int) + 7)) + 1), last
    )
    closed = np.maximum(closed, opened)
    person = _person_pick(plan, people, a)
    objective = _pick_child(rng, obj_owner, a, n)
    with_obj = (objective >= 0) & (rng.random(size) < 0.3)
    return _frame(
        "actions",
        {
            "id": cols["id"],
            "alliance_id": plan.ids[a],
            "kind": cols["kind"],
            "meeting_id": cols["meeting"],
            "objective_id": _maybe(with_obj, objective_ids[np.maximum(objective, 0)]),
            "title": cols["title"],
            "owner": people.name[person],
            "owner_side": _obj(("us", "partner"))[people.side[person]],
            "opened_on": opened,
            "due_on": due,
            "status": np.where(done, "done", _choice(rng, ("open", "in progress"), size)),
            "closed_on": _maybe(done, closed),
            "crack": _maybe(cols["crack"] > 0, cols["crack"].astype(float)),
        },
    )


def _resources(plan: _Plan) -> pd.DataFrame:
    rng, n, T = plan.rng, plan.n, plan.T
    weak_side = rng.choice(3, n, p=[0.25, 0.45, 0.3])  # 0 us, 1 partner, 2 both
    weak_side[plan.kind == FAILING] = 2
    if n > 8:
        weak_side[8] = 1
    a, side, t = (g.ravel() for g in np.indices((n, 2, T)))
    keep = t <= plan.end_t[a]
    a, side, t = a[keep], side[keep], t[keep]
    weak = plan.open[a, 5] & ((weak_side[a] == 2) | (weak_side[a] == side))
    h = np.where(weak, plan.health[a, 5, t], np.maximum(plan.health[a, 5, t], 0.8))
    fill = np.clip(0.35 + 0.7 * h + rng.normal(0, 0.04, a.size), 0, 1.1)
    scale = np.where(side == 0, 1.0, rng.uniform(0.6, 1.2, n)[a])
    fte = np.round(np.clip(plan.revenue / 8e6 * rng.uniform(0.8, 1.5, n), 1, 25)[a] * scale * 2) / 2
    fte = np.maximum(fte, 0.5)
    budget = np.round(plan.revenue[a] * rng.uniform(0.01, 0.03, n)[a] / 4 * scale, -3)
    return _frame(
        "resources",
        {
            "id": _obj(
                f"{x}-RS-{p}-{'US' if s == 0 else 'PT'}"
                for x, p, s in zip(plan.ids[a], _obj(plan.periods)[t], side.tolist(), strict=True)
            ),
            "alliance_id": plan.ids[a],
            "side": _obj(("us", "partner"))[side],
            "period": _obj(plan.periods)[t],
            "fte_committed": fte,
            "fte_assigned": np.round(fte * fill, 1),
            "budget_committed": budget,
            "budget_assigned": np.round(
                budget * np.clip(fill + rng.normal(0, 0.03, a.size), 0, 1.1), -3
            ),
        },
    )


def _cracks_open_first(plan: _Plan) -> np.ndarray:
    """(n, 6) crack numbers per alliance, its open cracks first."""
    return np.argsort(~plan.open, axis=1, kind="stable") + 1


def _risks(plan: _Plan, people: _People) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng, n = plan.rng, plan.n
    owner, local = _ragged(rng.integers(3, 7, n))
    size = owner.size
    n_open = plan.open.sum(1)[owner]
    ordered = _cracks_open_first(plan)[owner, np.minimum(local, 5)]
    random_crack = np.where(rng.random(size) < 0.3, 0, rng.integers(1, 7, size))
    crack = np.where(local < n_open, ordered, random_crack)
    raised = _between(
        rng,
        np.full(size, plan.pstart[0]),
        np.minimum(_days(plan.pstart[0], 200), plan.last_day[owner]),
    )
    is_open = (crack > 0) & plan.open[owner, np.maximum(crack, 1) - 1]
    status = np.where(
        is_open,
        _choice(rng, ("open", "mitigating"), size),
        _choice(rng, ("open", "mitigating", "closed"), size, p=[0.3, 0.4, 0.3]),
    )
    person = _person_pick(plan, people, owner)
    ids = _ids(plan.ids[owner], "R", local + 1)
    risks = _frame(
        "risks",
        {
            "id": ids,
            "alliance_id": plan.ids[owner],
            "title": _obj(_RISKS[c] for c in crack.tolist()),
            "owner": people.name[person],
            "mitigation": _maybe(
                rng.random(size) < 0.5 + 0.5 * _q(plan.final(5))[owner],
                _obj(["Review monthly at the operating committee; escalate to sponsors."] * size),
            ),
            "status": status,
            "raised_on": raised,
            "crack": _maybe(crack > 0, crack.astype(float)),
        },
    )
    first_t = np.searchsorted(plan.pend, raised)
    r, k = _ragged(plan.end_t[owner] - first_t + 1)
    t = first_t[r] + k
    a = owner[r]
    base = rng.integers(1, 5, size)
    h = plan.health[a, np.maximum(crack[r], 1) - 1, t]
    likely = np.where(
        crack[r] > 0,
        1 + 4 * (1 - h) + rng.normal(0, 0.4, r.size),
        base[r] + rng.normal(0, 0.5, r.size),
    )
    reviews = _frame(
        "risk_reviews",
        {
            "risk_id": ids[r],
            "period": _obj(plan.periods)[t],
            "likelihood": np.clip(np.rint(likely), 1, 5).astype(int),
            "impact": np.clip(rng.integers(2, 6, size)[r] + (rng.random(r.size) < 0.1), 1, 5),
        },
    )
    return risks, reviews


def _issues(plan: _Plan, people: _People) -> pd.DataFrame:
    rng, n = plan.rng, plan.n
    q3 = _q(plan.final(3))
    q1 = _q(plan.final(1))
    owner, local = _ragged(2 + np.rint(8 * (1 - q3)).astype(int) + rng.integers(0, 3, n))
    size = owner.size
    q = q3[owner]
    first = plan.pstart[0]
    last = plan.last_day[owner]
    span = (last - first).astype(int)
    raised = _days(first, np.floor(span * rng.random(size) ** (1 + (1 - q))))
    n_open = plan.open.sum(1)[owner]
    open_pick = _cracks_open_first(plan)[
        owner, np.floor(rng.random(size) * np.maximum(n_open, 1)).astype(int)
    ]
    crack = np.where((n_open > 0) & (rng.random(size) < 0.6), open_pick, rng.integers(1, 7, size))
    escalate = rng.random(size) < 0.1 + 0.5 * (1 - np.minimum(q, q1[owner]))
    p_resolve = 0.1 + 0.88 * np.where(
        escalate, _q(np.minimum(plan.final(1), plan.final(3)))[owner], q
    )
    lag = np.floor(3 + (10 + 110 * (1 - q)) * rng.uniform(0.3, 1.0, size))
    resolved = _days(raised, lag)
    resolved = _maybe((rng.random(size) < p_resolve) & (resolved <= last), resolved)
    esc = np.minimum(_days(raised, rng.integers(3, 21, size)), last)
    esc = np.where(np.isnat(resolved), esc, np.minimum(esc, resolved))
    person = _person_pick(plan, people, owner)
    severity = np.where(
        rng.random(size) < q,
        _choice(rng, ("low", "medium", "high"), size, p=[0.5, 0.4, 0.1]),
        _choice(rng, ("medium", "high", "critical"), size, p=[0.3, 0.5, 0.2]),
    )
    return _frame(
        "issues",
        {
            "id": _ids(plan.ids[owner], "I", local + 1),
            "alliance_id": plan.ids[owner],
            "title": _obj(_ISSUES[c] for c in crack.tolist()),
            "owner": people.name[person],
            "side": _choice(rng, ("us", "partner"), size),
            "severity": severity,
            "raised_on": raised,
            "escalated_on": _maybe(escalate, esc),
            "resolved_on": resolved,
            "crack": crack,
        },
    )


def _lessons(plan: _Plan) -> pd.DataFrame:
    rng, n = plan.rng, plan.n
    owner, local = _ragged(
        np.where(plan.kind == ENDED, rng.integers(3, 6, n), rng.integers(1, 4, n))
    )
    size = owner.size
    pick = (rng.integers(0, len(_LESSONS), n)[owner] + local) % len(_LESSONS)
    crack_of = np.array([4, 1, 2, 6, 3])
    return _frame(
        "lessons",
        {
            "id": _ids(plan.ids[owner], "L", local + 1),
            "alliance_id": plan.ids[owner],
            "recorded_on": _between(rng, np.full(size, plan.pstart[0]), plan.last_day[owner]),
            "title": _obj(x[0] for x in _LESSONS)[pick],
            "description": _obj(x[1] for x in _LESSONS)[pick],
            "crack": crack_of[pick],
        },
    )


def _documents(plan: _Plan) -> pd.DataFrame:
    rng, n = plan.rng, plan.n
    D = len(_DOCS)
    doc_stage = np.array([d[1] for d in _DOCS])
    doc_crack = np.array([d[2] for d in _DOCS])
    h = plan.health[np.arange(n)[:, None], doc_crack[None, :] - 1, plan.end_t[:, None]]
    q = _q(h)
    present = (doc_stage[None, :] <= plan.stage[:, None]) & (rng.random((n, D)) < 0.4 + 0.58 * q)
    a, d = np.nonzero(present)
    local = present.cumsum(1)[a, d]
    kind = _obj(x[0] for x in _DOCS)[d]
    slug = _obj(x[0].replace(" ", "-") for x in _DOCS)[d]
    return _frame(
        "documents",
        {
            "id": _ids(plan.ids[a], "DOC", local),
            "alliance_id": plan.ids[a],
            "kind": kind,
            "title": _obj(f"{nm}: {k}" for nm, k in zip(plan.name[a], kind, strict=True)),
            "status": np.where(rng.random(a.size) < q[a, d], "approved", "draft").astype(object),
            "dated": _between(rng, np.full(a.size, plan.pstart[0]), plan.last_day[a]),
            "location": _obj(
                f"https://intranet.{OUR_DOMAIN}/alliances/{x}/{s}"
                for x, s in zip(plan.ids[a], slug, strict=True)
            ),
        },
    )
