"""Widget forms driven without a browser: set values, click Save, look at the store."""

from __future__ import annotations

import datetime as dt

import ipywidgets as W
import pandas as pd
import pytest
from form_helpers import fill

from alliance_kit.records.model import ALLIANCE_TYPES, CURRENCIES, TABLES
from alliance_kit.views.widgets import RecordForm, TableView, html_table, label_for, record_label

ALLIANCE = {
    "id": "A001",
    "name": "Cloud co-sell",
    "partner": "Nimbus",
    "type": "co-sell",
    "stage": "5 working together",
    "start_date": dt.date(2024, 1, 1),
    "owner": "Ann",
    "our_sponsor": "Sam",
    "our_sponsor_level": "svp",
    "expected_revenue": 2_000_000.0,
    "currency": "USD",
    "importance": 4,
    "notes": "keep",
}


def fill_alliance(form: RecordForm, **overrides) -> None:
    values = {k: v for k, v in ALLIANCE.items() if k in form.fields and k != "id"}
    fill(form, **(values | overrides))


@pytest.fixture
def db(sqlite_store):
    return sqlite_store


def test_widgets_follow_the_model(db) -> None:
    form = RecordForm(db, "alliances")
    f = form.fields
    # every column but the version, which the store keeps
    assert list(f) == [c.name for c in TABLES["alliances"].c if c.name != "version"]
    assert isinstance(f["type"].widget, W.Dropdown)
    assert [v for _, v in f["type"].widget.options] == list(ALLIANCE_TYPES)
    assert isinstance(f["start_date"].widget, W.DatePicker)
    imp = f["importance"].widget
    # unbounded boxes: out-of-range input must reach the validator, not be clamped
    assert isinstance(imp, W.IntText) and not isinstance(imp, W.BoundedIntText)
    assert imp.value == 1
    rev = f["expected_revenue"].widget
    assert isinstance(rev, W.FloatText) and not isinstance(rev, W.BoundedFloatText)
    assert isinstance(f["notes"].widget, W.Textarea)
    assert isinstance(f["name"].widget, W.Text)
    assert f["our_sponsor_level"].widget.options[0] == ("—", None)  # optional: can be blank
    assert f["type"].widget.options[0] != ("—", None)  # required: no blank entry
    assert f["partner"].widget.tooltip == "partner organization"
    assert f["our_sponsor_level"].widget.description == "Our sponsor level"
    # every ISO 4217 currency, each named (issue 16: NOK was refused)
    currencies = dict(f["currency"].widget.options)
    assert currencies["NOK — Norwegian Krone"] == "NOK" and currencies["USD — US Dollar"] == "USD"
    assert list(currencies.values()) == list(CURRENCIES)

    kpi = RecordForm(db, "kpis").fields
    assert isinstance(kpi["agreed_by_both"].widget, W.Checkbox)
    assert isinstance(kpi["baseline"].widget, W.Text)  # optional number: empty is allowed
    assert kpi["alliance_id"].widget.description == "Alliance"
    assert isinstance(RecordForm(db, "answers").fields["answered_at"].widget, W.NaiveDatetimePicker)
    crack = RecordForm(db, "actions").fields["crack"].widget
    assert [v for _, v in crack.options] == [None, 1, 2, 3, 4, 5, 6]
    assert isinstance(RecordForm(db, "governance_bodies").fields["escalates_to"].widget, W.Dropdown)


def test_labels() -> None:
    assert label_for("alliance_id") == "Alliance"
    assert label_for("kpi_id") == "KPI"
    assert label_for("fte_committed") == "FTE committed"
    assert label_for("id") == "Id"
    assert label_for("partner_sponsor_level") == "Partner sponsor level"
    assert record_label({"id": "A001", "name": "X"}, ["id"]) == "A001 — X"
    assert record_label({"kpi_id": "K1", "period": "2026-Q3"}, ["kpi_id", "period"]) == (
        "K1 / 2026-Q3"
    )


def test_fields_subset_and_order(db) -> None:
    form = RecordForm(db, "alliances", ["partner", "name"], labels={"name": "Alliance name"})
    assert list(form.fields) == ["partner", "name"]
    assert form.fields["name"].widget.description == "Alliance name"
    with pytest.raises(ValueError, match="no column"):
        RecordForm(db, "alliances", ["name", "colour"])


