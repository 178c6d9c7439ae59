"""Widget forms and tables the notebooks use, built from the data model.

``RecordForm`` turns any model table into an ipywidgets form: each column's ``info`` decides
the widget (choices and references become drop-downs, dates date pickers, flags check boxes,
numbers bounded number boxes, long text a text area) and its note becomes the tooltip.
Nothing is saved until ``schemas.validate_record`` finds no problem; problems show inline
under their field. Save upserts through the store in one transaction and calls
``on_saved`` so views can refresh. ``TableView`` shows a DataFrame as an escaped HTML table
that stays readable in static HTML exports. ``AllianceForm`` is the RecordForm of the
workbooks: bound to one alliance, with extra checks whose messages win. Everything here
runs without a browser: tests set widget values and call ``save()`` or
``save_button.click()``.

All text users typed is escaped before it reaches an HTML widget.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import ipywidgets as W
import pandas as pd
from sqlalchemy import String
from sqlalchemy.exc import SQLAlchemyError

from alliance_kit.records.model import (
    ALLIANCE_PATH,
    TABLES,
    VERSION,
    RecordRefused,
    unix_lines,
    value_kind,
)
from alliance_kit.records.store import StaleRecordError, Store, StoreError
from alliance_kit.views import formatting as fmt

#: Prefix and digits of generated ids per table (tables not listed: first letters + "-").
ID_FORMATS: dict[str, tuple[str, int]] = {
    "alliances": ("A", 3),
    "people": ("P-", 4),
    "objectives": ("OBJ-", 4),
    "kpis": ("KPI-", 4),
    "business_case_lines": ("BCL-", 4),
    "agreements": ("AGR-", 4),
    "obligations": ("OBL-", 4),
    "briefings": ("BRF-", 4),
    "governance_bodies": ("GB-", 4),
    "meetings": ("MTG-", 4),
    "decisions": ("DEC-", 4),
    "raci": ("RACI-", 4),
    "actions": ("ACT-", 4),
    "resources": ("RES-", 4),
    "risks": ("RSK-", 4),
    "issues": ("ISS-", 4),
    "lessons": ("LES-", 4),
    "documents": ("DOC-", 4),
    "assessment_rounds": ("R-", 4),
    "respondents": ("RSP-", 4),
}
#: Words shown in capitals in labels.
_ACRONYMS = {"id": "id", "kpi": "KPI", "kpis": "KPIs", "fte": "FTE", "raci": "RACI", "iso": "ISO"}
#: Columns whose value names a record, used to label drop-down entries.
_LABEL_COLUMNS = ("name", "title", "item", "decision_area", "audience", "description", "label")
LABEL_WIDTH = "190px"
FIELD_WIDTH = "560px"
_NONE_LABEL = "—"


def label_for(column: str) -> str:
    """A readable label for a column name: ``our_sponsor_level`` -> ``Our sponsor level``,
    ``alliance_id`` -> ``Alliance``, ``kpi_id`` -> ``KPI``, ``fte_committed`` ->
    ``FTE committed``."""
    words = column.split("_")
    if len(words) > 1 and words[-1] == "id":
        words = words[:-1]
    shown = [_ACRONYMS.get(w, w) for w in words]
    text = " ".join(shown)
    return text[:1].upper() + text[1:] if text else column


def record_label(row: Mapping[str, Any], keys: Sequence[str]) -> str:
    """How a record is named in drop-downs: its key, then its name or title if it has one."""
    key = " / ".join(str(row[k]) for k in keys)
    for col in _LABEL_COLUMNS:
        value = row.get(col)
        if value is not None and not pd.isna(value) and str(value).strip():
            text = str(value)
            return f"{key} — {text[:60] + '…' if len(text) > 60 else text}"
    return key


def _present(value: Any) -> bool:
    if value is None:
        return False
    try:
        return not bool(pd.isna(value))
    except (TypeError, ValueError):
        return True


def message_html(message: str | None) -> str:
    """The inline message under a field (escaped), or nothing."""
    if not message:
        return ""
    return (
        f'<div class="ak-field-message" style="color:#b3261e;font-size:0.9em;'
        f'margin:0 0 6px calc({LABEL_WIDTH} + 8px)">&#9888; {html.escape(message)}</div>'
    )


@dataclass
class Field:
    """One form field: the model column, how it is edited, and its inline message."""

    name: str
    label: str
    kind: str
    nullable: bool
    widget: W.Widget
    message: W.HTML


class RecordForm:
    """An add/edit form for the records of one table.

    ``fields`` picks and orders the columns shown (default: all). Columns not shown keep
    the loaded record's values, or ``defaults`` for a new record (use it to fix
    ``alliance_id`` in a per-alliance workbook). ``where`` limits the records offered by
    Load; ``options`` replaces a drop-down's entries (``[(label, value), ...]``);
    ``labels`` overrides field labels. An empty id is filled with ``store.next_id`` on save.
    ``on_saved(record)`` runs after every successful save.
    """

    def __init__(
        self,
        store: Store,
        table: str,
        fields: Sequence[str] | None = None,
        *,
        title: str | None = None,
        labels: Mapping[str, str] | None = None,
        defaults: Mapping[str, Any] | None = None,
        where: Mapping[str, Any] | None = None,
        options: Mapping[str, Sequence[tuple[str, Any]]] | None = None,
        id_format: tuple[str, int] | None = None,
        on_saved: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self.store = store
        self.table_name = table
        self.table = TABLES[table]
        self.keys = [c.name for c in self.table.primary_key.columns]
        self.defaults = dict(defaults or {})
        self.where = dict(where or {})
        self._options = {k: list(v) for k, v in (options or {}).items()}
        self.id_format = id_format or ID_FORMATS.get(table) or (table[:3].upper() + "-", 4)
        self.on_saved = on_saved
        self.loaded_key: dict[str, Any] | None = None
        self._base: dict[str, Any] = {}
        self._parse_errors: dict[str, str] = {}
        self.messages: dict[str, str] = {}
        names = (
            list(fields)
            if fields is not None
            else [c.name for c in self.table.c if c.name != VERSION]  # the store keeps it
        )
        unknown = [n for n in names if n not in self.table.c]
        if unknown:
            raise ValueError(f"{table} has no column(s) {', '.join(unknown)}")
        labels = dict(labels or {})
        self.fields: dict[str, Field] = {
            n: self._make_field(n, labels.get(n, label_for(n))) for n in names
        }
        self.title = title or f"{label_for(table)} record"
        self._build_controls()
        self.refresh_options()
        self.new()

    # --- construction -----------------------------------------------------------------

    def _kind(self, col: Any) -> str:
        info = col.info
        if col.foreign_keys or info.get("ref"):
            return "ref"
        if info.get("choices"):
            return "choice"
        kind = value_kind(col)
        if kind == "bool":
            return "flag"
        if kind in ("int", "float"):
            return f"optional {kind}" if col.nullable else kind
        if kind in ("date", "datetime"):
            return kind
        if isinstance(col.type, String) and col.type.length:
            return "text"
        return "long text"

    def _make_field(self, name: str, label: str) -> Field:
        col = self.table.c[name]
        kind = self._kind(col)
        note = col.info.get("note", "")
        common: dict[str, Any] = {
            "description": label,
            "tooltip": note or None,
            "style": {"description_width": LABEL_WIDTH},
            "layout": W.Layout(width=FIELD_WIDTH),
        }
        lo = col.info.get("min")
        if kind in ("ref", "choice"):
            widget: W.Widget = W.Dropdown(options=[], value=None, **common)
        elif kind == "date":
            widget = W.DatePicker(value=None, **common)
        elif kind == "datetime":
            widget = W.NaiveDatetimePicker(value=None, **common)
        elif kind == "flag":
            widget = W.Checkbox(value=False, indent=True, **common)
        elif kind in ("int", "float"):
            # Unbounded on purpose: a bounded box clamps nonsense silently (7 becomes 5),
            # while the validator explains the range next to the field and refuses to save.
            start = lo if lo is not None and lo > 0 else 0
            if kind == "int":
                widget = W.IntText(value=int(start), **common)
            else:
                widget = W.FloatText(value=float(start), **common)
        elif kind == "long text":
            widget = W.Textarea(value="", placeholder=note, rows=3, **common)
        else:
            placeholder = note
            if kind.startswith("optional"):
                placeholder = f"{note} (empty if unknown)" if note else "empty if unknown"
            widget = W.Text(value="", placeholder=placeholder, **common)
        return Field(name, label, kind, bool(col.nullable), widget, W.HTML(value=""))

    def _build_controls(self) -> None:
        self.picker = W.Dropdown(
            options=[],
            value=None,
            description="Record",
            style={"description_width": LABEL_WIDTH},
            layout=W.Layout(width=FIELD_WIDTH),
        )
        self.load_button = W.Button(description="Load", icon="folder-open")
        self.new_button = W.Button(description="New", icon="plus")
        self.save_button = W.Button(description="Save", button_style="primary", icon="check")
        self.status = W.HTML(value="")
        # Offered when a save is refused because someone changed the record meanwhile.
        self.reload_button = W.Button(
            description="Reload",
            icon="refresh",
            tooltip="Load the record as it is stored now (your unsaved changes are lost)",
            layout=W.Layout(display="none"),
        )
        self.reload_button.on_click(lambda _b: self.reload())
        self.load_button.on_click(lambda _b: self.load(self.picker.value))
        self.new_button.on_click(lambda _b: self.new())
        self.save_button.on_click(lambda _b: self.save())
        rows: list[W.Widget] = [
            W.HTML(value=f"<h4 style='margin:4px 0'>{html.escape(self.title)}</h4>"),
            W.HBox([self.picker, self.load_button, self.new_button]),
        ]
        for f in self.fields.values():
            rows.extend([f.widget, f.message])
        indent = W.Layout(margin=f"6px 0 0 calc({LABEL_WIDTH} + 8px)")
        self.status.layout = W.Layout(margin=f"0 0 0 calc({LABEL_WIDTH} + 8px)")
        rows.extend([W.HBox([self.save_button], layout=indent), self.status, self.reload_button])
        self.widget = W.VBox(rows)

    # --- options ----------------------------------------------------------------------

    def _ref_target(self, name: str) -> tuple[str, str]:
        col = self.table.c[name]
        if col.foreign_keys:
            target = next(iter(col.foreign_keys)).target_fullname
        else:
            target = col.info["ref"]
        table, column = target.split(".")
        return table, column

    def _ref_options(self, name: str, cache: dict[str, pd.DataFrame]) -> list[tuple[str, Any]]:
        table, column = self._ref_target(name)
        if table not in cache:
            cache[table] = self.store.read(table)
        frame = cache[table]
        keys = [c.name for c in TABLES[table].primary_key.columns]
        label_keys = keys if column in keys else [column]
        return [(record_label(row, label_keys), row[column]) for row in _rows(frame)]

    def refresh_options(self) -> None:
        """Re-read the drop-downs' entries (referenced records, records to load)."""
        cache: dict[str, pd.DataFrame] = {}
        for f in self.fields.values():
            if f.kind not in ("ref", "choice"):
                continue
            if f.name in self._options:
                opts = list(self._options[f.name])
            elif f.kind == "ref":
                opts = self._ref_options(f.name, cache)
            else:
                info = self.table.c[f.name].info
                names = info.get("choice_names") or {}  # NOK — Norwegian Krone
                opts = [(f"{v} — {names[v]}" if v in names else str(v), v) for v in info["choices"]]
            if f.nullable:
                opts = [(_NONE_LABEL, None), *opts]
            _set_options(f.widget, opts)
        rows = _rows(self._load_rows())
        _set_options(
            self.picker,
            [(record_label(r, self.keys), tuple(r[k] for k in self.keys)) for r in rows],
        )

    def _load_rows(self) -> pd.DataFrame:
        """The records the Load picker offers: those matching ``where``."""
        return self.store.read(self.table_name, where=self.where or None)

    # --- reading and writing widget values ---------------------------------------------

    def _set_widget(self, f: Field, value: Any) -> None:
        present = _present(value)
        w = f.widget
        if f.kind == "date":
            w.value = pd.Timestamp(value).date() if present else None
        elif f.kind == "datetime":
            w.value = pd.Timestamp(value).to_pydatetime() if present else None
        elif f.kind == "flag":
            w.value = bool(value) if present else False
        elif f.kind in ("int", "float"):
            if present:
                w.value = int(value) if f.kind == "int" else float(value)
            else:
                lo = self.table.c[f.name].info.get("min")
                start = lo if lo is not None and lo > 0 else 0
                w.value = int(start) if f.kind == "int" else float(start)
        elif f.kind in ("ref", "choice"):
            if present:
                value = int(value) if isinstance(value, float) and value.is_integer() else value
                if value not in [v for _, v in w.options]:
                    _set_options(w, [*w.options, (str(value), value)])
            w.value = value if present else None
        elif f.kind.startswith("optional"):
            if present:
                w.value = str(int(value)) if f.kind == "optional int" else f"{float(value):g}"
            else:
                w.value = ""
        else:
            w.value = str(value) if present else ""

    def _read_widget(self, f: Field) -> Any:
        v = f.widget.value
        if f.kind.startswith("optional"):
            text = str(v).strip().replace(",", "")
            if not text:
                return None
            try:
                number = float(text)
            except ValueError:
                self._parse_errors[f.name] = f"{v!r} is not a number"
                return None
            if f.kind == "optional int":
                if not number.is_integer():
                    self._parse_errors[f.name] = f"{v!r} is not a whole number"
                    return None
                return int(number)
            return number
        if f.kind in ("text", "long text"):
            return unix_lines(v) if str(v).strip() else None
        return v

    def record(self) -> dict[str, Any]:
        """The record the form holds now: loaded (or default) values under the widgets'."""
        self._parse_errors = {}
        rec: dict[str, Any] = {c.name: None for c in self.table.c}
        rec.update(self._base)
        for f in self.fields.values():
            rec[f.name] = self._read_widget(f)
        return rec

    # --- actions ------------------------------------------------------------------------

    def new(self) -> None:
        """Clear the form for a new record (defaults filled in, keys editable)."""
        self.loaded_key = None
        self._base = {c.name: self.defaults.get(c.name, _column_default(c)) for c in self.table.c}
        if VERSION in self._base:
            self._base[VERSION] = None  # not loaded from the store: nothing to overwrite
        for f in self.fields.values():
            self._set_widget(f, self._base[f.name])
            f.widget.disabled = False
        self.picker.value = None
        self._show({}, "")

    def load(self, key: Any) -> bool:
        """Load the record with primary key ``key`` (a value, a tuple or a dict)."""
        if key is None:
            self._show({}, _note("Choose a record to load."))
            return False
        where = self._key_dict(key)
        frame = self.store.read(self.table_name, where=where)
        if frame.empty:
            self._show({}, _error(f"No {self.table_name} record {_key_text(where)}."))
            return False
        row = next(iter(_rows(frame)))
        self._base = dict(row)
        for f in self.fields.values():
            self._set_widget(f, row[f.name])
            f.widget.disabled = f.name in self.keys
        self.loaded_key = where
        picked = tuple(where[k] for k in self.keys)
        if picked in [v for _, v in self.picker.options]:
            self.picker.value = picked
        self._show({}, _note(f"Editing {record_label(row, self.keys)}."))
        return True

    def _key_dict(self, key: Any) -> dict[str, Any]:
        if isinstance(key, Mapping):
            return {k: key[k] for k in self.keys}
        values = key if isinstance(key, (tuple, list)) else (key,)
        return dict(zip(self.keys, values, strict=True))

    def _fill_id(self, rec: dict[str, Any]) -> None:
        if self.keys == ["id"] and not rec.get("id"):
            prefix, width = self.id_format
            rec["id"] = self.store.next_id(self.table_name, prefix, width=width)

    def _existing(self) -> dict[str, pd.DataFrame]:
        """The store's records, without the one being edited (so it is not its own duplicate)."""
        frames = self.store.read_all()
        if self.loaded_key is not None:
            df = frames[self.table_name]
            same = pd.Series(True, index=df.index)
            for k, v in self.loaded_key.items():
                same &= df[k] == v
            frames[self.table_name] = df[~same].reset_index(drop=True)
        return frames

    def validate(self, rec: dict[str, Any] | None = None) -> dict[str, str]:
        """Problems with the record, by column (empty when it can be saved); ``""`` holds
        problems of no single column. A new record may not reuse an existing key."""
        from alliance_kit.records import schemas

        rec = self.record() if rec is None else rec
        problems = dict(self._parse_errors)
        existing = self._existing()
        found = schemas.validate_record(self.table_name, rec, existing)
        for col, msg in found.items():
            problems.setdefault(col, msg)
        if self.loaded_key is None and all(_present(rec.get(k)) for k in self.keys):
            df = existing[self.table_name]
            taken = pd.Series(True, index=df.index)
            for k in self.keys:
                taken &= df[k] == rec[k]
            if taken.any():
                column = self.keys[-1] if len(self.keys) > 1 else self.keys[0]
                problems.setdefault(
                    column,
                    f"{_key_text({k: rec[k] for k in self.keys})} already exists: "
                    "load it to edit it, or choose another",
                )
        return problems

    def save(self) -> bool:
        """Validate and, if valid, upsert the record; show what happened. True if saved."""
        rec = self.record()
        self._fill_id(rec)
        problems = self.validate(rec)
        if problems:
            self._show(problems, _error(_problem_summary(problems, self.fields)))
            return False
        try:
            with self.store.transaction() as conn:
                self.store.upsert(self.table_name, [rec], conn=conn)
        except (SQLAlchemyError, StoreError, RecordRefused) as exc:
            self.refused(exc)
            return False
        key = {k: rec[k] for k in self.keys}
        self.refresh_options()
        self.load(key)
        self._show({}, _ok(f"Saved {record_label(rec, self.keys)}."))
        if self.on_saved is not None:
            self.on_saved(rec)
        return True

    def refused(self, exc: Exception) -> None:
        """Say why a save failed; when someone changed the record since it was loaded,
        name who and when and offer Reload (the form keeps the user's unsaved values)."""
        if isinstance(exc, StaleRecordError):
            self._show({}, _error(f"Not saved: {exc}"))
            self.reload_button.layout.display = None
            return
        self._show({}, _error(f"Not saved: {getattr(exc, 'orig', None) or exc}"))

    def reload(self) -> bool:
        """Load the record being edited again, as it is stored now."""
        if self.loaded_key is None:
            self.new()
            return False
        return self.load(self.loaded_key)

    def _show(self, problems: Mapping[str, str], status: str) -> None:
        self.reload_button.layout.display = "none"
        self.messages = dict(problems)
        for f in self.fields.values():
            f.message.value = message_html(problems.get(f.name))
        self.status.value = status

    # --- display ------------------------------------------------------------------------

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        """The live form where widgets run; a short note in static HTML exports."""
        bundle = dict(self.widget._repr_mimebundle_(**kwargs) or {})
        labels = ", ".join(html.escape(f.label) for f in self.fields.values())
        bundle["text/html"] = (
            f"<p><em>{html.escape(self.title)}</em>: an interactive form ({labels}). "
            "Open this notebook in JupyterLab to use it.</p>"
        )
        return bundle


