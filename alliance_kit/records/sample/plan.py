"""The plan of the sample portfolio: who each alliance is (profile, partner, people) and
how healthy each crack is each quarter; and the small vectorized helpers every record
generator uses."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import numpy as np
import pandas as pd

from alliance_kit.records import periods as quarters
from alliance_kit.records.model import (
    ALLIANCE_TYPES,
    ORG_LEVEL_RANK,
    ORG_LEVELS,
    STAGES,
    TABLES,
)
from alliance_kit.records.store import typed_frame

OUR_DOMAIN = "halden.example"

HEALTHY, CRACKED, FAILING, ENDED = 0, 1, 2, 3

# The cracks designed open in each default alliance (A011 fails on all; A012 has ended).
PROFILES: dict[str, tuple[int, ...]] = {
    "A001": (),
    "A002": (),
    "A003": (),
    "A004": (),
    "A005": (),
    "A006": (),
    "A007": (4,),
    "A008": (1, 5),
    "A009": (6,),
    "A010": (2, 3),
    "A011": (1, 2, 3, 4, 5, 6),
    "A012": (1, 3, 6),
}
CONDITION = {aid: "healthy" for aid in PROFILES} | {
    "A007": "cracks opening",
    "A008": "cracks opening",
    "A009": "cracks opening",
    "A010": "cracks opening",
    "A011": "failing",
    "A012": "ended",
}
_KIND_OF = {"healthy": HEALTHY, "cracks opening": CRACKED, "failing": FAILING, "ended": ENDED}

# name, partner, type, stage, start, expected revenue, currency, importance, notes
_DEFAULTS = (
    (
        "Cloud Co-Sell Program",
        "Nimbus Cloud Services Inc.",
        "co-sell",
        6,
        "2021-03-01",
        120e6,
        "USD",
        5,
        "Flagship co-sell motion in North America.",
    ),
    (
        "Analytics Platform Integration",
        "Datawise Analytics Ltd.",
        "technology",
        3,
        "2024-09-15",
        45e6,
        "USD",
        4,
        None,
    ),
    (
        "Joint Medical Imaging Suite",
        "Müller & Söhne AG",
        "co-development",
        5,
        "2023-01-10",
        38e6,
        "EUR",
        4,
        "Co-development under EU MDR; notice window on the MAA opens soon.",
    ),
    (
        "EMEA Distribution",
        "Distribuciones Ibéricas S.A.",
        "distribution",
        7,
        "2019-06-01",
        22e6,
        "EUR",
        3,
        None,
    ),
    (
        "Retail Reseller Network",
        "Brightline Retail Partners LLC",
        "reseller",
        6,
        "2022-02-01",
        2.4e6,
        "USD",
        2,
        None,
    ),
    (
        "Managed Services Outsourcing",
        "Kestrel Managed Services",
        "outsourcing",
        7,
        "2020-10-01",
        15e6,
        "USD",
        3,
        None,
    ),
    (
        "IoT Edge Co-Development",
        "Edgeworks Robotics Corp.",
        "co-development",
        4,
        "2024-06-01",
        30e6,
        "USD",
        4,
        "KPIs still being defined with the partner.",
    ),
    (
        "Financial Services Co-Sell",
        "Harbor & Pine Financial Group",
        "co-sell",
        6,
        "2022-04-01",
        60e6,
        "USD",
        5,
        "Partner sponsor moved on; steering committee paused.",
    ),
    (
        "Security Technology Alliance",
        "Sentinel Cyber Labs",
        "technology",
        5,
        "2023-05-01",
        25e6,
        "USD",
        3,
        None,
    ),
    (
        "Asia-Pacific Joint Venture",
        "Sakura Precision Holdings K.K.",
        "joint venture",
        6,
        "2021-11-01",
        90e6,
        "USD",
        5,
        "JV board meets quarterly in Osaka & Singapore.",
    ),
    (
        "Healthcare Data Licensing",
        "Crestview Health Informatics",
        "licensing",
        5,
        "2023-08-01",
        40e6,
        "USD",
        4,
        None,
    ),
    (
        "Legacy Hardware Reseller Program",
        "Orion Components Ltd.",
        "reseller",
        8,
        "2020-01-15",
        5e6,
        "USD",
        2,
        "Wound down after repeated resourcing gaps.",
    ),
)

_FIRST = (
    "Anna",
    "Ben",
    "Carla",
    "David",
    "Elif",
    "François",
    "Grace",
    "Hiroshi",
    "Ines",
    "José",
    "Katarzyna",
    "Liam",
    "Mei",
    "Noah",
    "Olivia",
    "Priya",
    "Quentin",
    "Rafael",
    "Sofia",
    "Tomás",
    "Uma",
    "Viktor",
    "Wen",
    "Xavier",
    "Yusuf",
    "Zoë",
    "Björn",
    "Chloé",
    "Dmitri",
    "Emma",
    "Farah",
    "Gustav",
    "Hannah",
    "Ikechukwu",
    "Jürgen",
    "Kenji",
    "Lucía",
    "Mateo",
    "Nadia",
    "Oskar",
)
_LAST = (
    "Andersen",
    "Brown",
    "Chen",
    "Dubois",
    "Eriksson",
    "Fischer",
    "García",
    "Hughes",
    "Ivanova",
    "Jansen",
    "Kowalski",
    "Lefèvre",
    "Müller",
    "Nakamura",
    "O'Brien",
    "Patel",
    "Quinn",
    "Rossi",
    "Schmidt",
    "Tanaka",
    "Ueda",
    "Van der Berg",
    "Weber",
    "Åkesson",
    "Yamamoto",
    "Zhang",
    "Novák",
    "Ortiz",
    "Svensson",
    "Nguyễn",
)
_PARTNER_STEMS = (
    "Nimbus",
    "Vertex",
    "Aurora",
    "Bluefin",
    "Cobalt",
    "Delta Works",
    "Evergreen",
    "Falcon",
    "Granite",
    "Helix",
    "Ironwood",
    "Juniper",
    "Kite & Keel",
    "Lumen",
    "Meridian",
    "Northstar",
    "Oakridge",
    "Pinnacle",
    "Quantum",
    "Redwood",
    "Saffron",
    "Tidewater",
    "Umbra",
    "Vela",
    "Westbrook",
    "Xenon",
    "Yarrow",
    "Zenith",
    "Société Lumière",
    "Größer Technik",
)
_PARTNER_SUFFIXES = (
    "Inc.",
    "GmbH",
    "AG",
    "S.A.",
    "Ltd.",
    "LLC",
    "K.K.",
    "B.V.",
    "S.p.A.",
    "Oy",
    "AB",
    "plc",
)
_TYPE_WORDS = {
    "co-sell": "Co-Sell Program",
    "technology": "Technology Alliance",
    "co-development": "Co-Development",
    "distribution": "Distribution Partnership",
    "reseller": "Reseller Program",
    "joint venture": "Joint Venture",
    "outsourcing": "Managed Services",
    "licensing": "Licensing Deal",
}
_ROLES_OTHER = (
    "sales lead",
    "solution architect",
    "finance",
    "operations",
    "marketing",
    "legal",
    "product manager",
    "delivery lead",
    "customer success",
)

NAT = np.datetime64("NaT", "D")


# --- small vectorized helpers -----------------------------------------------------------


def _ragged(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Owner row and position within its owner for ``counts[i]`` children of each row."""
    counts = np.asarray(counts, dtype=np.int64)
    owner = np.repeat(np.arange(counts.size), counts)
    starts = np.cumsum(counts) - counts
    return owner, np.arange(owner.size) - starts[owner]