def test_save_new_record_generates_id_and_calls_back(db) -> None:
    saved: list[dict] = []
    seen_in_store: list[int] = []

    def on_saved(rec: dict) -> None:
        saved.append(rec)
        seen_in_store.append(len(db.read("alliances")))  # committed before the callback

    form = RecordForm(db, "alliances", on_saved=on_saved)
    fill_alliance(form)
    form.save_button.click()
    stored = db.read("alliances")
    assert stored["id"].tolist() == ["A001"]
    row = stored.iloc[0]
    assert row["name"] == "Cloud co-sell" and row["importance"] == 4
    assert row["start_date"] == pd.Timestamp("2024-01-01")
    assert pd.isna(row["end_date"]) and row["partner_sponsor"] is None
    assert [r["id"] for r in saved] == ["A001"] and seen_in_store == [1]
    assert "Saved A001" in form.status.value
    assert form.fields["id"].widget.value == "A001" and form.fields["id"].widget.disabled
    assert [v for _, v in form.picker.options] == [("A001",)]
    assert form.picker.value == ("A001",)  # the saved record stays loaded for editing
    # a second new record gets the next id
    form.new_button.click()
    assert form.fields["name"].widget.value == "" and not form.fields["id"].widget.disabled
    fill_alliance(form, name="Second")
    form.save_button.click()
    assert db.read("alliances")["id"].tolist() == ["A001", "A002"]


def test_invalid_record_is_not_saved_and_messages_show_inline(db) -> None:
    saved: list[dict] = []
    form = RecordForm(db, "alliances", on_saved=saved.append)
    fill_alliance(form, end_date=dt.date(2023, 12, 31), partner="")
    form.save_button.click()
    assert db.read("alliances").empty and saved == []
    assert set(form.messages) == {"end_date", "partner"}
    assert "start" in form.fields["end_date"].message.value
    assert "required" in form.fields["partner"].message.value
    assert form.fields["name"].message.value == ""
    # the status sits under Save, below the fields: it points up and names them
    assert "fix the 2 fields marked above (Partner, End date)" in form.status.value
    assert "below" not in form.status.value
    # fixing the fields clears the messages and saves
    fill(form, end_date=None, partner="Nimbus")
    assert form.save() is True
    assert form.fields["end_date"].message.value == ""
    assert len(db.read("alliances")) == 1 and len(saved) == 1


def test_messages_and_status_are_escaped(db) -> None:
    db.insert("alliances", [ALLIANCE])
    form = RecordForm(db, "kpis", ["alliance_id", "name", "direction", "baseline"])
    fill(form, alliance_id="A001", name="<script>x</script>", direction="increase")
    fill(form, baseline="<b>12</b>")
    assert form.save() is False
    msg = form.fields["baseline"].message.value
    assert "&lt;b&gt;12&lt;/b&gt;" in msg and "<b>" not in msg
    fill(form, baseline="12")
    assert form.save() is True
    assert "&lt;script&gt;" in form.status.value and "<script>" not in form.status.value
    assert db.read("kpis")["name"].tolist() == ["<script>x</script>"]  # stored as typed


def test_load_edit_keeps_hidden_columns(db) -> None:
    db.insert("alliances", [ALLIANCE])
    form = RecordForm(db, "alliances", ["id", "name", "importance"])
    form.picker.value = ("A001",)
    form.load_button.click()
    assert form.fields["name"].widget.value == "Cloud co-sell"
    assert form.fields["importance"].widget.value == 4
    assert form.fields["id"].widget.disabled
    fill(form, name="Renamed", importance=5)
    assert form.save() is True
    row = db.read("alliances").iloc[0]
    assert (row["name"], row["importance"]) == ("Renamed", 5)
    assert (row["partner"], row["notes"], row["our_sponsor_level"]) == ("Nimbus", "keep", "svp")
    assert len(db.read("alliances")) == 1


def test_new_record_cannot_take_an_existing_id(db) -> None:
    db.insert("alliances", [ALLIANCE])
    form = RecordForm(db, "alliances")
    fill_alliance(form, name="Impostor")
    fill(form, id="A001")
    assert form.save() is False
    assert "already exists" in form.fields["id"].message.value
    assert db.read("alliances")["name"].tolist() == ["Cloud co-sell"]


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("a001", "stored id A001"),
        ("Ａ001", "letters A-Z"),
        ("../../tmp/x", "letters A-Z"),
        ("portfolio", "report batch"),
    ],
)
def test_a_new_alliance_id_must_be_safe_and_not_a_case_twin(db, typed, says) -> None:
    db.insert("alliances", [ALLIANCE])
    form = RecordForm(db, "alliances")
    fill_alliance(form, name="Twin")
    fill(form, id=typed)
    assert form.save() is False
    assert says in form.fields["id"].message.value
    assert db.read("alliances")["id"].tolist() == ["A001"]


