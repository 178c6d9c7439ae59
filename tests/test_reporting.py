"""Report content: every figure a report shows comes from these functions; checked here
against the scores and against hand arithmetic, without a kernel."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from alliance_kit.records import periods, questionnaire, sample
from alliance_kit.views import charts, reporting

PERIOD = "2026-Q3"


@pytest.fixture(scope="module")
def inputs():
    return reporting.prepare(sample.portfolio(n_alliances=12, seed=7, last_period=PERIOD), PERIOD)


def test_crack_name():
    assert reporting.crack_name(4) == "4. Goals, objectives and KPIs"
    assert reporting.crack_name(None) == "-"


def test_render_table_escapes_every_cell():
    df = pd.DataFrame({"name": ["<script>alert(1)</script>"], "x": [1.5]})
    out = reporting.render_table(
        df, [reporting.Column("name", "<b>Name</b>"), reporting.Column("x", "X", str, True, "x")]
    )
    assert "<script>" not in out and "&lt;script&gt;alert(1)&lt;/script&gt;" in out
    assert "&lt;b&gt;Name&lt;/b&gt;" in out
    assert 'data-figure="x" data-value="1.5"' in out
    assert "None." in reporting.render_table(df.iloc[0:0], [])


def test_executive_summary_equals_the_scores(inputs):
    s = reporting.executive_summary(inputs, "A011")
    row = inputs.scores.alliances.set_index("alliance_id").loc["A011"]
    assert s.status == row["status"] == "red"
    assert s.health_index == pytest.approx(row["health_index"], abs=0.05)
    assert s.failure_probability == pytest.approx(row["failure_probability"], abs=1e-4)
    assert s.revenue_at_risk == pytest.approx(row["revenue_at_risk"], abs=0.01)
    assert s.change == pytest.approx(row["health_index"] - row["prev_health_index"], abs=0.1)
    cracks = inputs.scores.cracks
    opening = cracks[(cracks["alliance_id"] == "A011") & cracks["status"].isin(["red", "amber"])]
    assert len(s.open_cracks) == len(opening) > 0
    assert len(s.actions) == 3 and s.actions["action"].str.len().min() > 0
    # the weakest open crack's remedy comes first
    weakest = opening.sort_values("score").iloc[0]["crack"]
    assert s.actions.iloc[0]["crack"] == reporting.crack_name(weakest)
    html = s._repr_html_()
    assert 'data-figure="status" data-value="red"' in html


def test_status_says_when_a_red_crack_caps_it(inputs):
    a = inputs.scores.alliances.set_index("alliance_id")
    capped = a.index[a["knocked_out"]].tolist()
    assert capped and "A010" in capped  # green by its index, held at amber by red cracks
    shown = reporting.health_vs_value(inputs).set_index("alliance_id")["status_shown"]
    assert shown["A010"] == "AMBER (capped: red crack)" and shown["A008"] == "AMBER"
    assert shown["A011"] == "RED" and shown["A001"] == "GREEN"
    assert "capped: a crack is red" in reporting.executive_summary(inputs, "A010")._repr_html_()
    assert "capped" not in reporting.executive_summary(inputs, "A008")._repr_html_()


def test_green_alliance_has_no_actions(inputs):
    green = inputs.scores.alliances.query("status == 'green'")["alliance_id"].iloc[0]
    s = reporting.executive_summary(inputs, green)
    opening = inputs.scores.cracks.query("alliance_id == @green and status != 'green'")
    assert len(s.open_cracks) == len(opening)


def test_changes_give_one_line_per_crack_and_change(inputs):
    """Before (issue 16): A007's Goals & KPIs came three times (newly red, drop, down) and
    its widening gap a fourth; now one line says all of it."""
    every = reporting.crack_changes(inputs)
    keyed = every.dropna(subset=["crack"])
    assert not keyed.duplicated(["alliance_id", "crack"]).any()
    a007 = reporting.changes(inputs, "A007")
    goals = a007[a007["what"] == "4. Goals, objectives and KPIs"]
    assert len(goals) == 1
    assert goals.iloc[0]["detail"] == (
        "50.7 → 36.6 (-14.1 points), now red (was amber); perception gap widened from -6.9 "
        "to 18.7 points (us minus partner)"
    )
    # every alert of the period is said, on its crack's line
    alerts = inputs.scores.alerts
    for _, a in alerts.iterrows():
        line = every[(every["alliance_id"] == a["alliance_id"]) & (every["crack"] == a["crack"])]
        assert len(line) == 1
    # and every crack that moved 5 points or more, with figures that recompute
    c = inputs.scores.cracks
    moved = c[c["change"].abs() >= 5]
    assert set(zip(moved["alliance_id"], moved["crack"], strict=True)) <= set(
        zip(keyed["alliance_id"], keyed["crack"], strict=True)
    )
    for detail in every["detail"]:
        found = re.match(r"(\d+\.\d) → (\d+\.\d) \(([+-]\d+\.\d) points\)", detail)
        if found:
            before, after, change = map(float, found.groups())
            assert round(after - before, 1) == change  # the change of the figures shown
    a011 = reporting.changes(inputs, "A011")
    assert "46% of answers were don't know" in " ".join(a011["detail"])
    assert not a011["detail"].str.contains("Dont").any()
    assert set(reporting.alerts(inputs)["alert"]) <= {
        "Drop", "Newly red", "Gap widening", "Response falling", "Don't know"
    }  # fmt: skip
    shown = reporting.executive_summary(inputs, "A007")._repr_html_()
    section = shown.split("What changed since last period")[1].split("Top three actions")[0]
    assert section.count("4. Goals, objectives and KPIs") == 1


def test_cracks_by_side_matches_scores(inputs):
    t = reporting.cracks_by_side(inputs, "A001")
    c = inputs.scores.cracks.query("alliance_id == 'A001'").sort_values("crack")
    assert list(t["crack"]) == [1, 2, 3, 4, 5, 6]
    assert list(t["score"]) == pytest.approx(list(c["score"]))
    assert list(t["gap"]) == pytest.approx(list(c["survey_us"] - c["survey_partner"]))


def test_kpi_progress_is_hand_checkable(inputs):
    t = reporting.kpis_vs_target(inputs, "A001")
    k = inputs.frames["kpis"].query("alliance_id == 'A001'").iloc[0]
    acts = inputs.frames["kpi_actuals"]
    acts = acts[(acts["kpi_id"] == k["id"]) & (acts["period"] <= PERIOD)].sort_values("period")
    row = t[t["kpi"] == k["name"]].iloc[0]
    latest = acts.iloc[-1]["value"]
    assert row["actual"] == latest
    assert row["progress"] == pytest.approx(
        (latest - k["baseline"]) / (k["target"] - k["baseline"])
    )


def test_kpis_on_track_against_elapsed_time():
    kpis = pd.DataFrame(
        {
            "progress": [0.5, 0.5, 1.0, None],
            "due_date": pd.to_datetime(["2026-12-31", "2027-09-30", None, "2027-01-01"]),
        }
    )
    # 2026-Q3 ends 2026-09-30: a year-long plan due 2026-12-31 is 3/4 through -> 0.5 is late;
    # one due 2027-09-30 is half-way -> 0.5 is on track; no due date needs the target met.
    got = reporting._on_track(kpis, PERIOD)
    assert list(got[:3]) == [False, True, True] and pd.isna(got[3])


def test_agreements_due_and_risks(inputs):
    due = reporting.agreements_due(inputs, "A011")
    horizon = pd.Timestamp(periods.end(periods.shift(PERIOD, 2)))
    assert (due["due"] <= horizon).all()
    ri = reporting.risks_and_issues(inputs, "A011")
    assert set(ri["kind"]) <= {"risk", "issue"}
    assert list(ri["rating"].fillna(0)) == sorted(ri["rating"].fillna(0), reverse=True)


def test_governance_adherence_rows(inputs):
    g = reporting.governance_adherence(inputs, "A001")
    assert "Meetings held against planned" in set(g["indicator"])
    assert "meeting_adherence" in inputs.memo  # computed once for the whole portfolio


def test_business_case_section(inputs):
    bc = reporting.business_case_section(inputs, "A001")
    assert bc.headline is not None and bc.currency
    assert set(bc.plan_vs_actual["side"]) <= {"us"}
    assert "NPV" in bc._repr_html_()


def test_revenue_at_risk_rollup_and_the_seeds_arithmetic(inputs):
    rar = reporting.revenue_at_risk(inputs, company_revenue=1e9, alliance_share=0.4)
    assert rar.shortfall_field == pytest.approx(200e6)
    a = inputs.scores.alliances.dropna(subset=["revenue_at_risk"])
    for cur, group in a.groupby("currency"):
        row = rar.by_currency.set_index("currency").loc[cur]
        assert row["revenue_at_risk"] == pytest.approx(group["revenue_at_risk"].sum())
    assert set(a["currency"]) == {"USD", "EUR"}  # the sample mixes currencies
    usd = a[a["currency"] == "USD"]
    rate = (usd["expected_revenue"] * usd["failure_probability"]).sum() / usd[
        "expected_revenue"
    ].sum()
    assert rar.portfolio_failure_rate == pytest.approx(rate)
    assert rar.shortfall_portfolio == pytest.approx(1e9 * 0.4 * rate)
    cost = rar.company_cost().body
    assert "USD 200.0M" in cost and "EUR are left out for want of an exchange rate" in cost
    assert 'data-figure="shortfall_portfolio"' in cost
    example = reporting.revenue_at_risk(inputs)  # no company figures given (issue 13)
    shown = example._repr_html_() + example.company_cost().body
    assert "Company figures not set" in shown
    assert "200.0M" not in shown and "shortfall" not in shown  # no example figure (issue 16)
    assert example.figures()["shortfall_portfolio"] is None
    assert example.figures()["company_figures"] == "seed example"
    assert "within the next 12 months" in shown and "Revenue at risk / year" in shown
    given = reporting.revenue_at_risk(inputs, company_revenue=2e9, alliance_share=0.3)
    assert given.shortfall_field == 3e8 and "USD 300.0M" in given.company_cost().body
    converted = reporting.revenue_at_risk(
        inputs, company_revenue=1e9, alliance_share=0.4, exchange_rates={"EUR": 1.1}
    )
    w = a["expected_revenue"] * a["currency"].map({"USD": 1.0, "EUR": 1.1})
    rate = (w * a["failure_probability"]).sum() / w.sum()
    assert converted.portfolio_failure_rate == pytest.approx(rate)
    assert "converted to USD" in converted.company_cost().body


def test_failure_rate_never_adds_up_amounts_in_different_currencies():
    a = pd.DataFrame(
        {
            "currency": ["USD", "JPY", "USD"],
            "expected_revenue": [10.0, 1_000_000.0, 30.0],
            "p": [0.9, 0.0, 0.1],
        }
    )
    rate, basis = reporting.failure_rate(a, "p", "USD")
    assert rate == pytest.approx((10 * 0.9 + 30 * 0.1) / 40) and "JPY are left out" in basis
    rate, basis = reporting.failure_rate(a, "p", "USD", {"JPY": 0.0067})
    w = [10.0, 6_700.0, 30.0]
    assert rate == pytest.approx((w[0] * 0.9 + w[2] * 0.1) / sum(w)) and "converted" in basis
    rate, basis = reporting.failure_rate(a, "p", "EUR")
    assert rate == pytest.approx(a["p"].mean()) and basis.startswith("unweighted")
    one = a[a["currency"] == "USD"]
    assert reporting.failure_rate(one, "p", "USD")[1] == "weighted by expected revenue"
    assert reporting.failure_rate(one.iloc[0:0], "p", "USD") == (None, "")


def test_portfolio_views(inputs):
    hv = reporting.health_vs_value(inputs)
    assert len(hv) == len(inputs.scores.alliances)
    assert list(hv["health_index"].dropna()) == sorted(hv["health_index"].dropna())
    heat = reporting.crack_heatmap(inputs)
    assert list(heat.columns) == ["name", 1, 2, 3, 4, 5, 6] and len(heat) == len(hv)
    att = reporting.executive_attention(inputs)
    assert "A011" in set(att["alliance_id"])  # red
    assert set(att["status"]) <= {"red", "amber"}
    assert list(att["revenue_at_risk"]) == sorted(att["revenue_at_risk"], reverse=True)
    assert len(reporting.alerts(inputs)) == len(inputs.scores.alerts)
    figs = reporting.portfolio_figures(inputs, reporting.revenue_at_risk(inputs))
    assert figs["red"] + figs["amber"] + figs["green"] == len(inputs.scores.alliances)


def test_report_charts_render_offline_in_the_status_colours(inputs):
    """The reports draw charts.py's charts with the report variants (evidence bars,
    weakest alliance on top, ids on the bubbles)."""
    scores = inputs.scores
    by_side = charts.chart_html(charts.cracks_by_side(scores, "A001", evidence=True))
    heat = charts.chart_html(charts.crack_heatmap(scores, weakest_first=True))
    value = charts.chart_html(charts.health_vs_value(scores, labels=True))
    for svg in (by_side, heat, value):
        assert svg.startswith('<div class="ak-chart"><svg') and "http" not in svg.split("<svg")[0]
    assert charts.EVIDENCE_COLOUR in by_side and charts.SIDE_COLOURS["partner"] in by_side
    for status in ("red", "amber", "green"):
        assert charts.STATUS_COLOURS[status] in heat and charts.STATUS_COLOURS[status] in value
    assert ">A011<" in value  # the labelled bubble of the failing alliance
    assert charts.chart_html(None) == ""


def test_report_heat_map_rows_are_weakest_first(inputs):
    chart = charts.crack_heatmap(inputs.scores, weakest_first=True)
    rows = chart.to_dict()["layer"][0]["encoding"]["y"]["sort"]
    weakest = reporting.crack_heatmap(inputs)
    assert [r.split(" ")[0] for r in rows] == list(weakest.index)


def test_unknown_alliance_is_a_clear_error(inputs):
    with pytest.raises(ValueError, match="no alliance with id 'NOPE'"):
        reporting.header(inputs, "NOPE")


def test_portfolio_counts_the_alliances_running_this_period(inputs):
    # A012 ended before the period: it is in the store but not in the period's figures
    assert "A012" in set(inputs.frames["alliances"]["id"])
    rar = reporting.revenue_at_risk(inputs)
    figures = reporting.portfolio_figures(inputs, rar)
    assert figures["alliances"] == len(inputs.scores.alliances) == 11
    assert figures["alliances"] == figures["red"] + figures["amber"] + figures["green"]
    assert "11 alliances running this period" in reporting.portfolio_header(inputs).body


# --- issue 16: the portfolio report leads with what to decide ---------------------------


def portfolio_page(inputs, **company) -> str:
    """The portfolio report's sections as the notebook shows them, in its order."""
    rar = reporting.revenue_at_risk(inputs, **company)
    changes = reporting.render_table(reporting.portfolio_changes(inputs), reporting.CHANGE_COLUMNS)
    return "".join([
        reporting.portfolio_header(inputs).body,
        reporting.attention_section(inputs)._repr_html_(),
        rar._repr_html_(),
        changes,
        reporting.render_table(reporting.health_vs_value(inputs), reporting.value_columns()),
        rar.company_cost().body,
    ])  # fmt: skip


