"""Align widget forms driven like a user would: set values, click Save. Valid records are
stored; nonsense (expiry before signature, an obligation without owner, an attendee who
is not a member) is refused with a message next to the field and nothing is saved."""

from __future__ import annotations

import datetime as dt

import pytest
from form_helpers import fill

from alliance_kit.align import forms as af


@pytest.fixture
def store(sample_store):
    """A fresh copy of the sample portfolio (2026-Q3); see conftest.py."""
    return sample_store


def test_agreement_expiring_before_signature_is_refused_inline(store):
    saved = []
    form = af.agreement_form(store, "A003", on_saved=saved.append)
    before = len(store.read("agreements"))
    fill(
        form,
        type="MoU",
        title="Pilot <MoU>",
        status="signed",
        signed_on=dt.date(2026, 5, 1),
        expires_on=dt.date(2026, 1, 1),
    )
    form.save_button.click()
    assert "signature date 2026-05-01" in form.fields["expires_on"].message.value
    assert "Not saved" in form.status.value
    assert len(store.read("agreements")) == before and saved == []
    # fixed: saved with the alliance's id and a generated agreement id
    fill(form, expires_on=dt.date(2027, 5, 1), notice_days="60")
    form.save_button.click()
    assert form.fields["expires_on"].message.value == ""
    assert len(saved) == 1
    rec = store.read("agreements", where={"id": saved[0]["id"]}).iloc[0]
    assert rec["alliance_id"] == "A003" and rec["title"] == "Pilot <MoU>"
    assert rec["notice_days"] == 60
    assert saved[0]["id"].startswith("A003-AG")


def test_agreement_form_offers_only_the_alliances_records(store):
    form = af.agreement_form(store, "A003")
    keys = [v[0] for _, v in form.picker.options]
    assert keys and all(k.startswith("A003-") for k in keys)
    ob = af.obligation_form(store, "A003")
    assert {v for _, v in ob.fields["agreement_id"].widget.options if v} == {
        "A003-AG01",
        "A003-AG02",
        "A003-AG03",
        "A003-AG04",
    }
    assert all(v[0].startswith("A003-AG") for _, v in ob.picker.options)


def test_obligation_without_owner_is_refused_inline(store):
    form = af.obligation_form(store, "A003")
    before = len(store.read("obligations"))
    fill(
        form,
        agreement_id="A003-AG02",
        description="Quarterly pipeline report",
        owner="   ",
        owner_side="partner",
        due_on=dt.date(2026, 12, 31),
        status="open",
    )
    assert not form.save()
    assert "required" in form.fields["owner"].message.value
    assert len(store.read("obligations")) == before
    fill(form, owner="Oskar Weber")
    assert form.save()
    assert len(store.read("obligations")) == before + 1
    assert form.fields["owner"].message.value == ""


def test_obligation_done_needs_a_completion_day(store):
    form = af.obligation_form(store, "A003")
    fill(form, agreement_id="A003-AG02", description="x", owner="Ann", owner_side="us",
         due_on=dt.date(2026, 9, 1), status="done")  # fmt: skip
    assert not form.save()
    assert "completed" in form.fields["completed_on"].message.value


def test_agreement_briefing_must_name_the_agreement(store):
    form = af.agreement_briefing_form(store, "A003")
    fill(form, side="partner", audience="Procurement", briefed_on=dt.date(2026, 9, 1))
    assert not form.save()
    assert "choose the agreement" in form.fields["agreement_id"].message.value
    fill(form, agreement_id="A003-AG04")
    assert form.save()
    b = store.read("briefings", where={"id": form.loaded_key["id"]}).iloc[0]
    assert (b["topic"], b["agreement_id"], b["alliance_id"]) == ("agreement", "A003-AG04", "A003")


