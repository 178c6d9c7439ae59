"""Widget forms of the Align workbooks (agreements and contracts, governance).

Every form is a ``widgets.AllianceForm`` bound to one alliance: new records
get the alliance's id, and the Load picker and every drop-down of linked records offer only
that alliance's records, also for tables that reach their alliance through a parent
(obligations through their agreement, meetings and members through their body).
Nothing is saved until the record is valid, and each message shows under its field:

- the model's rules through ``schemas.validate_record`` (RecordForm does this): an expiry
  before the signature, an obligation without an owner, an attendee who is not a member
  of the body that met, a date closed before the date opened, ...;
- a few rules only a form needs (``checks``): an agreement briefing must name the
  agreement; a body may not escalate to itself or into a loop; a meeting marked held
  needs the day it was held.

``MeetingForm`` records a meeting and who attended it in one save: the attendance list
offers the alliance's people (members of the body marked), and an attendee who is not a
member is refused with a message next to the list. Everything runs without a browser:
tests set widget values and click Save.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ipywidgets as W
import pandas as pd
from sqlalchemy.exc import SQLAlchemyError

from alliance_kit.records import schemas
from alliance_kit.records.model import TABLES, RecordRefused
from alliance_kit.records.store import Store, StoreError, typed_frame
from alliance_kit.views.widgets import (
    FIELD_WIDTH,
    LABEL_WIDTH,
    AllianceForm,
    Check,
    _error,
    _ok,
    alliance_rows,
    fields_to_fix,
    message_html,
)

Saved = Callable[[dict[str, Any]], None]


def _day(value: Any) -> pd.Timestamp | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value)


def _dated_when_done(column: str, verb: str) -> Check:
    """A record whose status says done needs the day in ``column`` (``verb``: completed,
    closed)."""

    def check(rec: dict[str, Any]) -> dict[str, str]:
        if rec.get("status") == "done" and _day(rec.get(column)) is None:
            return {column: f"enter the day it was {verb} (the status says done)"}
        return {}

    return check


# --- agreements -----------------------------------------------------------------------------

AGREEMENT_FIELDS = (
    "id",
    "type",
    "title",
    "parties",
    "status",
    "signed_on",
    "effective_on",
    "expires_on",
    "notice_days",
    "auto_renew",
    "exit_provisions",
)


def agreement_form(store: Store, alliance_id: str, on_saved: Saved | None = None) -> AllianceForm:
    """Add or edit an agreement (an expiry before the signature is refused under Expires
    on). Leave Id empty for a new one."""
    return AllianceForm(
        store,
        "agreements",
        alliance_id,
        AGREEMENT_FIELDS,
        title="Agreement",
        labels={
            "signed_on": "Signed on",
            "effective_on": "Effective on",
            "expires_on": "Expires on",
            "notice_days": "Notice period (days)",
            "auto_renew": "Renews automatically",
        },
        id_format=(f"{alliance_id}-AG", 2),
        on_saved=on_saved,
    )


def obligation_form(store: Store, alliance_id: str, on_saved: Saved | None = None) -> AllianceForm:
    """Add or edit an obligation of one of the alliance's agreements: what, who owns it
    (required), their side, when it is due and its status."""
    return AllianceForm(
        store,
        "obligations",
        alliance_id,
        ("id", "agreement_id", "description", "owner", "owner_side", "due_on", "status",
         "completed_on"),
        title="Obligation",
        checks=[_dated_when_done("completed_on", "completed")],
        id_format=(f"{alliance_id}-OB", 3),
        on_saved=on_saved,
    )  # fmt: skip


def agreement_briefing_form(
    store: Store, alliance_id: str, on_saved: Saved | None = None
) -> AllianceForm:
    """Record who inside either organization was briefed on an agreement, and whether
    they acknowledged it."""

    def names_agreement(rec: dict[str, Any]) -> dict[str, str]:
        if not rec.get("agreement_id"):
            return {"agreement_id": "choose the agreement the audience was briefed on"}
        return {}

    return AllianceForm(
        store,
        "briefings",
        alliance_id,
        ("agreement_id", "side", "audience", "briefed_on", "acknowledged"),
        title="Briefing on an agreement",
        defaults={"topic": "agreement"},
        where={"topic": "agreement"},
        checks=[names_agreement],
        id_format=(f"{alliance_id}-B", 2),
        on_saved=on_saved,
    )


# --- governance -----------------------------------------------------------------------------


def _escalation_check(store: Store) -> Check:
    def check(rec: dict[str, Any]) -> dict[str, str]:
        target = rec.get("escalates_to")
        if not target:
            return {}
        if target == rec.get("id"):
            return {"escalates_to": "a body cannot escalate to itself"}
        up = store.read("governance_bodies").set_index("id")["escalates_to"].to_dict()
        up[rec.get("id")] = target
        seen, node = {rec.get("id")}, target
        while isinstance(node, str) and node:
            if node in seen:
                return {"escalates_to": f"escalating to {target} would make a loop"}
            seen.add(node)
            node = up.get(node)
        return {}

    return check


def body_form(store: Store, alliance_id: str, on_saved: Saved | None = None) -> AllianceForm:
    """Add or edit a governance body: its kind, how often it meets and where issues
    escalate (no loops)."""
    return AllianceForm(
        store,
        "governance_bodies",
        alliance_id,
        ("id", "name", "kind", "meetings_per_year", "escalates_to"),
        title="Governance body",
        labels={"meetings_per_year": "Meetings a year", "escalates_to": "Escalates to"},
        checks=[_escalation_check(store)],
        id_format=(f"{alliance_id}-GB", 1),
        on_saved=on_saved,
    )


def member_form(store: Store, alliance_id: str, on_saved: Saved | None = None) -> AllianceForm:
    """Put a person of either side on a body, with their role in it (chair, member,
    secretary)."""
    return AllianceForm(
        store,
        "body_members",
        alliance_id,
        ("body_id", "person_id", "role"),
        title="Body member",
        on_saved=on_saved,
    )


def decision_form(store: Store, alliance_id: str, on_saved: Saved | None = None) -> AllianceForm:
    """Log a decision asked for (and when it was made, empty while pending)."""
    return AllianceForm(
        store,
        "decisions",
        alliance_id,
        ("id", "meeting_id", "title", "raised_on", "decided_on"),
        title="Decision",
        labels={"raised_on": "Asked for on", "decided_on": "Decided on"},
        id_format=(f"{alliance_id}-D", 2),
        on_saved=on_saved,
    )


def action_form(store: Store, alliance_id: str, on_saved: Saved | None = None) -> AllianceForm:
    """Add or edit a meeting's action item: owner, due date, status."""
    return AllianceForm(
        store,
        "actions",
        alliance_id,
        ("id", "meeting_id", "title", "owner", "owner_side", "opened_on", "due_on", "status",
         "closed_on"),
        title="Action item",
        defaults={"kind": "meeting action"},
        where={"kind": "meeting action"},
        checks=[_dated_when_done("closed_on", "closed")],
        id_format=(f"{alliance_id}-ACT", 3),
        on_saved=on_saved,
    )  # fmt: skip


