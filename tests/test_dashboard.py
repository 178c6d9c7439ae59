"""The dashboard's view-model on hand-built frames: formatting, filters, drill-down, widgets."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from alliance_kit.records.model import TABLES
from alliance_kit.records.store import typed_frame
from alliance_kit.views import dashboard as d
from alliance_kit.views.dashboard import ALL, Filters


def alliances() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": ["A1", "A2", "A3", "A4"],
            "name": ["Alpha <b>Co</b>", "Beta", "Gamma", "Delta"],
            "partner": ["P1", "P2", "P3", "P4"],
            "type": ["co-sell", "technology", "co-sell", "reseller"],
            "stage": ["5 working together"] * 4,
            "owner": ["Ann", "Bob", "Bob", "Ann"],
            "importance": [5, 3, 2, 4],
            "start_date": pd.to_datetime(["2024-01-15"] * 4),
            "expected_revenue": [1_000_000.0, 2_000_000.0, 500_000.0, 800_000.0],
            "currency": ["USD", "EUR", "USD", "USD"],
        }
    )


def scored(period: str = "2026-Q3") -> pd.DataFrame:
    shift = 0 if period == "2026-Q3" else 10
    return pd.DataFrame(
        {
            "alliance_id": ["A1", "A2", "A3", "A4"],
            "name": ["Alpha <b>Co</b>", "Beta", "Gamma", "Delta"],
            "importance": [5, 3, 2, 4],
            "health_index": [40.0 + shift, 65.0, 80.0, 55.0],
            "status": ["red" if shift == 0 else "amber", "amber", "green", "amber"],
            "open_cracks": [3, 1, 0, 2],
            "failure_probability": [0.6, 0.4, 0.2, 0.45],
            "expected_revenue": [1_000_000.0, 2_000_000.0, 500_000.0, 800_000.0],
            "revenue_at_risk": [600_000.0, 800_000.0, 100_000.0, 360_000.0],
            "currency": ["USD", "EUR", "USD", "USD"],
        }
    )


def cracks() -> pd.DataFrame:
    rows = []
    for a, base in (("A1", 40), ("A2", 60), ("A3", 80), ("A4", 55)):
        for c in range(1, 7):
            score = base + c
            status = "red" if score < 50 else "amber" if score < 70 else "green"
            rows.append(
                {
                    "alliance_id": a,
                    "crack": c,
                    "score": float(score),
                    "status": status,
                    "survey_us": float(score + 10),
                    "survey_partner": float(score - 20),
                    "gap": 30.0,
                    "reading": "blind spot",
                }
            )
    return pd.DataFrame(rows)


def alerts() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "alliance_id": ["A3", "A1"],
            "crack": [2, 1],
            "message": ["crack 2 down 12 points", "crack 1 <newly> red"],
        }
    )


def table() -> pd.DataFrame:
    return d.portfolio_table(alliances(), scored())


# --- formatting -------------------------------------------------------------------------


def test_format_money_is_the_symbol_style():
    """The dashboard's money (every style is tested in test_formatting.py)."""
    assert d.format_money(1_234_567, "USD") == "$1.23M"
    assert d.format_money(850_000, "EUR") == "€850K"
    assert d.format_money(None, "USD") == "-"


def test_escape_neutralizes_markup():
    assert d.escape("<script>alert(1)</script>") == "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert d.escape(None) == ""


# --- the portfolio table and filters -----------------------------------------------------


def test_portfolio_table_orders_by_revenue_at_risk_and_adds_attributes():
    t = table()
    assert list(t.columns) == d.TABLE_COLUMNS
    assert t["alliance_id"].tolist() == ["A2", "A1", "A4", "A3"]
    assert t.set_index("alliance_id").loc["A3", "owner"] == "Bob"
    assert t.set_index("alliance_id").loc["A1", "type"] == "co-sell"


@pytest.mark.parametrize(
    ("filters", "ids"),
    [
        (Filters(), ["A2", "A1", "A4", "A3"]),
        (Filters(type="co-sell"), ["A1", "A3"]),
        (Filters(owner="Ann"), ["A1", "A4"]),
        (Filters(status="amber"), ["A2", "A4"]),
        (Filters(type="co-sell", owner="Bob"), ["A3"]),
        (Filters(type="co-sell", status="amber"), []),
    ],
)
def test_apply_filters(filters, ids):
    assert d.apply_filters(table(), filters)["alliance_id"].tolist() == ids