def test_attention_says_why_and_the_ask_of_each(inputs):
    att = reporting.attention(inputs).set_index("alliance_id")
    assert list(att.index) == list(reporting.executive_attention(inputs)["alliance_id"])
    asks = {n: c.ask for n, c in questionnaire.cracks().items()}
    a011 = att.loc["A011"]
    assert a011["why"] == "Red, health 16.9; every crack red; failure over its life 94% likely"
    assert a011["ask"][0].startswith("Decision: turn it around, restructure it or prepare an exit")
    assert len(a011["ask"]) == 2 and a011["ask"][1] == asks[a011["red_cracks"][0]]
    a008 = att.loc["A008"]
    assert a008["why"] == (
        "Amber, health 63.8, strategic importance 5 of 5; red cracks: Commitment, Governance "
        "(newly red); amber: Trust"
    )
    assert a008["ask"] == [asks[1], asks[5]]  # its two red cracks, weakest first
    c = inputs.scores.cracks
    for aid, r in att.iterrows():
        red = c[(c["alliance_id"] == aid) & (c["status"] == "red")]
        assert sorted(r["red_cracks"]) == sorted(red["crack"])
        assert 1 <= len(r["ask"]) <= 2
    html = reporting.attention_section(inputs)._repr_html_()
    assert "<strong" in html and ">4 of 11</strong>" in html
    assert html.index("Healthcare Data Licensing") < html.index("Asia-Pacific Joint Venture")


