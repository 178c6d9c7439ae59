"""The frame of every workbook: which alliance and quarter it is about, chosen with a
picker at its top, and sections that redraw themselves when that choice changes.

A workbook's (hidden) set-up cell calls :func:`start` with its papermill parameters; the
result shows the picker, pre-set from those parameters and listing only what the store
holds. Each later cell shows one part of the guided document with
``wb.section(render)`` (redrawn when the selection changes and after every save) or
``wb.form(make)`` (rebuilt for a new alliance, but kept across saves so its "Saved"
message stays). ``render(wb)`` and ``make(wb)`` read ``wb.alliance``, ``wb.period``,
``wb.as_of`` and ``wb.frames`` and return what to show: a widget, an object with a
rich display, package-built HTML as a ``str``, or a list of those. So an analyst changes
the alliance or quarter without editing code, and papermill runs (which set the
parameters) record the same figures as before.

Each section is an ``ipywidgets.Output`` whose content is set directly (no kernel output
capture), so it works in JupyterLab, Voila, papermill and plain-Python tests alike; its
display also carries a ``text/html`` snapshot of what it shows, for static exports.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import ipywidgets as W
import pandas as pd
from traitlets import HasTraits, Unicode

from alliance_kit.records import access, keys, periods
from alliance_kit.records.opening import open_store
from alliance_kit.records.store import Store

Render = Callable[["Workbook"], Any]
#: Tables that reach an alliance through a parent: (column, parent table).
_PARENTS = {"kpi_actuals": ("kpi_id", "kpis"), "risk_reviews": ("risk_id", "risks")}
#: Tables whose ``period`` says an alliance has data for a quarter.
PERIOD_TABLES = ("assessment_rounds", "kpi_actuals", "resources", "risk_reviews")
EMPTY_STORE = (
    "The store holds no alliance yet. Add one in the start workbook "
    "(00_start_here.ipynb), or import your portfolio: "
    "alliance-kit import my_portfolio.xlsx (alliance-kit template makes the workbook)."
)
PICKER_WIDTH = "420px"


class Selection(HasTraits):
    """What a workbook is about: an alliance id and a quarter (either may be None)."""

    alliance = Unicode(None, allow_none=True)
    period = Unicode(None, allow_none=True)


def alliance_choices(alliances: pd.DataFrame) -> list[tuple[str, str]]:
    """Drop-down entries ``("A003 — Name", "A003")`` for every alliance, in id order."""
    if alliances.empty:
        return []
    rows = alliances.sort_values("id", kind="stable")
    out = []
    for r in rows.itertuples(index=False):
        name = "" if pd.isna(r.name) else str(r.name).strip()
        out.append((f"{r.id} — {name}" if name else str(r.id), str(r.id)))
    return out


def period_choices(
    frames: Mapping[str, pd.DataFrame], alliance_id: str | None, today: dt.date | None = None
) -> list[str]:
    """The quarters a workbook can describe for the alliance, newest first: those it runs
    in (from its start to its end, or to today's quarter) and those holding any of its
    survey rounds, KPI actuals, resources or risk reviews. Quarters that have not started
    are left out (nothing can be reported for them yet)."""
    if alliance_id is None:
        return []
    today = today or dt.date.today()
    a = frames["alliances"]
    one = a[a["id"] == alliance_id]
    found: set[str] = set()
    if not one.empty and pd.notna(one["start_date"].iloc[0]):
        found.update(periods.running(one, today))
    for table in PERIOD_TABLES:
        df = frames.get(table)
        if df is None or df.empty:
            continue
        if "alliance_id" in df.columns:
            mine = df[df["alliance_id"] == alliance_id]
        else:
            column, parent = _PARENTS[table]
            p = frames[parent]
            mine = df[df[column].isin(p.loc[p["alliance_id"] == alliance_id, "id"])]
        found.update(str(x) for x in mine["period"].dropna())
    started = []
    for q in found:
        try:
            if periods.start(periods.normalize(q)) <= today:
                started.append(periods.normalize(q))
        except ValueError:
            continue  # a malformed stored period is not offered
    return sorted(set(started), reverse=True)


def default_period(choices: list[str], today: dt.date | None = None) -> str:
    """The last closed quarter if the alliance has it, else its newest closed quarter,
    else its newest quarter, else the last closed quarter."""
    closed = periods.last_closed(today)
    if not choices or closed in choices:
        return closed
    earlier = [q for q in choices if q <= closed]
    return earlier[0] if earlier else choices[0]


def _display_data(item: Any) -> dict[str, Any]:
    """``item`` as a display_data output (a widget's view, rich reprs, or HTML text)."""
    if isinstance(item, str):
        data: dict[str, Any] = {"text/html": item, "text/plain": ""}
    elif hasattr(item, "_repr_mimebundle_"):
        bundle = item._repr_mimebundle_()
        data = dict(bundle[0] if isinstance(bundle, tuple) else bundle or {})
    elif isinstance(getattr(item, "widget", None), W.Widget):  # a panel keeping its widget
        return _display_data(item.widget)
    else:
        data = {}
        for mime, method in (
            ("text/html", "_repr_html_"),
            ("text/markdown", "_repr_markdown_"),
            ("image/svg+xml", "_repr_svg_"),
        ):
            if hasattr(item, method):
                value = getattr(item, method)()
                if value is not None:
                    data[mime] = value
        data.setdefault("text/plain", "" if data else repr(item))
    return {"output_type": "display_data", "data": data, "metadata": {}}


def _items(shown: Any) -> list[Any]:
    if shown is None:
        return []
    if isinstance(shown, (list, tuple)):
        return [i for i in shown if i is not None]
    return [shown]


def text_html(text: str) -> str:
    """A paragraph of plain text (escaped)."""
    return f"<p>{html.escape(text)}</p>"


def note_html(text: str) -> str:
    """A grey note in a section (escaped)."""
    return f'<p style="color:#555;font-style:italic">{html.escape(text)}</p>'


class Section:
    """One part of a workbook: an Output widget showing ``render(workbook)``.

    Redrawn when the selection changes and, if ``follows_saves``, after every save.
    ``needs_alliance`` sections show a short note while no alliance is chosen.
    """

    def __init__(
        self,
        workbook: Workbook,
        render: Render,
        *,
        follows_saves: bool = True,
        needs_alliance: bool = True,
    ) -> None:
        self.workbook = workbook
        self.render = render
        self.follows_saves = follows_saves
        self.needs_alliance = needs_alliance
        self.output = W.Output(layout=W.Layout(width="100%"))
        self.items: list[Any] = []
        self.redraw(raise_errors=True)

    def redraw(self, *, raise_errors: bool = False) -> None:
        """Show ``render(workbook)`` again. A failure shows its message in the section
        (or is raised while the cell that made the section runs, so papermill fails)."""
        wb = self.workbook
        if self.needs_alliance and wb.alliance is None:
            items: list[Any] = [note_html("Choose an alliance at the top of the workbook.")]
        else:
            try:
                items = _items(self.render(wb))
            except Exception as problem:
                if raise_errors:
                    raise
                about = ", ".join(x for x in (wb.alliance, wb.period) if x)
                items = [
                    '<p style="color:#b3261e">&#9888; This part could not be shown for '
                    f"{html.escape(about)}: {html.escape(str(problem))}</p>"
                ]
        self.items = items
        self.output.outputs = tuple(_display_data(i) for i in items)

    def refresh_options(self) -> None:
        """Let the forms shown re-read their drop-downs (after a save elsewhere)."""
        for item in self.items:
            for name in ("refresh_options", "refresh"):
                method = getattr(item, name, None)
                if callable(method):
                    method()
                    break

    def html(self) -> str:
        """What the section shows, as static HTML (the widgets' snapshots)."""
        parts = []
        for out in self.output.outputs:
            data = out.get("data", {})
            if "text/html" in data:
                parts.append(data["text/html"])
            elif "text/markdown" in data:
                parts.append(f"<div>{html.escape(data['text/markdown'])}</div>")
        return "".join(parts)

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle = dict(self.output._repr_mimebundle_(**kwargs) or {})
        bundle["text/html"] = self.html()
        return bundle


class Workbook:
    """A workbook's store, selection, picker and sections (see the module doc)."""

    def __init__(
        self,
        store: Store,
        selection: Selection,
        *,
        title: str,
        with_period: bool = True,
        as_of: Any = None,
        subtitle: Callable[[Workbook], str] | None = None,
        heading: bool = True,
        empty: str = EMPTY_STORE,
        today: dt.date | None = None,
    ) -> None:
        self.store = store
        self.empty = empty
        self._cache: dict[Any, Any] = {}
        self.selection = selection
        self.title = title
        self.with_period = with_period
        self.today = today
        self._as_of = None if as_of is None or str(as_of).strip() == "" else as_of
        self._subtitle = subtitle
        self.frames: dict[str, pd.DataFrame] = store.read_all()
        self.sections: list[Section] = []
        self._busy = False
        style = {"description_width": "70px"}
        self.alliance_picker = W.Dropdown(
            description="Alliance", style=style, layout=W.Layout(width=PICKER_WIDTH)
        )
        self.period_picker = W.Dropdown(
            description="Quarter", style=style, layout=W.Layout(width="220px")
        )
        self.note = W.HTML()
        self._fill_pickers()
        self._as_of_period = selection.period  # the quarter the as_of parameter is for
        self.alliance_picker.observe(self._picked, names="value")
        self.period_picker.observe(self._picked, names="value")
        selection.observe(self._selected, names=["alliance", "period"])
        controls: list[W.Widget] = [self.alliance_picker]
        if with_period:
            controls.append(self.period_picker)
        self.picker = W.HBox(controls)
        self.heading = Section(self, self._heading_html, needs_alliance=False) if heading else None
        parts: list[W.Widget] = [self.picker, self.note]
        person = access.signed_in(store)
        if person is not None:  # a team store: say whose view of it this is
            parts.insert(0, W.HTML(signed_in_html(person)))
        if self.heading is not None:
            parts.append(self.heading.output)
        self.widget = W.VBox(parts)

    # --- what is selected -------------------------------------------------------------

    @property
    def alliance(self) -> str | None:
        return self.selection.alliance

    @property
    def period(self) -> str | None:
        return self.selection.period if self.with_period else None

    @property
    def as_of(self) -> dt.date:
        """The day the workbook describes: the ``as_of`` parameter while the quarter is the
        one it was given for, else the chosen quarter's last day (else today)."""
        if self._as_of is not None and (not self.with_period or self.period == self._as_of_period):
            return pd.Timestamp(self._as_of).date()
        if self.period is not None:
            return periods.end(self.period)
        return self.today or dt.date.today()

    def alliance_row(self) -> dict[str, Any]:
        """The chosen alliance's record (empty if none is chosen)."""
        a = self.frames["alliances"]
        rows = a[a["id"] == self.alliance]
        return {} if rows.empty else rows.iloc[0].to_dict()

    def select(self, alliance: str | None = None, period: str | None = None) -> None:
        """Choose another alliance and/or quarter (as the picker does); ids and quarters
        may be typed in any case. Every section is redrawn once."""
        known = [v for _, v in self.alliance_picker.options]
        with self.selection.hold_trait_notifications():
            if alliance is not None:
                self.selection.alliance = keys.match(alliance, known)
            if period is not None:
                self.selection.period = periods.normalize(period)

    # --- the picker -------------------------------------------------------------------

    def _fill_pickers(self) -> None:
        """Offer what the store holds; keep the selection valid for it."""
        self._busy = True
        try:
            options = alliance_choices(self.frames["alliances"])
            self.alliance_picker.options = options
            ids = [v for _, v in options]
            if self.selection.alliance not in ids:
                self.selection.alliance = ids[0] if ids else None
            self.alliance_picker.value = self.selection.alliance
            self.alliance_picker.disabled = not ids
            if self.with_period:
                quarters = period_choices(self.frames, self.selection.alliance, self.today)
                if self.selection.period is None:
                    self.selection.period = default_period(quarters, self.today) if ids else None
                if self.selection.period is not None and self.selection.period not in quarters:
                    quarters = sorted({*quarters, self.selection.period}, reverse=True)
                self.period_picker.options = [(_period_label(q, self.today), q) for q in quarters]
                self.period_picker.value = self.selection.period
                self.period_picker.disabled = not ids
            self.note.value = "" if ids else _warning_html(self.empty)
        finally:
            self._busy = False

    def _picked(self, change: Mapping[str, Any]) -> None:
        if self._busy or change["new"] is None:
            return
        name = "alliance" if change["owner"] is self.alliance_picker else "period"
        setattr(self.selection, name, change["new"])

    def _selected(self, change: Mapping[str, Any]) -> None:
        if self._busy:
            return
        if change["name"] == "alliance" and self.with_period:
            # the quarter stays unless the new alliance has no data for it
            quarters = period_choices(self.frames, self.selection.alliance, self.today)
            if self.selection.period not in quarters:
                self._busy = True
                try:
                    self.selection.period = default_period(quarters, self.today)
                finally:
                    self._busy = False
        self._fill_pickers()
        self.redraw(everything=True)

    def cached(self, compute: Render) -> Any:
        """``compute(workbook)``, computed once per selection and store read (for results
        several sections show, such as a simulation)."""
        key = (compute, self.alliance, self.period, self.as_of, id(self.frames))
        if key not in self._cache:
            self._cache = {k: v for k, v in self._cache.items() if k[4] == id(self.frames)}
            self._cache[key] = compute(self)
        return self._cache[key]

    # --- sections ---------------------------------------------------------------------

    def section(self, render: Render, *, needs_alliance: bool = True) -> Section:
        """A part of the document redrawn for every selection and after every save."""
        s = Section(self, render, needs_alliance=needs_alliance)
        self.sections.append(s)
        return s

    def form(self, make: Render, *, needs_alliance: bool = True) -> Section:
        """Forms rebuilt for every selection; after a save elsewhere they only re-read
        their drop-downs, so a form's own message ("Saved ...") stays."""
        s = Section(self, make, follows_saves=False, needs_alliance=needs_alliance)
        self.sections.append(s)
        return s

    def refresh(self, _saved: Any = None, *, everything: bool = False) -> None:
        """Re-read the store and redraw what depends on it (pass as ``on_saved``);
        ``everything`` rebuilds the forms too."""
        self.frames = self.store.read_all()
        self._fill_pickers()
        self.redraw(everything=everything)

    def redraw(self, *, everything: bool = True) -> None:
        if self.heading is not None:
            self.heading.redraw()
        for s in self.sections:
            if everything or s.follows_saves:
                s.redraw()
            else:
                s.refresh_options()

    # --- display ----------------------------------------------------------------------

    def _heading_html(self, _wb: Workbook) -> str:
        if self.alliance is None:
            return ""
        return heading_html(self.frames, self.alliance, self.subtitle())

    def subtitle(self) -> str:
        """The line above the alliance's name: the workbook and what it describes."""
        if self._subtitle is not None:
            return self._subtitle(self)
        if self.period is None:
            return self.title
        text = f"{self.title} · {periods.label(self.period, self.today)}"
        if self.as_of != periods.end(self.period):
            text += f" · as of {self.as_of.isoformat()}"
        return text

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle = dict(self.widget._repr_mimebundle_(**kwargs) or {})
        labels = {v: k for k, v in self.alliance_picker.options}
        chosen = labels.get(self.alliance)
        text = f"Alliance: {chosen}" if chosen else "No alliance in the store."
        if self.with_period and self.period:
            text += f" · Quarter: {self.period}"
        snapshot = f"<p><strong>{html.escape(text)}</strong></p>"
        if not labels:
            snapshot = _warning_html(self.empty)
        bundle["text/html"] = snapshot + (self.heading.html() if self.heading else "")
        return bundle


def _period_label(period: str, today: dt.date | None) -> str:
    return f"{period} (in progress)" if periods.in_progress(period, today) else period


def _warning_html(text: str) -> str:
    return (
        '<div style="border-left:4px solid #b7791f;padding:4px 12px;margin:6px 0;'
        f'color:#5f370e">{html.escape(text)}</div>'
    )


def signed_in_html(person: access.Person) -> str:
    """``Signed in as NAME · owner of A002, A007``, escaped: why the pickers hold what
    they hold on a team store (row-level security shows each person their rows)."""
    scope = f" of {', '.join(person.alliances)}" if person.alliances else ""
    return (
        '<div style="font-size:12px;color:#555;font-family:system-ui,sans-serif">'
        f"Signed in as <b>{html.escape(person.name)}</b> · "
        f"{html.escape(person.kind + scope)}</div>"
    )


def heading_html(frames: Mapping[str, pd.DataFrame], alliance_id: str, workbook: str) -> str:
    """Which alliance the workbook is about, escaped: name, partner, type, stage, owner."""
    a = frames["alliances"]
    rows = a[a["id"] == alliance_id]
    if rows.empty:
        raise ValueError(
            f"no alliance {alliance_id!r} in the store; set the parameter to one of "
            + ", ".join(a["id"].astype(str))
        )
    r = rows.iloc[0]
    e = html.escape
    return (
        f'<div style="border-left:4px solid #4c78a8;padding:4px 12px;margin:6px 0;'
        f'font-family:system-ui,sans-serif">'
        f'<div style="font-size:12px;color:#555">{e(workbook)}</div>'
        f'<div style="font-size:18px;font-weight:600">{e(str(r["name"]))} '
        f'<span style="font-weight:400;color:#555">with {e(str(r["partner"]))}</span></div>'
        f'<div style="font-size:13px;color:#555">alliance {e(str(r["id"]))} · {e(str(r["type"]))}'
        f" · stage {e(str(r['stage']))} · owner {e(str(r['owner']))}</div></div>"
    )


def start(
    db: str | None = None,
    alliance: str | None = None,
    period: str | None = None,
    *,
    title: str,
    with_period: bool = True,
    as_of: Any = None,
    store: Store | None = None,
    subtitle: Callable[[Workbook], str] | None = None,
    heading: bool = True,
    empty: str = EMPTY_STORE,
    today: dt.date | None = None,
) -> Workbook:
    """Open the store and make the workbook for the papermill parameters: ``alliance``
    (None: the first in the store; any case; an unknown id is refused with its near
    matches) and ``period`` (None: the last closed quarter the alliance has, see
    :func:`default_period`). Display the result to show the picker."""
    store = store if store is not None else open_store(db)
    ids = store.read("alliances")["id"].astype(str).tolist()
    chosen = keys.match(str(alliance), ids) if alliance not in (None, "") else None
    quarter = periods.normalize(period) if with_period and period not in (None, "") else None
    selection = Selection(alliance=chosen, period=quarter)
    return Workbook(
        store,
        selection,
        title=title,
        with_period=with_period,
        as_of=as_of,
        subtitle=subtitle,
        heading=heading,
        empty=empty,
        today=today,
    )


def shown_html(items: Iterable[Any]) -> str:
    """The static HTML of displayable items (as a section's snapshot)."""
    return "".join(_display_data(i)["data"].get("text/html", "") for i in _items(list(items)))