def test_filter_options():
    opts = d.filter_options(table())
    assert opts["type"] == [ALL, "co-sell", "reseller", "technology"]
    assert opts["owner"] == [ALL, "Ann", "Bob"]
    assert opts["status"] == [ALL, "red", "amber", "green", "not assessed"]


def test_revenue_by_currency_never_mixes_currencies():
    money = d.revenue_by_currency(table()).set_index("currency")
    assert money.loc["USD", "revenue_at_risk"] == 1_060_000.0
    assert money.loc["USD", "expected_revenue"] == 2_300_000.0
    assert money.loc["USD", "alliances"] == 3
    assert money.loc["EUR", "revenue_at_risk"] == 800_000.0
    assert money.loc["EUR", "share_at_risk"] == pytest.approx(0.4)
    assert list(money.index) == ["USD", "EUR"]  # most at risk first
    assert d.revenue_by_currency(table().iloc[0:0]).empty


def test_status_counts_include_zeros_in_fixed_order():
    counts = d.status_counts(d.apply_filters(table(), Filters(owner="Ann")))
    assert counts.to_dict("list") == {
        "status": ["red", "amber", "green", "not assessed"], "alliances": [1, 1, 0, 0]
    }  # fmt: skip


def test_top_at_risk_and_scores_for_keep_the_riskiest_in_order():
    top = d.top_at_risk(table(), 2)
    assert top["alliance_id"].tolist() == ["A2", "A1"]
    scores = SimpleNamespace(alliances=scored(), cracks=cracks(), alerts=alerts())
    part = d.scores_for(scores, top["alliance_id"])
    assert part.alliances["alliance_id"].tolist() == ["A2", "A1"]
    assert part.cracks["alliance_id"].unique().tolist() == ["A2", "A1"]
    assert len(part.cracks) == 12
    assert part.alerts["alliance_id"].tolist() == ["A1"]
    assert len(scores.cracks) == 24  # the original is untouched


def history() -> pd.DataFrame:
    """Health index per alliance and period as health.history gives it (crack 0 rows)."""
    rows = []
    for period in ("2026-Q2", "2026-Q3"):
        for r in scored(period).itertuples(index=False):
            rows.append(
                {"alliance_id": r.alliance_id, "period": period, "crack": 0,
                 "measure": "health index", "score": r.health_index, "status": r.status}
            )  # fmt: skip
    rows.append(
        {
            "alliance_id": "A1",
            "period": "2026-Q3",
            "crack": 1,
            "measure": "x",
            "score": 1.0,
            "status": "red",
        }
    )  # fmt: skip  (a crack row: ignored)
    return pd.DataFrame(rows)


def test_trend_frame_counts_per_period_and_status():
    trend = d.trend_frame(history())
    q3 = trend[trend["period"] == "2026-Q3"].set_index("status")["alliances"].to_dict()
    q2 = trend[trend["period"] == "2026-Q2"].set_index("status")["alliances"].to_dict()
    assert q3 == {"red": 1, "amber": 2, "green": 1}
    assert q2 == {"red": 0, "amber": 3, "green": 1}
    assert trend[trend["period"] == "2026-Q3"]["mean_health"].iloc[0] == 60.0
    only = d.trend_frame(history(), ["A1", "A3"])
    assert only[only["period"] == "2026-Q2"]["alliances"].tolist() == [0, 1, 1]
    assert only[only["period"] == "2026-Q2"]["mean_health"].iloc[0] == 65.0


def test_alerts_frame_keeps_alliances_in_view_most_at_risk_first():
    al = d.alerts_frame(alerts(), table())
    assert al["alliance_id"].tolist() == ["A1", "A3"]
    assert al["name"].tolist() == ["Alpha <b>Co</b>", "Gamma"]
    only_bob = d.apply_filters(table(), Filters(owner="Bob"))
    assert d.alerts_frame(alerts(), only_bob)["alliance_id"].tolist() == ["A3"]


def test_html_table_and_tile_escape_user_text():
    html = d.html_table(table(), {"name": "Alliance", "status": "Status"}, status_column="status")
    assert "Alpha &lt;b&gt;Co&lt;/b&gt;" in html
    assert "<b>Co" not in html
    assert '<span class="ak-pill ak-red">red</span>' in html
    assert d.html_table(table().iloc[0:0], {"name": "x"}, empty="none") == (
        '<p class="ak-empty">none</p>'
    )
    assert "&lt;i&gt;" in d.tile("<i>", "1")


