"""Six-crack scoring on hand-built frames with hand-computed expected numbers.

Portfolio A1 in 2026-Q3 (evidence window 2025-Q4..2026-Q3, as of 2026-09-30):
* crack 1 survey: us respondents' crack means 75, 75, 50 -> 66.667 (n=3, 2 of 12 don't
  know); partner 25, 50 -> 37.5 (n=2, low confidence, 3 of 8 don't know); survey 52.083,
  gap 29.167 (flagged, blind spot). Evidence: sponsor min(vp 70, director 40) = 40;
  executives at steering meetings us 3/3, partner 1/3 -> 33.333; escalations resolved
  1 of 2 -> 50; evidence 41.111; score 0.6 x 52.083 + 0.4 x 41.111 = 47.694 (red).
* crack 2 evidence: documented 100, approved by us only 50, us acknowledged 50 +
  partner briefed 25 = 75 -> 75 (green).
* crack 3 evidence: open issues aged 182 and 121 days, mean 151.5 -> 19; 2 of 3 issues
  raised escalated -> 0; decision latency median(30, 30, 29) = 30 -> 80; -> 33 (red).
* crack 4 evidence: SMART (6/6 + 2/6)/2 -> 66.667; agreed 1 of 2 -> 50; actuals on time
  3 of 8 -> 37.5; -> 51.389 (amber).
* crack 5 evidence: meetings held 3 of 4 planned -> 75; actions closed 2 of 3 -> 66.667;
  -> 70.833 (green).
* crack 6 evidence: us fulfilment 1.0, partner 0.5 (latest period 2026-Q2) -> 50 (amber).
Health index = (47.694 + 75 + 33 + 51.389 + 70.833 + 50) / 6 = 54.653 (amber).
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pandas as pd
import pytest
from frame_helpers import tf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alliance_kit.assess import blend, encoding, health, risk, scoring, survey_scores
from alliance_kit.assess.scoring import ScoringConfig

P, PREV = "2026-Q3", "2026-Q2"
#: The hand-computed partner side has 2 respondents: shown with a threshold of 2.
OPEN = ScoringConfig(min_respondents=2)
#: Tests of the arithmetic on one respondent a side (the default withholds them).
ONE = ScoringConfig(min_respondents=1)
r1 = scoring.rounded


def alliance(aid: str, **kw) -> dict:
    row = dict(
        id=aid, name=f"Alliance {aid}", partner="Partner", type="co-sell",
        stage="5 working together", start_date="2024-01-01", owner="Owner",
        our_sponsor="S1", our_sponsor_level="vp", partner_sponsor="S2",
        partner_sponsor_level="director", expected_revenue=1_000_000.0, currency="USD",
        importance=3,
    )  # fmt: skip
    row.update(kw)
    return row


def answers_for(rid: str, crack: int, scores: list[int | None]) -> list[dict]:
    return [
        {"respondent_id": rid, "statement_id": f"C{crack}.{n}", "score": s}
        for n, s in enumerate(scores, start=1)
    ]


def base_frames() -> dict[str, pd.DataFrame]:
    """Alliance A1 as described in the module docstring."""
    people = [
        dict(id="PU1", alliance_id="A1", side="us", name="U exec", org_level="vp"),
        dict(id="PP1", alliance_id="A1", side="partner", name="P exec", org_level="svp"),
        dict(id="PP2", alliance_id="A1", side="partner", name="P dir", org_level="director"),
    ]
    meetings = [
        dict(id="M1", body_id="B1", planned_on="2025-11-15", held_on="2025-11-15", status="held"),
        dict(id="M2", body_id="B1", planned_on="2026-02-15", held_on="2026-02-15", status="held"),
        dict(id="M3", body_id="B1", planned_on="2026-05-15", status="cancelled"),
        dict(id="M4", body_id="B1", planned_on="2026-08-15", held_on="2026-08-16", status="held"),
    ]
    attendance = [
        dict(meeting_id="M1", person_id="PU1", attended=True),
        dict(meeting_id="M1", person_id="PP1", attended=True),
        dict(meeting_id="M2", person_id="PU1", attended=True),
        dict(meeting_id="M2", person_id="PP2", attended=True),
        dict(meeting_id="M2", person_id="PP1", attended=False),
        dict(meeting_id="M4", person_id="PU1", attended=True),
    ]
    issues = [
        dict(id="I1", raised_on="2026-01-10", escalated_on="2026-02-01", resolved_on="2026-03-01"),
        dict(id="I2", raised_on="2026-04-01", escalated_on="2026-05-01"),
        dict(id="I3", raised_on="2026-06-01"),
        dict(id="I4", raised_on="2025-01-01", escalated_on="2025-02-01", resolved_on="2025-03-01"),
    ]
    issues = [
        dict(i, alliance_id="A1", title="t", owner="o", side="us", severity="medium")
        for i in issues
    ]
    decisions = [
        dict(id="D1", raised_on="2026-03-01", decided_on="2026-03-31"),
        dict(id="D2", raised_on="2026-06-01", decided_on="2026-07-01"),
        dict(id="D3", raised_on="2026-09-01"),
        dict(id="D4", raised_on="2025-05-01", decided_on="2025-06-01"),
    ]
    decisions = [dict(d, alliance_id="A1", title="t") for d in decisions]
    actions = [
        dict(id="X1", due_on="2026-03-01", status="done", closed_on="2026-02-20"),
        dict(id="X2", due_on="2026-06-01", status="done", closed_on="2026-07-15"),
        dict(id="X3", due_on="2026-08-01", status="open"),
        dict(id="X4", due_on="2026-12-01", status="open"),
        dict(id="X5", due_on="2026-05-01", status="cancelled"),
    ]
    actions = [
        dict(a, alliance_id="A1", kind="meeting action", title="t", owner="o", owner_side="us",
             opened_on="2025-10-01")
        for a in actions
    ]  # fmt: skip
    kpi_full = dict(owner="o", baseline=1.0, target=2.0, due_date="2026-12-31",
                    cadence="quarterly", data_source="CRM", agreed_by_both=True)  # fmt: skip
    kpis = [
        dict(id="K1", alliance_id="A1", name="k1", direction="increase", **kpi_full),
        dict(id="K2", alliance_id="A1", name="k2", direction="increase", owner="o", target=5.0),
    ]
    actuals = [
        dict(kpi_id="K1", period="2025-Q4", value=1, reported_on="2026-01-20"),
        dict(kpi_id="K1", period="2026-Q1", value=1, reported_on="2026-05-15"),
        dict(kpi_id="K1", period="2026-Q2", value=1),
        dict(kpi_id="K2", period="2026-Q3", value=1, reported_on="2026-10-05"),
    ]
    res = dict(alliance_id="A1", fte_committed=2.0, budget_committed=100.0)
    resources = [
        dict(res, id="R1", side="us", period="2026-Q3", fte_assigned=2.0, budget_assigned=100.0),
        dict(res, id="R2", side="partner", period="2026-Q2", fte_assigned=1.0,
             budget_assigned=50.0),
        dict(res, id="R3", side="partner", period="2026-Q4", fte_assigned=2.0,
             budget_assigned=100.0),
    ]  # fmt: skip
    resp = [
        dict(id=r, round_id="RD1", side=side)
        for r, side in [("u1", "us"), ("u2", "us"), ("u3", "us"), ("p1", "partner"),
                        ("p2", "partner")]
    ]  # fmt: skip
    answers = (
        answers_for("u1", 1, [5, 4, None, 3])
        + answers_for("u2", 1, [4, 4, 4, 4])
        + answers_for("u3", 1, [3, 3, 3, None])
        + answers_for("p1", 1, [2, 2, 2, 2])
        + answers_for("p2", 1, [3, None, None, None])
    )
    return {
        "alliances": tf("alliances", [alliance("A1")]),
        "people": tf("people", people),
        "strategies": tf("strategies", [dict(alliance_id="A1", vision="v",
                                               documented_on="2026-01-10",
                                               approved_us_on="2026-02-01")]),
        "briefings": tf("briefings", [
            dict(id="BR1", alliance_id="A1", topic="strategy", side="us", audience="team",
                 briefed_on="2026-03-01", acknowledged=True),
            dict(id="BR2", alliance_id="A1", topic="strategy", side="partner", audience="team",
                 briefed_on="2026-03-01", acknowledged=False),
            dict(id="BR3", alliance_id="A1", topic="kpis", side="partner", audience="team",
                 briefed_on="2026-03-01", acknowledged=True),
        ]),
        "kpis": tf("kpis", kpis),
        "kpi_actuals": tf("kpi_actuals", actuals),
        "governance_bodies": tf("governance_bodies", [
            dict(id="B1", alliance_id="A1", name="ESC", kind="executive steering committee",
                 meetings_per_year=4)]),
        "meetings": tf("meetings", meetings),
        "attendance": tf("attendance", attendance),
        "decisions": tf("decisions", decisions),
        "actions": tf("actions", actions),
        "resources": tf("resources", resources),
        "issues": tf("issues", issues),
        "assessment_rounds": tf("assessment_rounds", [
            dict(id="RD1", alliance_id="A1", period=P, questionnaire_version="2026.1",
                 opened_on="2026-09-01")]),
        "respondents": tf("respondents", resp),
        "answers": tf("answers", answers),
    }  # fmt: skip


def crack_row(scores: health.PortfolioScores, aid: str, crack: int) -> pd.Series:
    c = scores.cracks
    return c[(c["alliance_id"] == aid) & (c["crack"] == crack)].iloc[0]


@pytest.fixture(scope="module")
def scored() -> health.PortfolioScores:
    return health.score_portfolio(base_frames(), P, OPEN)


# --- scale and survey aggregates ----------------------------------------------------


def test_scale_maps_1_to_5_onto_0_to_100():
    assert list(scoring.to_points(np.array([1, 2, 3, 4, 5]))) == [0, 25, 50, 75, 100]


def test_side_means_counts_dont_know_and_confidence(scored):
    bs = scored.by_side.set_index(["side", "crack"])
    us, partner = bs.loc[("us", 1)], bs.loc[("partner", 1)]
    assert us["mean"] == pytest.approx(200 / 3)
    assert (us["respondents"], us["answers"], us["dont_know"]) == (3, 12, 2)
    assert us["dont_know_rate"] == pytest.approx(2 / 12)
    # t(0.95, 2) = 2.919986; sd of (75, 75, 50) = 14.4338; se = 8.3333
    assert us["ci_low"] == pytest.approx(66.6667 - 24.3332, abs=1e-3)
    assert us["ci_high"] == pytest.approx(66.6667 + 24.3332, abs=1e-3)
    assert not us["low_confidence"]
    assert partner["mean"] == pytest.approx(37.5)
    assert partner["respondents"] == 2 and partner["low_confidence"]
    assert partner["dont_know_rate"] == pytest.approx(3 / 8)
    # t(0.95, 1) x 12.5 = 78.9 -> clipped to the scale
    assert (partner["ci_low"], partner["ci_high"]) == (0.0, 100.0)


def test_dont_know_is_left_out_of_the_mean():
    f = base_frames()
    f["answers"] = tf("answers", answers_for("u1", 1, [5, None, None, None]))
    bs = survey_scores.survey_by_side(f, P, ONE)
    assert bs["mean"].tolist() == [100.0]
    assert bs["dont_know_rate"].tolist() == [0.75]


def test_survey_score_gap_reading_and_flag(scored):
    r = crack_row(scored, "A1", 1)
    assert (r["survey_us"], r["survey_partner"]) == (66.7, 37.5)  # rounded once
    assert r["survey"] == 52.1  # (66.7 + 37.5) / 2 = 52.1
    assert r["gap"] == 29.2 and r["survey_basis"] == "mean of both sides"
    assert r["gap_flag"] and r["reading"] == "blind spot"
    assert r["dont_know_rate"] == pytest.approx(5 / 20)
    assert r["low_confidence"]  # the partner side has 2 respondents


def test_public_frames_hold_no_respondent_rows(scored):
    for frame in (scored.cracks, scored.alliances, scored.alerts, scored.by_side):
        assert "respondent_id" not in frame.columns
    assert scored.by_side["respondents"].min() >= 1
    ex = health.explain(base_frames(), "A1", 1, P, OPEN)
    hidden = ex.statements[ex.statements["respondents"] < 2]
    assert len(hidden) == 3 and hidden["mean"].isna().all() and hidden["suppressed"].all()


# --- evidence, blend, status ----------------------------------------------------------

EXPECTED_INDICATORS = {
    "sponsor_level": 40.0,
    "executive_attendance": 100 / 3,
    "escalations_resolved": 50.0,
    "strategy_documented": 100.0,
    "strategy_approved": 50.0,
    "strategy_communicated": 75.0,
    "issue_age": 19.0,
    "escalation_share": 0.0,
    "decision_latency": 80.0,
    "kpi_completeness": 200 / 3,
    "kpi_agreed": 50.0,
    "actuals_on_time": 37.5,
    "meetings_held": 75.0,
    "action_closure": 200 / 3,
    "resources_assigned": 50.0,
}


def test_each_evidence_indicator(scored):
    got = scored.evidence.set_index("indicator")["score"].to_dict()
    assert got == {k: r1(v) for k, v in EXPECTED_INDICATORS.items()}
    raw = scored.evidence.set_index("indicator")["raw"]
    assert raw["issue_age"] == 151.5 and raw["decision_latency"] == 30.0


#: Each from the rounded figures before it: survey 52.1, evidence (40 + 33.3 + 50) / 3
#: = 41.1 -> 0.6 x 52.1 + 0.4 x 41.1 = 47.7; (66.7 + 50 + 37.5) / 3 = 51.4;
#: (75 + 66.7) / 2 = 70.85 -> 70.9 (halves away from zero, as by hand).
EXPECTED_SCORES = {1: 47.7, 2: 75.0, 3: 33.0, 4: 51.4, 5: 70.9, 6: 50.0}


def test_crack_scores_status_and_health_index(scored):
    c = scored.cracks.set_index("crack")
    assert c["score"].to_dict() == EXPECTED_SCORES
    assert c["status"].to_dict() == {
        1: "red", 2: "green", 3: "red", 4: "amber", 5: "green", 6: "amber"
    }  # fmt: skip
    a = scored.alliances.iloc[0]
    assert a["health_index"] == 54.7  # 328.0 / 6 = 54.67
    assert a["status"] == "amber" and a["open_cracks"] == "1, 3, 4, 6"
    assert a["red_cracks"] == "1, 3"
    assert c.loc[1, "remedies"] == "business case, governance" and c.loc[2, "remedies"] == ""


def test_blend_weights_are_configurable():
    cfg = ScoringConfig(survey_weight=0.5, evidence_weight=0.5)
    s = health.score_portfolio(base_frames(), P, dataclasses.replace(cfg, min_respondents=2))
    assert crack_row(s, "A1", 1)["score"] == 46.6  # 0.5 x 52.1 + 0.5 x 41.1


def test_survey_alone_when_evidence_is_missing():
    f = base_frames()
    f["resources"] = tf("resources", [])  # crack 6 has no evidence now
    f["answers"] = pd.concat(
        [f["answers"], tf("answers", answers_for("u1", 6, [4, 4, 4, 4]))], ignore_index=True
    )
    r = crack_row(health.score_portfolio(f, P, ONE), "A1", 6)
    assert np.isnan(r["evidence"]) and r["score"] == 75.0 and r["survey_weight"] == 1.0


def test_indicator_weights_are_configurable():
    cfg = ScoringConfig(indicator_weights={"meetings_held": 3.0})
    s = health.score_portfolio(base_frames(), P, cfg)
    assert crack_row(s, "A1", 5)["evidence"] == 72.9  # (3 x 75 + 66.7) / 4 = 72.925


def test_status_thresholds():
    s = pd.Series([70.0, 69.4, 50.0, 49.4, np.nan])
    na = scoring.NOT_ASSESSED
    assert scoring.status(s).tolist() == ["green", "amber", "amber", "red", na]
    assert scoring.status(s, ScoringConfig(green=80, amber=60)).tolist() == [
        "amber", "amber", "red", "red", na
    ]  # fmt: skip


def test_status_is_that_of_the_figure_shown():
    """The issue's cases: 49.8 is red (< 50), 69.9 is amber (< 70); a figure printed
    70.0 is green, one printed 49.9 red."""
    s = pd.Series([69.96, 69.95, 69.94, 69.9, 49.95, 49.94, 49.8])
    assert [scoring.score_text(v) for v in s] == [
        "70.0", "70.0", "69.9", "69.9", "50.0", "49.9", "49.8"
    ]  # fmt: skip
    assert scoring.status(s).tolist() == [
        "green", "green", "amber", "amber", "amber", "red", "red"
    ]  # fmt: skip


def knock_out_cracks(scores: list[float]) -> pd.DataFrame:
    c = pd.DataFrame({"alliance_id": "A", "crack": list(range(1, 7)), "score": scores})
    c["status"] = scoring.status(c["score"])
    c["survey"] = c["score"]
    c["survey_basis"] = "mean of both sides"
    c["survey_withheld"] = None
    return c


def test_one_red_crack_caps_the_alliance_at_amber():
    c = knock_out_cracks([90, 90, 90, 90, 90, 40])
    idx = blend.alliance_index(c, ScoringConfig()).iloc[0]
    assert idx["health_index"] == 81.7  # 490 / 6 = 81.67
    assert idx["index_status"] == "green" and idx["status"] == "amber" and idx["knocked_out"]
    off = blend.alliance_index(c, ScoringConfig(knock_out=False)).iloc[0]
    assert off["status"] == "green"
    clean = blend.alliance_index(knock_out_cracks([90] * 5 + [60]), ScoringConfig()).iloc[0]
    assert clean["status"] == "green" and not clean["knocked_out"]


def test_crack_weights_make_a_weighted_index():
    c = knock_out_cracks([80, 80, 80, 80, 80, 20])
    cfg = ScoringConfig(crack_weights={1: 1, 2: 1, 3: 1, 4: 1, 5: 1, 6: 5})
    assert blend.alliance_index(c, cfg).iloc[0]["health_index"] == pytest.approx(500 / 10)


@pytest.mark.parametrize(
    ("us", "partner", "reading"),
    [
        (80, 70, "agreed strength"),
        (40, 55, "agreed weakness"),
        (75, 40, "blind spot"),
        (45, 80, "undervalued"),
        (60, 59.99, "blind spot"),
    ],
)
def test_four_way_reading(us, partner, reading):
    got = blend.reading(pd.Series([float(us)]), pd.Series([float(partner)]), 60.0)
    assert got.iloc[0] == reading


def two_sided(us: list[int | None], partner: list[int | None], crack: int = 1):
    f = base_frames()
    f["answers"] = tf("answers", answers_for("u1", crack, us) + answers_for("p1", crack, partner))
    return crack_row(health.score_portfolio(f, P, ONE), "A1", crack)


def test_gap_of_25_points_is_flagged_and_24_is_not():
    assert two_sided([4, 4, 4, 4], [3, 3, 3, 3])["gap_flag"]  # 75 - 50 = 25
    r = two_sided([4, 4, 4, 4], [3, 3, 3, 4])  # partner 56.25 shown 56.3
    assert r["gap"] == 18.7 and not r["gap_flag"]  # 75.0 - 56.3


def test_a_gap_printed_25_is_flagged():
    """66.67 - 41.67 is 24.999999999999993 in floating point: it printed 25.0 and was
    not flagged. Now the gap is 66.7 - 41.7 = 25.0 and is flagged."""
    r = two_sided([4, 4, 3, None], [3, 3, 2, None])
    assert (r["survey_us"], r["survey_partner"], r["gap"]) == (66.7, 41.7, 25.0)
    assert r["gap_flag"] and scoring.score_text(r["gap"]) == "25.0"


# --- trend and alerts ----------------------------------------------------------------


def alert_frames() -> dict[str, pd.DataFrame]:
    """A1 surveyed in 2026-Q2 and 2026-Q3; scored on the survey alone (evidence weight 0).

    crack 1: 100 -> 75 (drop 25); crack 2: 75 -> 25 (drop, newly red);
    crack 3: gap 0 -> 25 (widening); crack 4: 3 of 8 don't know (high, crack 4);
    crack 5: 3 of 8 don't know (medium); response rate 2/2 -> 2/3.
    """
    f = base_frames()
    f["assessment_rounds"] = tf("assessment_rounds", [
        dict(id="RQ2", alliance_id="A1", period=PREV, questionnaire_version="2026.1",
             opened_on="2026-06-01"),
        dict(id="RQ3", alliance_id="A1", period=P, questionnaire_version="2026.1",
             opened_on="2026-09-01"),
    ])  # fmt: skip
    f["respondents"] = tf("respondents", [
        dict(id="a", round_id="RQ2", side="us"), dict(id="b", round_id="RQ2", side="partner"),
        dict(id="c", round_id="RQ3", side="us"), dict(id="d", round_id="RQ3", side="partner"),
        dict(id="e", round_id="RQ3", side="us"),
    ])  # fmt: skip
    four = [4, 4, 4, 4]
    q2 = {1: ([5] * 4, [5] * 4), 2: (four, four), 3: (four, four), 4: (four, four),
          5: (four, four), 6: (four, four)}  # fmt: skip
    dk = [None, None, None, 4]
    q3 = {1: (four, four), 2: ([2] * 4, [2] * 4), 3: ([5] * 4, four), 4: (dk, four),
          5: (dk, four), 6: (four, four)}  # fmt: skip
    rows = []
    for (u, p), answers in (("a", "b"), q2), (("c", "d"), q3):
        for crack, (us, partner) in answers.items():
            rows += answers_for(u, crack, us) + answers_for(p, crack, partner)
    f["answers"] = tf("answers", rows)
    return f


SURVEY_ONLY = ScoringConfig(survey_weight=1.0, evidence_weight=0.0, min_respondents=1)


def test_trend_against_previous_period():
    c = health.score_portfolio(alert_frames(), P, SURVEY_ONLY).cracks.set_index("crack")
    assert c.loc[1, "prev_score"] == 100.0 and c.loc[1, "change"] == -25.0
    assert c.loc[3, "prev_gap"] == 0.0 and c.loc[3, "gap"] == 25.0


def test_each_alert_kind():
    s = health.score_portfolio(alert_frames(), P, SURVEY_ONLY)
    got = {(r.crack if pd.notna(r.crack) else None, r.kind, r.severity)
           for r in s.alerts.itertuples()}  # fmt: skip
    assert got == {
        (1, "drop", "medium"),
        (2, "drop", "medium"),
        (2, "newly red", "high"),
        (3, "gap widening", "medium"),
        (4, "dont know", "high"),
        (5, "dont know", "medium"),
        (None, "response falling", "low"),
    }
    msgs = s.alerts.set_index("kind")["message"]
    assert msgs["newly red"] == "crack 2 Strategy turned red at 25.0 (was green at 75.0)"
    assert msgs["response falling"] == "response rate fell from 100% to 67%"
    assert (s.alerts["alliance_id"] == "A1").all()
    assert s.alliances.iloc[0]["alerts"] == 7


def test_no_alert_below_the_thresholds():
    cfg = dataclasses.replace(
        SURVEY_ONLY, drop_alert=60, gap_widening=30, response_drop=0.5, dont_know_warn=0.5
    )
    s = health.score_portfolio(alert_frames(), P, cfg)
    assert s.alerts["kind"].tolist() == ["newly red"]


# --- risk, remedies, explanation ------------------------------------------------------


def test_failure_probability_and_revenue_at_risk(scored):
    """The model gives the chance over the alliance's life; spread over 5 years at a
    constant hazard it is the 12-month chance that revenue at risk per year uses."""
    a = scored.alliances.iloc[0]
    life = risk.failure_probability(54.7)
    year = 1 - (1 - life) ** (1 / 5)
    assert a["lifetime_failure_probability"] == pytest.approx(life)
    assert a["failure_probability"] == pytest.approx(year)
    assert a["revenue_at_risk"] == pytest.approx(1_000_000 * year)
    assert a["failure_probability_low"] < a["failure_probability"] < a["failure_probability_high"]
    assert a["revenue_at_risk_low"] < a["revenue_at_risk"] < a["revenue_at_risk_high"]
    assert scored.portfolio.iloc[0]["revenue_at_risk"] == pytest.approx(1_000_000 * year)
    assert scored.model == risk.DEFAULT


def test_remedies_name_elements_and_actions(scored):
    r = health.remedies(scored, "A1")
    assert r["crack"].tolist() == [3, 1, 6, 4]  # worst first
    first = r.set_index("crack").loc[1]
    assert first["elements"] == "business case, governance"
    assert first["principles"] == "Imagine, Align"
    assert first["actions"][0].startswith("Name an executive sponsor")
    assert r.set_index("crack").loc[4, "elements"] == "goals & KPIs, reporting"


def test_explain_returns_what_made_the_score(scored):
    ex = health.explain(base_frames(), "A1", 1, P, OPEN)
    assert ex.score == crack_row(scored, "A1", 1)["score"]
    assert (ex.survey_weight, ex.evidence_weight) == (0.6, 0.4)
    assert ex.survey == 52.1
    assert ex.evidence == 41.1
    assert ex.indicators["indicator"].tolist() == [
        "sponsor_level", "executive_attendance", "escalations_resolved"
    ]  # fmt: skip
    assert ex.indicators.set_index("indicator").loc["sponsor_level", "detail"] == (
        "us: vp, partner: director"
    )
    st = ex.statements.set_index(["statement_id", "side"])
    assert st.loc[("C1.1", "us"), "mean"] == 75.0  # (100 + 75 + 50) / 3
    assert st.loc[("C1.1", "partner"), "mean"] == pytest.approx(37.5)
    assert st.loc[("C1.3", "us"), "dont_know_rate"] == pytest.approx(1 / 3)
    assert ex.status == "red" and ex.remedies == ["business case", "governance"]
    text = ex.to_text()
    assert "score 47.7 (red)" in text and "blind spot" in text


def test_explain_rejects_unknown_alliance_or_crack():
    with pytest.raises(ValueError, match="no alliance"):
        health.explain(base_frames(), "A9", 1, P)
    with pytest.raises(ValueError, match="crack must be"):
        health.explain(base_frames(), "A1", 7, P)


# --- questionnaire versions ---------------------------------------------------------


def test_older_version_maps_its_own_statements():
    f = base_frames()
    f["assessment_rounds"] = f["assessment_rounds"].assign(questionnaire_version="2025.1")
    f["answers"] = tf("answers", answers_for("u1", 2, [4, 4, 4, 1]))  # C2.4 not in 2025.1
    bs = survey_scores.survey_by_side(f, P, ONE)
    assert bs["mean"].tolist() == [75.0] and bs["answers"].tolist() == [3]


def test_unknown_questionnaire_version_is_a_clear_error():
    f = base_frames()
    f["assessment_rounds"] = f["assessment_rounds"].assign(questionnaire_version="1999.9")
    with pytest.raises(ValueError, match="1999.9"):
        health.score_portfolio(f, P)


def test_alliances_not_running_in_the_period_are_left_out():
    f = base_frames()
    f["alliances"] = tf("alliances", [alliance("A1"), alliance("A2", start_date="2027-01-01"),
                                      alliance("A3", end_date="2026-06-30")])  # fmt: skip
    s = health.score_portfolio(f, P)
    assert s.alliances["alliance_id"].tolist() == ["A1"]


def test_history_gives_index_and_cracks_per_period():
    h = health.history(alert_frames(), [PREV, P], SURVEY_ONLY)
    assert len(h) == 2 * 7
    idx = h[(h["crack"] == 0) & (h["period"] == PREV)]["score"].iloc[0]
    assert idx == 79.2  # (100 + 75 x 5) / 6 = 79.17


# --- refit from outcomes ------------------------------------------------------------


def test_model_refits_on_recorded_outcomes():
    """Four ended alliances, each surveyed in its last quarter; min_outcomes lowered."""
    f = base_frames()
    ends = {"E1": ("failed", 2), "E2": ("succeeded", 2), "E3": ("failed", 4),
            "E4": ("succeeded", 5)}  # fmt: skip
    f["alliances"] = tf(
        "alliances", [alliance("A1")] + [alliance(e, end_date="2026-01-15") for e in ends]
    )
    f["outcomes"] = tf("outcomes", [dict(alliance_id=e, outcome=o, ended_on="2026-01-15")
                                    for e, (o, _) in ends.items()])  # fmt: skip
    f["assessment_rounds"] = pd.concat([f["assessment_rounds"], tf("assessment_rounds", [
        dict(id=f"R{e}", alliance_id=e, period="2025-Q4", questionnaire_version="2026.1",
             opened_on="2025-11-01") for e in ends])], ignore_index=True)  # fmt: skip
    f["respondents"] = pd.concat(
        [
            f["respondents"],
            tf("respondents", [dict(id=f"r{e}", round_id=f"R{e}", side="us") for e in ends]),
        ],
        ignore_index=True,
    )
    f["answers"] = pd.concat([f["answers"], tf("answers", [
        a for e, (_, s) in ends.items() for c in range(1, 7)
        for a in answers_for(f"r{e}", c, [s] * 4)
    ])], ignore_index=True)  # fmt: skip
    cfg = ScoringConfig(min_outcomes=4, min_respondents=1)
    s = health.score_portfolio(f, P, cfg)
    assert s.model.source == "fitted" and s.model.n == 4 and s.model.failures == 2
    h = health.history(f, ["2025-Q4"], cfg)
    h = h[(h["crack"] == 0) & h["alliance_id"].isin(list(ends))].set_index("alliance_id")
    health_idx = h["score"].reindex(list(ends)).to_numpy()
    y = np.array([1.0, 0.0, 1.0, 0.0])
    fitted = risk.fit(health_idx, y)
    assert s.model.slope == pytest.approx(fitted.slope)
    assert s.model.brier == pytest.approx(risk.brier(fitted.probability(health_idx), y))
    default = health.score_portfolio(f, P, ONE)  # 4 < 20 outcomes: the default stays
    assert default.model.source == "default" and default.model.n == 4


# --- properties -----------------------------------------------------------------------

answer_value = st.one_of(st.none(), st.integers(1, 5))
respondent = st.tuples(st.sampled_from(["us", "partner"]), st.lists(answer_value, min_size=24,
                                                                    max_size=24))  # fmt: skip


def survey_frames(people: list[tuple[str, list]]) -> dict[str, pd.DataFrame]:
    f = base_frames()
    f["respondents"] = tf("respondents", [dict(id=f"r{i}", round_id="RD1", side=side)
                                          for i, (side, _) in enumerate(people)])  # fmt: skip
    rows = [
        {"respondent_id": f"r{i}", "statement_id": f"C{c}.{n}", "score": vals[(c - 1) * 4 + n - 1]}
        for i, (_, vals) in enumerate(people) for c in range(1, 7) for n in range(1, 5)
    ]  # fmt: skip
    f["answers"] = tf("answers", rows)
    return f


PROPS = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPS
@given(st.lists(respondent, min_size=1, max_size=8))
def test_scores_stay_between_0_and_100(people):
    s = health.score_portfolio(survey_frames(people), P)
    for col in ("survey_us", "survey_partner", "survey", "evidence", "score"):
        v = s.cracks[col].dropna()
        assert ((v >= 0) & (v <= 100)).all()
    hi = s.alliances["health_index"].dropna()
    assert ((hi >= 0) & (hi <= 100)).all()
    bs = s.by_side
    assert (bs["ci_low"].isna() | (bs["ci_low"] <= bs["mean"] + 1e-9)).all()
    shown = bs["withheld"].isna()
    assert (bs["ci_low"].isna() == ((bs["respondents"] < 2) | ~shown)).all()
    assert (bs.loc[~shown, "mean"].isna()).all() and (bs.loc[shown, "respondents"] >= 3).all()


@PROPS
@given(st.lists(respondent, min_size=2, max_size=8), st.randoms(use_true_random=False))
def test_reordering_respondents_changes_nothing(people, rnd):
    base = health.score_portfolio(survey_frames(people), P).cracks
    f = survey_frames(people)
    order = list(range(len(f["answers"])))
    rnd.shuffle(order)
    f["answers"] = f["answers"].iloc[order].reset_index(drop=True)
    f["respondents"] = f["respondents"].iloc[::-1].reset_index(drop=True)
    shuffled = health.score_portfolio(f, P).cracks
    pd.testing.assert_frame_equal(base, shuffled, check_exact=False, rtol=1e-9)


@PROPS
@given(st.lists(respondent, min_size=0, max_size=6), st.sampled_from(["us", "partner"]))
def test_adding_an_all_5_respondent_never_lowers_a_score(people, side):
    """Where the survey is read the same way before and after (both sides, or pooled):
    a side that crosses the anonymity threshold switches from the pooled mean to the
    mean of the sides, which weighs the sides equally and may move either way."""
    before = health.score_portfolio(survey_frames(people), P).cracks
    after = health.score_portfolio(survey_frames([*people, (side, [5] * 24)]), P).cracks
    same = (before["survey_basis"] == after["survey_basis"]).to_numpy()
    b = before["score"].to_numpy()[same]
    a = after["score"].to_numpy()[same]
    assert (a >= b - 1e-9).all()


# --- the sample portfolio -----------------------------------------------------------


def test_sample_failing_alliance_is_red_and_flagship_green():
    sample = pytest.importorskip("alliance_kit.records.sample")
    s = health.score_portfolio(sample.portfolio(last_period=P), P)
    a = s.alliances.set_index("alliance_id")
    assert a.loc["A011", "status"] == "red" and a.loc["A011", "red_cracks"] == "1, 2, 3, 4, 5, 6"
    assert a.loc["A011", "lifetime_failure_probability"] > 0.8
    assert 0.35 < a.loc["A011", "failure_probability"] < 0.5  # within 12 months
    assert a.loc["A001", "status"] == "green" and a.loc["A001", "open_cracks"] == ""
    # every crack the sample designs to be open is amber or red
    c = s.cracks.set_index(["alliance_id", "crack"])["status"]
    for aid, cracks in sample.PROFILES.items():
        if aid in a.index:
            for crack in cracks:
                assert c[(aid, crack)] in ("amber", "red"), (aid, crack)


def _by_key(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    return df.sort_values(keys, kind="stable").reset_index(drop=True)


def test_sample_scores_do_not_depend_on_row_order():
    """Shuffled tables (ids no longer sorted, so keys are hashed instead of merge-joined)
    give the same scores as the store's primary-key order."""
    sample = pytest.importorskip("alliance_kit.records.sample")
    f = sample.portfolio(last_period=P)
    rng = np.random.default_rng(3)
    shuffled = {k: v.iloc[rng.permutation(len(v))].reset_index(drop=True) for k, v in f.items()}
    a, b = health.score_portfolio(f, P), health.score_portfolio(shuffled, P)
    for name, keys in (("cracks", ["alliance_id", "crack"]), ("alliances", ["alliance_id"]),
                       ("evidence", ["alliance_id", "indicator"]),
                       ("by_side", ["alliance_id", "crack", "side"]),
                       ("alerts", ["alliance_id", "crack", "kind"])):  # fmt: skip
        pd.testing.assert_frame_equal(
            _by_key(getattr(a, name), keys), _by_key(getattr(b, name), keys), rtol=1e-9
        )


