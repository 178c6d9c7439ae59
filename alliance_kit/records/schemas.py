"""Validation of alliance records, driven by the model's column rules.

One definition serves the intake (a whole portfolio read from a workbook or CSV folder)
and the forms (one record at a time). Every rule runs vectorized over whole columns, and
every problem is collected: the user fixes a file once, not once per error.

Frames given to :func:`validate` may be raw (text cells as read from a file) or already
typed (as :func:`alliance_kit.records.store.Store.read_all` returns them). Row numbers in problems
are the ones the user sees: a frame whose index is named ``row`` carries them (the intake
reader sets it to the spreadsheet row); otherwise data row ``i`` is row ``i + 2`` (after
the header row).
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import String, Table

from alliance_kit.records import model
from alliance_kit.records.model import RECORD_TYPES, TABLES, value_kind

#: Text starting with one of these is a formula to a spreadsheet; exports prefix a quote.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NEUTRALIZED = re.compile(r"^'(?='*[=+\-@\t\r])")
TRUE_WORDS = frozenset({"yes", "y", "true", "1", "x"})
FALSE_WORDS = frozenset({"no", "n", "false", "0"})
REQUIRED_TABLES = ("alliances",)
#: How an intake writes its dates (its "Dates are written" setting): setting -> shape.
#: ISO dates (YYYY-MM-DD) are read under every setting: they cannot be misread.
DATE_ORDERS = {"iso": "YYYY-MM-DD", "day-first": "DD/MM/YYYY", "month-first": "MM/DD/YYYY"}


# --- problems ------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input, placed where the user can find it."""

    file: str = ""
    sheet: str = ""
    row: int | None = None
    column: str = ""
    value: Any = None  # None: no cell concerned; "" an empty cell
    expected: str = ""

    @property
    def place(self) -> str:
        parts = [self.file] if self.file else []
        if self.sheet and not self.file.endswith(f"{self.sheet}.csv"):
            parts.append(f"sheet {self.sheet}")
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column {self.column}")
        return ", ".join(parts)

    @property
    def inline(self) -> str:
        """The message without the place, for a form field."""
        shown = "" if self.value is None else f"{_show(self.value)} — "
        return f"{shown}expected {self.expected}"

    @property
    def message(self) -> str:
        value = "" if self.value is None else f": {_show(self.value)}"
        return f"{self.place}{value} — expected {self.expected}"

    def __str__(self) -> str:
        return self.message


def _show(value: Any) -> str:
    if value is None or value is pd.NA or value is pd.NaT:
        return "(empty)"
    if isinstance(value, float):
        if np.isnan(value):
            return "(empty)"
        return f"{value:.15g}"
    if isinstance(value, (pd.Timestamp, dt.datetime)):
        ts = pd.Timestamp(value)
        return ts.strftime("%Y-%m-%d") if ts == ts.normalize() else ts.isoformat(sep=" ")
    if isinstance(value, str) and value == "":
        return "(empty)"
    return str(value)


# --- column rules read from the model --------------------------------------------------


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    kind: str  # text, date, datetime, bool, int, float
    required: bool
    note: str = ""
    choices: tuple[Any, ...] | None = None
    min: float | None = None
    max: float | None = None
    pattern: str | None = None
    shape: str | None = None  # what the pattern asks for, in words
    length: int | None = None
    ref: tuple[str, str] | None = None
    #: a number from 0 to 1 that the intake also reads as a percentage (40% is 0.40)
    share: bool = False
    #: names of the choices (currency code -> name), for suggestions
    choice_names: Mapping[str, str] | None = field(default=None, compare=False, hash=False)

    def describe(self, dates: str = "iso") -> str:
        """What a valid value looks like, in words (used in messages and template notes);
        ``dates`` is the intake's date setting (a key of DATE_ORDERS)."""
        if self.choices:
            if self.shape:  # too many to name: the shape says what they look like
                return self.shape
            return "one of " + ", ".join(str(c) for c in self.choices)
        if self.share:
            return "a share from 0 to 1, or a percentage like 40%"
        order = DATE_ORDERS[dates]
        also = "" if dates == "iso" else " or YYYY-MM-DD"
        words = {
            "date": f"a date written {order}{also}",
            "datetime": f"a date and time written {order} HH:MM:SS{also} HH:MM:SS",
            "bool": "yes or no",
            "int": "a whole number",
            "float": "a number",
            "text": "text",
        }[self.kind]
        if self.pattern:
            words = self.shape or f"text matching {self.pattern}"
        if self.min is not None and self.max is not None:
            words += f" from {_show(self.min)} to {_show(self.max)}"
        elif self.min is not None:
            words += f" of at least {_show(self.min)}"
        elif self.max is not None:
            words += f" of at most {_show(self.max)}"
        return words


@dataclass(frozen=True)
class TableSpec:
    name: str
    columns: dict[str, ColumnSpec]
    primary_key: tuple[str, ...]
    #: the column through which a row belongs to an alliance (None for alliances itself)
    alliance_via: str | None = None
    required_columns: tuple[str, ...] = field(default=())


def _column_spec(col: Any) -> ColumnSpec:
    info = col.info
    ref = None
    if col.foreign_keys:
        fk = next(iter(col.foreign_keys))
        ref = (fk.column.table.name, fk.column.name)
    elif "ref" in info:
        table, column = info["ref"].split(".")
        ref = (table, column)
    length = col.type.length if isinstance(col.type, String) else None
    return ColumnSpec(
        name=col.name,
        kind=value_kind(col),
        required=not col.nullable and col.default is None,
        note=info.get("note", ""),
        choices=info.get("choices"),
        min=info.get("min"),
        max=info.get("max"),
        pattern=info.get("pattern"),
        shape=info.get("shape"),
        length=length,
        ref=ref,
        share=bool(info.get("share")),
        choice_names=info.get("choice_names"),
    )


def _table_spec(table: Table, known: Mapping[str, TableSpec]) -> TableSpec:
    columns = {c.name: _column_spec(c) for c in table.c}
    via = None
    if table.name != "alliances":
        if "alliance_id" in columns:
            via = "alliance_id"
        else:
            via = next(
                (
                    c.name
                    for c in columns.values()
                    if c.ref and c.ref[0] in known and c.ref[0] != table.name
                ),
                None,
            )
    return TableSpec(
        name=table.name,
        columns=columns,
        primary_key=tuple(c.name for c in table.primary_key.columns),
        alliance_via=via,
        required_columns=tuple(n for n, c in columns.items() if c.required),
    )