# --- one alliance -------------------------------------------------------------------------


def one_alliance_frames() -> dict[str, pd.DataFrame]:
    """Typed like store.read_all() returns them."""
    return {name: typed_frame(TABLES[name], df) for name, df in _raw_frames().items()}


def _raw_frames() -> dict[str, pd.DataFrame]:
    ts = pd.Timestamp
    return {
        "alliances": alliances(),
        "kpis": pd.DataFrame(
            {
                "id": ["K1", "K2", "K9"],
                "alliance_id": ["A1", "A1", "A2"],
                "objective_id": [None, None, None],
                "name": ["Pipeline", "Win rate", "Other"],
                "owner": ["Ann", None, "Bob"],
                "owner_side": ["us", "partner", "us"],
                "unit": ["USD", "%", "count"],
                "direction": ["increase", "increase", "increase"],
                "baseline": [100.0, 10.0, 0.0],
                "target": [300.0, 30.0, 5.0],
                "due_date": [ts("2026-12-31")] * 3,
                "cadence": ["quarterly"] * 3,
                "data_source": ["CRM", None, "CRM"],
                "agreed_by_both": [True, False, True],
            }
        ),
        "kpi_actuals": pd.DataFrame(
            {
                "kpi_id": ["K1", "K1", "K1", "K9"],
                "period": ["2026-Q2", "2026-Q3", "2026-Q4", "2026-Q3"],
                "value": [150.0, 200.0, 999.0, 1.0],
                "reported_on": [ts("2026-07-10"), ts("2026-10-10"), ts("2027-01-10"), None],
            }
        ),
        "governance_bodies": pd.DataFrame(
            {
                "id": ["B1"],
                "alliance_id": ["A1"],
                "name": ["Steering"],
                "kind": ["executive steering committee"],
                "meetings_per_year": [4],
                "escalates_to": [None],
            }
        ),
        "meetings": pd.DataFrame(
            {
                "id": ["M1", "M2"],
                "body_id": ["B1", "B1"],
                "planned_on": [ts("2026-02-01"), ts("2026-08-01")],
                "held_on": [ts("2026-02-01"), pd.NaT],
                "status": ["held", "cancelled"],
                "notes": [None, None],
            }
        ),
        "people": pd.DataFrame(
            {
                "id": ["P1"],
                "alliance_id": ["A1"],
                "side": ["us"],
                "name": ["Vera"],
                "role": ["sponsor"],
                "org_level": ["svp"],
                "email": [None],
            }
        ),
        "attendance": pd.DataFrame({"meeting_id": ["M1"], "person_id": ["P1"], "attended": [True]}),
        "decisions": pd.DataFrame(
            columns=["id", "alliance_id", "meeting_id", "title", "raised_on", "decided_on"]
        ).astype({"raised_on": "datetime64[ns]", "decided_on": "datetime64[ns]"}),
        "actions": pd.DataFrame(
            {
                "id": ["X1", "X2", "X3"],
                "alliance_id": ["A1", "A1", "A1"],
                "kind": ["activity"] * 3,
                "meeting_id": [None] * 3,
                "objective_id": [None] * 3,
                "title": ["Fix <pricing>", "Done thing", "Later"],
                "owner": ["Ann", "Bob", "Ann"],
                "owner_side": ["us", "partner", "us"],
                "opened_on": [ts("2026-01-10"), ts("2026-01-10"), ts("2026-08-01")],
                "due_on": [ts("2026-06-30"), ts("2026-03-31"), ts("2026-12-31")],
                "status": ["open", "done", "in progress"],
                "closed_on": [pd.NaT, ts("2026-03-01"), pd.NaT],
                "crack": [5, None, None],
            }
        ),
        "risks": pd.DataFrame(
            {
                "id": ["R1", "R2", "R3"],
                "alliance_id": ["A1", "A1", "A1"],
                "title": ["Partner reorg", "Closed one", "Small"],
                "owner": ["Ann", "Ann", "Bob"],
                "mitigation": [None] * 3,
                "status": ["open", "closed", "mitigating"],
                "raised_on": [ts("2026-01-01")] * 3,
                "crack": [1, None, None],
            }
        ),
        "risk_reviews": pd.DataFrame(
            {
                "risk_id": ["R1", "R1", "R3"],
                "period": ["2026-Q2", "2026-Q3", "2026-Q3"],
                "likelihood": [2, 4, 1],
                "impact": [5, 5, 2],
            }
        ),
    }


