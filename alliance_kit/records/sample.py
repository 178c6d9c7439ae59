"""The seeded sample portfolio: realistic, coherent alliance records for demos and benchmarks.

Every alliance gets a latent health per crack (0-1) for each quarter, and every record is
drawn from it: a weak crack 1 shows as low-level sponsors and executives skipping the
steering committee, a weak crack 4 as KPI definitions with gaps and late actuals, and so
on. Survey answers are drawn around ``1 + 4 * health`` with a per-side perception bias, so
the health scoring finds, from the records alone, the cracks the generator designed.

The twelve default alliances (``A001`` .. ``A012``) have fixed profiles (``PROFILES``);
beyond twelve, alliances get random profiles, and ended ones get outcomes whose
success correlates with health, so a risk model can be fitted on a large portfolio.
Everything is generated with numpy over the whole portfolio at once (no per-alliance
loops over records), so ten thousand alliances take seconds.
"""

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
    VERSION,
)
from alliance_kit.records.store import typed_frame

QUESTIONNAIRE_VERSION = "2026.1"
STATEMENTS = tuple(f"C{c}.{k}" for c in range(1, 7) for k in range(1, 5))
OUR_ORG = "Halden Systems Inc."
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
_RESPONDENT_ROLES = ("sponsor", "alliance manager", "finance", "operations", "sales")
_COMMENTS = (
    "Sponsor meetings keep getting moved.",
    "KPIs are unclear to my team & the partner's.",
    'The "joint plan" exists only on slides.',
    "Great collaboration this quarter!",
    "We need more engineers > the 2 FTE assigned.",
    "Decisions take weeks; escalation path isn't used.",
    "Strategy was never briefed to sales.",
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


# --- health assessment ------------------------------------------------------------------


def _surveys(plan, ours, theirs, respondents_per_side, survey_periods):
    rng, T = plan.rng, plan.T
    first_t = 0 if survey_periods is None else max(T - survey_periods, 0)
    a, t = np.nonzero(plan.active() & (np.arange(T)[None, :] >= first_t))
    round_ids = _obj(f"{x}-R{p}" for x, p in zip(plan.ids[a], _obj(plan.periods)[t], strict=True))
    opened = _days(plan.pend[t], -35)
    rounds = _frame(
        "assessment_rounds",
        {
            "id": round_ids,
            "alliance_id": plan.ids[a],
            "period": _obj(plan.periods)[t],
            "questionnaire_version": _obj([QUESTIONNAIRE_VERSION] * a.size),
            "opened_on": opened,
            "closes_on": _days(plan.pend[t], -7),
        },
    )
    lo, hi = respondents_per_side
    rs, local = _ragged(rng.integers(lo, hi + 1, 2 * a.size))
    rnd, side = rs // 2, rs % 2
    ra, rt = a[rnd], t[rnd]
    size = rs.size
    role = local % len(_RESPONDENT_ROLES)
    sponsor_level = np.where(side == 0, ours[ra], theirs[ra])
    sponsor_level = np.where(sponsor_level == None, "director", sponsor_level)  # noqa: E711
    level = np.select(
        [role == 0, role == 1],
        [sponsor_level, _choice(rng, ("director", "manager"), size)],
        _choice(rng, ("vp", "director", "manager", "staff"), size),
    )
    first = rng.integers(0, len(_FIRST), size)
    last = rng.integers(0, len(_LAST), size)
    rids = _obj(
        f"{r}-{'U' if s == 0 else 'P'}{j + 1}"
        for r, s, j in zip(round_ids[rnd], side.tolist(), local.tolist(), strict=True)
    )
    respondents = _frame(
        "respondents",
        {
            "id": rids,
            "round_id": round_ids[rnd],
            "side": _obj(("us", "partner"))[side],
            "role": _obj(_RESPONDENT_ROLES)[role],
            "org_level": level,
            "label": _obj(
                f"{_FIRST[x]} {_LAST[y]}"
                for x, y in zip(first.tolist(), last.tolist(), strict=True)
            ),
        },
    )
    # Answers: respondent x statement, vectorized; float32 keeps a million-alliance-row
    # survey small.
    S = len(STATEMENTS)
    crack = np.repeat(np.arange(6), 4)
    h = plan.health[ra[:, None], crack[None, :], rt[:, None]].astype(np.float32)
    mu = 1 + 4 * h + plan.bias[ra[:, None], side[:, None], crack[None, :]].astype(np.float32)
    mu += rng.normal(0, 0.25, (size, 1)).astype(np.float32)
    mu += rng.normal(0, 0.5, (size, S)).astype(np.float32)
    score = np.clip(np.rint(mu), 1, 5).astype(np.int8)
    dk_rate = 0.03 + 0.1 * (1 - h) + np.isin(crack, (1, 3))[None, :] * 0.4 * np.maximum(0.75 - h, 0)
    dont_know = rng.random((size, S), dtype=np.float32) < dk_rate
    del mu, h, dk_rate
    comments = _obj(_COMMENTS)
    has_comment = rng.random((size, S), dtype=np.float32) < 0.03
    comment = np.full((size, S), None, dtype=object)
    comment[has_comment] = comments[rng.integers(0, len(comments), int(has_comment.sum()))]
    start = opened[rnd].astype("datetime64[s]") + (
        rng.integers(0, 26 * 86400, size) // 60 * 60
    ).astype("timedelta64[s]")
    step = rng.integers(15, 90, (size, S)).cumsum(1).astype("timedelta64[s]")
    answered = start[:, None] + step
    scores = pd.array(score.ravel(), dtype="Int64")
    scores[dont_know.ravel()] = pd.NA
    answers = typed_frame(
        TABLES["answers"],
        pd.DataFrame(
            {
                "respondent_id": pd.Series(np.repeat(rids, S), dtype=object),
                "statement_id": pd.Series(np.tile(_obj(STATEMENTS), size), dtype=object),
                "score": scores,
                "comment": pd.Series(comment.ravel(), dtype=object),
                "answered_at": answered.ravel().astype("datetime64[ns]"),
            },
            copy=False,
        ),
    )
    return rounds, respondents, answers


def _outcomes(plan: _Plan) -> pd.DataFrame:
    rng = plan.rng
    ended = np.flatnonzero(plan.kind == ENDED)
    mean_h = plan.health[ended, :, plan.end_t[ended]].mean(1)
    p_fail = 1 / (1 + np.exp(-(0.55 - mean_h) * 12))
    failed = rng.random(ended.size) < p_fail
    outcome = np.where(
        failed, _choice(rng, ("failed", "failed", "exited"), ended.size), "succeeded"
    )
    outcome = outcome.astype(object)
    outcome[ended == 11] = "failed"
    notes = {
        "failed": "Partner disengaged; targets missed for three quarters & resources never filled.",
        "exited": "Exited by mutual agreement after a strategy change.",
        "succeeded": "Objectives met; relationship completed as planned.",
    }
    return _frame(
        "outcomes",
        {
            "alliance_id": plan.ids[ended],
            "outcome": outcome,
            "ended_on": plan.last_day[ended],
            "notes": _obj(notes[o] for o in outcome),
        },
    )


# --- the portfolio ------------------------------------------------------------------------


def portfolio(
    n_alliances: int = 12,
    seed: int = 7,
    last_period: str | None = None,
    n_periods: int = 6,
    *,
    respondents_per_side: tuple[int, int] = (3, 6),
    survey_periods: int | None = None,
) -> dict[str, pd.DataFrame]:
    """A coherent sample portfolio: one typed frame per table of the model.

    Deterministic for given arguments. ``last_period`` (default: the last closed quarter)
    ends the ``n_periods`` quarters of history. For large benchmark portfolios the surveys
    can be thinned: ``respondents_per_side=(lo, hi)`` per round and side, and
    ``survey_periods`` (the most recent quarters that have an assessment round).
    """
    lo, hi = respondents_per_side
    if not 1 <= lo <= hi:
        raise ValueError("respondents_per_side must be (lo, hi) with 1 <= lo <= hi")
    plan = _plan(n_alliances, seed, last_period, n_periods)
    ours, theirs = _sponsor_levels(plan)
    people, people_frame = _people(plan, ours, theirs)
    out: dict[str, pd.DataFrame] = {
        "alliances": _alliances(plan, people, ours, theirs),
        "people": people_frame,
        "strategies": _strategies(plan),
    }
    obj_owner, out["objectives"] = _objectives(plan)
    objective_ids = out["objectives"]["id"].to_numpy(dtype=object)
    kpi_owner, base, target, pct, whole, out["kpis"] = _kpis(
        plan, people, obj_owner, out["objectives"]
    )
    out["kpi_actuals"] = _kpi_actuals(
        plan, kpi_owner, out["kpis"]["id"].to_numpy(dtype=object), base, target, pct, whole
    )
    out["business_cases"], out["business_case_lines"] = _business_cases(plan)
    ag_owner, ag_draft, ag_signed, out["agreements"] = _agreements(plan, people)
    ag_ids = out["agreements"]["id"].to_numpy(dtype=object)
    ag_local = np.arange(ag_owner.size) - np.searchsorted(ag_owner, ag_owner)
    out["obligations"] = _obligations(plan, people, ag_owner, ag_draft, ag_signed, ag_ids)
    out["briefings"] = _briefings(plan, ag_owner, ag_local, ag_draft, ag_signed, ag_ids)
    bodies, out["governance_bodies"], out["body_members"] = _governance(plan, people)
    m_body, m_t, m_held, m_held_on, m_ids, out["meetings"] = _meetings(plan, bodies)
    out["attendance"] = _attendance(plan, people, bodies, m_body, m_t, m_held, m_ids)
    out["decisions"] = _decisions(plan, bodies, m_body, m_t, m_held, m_held_on, m_ids)
    out["raci"] = _raci(plan)
    out["actions"] = _actions(
        plan, people, obj_owner, objective_ids, bodies, m_body, m_t, m_held, m_held_on, m_ids
    )
    out["resources"] = _resources(plan)
    out["risks"], out["risk_reviews"] = _risks(plan, people)
    out["issues"] = _issues(plan, people)
    out["lessons"] = _lessons(plan)
    out["documents"] = _documents(plan)
    out["assessment_rounds"], out["respondents"], out["answers"] = _surveys(
        plan, ours, theirs, respondents_per_side, survey_periods
    )
    out["outcomes"] = _outcomes(plan)
    # Every sample record is new to a store: version 1.
    return {name: out[name].assign(**{VERSION: 1}).astype({VERSION: "Int64"}) for name in TABLES}


def load(store, **kw) -> dict[str, int]:
    """Replace the store's content with a sample portfolio; returns rows written per table."""
    return store.replace_all(portfolio(**kw))


def holds_sample(store, *, seeds: tuple[int, ...] = ()) -> bool:
    """Whether the store holds exactly a sample portfolio as ``demo`` loads it (the
    default seed or one of ``seeds``, for its own number of alliances and last quarter)
    and nothing else: such a store may be replaced by ``demo`` without asking."""
    from alliance_kit.records import changes

    held = store.holds_records()
    if not held or "invitations" in held:
        return False
    stored = store.read_all()
    ids = stored["alliances"]["id"].tolist()
    if ids != [f"A{i + 1:03d}" for i in range(len(ids))]:
        return False
    periods = [
        str(df["period"].max())
        for df in stored.values()
        if "period" in df.columns and df["period"].notna().any()
    ]
    if not periods:
        return False
    for seed in dict.fromkeys((*seeds, 7)):
        sample = portfolio(n_alliances=len(ids), seed=seed, last_period=max(periods))
        if changes.diff(stored, sample, mode="replace").empty:
            return True
    return False