def test_control_characters_in_a_form_are_refused_and_line_breaks_kept(db) -> None:
    form = RecordForm(db, "alliances")
    fill_alliance(form, notes="pasted\x00text")
    fill(form, id="A002")
    assert form.save() is False
    assert "control characters" in form.fields["notes"].message.value
    assert db.read("alliances").empty
    fill(form, notes="one\r\ntwo\tthree")
    assert form.save() is True
    assert db.read("alliances")["notes"].tolist() == ["one\ntwo\tthree"]


def test_defaults_fill_hidden_columns_and_where_limits_load(db) -> None:
    db.insert("alliances", [ALLIANCE, ALLIANCE | {"id": "A002", "name": "Other"}])
    db.insert(
        "kpis",
        [{"id": "KPI-0007", "alliance_id": "A002", "name": "other's", "direction": "increase"}],
    )
    form = RecordForm(
        db,
        "kpis",
        ["name", "direction", "target", "agreed_by_both"],
        defaults={"alliance_id": "A001"},
        where={"alliance_id": "A001"},
    )
    assert form.picker.options == ()
    fill(form, name="Sourced revenue", direction="increase", target="1,500,000")
    form.fields["agreed_by_both"].widget.value = True
    assert form.save() is True
    kpis = db.read("kpis").set_index("id")
    assert kpis.loc["KPI-0008", "alliance_id"] == "A001"
    assert kpis.loc["KPI-0008", "target"] == 1_500_000.0
    assert bool(kpis.loc["KPI-0008", "agreed_by_both"]) is True
    assert [v for _, v in form.picker.options] == [("KPI-0008",)]


def test_a_bad_hidden_value_is_reported_in_the_status(db) -> None:
    form = RecordForm(db, "kpis", ["name", "direction"], defaults={"alliance_id": "A999"})
    fill(form, name="k", direction="increase")
    assert form.save() is False
    assert "alliance_id" in form.messages
    assert "Alliance" in form.status.value
    assert db.read("kpis").empty


def test_composite_key_and_reference_dropdown(db) -> None:
    db.insert("alliances", [ALLIANCE])
    db.insert(
        "kpis", [{"id": "K1", "alliance_id": "A001", "name": "Pipeline", "direction": "increase"}]
    )
    form = RecordForm(db, "kpi_actuals")
    assert form.fields["kpi_id"].widget.options == (("K1 — Pipeline", "K1"),)
    fill(form, kpi_id="K1", period="2026-Q3", value=12.5)
    assert form.save() is True
    fill(form, value=13.0)
    assert form.save() is True  # the loaded record is edited, not duplicated
    assert db.read("kpi_actuals")[["kpi_id", "period", "value"]].values.tolist() == [
        ["K1", "2026-Q3", 13.0]
    ]
    form.new()
    fill(form, kpi_id="K1", period="2026-Q9", value=1.0)
    assert form.save() is False and "period" in form.messages
    assert form.load(("K1", "2026-Q3")) and form.fields["value"].widget.value == 13.0


def test_static_html_fallbacks() -> None:
    frame = pd.DataFrame({"Name": ["<img src=x onerror=alert(1)>", None], "Count": [3, 4]})
    out = html_table(frame)
    assert '<td class="wrap">&lt;img src=x onerror=alert(1)&gt;</td>' in out
    assert "<img" not in out
    assert '<td class="num">3</td>' in out
    assert "<th>Name</th>" in out
    assert "Nothing" in html_table(frame.iloc[0:0])
    view = TableView().show(frame)
    bundle = view._repr_mimebundle_()
    assert bundle["text/html"] == out
    assert "application/vnd.jupyter.widget-view+json" in bundle


def test_form_bundle_has_live_widget_and_static_note(db) -> None:
    form = RecordForm(db, "alliances", ["name", "partner"], title="Add <or> edit")
    bundle = form._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert "Add &lt;or&gt; edit" in bundle["text/html"]


def test_out_of_range_number_is_explained_not_clamped(sqlite_store) -> None:
    form = RecordForm(sqlite_store, "alliances")
    f = form.fields
    f["importance"].widget.value = 7
    assert f["importance"].widget.value == 7
    form.save()
    assert sqlite_store.counts()["alliances"] == 0
    assert f["importance"].message.value  # an inline message says what range is allowed