def test_revenue_at_risk_is_one_headline_figure_per_currency(inputs):
    rar = reporting.revenue_at_risk(inputs)
    head = rar.headline().set_index("currency")
    a = inputs.scores.alliances.dropna(subset=["revenue_at_risk"])
    assert set(head.index) == {"USD", "EUR"}
    for cur, group in a.groupby("currency"):
        assert head.loc[cur, "revenue_at_risk"] == pytest.approx(group["revenue_at_risk"].sum())
    shown = rar._repr_html_()
    cards = re.findall(r'data-figure="revenue_at_risk" data-value="([^"]+)">([^<]+)<', shown)
    assert [v for _, v in cards] == ["USD 39.9M", "EUR 2.2M"]  # one each, no sum across them
    assert sorted(float(v) for v, _ in cards) == sorted(
        round(v, 2) for v in head["revenue_at_risk"]
    )


def test_the_portfolio_page_leads_with_attention_and_shows_no_cli_syntax(inputs):
    page = portfolio_page(inputs)
    assert page.index("4 of 11") < page.index("Revenue at risk / year, USD")
    assert page.index("Revenue at risk / year, USD") < page.index("50.7 → 36.6")
    assert "--" not in page and "alliance-kit" not in page and "200.0M" not in page
    given = portfolio_page(inputs, company_revenue=1e9, alliance_share=0.4)
    assert "--" not in given and "USD 200.0M" in given