@pytest.mark.parametrize(
    ("ids", "keys"),
    [
        (["a", "b", "c"], ["a", "a", "c", "z"]),  # sorted: merge join
        (["a", "b", "c"], ["c", "a", None, "b"]),  # unsorted, a missing key: hashing
        (["b", "a"], ["a", "b"]),  # ids not sorted
        (["a", "b"], [None, None]),  # an unused optional key
        (["a", "b"], [None]),  # one row, its optional key empty (crashed the merge join)
        (["a", "b"], ["a", None]),
        (["a"], []),
        ([], ["a", None]),
    ],
)
def test_key_lookup_matches_hashing(ids, keys):
    got = encoding.lookup(pd.Index(ids, dtype=object), pd.Series(keys, dtype=object))
    want = pd.Index(ids, dtype=object).get_indexer(pd.Series(keys, dtype=object))
    assert got.tolist() == want.tolist()


_key = st.one_of(st.none(), st.sampled_from(["a", "b", "c", "d", "e"]))


@given(
    ids=st.lists(st.sampled_from(["a", "b", "c", "d"]), unique=True),
    keys=st.lists(_key, max_size=12),
    sort_ids=st.booleans(),
    sort_keys=st.booleans(),
)
def test_key_lookup_matches_hashing_for_any_keys(ids, keys, sort_ids, sort_keys):
    """Sorted or not, with or without empty optional keys: the lookup is a hash lookup."""
    if sort_ids:
        ids = sorted(ids)
    if sort_keys:  # the store's order: keys sorted, empty ones first or last
        keys = sorted(k for k in keys if k is not None) + [None] * keys.count(None)
    index = pd.Index(ids, dtype=object)
    got = encoding.lookup(index, pd.Series(keys, dtype=object))
    assert got.tolist() == index.get_indexer(pd.Series(keys, dtype=object)).tolist()


