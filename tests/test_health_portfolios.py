"""Any valid portfolio scores, explains, reports and shows (issue 13): generated sparse
portfolios with any subset of record types, optional fields empty, single rows, one side
only, no surveys or no records at all. Every output figure is a number in its range, or
null with a reason."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd
from frame_helpers import tf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alliance_kit.assess import health
from alliance_kit.records.model import TABLES
from alliance_kit.views import dashboard, reporting

P = "2026-Q3"
DAYS = st.dates(dt.date(2025, 7, 1), dt.date(2026, 9, 30))
STATUSES = {"green", "amber", "red", "not assessed"}


def maybe(strategy):
    """An optional field: the value or empty."""
    return st.one_of(st.none(), strategy)


@st.composite
def portfolios(draw) -> dict[str, pd.DataFrame]:
    n = draw(st.integers(1, 3))
    ids = [f"A{i}" for i in range(1, n + 1)]
    f: dict[str, list[dict]] = {name: [] for name in TABLES}
    levels = maybe(st.sampled_from(["board", "vp", "director", "staff"]))
    for a in ids:
        f["alliances"].append(dict(
            id=a, name=f"n{a}", partner="p", type="co-sell", stage="5 working together",
            start_date="2024-01-01", owner="o", importance=draw(st.integers(1, 5)),
            expected_revenue=draw(st.floats(0, 1e8)),
            currency=draw(st.sampled_from(["USD", "EUR"])),
            our_sponsor=draw(maybe(st.just("S"))), our_sponsor_level=draw(levels),
            partner_sponsor=draw(maybe(st.just("T"))), partner_sponsor_level=draw(levels),
        ))  # fmt: skip
    kinds = draw(st.sets(st.sampled_from(
        ["people", "strategies", "briefings", "kpis", "governance", "decisions", "actions",
         "resources", "issues", "survey"])))  # fmt: skip
    rows = st.integers(0, 2)
    for a in ids:
        tag = a.lower()
        if "people" in kinds:
            for i in range(draw(rows)):
                side = draw(st.sampled_from(["us", "partner"]))
                level = draw(st.sampled_from(["vp", "manager"]))
                f["people"].append(
                    dict(id=f"{tag}p{i}", alliance_id=a, name="x", side=side, org_level=level)
                )
        if "strategies" in kinds and draw(st.booleans()):
            f["strategies"].append(dict(alliance_id=a, vision=draw(maybe(st.just("v"))),
                                        documented_on=draw(maybe(DAYS)),
                                        approved_us_on=draw(maybe(DAYS)),
                                        approved_partner_on=draw(maybe(DAYS))))  # fmt: skip
        if "briefings" in kinds:
            for i in range(draw(rows)):
                f["briefings"].append(dict(
                    id=f"{tag}b{i}", alliance_id=a, topic="strategy", audience="team",
                    side=draw(st.sampled_from(["us", "partner"])), briefed_on=draw(DAYS),
                    acknowledged=draw(st.booleans())))  # fmt: skip
        if "kpis" in kinds:
            if draw(st.booleans()):
                f["objectives"].append(dict(id=f"{tag}o", alliance_id=a, title="t"))
            for i in range(draw(rows)):
                f["kpis"].append(dict(
                    id=f"{tag}k{i}", alliance_id=a, name="k", direction="increase",
                    objective_id=None, owner=draw(maybe(st.just("o"))),
                    target=draw(maybe(st.just(2.0))), baseline=draw(maybe(st.just(1.0))),
                    cadence=draw(maybe(st.just("quarterly"))),
                    agreed_by_both=draw(st.booleans())))  # fmt: skip
                if draw(st.booleans()):
                    f["kpi_actuals"].append(dict(kpi_id=f"{tag}k{i}", period="2026-Q2", value=1.0,
                                                 reported_on=draw(maybe(DAYS))))  # fmt: skip
        if "governance" in kinds and draw(st.booleans()):
            f["governance_bodies"].append(dict(
                id=f"{tag}g", alliance_id=a, name="ESC", kind="executive steering committee",
                meetings_per_year=draw(st.integers(0, 4))))  # fmt: skip
            for i in range(draw(rows)):
                held = draw(st.booleans())
                day = draw(DAYS)
                f["meetings"].append(dict(id=f"{tag}m{i}", body_id=f"{tag}g", planned_on=day,
                                          held_on=day if held else None,
                                          status="held" if held else "planned"))  # fmt: skip
        if "decisions" in kinds:
            meetings = [m["id"] for m in f["meetings"] if m["id"].startswith(tag)]
            for i in range(draw(rows)):
                f["decisions"].append(dict(
                    id=f"{tag}d{i}", alliance_id=a, title="t", raised_on=draw(DAYS),
                    decided_on=draw(maybe(DAYS)),
                    meeting_id=draw(maybe(st.sampled_from(meetings))) if meetings else None,
                ))  # fmt: skip
        if "actions" in kinds:
            for i in range(draw(rows)):
                done = draw(st.booleans())
                f["actions"].append(dict(
                    id=f"{tag}x{i}", alliance_id=a, kind="meeting action", title="t", owner="o",
                    owner_side="us", opened_on="2025-06-01", due_on=draw(maybe(DAYS)),
                    status="done" if done else "open",
                    closed_on=draw(DAYS) if done else None))  # fmt: skip
        if "resources" in kinds:
            for i, side in enumerate(draw(st.sets(st.sampled_from(["us", "partner"])))):
                f["resources"].append(dict(
                    id=f"{tag}r{i}", alliance_id=a, side=side, period="2026-Q2",
                    fte_committed=draw(st.floats(0, 5)), fte_assigned=draw(st.floats(0, 5)),
                    budget_committed=draw(st.floats(0, 100)),
                    budget_assigned=draw(st.floats(0, 100))))  # fmt: skip
        if "issues" in kinds:
            for i in range(draw(rows)):
                f["issues"].append(dict(
                    id=f"{tag}i{i}", alliance_id=a, title="t", owner="o", side="us",
                    severity="high", raised_on=draw(DAYS), escalated_on=draw(maybe(DAYS)),
                    resolved_on=draw(maybe(DAYS))))  # fmt: skip
        if "survey" in kinds and draw(st.booleans()):
            for period in draw(st.sets(st.sampled_from([P, "2026-Q2"]), min_size=1)):
                rid = f"{tag}{period}"
                f["assessment_rounds"].append(dict(
                    id=rid, alliance_id=a, period=period, questionnaire_version="2026.1",
                    opened_on="2026-04-01" if period == "2026-Q2" else "2026-07-01"))  # fmt: skip
                for side in draw(st.sets(st.sampled_from(["us", "partner"]), min_size=1)):
                    for i in range(draw(st.integers(1, 4))):
                        who = f"{rid}{side}{i}"
                        f["respondents"].append(dict(id=who, round_id=rid, side=side))
                        cracks = draw(st.sets(st.integers(1, 6), min_size=1))
                        f["answers"] += [
                            dict(respondent_id=who, statement_id=f"C{c}.{s}",
                                 score=draw(maybe(st.integers(1, 5))))
                            for c in sorted(cracks) for s in range(1, 5)
                        ]  # fmt: skip
    return {name: tf(name, rows) for name, rows in f.items()}


def in_range(values: pd.Series, low: float, high: float) -> bool:
    v = values.dropna().astype(float)
    return bool(((v >= low - 1e-9) & (v <= high + 1e-9)).all())


def reasons(values: pd.Series, why: pd.Series) -> bool:
    """Every null value has a reason (a non-empty text)."""
    missing = values.isna().to_numpy()
    return all(isinstance(w, str) and w for w in why.to_numpy()[missing])


SLOW = [HealthCheck.too_slow, HealthCheck.data_too_large]
PORTFOLIOS = settings(max_examples=15, deadline=None, suppress_health_check=SLOW)


@PORTFOLIOS
@given(portfolios())
def test_any_valid_portfolio_scores_with_numbers_in_range_or_reasons(frames):
    s = health.score_portfolio(frames, P)
    a, c, ev, bs = s.alliances, s.cracks, s.evidence, s.by_side
    assert set(a["status"]) <= STATUSES and set(c["status"]) <= STATUSES
    assert in_range(a["health_index"], 0, 100) and reasons(a["health_index"], a["missing"])
    assessed = a["health_index"].notna()
    assert (a.loc[~assessed, "status"] == "not assessed").all()
    for col in ("failure_probability", "failure_probability_low", "failure_probability_high",
                "lifetime_failure_probability"):  # fmt: skip
        assert in_range(a[col], 0, 1) and (a[col].notna() == assessed).all(), col
    for col in ("revenue_at_risk", "revenue_at_risk_low", "revenue_at_risk_high"):
        assert (a[col].dropna() >= 0).all() and (a[col].notna() == assessed).all(), col
    for col in ("score", "survey", "survey_us", "survey_partner", "evidence"):
        assert in_range(c[col], 0, 100), col
    assert in_range(c["gap"], -100, 100) and in_range(c["dont_know_rate"], 0, 1)
    assert reasons(c["score"], c["missing"])
    assert in_range(ev["score"], 0, 100) and reasons(ev["score"], ev["missing"])
    # anonymity: a side figure is shown only from at least min_respondents people
    shown = bs["withheld"].isna()
    assert (bs.loc[shown, "respondents"] >= s.config.min_respondents).all()
    assert bs.loc[~shown, ["mean", "ci_low", "ci_high", "dont_know_rate"]].isna().all().all()
    assert not ({"_s1", "_dk"} & set(bs.columns))
    # each figure is rounded once to one decimal
    for col in ("score", "survey", "evidence", "gap"):
        v = c[col].dropna().to_numpy()
        assert np.allclose(v, np.round(v, 1), atol=1e-9), col
    p = s.portfolio
    assert int(p["alliances"].sum() + p["not_assessed"].sum()) == len(a)


@PORTFOLIOS
@given(portfolios())
def test_any_valid_portfolio_explains_reports_and_shows(frames):
    inputs = reporting.prepare(frames, P, dt.date(2026, 11, 1))
    s = inputs.scores
    table = dashboard.portfolio_table(frames["alliances"], s.alliances)
    assert len(table) == len(s.alliances)
    dashboard.revenue_by_currency(table)
    assert dashboard.status_counts(table)["alliances"].sum() == len(table)
    for aid in s.alliances["alliance_id"]:
        for crack in (1, 3, 6):
            text = health.explain(frames, aid, crack, P, s.config).to_text()
            assert not re.search(r"\bnan\b", text), text
        summary = reporting.executive_summary(inputs, aid)
        page = summary._repr_html_()
        row = s.alliances.set_index("alliance_id").loc[aid]
        if row["status"] == "not assessed":
            assert "NOT ASSESSED" in page and "Not assessed" in page
            assert summary.figures()["failure_probability"] is None
            assert "No remedial action needed" not in page  # no ranking without scores
        scored = int(s.cracks.loc[s.cracks["alliance_id"] == aid, "score"].notna().sum())
        if not scored:  # no number of open cracks from no scores
            assert summary.figures()["open_cracks"] is None and "No crack is scored" in page
        elif scored < 6:
            assert f"of {scored} scored" in page
        sides = reporting.cracks_by_side(inputs, aid)
        assert reasons(sides["score"], sides["note"])
        drill = dashboard.render_alliance(frames, s, table, aid, P)
        if row["status"] == "not assessed":
            assert "drill-missing" in drill and "ak-not-assessed" in drill
        assert not re.search(r"\bnan\b", drill.lower())