def test_one_alliance_keeps_only_its_records():
    one = d.one_alliance(one_alliance_frames(), "A1")
    assert one["kpis"]["id"].tolist() == ["K1", "K2"]
    assert one["kpi_actuals"]["kpi_id"].unique().tolist() == ["K1"]
    assert one["meetings"]["id"].tolist() == ["M1", "M2"]
    assert one["alliances"]["id"].tolist() == ["A1"]


def test_kpi_status_latest_actual_up_to_the_period():
    one = d.one_alliance(one_alliance_frames(), "A1")
    k = d.kpi_status(one, "2026-Q3").set_index("kpi_id")
    assert k.loc["K1", "actual"] == 200.0  # the Q4 actual is after the period
    assert k.loc["K1", "actual_period"] == "2026-Q3"
    assert k.loc["K1", "progress"] == pytest.approx(0.5)
    assert pd.isna(k.loc["K2", "actual"])
    assert k.loc["K1", "completeness"] == 1.0


def test_governance_adherence_rows():
    one = d.one_alliance(one_alliance_frames(), "A1")
    gov = d.governance_adherence(one, "2026-Q3").set_index("figure")
    assert gov.loc["Meetings held / planned", "value"] == "1 / 4"
    assert gov.loc["Meetings held / planned", "rate"] == pytest.approx(1 / 4)
    assert gov.loc["Steering meetings with an executive (us)", "rate"] == 1.0
    assert gov.loc["Actions closed / due", "value"] == "1 / 2 (1 overdue)"


def test_open_actions_and_risks():
    one = d.one_alliance(one_alliance_frames(), "A1")
    acts = d.open_actions(one, "2026-Q3")
    assert acts["id"].tolist() == ["X1", "X3"]
    assert acts["overdue"].tolist() == [True, False]
    risks = d.open_risks(one, "2026-Q3")
    assert risks["id"].tolist() == ["R1", "R3"]
    assert risks["exposure"].tolist() == [20.0, 2.0]


# --- the widget application ------------------------------------------------------------------


def fake_scorer(calls: list[str]):
    def score(frames, period, config=None):
        calls.append(period)
        return SimpleNamespace(alliances=scored(period), cracks=cracks(), alerts=alerts())

    return score


def fake_historian(calls: list[list[str]]):
    def hist(frames, period_list, config=None):
        calls.append(list(period_list))
        h = history()
        return h[h["period"].isin(period_list)]

    return hist


def app_frames() -> dict[str, pd.DataFrame]:
    frames = one_alliance_frames()
    frames["assessment_rounds"] = pd.DataFrame({"period": ["2026-Q2", "2026-Q3"]})
    return frames


@pytest.fixture
def app():
    calls: list[str] = []
    hist_calls: list[list[str]] = []
    a = d.DashboardApp(
        app_frames(), scorer=fake_scorer(calls), historian=fake_historian(hist_calls)
    )
    a.calls, a.hist_calls = calls, hist_calls
    return a


def test_app_shows_latest_period_with_formatted_tiles(app):
    assert app.period == "2026-Q3"
    assert 'data-testid="rar-USD"' in app.tiles.value
    assert "$1.06M" in app.tiles.value and "€800K" in app.tiles.value
    assert "46% of $2.30M expected" in app.tiles.value
    assert app.header.value.count("2026-Q3") == 1
    for part in (app.rar, app.status, app.heat, app.scatter, app.trend):
        assert "<svg" in part.value
    assert "crack 1 &lt;newly&gt; red" in app.alerts.value
    assert "<newly>" not in app.alerts.value
    assert app.calls == ["2026-Q3"]  # scored once; the trend comes from the history
    assert app.hist_calls == [["2026-Q2", "2026-Q3"]]


def test_app_filter_changes_the_view(app):
    app.w_owner.value = "Bob"
    assert app.trend_data()[lambda t: t["period"] == "2026-Q3"]["alliances"].tolist() == [0, 1, 1]
    assert app.current()["alliance_id"].tolist() == ["A2", "A3"]
    assert "$100K" in app.tiles.value and "$1.06M" not in app.tiles.value
    assert "owner Bob" in app.header.value
    assert [v for _, v in app.w_alliance.options] == ["", "A2", "A3"]
    app.w_status.value = "red"
    assert app.current().empty
    for part in (app.rar, app.status, app.heat, app.scatter, app.trend):
        assert "No alliance matches these filters" in part.value
        assert "The 0 alliances" not in part.value and "<svg width='1'" in part.value
    assert "most at risk" not in app.heat.value


