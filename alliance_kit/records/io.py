"""Excel and CSV intake and export of a whole portfolio.

Two formats hold the same records: an ``.xlsx`` workbook with one sheet per record type
(the sheet is named after the table) and a folder of CSV files (``<table>.csv`` each).
Import validates everything first (:mod:`alliance_kit.records.schemas`) and writes in one
transaction, or writes nothing. Export is deterministic, so export -> import -> export
gives byte-identical files, and neutralizes text a spreadsheet would run as a formula.
"""

from __future__ import annotations

import datetime as dt
import io as _io
import re
import zipfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from alliance_kit.records import changes, model, schemas
from alliance_kit.records.changes import MODES, Changes
from alliance_kit.records.model import RECORD_TYPES, TABLES, VERSION
from alliance_kit.records.schemas import SPECS, Problem
from alliance_kit.records.store import Store, typed_frame

#: Sheets of the intake template that hold no records; the reader skips them (but for the
#: README's settings).
GUIDE_SHEETS = ("README", "lists")
#: The README row (its first cell) that says how a workbook's text dates are written; the
#: setting is the next cell: one of DATE_SETTINGS (the template's B3).
DATES_LABEL = "Dates are written"
#: What the setting cell may say -> the date setting (a key of schemas.DATE_ORDERS).
DATE_SETTINGS = {shape: name for name, shape in schemas.DATE_ORDERS.items()}
FORMATS = ("xlsx", "csv")
# A fixed time for workbook properties and zip entries: same records, same bytes.
FIXED_TIME = dt.datetime(2026, 1, 1)
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)

SHEET_GUIDE: dict[str, str] = {
    "alliances": "one row per alliance: partner, type, lifecycle stage, sponsors, revenue",
    "people": "people of both partners working on each alliance",
    "strategies": "one strategy per alliance: vision, scope, value for each partner",
    "objectives": "the objectives each alliance pursues",
    "kpis": "KPI definitions: owner, baseline, target, direction, cadence, source",
    "kpi_actuals": "KPI values reported each quarter",
    "business_cases": "one business case per alliance: discount rate, horizon",
    "business_case_lines": "investments, costs and revenues by partner and year",
    "agreements": "agreements and contracts with their dates",
    "obligations": "what each agreement obliges whom to do, and by when",
    "briefings": "who was told about the strategy, agreements, KPIs, governance",
    "governance_bodies": "steering committees, operating committees, working teams",
    "body_members": "which people sit on which body",
    "meetings": "meetings of the bodies, planned and held",
    "attendance": "who attended each meeting",
    "decisions": "decisions asked for and taken",
    "raci": "who is responsible, accountable, consulted, informed for key decisions",
    "actions": "action items, activities and improvement actions",
    "resources": "people (FTE) and budget committed and assigned per quarter and partner",
    "risks": "the risk register",
    "risk_reviews": "likelihood and impact of each risk per quarter",
    "issues": "the issue log",
    "lessons": "lessons learned",
    "documents": "the lifecycle artefacts (plans, charters, strategies) and where they are",
    "assessment_rounds": "health assessment rounds",
    "respondents": "who answered each round (side, role, level)",
    "answers": "answers to the questionnaire statements, 1 to 5 or empty for don't know",
    "outcomes": "how ended alliances ended: succeeded, failed or exited",
}


@dataclass
class ImportResult:
    """What an import found and did. ``written`` is empty when anything was wrong."""

    path: str
    problems: list[Problem] = field(default_factory=list)
    written: dict[str, int] = field(default_factory=dict)
    replace: bool = True
    dry_run: bool = False
    mode: str = "replace"
    #: what the import changes (or would change) in the store; None until validated
    changes: Changes | None = None
    #: survey invitations deleted with the respondents a replace removes
    invitations_removed: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def records(self) -> int:
        return sum(self.written.values())


# --- reading -------------------------------------------------------------------------------


def read_portfolio(path: str | Path) -> tuple[dict[str, pd.DataFrame], list[Problem]]:
    """Raw frames (cells as read, index = the row number the user sees) and the problems
    that kept a file or sheet from being read at all."""
    frames, problems, _dates = read_intake(path)
    return frames, problems


def read_intake(
    path: str | Path, dates: str | None = None
) -> tuple[dict[str, pd.DataFrame], list[Problem], str]:
    """:func:`read_portfolio`, and how the file's text dates are written (a key of
    schemas.DATE_ORDERS): ``dates`` if given (``--dates``), else the workbook's README
    setting, else ISO. A workbook set to DD/MM/YYYY or MM/DD/YYYY that ``dates`` contradicts
    is a problem: which one is right is the user's to say."""
    path = Path(path)
    if dates is not None and dates not in schemas.DATE_ORDERS:
        raise ValueError(f"unknown date setting {dates!r}; use {', '.join(schemas.DATE_ORDERS)}")
    if not path.exists():
        problem = Problem(file=str(path), expected="an existing .xlsx file or CSV folder")
        return {}, [problem], dates or "iso"
    if path.is_dir():
        return (*_read_csv_folder(path), dates or "iso")
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return _read_workbook(path, dates)
    return (
        {},
        [
            Problem(
                file=str(path),
                expected="an Excel workbook (.xlsx) or a folder of CSV files named after "
                "the sheets (alliances.csv, people.csv, ...)",
            )
        ],
        dates or "iso",
    )


