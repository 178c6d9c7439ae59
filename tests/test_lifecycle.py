"""Lifecycle checklist, hand-computed: which ISO 44001 artefacts exist (documents or
derived from records), which are expected at the alliance's stage, and completeness."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from frame_helpers import tf

from alliance_kit.records.model import STAGES
from alliance_kit.succeed import lifecycle as lc

ALLIANCE = dict(id="A1", name="n", partner="p", type="co-sell", stage="3 internal assessment",
                start_date="2024-01-01", owner="o", expected_revenue=1.0, currency="USD",
                importance=3, our_sponsor=None)  # fmt: skip


def doc(id_, kind, status="approved", dated="2026-01-01", alliance="A1"):
    return dict(id=id_, alliance_id=alliance, kind=kind, title=kind, status=status,
                dated=dated, location=None)  # fmt: skip


@pytest.fixture
def frames():
    return {
        "alliances": tf("alliances", [ALLIANCE]),
        "objectives": tf("objectives", [dict(id="O1", alliance_id="A1", title="Grow")]),
        "documents": tf("documents", [
            doc("D1", "relationship management plan"),
            doc("D2", "business strategy", status="draft"),
            doc("D3", "value analysis", status="superseded"),  # does not count
            doc("D4", "collaborative profile", dated="2026-12-01"),  # after as_of
            doc("D5", "exit strategy"),  # a later stage's artefact, already there
            doc("D6", "partner selection criteria", alliance="A2"),  # another alliance
        ]),
        "agreements": tf("agreements", [
            dict(id="AG1", alliance_id="A1", type="MoU", title="t", status="active",
                 exit_provisions="90 days notice"),
        ]),
    }  # fmt: skip


def test_checklist_states(frames):
    c = lc.checklist(frames, "A1", "2026-09-30").set_index("artefact")
    assert len(c) == len(lc.ARTEFACTS) == 15
    assert c.loc["senior executive responsible", "state"] == "missing"  # no sponsor
    assert c.loc["objectives", ["state", "evidence"]].tolist() == [
        "derived",
        "1 objective recorded",
    ]
    assert c.loc["initial risk assessment", "state"] == "missing"
    assert c.loc["relationship management plan", ["state", "evidence"]].tolist() == [
        "approved", "D1 (approved, 2026-01-01)"
    ]  # fmt: skip
    assert c.loc["business strategy", "state"] == "draft"
    assert c.loc["value analysis", "state"] == "missing"  # superseded only
    assert c.loc["exit considerations", ["state", "evidence"]].tolist() == [
        "derived", "exit provisions in AG1"
    ]  # fmt: skip
    assert c.loc["internal assessment (collaborative profile)", "state"] == "missing"
    assert c.loc["exit strategy", "evidence"] == "D5 (approved, 2026-01-01); exit provisions in AG1"
    assert c.loc["partner selection criteria", "state"] == "missing"
    # stage 3: stages 1-3 expected (4 + 3 + 1 = 8 artefacts), later ones not
    assert c["expected"].sum() == 8
    assert not c.loc["partner selection criteria", "expected"]


def test_completeness_by_hand(frames):
    c = lc.checklist(frames, "A1", "2026-09-30")
    s = lc.completeness(c)
    # expected: sponsor x, objectives v, risk assessment x, RMP v, strategy v (draft),
    # value analysis x, exit considerations v, collaborative profile x -> 4 of 8
    assert (s["expected"], s["existing"], s["completeness"]) == (8, 4, 0.5)
    assert s["missing"] == [
        "senior executive responsible",
        "initial risk assessment",
        "value analysis",
        "internal assessment (collaborative profile)",
    ]
    st = lc.stage_completeness(c).set_index("stage")
    assert st.loc[1, ["artefacts", "existing", "drafts"]].tolist() == [4, 2, 0]
    assert st.loc[2, ["artefacts", "existing", "drafts"]].tolist() == [3, 2, 1]
    assert st.loc[2, "completeness"] == pytest.approx(2 / 3)
    assert st.loc[3, "completeness"] == 0.0
    assert st.loc[8, ["expected", "completeness"]].tolist() == [False, 1.0]


def test_as_of_none_counts_every_document(frames):
    c = lc.checklist(frames, "A1").set_index("artefact")
    assert c.loc["internal assessment (collaborative profile)", "state"] == "approved"
    assert lc.completeness(c.reset_index())["existing"] == 5


def test_derived_evidence_from_records(frames):
    f = dict(frames)
    seven = dict(ALLIANCE, stage="7 staying together", our_sponsor="Ada", our_sponsor_level="svp")
    f["alliances"] = tf("alliances", [seven])
    f["governance_bodies"] = tf("governance_bodies", [
        dict(id="B1", alliance_id="A1", name="JSC", kind="executive steering committee",
             meetings_per_year=4)])  # fmt: skip
    f["raci"] = tf("raci", [dict(id="X", alliance_id="A1", decision_area="pricing",
                                 party="JSC", role="A")])  # fmt: skip
    f["risks"] = tf("risks", [dict(id="R1", alliance_id="A1", title="t", owner="o",
                                   status="open", raised_on="2026-01-01")])  # fmt: skip
    f["risk_reviews"] = tf("risk_reviews", [dict(risk_id="R1", period="2026-Q1", likelihood=2,
                                                 impact=2)])  # fmt: skip
    f["assessment_rounds"] = tf("assessment_rounds", [
        dict(id="RD", alliance_id="A1", period="2026-Q2", questionnaire_version="2026.1",
             opened_on="2026-05-01")])  # fmt: skip
    f["respondents"] = tf(
        "respondents",
        [dict(id="P1", round_id="RD", side="us"), dict(id="P2", round_id="RD", side="partner")],
    )
    f["strategies"] = tf("strategies", [dict(alliance_id="A1", documented_on="2025-06-01")])
    c = lc.checklist(f, "A1", "2026-09-30").set_index("artefact")["evidence"]
    assert c["senior executive responsible"] == "executive sponsor Ada (svp)"
    assert c["joint governance"] == "1 governance body"
    assert c["roles and responsibilities"] == "RACI for 1 decision area"
    assert c["initial risk assessment"] == "risk register with 1 risk"
    assert c["jointly owned risks"] == "1 risk reviewed jointly by period"
    assert c["joint review"] == "1 health assessment round answered by both partners"
    assert c["business strategy"].endswith("strategy documented on 2025-06-01")
    s = lc.completeness(lc.checklist(f, "A1", "2026-09-30"))
    # stage 7: 14 expected; missing: value analysis, collaborative profile, partner
    # selection criteria, value creation process -> 10 of 14
    assert (s["expected"], s["existing"]) == (14, 10)


def test_stage_numbers():
    assert [lc.stage_number(s) for s in STAGES] == list(range(1, 9))
    assert lc.stage_number("working together") == 5
    with pytest.raises(ValueError):
        lc.stage_number("9 forever")


def test_nothing_expected_gives_nan():
    c = pd.DataFrame({"expected": [False], "exists": [True], "artefact": ["x"]})
    assert math.isnan(lc.completeness(c)["completeness"])


def test_unknown_alliance(frames):
    with pytest.raises(ValueError, match="A9"):
        lc.checklist(frames, "A9")