def test_heatmap_rows_weakest_first(app, monkeypatch):
    """The heat map's caption says most at risk: its rows are weakest first, as the report's."""
    seen = {}
    real = charts_module().crack_heatmap

    def spy(scores, **kw):
        seen.update(kw)
        return real(scores, **kw)

    monkeypatch.setattr(charts_module(), "crack_heatmap", spy)
    app.charts.clear()
    app.refresh()
    assert seen == {"weakest_first": True}
    assert "the weakest on top" in app.heat.value


def charts_module():
    from alliance_kit.views import charts

    return charts


def test_app_period_change_scores_once_per_period(app):
    app.w_period.value = "2026-Q2"
    assert app.period == "2026-Q2"
    assert app.table("2026-Q2").set_index("alliance_id").loc["A1", "status"] == "amber"
    app.w_status.value = "amber"
    app.w_period.value = "2026-Q3"
    app.w_status.value = ALL
    assert app.calls == ["2026-Q3", "2026-Q2"]  # back to Q3: taken from the cache
    assert app.hist_calls == [["2026-Q2", "2026-Q3"], ["2026-Q2"]]


def test_app_drill_down_shows_the_chosen_alliance(app):
    app.w_alliance.value = "A1"
    html = app.drill.value
    assert "data-alliance='A1'" in html
    assert "Alpha &lt;b&gt;Co&lt;/b&gt;" in html
    assert "$600K" in html
    assert "Pipeline" in html and "Fix &lt;pricing&gt;" in html and "Partner reorg" in html
    assert "blind spot" in html
    assert "<svg" in html
    app.w_owner.value = "Bob"  # A1 leaves the view: the drill-down clears
    assert app.w_alliance.value == "" and app.drill.value == ""


# --- the command line ------------------------------------------------------------------------


def test_dashboard_commands_serve_securely(tmp_path):
    from alliance_kit.cli.dashboard import DASHBOARD_NOTEBOOK, dashboard_commands

    (tmp_path / DASHBOARD_NOTEBOOK).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / DASHBOARD_NOTEBOOK).write_text("{}")
    db = str(tmp_path / "s.sqlite")
    dash, survey, token = dashboard_commands(port=9001, db=db, root=tmp_path)
    assert len(token) >= 24
    # in the environment (private to the user), never on the command line (listed by ps)
    assert dash.env["ALLIANCE_KIT_VOILA_TOKEN"] == token
    assert not any(token in a for a in dash.argv)
    for flag in ("--Voila.ip=127.0.0.1", "--strip_sources=True", "--show_tracebacks=False",
                 "--preheat_kernel=True", "--pool_size=1", "--port=9001"):  # fmt: skip
        assert flag in dash.argv
    assert dash.env["ALLIANCE_KIT_DB"].endswith("s.sqlite")
    # the survey page: the light form (no kernel), its own port, never the executive token
    assert survey is not None and "--port=9002" in survey.argv
    assert survey.argv[1:3] == ["-m", "alliance_kit.delivery.survey_web"]
    assert "--ip=127.0.0.1" in survey.argv
    assert not {"ALLIANCE_KIT_VOILA_TOKEN", "ALLIANCE_KIT_DASHBOARD_TOKEN"} & set(survey.env)
    assert not any(token in a for a in survey.argv)
    assert survey.env["ALLIANCE_KIT_DB"].endswith("s.sqlite")
    _, _, other = dashboard_commands(port=9001, db=db, root=tmp_path)
    assert other != token
    _, none, _ = dashboard_commands(port=9001, db=db, root=tmp_path, survey=False)
    assert none is None