def _rows_frame(header: list[str], data: list[tuple], rows: list[int]) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(data, columns=header) if data else None
    if frame is None:
        frame = pd.DataFrame({h: pd.Series(dtype=object) for h in header})
    frame.index = pd.Index(rows, name="row", dtype=np.int64)
    return frame


def _read_csv_folder(folder: Path) -> tuple[dict[str, pd.DataFrame], list[Problem]]:
    frames: dict[str, pd.DataFrame] = {}
    problems: list[Problem] = []
    files = sorted(folder.glob("*.csv"))
    if not files:
        problems.append(Problem(file=str(folder), expected="CSV files such as alliances.csv"))
    for f in files:
        name = f.stem
        try:
            frame = read_csv_cells(f)
        except pd.errors.EmptyDataError:
            frame = pd.DataFrame()
        except (UnicodeDecodeError, pd.errors.ParserError, OSError) as exc:
            problems.append(
                Problem(
                    file=str(f),
                    sheet=name,
                    expected=f"a readable UTF-8 CSV file ({_first_line(exc)})",
                )
            )
            continue
        header = _csv_header(f)
        if header is not None and len(header) == len(frame.columns):
            frame.columns = header  # as written: pandas renames a repeated name (id.1)
        else:
            frame.columns = [str(c).strip() for c in frame.columns]
        frame.index = pd.RangeIndex(2, len(frame) + 2, name="row")
        frame, more = _unique_columns(frame, str(f), name, 1)
        problems.extend(more)
        frames[name] = frame
    return frames, problems


def _csv_header(path: Path) -> list[str] | None:
    """The header row of a CSV file as written (names stripped), or None if unreadable."""
    import csv

    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            row = next(csv.reader(fh), None)
    except (OSError, UnicodeDecodeError, csv.Error):
        return None
    return None if row is None else [c.strip() for c in row]


def read_csv_cells(path: Path) -> pd.DataFrame:
    """A CSV file's cells as text exactly as written (empty cells as ``""``), in object
    columns of plain Python strings (fast null checks downstream).

    pyarrow's reader does the parsing (about twice as fast as pandas' C parser); a file
    it cannot take as a plain table (a duplicate or missing column name, a row with more
    or fewer cells than the header, bad UTF-8) is read by pandas instead, whose messages
    and handling the user's problem report is built on."""
    header = _csv_header(path)
    if header and len(set(header)) == len(header) and all(header):
        import pyarrow as pa
        import pyarrow.csv as pacsv

        try:
            table = pacsv.read_csv(
                path,
                parse_options=pacsv.ParseOptions(newlines_in_values=True),
                convert_options=pacsv.ConvertOptions(
                    column_types={name: pa.string() for name in header},
                    strings_can_be_null=False,
                    quoted_strings_can_be_null=False,
                ),
            )
        except (pa.ArrowInvalid, pa.ArrowTypeError, OSError):
            pass
        else:
            if table.column_names == header:
                return pd.DataFrame(
                    {
                        name: pd.Series(col.to_numpy(zero_copy_only=False), dtype=object)
                        for name, col in zip(header, table.columns, strict=True)
                    },
                    columns=header,
                )
    return pd.read_csv(
        path, dtype=object, keep_default_na=False, na_filter=False, encoding="utf-8-sig"
    )


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


@dataclass(frozen=True)
class ReadLimits:
    """How much a workbook may hold before it is refused unread: its parts unpacked (an
    .xlsx is a zip; a 1 MB file can unpack to gigabytes of repeated text) and its cells
    per sheet. Environment: ``ALLIANCE_KIT_MAX_XLSX_MB``, ``ALLIANCE_KIT_MAX_CELLS``."""

    max_unpacked_bytes: int = 256 * 2**20
    max_cells: int = 10_000_000

    @classmethod
    def from_env(cls) -> ReadLimits:
        import os

        def number(name: str, default: int, scale: int = 1) -> int:
            raw = os.environ.get(name, "").strip()
            try:
                return int(float(raw) * scale) if raw else default
            except ValueError:
                raise ValueError(f"${name} must be a number, not {raw!r}") from None

        return cls(
            number("ALLIANCE_KIT_MAX_XLSX_MB", cls.max_unpacked_bytes, 2**20),
            number("ALLIANCE_KIT_MAX_CELLS", cls.max_cells),
        )


