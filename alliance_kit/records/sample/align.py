"""Sample Align records drawn from the plan: agreements, obligations, briefings,
governance bodies, meetings, attendance, decisions, RACI."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from alliance_kit.records.model import (
    ORG_LEVEL_RANK,
)
from alliance_kit.records.sample.plan import (
    ENDED,
    FAILING,
    NAT,
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

OUR_ORG = "Halden Systems Inc."
_MAIN_AGREEMENT = {
    "co-sell": "master alliance agreement",
    "technology": "master alliance agreement",
    "co-development": "master alliance agreement",
    "distribution": "reseller agreement",
    "reseller": "reseller agreement",
    "joint venture": "joint venture agreement",
    "outsourcing": "master alliance agreement",
    "licensing": "licence agreement",
}
_BODY_NAMES = ("Executive steering committee", "Joint operating committee", "Working team")
_BODY_KINDS = ("executive steering committee", "joint operating committee", "working team")
_BODY_PER_YEAR = np.array([4, 12, 12])
_MEETING_NOTES = (
    "Reviewed pipeline and KPI actuals; agreed next steps.",
    "Pipeline < target in two regions; partner & us to re-plan.",
    'Agreed the "stretch" plan for next quarter.',
    "Discussed escalations; owners confirmed.",
    "Quarterly business review held with both sponsors.",
)
_CANCEL_NOTES = (
    "Cancelled: sponsor unavailable.",
    "Cancelled at short notice; not rescheduled.",
    None,
)
_DECISIONS = (
    "Approve joint marketing budget",
    "Select lighthouse customers",
    "Agree pricing for bundle",
    "Approve roadmap for next release",
    "Assign named accounts",
    "Extend pilot to a new region",
    "Resolve channel conflict rules",
    "Approve additional engineering FTE",
)
_RACI_AREAS = (
    "Joint go-to-market plan",
    "Pricing and discounts",
    "Joint solution roadmap",
    "Budget and resources",
    "Escalation of issues",
    "Partner marketing funds",
)


# --- Align: agreements, obligations, briefings, governance -------------------------------


def _agreements(plan: _Plan, people: _People):
    rng, n = plan.rng, plan.n
    owner, local = _ragged(2 + rng.integers(0, 3, n))
    size = owner.size
    q2 = _q(plan.final(2))[owner]
    q5 = _q(plan.final(5))[owner]
    ended = plan.kind[owner] == ENDED
    is_nda, is_main, is_sow = local == 0, local == 1, local >= 2
    main_type = _obj(_MAIN_AGREEMENT[t] for t in plan.type)[owner]
    atype = np.select([is_nda, is_main], [_obj(["NDA"] * size), main_type], "statement of work")
    draft = is_sow & (rng.random(size) < (1 - q2) * 0.6)
    draft |= is_main & (plan.kind[owner] == FAILING) & (rng.random(size) < 0.3)
    signed = _days(
        plan.pstart[0],
        np.select(
            [is_nda, is_main],
            [rng.integers(0, 20, size), rng.integers(10, 60, size)],
            rng.integers(30, 300, size),
        ),
    )
    signed = np.minimum(signed, _days(plan.last_day[owner], -5))
    effective = np.minimum(_days(signed, rng.integers(0, 15, size)), plan.last_day[owner])
    notice = np.select([is_nda, is_main], [np.full(size, 30), rng.choice([90, 180], size)], 30)
    expires = np.select(
        [is_nda, is_main],
        [_days(signed, 1095), _days(plan.as_of, rng.integers(150, 900, size))],
        _days(signed, rng.integers(180, 540, size)),
    )
    # Main agreements entering their notice window: A003, A009 and one random in ten.
    window = is_main & (rng.random(size) < 0.1)
    for i in (2, 8):
        if i < n:
            window |= is_main & (owner == i)
    expires = np.where(window, _days(plan.as_of, notice - rng.integers(10, 40, size)), expires)
    status = np.where(expires <= plan.last_day[owner], "expired", "active").astype(object)
    status = np.where(is_main & ended, "terminated", status)
    status = np.where(draft, np.where(is_main, "negotiation", "draft"), status)
    titles = np.select(
        [is_nda, is_main],
        [
            _obj(f"Mutual NDA with {p}" for p in plan.partner)[owner],
            _obj(
                f"{t.capitalize()}: {nm}" for t, nm in zip(main_type, plan.name[owner], strict=True)
            ),
        ],
        _obj(f"SOW {i - 1}: joint delivery phase {i - 1}" for i in local.tolist()),
    )
    frame = _frame(
        "agreements",
        {
            "id": _ids(plan.ids[owner], "AG", local + 1),
            "alliance_id": plan.ids[owner],
            "type": atype,
            "title": titles,
            "parties": _obj(f"{OUR_ORG}; {p}" for p in plan.partner[owner]),
            "status": status,
            "signed_on": _maybe(~draft, signed),
            "effective_on": _maybe(~draft, effective),
            "expires_on": expires,
            "notice_days": np.where(is_sow & (rng.random(size) < 0.5), -1, notice),
            "auto_renew": is_main & (rng.random(size) < 0.5),
            "exit_provisions": _maybe(
                is_main & (rng.random(size) < q5 + 0.2),
                _obj(
                    f"Either party may exit with {d} days' written notice; joint wind-down "
                    "& customer transition plan."
                    for d in notice.tolist()
                ),
            ),
        },
    )
    frame["notice_days"] = frame["notice_days"].mask(frame["notice_days"] < 0)
    return owner, draft, signed, frame


def _obligations(plan, people, ag_owner, ag_draft, ag_signed, ag_ids) -> pd.DataFrame:
    rng = plan.rng
    g, local = _ragged(np.where(ag_draft, 0, rng.integers(2, 5, ag_owner.size)))
    a = ag_owner[g]
    size = g.size
    last = plan.last_day[a]
    horizon = _days(plan.as_of, 60)
    due = _between(rng, _days(ag_signed[g], 20), horizon)
    q = _q(np.minimum(plan.final(3), plan.final(5)))[a]
    past = due < last
    done = past & (rng.random(size) < 0.3 + 0.68 * q)
    waived = ~done & (rng.random(size) < 0.03)
    completed = np.clip(_days(due, rng.integers(-20, 10, size)), ag_signed[g], last)
    person = _person_pick(plan, people, a)
    texts = (
        "Deliver quarterly pipeline report",
        "Provide certified engineers",
        "Pay marketing development funds",
        "Renew product certification",
        "Share customer references",
        "Complete annual security review",
    )
    return _frame(
        "obligations",
        {
            "id": _ids(ag_ids[g], "OB", local + 1),
            "agreement_id": ag_ids[g],
            "description": _choice(rng, texts, size),
            "owner": people.name[person],
            "owner_side": _obj(("us", "partner"))[people.side[person]],
            "due_on": due,
            "status": np.select([done, waived], ["done", "waived"], "open").astype(object),
            "completed_on": _maybe(done, completed),
        },
    )


def _briefings(plan: _Plan, ag_owner, ag_local, ag_draft, ag_signed, ag_ids) -> pd.DataFrame:
    rng, n = plan.rng, plan.n
    # topic, side, audience, crack whose health decides whether it happened
    cands = (
        ("strategy", 0, "Alliance core team", 2),
        ("strategy", 1, "Alliance core team", 2),
        ("strategy", 0, "Sales leadership", 2),
        ("strategy", 1, "Field sales", 2),
        ("kpis", 0, "Alliance core team", 4),
        ("kpis", 1, "Operations team", 4),
        ("governance", 0, "Committee members", 5),
        ("governance", 1, "Committee members", 5),
        ("agreement", 0, "Legal & procurement", 2),
        ("agreement", 1, "Delivery managers", 2),
        ("business case", 0, "Finance", 4),
    )
    C = len(cands)
    crack = np.array([c[3] for c in cands])
    side = np.array([c[1] for c in cands])
    h = plan.health[np.arange(n)[:, None], crack[None, :] - 1, plan.end_t[:, None]]
    q = _q(h)
    keep = rng.random((n, C)) < np.where(side[None, :] == 0, 0.5 + 0.5 * q, q)
    main = np.full(n, -1)
    is_main = (ag_local == 1) & ~ag_draft
    main[ag_owner[is_main]] = np.flatnonzero(is_main)
    topic_agreement = np.array([c[0] == "agreement" for c in cands])
    keep &= ~(topic_agreement[None, :] & (main[:, None] < 0))
    a, c = np.nonzero(keep)
    local = keep.cumsum(1)[a, c]
    lo = np.where(topic_agreement[c], ag_signed[np.maximum(main[a], 0)], plan.pstart[0])
    day = _between(rng, lo, plan.last_day[a])
    return _frame(
        "briefings",
        {
            "id": _ids(plan.ids[a], "B", local),
            "alliance_id": plan.ids[a],
            "topic": _obj(x[0] for x in cands)[c],
            "agreement_id": _maybe(topic_agreement[c], ag_ids[np.maximum(main[a], 0)]),
            "side": _obj(("us", "partner"))[side[c]],
            "audience": _obj(x[2] for x in cands)[c],
            "briefed_on": day,
            "acknowledged": rng.random(a.size) < q[a, c],
        },
    )


@dataclass
class _Bodies:
    owner: np.ndarray
    kind: np.ndarray  # 0 ESC, 1 JOC, 2 WT
    id: np.ndarray
    member_person: np.ndarray  # global person index per membership, grouped by body
    member_body: np.ndarray
    member_start: np.ndarray
    member_count: np.ndarray


def _governance(plan: _Plan, people: _People) -> tuple[_Bodies, pd.DataFrame, pd.DataFrame]:
    rng, n = plan.rng, plan.n
    has = np.ones((n, 3), dtype=bool)
    has[:, 2] = rng.random(n) < _q(plan.final(5)) + 0.3
    a, kind = np.nonzero(has)
    ids = _ids(plan.ids[a], "GB", kind + 1, 1)
    parent = np.where(kind == 0, None, _ids(plan.ids[a], "GB", np.maximum(kind, 1), 1))
    bodies = _frame(
        "governance_bodies",
        {
            "id": ids,
            "alliance_id": plan.ids[a],
            "name": _obj(_BODY_NAMES)[kind],
            "kind": _obj(_BODY_KINDS)[kind],
            "meetings_per_year": _BODY_PER_YEAR[kind],
            "escalates_to": parent,
        },
    )
    # Members by person slot: sponsors and alliance managers on the steering committee,
    # managers and the next people on the operating committee, the rest on the team.
    slots = np.full((a.size, 10), -1)
    slots[kind == 0, :4] = [0, 1, 2, 3]
    slots[kind == 1, :4] = [2, 3, 4, 5]
    wt = kind == 2
    slots[wt, :2] = [2, 3]
    slots[wt, 2:] = np.arange(6, 14)
    cnt = people.count[a]
    slots[wt & (cnt <= 6), 2:6] = [4, 5, -1, -1]
    slots = np.where(slots < cnt[:, None], slots, -1)
    b, j = np.nonzero(slots >= 0)
    slot = slots[b, j]
    person = people.start[a[b]] + slot
    role = np.where(j == 0, "chair", np.where((kind[b] == 0) & (slot >= 2), "secretary", "member"))
    members = _frame(
        "body_members",
        {"body_id": ids[b], "person_id": people.id[person], "role": role.astype(object)},
    )
    count = np.bincount(b, minlength=a.size)
    return (
        _Bodies(a, kind, ids, person, b, np.cumsum(count) - count, count),
        bodies,
        members,
    )


def _meetings(plan: _Plan, bodies: _Bodies):
    rng = plan.rng
    per_q = _BODY_PER_YEAR[bodies.kind] // 4
    b, local = _ragged(per_q * (plan.end_t[bodies.owner] + 1))
    a = bodies.owner[b]
    m = per_q[b]
    t, j = local // m, local % m
    size = b.size
    offset = np.floor((j + 0.5) * 91 / m).astype(np.int64) + rng.integers(-5, 6, size)
    planned = np.clip(_days(plan.pstart[t], offset), plan.pstart[t], plan.pend[t])
    h = plan.health[a, 4, t]
    h = np.where(bodies.kind[b] == 0, (h + plan.health[a, 0, t]) / 2, h)
    held = rng.random(size) < 0.3 + 0.68 * _q(h)
    held_on = np.minimum(_days(planned, rng.integers(0, 4, size)), plan.pend[t])
    notes = np.where(
        held,
        _choice(rng, _MEETING_NOTES + (None,), size),
        _choice(rng, _CANCEL_NOTES, size),
    )
    ids = _ids(bodies.id[b], "M", local + 1)
    frame = _frame(
        "meetings",
        {
            "id": ids,
            "body_id": bodies.id[b],
            "planned_on": planned,
            "held_on": _maybe(held, held_on),
            "status": np.where(held, "held", "cancelled").astype(object),
            "notes": notes,
        },
    )
    return b, t, held, held_on, ids, frame


def _attendance(plan, people, bodies, m_body, m_t, m_held, m_ids) -> pd.DataFrame:
    rng = plan.rng
    held = np.flatnonzero(m_held)
    mi, local = _ragged(bodies.member_count[m_body[held]])
    meeting = held[mi]
    body = m_body[meeting]
    person = bodies.member_person[bodies.member_start[body] + local]
    a = bodies.owner[body]
    t = m_t[meeting]
    executive = people.rank[person] >= ORG_LEVEL_RANK["vp"]
    p = np.where(
        executive,
        0.25 + 0.7 * _q(plan.health[a, 0, t]),
        0.45 + 0.5 * _q(plan.health[a, 4, t]),
    )
    return _frame(
        "attendance",
        {
            "meeting_id": m_ids[meeting],
            "person_id": people.id[person],
            "attended": rng.random(meeting.size) < p,
        },
    )


def _decisions(plan, bodies, m_body, m_t, m_held, m_held_on, m_ids) -> pd.DataFrame:
    rng, n = plan.rng, plan.n
    owner, local = _ragged(rng.integers(3, 9, n))
    size = owner.size
    cand = np.flatnonzero(m_held & (bodies.kind[m_body] < 2))
    cand_owner = bodies.owner[m_body[cand]]
    order = np.argsort(cand_owner, kind="stable")
    cand, cand_owner = cand[order], cand_owner[order]
    pick = _pick_child(rng, cand_owner, owner, n)
    meeting = np.where(pick >= 0, cand[np.maximum(pick, 0)], -1)
    q = _q(plan.final(3))[owner]
    latency = np.floor(2 + (10 + 110 * (1 - q)) * rng.uniform(0.3, 1.0, size)).astype(np.int64)
    pending = rng.random(size) < 0.7 * (1 - q)
    at_meeting = (meeting >= 0) & ~pending & (rng.random(size) < 0.7)
    first = plan.pstart[0]
    last = plan.last_day[owner]
    decided_at = m_held_on[np.maximum(meeting, 0)]
    raised_free = _between(rng, np.full(size, first), last)
    raised = np.where(at_meeting, np.maximum(_days(decided_at, -latency), first), raised_free)
    decided_free = _days(raised_free, latency)
    decided = np.where(at_meeting, decided_at, np.where(decided_free <= last, decided_free, NAT))
    decided = np.where(pending, NAT, decided)
    return _frame(
        "decisions",
        {
            "id": _ids(plan.ids[owner], "D", local + 1),
            "alliance_id": plan.ids[owner],
            "meeting_id": _maybe(at_meeting, m_ids[np.maximum(meeting, 0)]),
            "title": _choice(rng, _DECISIONS, size),
            "raised_on": raised,
            "decided_on": decided,
        },
    )


def _raci(plan: _Plan) -> pd.DataFrame:
    rng, n = plan.rng, plan.n
    areas = rng.integers(3, len(_RACI_AREAS) + 1, n)
    q = _q(plan.final(5))
    a, area, role = (g.ravel() for g in np.indices((n, len(_RACI_AREAS), 4)))
    keep = area < areas[a]
    p = np.select([role == 0, role == 1], [1.0, q[a] + 0.3], q[a])
    keep &= rng.random(a.size) < p
    a, area, role = a[keep], area[keep], role[keep]
    _, local = _ragged(np.bincount(a, minlength=n))
    parties = (
        ("Alliance manager (us)", "Alliance manager (partner)"),
        ("Executive steering committee", "Executive sponsor (us)"),
        ("Joint operating committee", "Finance (partner)"),
        ("Working team", "Sales leadership (both)"),
    )
    alt = rng.integers(0, 2, a.size)
    return _frame(
        "raci",
        {
            "id": _ids(plan.ids[a], "RACI", local + 1),
            "alliance_id": plan.ids[a],
            "decision_area": _obj(_RACI_AREAS)[area],
            "party": _obj(parties[r][x] for r, x in zip(role.tolist(), alt.tolist(), strict=True)),
            "role": _obj("RACI")[role],
        },
    )