def _full(**frames: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Every table of the store, empty unless given (as ``Store.read_all`` returns)."""
    from alliance_kit.records.model import TABLES

    return {name: frames.get(name, tf(name, [])) for name in TABLES}


def test_a_decision_without_a_meeting_scores_and_explains():
    """The only decision's optional meeting left empty while a meeting exists: the
    sorted-key shortcut compared None with text and raised TypeError."""
    f = _full(
        alliances=tf("alliances", [alliance("A1")]),
        governance_bodies=tf("governance_bodies", [dict(id="B1", alliance_id="A1", name="ESC",
                             kind="executive steering committee", meetings_per_year=4)]),
        meetings=tf("meetings", [dict(id="M1", body_id="B1", planned_on="2026-08-15",
                                      status="planned")]),
        decisions=tf("decisions", [dict(id="D1", alliance_id="A1", title="t",
                                        raised_on="2026-08-01", decided_on="2026-08-31")]),
    )  # fmt: skip
    s = health.score_portfolio(f, P)
    ev = s.evidence.set_index("indicator")
    assert ev.loc["decision_latency", "score"] == pytest.approx(100 * (90 - 30) / 75)
    e = health.explain(f, "A1", 3, P)
    assert "1 decisions" in e.to_text()


def test_a_kpi_without_an_objective_scores_and_explains():
    f = _full(
        alliances=tf("alliances", [alliance("A1")]),
        objectives=tf("objectives", [dict(id="O1", alliance_id="A1", title="grow")]),
        kpis=tf("kpis", [dict(id="K1", alliance_id="A1", name="k", direction="increase",
                              owner="o", target=2.0)]),
    )  # fmt: skip
    s = health.score_portfolio(f, P)
    ev = s.evidence.set_index("indicator")
    assert ev.loc["kpi_completeness", "score"] == 33.3  # 2 of 6 SMART fields
    assert "1 KPIs" in health.explain(f, "A1", 4, P).to_text()


def test_a_quarter_in_progress_takes_its_evidence_from_the_last_closed_quarter():
    from alliance_kit.records import sample

    frames = sample.portfolio(n_alliances=6, seed=3, last_period="2026-Q4")
    mid = ScoringConfig(as_of=dt.date(2026, 11, 15))
    live = health.score_portfolio(frames, "2026-Q4", mid)
    closed = health.score_portfolio(frames, "2026-Q4")  # no as_of: read as a closed quarter
    q3 = health.score_portfolio(frames, "2026-Q3")
    cols = ["alliance_id", "crack", "indicator", "score"]

    def ev(s):
        return s.evidence[cols].sort_values(cols[:3]).reset_index(drop=True)

    # the records count through 2026-Q3: nothing due later in 2026-Q4 reads as missed
    pd.testing.assert_frame_equal(ev(live), ev(q3))
    assert not ev(live).equals(ev(closed))
    # the survey is still this quarter's
    assert live.by_side.equals(closed.by_side)
    assert health.evidence_period("2026-Q4", mid) == "2026-Q3"
    assert health.evidence_period("2026-Q4", ScoringConfig(as_of=dt.date(2027, 1, 1))) == "2026-Q4"
    assert health.evidence_period("2026-Q4", ScoringConfig()) == "2026-Q4"