def _pick_child(rng: np.random.Generator, child_owner: np.ndarray, owners: np.ndarray, n: int):
    """A random child (index into the children) of each owner; -1 when it has none.

    ``child_owner`` must be sorted (children grouped by owner)."""
    counts = np.bincount(child_owner, minlength=n)
    starts = np.cumsum(counts) - counts
    c = counts[owners]
    pick = starts[owners] + np.floor(rng.random(owners.size) * c).astype(np.int64)
    return np.where(c > 0, pick, -1)


def _days(base: np.ndarray, offset) -> np.ndarray:
    return base + np.asarray(offset).astype(np.int64).astype("timedelta64[D]")


def _between(rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """A uniform random day in [lo, hi] per row (lo when hi is earlier)."""
    span = np.maximum((hi - lo).astype(np.int64), 0)
    return _days(lo, np.floor(rng.random(span.size) * (span + 1)))


def _q(h: np.ndarray) -> np.ndarray:
    """Probability that a record shows good practice, given latent health (0-1)."""
    return np.clip((h - 0.05) / 0.75, 0.03, 0.98)


def _obj(values) -> np.ndarray:
    """A 1-d object array (numpy would otherwise make fixed-width strings)."""
    values = list(values)
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def _ids(prefix: np.ndarray, tag: str, numbers: np.ndarray, width: int = 2) -> np.ndarray:
    return _obj(f"{p}-{tag}{k:0{width}d}" for p, k in zip(prefix, numbers.tolist(), strict=True))


def _choice(rng: np.random.Generator, values, size: int, p=None) -> np.ndarray:
    return _obj(values)[rng.choice(len(values), size=size, p=p)]


def _maybe(mask: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Values where mask holds, missing elsewhere (NaT for dates, None for text, NaN)."""
    if values.dtype.kind == "M":
        return np.where(mask, values, NAT)
    if values.dtype.kind == "f":
        return np.where(mask, values, np.nan)
    return np.where(mask, values, None)


def _fold(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in plain.lower() if ch.isalnum())


def _frame(table: str, columns: dict[str, np.ndarray]) -> pd.DataFrame:
    """A typed frame; text stays object dtype (shared objects keep large frames small)."""
    data = {
        k: pd.Series(v, dtype=object) if np.asarray(v).dtype == object else pd.Series(v)
        for k, v in columns.items()
    }
    return typed_frame(TABLES[table], pd.DataFrame(data, copy=False))


# --- the plan: who each alliance is and how healthy it is -------------------------------


@dataclass
class _Plan:
    rng: np.random.Generator
    n: int
    periods: list[str]
    pstart: np.ndarray  # datetime64[D] per period
    pend: np.ndarray
    ids: np.ndarray
    kind: np.ndarray  # HEALTHY, CRACKED, FAILING, ENDED
    open: np.ndarray  # (n, 6) cracks designed open
    health: np.ndarray  # (n, 6, T) latent health
    end_t: np.ndarray  # last active period index
    last_day: np.ndarray  # end date of ended alliances, else the last period's end
    bias: np.ndarray  # (n, 2, 6) perception bias on the 1-5 scale, per side
    partner: np.ndarray
    name: np.ndarray
    type: np.ndarray
    stage: np.ndarray  # 3..8
    revenue: np.ndarray
    currency: np.ndarray

    @property
    def T(self) -> int:  # noqa: N802 - the number of periods, as in the maths
        return len(self.periods)

    @property
    def as_of(self) -> np.datetime64:
        return self.pend[-1]

    def final(self, crack: int) -> np.ndarray:
        """Latent health of a crack in each alliance's last active period."""
        return self.health[np.arange(self.n), crack - 1, self.end_t]

    def active(self) -> np.ndarray:
        """(n, T) mask of the periods each alliance was running."""
        return np.arange(self.T)[None, :] <= self.end_t[:, None]


def profiles(n_alliances: int = 12, seed: int = 7) -> dict[str, tuple[int, ...]]:
    """The cracks designed open in each alliance of ``portfolio(n_alliances, seed)``."""
    plan = _plan(n_alliances, seed, "2026-Q3", 6)
    return {
        aid: tuple(int(c) + 1 for c in np.flatnonzero(row))
        for aid, row in zip(plan.ids, plan.open, strict=True)
    }


def _plan(n: int, seed: int, last_period: str | None, n_periods: int) -> _Plan:
    if n < 1 or n_periods < 1:
        raise ValueError("n_alliances and n_periods must be at least 1")
    rng = np.random.default_rng(seed)
    last = last_period or quarters.last_closed()
    names = quarters.span(quarters.shift(last, -(n_periods - 1)), last)
    pstart = np.array([quarters.start(p) for p in names], dtype="datetime64[D]")
    pend = np.array([quarters.end(p) for p in names], dtype="datetime64[D]")
    T = n_periods
    ids = _obj(f"A{i + 1:03d}" for i in range(n))
    k = min(n, 12)

    kind = np.zeros(n, dtype=np.int64)
    open_ = np.zeros((n, 6), dtype=bool)
    for i, aid in enumerate(list(PROFILES)[:k]):
        kind[i] = _KIND_OF[CONDITION[aid]]
        open_[i, [c - 1 for c in PROFILES[aid]]] = True
    m = n - k
    if m:
        u = rng.random(m)
        rk = np.select([u < 0.5, u < 0.85, u < 0.95], [HEALTHY, CRACKED, FAILING], ENDED)
        n_open = np.select(
            [rk == CRACKED, rk == FAILING, rk == ENDED],
            [rng.integers(1, 3, m), np.full(m, 6), rng.integers(0, 7, m)],
            0,
        )
        rank = rng.random((m, 6)).argsort(1).argsort(1)
        kind[k:] = rk
        open_[k:] = rank < n_open[:, None]

    end_t = np.full(n, T - 1)
    ended = kind == ENDED
    if T > 1:
        end_t[ended] = rng.integers(T // 2, T - 1, ended.sum()) if T > 2 else 0
        if n > 11:
            end_t[11] = max(T - 3, 0)
    last_day = pend[end_t]

    # Latent health: healthy cracks flat, opening cracks declining faster near the end
    # (so an early warning fires in the last period), failing cracks low and sliding.
    tt = np.clip(np.arange(T)[None, :] / np.maximum(end_t, 1)[:, None], 0, 1)[:, None, :]
    level = rng.uniform(0.75, 0.9, (n, 6))[:, :, None]
    health = level + rng.normal(0, 0.012, (n, 6, T))
    lo = rng.uniform(0.2, 0.4, (n, 6))[:, :, None]
    hi = rng.uniform(0.62, 0.75, (n, 6))[:, :, None]
    opening = hi - (hi - lo) * tt**2 + rng.normal(0, 0.015, (n, 6, T))
    health = np.where(open_[:, :, None], opening, health)
    fail_lo = rng.uniform(0.1, 0.25, (n, 6))[:, :, None]
    if n > 10:
        fail_lo[10] = rng.uniform(0.1, 0.16, (6, 1))
    failing = fail_lo + rng.uniform(0.05, 0.15, (n, 6))[:, :, None] * (1 - tt)
    health = np.where((kind == FAILING)[:, None, None], failing, health)
    health = np.clip(health, 0.02, 0.98)

    # Perception: small side noise; a blind spot (we rate high, the partner low) on A010's
    # crack 3 and on one crack of about one random alliance in ten.
    bias = rng.normal(0, 0.12, (n, 2, 6))
    if n > 9:
        bias[9, 0, 2], bias[9, 1, 2] = 2.0, -0.4
    if m:
        blind = np.flatnonzero(rng.random(m) < 0.1) + k
        crack = rng.integers(0, 6, blind.size)
        bias[blind, 0, crack] += 1.3
        bias[blind, 1, crack] -= 0.5

    types = _obj(ALLIANCE_TYPES)
    partner = np.empty(n, dtype=object)
    name = np.empty(n, dtype=object)
    typ = np.empty(n, dtype=object)
    stage = np.empty(n, dtype=np.int64)
    revenue = np.empty(n)
    currency = np.empty(n, dtype=object)
    for i in range(k):
        d = _DEFAULTS[i]
        name[i], partner[i], typ[i], stage[i], revenue[i], currency[i] = (
            d[0],
            d[1],
            d[2],
            d[3],
            d[5],
            d[6],
        )
    if m:
        stem = rng.integers(0, len(_PARTNER_STEMS), m)
        suffix = rng.integers(0, len(_PARTNER_SUFFIXES), m)
        partner[k:] = _obj(
            f"{_PARTNER_STEMS[a]} {_PARTNER_SUFFIXES[b]}"
            for a, b in zip(stem.tolist(), suffix.tolist(), strict=True)
        )
        typ[k:] = types[rng.integers(0, len(types), m)]
        name[k:] = _obj(
            f"{_PARTNER_STEMS[a]} {_TYPE_WORDS[t]} {i + k + 1}"
            for i, (a, t) in enumerate(zip(stem.tolist(), typ[k:], strict=True))
        )
        stage[k:] = rng.choice([3, 4, 5, 6, 7], m, p=[0.05, 0.1, 0.35, 0.3, 0.2])
        revenue[k:] = np.round(np.exp(rng.uniform(np.log(2e6), np.log(120e6), m)), -5)
        currency[k:] = _choice(
            rng, ("USD", "EUR", "GBP", "CHF", "CAD"), m, p=[0.7, 0.15, 0.07, 0.04, 0.04]
        )
    stage[ended] = 8
    return _Plan(
        rng,
        n,
        names,
        pstart,
        pend,
        ids,
        kind,
        open_,
        health,
        end_t,
        last_day,
        bias,
        partner,
        name,
        typ,
        stage,
        revenue,
        currency,
    )


# --- alliances and people ---------------------------------------------------------------


@dataclass
class _People:
    owner: np.ndarray  # alliance index per person, grouped by alliance
    slot: np.ndarray  # 0 our sponsor, 1 partner sponsor, 2 our AM, 3 partner AM, 4+ others
    side: np.ndarray  # 0 us, 1 partner
    rank: np.ndarray  # ORG_LEVEL_RANK
    name: np.ndarray
    id: np.ndarray
    start: np.ndarray  # first person index per alliance
    count: np.ndarray


def _sponsor_levels(plan: _Plan) -> tuple[np.ndarray, np.ndarray]:
    rng, n = plan.rng, plan.n
    weak = plan.open[:, 0]
    ours = np.where(
        weak,
        _choice(rng, ("vp", "director", "director", "manager"), n),
        _choice(rng, ("c-level", "svp", "vp"), n, p=[0.3, 0.4, 0.3]),
    )
    theirs = np.where(
        weak,
        _choice(rng, (None, None, "director", "manager"), n),
        _choice(rng, ("c-level", "svp", "vp"), n, p=[0.3, 0.4, 0.3]),
    )
    if n > 10:  # the failing alliance: a director on our side, nobody on theirs
        ours[10], theirs[10] = "director", None
    return ours, theirs


def _people(plan: _Plan, ours: np.ndarray, theirs: np.ndarray) -> tuple[_People, pd.DataFrame]:
    rng, n = plan.rng, plan.n
    count = rng.integers(6, 15, n)
    owner, slot = _ragged(count)
    size = owner.size
    side = np.where(slot < 4, slot % 2, (slot - 4) % 2)
    levels = _obj(ORG_LEVELS)
    other = _choice(rng, ("vp", "director", "director", "manager", "manager", "staff"), size)
    am = _choice(rng, ("director", "manager"), size)
    partner_lead = _choice(rng, ("director", "manager"), size)
    level = np.select(
        [slot == 0, slot == 1, slot < 4],
        [ours[owner], np.where(theirs[owner] == None, partner_lead, theirs[owner]), am],  # noqa: E711
        other,
    )
    role = np.select(
        [slot < 2, slot < 4],
        [
            np.where((slot == 1) & (theirs[owner] == None), "business lead", "executive sponsor"),  # noqa: E711
            _obj(["alliance manager"] * size),
        ],
        _choice(rng, _ROLES_OTHER, size),
    )
    first = rng.integers(0, len(_FIRST), size)
    last = rng.integers(0, len(_LAST), size)
    name = _obj(
        f"{_FIRST[a]} {_LAST[b]}" for a, b in zip(first.tolist(), last.tolist(), strict=True)
    )
    domains = _obj(f"{_fold(p.split(' ')[0])}.example" for p in plan.partner)
    fold_first, fold_last = [_fold(x) for x in _FIRST], [_fold(x) for x in _LAST]
    email = _obj(
        f"{fold_first[a]}.{fold_last[b]}{i}@{OUR_DOMAIN if s == 0 else domains[o]}"
        for a, b, i, s, o in zip(
            first.tolist(),
            last.tolist(),
            slot.tolist(),
            side.tolist(),
            owner.tolist(),
            strict=True,
        )
    )
    pid = _ids(plan.ids[owner], "P", slot + 1)
    rank_of = np.array([ORG_LEVEL_RANK[lv] for lv in ORG_LEVELS])
    level_index = {lv: i for i, lv in enumerate(ORG_LEVELS)}
    rank = rank_of[np.array([level_index[lv] for lv in level])]
    people = _People(owner, slot, side, rank, name, pid, np.cumsum(count) - count, count)
    frame = _frame(
        "people",
        {
            "id": pid,
            "alliance_id": plan.ids[owner],
            "side": _obj(("us", "partner"))[side],
            "name": name,
            "role": role,
            "org_level": levels[[level_index[lv] for lv in level]],
            "email": email,
        },
    )
    return people, frame


def _alliances(plan: _Plan, people: _People, ours, theirs) -> pd.DataFrame:
    rng, n = plan.rng, plan.n
    start = np.empty(n, dtype="datetime64[D]")
    notes = np.empty(n, dtype=object)
    k = min(n, 12)
    for i in range(k):
        start[i] = np.datetime64(_DEFAULTS[i][4], "D")
        notes[i] = _DEFAULTS[i][8]
    if n > k:
        start[k:] = _days(plan.pstart[0], -rng.integers(60, 2500, n - k))
    sponsor_us = people.name[people.start]
    sponsor_partner = np.where(theirs == None, None, people.name[people.start + 1])  # noqa: E711
    ended = plan.kind == ENDED
    return _frame(
        "alliances",
        {
            "id": plan.ids,
            "name": plan.name,
            "partner": plan.partner,
            "type": plan.type,
            "stage": _obj(STAGES)[plan.stage - 1],
            "start_date": start,
            "end_date": _maybe(ended, plan.last_day),
            "owner": people.name[people.start + 2],
            "our_sponsor": sponsor_us,
            "our_sponsor_level": ours,
            "partner_sponsor": sponsor_partner,
            "partner_sponsor_level": theirs,
            "expected_revenue": plan.revenue,
            "currency": plan.currency,
            "importance": np.concatenate(
                [np.array([d[7] for d in _DEFAULTS[:k]]), rng.integers(1, 6, n - k)]
            ),
            "notes": notes,
        },
    )


def _person_pick(plan: _Plan, people: _People, owners: np.ndarray) -> np.ndarray:
    """A random person (global index) of each given alliance."""
    u = plan.rng.random(owners.size)
    return people.start[owners] + np.floor(u * people.count[owners]).astype(np.int64)
