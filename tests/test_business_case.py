"""Business case: flows, NPV/IRR/payback against numpy-financial and hand computations,
scenarios, tornado, Monte Carlo, value split, plan vs actual, validation, the document."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import numpy_financial as npf
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alliance_kit.imagine import business_case as bc
from alliance_kit.records.model import TABLES
from alliance_kit.records.store import typed_frame
from alliance_kit.views import charts, documents

# --- builders --------------------------------------------------------------------------


def case_frame(**kw) -> pd.DataFrame:
    row = {
        "alliance_id": "A001",
        "discount_rate": 0.10,
        "horizon_years": 5,
        "first_year": 2026,
        "assumptions": "Partner resells to its installed base",
    } | kw
    return typed_frame(TABLES["business_cases"], pd.DataFrame([row]))


def lines_frame(rows: list[tuple]) -> pd.DataFrame:
    """Rows of (side, year, category, amount[, kind[, assumption]])."""
    records = []
    for i, r in enumerate(rows, 1):
        side, year, category, amount, *rest = r
        records.append(
            {
                "id": f"L{i}",
                "alliance_id": "A001",
                "side": side,
                "year": year,
                "category": category,
                "item": f"{category} {year}",
                "amount": amount,
                "kind": rest[0] if rest else "plan",
                "assumption": rest[1] if len(rest) > 1 else None,
            }
        )
    return typed_frame(TABLES["business_case_lines"], pd.DataFrame(records))


def frames(rows: list[tuple], **case) -> dict[str, pd.DataFrame]:
    alliances = typed_frame(
        TABLES["alliances"],
        pd.DataFrame(
            [{"id": "A001", "name": "Cloud resale", "partner": "Acme", "currency": "EUR"}]
        ),
    )
    return {
        "alliances": alliances,
        "business_cases": case_frame(**case),
        "business_case_lines": lines_frame(rows),
    }


STANDARD = [
    ("us", 2026, "investment", 100),
    ("us", 2027, "revenue", 30),
    ("us", 2027, "cost", 5),
    ("us", 2028, "revenue", 40),
    ("us", 2029, "revenue", 50),
    ("us", 2030, "revenue", 50),
    ("partner", 2026, "investment", 50),
    ("partner", 2027, "revenue", 20),
    ("partner", 2028, "revenue", 40),
]


# --- cash flows ------------------------------------------------------------------------


def test_cash_flows_signs_zero_fill_and_kinds():
    f = frames([*STANDARD, ("us", 2027, "revenue", 25, "actual"), ("us", 2035, "revenue", 999)])
    flows = bc.cash_flows(f["business_case_lines"], f["business_cases"])
    assert len(flows) == 2 * 5  # two sides x five years, empty years filled
    us = flows[flows["side"] == "us"].set_index("year")
    assert us.loc[2026, "investment"] == -100 and us.loc[2026, "t"] == 0
    assert us.loc[2027, "revenue"] == 30  # the actual line is not in the plan
    assert us.loc[2027, "cost"] == -5
    assert us.loc[2027, "net"] == 25
    assert 2035 not in us.index and us["revenue"].sum() == 170  # outside the horizon
    partner = flows[flows["side"] == "partner"].set_index("year")
    assert partner.loc[2030, "net"] == 0
    actual = bc.cash_flows(f["business_case_lines"], f["business_cases"], kind="actual")
    assert actual["revenue"].sum() == 25


def test_alliance_flows_perspectives_add_up():
    fl = bc.alliance_flows(frames(STANDARD), "A001")
    assert list(fl["us"].net) == [-100, 25, 40, 50, 50]
    assert list(fl["partner"].net) == [-50, 20, 40, 0, 0]
    assert np.allclose(fl["joint"].net, fl["us"].net + fl["partner"].net)
    assert fl["us"].years == [2026, 2027, 2028, 2029, 2030]


# --- NPV and IRR against numpy-financial ------------------------------------------------

REFERENCE = [
    # Gitman, Principles of Managerial Finance (numpy-financial's docstring): IRR 28.095%
    ([-100, 39, 59, 55, 20], 0.28095),
    ([-100, 0, 0, 74], -0.0955),
    ([-100, 100, 0, 7], 0.06206),
    ([-1000, 300, 400, 500, 200], None),
    ([-250, -50, 120, 150, 150, 100], None),
    ([0, -100, 60, 60], None),  # investment in the second year
]


@pytest.mark.parametrize(("values", "known"), REFERENCE)
@pytest.mark.parametrize("rate", [0.0, 0.05, 0.1, 0.25])
def test_npv_and_irr_match_numpy_financial(values, known, rate):
    assert bc.npv(rate, values) == pytest.approx(npf.npv(rate, values), rel=1e-12, abs=1e-9)
    result = bc.irr(values)
    assert result.defined and result.sign_changes == 1 and result.reason == ""
    assert result.value == pytest.approx(npf.irr(values), abs=1e-9)
    assert bc.npv(result.value, values) == pytest.approx(0, abs=1e-6)
    if known is not None:
        assert round(result.value, 5) == pytest.approx(known, abs=1e-5)


def test_irr_multiple_sign_changes_reported():
    # Brealey, Myers & Allen's two-IRR project: -4,000 / +25,000 / -25,000 -> 25% and 400%.
    result = bc.irr([-4000, 25000, -25000])
    assert result.sign_changes == 2 and result.ambiguous
    assert result.rates == pytest.approx((0.25, 4.0))
    assert result.value == pytest.approx(0.25) == pytest.approx(npf.irr([-4000, 25000, -25000]))
    assert "2 rates make NPV zero" in result.reason and "25.0%" in result.reason
    many = bc.irr([-5, 10.5, 1, -8, 1])  # numpy-financial docstring: 0.0886
    assert many.sign_changes == 3 and many.value == pytest.approx(npf.irr([-5, 10.5, 1, -8, 1]))


def test_irr_undefined_cases_give_reasons_not_nan():
    negative = bc.irr([-100, -20, -5])
    assert negative.value is None and "negative" in negative.reason
    assert math.isnan(npf.irr([-100, -20, -5]))
    positive = bc.irr([0, 50, 50])
    assert positive.value is None and "no investment" in positive.reason
    empty = bc.irr([0, 0, 0])
    assert empty.value is None and "no cash flows" in empty.reason
    assert bc.irr([]).value is None
    assert "undefined" in str(negative)


# --- payback and risk-adjusted NPV -------------------------------------------------------


def test_payback_hand_computed():
    assert bc.payback([-100, 30, 40, 50]) == pytest.approx(2.6)  # 2 + 30/50
    # Late investment: the cumulative dips again, so payback counts from its last dip.
    # cumulative -100, -40, 20, -30, 10, 50 -> 3 + 30/40
    assert bc.payback([-100, 60, 60, -50, 40, 40]) == pytest.approx(3.75)
    assert bc.payback([-100, 10, 10]) is None
    assert bc.payback([10, 10]) == 0.0  # no investment: paid back at once
    assert bc.payback([0, 0]) is None


def test_discounted_payback_hand_computed():
    # discounted at 10%: -100, 54.545, 49.587; cumulative -100, -45.455, 4.132
    assert bc.discounted_payback(0.1, [-100, 60, 60]) == pytest.approx(
        1 + 45.4545 / 49.5868, rel=1e-4
    )
    assert bc.discounted_payback(0.1, [-100, 55, 55]) is None  # 95.45 < 100


def test_risk_adjusted_npv_hand_computed():
    surv = bc.survival_probability(0.2, 3)
    assert list(surv) == pytest.approx([1.0, 0.8, 0.64])
    # -100 + 60*0.8/1.1 + 60*0.64/1.21
    expected = -100 + 48 / 1.1 + 38.4 / 1.21
    assert bc.risk_adjusted_npv(0.1, [-100, 60, 60], surv) == pytest.approx(expected)
    assert bc.risk_adjusted_npv(0.1, [-100, 60, 60], 0.5) == pytest.approx(
        0.5 * bc.npv(0.1, [-100, 60, 60])
    )
    with pytest.raises(ValueError, match="between 0 and 1"):
        bc.risk_adjusted_npv(0.1, [-100, 60], 1.5)


def test_annual_failure_from_lifetime():
    p = bc.annual_failure_probability(0.5, 5)
    assert 1 - (1 - p) ** 5 == pytest.approx(0.5)
    assert pytest.approx(p) == bc.DEFAULT_ANNUAL_FAILURE


# --- scenarios and tornado ---------------------------------------------------------------


def simple_flows(rate=0.1) -> bc.Flows:
    return bc.Flows(
        revenue=[0, 100, 100], cost=[0, 10, 10], investment=[150, 0, 0], discount_rate=rate
    )


def test_scenario_multipliers_and_delay_hand_computed():
    f = simple_flows()
    s = bc.apply_scenario(f, bc.Scenario("x", revenue=1.1, cost=2.0))
    assert list(s.net) == pytest.approx([-150, 90, 90])
    late = bc.apply_scenario(f, bc.Scenario("late", delay=1))
    assert list(late.revenue) == [0, 0, 100]  # the last year's revenue falls off the horizon
    half = bc.apply_scenario(f, bc.Scenario("half", delay=0.5))
    assert list(half.revenue) == pytest.approx([0, 50, 100])
    early = bc.apply_scenario(f, bc.Scenario("early", delay=-1))
    assert list(early.revenue) == [100, 100, 100]
    grown = bc.apply_scenario(
        bc.Flows([0, 100, 200], [0, 0, 0], [50, 0, 0], 0.1), bc.Scenario("g", growth=1.5)
    )
    assert list(grown.revenue) == [0, 100, 250]  # growth after the first revenue year


def test_scenario_table():
    f = simple_flows()
    table = bc.scenario_table(f)
    assert list(table["scenario"]) == ["base", "upside", "downside"]
    base = table.set_index("scenario")
    assert base.loc["base", "npv"] == pytest.approx(-150 + 90 / 1.1 + 90 / 1.21)
    assert base.loc["upside", "npv"] > base.loc["base", "npv"] > base.loc["downside", "npv"]
    custom = bc.scenario_table(f, [bc.Scenario("double", revenue=2.0)])
    assert custom.loc[0, "npv"] == pytest.approx(-150 + 190 / 1.1 + 190 / 1.21)
    assert custom.loc[0, "irr"] == pytest.approx(npf.irr([-150, 190, 190]))


def test_tornado_sorted_by_swing():
    f = bc.Flows(
        revenue=[0, 100, 100, 100],
        cost=[0, 5, 5, 5],
        investment=[200, 0, 0, 0],
        discount_rate=0.1,
    )
    t = bc.tornado(f, 0.2)
    assert set(t["driver"]) == set(bc.TORNADO_DRIVERS)
    assert list(t["swing"]) == sorted(t["swing"], reverse=True)
    pv_rev = sum(100 / 1.1**k for k in (1, 2, 3))
    by = t.set_index("driver")
    assert by.loc["revenue", "swing"] == pytest.approx(0.4 * pv_rev)
    assert by.loc["investments", "swing"] == pytest.approx(0.4 * 200)
    assert by.loc["growth", "swing"] == pytest.approx(0)  # flat revenue: nothing to scale
    # delay: revenue [0, 0, 100, 100] against [100, 100, 100, 100]
    assert list(t["driver"][:3]) == ["ramp-up delay", "revenue", "investments"]
    assert (t["npv_low"] <= t["base_npv"] + 1e-9).all()
    assert (t["npv_high"] >= t["base_npv"] - 1e-9).all()
    assert by.loc["discount rate", "npv_down"] > by.loc["discount rate", "npv_up"]
    with pytest.raises(ValueError):
        bc.tornado(f, 0)


# --- Monte Carlo -------------------------------------------------------------------------


def test_monte_carlo_reproducible_under_seed():
    f = simple_flows()
    a = bc.monte_carlo(f, n=2000, seed=42)
    b = bc.monte_carlo(f, n=2000, seed=42)
    c = bc.monte_carlo(f, n=2000, seed=43)
    assert np.array_equal(a.npv, b.npv)
    pd.testing.assert_frame_equal(a.bands, b.bands)
    assert not np.array_equal(a.npv, c.npv)
    assert a.p5 <= a.p50 <= a.p95
    assert 0 <= a.p_positive <= 1
    assert a.n == 2000 and a.figures()["n"] == 2000
    assert (a.bands["p5"] <= a.bands["p50"]).all() and (a.bands["p50"] <= a.bands["p95"]).all()


def test_monte_carlo_near_zero_mean_gives_about_half():
    # NPV = -100 + 100 * m with m triangular around 1: mean NPV 0, P(NPV > 0) = 0.5.
    f = bc.Flows(revenue=[0, 110], cost=[0, 0], investment=[100, 0], discount_rate=0.1)
    u = bc.Uncertainty(
        revenue_dist="triangular",
        revenue_triangle=(0.5, 1.0, 1.5),
        cost_overrun=(1, 1, 1),
        delay_years=(0, 0, 0),
        discount_rate_sd=0.0,
        annual_failure_probability=0.0,
    )
    r = bc.monte_carlo(f, u, n=20_000, seed=1)
    assert r.p_positive == pytest.approx(0.5, abs=0.03)
    assert r.mean == pytest.approx(0, abs=1.0)


def test_monte_carlo_certain_equals_plan_and_failure_matches_risk_adjusted():
    f = bc.Flows.of([-100, 60, 60, 60], 0.1)
    certain = bc.monte_carlo(f, bc.CERTAIN, n=100, seed=0)
    assert np.allclose(certain.npv, bc.npv(0.1, f.net))
    assert list(certain.bands["p50"]) == pytest.approx(list(np.cumsum(f.net)))
    failing = replace(bc.CERTAIN, annual_failure_probability=0.2)
    r = bc.monte_carlo(f, failing, n=100_000, seed=3)
    expected = bc.risk_adjusted_npv(0.1, f.net, bc.survival_probability(0.2, 4))
    assert r.mean == pytest.approx(expected, abs=1.0)
    delayed = bc.monte_carlo(f, replace(bc.CERTAIN, delay_years=(1, 1, 1)), n=10, seed=0)
    late = bc.apply_scenario(f, bc.Scenario("late", delay=1))
    assert np.allclose(delayed.npv, bc.npv(0.1, late.net))


def test_monte_carlo_lognormal_revenue_has_mean_one():
    f = bc.Flows(revenue=[0, 100], cost=[0, 0], investment=[0, 0], discount_rate=0.0)
    u = replace(bc.CERTAIN, revenue_sigma=0.4)
    r = bc.monte_carlo(f, u, n=50_000, seed=5)
    assert r.mean == pytest.approx(100, rel=0.02)
    assert r.p50 < 100  # right-skewed


# --- value split -------------------------------------------------------------------------


def test_value_split_hand_computed():
    us = bc.Flows(revenue=[0, 180], cost=[0, 0], investment=[100, 0], discount_rate=0.0)
    partner = bc.Flows(revenue=[0, 120], cost=[0, 0], investment=[100, 0], discount_rate=0.0)
    split = bc.value_split(us, partner, standalone={"us": 30}).set_index("side")
    assert split.loc["us", "npv_own"] == 80 and split.loc["partner", "npv_own"] == 20
    assert split.loc["us", "value_share"] == pytest.approx(0.8)
    assert split.loc["us", "investment_share"] == pytest.approx(0.5)
    assert split.loc["us", "gap_points"] == pytest.approx(30)
    assert split.loc["us", "imbalanced"] and split.loc["partner", "imbalanced"]
    assert split.loc["us", "equal_split"] == 50
    # Shapley: surplus 100 - 30 - 0 = 70 split equally on top of stand-alone values
    assert split.loc["us", "shapley"] == pytest.approx(65)
    assert split.loc["partner", "shapley"] == pytest.approx(35)


def test_value_split_balanced_and_no_investment():
    us = bc.Flows(revenue=[0, 160], cost=[0, 0], investment=[100, 0], discount_rate=0.0)
    partner = bc.Flows(revenue=[0, 150], cost=[0, 0], investment=[100, 0], discount_rate=0.0)
    split = bc.value_split(us, partner)
    assert not split["imbalanced"].any()  # 54.5% vs 50%
    assert split["shapley"].tolist() == pytest.approx([55, 55])  # = equal split for 2
    free = bc.Flows(revenue=[10, 10], cost=[0, 0], investment=[0, 0], discount_rate=0.0)
    split = bc.value_split(free, free)
    assert split["investment_share"].isna().all() and not split["imbalanced"].any()


# --- plan against actual -----------------------------------------------------------------


def test_plan_vs_actual_hand_computed():
    lines = lines_frame(
        [
            ("us", 2026, "revenue", 100),
            ("us", 2026, "cost", 40),
            ("us", 2026, "revenue", 80, "actual"),
            ("us", 2026, "revenue", 10, "actual"),
            ("us", 2026, "cost", 30, "actual"),
            ("us", 2027, "revenue", 120),  # no actuals yet for 2027
            ("partner", 2026, "revenue", 50),  # partner has not reported
            ("us", 2026, "investment", 20, "actual"),  # unplanned
        ]
    )
    pva = bc.plan_vs_actual(lines, "A001").set_index(["year", "side", "category"])
    assert set(pva.index) == {
        (2026, "us", "revenue"),
        (2026, "us", "cost"),
        (2026, "us", "investment"),
    }
    rev = pva.loc[(2026, "us", "revenue")]
    assert (rev["plan"], rev["actual"], rev["variance"]) == (100, 90, -10)
    assert rev["variance_pct"] == pytest.approx(-0.1) and not rev["favourable"]
    cost = pva.loc[(2026, "us", "cost")]
    assert cost["variance"] == -10 and cost["variance_pct"] == pytest.approx(-0.25)
    assert cost["favourable"]
    inv = pva.loc[(2026, "us", "investment")]
    assert inv["plan"] == 0 and math.isnan(inv["variance_pct"]) and not inv["favourable"]
    assert bc.plan_vs_actual(lines_frame([("us", 2026, "revenue", 1)])).empty


# --- validation ----------------------------------------------------------------------------


def test_check_case_messages():
    ok = bc.check_case({"discount_rate": 0.1, "horizon_years": 5, "first_year": 2026})
    assert ok == {}
    bad = bc.check_case({"discount_rate": 3.0, "horizon_years": 0, "first_year": 2026})
    assert "300%" in bad["discount_rate"] and "0.10 for 10%" in bad["discount_rate"]
    assert "horizon of 0 years" in bad["horizon_years"] and "1 to 30" in bad["horizon_years"]
    neg = bc.check_case({"discount_rate": -0.05, "horizon_years": 2.5, "first_year": 1800})
    assert "-5%" in neg["discount_rate"]
    assert "whole number" in neg["horizon_years"]
    assert "calendar year" in neg["first_year"]
    missing = bc.check_case({"discount_rate": None, "horizon_years": None, "first_year": None})
    assert set(missing) == {"discount_rate", "horizon_years", "first_year"}
    assert (
        "not a number"
        in bc.check_case({"discount_rate": "ten", "horizon_years": 5, "first_year": 2026})[
            "discount_rate"
        ]
    )


def test_check_case_lines():
    lines = lines_frame(
        [("us", 2026, "revenue", -5), ("us", 2040, "cost", 10), ("them", 2027, "gift", 1)]
    )
    case = {"alliance_id": "A001", "discount_rate": 0.1, "horizon_years": 5, "first_year": 2026}
    problems = bc.check_case(case, lines)
    assert "negative" in problems["lines[L1].amount"]
    assert "positive" in problems["lines[L1].amount"]
    assert (
        "2040 is outside" in problems["lines[L2].year"]
        and "2026-2030" in problems["lines[L2].year"]
    )
    assert "lines[L3].side" in problems and "lines[L3].category" in problems
    assert bc.check_case(case | {"alliance_id": "A999"}, lines) == {}


def test_case_terms_refuses_nonsense():
    with pytest.raises(ValueError, match="no business case"):
        bc.case_terms(case_frame(), "A999")
    with pytest.raises(ValueError, match="300%"):
        bc.case_terms(case_frame(discount_rate=3.0), "A001")


# --- summary and edge cases -----------------------------------------------------------------


def test_summary_standard_case():
    s = bc.summary(frames(STANDARD), "A001", draws=2000, seed=7)
    us = [-100, 25, 40, 50, 50]
    assert s.npv == pytest.approx(npf.npv(0.1, us))
    assert s.npv_partner == pytest.approx(npf.npv(0.1, [-50, 20, 40, 0, 0]))
    assert s.npv_joint == pytest.approx(s.npv + s.npv_partner)
    assert s.irr.value == pytest.approx(npf.irr(us))
    assert s.payback_years == pytest.approx(2 + 35 / 50)
    assert s.risk_adjusted_npv < s.npv
    assert s.currency == "EUR" and s.alliance_name == "Cloud resale"
    assert s.investment_us == 100 and s.investment_partner == 50
    assert s.imbalanced  # 96% of the value for 67% of the investment
    h = s.headline()
    assert h["npv"] == round(s.npv, 2) and h["n"] == 2000
    assert s.warnings == [] and s.problems == {}
    assert len(s.flows) == 10 and len(s.scenarios) == 3 and len(s.tornado) == 6
    assert bc.summary(frames(STANDARD), "A001", draws=0).monte_carlo is None


def test_edge_case_no_investment():
    s = bc.summary(
        frames([("us", 2026, "revenue", 10), ("us", 2027, "revenue", 10)]), "A001", draws=100
    )
    assert s.payback_years == 0.0
    assert s.irr.value is None and "no investment" in s.irr.reason
    assert any("no investment" in w for w in s.warnings)


def test_edge_case_investment_covered_in_its_year():
    rows = [
        ("us", 2026, "investment", 10),
        ("us", 2026, "revenue", 50),
        ("us", 2027, "revenue", 20),
    ]
    s = bc.summary(frames(rows), "A001", draws=0)
    assert s.payback_years == 0.0 and s.irr.value is None
    assert any("no year has a net outflow" in w for w in s.warnings)


def test_edge_case_all_negative():
    s = bc.summary(
        frames([("us", 2026, "investment", 10), ("us", 2027, "cost", 10)]), "A001", draws=100
    )
    assert s.irr.value is None and "negative" in s.irr.reason
    assert s.payback_years is None and s.npv < 0
    assert any("never pays back" in w for w in s.warnings)
    assert documents.business_case_document(s, "md")  # renders, does not crash


def test_edge_case_empty_case():
    f = frames([])
    s = bc.summary(f, "A001", draws=100)
    assert s.npv == 0 and s.irr.value is None and s.payback_years is None
    assert any("no plan lines" in w for w in s.warnings)
    del f["business_case_lines"]
    assert bc.summary(f, "A001", draws=0).npv == 0
    assert "never within the horizon" in documents.business_case_document(s, "html")


def test_summary_reports_bad_lines_without_crashing():
    s = bc.summary(frames([*STANDARD, ("us", 2040, "revenue", 1000)]), "A001", draws=0)
    assert "lines[L10].year" in s.problems
    assert s.npv == pytest.approx(npf.npv(0.1, [-100, 25, 40, 50, 50]))  # 2040 left out
    assert any("left out" in w for w in s.warnings)


def test_incomplete_lines_are_left_out_and_reported():
    rows = [
        ("us", None, "revenue", 10),
        ("us", 2027, "cost", None),
        ("us", 2026, "investment", 5),
        ("us", 2026, "gift", 5),
        ("us", None, "revenue", 10, "actual"),
    ]
    s = bc.summary(frames(rows), "A001", draws=10)
    assert s.npv == -5
    assert set(s.problems) == {
        "lines[L1].year",
        "lines[L2].amount",
        "lines[L4].category",
        "lines[L5].year",
    }
    assert s.plan_vs_actual.empty


def test_portfolio_table_reports_a_bad_case_without_hiding_the_others():
    f = frames(STANDARD)
    bad = case_frame(alliance_id="A002", horizon_years=0)
    f["business_cases"] = pd.concat([f["business_cases"], bad], ignore_index=True)
    table = bc.portfolio_table(f, annual_failure={"A001": 0.0}).set_index("alliance_id")
    assert table.loc["A001", "npv"] == pytest.approx(npf.npv(0.1, [-100, 25, 40, 50, 50]))
    assert table.loc["A001", "risk_adjusted_npv"] == pytest.approx(table.loc["A001", "npv"])
    assert "horizon of 0 years" in table.loc["A002", "problem"]


# --- the document ---------------------------------------------------------------------------


def test_render_document_escapes_user_text():
    hostile = '<script>alert("x")</script> & <b>bold</b>'
    rows = [*STANDARD[:-1], ("partner", 2028, "revenue", 40, "plan", hostile)]
    f = frames(rows, assumptions=hostile)
    f["alliances"].loc[0, "name"] = "Acme <img src=x onerror=alert(1)> | cloud"
    s = bc.summary(f, "A001", draws=500)
    html = documents.business_case_document(s, "html")
    assert "<script>" not in html and "<img" not in html and "<b>bold" not in html
    assert "&lt;script&gt;" in html and "&amp; &lt;b&gt;bold" in html
    md = documents.business_case_document(s, "md")
    assert "<script>" not in md and "&lt;script&gt;" in md
    assert "Acme &lt;img src=x onerror=alert(1)&gt; \\| cloud" in md  # no broken table
    assert "| NPV |" in md and "P(NPV > 0)" in md
    with pytest.raises(ValueError):
        documents.business_case_document(s, "pdf")


def test_render_document_with_offline_charts():
    s = bc.summary(frames(STANDARD), "A001", draws=500)
    html = documents.business_case_document(s, "html", charts=True)
    assert html.count("<svg") == 2
    assert "cdn" not in html.lower() and "<script" not in html


def test_charts_build_from_tidy_frames():
    s = bc.summary(frames(STANDARD), "A001", draws=500)
    for chart in (
        charts.tornado_chart(s.tornado),
        charts.bands_chart(s.monte_carlo.bands),
        charts.cash_flow_chart(s.flows),
        charts.npv_histogram(s.monte_carlo),
    ):
        spec = chart.to_dict()
        assert "$schema" in spec


# --- properties ------------------------------------------------------------------------------


money = st.integers(0, 10**9).map(lambda cents: cents / 100)  # amounts to the cent
conventional = st.tuples(
    money.filter(lambda x: x > 0),
    st.lists(money, min_size=1, max_size=12).filter(lambda v: sum(v) > 0),
)


@settings(max_examples=80, deadline=None)
@given(conventional, st.floats(0, 0.9), st.floats(0.001, 0.5))
def test_npv_decreases_with_rate_for_conventional_investment(flows, rate, step):
    invest, inflows = flows
    values = [-invest, *inflows]
    assert bc.npv(rate + step, values) < bc.npv(rate, values)


@settings(max_examples=80, deadline=None)
@given(conventional)
def test_irr_of_conventional_investment_zeroes_npv_and_matches_npf(flows):
    invest, inflows = flows
    values = [-invest, *inflows]
    result = bc.irr(values)
    assert result.defined and result.sign_changes == 1 and len(result.rates) == 1
    discounted = np.asarray(values) / (1 + result.value) ** np.arange(len(values))
    assert abs(discounted.sum()) <= 1e-6 * np.abs(discounted).sum()
    reference = npf.irr(values)
    if not math.isnan(reference):
        assert result.value == pytest.approx(reference, rel=1e-6, abs=1e-9)


@pytest.mark.parametrize("alliance", ["A001", "A005", "A011"])
def test_summary_on_sample_portfolio(alliance):
    sample = pytest.importorskip("alliance_kit.records.sample")
    data = sample.portfolio(last_period="2026-Q3")
    if alliance not in set(data["business_cases"]["alliance_id"]):
        pytest.skip(f"the sample has no business case for {alliance}")
    s = bc.summary(data, alliance, draws=500)
    assert math.isfinite(s.npv) and s.problems == {}
    assert documents.business_case_document(s, "md")