def test_dashboard_cli_prints_the_token_once_and_runs_both_servers(sample_db, monkeypatch):
    from click.testing import CliRunner

    from alliance_kit.cli import dashboard as cli_dashboard
    from alliance_kit.cli import main

    ran, snapshots = [], []

    def run_all(cmds, on_ready=None, on_stopped=None):
        ran.append(cmds)
        path = Path(cmds[0].env[d.ENV_SNAPSHOT])
        snapshots.append((path, path.exists(), oct(path.parent.stat().st_mode & 0o777)))
        on_ready()  # the links are printed only once the servers answer
        return 0

    monkeypatch.setattr(cli_dashboard, "run_all", run_all)
    db = sample_db
    result = CliRunner().invoke(main, ["dashboard", "--db", db, "--port", "9100"])
    assert result.exit_code == 0, result.output
    [cmds] = ran
    # the scores were computed once, in a private folder removed when the servers stop
    [(path, existed, mode)] = snapshots
    assert existed and mode == "0o700" and not path.exists()
    token = cmds[0].env["ALLIANCE_KIT_VOILA_TOKEN"]
    assert result.output.count(token) == 1
    assert "http://127.0.0.1:9100/?token=" in result.output
    assert result.output.index("Starting the servers") < result.output.index("?token=")
    assert len(cmds) == 2 and cmds[1].argv[1:3] == ["-m", "alliance_kit.delivery.survey_web"]
    weak = CliRunner().invoke(main, ["dashboard", "--db", db, "--token", "given-token"])
    assert weak.exit_code != 0 and "too weak" in weak.output and len(ran) == 1
    given = "given-token-" + "Xq7Rz2Lm9Kp4Wv8Tn3Yb6Hc1"
    result = CliRunner().invoke(
        main, ["dashboard", "--db", db, "--token", given, "--no-survey", "--ip", "0.0.0.0"]
    )
    assert result.exit_code == 0
    assert ran[-1][0].env["ALLIANCE_KIT_VOILA_TOKEN"] == given and len(ran[-1]) == 1
    assert "--Voila.ip=0.0.0.0" in ran[-1][0].argv


def test_dashboard_cli_refuses_an_empty_store(sqlite_store):
    from click.testing import CliRunner

    from alliance_kit.cli import main

    result = CliRunner().invoke(main, ["dashboard", "--db", sqlite_store.url])
    assert result.exit_code != 0
    assert "alliance-kit demo" in result.output


def test_dashboard_cli_refuses_a_missing_store(tmp_path):
    from click.testing import CliRunner

    from alliance_kit.cli import main

    result = CliRunner().invoke(main, ["dashboard", "--db", str(tmp_path / "none.sqlite")])
    assert result.exit_code != 0
    assert "alliance-kit init" in result.output


# --- the snapshot shared by every viewer --------------------------------------------------


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory) -> str:
    from alliance_kit.records import sample
    from alliance_kit.records.opening import open_store

    url = f"sqlite:///{tmp_path_factory.mktemp('sample') / 'store.sqlite'}"
    store = open_store(url, create=True)
    sample.load(store, last_period="2026-Q3")
    store.engine.dispose()
    return url


def test_snapshot_is_built_once_and_refreshed_when_the_store_changes(sample_db, tmp_path):
    from alliance_kit.records.opening import open_store

    path = tmp_path / "snap.pickle"
    first = d.load_snapshot(sample_db, path)
    assert path.exists()
    assert list(first.scores) == ["2026-Q3"]
    assert set(first.frames) <= set(d.DRILL_TABLES) and "answers" not in first.frames
    assert d.load_snapshot(sample_db, path).made_at == first.made_at  # reused
    assert d.load_snapshot(sample_db, path, max_age=0).made_at > first.made_at  # too old
    store = open_store(sample_db)
    store.insert("lessons", [{"id": "L-new", "alliance_id": "A001", "title": "x",
                              "recorded_on": pd.Timestamp("2026-08-01")}])  # fmt: skip
    store.engine.dispose()
    assert d.load_snapshot(sample_db, path).counts["lessons"] == first.counts["lessons"] + 1


