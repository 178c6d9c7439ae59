"""The alliance records: one SQLAlchemy table per record type.

Every column carries its intake rules in ``info`` (allowed values, ranges, pattern,
a note for the intake workbook), so the store, the validator, the intake template and
the widget forms all read one definition. Ids are short text keys chosen by the user
or generated (``A001``, ``KPI-0007``) so that records can reference each other across
sheets of an intake workbook.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from alliance_kit.records.keys import fold

PERIOD_PATTERN = r"^[0-9]{4}-Q[1-4]\Z"
PERIOD_SHAPE = "a quarter written like 2026-Q3"

ALLIANCE_TYPES = (
    "co-sell",
    "technology",
    "co-development",
    "distribution",
    "reseller",
    "joint venture",
    "outsourcing",
    "licensing",
)
# ISO 44001's eight stages of a collaborative business relationship.
STAGES = (
    "1 operational awareness",
    "2 knowledge",
    "3 internal assessment",
    "4 partner selection",
    "5 working together",
    "6 value creation",
    "7 staying together",
    "8 exit strategy",
)
# Organizational levels, most senior first; ORG_LEVEL_RANK gives 5 (board) .. 0.
ORG_LEVELS = ("board", "c-level", "svp", "vp", "director", "manager", "staff")
ORG_LEVEL_RANK = {level: len(ORG_LEVELS) - 1 - i for i, level in enumerate(ORG_LEVELS)}
SIDES = ("us", "partner")
#: The life over which a lifetime failure probability is spread at a constant yearly
#: hazard: one horizon for the health model's risk and the business case.
ALLIANCE_LIFE_YEARS = 5.0

#: One plain e-mail address (no display name, no list): what a person's or respondent's
#: address must be before anything is sent to it.
_ADDRESS = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+\Z")


def address_fault(address: str | None) -> str | None:
    """What is wrong with an e-mail address, or None when it is one plain address."""
    if address is None or not str(address).strip():
        return "no e-mail address"
    if len(address) > 254 or not _ADDRESS.match(address.strip()):
        return f"{address!r} is not one e-mail address like name@example.com"
    return None


def _iso_currencies() -> dict[str, str]:
    """Code -> name of the ISO 4217 currencies in force, from pycountry (which follows the
    ISO list as Debian's iso-codes maintain it), less ``XTS`` (reserved for testing) and
    ``XXX`` (no currency), which no amount is in."""
    import pycountry

    return {
        c.alpha_3: c.name
        for c in sorted(pycountry.currencies, key=lambda c: c.alpha_3)
        if c.alpha_3 not in ("XTS", "XXX")
    }


#: Names of the currencies an alliance's money may be in (every ISO 4217 currency).
CURRENCY_NAMES: dict[str, str] = _iso_currencies()
CURRENCIES = tuple(CURRENCY_NAMES)
CURRENCY_SHAPE = "an ISO 4217 currency code such as USD, EUR or NOK"
KPI_DIRECTIONS = ("increase", "decrease")
CADENCES = ("monthly", "quarterly", "semiannual", "annual")
BUSINESS_CASE_CATEGORIES = ("investment", "cost", "revenue")
PLAN_OR_ACTUAL = ("plan", "actual")
SCENARIOS = ("base", "upside", "downside")
AGREEMENT_TYPES = (
    "NDA",
    "MoU",
    "master alliance agreement",
    "statement of work",
    "reseller agreement",
    "licence agreement",
    "joint venture agreement",
    "data sharing agreement",
)
AGREEMENT_STATUSES = ("draft", "negotiation", "signed", "active", "expired", "terminated")
OBLIGATION_STATUSES = ("open", "done", "waived")
BODY_KINDS = ("executive steering committee", "joint operating committee", "working team")
MEETING_STATUSES = ("planned", "held", "cancelled")
ACTION_KINDS = ("meeting action", "activity", "improvement")
ACTION_STATUSES = ("open", "in progress", "done", "cancelled")
RACI_ROLES = ("R", "A", "C", "I")
RISK_STATUSES = ("open", "mitigating", "closed")
ISSUE_SEVERITIES = ("low", "medium", "high", "critical")
BRIEFING_TOPICS = ("strategy", "agreement", "kpis", "governance", "business case")
DOCUMENT_KINDS = (
    "relationship management plan",
    "initial risk assessment",
    "business strategy",
    "value analysis",
    "exit considerations",
    "collaborative profile",
    "partner selection criteria",
    "governance charter",
    "roles and responsibilities",
    "value creation process",
    "joint review",
    "exit strategy",
    "business case",
    "strategy document",
)
DOCUMENT_STATUSES = ("draft", "approved", "superseded")
OUTCOMES = ("succeeded", "failed", "exited")
CRACKS = (1, 2, 3, 4, 5, 6)


# --- what ids and text may hold -----------------------------------------------------------
#
# One definition, read by the intake validator, the forms, the survey page and the store's
# write path (a last guard): every record that passes can be written to PostgreSQL (no NUL),
# exported to xlsx (no XML-illegal characters) and used to name a file (ids).

#: Ids are at most this long (the id columns are String(40)).
ID_MAX = 40
#: An id: ASCII letters and digits, then also ``.``, ``_`` and ``-``; so an id can name a
#: file in any folder (no separator, no ``..``, not hidden) and reads the same everywhere.
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*\Z"
ID_SHAPE = (
    f"an id of at most {ID_MAX} characters: letters A-Z or a-z, digits, '.', '_' or '-', "
    "starting with a letter or digit (such as A001 or KPI-0007)"
)
#: Alliance ids that would collide with a file or key the report batch writes (the
#: portfolio report, the index, the manifest) or that Windows reserves; any letter case.
RESERVED_ALLIANCE_IDS = frozenset(
    {"portfolio", "index", "manifest", "con", "prn", "aux", "nul"}
    | {f"{dev}{n}" for dev in ("com", "lpt") for n in range(10)}
)
#: Ends of an id the batch uses for its own files (``<id>.failed.ipynb``).
RESERVED_ID_SUFFIXES = (".failed",)
_ID = re.compile(ID_PATTERN)
#: Characters text may not hold: C0 controls other than tab, line feed and carriage return
#: (PostgreSQL refuses NUL; XML, hence xlsx, refuses the rest), lone surrogates (no UTF-8
#: for them) and the non-characters U+FFFE, U+FFFF (not XML either). Line breaks are
#: written LF by the intake, the forms and the survey (:func:`unix_lines`): a lone CR
#: would come back from xlsx as LF and split a CSV row.
FORBIDDEN_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
TEXT_SHAPE = "text without control characters (tabs and line breaks are fine)"


def unix_lines(text: str) -> str:
    """Line breaks written as LF (CR LF and CR from Windows and old Mac files)."""
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def visible(text: str) -> str:
    """``text`` with its forbidden characters written as escapes (``\\x00``), for messages."""
    return FORBIDDEN_TEXT.sub(lambda m: m.group().encode("unicode_escape").decode(), text)


def text_fault(value: object) -> str | None:
    """What keeps a text value from being stored (see FORBIDDEN_TEXT), or None."""
    if not isinstance(value, str):
        return None
    found = FORBIDDEN_TEXT.search(value)
    if found is None:
        return None
    return f"{TEXT_SHAPE}; found {visible(found.group())} at character {found.start() + 1}"


def id_fault(value: object, *, alliance: bool = False) -> str | None:
    """What keeps ``value`` from being an id (an alliance id if ``alliance``), or None."""
    if not isinstance(value, str) or not _ID.match(value) or len(value) > ID_MAX:
        return ID_SHAPE
    if alliance:
        folded = value.casefold()
        if folded in RESERVED_ALLIANCE_IDS or folded.endswith(RESERVED_ID_SUFFIXES):
            return (
                "an alliance id other than portfolio, index, manifest, a device name "
                "(con, nul, com1, ...) or one ending in .failed: the report batch names "
                "its own files so"
            )
    return None


#: Values scanned together: one join and one regex search per chunk (C-level loops), the
#: joined text of a chunk staying small however large the table.
_CHUNK = 1 << 16


def _joined(chunk: list[object], sep: str) -> str:
    """The text values of ``chunk`` joined by ``sep`` (None and empty text left out)."""
    try:
        return sep.join(filter(None, chunk))
    except TypeError:  # numbers or NaN among the values: only the text is scanned
        return sep.join(v for v in chunk if isinstance(v, str) and v)


def fold_ids(ids: list[str]) -> list[str]:
    """:func:`alliance_kit.records.keys.fold` of many ids (the form under which two ids are the
    same id: ``a001`` and ``Ａ001`` are ``A001``): one lower() of the joined ids when they
    are ASCII without whitespace (NFKC, strip and casefold change nothing else then), else
    one by one."""
    joined = "\n".join(ids)
    if joined.isascii() and len(joined.split()) == len(ids):
        return joined.lower().split("\n") if ids else []
    return [fold(v) for v in ids]


def bad_text(values: Iterable[object]) -> list[int]:
    """Positions of the values holding forbidden characters (None and non-text skipped).
    A scan of the joined text per chunk; values are looked at one by one only in a chunk
    where that scan found something, which is nearly never."""
    items = values if isinstance(values, list) else list(values)
    found: list[int] = []
    for start in range(0, len(items), _CHUNK):
        chunk = items[start : start + _CHUNK]
        if FORBIDDEN_TEXT.search(_joined(chunk, "")):
            found += [start + i for i, v in enumerate(chunk) if text_fault(v)]
    return found


def bad_ids(values: Iterable[object]) -> list[int]:
    """Positions of the text values that are not ids (anything else is skipped: missing
    values are the validator's to report), scanned as :func:`bad_text` scans text."""
    items = values if isinstance(values, list) else list(values)
    found: list[int] = []
    for start in range(0, len(items), _CHUNK):
        chunk = items[start : start + _CHUNK]
        if _NOT_ID.search("\n" + _joined(chunk, "\n")) or "" in chunk:
            found += [start + i for i, v in enumerate(chunk) if isinstance(v, str) and id_fault(v)]
    return found


class RecordRefused(ValueError):
    """A value no record may hold reached the store's write path (the intake, the forms
    and the survey refuse it with a located message before it gets there)."""


def refuse_bad_values(table: str, columns: dict[str, list[object]], ids: Iterable[str]) -> None:
    """Raise RecordRefused naming the first row and column whose text holds forbidden
    characters, or whose id (a column in ``ids``) is not an id."""
    for name, values in columns.items():
        rows = bad_ids(values) if name in ids else bad_text(values)
        if rows:
            value = values[rows[0]]
            fault = id_fault(value) if name in ids else text_fault(value)
            shown = visible(value) if isinstance(value, str) else repr(value)
            raise RecordRefused(
                f"not stored: {table}, record {rows[0] + 1}, column {name}: {shown} — "
                f"expected {fault}"
            )


#: Anything that cannot be in a list of ids joined by newlines: a character outside the
#: id alphabet, an id that starts with '.', '_' or '-', or one longer than ID_MAX.
_NOT_ID = re.compile(rf"[^A-Za-z0-9._\n-]|\n(?![A-Za-z0-9])|[A-Za-z0-9._-]{{{ID_MAX + 1}}}")


def rule(
    note: str = "",
    *,
    choices: tuple[Any, ...] | None = None,
    min: float | None = None,  # noqa: A002 - reads naturally at the call site
    max: float | None = None,  # noqa: A002
    pattern: str | None = None,
    shape: str | None = None,
    unique: bool = False,
    share: bool = False,
    choice_names: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Intake rules for one column, kept in the column's ``info``. ``shape`` says in words
    what a value looks like (a pattern, or a list of choices too long to name); ``share``
    marks a number from 0 to 1 that may also be typed as a percentage (``40%``);
    ``choice_names`` names the choices, for suggestions when a value is none of them."""
    return {
        k: v
        for k, v in {
            "note": note,
            "choices": choices,
            "min": min,
            "max": max,
            "pattern": pattern,
            "shape": shape,
            "unique": unique,
            "share": share,
            "choice_names": choice_names,
        }.items()
        if not (v is None or v is False or v == "")  # keep min=0 (0 == False)
    }


def value_kind(column: Any) -> str:
    """What a column holds, as intake, store and forms treat it: datetime, date, bool,
    int, float or text."""
    t = column.type
    if isinstance(t, DateTime):
        return "datetime"
    if isinstance(t, Date):
        return "date"
    if isinstance(t, Boolean):
        return "bool"
    if isinstance(t, Integer):
        return "int"
    if isinstance(t, Float):
        return "float"
    return "text"


class Base(DeclarativeBase):
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


#: The column every record carries: 1 when created, one more at each update through the
#: store. A form (or a merge import) that saves a row holding an older version than the
#: store's is refused instead of overwriting someone else's change.
VERSION = "version"


class Versioned:
    """Mixin of the record tables: the ``version`` column, last in every sheet."""

    version: Mapped[int] = mapped_column(
        Integer,
        nullable=False,
        default=1,
        server_default="1",
        sort_order=1000,
        info=rule(
            "set by alliance-kit: the record's version when exported; keep it as exported "
            "(empty for a new record)",
            min=1,
        ),
    )


def _fk(target: str, *, nullable: bool = False, note: str = "") -> Mapped[Any]:
    return mapped_column(
        String(40),
        ForeignKey(target, ondelete="CASCADE"),
        nullable=nullable,
        index=True,
        info=rule(note or f"id of a row in {target.split('.')[0]}"),
    )


def _id(note: str) -> Mapped[str]:
    return mapped_column(
        String(ID_MAX), primary_key=True, info=rule(note, pattern=ID_PATTERN, shape=ID_SHAPE)
    )


def _text(note: str = "", *, nullable: bool = True, choices=None, length: int | None = None):
    return mapped_column(
        String(length) if length else Text,
        nullable=nullable,
        info=rule(note, choices=choices),
    )


def _period(note: str = "calendar quarter such as 2026-Q3") -> Mapped[str]:
    return mapped_column(
        String(7),
        nullable=False,
        index=True,
        info=rule(note, pattern=PERIOD_PATTERN, shape=PERIOD_SHAPE),
    )


def _date(note: str = "", *, nullable: bool = True) -> Mapped[dt.date | None]:
    return mapped_column(Date, nullable=nullable, info=rule(note or "date, YYYY-MM-DD"))


def _num(note: str = "", *, nullable: bool = True, min=None, max=None) -> Mapped[float | None]:
    return mapped_column(Float, nullable=nullable, info=rule(note, min=min, max=max))


def _share(note: str, *, nullable: bool = True) -> Mapped[float | None]:
    """A share from 0 to 1; the intake also reads a percentage (``40%`` as 0.40)."""
    return mapped_column(Float, nullable=nullable, info=rule(note, min=0, max=1, share=True))


def _int(note: str = "", *, nullable: bool = True, min=None, max=None, choices=None):
    return mapped_column(
        Integer, nullable=nullable, info=rule(note, min=min, max=max, choices=choices)
    )


def _flag(note: str = "") -> Mapped[bool]:
    return mapped_column(Boolean, nullable=False, default=False, info=rule(note or "yes or no"))


def _crack() -> Mapped[int | None]:
    return _int("the crack (1-6) this addresses, if any", choices=CRACKS)


# --- the alliance and its people ---------------------------------------------------


class Alliance(Versioned, Base):
    __tablename__ = "alliances"
    id: Mapped[str] = _id("alliance id, e.g. A001")
    name: Mapped[str] = _text("alliance name", nullable=False, length=200)
    partner: Mapped[str] = _text("partner organization", nullable=False, length=200)
    type: Mapped[str] = _text("kind of alliance", nullable=False, choices=ALLIANCE_TYPES, length=40)
    stage: Mapped[str] = _text(
        "ISO 44001 lifecycle stage", nullable=False, choices=STAGES, length=40
    )
    start_date: Mapped[dt.date] = _date("date the alliance started", nullable=False)
    end_date: Mapped[dt.date | None] = _date("date it ended, if it has")
    owner: Mapped[str] = _text("our alliance manager", nullable=False, length=200)
    our_sponsor: Mapped[str | None] = _text("our executive sponsor", length=200)
    our_sponsor_level: Mapped[str | None] = _text(
        "our sponsor's level", choices=ORG_LEVELS, length=20
    )
    partner_sponsor: Mapped[str | None] = _text("partner's executive sponsor", length=200)
    partner_sponsor_level: Mapped[str | None] = _text(
        "partner sponsor's level", choices=ORG_LEVELS, length=20
    )
    expected_revenue: Mapped[float] = _num("expected annual revenue to us", nullable=False, min=0)
    currency: Mapped[str] = mapped_column(
        String(3),
        nullable=False,
        info=rule(
            "ISO 4217 currency code",
            choices=CURRENCIES,
            shape=CURRENCY_SHAPE,
            choice_names=CURRENCY_NAMES,
        ),
    )
    importance: Mapped[int] = _int(
        "strategic importance, 1 (low) to 5 (critical)", nullable=False, min=1, max=5
    )
    notes: Mapped[str | None] = _text("free notes")


class Person(Versioned, Base):
    __tablename__ = "people"
    id: Mapped[str] = _id("person id")
    alliance_id: Mapped[str] = _fk("alliances.id")
    side: Mapped[str] = _text("us or partner", nullable=False, choices=SIDES, length=10)
    name: Mapped[str] = _text("full name", nullable=False, length=200)
    role: Mapped[str | None] = _text("role in the alliance", length=200)
    org_level: Mapped[str] = _text(
        "organizational level", nullable=False, choices=ORG_LEVELS, length=20
    )
    email: Mapped[str | None] = _text("contact e-mail", length=200)


# --- Imagine: strategy, goals & KPIs, business case ----------------------------------


class Strategy(Versioned, Base):
    __tablename__ = "strategies"
    alliance_id: Mapped[str] = mapped_column(
        String(40),
        ForeignKey("alliances.id", ondelete="CASCADE"),
        primary_key=True,
        info=rule("alliance id; one strategy per alliance"),
    )
    vision: Mapped[str | None] = _text("the vision for the relationship")
    scope_in: Mapped[str | None] = _text("what is in scope")
    scope_out: Mapped[str | None] = _text("what is explicitly out of scope")
    value_us: Mapped[str | None] = _text("value proposition for us")
    value_partner: Mapped[str | None] = _text("value proposition for the partner")
    target_markets: Mapped[str | None] = _text("target markets and segments")
    documented_on: Mapped[dt.date | None] = _date("date the strategy was documented")
    approved_us_on: Mapped[dt.date | None] = _date("date we approved it")
    approved_partner_on: Mapped[dt.date | None] = _date("date the partner approved it")


class Objective(Versioned, Base):
    __tablename__ = "objectives"
    id: Mapped[str] = _id("objective id")
    alliance_id: Mapped[str] = _fk("alliances.id")
    title: Mapped[str] = _text("the objective", nullable=False)
    description: Mapped[str | None] = _text("what achieving it means")


class Kpi(Versioned, Base):
    __tablename__ = "kpis"
    id: Mapped[str] = _id("KPI id")
    alliance_id: Mapped[str] = _fk("alliances.id")
    objective_id: Mapped[str | None] = _fk(
        "objectives.id", nullable=True, note="objective it measures"
    )
    name: Mapped[str] = _text("KPI name", nullable=False, length=200)
    owner: Mapped[str | None] = _text("who reports it", length=200)
    owner_side: Mapped[str | None] = _text("whose KPI: us or partner", choices=SIDES, length=10)
    unit: Mapped[str | None] = _text("unit, e.g. USD, %, count", length=40)
    direction: Mapped[str] = _text(
        "increase or decrease is better", nullable=False, choices=KPI_DIRECTIONS, length=10
    )
    baseline: Mapped[float | None] = _num("value at the start")
    target: Mapped[float | None] = _num("value to reach by the due date")
    due_date: Mapped[dt.date | None] = _date("date the target is due")
    cadence: Mapped[str | None] = _text("how often it is reported", choices=CADENCES, length=20)
    data_source: Mapped[str | None] = _text("where the figure comes from", length=200)
    agreed_by_both: Mapped[bool] = _flag("agreed by both partners")


class KpiActual(Versioned, Base):
    __tablename__ = "kpi_actuals"
    kpi_id: Mapped[str] = mapped_column(
        String(40),
        ForeignKey("kpis.id", ondelete="CASCADE"),
        primary_key=True,
        info=rule("KPI id"),
    )
    period: Mapped[str] = mapped_column(
        String(7),
        primary_key=True,
        info=rule("quarter, e.g. 2026-Q3", pattern=PERIOD_PATTERN, shape=PERIOD_SHAPE),
    )
    value: Mapped[float] = _num("the actual value", nullable=False)
    reported_on: Mapped[dt.date | None] = _date("date the actual was reported")


class BusinessCase(Versioned, Base):
    __tablename__ = "business_cases"
    alliance_id: Mapped[str] = mapped_column(
        String(40),
        ForeignKey("alliances.id", ondelete="CASCADE"),
        primary_key=True,
        info=rule("alliance id; one business case per alliance"),
    )
    discount_rate: Mapped[float] = _share(
        "annual discount rate, 0.10 or 10% for ten per cent", nullable=False
    )
    horizon_years: Mapped[int] = _int("years the case covers", nullable=False, min=1, max=30)
    first_year: Mapped[int] = _int("calendar year of year 1", nullable=False, min=1990, max=2100)
    assumptions: Mapped[str | None] = _text("key assumptions")
    approved_on: Mapped[dt.date | None] = _date("date the business case was approved")


class BusinessCaseLine(Versioned, Base):
    __tablename__ = "business_case_lines"
    id: Mapped[str] = _id("line id")
    alliance_id: Mapped[str] = _fk("alliances.id")
    side: Mapped[str] = _text(
        "whose money: us or partner", nullable=False, choices=SIDES, length=10
    )
    year: Mapped[int] = _int("calendar year", nullable=False, min=1990, max=2100)
    category: Mapped[str] = _text(
        "investment, cost or revenue", nullable=False, choices=BUSINESS_CASE_CATEGORIES, length=20
    )
    item: Mapped[str] = _text("what the line is", nullable=False, length=200)
    amount: Mapped[float] = _num(
        "amount in the alliance currency (positive)", nullable=False, min=0
    )
    kind: Mapped[str] = _text("plan or actual", nullable=False, choices=PLAN_OR_ACTUAL, length=10)
    assumption: Mapped[str | None] = _text("the assumption behind it")


# --- Align: agreements & contracts, governance ---------------------------------------


class Agreement(Versioned, Base):
    __tablename__ = "agreements"
    id: Mapped[str] = _id("agreement id")
    alliance_id: Mapped[str] = _fk("alliances.id")
    type: Mapped[str] = _text(
        "kind of agreement", nullable=False, choices=AGREEMENT_TYPES, length=40
    )
    title: Mapped[str] = _text("title", nullable=False, length=200)
    parties: Mapped[str | None] = _text("parties to it")
    status: Mapped[str] = _text("status", nullable=False, choices=AGREEMENT_STATUSES, length=20)
    signed_on: Mapped[dt.date | None] = _date("date signed")
    effective_on: Mapped[dt.date | None] = _date("date it takes effect")
    expires_on: Mapped[dt.date | None] = _date("date it expires")
    notice_days: Mapped[int | None] = _int(
        "renewal/termination notice period in days", min=0, max=3650
    )
    auto_renew: Mapped[bool] = _flag("renews automatically unless notice is given")
    exit_provisions: Mapped[str | None] = _text("how either party can exit")


class Obligation(Versioned, Base):
    __tablename__ = "obligations"
    id: Mapped[str] = _id("obligation id")
    agreement_id: Mapped[str] = _fk("agreements.id")
    description: Mapped[str] = _text("what must be done", nullable=False)
    owner: Mapped[str] = _text("who is responsible", nullable=False, length=200)
    owner_side: Mapped[str] = _text("us or partner", nullable=False, choices=SIDES, length=10)
    due_on: Mapped[dt.date] = _date("date due", nullable=False)
    status: Mapped[str] = _text(
        "open, done or waived", nullable=False, choices=OBLIGATION_STATUSES, length=10
    )
    completed_on: Mapped[dt.date | None] = _date("date completed")


class Briefing(Versioned, Base):
    __tablename__ = "briefings"
    id: Mapped[str] = _id("briefing id")
    alliance_id: Mapped[str] = _fk("alliances.id")
    topic: Mapped[str] = _text(
        "what was communicated", nullable=False, choices=BRIEFING_TOPICS, length=20
    )
    agreement_id: Mapped[str | None] = _fk(
        "agreements.id", nullable=True, note="agreement briefed on, if any"
    )
    side: Mapped[str] = _text("us or partner", nullable=False, choices=SIDES, length=10)
    audience: Mapped[str] = _text("who was briefed (person or group)", nullable=False, length=200)
    briefed_on: Mapped[dt.date] = _date("date of the briefing", nullable=False)
    acknowledged: Mapped[bool] = _flag("the audience acknowledged it")


class GovernanceBody(Versioned, Base):
    __tablename__ = "governance_bodies"
    id: Mapped[str] = _id("body id")
    alliance_id: Mapped[str] = _fk("alliances.id")
    name: Mapped[str] = _text("name", nullable=False, length=200)
    kind: Mapped[str] = _text("kind of body", nullable=False, choices=BODY_KINDS, length=40)
    meetings_per_year: Mapped[int] = _int("planned meetings a year", nullable=False, min=0, max=365)
    # Not a foreign key: bodies in one intake sheet may escalate to a body listed below them.
    escalates_to: Mapped[str | None] = mapped_column(
        String(40),
        nullable=True,
        info=rule("id of the body that issues escalate to") | {"ref": "governance_bodies.id"},
    )


class BodyMember(Versioned, Base):
    __tablename__ = "body_members"
    body_id: Mapped[str] = mapped_column(
        String(40),
        ForeignKey("governance_bodies.id", ondelete="CASCADE"),
        primary_key=True,
        info=rule("body id"),
    )
    person_id: Mapped[str] = mapped_column(
        String(40),
        ForeignKey("people.id", ondelete="CASCADE"),
        primary_key=True,
        info=rule("person id"),
    )
    role: Mapped[str | None] = _text("chair, member, secretary", length=40)


class Meeting(Versioned, Base):
    __tablename__ = "meetings"
    id: Mapped[str] = _id("meeting id")
    body_id: Mapped[str] = _fk("governance_bodies.id")
    planned_on: Mapped[dt.date] = _date("date planned", nullable=False)
    held_on: Mapped[dt.date | None] = _date("date held, empty if not held")
    status: Mapped[str] = _text(
        "planned, held or cancelled", nullable=False, choices=MEETING_STATUSES, length=10
    )
    notes: Mapped[str | None] = _text("minutes or notes")


class Attendance(Versioned, Base):
    __tablename__ = "attendance"
    meeting_id: Mapped[str] = mapped_column(
        String(40),
        ForeignKey("meetings.id", ondelete="CASCADE"),
        primary_key=True,
        info=rule("meeting id"),
    )
    person_id: Mapped[str] = mapped_column(
        String(40),
        ForeignKey("people.id", ondelete="CASCADE"),
        primary_key=True,
        info=rule("person id"),
    )
    attended: Mapped[bool] = _flag("was present")


class Decision(Versioned, Base):
    __tablename__ = "decisions"
    id: Mapped[str] = _id("decision id")
    alliance_id: Mapped[str] = _fk("alliances.id")
    meeting_id: Mapped[str | None] = _fk(
        "meetings.id", nullable=True, note="meeting where it was decided"
    )
    title: Mapped[str] = _text("what was to be decided", nullable=False)
    raised_on: Mapped[dt.date] = _date("date the decision was asked for", nullable=False)
    decided_on: Mapped[dt.date | None] = _date("date decided, empty while pending")


class RaciEntry(Versioned, Base):
    __tablename__ = "raci"
    id: Mapped[str] = _id("RACI entry id")
    alliance_id: Mapped[str] = _fk("alliances.id")
    decision_area: Mapped[str] = _text("the key decision", nullable=False, length=200)
    party: Mapped[str] = _text("person, role or body", nullable=False, length=200)
    role: Mapped[str] = _text("R, A, C or I", nullable=False, choices=RACI_ROLES, length=1)


# --- Succeed: operations, resources, improvement -------------------------------------


class Action(Versioned, Base):
    __tablename__ = "actions"
    id: Mapped[str] = _id("action id")
    alliance_id: Mapped[str] = _fk("alliances.id")
    kind: Mapped[str] = _text(
        "meeting action, activity or improvement", nullable=False, choices=ACTION_KINDS, length=20
    )
    meeting_id: Mapped[str | None] = _fk(
        "meetings.id", nullable=True, note="meeting that raised it"
    )
    objective_id: Mapped[str | None] = _fk(
        "objectives.id", nullable=True, note="objective it serves"
    )
    title: Mapped[str] = _text("what is to be done", nullable=False)
    owner: Mapped[str] = _text("who does it", nullable=False, length=200)
    owner_side: Mapped[str] = _text("us or partner", nullable=False, choices=SIDES, length=10)
    opened_on: Mapped[dt.date] = _date("date opened", nullable=False)
    due_on: Mapped[dt.date | None] = _date("date due")
    status: Mapped[str] = _text("status", nullable=False, choices=ACTION_STATUSES, length=20)
    closed_on: Mapped[dt.date | None] = _date("date closed")
    crack: Mapped[int | None] = _crack()


class Resource(Versioned, Base):
    __tablename__ = "resources"
    id: Mapped[str] = _id("resource line id")
    alliance_id: Mapped[str] = _fk("alliances.id")
    side: Mapped[str] = _text("us or partner", nullable=False, choices=SIDES, length=10)
    period: Mapped[str] = _period()
    fte_committed: Mapped[float] = _num("full-time equivalents committed", nullable=False, min=0)
    fte_assigned: Mapped[float] = _num(
        "full-time equivalents actually assigned", nullable=False, min=0
    )
    budget_committed: Mapped[float] = _num("budget committed", nullable=False, min=0)
    budget_assigned: Mapped[float] = _num("budget actually made available", nullable=False, min=0)


class Risk(Versioned, Base):
    __tablename__ = "risks"
    id: Mapped[str] = _id("risk id")
    alliance_id: Mapped[str] = _fk("alliances.id")
    title: Mapped[str] = _text("the risk", nullable=False)
    owner: Mapped[str] = _text("who owns it", nullable=False, length=200)
    mitigation: Mapped[str | None] = _text("how it is mitigated")
    status: Mapped[str] = _text(
        "open, mitigating or closed", nullable=False, choices=RISK_STATUSES, length=20
    )
    raised_on: Mapped[dt.date] = _date("date raised", nullable=False)
    crack: Mapped[int | None] = _crack()


class RiskReview(Versioned, Base):
    __tablename__ = "risk_reviews"
    risk_id: Mapped[str] = mapped_column(
        String(40),
        ForeignKey("risks.id", ondelete="CASCADE"),
        primary_key=True,
        info=rule("risk id"),
    )
    period: Mapped[str] = mapped_column(
        String(7),
        primary_key=True,
        info=rule("quarter", pattern=PERIOD_PATTERN, shape=PERIOD_SHAPE),
    )
    likelihood: Mapped[int] = _int("1 (rare) to 5 (almost certain)", nullable=False, min=1, max=5)
    impact: Mapped[int] = _int("1 (minor) to 5 (severe)", nullable=False, min=1, max=5)


class Issue(Versioned, Base):
    __tablename__ = "issues"
    id: Mapped[str] = _id("issue id")
    alliance_id: Mapped[str] = _fk("alliances.id")
    title: Mapped[str] = _text("the issue", nullable=False)
    owner: Mapped[str] = _text("who owns it", nullable=False, length=200)
    side: Mapped[str] = _text("side that raised it", nullable=False, choices=SIDES, length=10)
    severity: Mapped[str] = _text(
        "low, medium, high, critical", nullable=False, choices=ISSUE_SEVERITIES, length=10
    )
    raised_on: Mapped[dt.date] = _date("date raised", nullable=False)
    escalated_on: Mapped[dt.date | None] = _date("date escalated, if it was")
    resolved_on: Mapped[dt.date | None] = _date("date resolved")
    crack: Mapped[int | None] = _crack()


class Lesson(Versioned, Base):
    __tablename__ = "lessons"
    id: Mapped[str] = _id("lesson id")
    alliance_id: Mapped[str] = _fk("alliances.id")
    recorded_on: Mapped[dt.date] = _date("date recorded", nullable=False)
    title: Mapped[str] = _text("the lesson", nullable=False)
    description: Mapped[str | None] = _text("what happened and what to do next time")
    crack: Mapped[int | None] = _crack()


class Document(Versioned, Base):
    __tablename__ = "documents"
    id: Mapped[str] = _id("document id")
    alliance_id: Mapped[str] = _fk("alliances.id")
    kind: Mapped[str] = _text("kind of artefact", nullable=False, choices=DOCUMENT_KINDS, length=40)
    title: Mapped[str] = _text("title", nullable=False, length=200)
    status: Mapped[str] = _text(
        "draft, approved, superseded", nullable=False, choices=DOCUMENT_STATUSES, length=20
    )
    dated: Mapped[dt.date | None] = _date("date of the current version")
    location: Mapped[str | None] = _text("where it is kept", length=400)


# --- health assessment -----------------------------------------------------------------


class AssessmentRound(Versioned, Base):
    __tablename__ = "assessment_rounds"
    id: Mapped[str] = _id("round id")
    alliance_id: Mapped[str] = _fk("alliances.id")
    period: Mapped[str] = _period()
    questionnaire_version: Mapped[str] = _text(
        "questionnaire version used", nullable=False, length=20
    )
    opened_on: Mapped[dt.date] = _date("date opened", nullable=False)
    closes_on: Mapped[dt.date | None] = _date("date it closes")


class Respondent(Versioned, Base):
    __tablename__ = "respondents"
    id: Mapped[str] = _id("respondent id")
    round_id: Mapped[str] = _fk("assessment_rounds.id")
    side: Mapped[str] = _text("us or partner", nullable=False, choices=SIDES, length=10)
    role: Mapped[str | None] = _text("role (sponsor, finance, operations, ...)", length=200)
    org_level: Mapped[str | None] = _text("organizational level", choices=ORG_LEVELS, length=20)
    label: Mapped[str | None] = _text("name or label, never shown with answers", length=200)
    email: Mapped[str | None] = _text(
        "e-mail address for the invitation and reminders (alliance-kit notify)", length=200
    )


class Answer(Versioned, Base):
    __tablename__ = "answers"
    respondent_id: Mapped[str] = mapped_column(
        String(40),
        ForeignKey("respondents.id", ondelete="CASCADE"),
        primary_key=True,
        info=rule("respondent id"),
    )
    statement_id: Mapped[str] = mapped_column(
        String(20), primary_key=True, info=rule("statement id from the questionnaire")
    )
    score: Mapped[int | None] = _int("1 to 5; empty means don't know", min=1, max=5)
    comment: Mapped[str | None] = _text("optional comment")
    answered_at: Mapped[dt.datetime | None] = mapped_column(
        DateTime, nullable=True, info=rule("when answered")
    )


class Invitation(Base):
    __tablename__ = "invitations"
    id: Mapped[str] = _id("invitation id")
    respondent_id: Mapped[str] = _fk("respondents.id")
    code_hash: Mapped[str] = mapped_column(
        String(128), nullable=False, unique=True, info=rule("hash of the code")
    )
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, info=rule("expiry"))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(
        DateTime, nullable=True, info=rule("revocation")
    )
    submitted_at: Mapped[dt.datetime | None] = mapped_column(
        DateTime, nullable=True, info=rule("submission")
    )


class Outcome(Versioned, Base):
    __tablename__ = "outcomes"
    alliance_id: Mapped[str] = mapped_column(
        String(40),
        ForeignKey("alliances.id", ondelete="CASCADE"),
        primary_key=True,
        info=rule("alliance id"),
    )
    outcome: Mapped[str] = _text(
        "succeeded, failed or exited", nullable=False, choices=OUTCOMES, length=20
    )
    ended_on: Mapped[dt.date] = _date("date it ended", nullable=False)
    notes: Mapped[str | None] = _text("what happened")


class Notification(Versioned, Base):
    """One message ``alliance-kit notify`` sends once per recipient, kind and round or
    period (reminders: again after some days). ``status`` is ``sending`` from the moment a
    run takes the message on until the mail server accepted it (then ``sent``), so two
    runs at once never both send it. Never holds a code or a message body."""

    __tablename__ = "notifications"
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    scope: Mapped[str] = mapped_column(String(100), primary_key=True)
    recipient: Mapped[str] = mapped_column(String(320), primary_key=True)
    alliance_id: Mapped[str | None] = mapped_column(String(40), nullable=True, index=True)
    address: Mapped[str] = mapped_column(String(320), nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False)
    claimed_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    sent_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


# --- change history ----------------------------------------------------------------------


class ChangeSet(Base):
    """One write to the store: who made it, when (UTC), through which command or notebook."""

    __tablename__ = "change_sets"
    # A random id, not a sequence: a role that may only read and write rows can write it.
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, index=True)
    user_name: Mapped[str] = mapped_column(String(200), nullable=False, index=True)
    db_role: Mapped[str | None] = mapped_column(String(200), nullable=True)
    source: Mapped[str] = mapped_column(String(400), nullable=False)


class ChangeRow(Base):
    """One record a change set added, changed or removed (``count`` 1, key and values as
    JSON), or, for survey answers and very large writes, how many (``count`` n, no key and
    no values)."""

    __tablename__ = "change_rows"
    __table_args__ = (Index("ix_change_rows_record", "record_type", "record_key"),)
    change_set_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("change_sets.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    record_type: Mapped[str] = mapped_column(String(40), nullable=False)
    record_key: Mapped[str | None] = mapped_column(String(400), nullable=True)
    alliance_id: Mapped[str | None] = mapped_column(String(40), nullable=True, index=True)
    action: Mapped[str] = mapped_column(String(10), nullable=False)
    count: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    before: Mapped[str | None] = mapped_column(Text, nullable=True)
    after: Mapped[str | None] = mapped_column(Text, nullable=True)


#: What a person may do in a team (PostgreSQL) store; see alliance_kit.records.access.
ACCESS_KINDS = ("admin", "analyst", "owner", "executive", "reader")
#: Who has access: kept out of snapshots and restores (a restore never brings back a
#: revoked person or link; access has its own trace, ``access_log``).
ACCESS_TABLES = ("access_people", "access_scopes", "dashboard_links", "access_log")


class AccessPerson(Base):
    """A person of the team and the PostgreSQL login role they connect as. Row-level
    security reads this table (by ``current_user``) to decide what each connection sees."""

    __tablename__ = "access_people"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('admin', 'analyst', 'owner', 'executive', 'reader')",
            name="access_kind",
        ),
    )
    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    login: Mapped[str] = mapped_column(String(63), nullable=False, unique=True)
    #: True when alliance-kit created the login role (revoking drops it again).
    managed: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    granted_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)
    granted_by: Mapped[str] = mapped_column(String(200), nullable=False)


class AccessScope(Base):
    """An alliance an owner may read and change (owners see nothing else)."""

    __tablename__ = "access_scopes"
    person: Mapped[str] = mapped_column(
        String(200),
        ForeignKey("access_people.name", ondelete="CASCADE", onupdate="CASCADE"),
        primary_key=True,
    )
    # No foreign key: an owner may be granted an alliance before it is entered.
    alliance_id: Mapped[str] = mapped_column(String(40), primary_key=True)


class DashboardLink(Base):
    """A personal dashboard link: only the SHA-256 of its random token is kept."""

    __tablename__ = "dashboard_links"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    person: Mapped[str] = mapped_column(
        String(200),
        ForeignKey("access_people.name", ondelete="CASCADE", onupdate="CASCADE"),
        nullable=False,
        index=True,
    )
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


class AccessEvent(Base):
    """The trace of every change of access: who granted or revoked what, and when."""

    __tablename__ = "access_log"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, index=True)
    by: Mapped[str] = mapped_column(String(200), nullable=False)
    action: Mapped[str] = mapped_column(String(20), nullable=False)
    person: Mapped[str] = mapped_column(String(200), nullable=False)
    detail: Mapped[str] = mapped_column(Text, nullable=False)


@dataclass(frozen=True)
class RecordType:
    """One record type as the intake workbook and the validator see it."""

    table: str
    sheet: str
    model: type[Base]


# Order matters: parents before children, so imports insert in this order.
RECORD_TYPES: tuple[RecordType, ...] = tuple(
    RecordType(m.__tablename__, m.__tablename__, m)
    for m in (
        Alliance,
        Person,
        Strategy,
        Objective,
        Kpi,
        KpiActual,
        BusinessCase,
        BusinessCaseLine,
        Agreement,
        Obligation,
        Briefing,
        GovernanceBody,
        BodyMember,
        Meeting,
        Attendance,
        Decision,
        RaciEntry,
        Action,
        Resource,
        Risk,
        RiskReview,
        Issue,
        Lesson,
        Document,
        AssessmentRound,
        Respondent,
        Answer,
        Outcome,
    )
)
# Invitations hold secrets' hashes and are never imported or exported.
TABLES = {rt.table: rt.model.__table__ for rt in RECORD_TYPES}
HISTORY_TABLES = {m.__tablename__: m.__table__ for m in (ChangeSet, ChangeRow)}
#: Tables without an alliance_id column: (column, parent table) leading to one that has.
ALLIANCE_PATH: dict[str, tuple[str, str]] = {
    "obligations": ("agreement_id", "agreements"),
    "body_members": ("body_id", "governance_bodies"),
    "meetings": ("body_id", "governance_bodies"),
    "attendance": ("meeting_id", "meetings"),
    "kpi_actuals": ("kpi_id", "kpis"),
    "risk_reviews": ("risk_id", "risks"),
    "respondents": ("round_id", "assessment_rounds"),
    "answers": ("respondent_id", "respondents"),
    "invitations": ("respondent_id", "respondents"),
}