def _too_many_cells(file: str, sheet: str, row: int, limits: ReadLimits) -> Problem:
    return Problem(
        file,
        sheet,
        row,
        "",
        None,
        f"at most {limits.max_cells:,} cells in a sheet (this one has more by row {row}; "
        "split the portfolio or raise $ALLIANCE_KIT_MAX_CELLS)",
    )


def _unpacked_size_problem(path: Path, limits: ReadLimits) -> Problem | None:
    """A workbook whose zip parts unpack to more than the limit, judged from the zip's
    directory before anything is decompressed (None: within the limit, or not a zip,
    which openpyxl then reports)."""
    try:
        with zipfile.ZipFile(path) as zf:
            total = sum(max(info.file_size, 0) for info in zf.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    if total <= limits.max_unpacked_bytes:
        return None
    mib = limits.max_unpacked_bytes / 2**20
    return Problem(
        file=str(path),
        expected=f"a workbook that unpacks to at most {mib:,.0f} MiB (this one unpacks to "
        f"{total / 2**20:,.0f} MiB; raise $ALLIANCE_KIT_MAX_XLSX_MB if it is genuine)",
    )


def _read_workbook(
    path: Path, dates: str | None = None
) -> tuple[dict[str, pd.DataFrame], list[Problem], str]:
    import openpyxl

    too_big = _unpacked_size_problem(path, ReadLimits.from_env())
    if too_big is not None:
        return {}, [too_big], dates or "iso"
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable file is the user's to fix
        return (
            {},
            [
                Problem(
                    file=str(path),
                    expected=f"an Excel workbook (.xlsx) that opens ({_first_line(exc)})",
                )
            ],
            dates or "iso",
        )
    frames: dict[str, pd.DataFrame] = {}
    problems: list[Problem] = []
    titles: dict[str, str] = {}  # sheet name as read -> the title in the workbook
    setting = dates or "iso"
    try:
        for ws in wb.worksheets:
            if ws.title == "README":
                setting, more = _date_setting(ws, str(path), dates)
                problems.extend(more)
            if ws.title in GUIDE_SHEETS:
                continue
            name = ws.title.strip()
            if name in titles:  # "alliances" and "alliances ": which one holds the records?
                problems.append(
                    Problem(
                        file=str(path),
                        sheet=name,
                        expected=f"one sheet named {name}, not two: the workbook has "
                        f"sheets '{titles[name]}' and '{ws.title}'",
                    )
                )
                continue
            titles[name] = ws.title
            frame, sheet_problems = _read_sheet(ws, str(path), _uncalculated_formulas(wb, ws))
            frames[name] = frame
            problems.extend(sheet_problems)
    finally:
        wb.close()
    return frames, problems, setting


def _date_setting(ws: Any, file: str, given: str | None) -> tuple[str, list[Problem]]:
    """The README's "Dates are written" setting (a key of schemas.DATE_ORDERS; ``given``
    by the command line, or ISO, where the sheet has none), and its problems: a value that
    is no setting, or one that contradicts ``given``. The sheet's YYYY-MM-DD (the
    template's default) yields to ``given``: ISO dates are read under every setting."""
    for number, row in enumerate(ws.iter_rows(max_row=200, values_only=True), start=1):
        label = row[0] if row else None
        if not isinstance(label, str) or label.strip().rstrip(":").strip().casefold() != (
            DATES_LABEL.casefold()
        ):
            continue
        value = row[1] if len(row) > 1 else None
        text = "" if value is None else str(value).strip()
        if not text:
            break
        found = _setting_named(text)
        if found is None:
            shapes = ", ".join(DATE_SETTINGS)
            expected = f"one of {shapes}: how this workbook's dates are written"
            return given or "iso", [Problem(file, ws.title, number, "B", text, expected)]
        if given is not None and found == "iso":  # the template's default yields to --dates
            return given, []
        if given is not None and given != found:
            expected = (
                f"{schemas.DATE_ORDERS[given]}, as --dates {given} says (or leave --dates "
                "out): the workbook and the command disagree on how its dates are written"
            )
            return given, [Problem(file, ws.title, number, "B", text, expected)]
        return found, []
    return given or "iso", []


def _setting_named(text: str) -> str | None:
    """The date setting a README cell names: a shape (``DD/MM/YYYY``) or a setting's name
    (``day-first``), in any letter case; None for anything else."""
    folded = text.casefold().replace(" ", "")
    for shape, name in DATE_SETTINGS.items():
        if folded in (shape.casefold(), name):
            return name
    return None


#: A formula element (``<f>``, ``<f t="shared" .../>``, ``<x:f>``) in a sheet's XML.
_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[\s>/]")


def _uncalculated_formulas(wb: Any, ws: Any) -> set[tuple[int, int]]:
    """(row, column) of the cells holding a formula without a calculated value (a file
    written by a program that does not calculate): openpyxl reads them as empty cells.
    The sheet's XML is scanned for a formula first; most sheets have none."""
    archive, member = getattr(wb, "_archive", None), getattr(ws, "_worksheet_path", None)
    if archive is None or member is None:
        return set()
    tail = b""
    with archive.open(member) as src:
        for chunk in iter(lambda: src.read(1 << 20), b""):
            if _FORMULA_TAG.search(tail + chunk):
                break
            tail = chunk[-16:]
        else:
            return set()
    from xml.etree.ElementTree import iterparse

    from openpyxl.utils.cell import column_index_from_string, coordinate_from_string

    found: set[tuple[int, int]] = set()
    with archive.open(member) as src:
        for _, elem in iterparse(src):
            tag = elem.tag.rsplit("}", 1)[-1]
            if tag == "c":
                children = {child.tag.rsplit("}", 1)[-1]: child for child in elem}
                value = children.get("v")
                has_value = value is not None and (value.text or elem.get("t") == "str")
                if "f" in children and not has_value and elem.get("r"):
                    letters, row = coordinate_from_string(elem.get("r"))
                    found.add((row, column_index_from_string(letters)))
                elem.clear()
            elif tag == "row":
                elem.clear()
    return found


def _read_sheet(
    ws: Any, file: str, uncalculated: set[tuple[int, int]] = frozenset()
) -> tuple[pd.DataFrame, list[Problem]]:
    """One sheet: header row, then data rows; blank rows are skipped, numbers kept.
    ``uncalculated`` cells (row, column) are reported: their value is unknown."""
    it = ws.iter_rows(values_only=True)
    header_cells = next(it, None) or ()
    header = [None if h is None else str(h).strip() or None for h in header_cells]
    while header and header[-1] is None:
        header.pop()
    width = len(header)
    problems = [
        Problem(file, ws.title, 1, "", None, "a column name in every header cell")
        for h in header
        if h is None
    ]
    header = [h or f"(column {i + 1})" for i, h in enumerate(header)]
    problems += [
        Problem(
            file,
            ws.title.strip(),
            row,
            header[col - 1] if row > 1 else "",
            None,
            "a value, not a formula that was never calculated (open the file in Excel "
            "and save it, or type the value)",
        )
        for row, col in sorted(uncalculated)
        if col <= width
    ]
    limits = ReadLimits.from_env()
    data, rows = [], []
    for number, values in enumerate(it, start=2):
        cells = values[:width]
        if any(v is not None and v != "" for v in cells):
            data.append(tuple(cells) + (None,) * (width - len(cells)))
            rows.append(number)
            if len(data) * max(width, 1) > limits.max_cells:
                problems.append(_too_many_cells(file, ws.title, number, limits))
                break
    frame = _rows_frame(header, data, rows)
    frame, more = _unique_columns(frame, file, ws.title, 1)
    return frame, problems + more


def _unique_columns(
    frame: pd.DataFrame, file: str, sheet: str, row: int | None
) -> tuple[pd.DataFrame, list[Problem]]:
    """A sheet whose header names a column twice: one problem per repeat, and only the
    first column of each name kept (the validator needs one column per name)."""
    repeated = frame.columns.duplicated()
    if not repeated.any():
        return frame, []
    problems = [
        Problem(file, sheet, row, str(name), None, "each column name once in the header row")
        for name in dict.fromkeys(frame.columns[repeated])
    ]
    return frame.loc[:, ~repeated], problems


def load_portfolio(
    path: str | Path,
    *,
    existing: Mapping[str, pd.DataFrame] | None = None,
    dates: str | None = None,
) -> tuple[dict[str, pd.DataFrame], list[Problem]]:
    """Read and validate a portfolio file: typed frames and every problem found.
    ``dates`` says how its text dates are written (see :func:`read_intake`)."""
    raw, problems, dates = read_intake(path, dates)
    if problems and not raw:
        return {}, problems
    typed, more = schemas.prepare(raw, source=str(path), existing=existing, dates=dates)
    return typed, problems + more


def import_portfolio(
    store: Store,
    path: str | Path,
    *,
    mode: str = "replace",
    dry_run: bool = False,
    before_write: Callable[[Changes], Any] | None = None,
    after_write: Callable[[Changes, Any], Any] | None = None,
    force: bool = False,
    dates: str | None = None,
) -> ImportResult:
    """Validate a workbook or CSV folder and write it to the store in one transaction.

    ``mode`` (see :mod:`alliance_kit.records.changes`): ``merge`` adds new keys, updates changed
    rows and keeps rows absent from the file (a partial file, say only ``kpi_actuals``,
    is valid: its references may point at stored records); ``replace`` makes the store
    equal the file (record types missing from it are emptied); ``add`` takes new keys
    only (a stored key is a problem). The store is read, compared and written in one
    transaction that keeps other writers out, so ``result.changes`` is exactly what was
    written, and what ``dry_run`` reports is what the real run then does. Survey
    invitations are not in files: a replace keeps those of respondents the file keeps.
    ``before_write`` is called with the changes once they are known and valid, before
    anything is written (the command line takes its snapshot there); ``after_write`` with
    the changes and the connection once they are written, inside the same transaction (a
    change history recorded there commits or rolls back with the import). With any
    problem, or ``dry_run``, nothing is written.

    A merge refuses rows it would change whose ``version`` (as exported) is older than
    the stored one: someone changed the record since the file was exported, and saving
    would silently undo their change. ``force`` saves them anyway. ``dates`` says how the
    file's text dates are written (see :func:`read_intake`).
    """
    if mode not in MODES:
        raise ValueError(f"unknown import mode {mode!r}; use one of {', '.join(MODES)}")
    result = ImportResult(str(path), replace=mode == "replace", dry_run=dry_run, mode=mode)
    raw, problems, dates = read_intake(path, dates)
    if problems and not raw:
        result.problems = problems
        return result
    columns = {name: tuple(str(c) for c in frame.columns) for name, frame in raw.items()}
    if mode == "replace":  # the file stands alone: validate before taking the store's lock
        typed, more = schemas.prepare(raw, source=str(path), dates=dates)
        if problems or more:
            result.problems = problems + more
            return result
    with store.exclusive_write() if not dry_run else _reading(store) as conn:
        existing = store.read_all(conn=conn)
        if mode != "replace":
            typed, more = schemas.prepare(
                raw,
                source=str(path),
                existing=existing,
                check_existing_keys=mode == "add",
                dates=dates,
            )
            if problems or more:
                result.problems = problems + more
                return result
        result.changes = changes.diff(existing, typed, mode=mode, columns=columns)
        result.written = {
            name: tc.counts["added"] + tc.counts["changed"] + tc.counts["unchanged"]
            for name, tc in result.changes.tables.items()
        }
        if mode == "merge" and not force:
            stale = _stale_problems(store, result.changes, raw, str(path), conn)
            if stale:
                result.problems = stale
                return result
        if mode == "replace":
            result.invitations_removed = _invitations_of_removed(store, result.changes, conn)
        if dry_run:
            return result
        if before_write is not None:
            before_write(result.changes)
        done = store.apply_changes(result.changes, conn)
        result.invitations_removed = done["invitations_removed"]
        if after_write is not None:
            after_write(result.changes, conn)
    return result


@contextmanager
def _reading(store: Store) -> Iterator[Any]:
    """A read-only transaction (one consistent view of every table)."""
    with store.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            yield conn


def _stale_problems(
    store: Store, diff: Changes, raw: Mapping[str, pd.DataFrame], file: str, conn: Any
) -> list[Problem]:
    """The rows a merge would change whose exported version is older than the stored
    one, placed at their row and ``version`` cell, naming who changed the record and when."""
    problems = []
    for name, tc in diff.tables.items():
        if not len(tc.changed) or VERSION not in tc.changed.columns:
            continue
        held = pd.to_numeric(tc.changed[VERSION], errors="coerce")
        stored = pd.to_numeric(tc.before[VERSION], errors="coerce")
        mask = (held.notna() & (held < stored)).to_numpy()
        if not mask.any():
            continue
        stale = store.stale_rows(name, tc.changed[mask], conn=conn)
        rows = _row_numbers(raw.get(name), list(tc.key))
        for r in stale.to_dict("records"):
            by = f" by {r['changed_by']}" if r.get("changed_by") else ""
            at = r.get("changed_at")
            when = (
                f" at {pd.Timestamp(at):%Y-%m-%d %H:%M} UTC"
                if at is not None and pd.notna(at)
                else ""
            )
            problems.append(
                Problem(
                    file,
                    name,
                    rows.get(r["key"]),
                    VERSION,
                    r["held_version"],
                    f"version {int(r['store_version'])}: {r['key']} was changed{by}{when} "
                    "after this file was exported. Export again and redo this edit, or "
                    "add --force to overwrite that change",
                )
            )
    return problems


def _row_numbers(raw: pd.DataFrame | None, key: list[str]) -> dict[str, int]:
    """Row number (as the user sees it) of each key, keys joined as the history shows them."""
    if raw is None or not set(key) <= set(raw.columns):
        return {}
    joined = raw[key].astype(str).apply(lambda c: c.str.strip()).agg(" / ".join, axis=1)
    return {k: int(row) for row, k in joined.items()}


def _invitations_of_removed(store: Store, diff: Changes, conn: Any) -> int:
    """How many survey invitations belong to respondents the change removes."""
    tc = diff.tables.get("respondents")
    if tc is None or not len(tc.removed):
        return 0
    inv = store.read("invitations", {"respondent_id": tc.removed["id"].tolist()}, conn=conn)
    return len(inv)


# --- export --------------------------------------------------------------------------------


def export_frames(source: Store | Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Every record type, typed and sorted by key (invitations are never exported)."""
    from_store = isinstance(source, Store)
    frames = source.read_all() if from_store else source
    out = {}
    for rt in RECORD_TYPES:
        table = TABLES[rt.table]
        frame = frames.get(rt.table)
        if from_store:  # Store.read types its frames already
            typed = frame
        else:
            typed = typed_frame(table, frame if frame is not None else pd.DataFrame())
        out[rt.table] = _sorted_by_key(typed, list(SPECS[rt.table].primary_key))
    return out


def _sorted_by_key(frame: pd.DataFrame, key: list[str]) -> pd.DataFrame:
    """Rows in key order; frames read from SQLite already are (no sort then)."""
    if _in_key_order(frame, key):
        return frame
    return frame.sort_values(key, kind="stable").reset_index(drop=True)


def _in_key_order(frame: pd.DataFrame, key: list[str]) -> bool:
    """Whether each row's key is >= the previous row's (compared column by column, as
    sort_values orders them); False for a missing key or keys that do not compare."""
    if frame[key].isna().to_numpy().any():
        return False
    tied = np.ones(max(len(frame) - 1, 0), dtype=bool)  # equal on the columns so far
    try:
        for col in key:
            values = frame[col].to_numpy()
            before, after = values[:-1], values[1:]
            if (tied & (before > after)).any():
                return False
            tied &= before == after
    except TypeError:
        return False
    return True


def _cells(table: str, frame: pd.DataFrame, fmt: str) -> dict[str, pd.Series]:
    """The cell values of one sheet: neutralized text, yes/no, dates as the format wants."""
    cols: dict[str, pd.Series] = {}
    for name, spec in SPECS[table].columns.items():
        s = frame[name]
        if spec.kind == "text":
            s = schemas.neutralize(schemas.unix_lines(s.astype(object)))
        elif spec.kind == "bool":
            s = s.map({True: "yes", False: "no"}).astype(object)
        elif spec.kind in ("date", "datetime"):
            if fmt == "csv":
                fmt_str = "%Y-%m-%d" if spec.kind == "date" else "%Y-%m-%d %H:%M:%S"
                s = s.dt.strftime(fmt_str).astype(object)
            else:
                s = pd.Series(
                    s.dt.date if spec.kind == "date" else s.dt.to_pydatetime(), dtype=object
                )
        elif spec.kind == "int" or fmt == "xlsx":
            s = s.astype(object)
        if s.dtype == object:
            s = s.where(s.notna(), None)
        cols[name] = s
    return cols


def export_portfolio(
    source: Store | Mapping[str, pd.DataFrame], path: str | Path, fmt: str | None = None
) -> Path:
    """Write the portfolio as an .xlsx workbook or a folder of CSV files; returns the path.

    ``fmt`` defaults to ``xlsx`` for a path ending in .xlsx, else ``csv`` (a folder).
    """
    path = Path(path)
    fmt = fmt or ("xlsx" if path.suffix.lower() == ".xlsx" else "csv")
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; use xlsx or csv")
    frames = export_frames(source)
    if fmt == "csv":
        path.mkdir(parents=True, exist_ok=True)
        for table, frame in frames.items():
            cells = pd.DataFrame(_cells(table, frame, "csv"))
            cells.to_csv(path / f"{table}.csv", index=False, lineterminator="\n")
        return path
    _refuse_unwritable_text(frames)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(_workbook_bytes(frames))
    return path


def _refuse_unwritable_text(frames: Mapping[str, pd.DataFrame]) -> None:
    """Text no workbook can hold (control characters stored before the store refused
    them): ValueError naming each record and column, before any file is written."""
    found = []
    for table, frame in frames.items():
        spec = SPECS[table]
        for name, col in spec.columns.items():
            if col.kind != "text":
                continue
            for i in model.bad_text(frame[name].tolist()):
                key = " / ".join(str(frame[k].iloc[i]) for k in spec.primary_key)
                found.append(
                    f"{table} {model.visible(key)}, column {name}: "
                    f"{model.visible(str(frame[name].iloc[i]))[:60]}"
                )
    if found:
        shown = "\n  ".join(found[:20]) + ("\n  ..." if len(found) > 20 else "")
        raise ValueError(
            f"cannot export to xlsx: {len(found)} stored text(s) hold control characters "
            f"no workbook can hold (correct them, or export to CSV):\n  {shown}"
        )


def _workbook_bytes(frames: Mapping[str, pd.DataFrame]) -> bytes:
    import openpyxl

    wb = openpyxl.Workbook(write_only=True)
    for table, frame in frames.items():
        ws = wb.create_sheet(table)
        ws.freeze_panes = "A2"
        for i, (name, spec) in enumerate(SPECS[table].columns.items(), start=1):
            ws.column_dimensions[_letter(i)].width = _width(name, spec)
        cells = _cells(table, frame, "xlsx")
        ws.append(list(cells))
        for row in zip(*(c.tolist() for c in cells.values()), strict=True):
            ws.append(row)
    return _saved(wb)


def _saved(wb: Any) -> bytes:
    """The workbook's bytes with fixed timestamps (properties and zip entries)."""
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    wb.properties.creator = "alliance-kit"
    buf = _io.BytesIO()
    wb.save(buf)
    return _deterministic_zip(buf.getvalue())


def _deterministic_zip(data: bytes) -> bytes:
    stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ")
    out = _io.BytesIO()
    with (
        zipfile.ZipFile(_io.BytesIO(data)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for item in src.infolist():
            content = src.read(item.filename)
            if item.filename == "docProps/core.xml":
                content = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                    rb"\g<1>" + stamp.encode() + rb"\g<2>",
                    content,
                )
            info = zipfile.ZipInfo(item.filename, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            dst.writestr(info, content)
    return out.getvalue()


def _letter(i: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(i)


def _width(name: str, spec: schemas.ColumnSpec) -> float:
    if spec.kind in ("date", "bool", "int", "float"):
        return max(len(name) + 2, 12)
    if spec.choices:
        return max(len(name) + 2, min(max(len(str(c)) for c in spec.choices) + 4, 34))
    if spec.length and spec.length <= 40:
        return max(len(name) + 2, 14)
    return max(len(name) + 2, 28)


# --- the intake template -------------------------------------------------------------------


def _column_note(table: str, spec: schemas.ColumnSpec) -> str:
    lines = [spec.note or spec.name]
    if spec.choices and spec.shape:  # too many to name here: the drop-down lists them
        lines.append(f"Allowed: {spec.shape} (the drop-down lists them all)")
    elif spec.choices:
        lines.append("Allowed: " + ", ".join(str(c) for c in spec.choices))
    elif spec.pattern:
        lines.append(f"Format: {spec.shape}")
    elif spec.kind == "date":
        lines.append(f"Format: date YYYY-MM-DD, or as README!{DATES_CELL} says")
    elif spec.kind == "datetime":
        lines.append(f"Format: YYYY-MM-DD HH:MM:SS, or as README!{DATES_CELL} says")
    elif spec.kind == "bool":
        lines.append("Allowed: yes, no (empty means no)")
    elif spec.share:
        lines.append("A share from 0 to 1, or a percentage like 40%")
    elif spec.kind in ("int", "float"):
        kind = "A whole number" if spec.kind == "int" else "A number"
        lines.append(f"{kind}; thousands separators are fine (2,000,000)")
    if not spec.share and (spec.min is not None or spec.max is not None):  # a share says it
        lo = "" if spec.min is None else schemas._show(spec.min)
        hi = "" if spec.max is None else schemas._show(spec.max)
        lines.append(f"Range: {lo or '...'} to {hi or '...'}")
    if spec.ref:
        lines.append(f"Refers to: {spec.ref[1]} in sheet {spec.ref[0]}")
    if spec.name in SPECS[table].primary_key:
        lines.append("Key: unique in this sheet")
    lines.append("Required" if spec.required else "Optional")
    return "\n".join(lines)


#: The README cell holding the "Dates are written" setting (its label is in column A).
DATES_CELL = "B3"


def _readme_rows() -> list[list[str]]:
    rows = [
        ["alliance-kit intake workbook"],
        [""],
        [
            DATES_LABEL,
            schemas.DATE_ORDERS["iso"],
            "how dates typed as text are written here: YYYY-MM-DD, or DD/MM/YYYY (day "
            "first), or MM/DD/YYYY (month first). YYYY-MM-DD and cells Excel shows as "
            "dates are always read right.",
        ],
        [""],
        ["Fill one sheet per record type; each row is one record. Keep the header row as it"],
        ["is: the column names are what the importer reads. Hover over a header for its note,"],
        ["allowed values, range and whether it is required. Drop-downs list the allowed values."],
        ["Dates as set in B3 above (a number in a date cell is read as Excel's date number);"],
        ["quarters like 2026-Q3; flags yes or no. Numbers may have thousands separators"],
        ["(2,000,000); shares such as discount_rate take 0.4 or 40%. Currencies: any ISO 4217"],
        ["code (USD, EUR, NOK, ...)."],
        ["Ids are short texts you choose (A001, KPI-0007): up to 40 letters A-Z or a-z, digits,"],
        ["'.', '_' or '-', starting with a letter or digit; two ids differing only in letter case"],
        ["are the same id. Other sheets refer to ids, so fill the sheets in the order below: a"],
        ["record can only refer to records listed above it. Text may hold line breaks and tabs,"],
        ["no other control characters."],
        ["Sheets you do not use may stay empty. Check the file with"],
        ["    alliance-kit validate intake.xlsx"],
        ["and load it with `alliance-kit import intake.xlsx --merge` (adds and updates records)."],
        [""],
        ["Order", "Sheet", "What it holds", "Refers to"],
    ]
    for i, rt in enumerate(RECORD_TYPES, start=1):
        spec = SPECS[rt.table]
        refs = sorted({c.ref[0] for c in spec.columns.values() if c.ref} - {rt.table})
        rows.append([str(i), rt.table, SHEET_GUIDE.get(rt.table, ""), ", ".join(refs)])
    return rows


def template_workbook() -> Any:
    """The intake workbook: README, one sheet per record type with notes and drop-downs."""
    import openpyxl
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = openpyxl.Workbook()
    readme = wb.active
    readme.title = "README"
    for row in _readme_rows():
        readme.append(row)
    readme["A1"].font = Font(bold=True, size=14)
    for cell in readme[len(_readme_rows()) - len(RECORD_TYPES)]:
        cell.font = Font(bold=True)
    readme.column_dimensions["A"].width = 8
    readme.column_dimensions["B"].width = 22
    readme.column_dimensions["C"].width = 80
    readme.column_dimensions["D"].width = 40
    setting = readme[DATES_CELL]
    setting.font = Font(bold=True)
    setting.fill = PatternFill("solid", fgColor="FFF2CC")
    readme.cell(row=setting.row, column=1).font = Font(bold=True)
    readme.cell(row=setting.row, column=3).alignment = Alignment(wrap_text=True)
    readme.row_dimensions[setting.row].height = 45
    shapes = DataValidation(
        type="list", formula1='"' + ",".join(DATE_SETTINGS) + '"', allow_blank=True
    )
    shapes.error = "Choose one of: " + ", ".join(DATE_SETTINGS)
    shapes.errorTitle = DATES_LABEL
    shapes.add(DATES_CELL)
    readme.add_data_validation(shapes)

    lists = wb.create_sheet("lists")
    lists.sheet_state = "hidden"
    list_col = 0
    bold = Font(bold=True)
    required_fill = PatternFill("solid", fgColor="FFF2CC")
    plain_fill = PatternFill("solid", fgColor="DDEBF7")
    for rt in RECORD_TYPES:
        ws = wb.create_sheet(rt.table)
        ws.freeze_panes = "A2"
        for i, (name, spec) in enumerate(SPECS[rt.table].columns.items(), start=1):
            letter = _letter(i)
            cell = ws.cell(row=1, column=i, value=name)
            cell.font = bold
            cell.fill = required_fill if spec.required else plain_fill
            comment = Comment(_column_note(rt.table, spec), "alliance-kit")
            comment.width, comment.height = 320, 140
            cell.comment = comment
            ws.column_dimensions[letter].width = _width(name, spec)
            cells = f"{letter}2:{letter}5000"
            choices = (
                [str(c) for c in spec.choices]
                if spec.choices
                else (["yes", "no"] if spec.kind == "bool" else None)
            )
            if choices:
                inline = ",".join(choices)
                if len(inline) <= 200 and not any("," in c for c in choices):
                    formula = f'"{inline}"'
                else:
                    list_col += 1
                    col = _letter(list_col)
                    lists.cell(row=1, column=list_col, value=f"{rt.table}.{name}")
                    for r, c in enumerate(choices, start=2):
                        lists.cell(row=r, column=list_col, value=c)
                    formula = f"lists!${col}$2:${col}${len(choices) + 1}"
                dv = DataValidation(type="list", formula1=formula, allow_blank=True)
                if spec.shape:  # a long list (currencies): say what it holds
                    dv.error = f"Choose {spec.shape} from the list"
                else:
                    dv.error = f"Choose one of: {', '.join(choices)}"[:255]
                dv.errorTitle = name
                dv.add(cells)
                ws.add_data_validation(dv)
            elif spec.kind in ("int", "float") and (spec.min is not None or spec.max is not None):
                lo = -1e15 if spec.min is None else spec.min
                hi = 1e15 if spec.max is None else spec.max
                dv = DataValidation(
                    type="whole" if spec.kind == "int" else "decimal",
                    operator="between",
                    formula1=schemas._show(lo),
                    formula2=schemas._show(hi),
                    allow_blank=True,
                )
                dv.error = f"Expected {spec.describe()}"
                dv.errorTitle = name
                dv.add(cells)
                ws.add_data_validation(dv)
    # The lists sheet goes last, after the record sheets.
    wb.move_sheet("lists", offset=len(wb.sheetnames) - 1 - wb.sheetnames.index("lists"))
    return wb


def write_template(path: str | Path) -> Path:
    """Write the intake template (templates/intake.xlsx in the repository)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(_saved(template_workbook()))
    return path


def default_template_path() -> Path:
    from alliance_kit import config

    return config.project_root() / "templates" / "intake.xlsx"