def sparse_inputs(*alliances: dict, surveyed: tuple[str, ...] = ()) -> reporting.PortfolioInputs:
    """Only the given alliances; the health survey (three respondents a side, every answer
    4) for A1 when ``surveyed`` names it."""
    from frame_helpers import tf
    from test_health_sparse import ALL_FOUR, full, survey

    frames = full(alliances=tf("alliances", list(alliances)))
    if "A1" in surveyed:
        people = [(PERIOD, f"{side[0].upper()}{i}", side, ALL_FOUR) for side in ("us", "partner")
                  for i in range(3)]  # fmt: skip
        frames.update(survey(people))
    return reporting.prepare(frames, PERIOD)


def test_a_sparse_portfolio_shows_no_figure_it_has_no_data_for():
    from test_health import alliance

    bare = sparse_inputs(alliance("A1", importance=5, currency="EUR", owner="Dana"))
    att = reporting.attention(bare)
    assert list(att["alliance_id"]) == ["A1"]
    assert att.iloc[0]["why"].startswith("Not assessed")
    assert att.iloc[0]["ask"][0].startswith("Have Dana supply what the assessment lacks: ")
    page = portfolio_page(bare)
    assert "No alliance is assessed this quarter" in page
    assert "EUR 0" not in page and "Revenue at risk / year, EUR" not in page
    assert "1 alliance not assessed is left out" in page
    assert "1 alliance running this period" in page and ">1 of 1</strong> alliance needs" in page
    assert "not assessed</span>" in page  # its revenue at risk cell
    assert "--" not in page and "alliance-kit" not in page
    # one assessed alliance in USD and one not assessed in EUR: one card, USD
    mixed = sparse_inputs(alliance("A1"), alliance("A2", currency="EUR"), surveyed=("A1",))
    head = reporting.revenue_at_risk(mixed).headline()
    assert list(head["currency"]) == ["USD"]
    calm = reporting.attention_section(mixed)._repr_html_()
    assert "No alliance needs executive attention" in calm