Check = Callable[[dict[str, Any]], Mapping[str, str]]


def alliance_rows(store: Store, table: str, alliance_id: str) -> pd.DataFrame:
    """The records of ``table`` that belong to the alliance (through parents if needed;
    all records of tables that belong to no alliance)."""
    frame = store.read(table)
    if table == "alliances":
        return frame[frame["id"] == alliance_id]
    if "alliance_id" in frame.columns:
        return frame[frame["alliance_id"] == alliance_id]
    if table in ALLIANCE_PATH:
        column, parent = ALLIANCE_PATH[table]
        return frame[frame[column].isin(alliance_rows(store, parent, alliance_id)["id"])]
    return frame


class AllianceForm(RecordForm):
    """A RecordForm for the records of one alliance (the workbooks' forms).

    New records get the alliance's id; the Load picker and every drop-down of linked
    records offer only that alliance's records, also for tables that reach it through a
    parent (``ALLIANCE_PATH``). ``where`` limits the Load picker further (e.g. one kind
    of action). ``checks`` are extra validators ``record -> {column: message}`` run after
    the model's rules; their messages win. ``free_numbers`` lists numeric columns typed
    as text: only for a number that may be left blank (or a test typing text).
    """

    def __init__(
        self,
        store: Store,
        table: str,
        alliance_id: str,
        fields: Sequence[str] | None = None,
        *,
        free_numbers: Sequence[str] = (),
        checks: Sequence[Check] = (),
        defaults: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        self.alliance_id = alliance_id
        self.free_numbers = set(free_numbers)
        self.checks = list(checks)
        defaults = dict(defaults or {})
        if "alliance_id" in TABLES[table].c:
            defaults = {"alliance_id": alliance_id, **defaults}
        super().__init__(store, table, fields, defaults=defaults, **kwargs)

    def _kind(self, col: Any) -> str:
        kind = super()._kind(col)
        if col.name in self.free_numbers and kind in ("int", "float"):
            return f"optional {kind}"
        return kind

    def _ref_options(self, name: str, cache: dict[str, pd.DataFrame]) -> list[tuple[str, Any]]:
        """Linked records of this alliance only."""
        table, column = self._ref_target(name)
        if table not in cache:
            cache[table] = alliance_rows(self.store, table, self.alliance_id)
        keys = [c.name for c in TABLES[table].primary_key.columns]
        label_keys = keys if column in keys else [column]
        return [(record_label(r, label_keys), r[column]) for r in _rows(cache[table])]

    def _load_rows(self) -> pd.DataFrame:
        """This alliance's records matching ``where``."""
        rows = alliance_rows(self.store, self.table_name, self.alliance_id)
        for col, value in self.where.items():
            rows = rows[rows[col] == value]
        return rows

    def validate(self, rec: dict[str, Any] | None = None) -> dict[str, str]:
        rec = self.record() if rec is None else rec
        problems = super().validate(rec)
        for check in self.checks:  # more specific than the model's rules: they win
            problems.update(check(rec))
        return problems


def fields_to_fix(labels: Sequence[str]) -> str:
    """The status line's request, naming the fields: the status sits under the Save button,
    below every field, so the marked fields are *above* it."""
    n = len(labels)
    names = ", ".join(labels)
    return f"Not saved: fix the {n} field{'s' if n != 1 else ''} marked above ({names})."


def _problem_summary(problems: Mapping[str, str], fields: Mapping[str, Field]) -> str:
    shown = [c for c in fields if c in problems]  # in the order the form shows them
    hidden = [c for c in problems if c not in fields]
    parts = []
    if shown:
        parts.append(fields_to_fix([fields[c].label for c in shown]))
    if hidden:
        lead = "Also: " if shown else "Not saved: "
        parts.append(
            lead + "; ".join(f"{label_for(c)}: {problems[c]}" if c else problems[c] for c in hidden)
        )
    return " ".join(parts)


def _column_default(col: Any) -> Any:
    """The model's scalar default for a column (flags default to False), else None."""
    default = col.default
    return default.arg if default is not None and default.is_scalar else None


def _error(text: str) -> str:
    return f'<span style="color:#b3261e">{html.escape(text)}</span>'


def _ok(text: str) -> str:
    return f'<span style="color:#1b5e20">&#10003; {html.escape(text)}</span>'


def _note(text: str) -> str:
    return f'<span style="color:#555">{html.escape(text)}</span>'


def _key_text(key: Mapping[str, Any]) -> str:
    return " / ".join(str(v) for v in key.values())


def _rows(frame: pd.DataFrame) -> Iterable[dict[str, Any]]:
    return frame.to_dict(orient="records")


def _set_options(widget: W.Dropdown, options: list[tuple[str, Any]]) -> None:
    """Replace a drop-down's entries, keeping its value if still offered."""
    current = widget.value
    widget.options = options
    values = [v for _, v in options]
    widget.value = current if current in values else None


# --- tables --------------------------------------------------------------------------------

# Selectors go through the wrapper so other pages' ``.ak-table`` rules do not win. Inside
# an HTML widget (a flex box) the content would grow to the table's width and be clipped
# at the notebook's edge ("ended (failed..."): min-width:0 lets the wrapper scroll instead.
TABLE_STYLE = """<style>
.jupyter-widget-html-content:has(>.ak-table-wrap),.widget-html-content:has(>.ak-table-wrap){
min-width:0;max-width:100%}
.ak-table-wrap{overflow-x:auto;max-width:100%;line-height:1.35}
.ak-table{border-collapse:collapse;font-size:12.5px;font-family:system-ui,sans-serif;margin:4px 0}
.ak-table-wrap table.ak-table th{background:#eef1f5;text-align:left;padding:4px 6px;
border-bottom:2px solid #c9d1db;vertical-align:bottom}
.ak-table-wrap table.ak-table td{text-align:left;padding:3px 6px;border-bottom:1px solid #e3e7ec;
vertical-align:top;white-space:nowrap}
.ak-table-wrap table.ak-table td.wrap{white-space:normal;min-width:10em;max-width:16em}
.ak-table-wrap table.ak-table td.num,.ak-table-wrap table.ak-table th.num{text-align:right;
font-variant-numeric:tabular-nums}
.ak-table-wrap table.ak-table tr:nth-child(even) td{background:#fafbfc}
</style>"""


def html_table(
    frame: pd.DataFrame,
    *,
    empty: str = "Nothing to show.",
    max_rows: int | None = None,
    numeric: Iterable[str] | None = None,
    nowrap: Iterable[str] = (),
    wrap_after: int = 24,
) -> str:
    """A DataFrame as an HTML table with every header and cell escaped (user text is data).

    Numeric columns (or those named in ``numeric``, else in ``frame.attrs["numeric"]``) are
    right-aligned. Text columns holding values longer than ``wrap_after`` characters wrap
    (unless named in ``nowrap`` or ``frame.attrs["nowrap"]``); other cells stay on one line
    and a wide table scrolls sideways. Missing values show as empty cells.
    """
    if frame.empty:
        return f"<p><em>{html.escape(empty)}</em></p>"
    shown = frame if max_rows is None else frame.head(max_rows)
    numeric = numeric if numeric is not None else frame.attrs.get("numeric")
    num = set(
        numeric
        if numeric is not None
        else [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])]
    )
    keep = set(nowrap or frame.attrs.get("nowrap", ()))
    wrap = {
        c
        for c in shown.columns
        if c not in num
        and c not in keep
        and shown[c].map(lambda v: len(str(v)) if _present(v) else 0).max() > wrap_after
    }
    num_class = ' class="num"'
    head = "".join(
        f"<th{num_class if c in num else ''}>{html.escape(str(c))}</th>" for c in shown.columns
    )
    body = []
    for row in shown.itertuples(index=False):
        cells = []
        for col, value in zip(shown.columns, row, strict=True):
            text = "" if not _present(value) else str(value)
            cls = num_class if col in num else ' class="wrap"' if col in wrap else ""
            cells.append(f"<td{cls}>{html.escape(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    more = ""
    if max_rows is not None and len(frame) > max_rows:
        more = f"<p><em>{len(frame) - max_rows} more rows not shown.</em></p>"
    return (
        f'{TABLE_STYLE}<div class="ak-table-wrap"><table class="ak-table">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>{more}"
    )


class TableView(W.HTML):
    """A read-only table widget: ``show(frame)`` replaces its content. In static HTML
    exports (nbconvert, papermill reports) the same table appears as plain HTML."""

    def show(self, frame: pd.DataFrame, **kwargs: Any) -> TableView:
        self.value = html_table(frame, **kwargs)
        return self

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle = dict(super()._repr_mimebundle_(**kwargs) or {})
        bundle["text/html"] = self.value
        return bundle


def formatted(
    frame: pd.DataFrame,
    *,
    money_cols: Sequence[str] = (),
    pct_cols: Sequence[str] = (),
    number_cols: Mapping[str, int] | None = None,
    rename: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """A copy of ``frame`` with numbers as display text (money, percentages, rounded
    numbers), right-aligned by TableView, and columns renamed for readers."""
    out = frame.copy()
    numeric = []
    for c in money_cols:
        out[c] = out[c].map(lambda v: fmt.money(v, "", style="full", missing=""))
        numeric.append(c)
    for c in pct_cols:
        out[c] = out[c].map(lambda v: fmt.pct(v, 1, missing=""))
        numeric.append(c)
    for c, nd in (number_cols or {}).items():
        out[c] = out[c].map(lambda v, nd=nd: fmt.number(v, nd, missing=""))
        numeric.append(c)
    for c in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[c]):
            out[c] = out[c].dt.strftime("%Y-%m-%d")
        elif pd.api.types.is_bool_dtype(out[c]):
            out[c] = out[c].map({True: "yes", False: "no"})
    rename = dict(rename or {})
    out = out.rename(columns=rename)
    out.attrs["numeric"] = [rename.get(c, c) for c in numeric]
    return out


def document_preview(fragment: str) -> str:
    """A rendered document fragment (``documents.*_document(..., fragment=True)``) framed as
    a page inside the notebook."""
    return (
        '<div style="border:1px solid #ccc;max-width:900px;background:#fff;'
        f'box-shadow:0 1px 3px rgba(0,0,0,.08)">{fragment}</div>'
    )
