"""A small survey round for the survey page tests (the web form over HTTP, and the form
and the Voila page in Chromium): one alliance, a round for 2026-Q3, named respondents each
invited once (``expired``: a code issued long ago; ``revoked``: a code revoked), and one
more respondent whose answer carries a private comment that no page may show."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from alliance_kit.assess import survey
from alliance_kit.records.store import Store

OTHER_COMMENT = "the other side's private remark"
ALLIANCE: dict[str, Any] = {
    "id": "A001",
    "name": "Cloud Co-sell EMEA",
    "partner": "Northwind Systems",
    "type": "co-sell",
    "stage": "5 working together",
    "start_date": dt.date(2025, 1, 1),
    "owner": "Eve Martin",
    "expected_revenue": 4_000_000.0,
    "currency": "EUR",
    "importance": 5,
}


@dataclass
class InvitedRound:
    round_id: str
    people: dict[str, str]  # who -> respondent id
    issued: dict[str, survey.IssuedCode]  # who -> the code and its link

    @property
    def codes(self) -> dict[str, str]:
        return {who: issued.code for who, issued in self.issued.items()}


def invited_round(
    store: Store, respondents: dict[str, tuple[str, str | None]], alliance: dict | None = None
) -> InvitedRound:
    """The alliance (``ALLIANCE`` unless given) and its round, with ``respondents`` (who ->
    (side, role)) invited in that order; ``expired`` and ``revoked``, when named, get the
    code that gives them their name."""
    store.insert("alliances", [alliance or ALLIANCE])
    rid = survey.open_round(store, "A001", "2026-Q3", questionnaire_version="2026.1")["id"]
    people = {
        who: survey.add_respondent(store, rid, side, role=role)
        for who, (side, role) in respondents.items()
    }
    other = survey.add_respondent(store, rid, "us", role="sponsor")
    survey.save_answer(store, other, "C1.1", 1, OTHER_COMMENT)
    long_ago = dt.datetime(2020, 1, 1)  # expired whatever today's date is
    issued = {
        who: survey.invite(store, pid, now=long_ago if who == "expired" else None)
        for who, pid in people.items()
    }
    if "revoked" in people:
        survey.revoke(store, respondent_id=people["revoked"])
    return InvitedRound(rid, people, issued)
