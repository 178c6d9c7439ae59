"""Failure model, refit, Brier score, revenue at risk and the seed's shortfall calculator."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alliance_kit.assess import risk


def test_default_model_matches_the_documented_assumptions():
    p = risk.failure_probability(np.array([30.0, 60.0, 85.0]))
    assert p[1] == pytest.approx(0.5)  # typical alliance: the field's ~50%
    assert p[2] == pytest.approx(1 / (1 + np.exp(1.55)))  # 0.1751
    assert p[0] == pytest.approx(1 / (1 + np.exp(-1.86)))  # 0.8653
    assert 0.15 <= p[2] <= 0.20 and 0.84 <= p[0] <= 0.88
    assert risk.DEFAULT.intercept == pytest.approx(3.72) and risk.DEFAULT.slope == -0.062


def test_probability_falls_as_health_rises_and_keeps_nan():
    p = risk.failure_probability(np.array([0.0, 50.0, 100.0, np.nan]))
    assert p[0] > p[1] > p[2] and np.isnan(p[3])


def test_brier_score_by_hand():
    assert risk.brier([0.2, 0.7], [0, 1]) == pytest.approx((0.04 + 0.09) / 2)


def test_fit_recovers_a_known_model():
    rng = np.random.default_rng(3)
    h = rng.uniform(10, 95, 20_000)
    y = rng.random(h.size) < 1 / (1 + np.exp(-(2.0 - 0.05 * h)))
    m = risk.fit(h, y)
    assert m.source == "fitted" and m.n == 20_000 and m.failures == int(y.sum())
    assert m.intercept == pytest.approx(2.0, abs=0.15)
    assert m.slope == pytest.approx(-0.05, abs=0.003)
    assert m.brier == pytest.approx(risk.brier(m.probability(h), y))


def test_fit_solves_the_likelihood_equations():
    h = np.array([20.0, 35.0, 50.0, 55.0, 70.0, 80.0, 90.0, 40.0])
    y = np.array([1, 1, 0, 1, 0, 1, 0, 0], dtype=float)
    m = risk.fit(h, y)
    p = m.probability(h)
    assert np.sum(y - p) == pytest.approx(0, abs=1e-6)  # d logL / d intercept
    assert np.sum((y - p) * h) == pytest.approx(0, abs=1e-4)  # d logL / d slope


def test_fit_needs_both_outcomes():
    with pytest.raises(ValueError, match="both kinds"):
        risk.fit([50.0, 60.0], [1, 1])


def test_calibrate_refits_only_with_enough_outcomes_of_both_kinds():
    h = np.linspace(20, 90, 20)
    outcome = np.where(np.arange(20) % 3 == 0, "succeeded", "failed")
    outcome[-5:] = "succeeded"
    fitted = risk.calibrate(h, outcome)
    assert fitted.source == "fitted" and fitted.n == 20
    few = risk.calibrate(h[:19], outcome[:19])
    assert few.source == "default" and few.n == 19
    y = (outcome[:19] == "failed").astype(float)
    assert few.brier == pytest.approx(risk.brier(risk.DEFAULT.probability(h[:19]), y))
    one_kind = risk.calibrate(h, np.array(["failed"] * 20))
    assert one_kind.source == "default"
    assert risk.calibrate([], []) == risk.DEFAULT
    # an exit is not a failure unless configured so
    exits = risk.calibrate(h, np.array(["exited"] * 10 + ["succeeded"] * 10))
    assert exits.source == "default" and exits.failures == 0


def test_revenue_at_risk_per_alliance_and_per_currency():
    a = pd.DataFrame(
        {
            "currency": ["USD", "USD", "EUR"],
            "expected_revenue": [100.0, 50.0, 80.0],
            "failure_probability": [0.5, 0.2, 0.25],
        }
    )
    a["revenue_at_risk"] = risk.revenue_at_risk(a["expected_revenue"], a["failure_probability"])
    assert a["revenue_at_risk"].tolist() == [50.0, 10.0, 20.0]
    port = risk.portfolio_at_risk(a).set_index("currency")
    assert port.loc["USD", "revenue_at_risk"] == 60.0 and port.loc["EUR", "revenue_at_risk"] == 20
    assert port.loc["USD", "share_at_risk"] == pytest.approx(60 / 150)
    assert len(port) == 2  # currencies are never mixed without an FX table
    fx = risk.portfolio_at_risk(a, {"USD": 1.0, "EUR": 1.1}, "USD").set_index("currency")
    assert fx.loc["total in USD", "revenue_at_risk"] == pytest.approx(60 + 22)
    assert fx.loc["total in USD", "expected_revenue"] == pytest.approx(150 + 88)
    with pytest.raises(ValueError, match="EUR"):
        risk.portfolio_at_risk(a, {"USD": 1.0}, "USD")
    # a currency whose alliances are all not assessed has no figures, not zeros
    b = a.assign(revenue_at_risk=[50.0, 10.0, None])
    port = risk.portfolio_at_risk(b).set_index("currency")
    assert port.loc["EUR", ["alliances", "not_assessed"]].tolist() == [0, 1]
    assert port.loc["EUR", ["expected_revenue", "revenue_at_risk", "share_at_risk"]].isna().all()
    assert port.loc["USD", "revenue_at_risk"] == 60.0
    none = risk.portfolio_at_risk(b.iloc[[2]], {"EUR": 1.1}, "USD").set_index("currency")
    assert pd.isna(none.loc["total in USD", "revenue_at_risk"])


def test_seed_shortfall_is_200_million():
    assert risk.shortfall(1_000_000_000, 0.40, 0.50) == pytest.approx(200_000_000)
    with pytest.raises(ValueError, match="alliance_share"):
        risk.shortfall(1e9, 40, 0.5)


def test_describe_states_the_model():
    assert "coin flip at health 60.0" in risk.DEFAULT.describe()
