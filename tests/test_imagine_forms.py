"""Imagine forms driven without a browser: set widget values, click Save, look at the store.

Each form stores what it should and refuses what it should (nothing saved, a message next to
the field): a KPI target below the baseline of a KPI that should rise, a discount rate of
3.0, a negative amount, a year outside the case, an approval before the document.
"""

from __future__ import annotations

import datetime as dt

import pytest
from form_helpers import fill

from alliance_kit.imagine import forms, kpis
from alliance_kit.records import sample
from alliance_kit.views.workbook import heading_html


@pytest.fixture(scope="module")
def portfolio():
    return sample.portfolio(last_period="2026-Q3")


@pytest.fixture
def db(sample_store):
    """A fresh copy of a store holding the sample portfolio (2026-Q3); see conftest.py."""
    return sample_store


def test_kpi_target_below_baseline_is_refused_then_saved(db) -> None:
    saved = []
    designer = forms.KpiDesigner(db, "A001", on_saved=saved.append)
    form = designer.form
    before = len(db.read("kpis"))
    fill(form, name="Joint pipeline", direction="increase", baseline="100", target="80")
    form.save_button.click()
    assert len(db.read("kpis")) == before and saved == []
    assert "target above the baseline 100" in form.messages["target"]
    assert "target above the baseline 100" in form.fields["target"].message.value
    fill(form, target="150")
    form.save_button.click()
    stored = db.read("kpis", where={"id": "A001-K07"})
    assert len(stored) == 1 and stored["target"].iloc[0] == 150.0
    assert stored["alliance_id"].iloc[0] == "A001"
    assert saved and saved[0]["id"] == "A001-K07"


def test_kpi_designer_says_exactly_what_is_missing(db) -> None:
    designer = forms.KpiDesigner(db, "A001")
    fill(designer.form, name="Win rate", direction="increase", owner="Ann", unit="%")
    assert designer.missing == [
        "baseline",
        "target",
        "due date",
        "cadence",
        "data source",
        "agreed by both",
    ]
    assert "baseline, target, due date, cadence, data source, agreed by both" in (
        designer.smart.value
    )
    fill(
        designer.form,
        baseline="30",
        target="40",
        due_date=dt.date(2027, 6, 30),
        cadence="quarterly",
        data_source="CRM",
        agreed_by_both=True,
    )
    assert designer.missing == [] and "SMART and agreed" in designer.smart.value


def test_kpi_objectives_offered_are_the_alliances_own(db) -> None:
    options = forms.KpiDesigner(db, "A001").form.fields["objective_id"].widget.options
    assert [v for _, v in options] == [None, "A001-O01", "A001-O02"]


def test_catalogue_adds_kpis_in_one_click(db) -> None:
    added = []
    adder = forms.CatalogueAdder(db, "A002", on_added=added.extend)
    adder.picker.value = ("sourced_revenue", "time_to_market")
    adder.objective.value = adder.objective.options[1][1]
    adder.add_button.click()
    got = db.read("kpis", where={"alliance_id": "A002"}).set_index("name")
    rev = got.loc["Partner-sourced revenue"]
    currency = db.read("alliances", where={"id": "A002"})["currency"].iloc[0]
    assert rev["unit"] == currency and rev["direction"] == "increase"
    assert rev["objective_id"] == adder.objective.value
    assert got.loc["Time to market of joint offerings", "direction"] == "decrease"
    assert [r["name"] for r in added] == [
        "Partner-sourced revenue",
        "Time to market of joint offerings",
    ]
    # the same KPI twice is not added again
    n = len(got)
    assert adder.add(["sourced_revenue"]) == []
    assert len(db.read("kpis", where={"alliance_id": "A002"})) == n
    assert "Already there" in adder.status.value
    assert kpis.smart_check(rev.to_dict() | {"name": "x"}) == [
        "owner",
        "baseline",
        "target",
        "due date",
        "agreed by both",
    ]


def test_discount_rate_of_300_percent_is_refused(db) -> None:
    form = forms.business_case_form(db, "A001")
    assert form.fields["discount_rate"].widget.value == "0.094"  # loaded, typed as text
    fill(form, discount_rate="3.0")
    form.save_button.click()
    assert db.read("business_cases", where={"alliance_id": "A001"})["discount_rate"].iloc[0] == (
        0.094
    )
    assert "300%" in form.messages["discount_rate"]
    assert "300%" in form.fields["discount_rate"].message.value
    fill(form, discount_rate="-0.1")
    assert not form.save() and "0% or more" in form.messages["discount_rate"]
    fill(form, discount_rate="0.12")
    assert form.save()
    assert db.read("business_cases", where={"alliance_id": "A001"})["discount_rate"].iloc[0] == (
        0.12
    )


def test_business_case_line_is_checked_against_the_case(db) -> None:
    saved = []
    form = forms.line_form(db, "A001", on_saved=saved.append)
    before = len(db.read("business_case_lines"))
    fill(form, side="us", year="2026", category="cost", item="Extra team", kind="plan")
    fill(form, amount="-5000")
    assert not form.save() and "negative" in form.messages["amount"]
    fill(form, amount="5000", year="2040")
    assert not form.save() and "outside the case's horizon (2025-2029)" in form.messages["year"]
    assert len(db.read("business_case_lines")) == before and saved == []
    fill(form, year="2026")
    form.save_button.click()
    assert len(db.read("business_case_lines")) == before + 1
    assert saved[0]["amount"] == 5000.0 and saved[0]["alliance_id"] == "A001"


def test_strategy_form_loads_and_refuses_an_approval_before_the_document(db) -> None:
    saved = []
    form = forms.strategy_form(db, "A001", on_saved=saved.append)
    assert form.loaded_key == {"alliance_id": "A001"}
    fill(form, approved_us_on=dt.date(2020, 1, 1))
    assert (
        not form.save() and "before the strategy was documented" in form.messages["approved_us_on"]
    )
    fill(form, approved_us_on=dt.date(2025, 5, 15), vision="<b>New</b> vision")
    assert form.save()
    stored = db.read("strategies", where={"alliance_id": "A001"})
    assert stored["vision"].iloc[0] == "<b>New</b> vision" and saved


def test_strategy_form_creates_a_missing_strategy(db) -> None:
    db.delete("strategies", {"alliance_id": "A003"})
    form = forms.strategy_form(db, "A003")
    assert form.loaded_key is None
    fill(form, vision="Together, first in logistics", value_partner="Access to our base")
    assert form.save()
    assert db.read("strategies", where={"alliance_id": "A003"})["vision"].iloc[0] == (
        "Together, first in logistics"
    )


def test_briefing_form_adds_to_the_strategy_log(db) -> None:
    form = forms.briefing_form(db, "A001")
    fill(form, side="partner", audience="", briefed_on=dt.date(2026, 9, 1))
    assert not form.save() and "audience" in form.messages
    fill(form, audience="Partner CFO", acknowledged=True)
    form.save_button.click()
    got = db.read("briefings", where={"alliance_id": "A001", "audience": "Partner CFO"})
    assert got[["topic", "side"]].values.tolist() == [["strategy", "partner"]]
    assert bool(got["acknowledged"].iloc[0])


def test_heading_escapes_and_names_unknown_alliances(portfolio) -> None:
    f = dict(portfolio)
    a = f["alliances"].copy()
    a.loc[a["id"] == "A001", "name"] = "<script>x</script>"
    f["alliances"] = a
    assert "<script>" not in heading_html(f, "A001", "Strategy")
    with pytest.raises(ValueError, match="no alliance 'A999'"):
        heading_html(f, "A999", "Strategy")