def test_app_from_a_snapshot_shows_what_the_store_scores(sample_db, tmp_path, monkeypatch):
    from alliance_kit.assess import health
    from alliance_kit.records.opening import open_store

    path = tmp_path / "snap.pickle"
    snap = d.load_snapshot(sample_db, path)
    assert len([k for k, v in snap.charts.items() if v and "<svg" in v]) == 5
    real_charts = d._charts
    monkeypatch.setattr(d, "_charts", lambda: pytest.fail("the first view is drawn again"))
    app = d.DashboardApp.from_store(sample_db, snapshot=path)
    assert app.rar.value.count("<svg") == 1
    monkeypatch.setattr(d, "_charts", real_charts)
    store = open_store(sample_db)
    frames = store.read_all()
    store.engine.dispose()
    scores = health.score_portfolio(frames, "2026-Q3")
    assert app.period == "2026-Q3"
    for r in scores.portfolio.itertuples(index=False):
        assert d.format_money(r.revenue_at_risk, r.currency) in app.tiles.value
    app.w_alliance.value = "A011"
    assert "data-alliance='A011'" in app.drill.value
    # an older period is not in the snapshot: scored from the store on demand
    app.w_period.value = "2026-Q2"
    older = health.score_portfolio(frames, "2026-Q2").portfolio
    for r in older.itertuples(index=False):
        assert d.format_money(r.revenue_at_risk, r.currency) in app.tiles.value


# --- stopping the servers ---------------------------------------------------------------------


def test_sigterm_stops_both_servers_their_kernels_and_removes_the_snapshot(sample_db):
    """What systemd, docker stop and kill send: a real ``alliance-kit dashboard``."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from process_helpers import (
        descendants,
        kill_all,
        open_page_in_background,
        port_open,
        running,
        wait_until,
    )

    from alliance_kit.delivery.serve import free_port

    ports = [free_port(), free_port()]
    argv = [sys.executable, "-c", "from alliance_kit.cli import main; main()", "dashboard",
            "--db", sample_db, "--port", str(ports[0]), "--pool-size", "1",
            "--survey-port", str(ports[1])]  # fmt: skip
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    procs = []

    def up() -> bool:
        procs[:] = descendants(proc.pid)
        kernels = [p for p in procs if "ipykernel_launcher" in " ".join(p.cmdline())]
        # the dashboard's warm kernel; the survey form has none
        return all(port_open(p) for p in ports) and len(kernels) == 1

    try:
        wait_until(up, "both servers answered, the dashboard with a warm kernel", proc)
        envs = [p.environ() for p in procs]
        [snapshot] = {e[d.ENV_SNAPSHOT] for e in envs if d.ENV_SNAPSHOT in e}
        assert os.path.exists(snapshot)
        [token] = {e["ALLIANCE_KIT_VOILA_TOKEN"] for e in envs if "ALLIANCE_KIT_VOILA_TOKEN" in e}
        open_page_in_background(f"http://127.0.0.1:{ports[0]}/?token={token}")
        time.sleep(1)  # a viewer's kernel is busy when the stop comes
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=60)
        assert running(procs) == [], out
        assert not any(port_open(p) for p in ports)
        assert not os.path.exists(os.path.dirname(snapshot))
        assert proc.returncode == -signal.SIGTERM  # ended by the signal, as if not caught
        # quiet: no ZMQError from a kernel shut down mid-message, no traceback; said once
        assert "Traceback" not in out and "ZMQError" not in out, out
        assert out.rstrip().endswith(
            "Stopped by SIGTERM: the dashboard, the survey page and their kernels are shut down."
        ), out
    finally:
        kill_all(procs)
        if proc.poll() is None:
            proc.kill()


def test_app_on_a_first_portfolio_with_no_survey_shows_no_made_up_figure(tmp_path):
    """One alliance, no survey, no KPI: the page opens on the current quarter, counts it as
    not assessed, and shows no revenue at risk, bubble or trend it has no data for."""
    import datetime as dt

    from alliance_kit.records.store import Store

    store = Store(str(tmp_path / "s.sqlite"))
    store.migrate()
    store.insert(
        "alliances",
        [
            dict(id="N1", name="Nordic", partner="Fjord AS", type="reseller",
                 stage="5 working together", start_date=dt.date(2026, 1, 15), owner="Ana",
                 expected_revenue=2_000_000.0, currency="EUR",
                 importance=3)
        ],
    )  # fmt: skip
    frames = store.read_all()
    store.engine.dispose()
    app = d.DashboardApp(frames, period="2026-Q3")
    assert "2026-Q3" in d.available_periods(frames)
    tiles = app.tiles.value
    assert 'data-testid="rar-EUR"' in tiles and "€0" not in tiles
    assert "no alliance in this currency is assessed yet; 1 not assessed" in tiles
    for part in (app.rar, app.scatter):
        assert "No alliance in view is assessed yet" in part.value
        assert "<svg width='1'" in part.value
    assert "No alliance has a health index" in app.trend.value
    assert "No alliance matches" not in app.rar.value + app.scatter.value + app.trend.value
