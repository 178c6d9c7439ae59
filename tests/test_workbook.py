"""The workbooks' picker and sections, in plain Python: the picker lists what the store
holds, changing it redraws every section with the new alliance's (or quarter's) figures,
forms are rebuilt for a new alliance but survive a save, and an empty or sparse store is
said plainly instead of failing."""

from __future__ import annotations

import datetime as dt
import html

import pytest

from alliance_kit.align import agreements, governance
from alliance_kit.imagine.forms import objective_form
from alliance_kit.records import periods
from alliance_kit.records.store import Store
from alliance_kit.succeed import kpi_reporting, operations
from alliance_kit.views import workbook
from alliance_kit.views.widgets import TableView, formatted
from alliance_kit.views.workbook import Selection, start

TODAY = dt.date(2026, 10, 15)  # 2026-Q3 is the last closed quarter, 2026-Q4 runs


def kpi_figures(wb: workbook.Workbook) -> TableView:
    """A section as the KPI reporting workbook draws it."""
    status = kpi_reporting.kpi_status(wb.frames, wb.alliance, wb.period)
    return TableView().show(formatted(status[["kpi_id", "status"]]), empty="No KPIs.")


def status_html(store: Store, alliance: str, period: str) -> str:
    status = kpi_reporting.kpi_status(store.read_all(), alliance, period)
    return TableView().show(formatted(status[["kpi_id", "status"]]), empty="No KPIs.").value


@pytest.fixture
def wb(sample_store: Store) -> workbook.Workbook:
    return start(store=sample_store, alliance="A003", period="2026-Q3", title="KPI reporting",
                 as_of="2026-09-20", today=TODAY)  # fmt: skip


def test_picker_lists_the_stores_alliances_and_quarters_with_data(wb, sample_store) -> None:
    alliances = sample_store.read("alliances").sort_values("id")
    assert [v for _, v in wb.alliance_picker.options] == list(alliances["id"])
    name = alliances.set_index("id").loc["A003", "name"]
    assert ("A003 — " + name, "A003") in wb.alliance_picker.options
    assert wb.alliance_picker.value == "A003" and wb.period_picker.value == "2026-Q3"
    quarters = [v for _, v in wb.period_picker.options]
    assert quarters == sorted(quarters, reverse=True)  # newest first
    assert quarters[0] == "2026-Q4" and wb.period_picker.options[0][0] == "2026-Q4 (in progress)"
    assert "2027-Q1" not in quarters  # never a quarter that has not started
    start_date = alliances.set_index("id").loc["A003", "start_date"]
    assert quarters[-1] == periods.of_date(start_date.date())  # from the alliance's start
    # the workbook's display: the live picker and a static snapshot naming the choice
    bundle = wb._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert html.escape(f"Alliance: A003 — {name} · Quarter: 2026-Q3") in bundle["text/html"]
    assert html.escape(name) in bundle["text/html"]  # the heading


def test_changing_the_alliance_redraws_every_section_with_its_figures(wb, sample_store) -> None:
    kpis = wb.section(kpi_figures)
    count = wb.section(
        lambda wb: f"<p>{len(agreements.register(wb.frames, wb.as_of, wb.alliance))}</p>"
    )
    assert kpis.html() == status_html(sample_store, "A003", "2026-Q3")
    assert "A003" in kpis.html()

    wb.alliance_picker.value = "A007"  # what the analyst does

    assert wb.selection.alliance == "A007" and wb.alliance == "A007"
    assert kpis.html() == status_html(sample_store, "A007", "2026-Q3")
    assert "A007" in kpis.html() and "A003-" not in kpis.html()
    n = len(agreements.register(sample_store.read_all(), dt.date(2026, 9, 20), "A007"))
    assert count.html() == f"<p>{n}</p>"
    a007 = sample_store.read("alliances", {"id": "A007"}).iloc[0]
    assert html.escape(a007["name"]) in wb.heading.html()
    # the section's cell output carries the live widget and the new static snapshot
    assert kpis._repr_mimebundle_()["text/html"] == status_html(sample_store, "A007", "2026-Q3")


def test_changing_the_quarter_redraws_and_moves_the_day(wb, sample_store) -> None:
    def held(wb):
        figures = governance.adherence_figures(wb.frames, wb.period, alliance_id=wb.alliance)
        return f"<p>{wb.period} {wb.as_of} {figures.iloc[0]['meetings_held']}</p>"

    adherence = wb.section(held)
    assert wb.as_of == dt.date(2026, 9, 20)  # the as_of parameter, for its quarter
    wb.period_picker.value = "2026-Q1"
    assert wb.period == "2026-Q1" and wb.as_of == dt.date(2026, 3, 31)  # the quarter's end
    held = governance.adherence_figures(sample_store.read_all(), "2026-Q1", alliance_id="A003")
    assert adherence.html() == f"<p>2026-Q1 2026-03-31 {held.iloc[0]['meetings_held']}</p>"
    assert "2026-Q1" in wb.heading.html()
    wb.period_picker.value = "2026-Q3"
    assert wb.as_of == dt.date(2026, 9, 20)


def test_select_accepts_any_case_and_refuses_unknown_ids(wb) -> None:
    wb.select(alliance="a008", period="2026-q2")
    assert (wb.alliance, wb.period) == ("A008", "2026-Q2")
    assert wb.alliance_picker.value == "A008" and wb.period_picker.value == "2026-Q2"
    with pytest.raises(ValueError, match="unknown alliance 'A999'"):
        wb.select(alliance="A999")
    assert wb.alliance == "A008"