def test_meeting_attended_by_a_non_member_is_refused(store):
    saved = []
    form = af.MeetingForm(store, "A003", on_saved=saved.append)
    n_meetings, n_att = len(store.read("meetings")), len(store.read("attendance"))
    fill(form, body_id="A003-GB1", planned_on=dt.date(2026, 9, 20),
         held_on=dt.date(2026, 9, 21), status="held")  # fmt: skip
    labels = dict((v, k) for k, v in form.attendees.options)
    assert labels["A003-P01"].endswith("· member") and "member" not in labels["A003-P08"]
    form.attendees.value = ("A003-P01", "A003-P08")  # P08 is not on the steering committee
    form.save_button.click()
    assert "Ben Hughes is not a member of A003-GB1" in form.attendance_message.value
    assert "Not saved: fix the 1 field marked above (Attended)" in form.status.value
    assert len(store.read("meetings")) == n_meetings
    assert len(store.read("attendance")) == n_att
    assert saved == []
    # valid attendance: meeting and attendance are stored together
    form.attendees.value = ("A003-P01", "A003-P02")
    form.save_button.click()
    assert form.attendance_message.value == ""
    assert len(saved) == 1
    mid = saved[0]["id"]
    att = store.read("attendance", where={"meeting_id": mid})
    assert sorted(att["person_id"]) == ["A003-P01", "A003-P02"] and att["attended"].all()
    # edit: drop one attendee -> recorded as absent, loaded back as selected
    form.attendees.value = ("A003-P01",)
    assert form.save()
    att = store.read("attendance", where={"meeting_id": mid}).set_index("person_id")
    assert bool(att.loc["A003-P01", "attended"]) and not bool(att.loc["A003-P02", "attended"])
    form.new()
    assert form.attendees.value == ()
    form.load(mid)
    assert form.attendees.value == ("A003-P01",)


def test_meeting_held_needs_its_day(store):
    form = af.MeetingForm(store, "A003")
    fill(form, body_id="A003-GB2", planned_on=dt.date(2026, 9, 20), status="held")
    assert not form.save()
    assert "held" in form.fields["held_on"].message.value


def test_body_cannot_escalate_into_a_loop(store):
    form = af.body_form(store, "A003")
    form.load("A003-GB1")
    fill(form, escalates_to="A003-GB3")  # GB3 -> GB2 -> GB1 -> GB3
    assert not form.save()
    assert "loop" in form.fields["escalates_to"].message.value
    fill(form, escalates_to="A003-GB1")
    assert not form.save()
    assert "itself" in form.fields["escalates_to"].message.value
    assert store.read("governance_bodies", where={"id": "A003-GB1"}).iloc[0]["escalates_to"] is None
    # a new body escalating to the working team is fine
    form.new()
    fill(form, name="Tiger team", kind="working team", meetings_per_year=24,
         escalates_to="A003-GB3")  # fmt: skip
    assert form.save()
    assert form.fields["escalates_to"].widget.options  # the new body is offered too


def test_member_decision_action_and_raci_forms_save(store):
    refreshed = []
    m = af.member_form(store, "A003", on_saved=refreshed.append)
    fill(m, body_id="A003-GB1", person_id="A003-P08", role="member")
    assert m.save()
    # now the attendee who was refused before is accepted
    form = af.MeetingForm(store, "A003")
    fill(form, body_id="A003-GB1", planned_on=dt.date(2026, 9, 20),
         held_on=dt.date(2026, 9, 21), status="held")  # fmt: skip
    form.attendees.value = ("A003-P08",)
    assert form.save()
    d = af.decision_form(store, "A003", on_saved=refreshed.append)
    fill(d, title="Renew the MAA?", raised_on=dt.date(2026, 9, 21),
         decided_on=dt.date(2026, 9, 1))  # fmt: skip
    assert not d.save()  # decided before it was raised
    assert "raised" in d.fields["decided_on"].message.value
    fill(d, decided_on=None)
    assert d.save()
    a = af.action_form(store, "A003", on_saved=refreshed.append)
    fill(a, title="Draft renewal terms", owner="Ann", owner_side="us",
         opened_on=dt.date(2026, 9, 21), due_on=dt.date(2026, 10, 15), status="open")  # fmt: skip
    assert a.save()
    act = store.read("actions", where={"id": a.loaded_key["id"]}).iloc[0]
    assert (act["kind"], act["alliance_id"]) == ("meeting action", "A003")
    r = af.raci_form(store, "A003", on_saved=refreshed.append)
    fill(r, decision_area="Renewal", party="Executive steering committee", role="A")
    assert r.save()
    assert len(refreshed) == 4


def test_messages_are_escaped(store):
    form = af.agreement_form(store, "A003")
    fill(form, type="MoU", title="<script>x</script>", status="signed",
         signed_on=dt.date(2026, 5, 1), expires_on=dt.date(2026, 1, 1))  # fmt: skip
    assert form.save() is False
    assert "<script>" not in form.status.value