def raci_form(store: Store, alliance_id: str, on_saved: Saved | None = None) -> AllianceForm:
    """Add a cell of the RACI matrix: for a key decision, which party is Responsible,
    Accountable, Consulted or Informed."""
    return AllianceForm(
        store,
        "raci",
        alliance_id,
        ("id", "decision_area", "party", "role"),
        title="RACI entry",
        labels={"decision_area": "Decision", "party": "Party (person, role or body)"},
        id_format=(f"{alliance_id}-RACI", 2),
        on_saved=on_saved,
    )


class MeetingForm(AllianceForm):
    """A meeting and its attendance, saved together in one transaction.

    The attendance list offers the alliance's people; those who are members of the chosen
    body are marked. An attendee who is not a member of the body is refused (the model's
    rule, through ``schemas.validate_record``) with the message under the list, and
    nothing is saved. People recorded before and no longer selected are stored as absent.
    """

    def __init__(self, store: Store, alliance_id: str, on_saved: Saved | None = None) -> None:
        self.attendees = W.SelectMultiple(
            options=[],
            rows=8,
            description="Attended",
            tooltip="hold Ctrl (Cmd) to select several people",
            style={"description_width": LABEL_WIDTH},
            layout=W.Layout(width=FIELD_WIDTH),
        )
        self.attendance_message = W.HTML(value="")
        super().__init__(
            store,
            "meetings",
            alliance_id,
            ("id", "body_id", "planned_on", "held_on", "status", "notes"),
            title="Meeting and attendance",
            labels={"body_id": "Body", "planned_on": "Planned on", "held_on": "Held on"},
            checks=[self._held_check],
            id_format=(f"{alliance_id}-M", 3),
            on_saved=on_saved,
        )
        self.fields["body_id"].widget.observe(lambda _c: self._label_attendees(), names="value")

    @staticmethod
    def _held_check(rec: dict[str, Any]) -> dict[str, str]:
        if rec.get("status") == "held" and _day(rec.get("held_on")) is None:
            return {"held_on": "enter the day it was held (the status says held)"}
        if rec.get("status") != "held" and _day(rec.get("held_on")) is not None:
            return {"status": "set the status to held: a day it was held is entered"}
        return {}

    def _build_controls(self) -> None:
        super()._build_controls()
        children = list(self.widget.children)
        self.widget.children = (*children[:-2], self.attendees, self.attendance_message,
                                *children[-2:])  # fmt: skip

    # --- attendance list ---------------------------------------------------------------

    def _people(self) -> pd.DataFrame:
        return alliance_rows(self.store, "people", self.alliance_id)

    def _members(self, body_id: Any) -> set[str]:
        m = self.store.read("body_members")
        return set(m.loc[m["body_id"] == body_id, "person_id"])

    def _label_attendees(self) -> None:
        members = self._members(self.fields["body_id"].widget.value)
        chosen = self.attendees.value
        options = [
            (f"{p['name']} ({p['side']}, {p['org_level']})"
             + (" · member" if p["id"] in members else ""), p["id"])
            for p in self._people().to_dict("records")
        ]  # fmt: skip
        self.attendees.options = options
        values = {v for _, v in options}
        self.attendees.value = tuple(v for v in chosen if v in values)

    def refresh_options(self) -> None:
        super().refresh_options()
        self._label_attendees()

    def new(self) -> None:
        super().new()
        self.attendees.value = ()

    def load(self, key: Any) -> bool:
        if not super().load(key):
            return False
        att = self.store.read("attendance", where={"meeting_id": self.loaded_key["id"]})
        present = set(att.loc[att["attended"], "person_id"])
        self._label_attendees()
        self.attendees.value = tuple(v for _, v in self.attendees.options if v in present)
        return True

    # --- saving ---------------------------------------------------------------------------

    def attendance_problems(self, rec: dict[str, Any]) -> list[str]:
        """Why the selected attendees cannot be recorded for the meeting ``rec``."""
        existing = self._existing()
        meeting = typed_frame(TABLES["meetings"], pd.DataFrame([rec]))
        others = existing["meetings"]
        existing["meetings"] = pd.concat(
            [meeting, others[others["id"] != rec["id"]]], ignore_index=True
        )
        names = self._people().set_index("id")["name"]
        out = []
        for pid in self.attendees.value:
            row = {"meeting_id": rec["id"], "person_id": pid, "attended": True}
            found = schemas.validate_record("attendance", row, existing)
            if found:
                who = names.get(pid, pid)
                body = rec.get("body_id")
                if "member" in " ".join(found.values()):
                    out.append(f"{who} is not a member of {body}: add them to the body first")
                else:
                    out.append(f"{who}: " + "; ".join(found.values()))
        return out

    def save(self) -> bool:
        """Validate the meeting and its attendance; if both are valid, store them in one
        transaction. True if saved."""
        rec = self.record()
        self._fill_id(rec)
        problems = self.validate(rec)
        att_problems = self.attendance_problems(rec) if rec.get("body_id") else []
        self.attendance_message.value = message_html("; ".join(att_problems))
        if problems or att_problems:
            self._show(problems, "")
            labels = [f.label for c, f in self.fields.items() if c in problems]
            labels += [self.attendees.description or "Attendance"] if att_problems else []
            self.status.value = _error(
                fields_to_fix(labels) + ("" if "" not in problems else " " + problems[""])
            )
            self.attendance_message.value = message_html("; ".join(att_problems))
            return False
        before = self.store.read("attendance", where={"meeting_id": rec["id"]})
        chosen = set(self.attendees.value)
        rows = [{"meeting_id": rec["id"], "person_id": p, "attended": True} for p in chosen]
        rows += [
            {"meeting_id": rec["id"], "person_id": p, "attended": False}
            for p in before["person_id"]
            if p not in chosen
        ]
        try:
            with self.store.transaction() as conn:
                self.store.upsert("meetings", [rec], conn=conn)
                if rows:
                    self.store.upsert("attendance", rows, conn=conn)
        except (SQLAlchemyError, StoreError, RecordRefused) as exc:
            self.refused(exc)
            return False
        self.refresh_options()
        self.load({"id": rec["id"]})
        self.attendance_message.value = ""
        self.status.value = _ok(f"Saved {rec['id']} with {len(chosen)} attendees.")
        if self.on_saved is not None:
            self.on_saved(rec)
        return True