def test_parameters_set_the_picker_in_any_case_and_unknown_ones_are_refused(
    sample_store,
) -> None:
    wb = start(store=sample_store, alliance="a010", period="2026-q2", title="T", today=TODAY)
    assert (wb.alliance_picker.value, wb.period_picker.value) == ("A010", "2026-Q2")
    with pytest.raises(ValueError, match=r"unknown alliance 'A0O3': did you mean A003"):
        start(store=sample_store, alliance="A0O3", title="T", today=TODAY)
    default = start(store=sample_store, title="T", today=TODAY)
    assert default.alliance == "A001" and default.period == "2026-Q3"  # first, last closed


def test_forms_are_rebuilt_for_a_new_alliance_but_survive_a_save(wb, sample_store) -> None:
    objectives = wb.section(
        lambda wb: f"<p>{(wb.frames['objectives']['alliance_id'] == wb.alliance).sum()}</p>"
    )
    forms = wb.form(lambda wb: objective_form(wb.store, wb.alliance, on_saved=wb.refresh))
    form = forms.items[0]
    assert form.alliance_id == "A003"
    before = int((sample_store.read("objectives")["alliance_id"] == "A003").sum())
    form.fields["title"].widget.value = "Grow the installed base"
    assert form.save() is True
    # the save re-read the store: the view shows the new count, the form and its message stay
    assert objectives.html() == f"<p>{before + 1}</p>"
    assert forms.items[0] is form and "Saved" in form.status.value
    wb.alliance_picker.value = "A002"
    assert forms.items[0] is not form and forms.items[0].alliance_id == "A002"


def test_a_section_that_fails_later_says_so_in_place(wb) -> None:
    def fragile(wb):
        if wb.alliance == "A005":
            raise ValueError("no <data> here")
        return "<p>fine</p>"

    section = wb.section(fragile)
    wb.alliance_picker.value = "A005"
    assert "could not be shown for A005, 2026-Q3: no &lt;data&gt; here" in section.html()
    wb.alliance_picker.value = "A001"
    assert section.html() == "<p>fine</p>"
    wb.alliance_picker.value = "A005"
    with pytest.raises(ValueError, match="no <data> here"):  # while its cell runs, it stops the run
        wb.section(fragile)


def test_an_empty_store_is_said_plainly(sqlite_store) -> None:
    wb = start(store=sqlite_store, title="Agreements", today=TODAY)
    assert wb.alliance is None and wb.period is None
    assert wb.alliance_picker.options == () and wb.alliance_picker.disabled
    assert "no alliance yet" in wb.note.value and "00_start_here.ipynb" in wb.note.value
    assert "alliance-kit import" in wb.note.value
    section = wb.section(kpi_figures)
    assert "Choose an alliance" in section.html()
    assert "00_start_here.ipynb" in wb._repr_mimebundle_()["text/html"]


def test_a_sparse_store_one_alliance_no_surveys(sqlite_store) -> None:
    sqlite_store.upsert(
        "alliances",
        [
            {"id": "X1", "name": "Solo <b>Pilot</b>", "partner": "P", "type": "co-sell",
             "stage": "2 knowledge", "start_date": dt.date(2026, 2, 10), "owner": "Ann",
             "expected_revenue": 1.0, "currency": "EUR", "importance": 3},
        ],
    )  # fmt: skip
    wb = start(store=sqlite_store, title="Operations", today=TODAY)
    assert wb.alliance_picker.options == (("X1 — Solo <b>Pilot</b>", "X1"),)  # text, not markup
    assert [v for _, v in wb.period_picker.options] == ["2026-Q4", "2026-Q3", "2026-Q2", "2026-Q1"]
    assert wb.period == "2026-Q3"
    assert (
        "Solo &lt;b&gt;Pilot&lt;/b&gt;" in wb.heading.html() and "<b>Pilot" not in wb.heading.html()
    )
    register = wb.section(
        lambda wb: TableView().show(
            formatted(agreements.register(wb.frames, wb.as_of, wb.alliance)),
            empty="No agreements yet.",
        )
    )
    actions = wb.section(
        lambda wb: f"<p>{len(operations.action_register(wb.frames, wb.alliance, wb.as_of))}</p>"
    )
    kpis = wb.section(kpi_figures)
    assert "No agreements yet." in register.html() and "No KPIs." in kpis.html()
    assert actions.html() == "<p>0</p>"
    wb.period_picker.value = "2026-Q1"
    assert "No KPIs." in kpis.html()


def test_period_choices_include_quarters_holding_records() -> None:
    import pandas as pd

    frames = {
        "alliances": pd.DataFrame(
            {"id": ["A1"], "start_date": [pd.Timestamp("2026-01-05")], "end_date": [pd.NaT]}
        ),
        "assessment_rounds": pd.DataFrame(
            {"alliance_id": ["A1", "B2"], "period": ["2025-Q3", "2024-Q1"]}
        ),
        "kpis": pd.DataFrame({"id": ["K1"], "alliance_id": ["A1"]}),
        "kpi_actuals": pd.DataFrame({"kpi_id": ["K1", "K1"], "period": ["2025-Q4", "2027-Q1"]}),
    }  # fmt: skip
    got = workbook.period_choices(frames, "A1", TODAY)
    # running quarters, plus the round and actual recorded before the start; never the future
    assert got == ["2026-Q4", "2026-Q3", "2026-Q2", "2026-Q1", "2025-Q4", "2025-Q3"]
    assert workbook.default_period(got, TODAY) == "2026-Q3"
    assert workbook.default_period(["2024-Q2", "2024-Q1"], TODAY) == "2024-Q2"  # an ended one
    assert workbook.period_choices(frames, None, TODAY) == []


def test_selection_is_a_traitlets_object() -> None:
    seen = []
    s = Selection(alliance="A1", period="2026-Q1")
    s.observe(lambda c: seen.append((c["name"], c["new"])), names=["alliance", "period"])
    s.alliance = "A2"
    assert seen == [("alliance", "A2")]