def _build_specs() -> dict[str, TableSpec]:
    specs: dict[str, TableSpec] = {}
    for rt in RECORD_TYPES:
        specs[rt.table] = _table_spec(TABLES[rt.table], specs)
    return specs


SPECS: dict[str, TableSpec] = _build_specs()
TABLE_ORDER = {name: i for i, name in enumerate(SPECS)}


# --- parsing cells leniently -------------------------------------------------------------


def _cell_text(value: Any) -> Any:
    """One non-text cell as the text a user would have typed."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, float | np.floating):
        if np.isnan(value):
            return None
        return str(int(value)) if float(value).is_integer() else repr(float(value))
    if isinstance(value, dt.datetime | pd.Timestamp):
        ts = pd.Timestamp(value)
        return ts.strftime("%Y-%m-%d") if ts == ts.normalize() else ts.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


_SEP = "\x00"


#: A value (in joined text) starting like a formula, or with a quote: one C-level scan.
_RISKY_START = re.compile(_SEP + "[" + re.escape("".join(FORMULA_START) + "'") + "]")


def _joined(values: list[str]) -> str:
    return _SEP + _SEP.join(values) + _SEP


def as_text(s: pd.Series) -> pd.Series:
    """Cells as stripped text, with empty cells as None (object dtype)."""
    if s.dtype == object:
        values = s.to_numpy()
        if pd.api.types.infer_dtype(values, skipna=False) == "string":
            return _text_cells(values, s.index)
    obj = pd.Series(s.to_numpy(dtype=object, na_value=None), index=s.index, dtype=object)
    if pd.api.types.infer_dtype(obj, skipna=True) not in ("string", "empty"):
        obj = obj.map(_cell_text, na_action="ignore")
    notna = obj.notna().to_numpy()
    if not notna.any():
        return pd.Series([None] * len(obj), index=obj.index, dtype=object)
    values = obj.to_numpy()
    given = values[notna].tolist()
    stripped = list(map(str.strip, given))
    if stripped != given:  # one C-level comparison; rarely true
        values = values.copy()
        values[notna] = stripped
    empty = ~notna | (values == "")
    if empty.any():
        values = values.copy()
        values[empty] = None
    return pd.Series(values, index=obj.index, dtype=object)


def _text_cells(values: np.ndarray, index: pd.Index) -> pd.Series:
    """``as_text`` for cells that are all str (a CSV read as text): no null checks."""
    given = values.tolist()
    stripped = list(map(str.strip, given))
    owned = stripped != given  # one C-level comparison; rarely true
    if owned:
        values = np.array(stripped + [None], dtype=object)[:-1]  # stays 1-d object
    empty = values == ""
    if empty.any():
        if not owned:
            values = values.copy()
            owned = True
        values[empty] = None
    return pd.Series(values, index=index, dtype=object, copy=not owned)


def unix_lines(text: pd.Series) -> pd.Series:
    """Line breaks in text cells written LF (model.unix_lines): what the intake reads and
    the export writes (xlsx would turn a CR into LF, and a lone CR splits a CSV row)."""
    try:
        found = "\r" in "".join(filter(None, text.tolist()))
    except TypeError:  # not only text and None
        found = True
    if not found:
        return text
    return text.map(model.unix_lines, na_action="ignore")


def unneutralize(text: pd.Series) -> pd.Series:
    """Undo the export's formula guard: ``'=x`` reads back as ``=x``."""
    if not _any_quoted(text):
        return text
    quoted = text.str.startswith("'", na=False)
    text = text.copy()
    text[quoted] = text[quoted].str.replace(_NEUTRALIZED, "", regex=True)
    return text


def _any_quoted(text: pd.Series) -> bool:
    """Whether some cell starts with a quote: one join of the cells that are text (C-level
    loops, no null mask), or a per-cell test when other values are mixed in."""
    try:
        return _SEP + "'" in _SEP + _SEP.join(filter(None, text.tolist()))
    except TypeError:  # not only text and None
        return bool(text.str.startswith("'", na=False).any())


def neutralize(text: pd.Series) -> pd.Series:
    """Prefix a quote to text a spreadsheet would run as a formula (and to text that
    already starts with quotes before such a character, so that import can undo it)."""
    present = text.notna().to_numpy()
    if not present.any():
        return text
    if not _RISKY_START.search(_joined(text[present].tolist())):
        return text
    risky = text.str.match(r"^'*[=+\-@\t\r]", na=False)
    if risky.any():
        text = text.copy()
        text[risky] = "'" + text[risky]
    return text


#: Dates the store accepts: a wider span is a typing error (``9999-12-31`` as "never"),
#: and pandas' nanosecond timestamps end in 2262.
FIRST_DATE = pd.Timestamp("1900-01-01")
LAST_DATE = pd.Timestamp("2199-12-31 23:59:59.999999")
#: Whole numbers are stored as 32-bit integers (PostgreSQL ``integer``).
INT_LIMIT = 2**31 - 1
#: A time followed by a zone: ``10:00Z``, ``10:00:00+02:00``, ``10:00 -0500``.
_TIME_ZONE = re.compile(r"\d{2}:\d{2}(:\d{2}(\.\d+)?)?\s*([zZ]|[+-]\d{2}(:?\d{2})?)$")


#: A date written with its day and month first (either order) and a four-digit year,
#: separated by ``/``, ``.`` or ``-`` (``03/04/2026``, ``3.4.2026``), perhaps a time.
_NUMERIC_DATE = re.compile(
    r"^(\d{1,2})([/.-])(\d{1,2})\2(\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$"
)


def _parse_dates(text: pd.Series, dates: str = "iso") -> pd.Series:
    """ISO 8601 dates and times; what that parser refuses gets a second chance as
    ``%Y-%m-%d`` (which also takes ``2026-7-1``), then, when the intake says its dates are
    written day-first or month-first (``dates``), as ``DD/MM/YYYY`` or ``MM/DD/YYYY``.
    ISO first: a format that fails on every cell (date and time cells tried as plain
    dates) costs an exception per cell. Cells with a time zone, and dates outside
    FIRST_DATE..LAST_DATE, come back empty (NaT): :func:`date_problem` says why."""
    try:
        parsed = pd.to_datetime(text, format="ISO8601", errors="coerce")
        if getattr(parsed.dt, "tz", None) is not None:  # every cell had a time zone
            raise ValueError("time zone")
    except (ValueError, OverflowError):  # mixed time zones, or a zone on some cells
        parsed = _dates_cell_by_cell(text)
    retry = parsed.isna() & text.notna()
    if retry.any():
        again = pd.to_datetime(text[retry], format="%Y-%m-%d", errors="coerce")
        parsed = parsed.astype("datetime64[us]")
        parsed[retry] = again.astype("datetime64[us]")
        if dates != "iso":
            retry = parsed.isna() & text.notna()
            if retry.any():
                parsed[retry] = _numeric_dates(text[retry], dates).astype("datetime64[us]")
    parsed = parsed.where((parsed >= FIRST_DATE) & (parsed <= LAST_DATE))
    return parsed.astype("datetime64[ns]")


def _numeric_dates(text: pd.Series, dates: str) -> pd.Series:
    """``DD/MM/YYYY`` (``dates`` day-first) or ``MM/DD/YYYY`` (month-first) cells, with an
    optional ``HH:MM[:SS]``, as timestamps (NaT where the text is not such a date)."""
    parts = text.str.extract(_NUMERIC_DATE)
    day, month = (parts[0], parts[2]) if dates == "day-first" else (parts[2], parts[0])
    iso = parts[3] + "-" + month.str.zfill(2) + "-" + day.str.zfill(2)
    timed = parts[4].notna()
    if timed.any():
        clock = parts[4].str.zfill(2) + ":" + parts[5] + ":" + parts[6].fillna("00")
        iso = iso.where(~timed, iso + " " + clock)
    return pd.to_datetime(iso, format="ISO8601", errors="coerce")


#: Excel's date numbers (serials) count days from 1899-12-30 (for serials past 60: Excel
#: counts a 29 February 1900 that never was). A number in a date cell of a workbook is read
#: as such a date from SERIAL_FIRST (1920-01-01) to the last date the store takes; smaller
#: numbers are refused, since they are far likelier a year (2026), a day or a month than a
#: date before 1920.
EXCEL_EPOCH = pd.Timestamp("1899-12-30")
SERIAL_FIRST_DATE = pd.Timestamp("1920-01-01")
SERIAL_FIRST = (SERIAL_FIRST_DATE - EXCEL_EPOCH).days
SERIAL_LAST = (LAST_DATE.normalize() - EXCEL_EPOCH).days


def _serials(raw: pd.Series) -> pd.Series | None:
    """The number cells of a date column (as float, NaN elsewhere), or None if it has none:
    a workbook's date cell that lost its date format holds Excel's date number."""
    if pd.api.types.is_bool_dtype(raw.dtype):
        return None
    if pd.api.types.is_numeric_dtype(raw.dtype):
        return raw.astype("float64")
    if raw.dtype != object:
        return None
    found = pd.api.types.infer_dtype(raw, skipna=True)
    if found in ("string", "empty", "datetime", "datetime64", "date", "boolean"):
        return None

    def number(v: Any) -> float:
        numeric = isinstance(v, int | float | np.integer | np.floating)
        return float(v) if numeric and not isinstance(v, bool | np.bool_) else np.nan

    values = raw.map(number, na_action="ignore").astype("float64")
    return values if values.notna().any() else None


def _serial_dates(serial: pd.Series, kind: str) -> pd.Series:
    """Excel date numbers as timestamps (to the second; the day alone for a date column),
    NaT outside SERIAL_FIRST..SERIAL_LAST."""
    ok = (serial >= SERIAL_FIRST) & (serial < SERIAL_LAST + 1)
    seconds = (serial.where(ok) * 86400).round()
    stamps = EXCEL_EPOCH + pd.to_timedelta(seconds, unit="s")
    return (stamps.dt.normalize() if kind == "date" else stamps).astype("datetime64[ns]")


def _partial_dates(text: pd.Series) -> pd.Series:
    """Cells too short to be a full date (``2025``, ``2025-03``: fewer than the 8
    characters of ``2025-3-1``), which ISO 8601 would read as the first day of the year or
    month: refused instead. Lengths are taken in one C-level pass."""
    present = text.notna().to_numpy()
    short = np.zeros(len(text), dtype=bool)
    if present.any():
        cells = text.to_numpy()[present]
        short[present] = np.fromiter(map(len, map(str, cells)), np.int64, len(cells)) < 8
    return pd.Series(short, index=text.index)


def _dates_cell_by_cell(text: pd.Series) -> pd.Series:
    """The slow path for a column where some cells carry a time zone (refused: NaT)."""

    def one(value: Any) -> Any:
        if value is None or _TIME_ZONE.search(str(value)):
            return pd.NaT
        try:
            ts = pd.to_datetime(value, format="ISO8601")
        except (ValueError, OverflowError):
            return pd.NaT
        return pd.NaT if ts.tzinfo is not None else ts

    return pd.Series([one(v) for v in text.tolist()], index=text.index, dtype="datetime64[us]")


#: Where an intake says how its dates are written (named in messages).
DATE_SETTING = (
    "the README sheet's 'Dates are written' cell (DD/MM/YYYY or MM/DD/YYYY) in a "
    "workbook, or --dates day-first or --dates month-first"
)


def date_problem(spec: ColumnSpec, value: Any, dates: str = "iso") -> str:
    """What is wrong with a date cell that did not parse, in words."""
    described = spec.describe(dates)
    shown = str(value).strip()
    if _TIME_ZONE.search(shown):
        return f"{described}, without a time zone (local time)"
    if dates == "iso" and _NUMERIC_DATE.match(shown):
        return (
            f"{described}; {shown.split()[0]} could be read day-first or month-first: write "
            f"the date YYYY-MM-DD, or say how this file writes dates: {DATE_SETTING}"
        )
    if re.fullmatch(r"\d+(\.\d+)?", shown):
        number = float(shown)
        if number.is_integer() and 1900 <= number <= 2199:
            return f"{described}, with month and day ({shown} alone is a year)"
        if SERIAL_FIRST <= number < SERIAL_LAST + 1:
            day = EXCEL_EPOCH + pd.Timedelta(days=int(number))
            return (
                f"{described}: write {day:%Y-%m-%d} ({shown} is Excel's number for that day; "
                "such numbers are read as dates only from a number cell of a workbook)"
            )
        return (
            f"{described} (a number in a workbook's date cell is read as Excel's date "
            f"number only from {SERIAL_FIRST} = {SERIAL_FIRST_DATE:%Y-%m-%d} to "
            f"{SERIAL_LAST} = {LAST_DATE:%Y-%m-%d})"
        )
    try:
        ts = pd.to_datetime(shown, format="ISO8601")
    except (ValueError, OverflowError):
        return described
    if ts.tzinfo is None and not (FIRST_DATE <= ts <= LAST_DATE):
        return f"{described} from {FIRST_DATE:%Y-%m-%d} to {LAST_DATE:%Y-%m-%d}"
    return described


def number_problem(spec: ColumnSpec, value: Any) -> str:
    """What is wrong with a number cell that did not parse, in words."""
    shown = str(value).strip()
    if shown.endswith("%") and not spec.share:
        return (
            f"{spec.describe()}, without % (a percentage is read only in a column of shares "
            "from 0 to 1, such as discount_rate)"
        )
    if _DECIMAL_COMMA.match(shown):
        return (
            f"{spec.describe()}, with a decimal point (1.5, not 1,5): a comma is read "
            "only between groups of three digits, as in 2,000,000"
        )
    if spec.kind == "int" and not spec.choices and (spec.min is None or spec.max is None):
        try:
            if abs(float(value)) > INT_LIMIT:
                return f"a whole number from {-INT_LIMIT} to {INT_LIMIT}"
        except (TypeError, ValueError):
            pass
    return spec.describe()


def cell_problems(
    spec: ColumnSpec, text: pd.Series, bad: pd.Series, dates: str = "iso"
) -> str | pd.Series:
    """The expectation to show for each unparsable cell of a column (one text when the
    column's description says it all)."""
    if spec.kind in ("date", "datetime"):

        def explain(spec: ColumnSpec, value: Any) -> str:
            return date_problem(spec, value, dates)

    elif spec.kind in ("int", "float"):
        explain = number_problem
    else:
        return spec.describe(dates)
    m = np.asarray(bad, dtype=bool)
    if not m.any():
        return spec.describe(dates)
    out = pd.Series(spec.describe(dates), index=text.index, dtype=object)
    out[m] = [explain(spec, v) for v in text[m].tolist()]
    return out


#: A number written with thousands separators: groups of exactly three digits after a
#: first group of one to three (not starting with 0), one separator throughout (a comma, a
#: space, a no-break or narrow no-break space), then perhaps a decimal point.
_GROUPED = re.compile(r"^[+-]?[1-9]\d{0,2}([, \u00a0\u202f])\d{3}(?:\1\d{3})*(?:\.\d+)?$")
#: A plain decimal number (no exponent, no nan or inf): what a percentage is made of.
_PLAIN = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$")
#: A comma that can only be a decimal comma (``1,5``, ``0,25``, ``1.234,5``): refused.
_DECIMAL_COMMA = re.compile(r"^[+-]?\d{1,3}(?:\.\d{3})*,\d+$")


def _decimal(text: str) -> Decimal | None:
    """A plain or thousands-grouped number, exactly (None if it is neither)."""
    if _PLAIN.match(text):
        return Decimal(text)
    found = _GROUPED.match(text)
    if found:
        return Decimal(text.replace(found.group(1), ""))
    return None


def _lenient_number(text: Any, share: bool) -> float:
    """A cell the plain parser refused: thousands separators (``2,000,000``), and in a
    share column a percentage (``40%``, ``40 %`` is 0.40, computed in decimal so that
    ``7%`` is exactly the float 0.07). NaN if it is still not a number."""
    shown = str(text).strip()
    if share and shown.endswith("%"):
        number = _decimal(shown[:-1].rstrip())
        return np.nan if number is None else float(number / 100)
    number = _decimal(shown)
    return np.nan if number is None else float(number)


def _numbers(text: pd.Series, share: bool = False) -> pd.Series:
    """Text cells as float64 (NaN where not a number): each distinct text parsed once,
    since number columns repeat few values (scores 1 to 5). Texts the plain parser refuses
    get a second, lenient reading (:func:`_lenient_number`)."""
    codes, uniques = pd.factorize(text)  # empty cells (None) get code -1
    parsed = pd.to_numeric(pd.Series(uniques, dtype=object), errors="coerce")
    table = parsed.to_numpy(dtype="float64", na_value=np.nan)
    missed = np.flatnonzero(np.isnan(table))
    if len(missed):
        table = table.copy()
        table[missed] = [_lenient_number(uniques[i], share) for i in missed.tolist()]
    table = np.append(table, np.nan)
    return pd.Series(table[codes], index=text.index)


def parse_column(
    spec: ColumnSpec, raw: pd.Series, dates: str = "iso"
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Typed values, a mask of cells that could not be parsed, and the cells as text.
    ``dates`` is the intake's date setting (a key of DATE_ORDERS)."""
    kind = spec.kind
    if (
        kind in ("date", "datetime")
        and pd.api.types.is_datetime64_any_dtype(raw.dtype)
        and getattr(raw.dt, "tz", None) is None
        and not ((raw < FIRST_DATE) | (raw > LAST_DATE)).any()
    ):
        typed = raw.astype("datetime64[ns]")
        return typed, pd.Series(False, index=raw.index), typed
    if kind == "bool" and pd.api.types.is_bool_dtype(raw.dtype) and not raw.isna().any():
        return raw.astype(bool), pd.Series(False, index=raw.index), raw
    if kind in ("int", "float") and pd.api.types.is_numeric_dtype(raw.dtype):
        text = raw
        values = raw.astype("float64")
    else:
        text = as_text(raw)
        values = None
    if kind == "text":
        text = unix_lines(text)
        typed = unneutralize(text)
        return typed, pd.Series(False, index=raw.index), text
    if kind in ("date", "datetime"):
        typed = _parse_dates(text, dates)
        bad = (typed.isna() & text.notna()) | _partial_dates(text)
        serial = _serials(raw)
        if serial is not None:  # number cells: Excel's date numbers
            from_serial = _serial_dates(serial, kind)
            use = from_serial.notna().to_numpy()
            if use.any():
                typed = typed.copy()
                typed[use] = from_serial[use]
                bad = bad & ~use
        if bad.any():  # a refused cell (2026 read as 2026-01-01) is compared to nothing
            typed = typed.where(~bad)
        return typed, bad, text
    if kind == "bool":
        lower = text.str.lower()
        bad = lower.notna() & ~lower.isin(TRUE_WORDS | FALSE_WORDS)
        return lower.isin(TRUE_WORDS).astype(bool), bad, text
    if values is None:
        values = _numbers(text, spec.share)
    bad = (text.notna() & values.isna()) | np.isinf(values)
    if kind == "int":
        bad |= values.notna() & ((values % 1 != 0) | (values.abs() > INT_LIMIT))
        return values.where(~bad).round().astype("Int64"), bad, text
    return values.where(~bad), bad, text


# --- collecting problems -------------------------------------------------------------------


class _Problems:
    """Problems found so far, with the file naming rule of the input."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.items: list[Problem] = []

    def file(self, table: str) -> str:
        src = self.source
        if not src or src.lower().endswith((".xlsx", ".xlsm")):
            return src
        return f"{src.rstrip('/')}/{table}.csv"

    def add(self, table: str, **kw: Any) -> None:
        self.items.append(Problem(file=self.file(table), sheet=table, **kw))

    def add_rows(
        self,
        table: str,
        rows: np.ndarray,
        mask: pd.Series,
        column: str,
        values: pd.Series,
        expected: str | pd.Series,
    ) -> None:
        """One problem per row where ``mask`` holds (vectorized selection, then a zip)."""
        m = np.asarray(mask.fillna(False) if mask.dtype != bool else mask, dtype=bool)
        if not m.any():
            return
        file = self.file(table)
        exp = expected[m].tolist() if isinstance(expected, pd.Series) else [expected] * m.sum()
        vals = values.astype(object)[m]
        vals = vals.where(vals.notna(), "").tolist()  # an empty cell shows as (empty)
        self.items.extend(
            Problem(file, table, int(r), column, v, e)
            for r, v, e in zip(rows[m].tolist(), vals, exp, strict=True)
        )

    def sorted(self) -> list[Problem]:
        def key(p: Problem) -> tuple:
            spec = SPECS.get(p.sheet)
            cols = list(spec.columns) if spec else []
            col = cols.index(p.column) if p.column in cols else len(cols)
            return (TABLE_ORDER.get(p.sheet, -1), p.row or 0, col)

        return sorted(self.items, key=key)


def row_numbers(frame: pd.DataFrame) -> np.ndarray:
    """The row number the user sees for each row of a frame."""
    if frame.index.name == "row":
        return np.asarray(frame.index, dtype=np.int64)
    return np.arange(len(frame), dtype=np.int64) + 2


# --- the validator ---------------------------------------------------------------------------


@dataclass
class _Table:
    """One input table while it is checked: typed values, text as typed, row numbers."""

    spec: TableSpec
    typed: pd.DataFrame
    text: dict[str, pd.Series]
    bad: dict[str, pd.Series]
    rows: np.ndarray


def _parse_table(name: str, frame: pd.DataFrame, out: _Problems, dates: str = "iso") -> _Table:
    spec = SPECS[name]
    rows = row_numbers(frame)
    frame = frame.reset_index(drop=True)
    present = set(frame.columns)
    for col in frame.columns:
        if col not in spec.columns:
            out.add(
                name,
                column=str(col),
                expected="only the columns of this sheet: " + ", ".join(spec.columns),
            )
    if len(frame) or present:
        for col in spec.required_columns:
            if col not in present:
                out.add(
                    name,
                    column=col,
                    expected=f"a column named {col} in the header row "
                    f"({spec.columns[col].note}; required)",
                )
    typed, text, bad = {}, {}, {}
    empty = pd.Series([None] * len(frame), dtype=object)
    for col, cspec in spec.columns.items():
        raw = frame[col] if col in present else empty
        typed[col], bad[col], text[col] = parse_column(cspec, raw, dates)
        expected = cell_problems(cspec, text[col], bad[col], dates)
        out.add_rows(name, rows, bad[col], col, text[col], expected)
    return _Table(spec, pd.DataFrame(typed), text, bad, rows)


def _check_values(t: _Table, out: _Problems, present: set[str]) -> None:
    """Required values, choices, ranges, patterns and lengths, one column at a time."""
    name = t.spec.name
    for col, cspec in t.spec.columns.items():
        values, bad = t.typed[col], t.bad[col]
        na = values.isna()  # one null scan serves both masks
        if cspec.required and col in present:
            missing = na & ~bad
            out.add_rows(
                name, t.rows, missing, col, t.text[col], f"a value ({cspec.note}; required)"
            )
        ok = ~na & ~bad
        if not ok.any():
            continue
        if cspec.kind == "text":
            ok &= ~_check_text(t, out, col)
        if cspec.choices:
            if cspec.kind == "text":
                values = _match_choices(values, cspec.choices)
                t.typed[col] = values
            wrong = ok & ~values.isin(cspec.choices)
            if wrong.any():
                expected = pd.Series(cspec.describe(), index=values.index, dtype=object)
                expected[wrong] = [
                    cspec.describe() + _suggestion(v, cspec) for v in t.text[col][wrong].tolist()
                ]
                out.add_rows(name, t.rows, wrong, col, t.text[col], expected)
            ok &= ~wrong
        if cspec.min is not None or cspec.max is not None:
            lo = cspec.min if cspec.min is not None else -np.inf
            hi = cspec.max if cspec.max is not None else np.inf
            num = values.astype("float64")
            wrong = ok & ((num < lo) | (num > hi))
            out.add_rows(name, t.rows, wrong, col, t.text[col], cspec.describe())
        if cspec.pattern == model.ID_PATTERN:
            ok &= ~_check_ids(t, out, col, ok)
        elif cspec.pattern:
            wrong = ok & ~values.astype(object).str.match(cspec.pattern, na=False)
            out.add_rows(name, t.rows, wrong, col, t.text[col], cspec.describe())
        if cspec.length and cspec.kind == "text" and _longest(values[ok]) > cspec.length:
            wrong = ok & (values.str.len() > cspec.length)
            out.add_rows(
                name, t.rows, wrong, col, t.text[col], f"at most {cspec.length} characters"
            )


def _check_text(t: _Table, out: _Problems, col: str) -> pd.Series:
    """Text holding characters no store or export can carry (see model.FORBIDDEN_TEXT);
    returns the mask of those cells."""
    values = t.typed[col]
    wrong = pd.Series(False, index=values.index)
    found = model.bad_text(values.tolist())
    if not found:
        return wrong
    wrong.iloc[found] = True
    faults = values.map(model.text_fault, na_action="ignore")
    shown = values.map(model.visible, na_action="ignore")
    out.add_rows(t.spec.name, t.rows, wrong, col, shown, faults.fillna(""))
    return wrong


def _check_ids(t: _Table, out: _Problems, col: str, ok: pd.Series) -> pd.Series:
    """Ids that could not name a file (model.ID_PATTERN), and alliance ids the report batch
    keeps for its own files; returns the mask of those cells."""
    values = t.typed[col]
    alliance = t.spec.name == "alliances"
    if not alliance and not model.bad_ids(values[ok].tolist()):
        return pd.Series(False, index=values.index)
    faults = values.where(ok).map(
        lambda v: model.id_fault(v, alliance=alliance), na_action="ignore"
    )
    wrong = ok & faults.notna()
    if wrong.any():
        shown = values.map(model.visible, na_action="ignore")
        out.add_rows(t.spec.name, t.rows, wrong, col, shown, faults)
    return wrong


def _longest(text: pd.Series) -> int:
    """Length of the longest text (a C-level loop; ``str.len()`` builds a Series)."""
    return max(map(len, text.tolist()), default=0)


def near_choices(value: Any, spec: ColumnSpec, n: int = 3) -> list[str]:
    """Choices close to a value that is none of them: alike in spelling (``NKO``: NOK), or
    whose name holds it (``krone``: DKK, NOK), at most ``n``."""
    shown = str(value).strip()
    by_fold = {str(c).casefold(): str(c) for c in spec.choices or ()}
    found = [by_fold[f] for f in difflib.get_close_matches(shown.casefold(), by_fold, n, 0.6)]
    names = spec.choice_names or {}
    key = shown.casefold()
    if names and len(key) >= 3:
        named = sorted(
            (c for c, name in names.items() if key in name.casefold()),
            key=lambda c: (names[c].casefold() != key, not names[c].casefold().startswith(key)),
        )
        found = list(dict.fromkeys(named + found))  # a name that holds it comes first
    return found[:n]


def _suggestion(value: Any, spec: ColumnSpec) -> str:
    """``; did you mean NOK (Norwegian Krone)?`` for a value that is no choice, or ``""``."""
    near = near_choices(value, spec)
    if not near:
        return ""
    names = spec.choice_names or {}
    shown = [f"{c} ({names[c]})" if c in names else c for c in near]
    listed = shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " or " + shown[-1]
    return f"; did you mean {listed}?"


def _match_choices(values: pd.Series, choices: tuple[Any, ...]) -> pd.Series:
    """Accept a choice typed in another case (``Co-Sell`` for ``co-sell``) and, for
    numbered choices such as ``6 value creation``, its number or its words alone (``6``,
    ``Value creation``) when they name one choice."""
    off = values.notna() & ~values.isin(choices)
    if not off.any():
        return values
    lower = {str(c).lower(): c for c in choices}
    parts: dict[str, list[Any]] = {}
    for c in choices:
        number, sep, words = str(c).partition(" ")
        if sep and number.isdigit():
            parts.setdefault(number, []).append(c)
            parts.setdefault(words.strip().lower(), []).append(c)
    for alias, named in parts.items():
        if len(named) == 1 and alias not in lower:
            lower[alias] = named[0]
    fixed = values[off].astype(str).str.strip().str.lower().map(lower)
    values = values.copy()
    values[off & fixed.reindex(values.index).notna()] = fixed.dropna()
    return values


def _key_text(frame: pd.DataFrame, cols: Iterable[str]) -> pd.Series:
    cols = list(cols)
    if len(cols) == 1:
        return frame[cols[0]].astype(object).map(_show, na_action="ignore")
    parts = [frame[c].astype(object).map(_show, na_action="ignore") for c in cols]
    out = parts[0]
    for p in parts[1:]:
        out = out + " / " + p
    return out


def _check_keys(t: _Table, out: _Problems, existing: pd.DataFrame | None) -> None:
    """Duplicate primary keys within the input, and against the store when adding."""
    pk = list(t.spec.primary_key)
    frame = t.typed
    complete = frame[pk].notna().all(axis=1)
    if not complete.any():
        return
    label = ", ".join(pk)
    dup = frame.duplicated(pk, keep="first") & complete
    there = pd.Series(False, index=frame.index)
    if existing is not None and len(existing):
        stored = pd.MultiIndex.from_arrays([existing[k].astype(object) for k in pk])
        mine = pd.MultiIndex.from_arrays([frame[k].astype(object) for k in pk])
        there = pd.Series(mine.isin(stored), index=frame.index)
    if not (dup.any() or there.any()):
        return
    keys = _key_text(frame, pk)
    if dup.any():
        first = pd.Series(t.rows).groupby(keys.where(complete, "")).transform("first")
        expected = "a unique " + ("id" if pk == ["id"] else f"key ({label})")
        expected = expected + "; it is already on row " + first.astype(str)
        out.add_rows(t.spec.name, t.rows, dup, label, keys, expected)
    if there.any():
        out.add_rows(
            t.spec.name,
            t.rows,
            there & complete & ~dup,
            label,
            keys,
            "a key not yet in the store (import with replace to change existing records)",
        )


def _check_folded_ids(t: _Table, out: _Problems, existing: pd.DataFrame | None) -> None:
    """Ids that differ from another id only by letter case or character width (``a001``,
    ``Ａ001`` and ``A001``): one record to a case-insensitive file system or a reader.
    Checked within the input and against the store's ids (also for a form's edit, where
    the same id is the record itself)."""
    if t.spec.primary_key != ("id",):
        return
    ids = t.typed["id"]
    given = ids.notna()
    if not given.all() or not all(isinstance(v, str) for v in ids.tolist()):
        given &= ids.map(lambda v: isinstance(v, str))
    if not given.any():
        return
    folded = pd.Series(None, index=ids.index, dtype=object)
    folded[given] = model.fold_ids(ids[given].tolist())
    twin = folded.duplicated(keep="first") & given & ~ids.duplicated(keep="first")
    if twin.any():
        first = pd.Series(ids.where(given).to_numpy(), index=folded.to_numpy())
        first = first[~first.index.duplicated()]
        rows = pd.Series(t.rows, index=folded.to_numpy())
        rows = rows[~rows.index.duplicated()]
        seen_id = folded.map(first).astype(str)
        seen_row = folded.map(rows).astype(str)
        expected = (
            "an id that differs from " + seen_id + " (row " + seen_row + ") by more than "
            "letter case or character width"
        )
        out.add_rows(t.spec.name, t.rows, twin, "id", ids, expected)
    if existing is None or not len(existing):
        return
    stored = [v for v in existing["id"].tolist() if isinstance(v, str)]
    stored_by_fold = pd.Series(stored, index=model.fold_ids(stored), dtype=object)
    stored_by_fold = stored_by_fold[~stored_by_fold.index.duplicated()]
    theirs = folded.map(stored_by_fold)
    clash = given & ~twin & theirs.notna() & (theirs != ids)
    if clash.any():
        expected = (
            "an id that differs from the stored id " + theirs.astype(str) + " by more than "
            "letter case or character width"
        )
        out.add_rows(t.spec.name, t.rows, clash, "id", ids, expected)


def _lookup(values: pd.Series, mapping: pd.Series) -> pd.Series:
    """``values.map(mapping)`` that also works when the mapping is empty."""
    if mapping.empty:
        return pd.Series(pd.array([None] * len(values), dtype=mapping.dtype), index=values.index)
    return values.map(mapping)


class _Lookups:
    """Parent records by key, from the input and the store's existing records."""

    def __init__(self, tables: Mapping[str, _Table], existing: Mapping[str, pd.DataFrame]):
        self.tables = tables
        self.existing = existing
        self._frames: dict[str, pd.DataFrame] = {}
        self._alliance: dict[str, pd.Series] = {}

    def frame(self, table: str) -> pd.DataFrame:
        if table not in self._frames:
            parts = []
            if table in self.tables:
                parts.append(self.tables[table].typed)
            if table in self.existing and len(self.existing[table]):
                parts.append(self.existing[table])
            pk = list(SPECS[table].primary_key)
            if not parts:
                frame = pd.DataFrame(columns=list(SPECS[table].columns))
            elif len(parts) == 1:
                frame = parts[0]
            else:
                frame = pd.concat([p[list(SPECS[table].columns)] for p in parts])
            self._frames[table] = frame.drop_duplicates(pk, keep="first")
        return self._frames[table]

    def keys(self, table: str, column: str) -> pd.Index:
        return pd.Index(self.frame(table)[column].dropna().astype(object).unique())

    def alliance_of(self, table: str) -> pd.Series:
        """Alliance id of each record of a table, indexed by its (single-column) key."""
        if table not in self._alliance:
            spec = SPECS[table]
            frame = self.frame(table)
            key = frame[spec.primary_key[0]]
            self._alliance[table] = pd.Series(
                self.row_alliance(table, frame).to_numpy(), index=key.to_numpy()
            )
        return self._alliance[table]

    def row_alliance(self, table: str, frame: pd.DataFrame) -> pd.Series:
        spec = SPECS[table]
        if table == "alliances":
            return frame["id"]
        via = spec.alliance_via
        if via == "alliance_id":
            return frame["alliance_id"]
        parent = spec.columns[via].ref[0]
        return _lookup(frame[via], self.alliance_of(parent))


def _check_references(t: _Table, out: _Problems, look: _Lookups) -> None:
    """Every id that points at another record must find it (in the input or the store)."""
    for col, cspec in t.spec.columns.items():
        if not cspec.ref:
            continue
        parent, pcol = cspec.ref
        values = t.typed[col]
        dangling = values.notna() & ~values.isin(look.keys(parent, pcol))
        out.add_rows(
            t.spec.name,
            t.rows,
            dangling,
            col,
            values,
            f"the {pcol} of a record in sheet {parent}",
        )


def _check_same_alliance(t: _Table, out: _Problems, look: _Lookups) -> None:
    """A record may only point at records of its own alliance (people, meetings, ...)."""
    spec = t.spec
    if spec.name == "alliances":
        return
    own = look.row_alliance(spec.name, t.typed)
    for col, cspec in spec.columns.items():
        if not cspec.ref or col in ("alliance_id", spec.alliance_via):
            continue
        parent = cspec.ref[0]
        if parent == "alliances" or SPECS[parent].primary_key != (cspec.ref[1],):
            continue
        theirs = _lookup(t.typed[col], look.alliance_of(parent))
        wrong = own.notna() & theirs.notna() & (own != theirs)
        if not wrong.any():  # the per-row message text is built only when needed
            continue
        expected = (
            f"a record of sheet {parent} from this row's alliance "
            + own.astype(str)
            + ", not from alliance "
            + theirs.astype(str)
        )
        out.add_rows(spec.name, t.rows, wrong, col, t.typed[col], expected)


# (table, later column, earlier column, how the earlier one is called)
DATE_ORDER = (
    ("alliances", "end_date", "start_date", "the start date"),
    ("agreements", "expires_on", "signed_on", "the signature date"),
    ("agreements", "expires_on", "effective_on", "the effective date"),
    ("actions", "closed_on", "opened_on", "the date it was opened"),
    ("actions", "due_on", "opened_on", "the date it was opened"),
    ("issues", "resolved_on", "raised_on", "the date it was raised"),
    ("issues", "escalated_on", "raised_on", "the date it was raised"),
    ("decisions", "decided_on", "raised_on", "the date it was raised"),
    ("assessment_rounds", "closes_on", "opened_on", "the date it opened"),
)


def _check_dates(t: _Table, out: _Problems, look: _Lookups) -> None:
    """Dates that must not come before another date of the same record."""
    frame = t.typed
    for table, later, earlier, called in DATE_ORDER:
        if table != t.spec.name:
            continue
        wrong = frame[later] < frame[earlier]
        if not wrong.any():  # messages are built only for rows that need one
            continue
        shown = frame[earlier].dt.strftime("%Y-%m-%d")
        expected = f"a date on or after {called} " + shown + f" ({earlier})"
        out.add_rows(table, t.rows, wrong, later, frame[later], expected)
    if t.spec.name == "outcomes":
        starts = look.frame("alliances").set_index("id")["start_date"]
        start = _lookup(frame["alliance_id"], starts)
        wrong = frame["ended_on"] < start
        if not wrong.any():
            return
        expected = "a date on or after the alliance's start date " + start.dt.strftime("%Y-%m-%d")
        out.add_rows("outcomes", t.rows, wrong, "ended_on", frame["ended_on"], expected)


def _check_kpis(t: _Table, out: _Problems) -> None:
    """A KPI's target must lie on the better side of its baseline."""
    f = t.typed
    up = (f["direction"] == "increase") & (f["target"] < f["baseline"])
    down = (f["direction"] == "decrease") & (f["target"] > f["baseline"])
    base = f["baseline"].astype(object).map(_show)
    expected = pd.Series("", index=f.index, dtype=object)
    expected[up] = "a target above the baseline " + base[up] + " because the KPI should increase"
    expected[down] = (
        "a target below the baseline " + base[down] + " because the KPI should decrease"
    )
    out.add_rows("kpis", t.rows, up | down, "target", f["target"], expected)


def _check_attendance(t: _Table, out: _Problems, look: _Lookups) -> None:
    """Who attended a meeting must be a member of the body that met (when members are
    recorded for that body)."""
    f = t.typed
    body = _lookup(f["meeting_id"], look.frame("meetings").set_index("id")["body_id"])
    members = look.frame("body_members")
    member_keys = pd.MultiIndex.from_arrays([members["body_id"], members["person_id"]])
    is_member = pd.MultiIndex.from_arrays([body, f["person_id"]]).isin(member_keys)
    has_members = body.isin(members["body_id"])
    wrong = f["attended"].astype(bool) & body.notna() & has_members & ~is_member
    if not wrong.any():
        return
    expected = "a member of body " + body.astype(str) + " (see sheet body_members)"
    out.add_rows("attendance", t.rows, wrong, "person_id", f["person_id"], expected)


def _check_required_tables(
    tables: Mapping[str, _Table], out: _Problems, existing: Mapping[str, pd.DataFrame]
) -> None:
    for name in REQUIRED_TABLES:
        given = name in tables and len(tables[name].typed)
        there = name in existing and len(existing[name])
        if not given and not there:
            out.add(name, expected=f"at least one row in sheet {name} (it is required)")


def prepare(
    frames: Mapping[str, pd.DataFrame],
    *,
    source: str = "",
    existing: Mapping[str, pd.DataFrame] | None = None,
    whole_portfolio: bool = True,
    check_existing_keys: bool = True,
    dates: str = "iso",
) -> tuple[dict[str, pd.DataFrame], list[Problem]]:
    """Parse and check a portfolio: typed frames (model column order) and every problem.

    ``existing`` is what the store holds already when the input is added to it: references
    may point at it, and keys must not collide with it. ``dates`` says how text dates are
    written (a key of DATE_ORDERS: ``day-first`` reads 03/04/2026 as 3 April).
    """
    if dates not in DATE_ORDERS:
        raise ValueError(f"unknown date setting {dates!r}; use one of {', '.join(DATE_ORDERS)}")
    out = _Problems(source)
    existing = existing or {}
    tables: dict[str, _Table] = {}
    present: dict[str, set[str]] = {}
    for name in SPECS:
        if name in frames:
            present[name] = set(frames[name].columns)
            tables[name] = _parse_table(name, frames[name], out, dates)
    for name in frames:
        if name not in SPECS:
            out.add(name, expected="a sheet named after a record type: " + ", ".join(SPECS))
    look = _Lookups(tables, existing)
    for name, t in tables.items():
        _check_values(t, out, present[name])
        _check_keys(t, out, existing.get(name) if check_existing_keys else None)
        _check_folded_ids(t, out, existing.get(name))
        _check_references(t, out, look)
        _check_same_alliance(t, out, look)
        _check_dates(t, out, look)
        if name == "kpis":
            _check_kpis(t, out)
        elif name == "attendance":
            _check_attendance(t, out, look)
    if whole_portfolio:
        _check_required_tables(tables, out, existing)
    return {name: t.typed for name, t in tables.items()}, out.sorted()


def validate(
    frames: Mapping[str, pd.DataFrame],
    *,
    source: str = "",
    existing: Mapping[str, pd.DataFrame] | None = None,
) -> list[Problem]:
    """Every problem of a portfolio (dict of frames keyed by table name); empty if valid."""
    return prepare(frames, source=source, existing=existing)[1]


def validate_record(
    table: str,
    record: Mapping[str, Any],
    existing: Mapping[str, pd.DataFrame] | None = None,
) -> dict[str, str]:
    """Inline messages for one record a form is about to save: ``{column: message}``.

    The same rules as the intake, on a one-row frame; references are looked up in
    ``existing`` (the store's frames). The record's key may already exist (an edit), so
    keys are not checked against ``existing``. Messages under ``""`` concern no column.
    """
    if table not in SPECS:
        raise ValueError(f"unknown record type {table!r}")
    frame = pd.DataFrame([{k: record.get(k) for k in SPECS[table].columns}]).astype(object)
    for extra in set(record) - set(SPECS[table].columns):
        frame[extra] = [record[extra]]
    _, problems = prepare(
        {table: frame}, existing=existing, whole_portfolio=False, check_existing_keys=False
    )
    messages: dict[str, str] = {}
    for p in problems:
        messages.setdefault(p.column or "", p.inline)
    return messages
