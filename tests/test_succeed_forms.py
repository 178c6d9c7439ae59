"""Succeed widget forms driven like a user would: set values, click Save. Nonsense
(negative FTE, a likelihood of 7, an action closed before it was opened, an issue resolved
before it was raised, an actual reported before its quarter) gets a message under the
field and nothing is saved; once valid, the record is stored."""

from __future__ import annotations

import datetime as dt

import pytest
from form_helpers import fill

from alliance_kit.succeed import forms as sf

A = "A009"


@pytest.fixture
def store(sample_store):
    """A fresh copy of the sample portfolio (2026-Q3); see conftest.py."""
    return sample_store


def test_negative_fte_is_refused_inline_then_saved_when_fixed(store):
    saved = []
    form = sf.resource_form(store, A, on_saved=saved.append)
    before = len(store.read("resources"))
    fill(form, side="partner", period="2026-Q4", fte_committed="3", fte_assigned="-2",
         budget_committed="50000", budget_assigned="40000")  # fmt: skip
    assert form.fields["fte_assigned"].widget.value == "-2"  # typed as text: not clamped
    form.save_button.click()
    assert "0" in form.fields["fte_assigned"].message.value
    assert "Not saved" in form.status.value
    assert len(store.read("resources")) == before and saved == []
    fill(form, fte_assigned="2.5")
    form.save_button.click()
    assert form.fields["fte_assigned"].message.value == ""
    assert len(saved) == 1
    row = store.read("resources", where={"id": saved[0]["id"]}).iloc[0]
    assert row["alliance_id"] == A and row["fte_assigned"] == 2.5 and row["period"] == "2026-Q4"


def test_bad_period_and_missing_number_are_refused(store):
    form = sf.resource_form(store, A)
    fill(form, side="us", period="2026-3", fte_committed="", fte_assigned="1",
         budget_committed="1", budget_assigned="1")  # fmt: skip
    assert form.save() is False
    assert form.fields["period"].message.value
    assert form.fields["fte_committed"].message.value


def test_likelihood_seven_is_refused_inline(store):
    form = sf.risk_review_form(store, A)
    before = len(store.read("risk_reviews"))
    fill(form, risk_id="A009-R01", period="2026-Q4", likelihood="7", impact="3")
    form.save_button.click()
    assert "5" in form.fields["likelihood"].message.value
    assert len(store.read("risk_reviews")) == before
    fill(form, likelihood="4")
    form.save_button.click()
    got = store.read("risk_reviews", where={"risk_id": "A009-R01", "period": "2026-Q4"})
    assert got[["likelihood", "impact"]].iloc[0].tolist() == [4, 3]


def test_review_before_the_risk_was_raised_is_refused(store):
    form = sf.risk_review_form(store, A)
    fill(form, risk_id="A009-R01", period="2024-Q1", likelihood="2", impact="2")
    assert form.save() is False
    assert "raised on" in form.fields["period"].message.value


def test_review_form_offers_only_the_alliances_risks(store):
    form = sf.risk_review_form(store, A)
    risks = [v for _, v in form.fields["risk_id"].widget.options if v is not None]
    assert risks and all(r.startswith("A009-") for r in risks)
    picks = [v for _, v in form.picker.options]
    assert picks and all(p[0].startswith("A009-") for p in picks)


def test_action_closed_before_opened_is_refused(store):
    saved = []
    form = sf.action_form(store, A, on_saved=saved.append)
    fill(form, title="Joint webinar", owner="Mei Jansen", owner_side="us",
         opened_on=dt.date(2026, 9, 1), due_on=dt.date(2026, 10, 1), status="done",
         closed_on=dt.date(2026, 8, 1))  # fmt: skip
    form.save_button.click()
    assert "2026-09-01" in form.fields["closed_on"].message.value and saved == []
    fill(form, closed_on=None)
    form.save_button.click()
    assert "closed" in form.fields["closed_on"].message.value and saved == []
    fill(form, closed_on=dt.date(2026, 9, 20), objective_id="A009-O01")
    form.save_button.click()
    assert len(saved) == 1 and saved[0]["id"] == "A009-ACT04"
    row = store.read("actions", where={"id": "A009-ACT04"}).iloc[0]
    assert row["kind"] == "activity" and row["objective_id"] == "A009-O01"


def test_issue_resolved_before_raised_is_refused(store):
    form = sf.issue_form(store, A)
    before = len(store.read("issues"))
    fill(form, title="Lead sharing stalls", owner="Emma García", side="partner",
         severity="high", raised_on=dt.date(2026, 7, 1), resolved_on=dt.date(2026, 6, 1),
         crack=3)  # fmt: skip
    assert form.save() is False
    assert form.fields["resolved_on"].message.value
    assert len(store.read("issues")) == before
    fill(form, resolved_on=None, escalated_on=dt.date(2026, 7, 10))
    assert form.save() is True
    assert len(store.read("issues")) == before + 1


def test_actual_reported_before_its_quarter_is_refused(store):
    form = sf.kpi_actual_form(store, A)
    kpis = [v for _, v in form.fields["kpi_id"].widget.options if v is not None]
    assert kpis == ["A009-K01", "A009-K02", "A009-K03"]
    fill(form, kpi_id="A009-K02", period="2026-Q4", value="abc",
         reported_on=dt.date(2026, 9, 1))  # fmt: skip
    assert form.save() is False
    assert "not a number" in form.fields["value"].message.value
    assert "before 2026-Q4 began" in form.fields["reported_on"].message.value
    fill(form, value="18.4", reported_on=dt.date(2027, 1, 10))
    assert form.save() is True
    got = store.read("kpi_actuals", where={"kpi_id": "A009-K02", "period": "2026-Q4"})
    assert got["value"].tolist() == [18.4]


def test_risk_lesson_and_document_forms_save(store):
    r = sf.risk_form(store, A)
    fill(r, title="Partner reorganises <sales>", owner="Mei Jansen",
         raised_on=dt.date(2026, 9, 1), crack=1)  # fmt: skip
    assert r.save() is True
    assert store.read("risks", where={"id": "A009-R05"})["crack"].tolist() == [1]
    les = sf.lesson_form(store, A)
    fill(les, recorded_on=dt.date(2026, 9, 2), title="Agree FTE by name", crack=6)
    assert les.save() is True
    d = sf.document_form(store, A)
    fill(d, kind="value creation process", title="Joint value plan")
    assert d.save() is True
    assert store.read("documents", where={"id": d.loaded_key["id"]})["status"].tolist() == ["draft"]


def test_messages_are_escaped(store):
    form = sf.risk_review_form(store, A)
    fill(form, risk_id="A009-R01", period="<b>", likelihood="1", impact="1")
    assert form.save() is False
    assert "<b>" not in form.fields["period"].message.value
