"""The sample portfolio: deterministic, complete, valid, and coherent with its designed health."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from alliance_kit.records import periods, sample
from alliance_kit.records.model import ORG_LEVEL_RANK, TABLES

LAST = "2026-Q3"
HEALTHY = [f"A{i:03d}" for i in range(1, 7)]


@pytest.fixture(scope="module")
def frames() -> dict[str, pd.DataFrame]:
    return sample.portfolio(last_period=LAST)


@pytest.fixture(scope="module")
def large() -> dict[str, pd.DataFrame]:
    """Random profiles beyond the default twelve (thinned surveys keep it quick)."""
    return sample.portfolio(
        n_alliances=300, seed=3, last_period=LAST, respondents_per_side=(2, 3), survey_periods=2
    )


def test_deterministic_under_a_seed(frames):
    again = sample.portfolio(last_period=LAST)
    for name in TABLES:
        pd.testing.assert_frame_equal(frames[name], again[name])
    other = sample.portfolio(seed=8, last_period=LAST)
    assert not other["answers"]["score"].equals(frames["answers"]["score"])


def test_every_table_with_model_columns_and_types(frames):
    assert list(frames) == list(TABLES)
    for name, table in TABLES.items():
        assert list(frames[name].columns) == list(table.c.keys()), name
        for col in table.c:
            s = frames[name][col.name]
            kind = type(col.type).__name__
            if kind in ("Date", "DateTime"):
                assert s.dtype == "datetime64[ns]", (name, col.name)
            elif kind == "Integer":
                assert s.dtype == "Int64", (name, col.name)
            elif kind == "Boolean":
                assert s.dtype == bool, (name, col.name)
    assert all(len(frames[name]) > 0 for name in TABLES)


def test_default_alliances(frames):
    al = frames["alliances"].set_index("id")
    assert list(al.index) == list(sample.PROFILES) == [f"A{i:03d}" for i in range(1, 13)]
    assert al["type"].nunique() >= 6
    assert {"USD", "EUR"} <= set(al["currency"])
    assert al["expected_revenue"].between(2e6, 120e6).all()
    assert al["partner"].str.contains("&").any()
    assert al["partner"].map(lambda p: any(ord(ch) > 127 for ch in p)).any()
    assert set(al["stage"].str[0]) == {"3", "4", "5", "6", "7", "8"}
    assert al.loc["A012", "stage"] == "8 exit strategy"
    assert pd.notna(al.loc["A012", "end_date"])
    assert al.drop(index="A012")["end_date"].isna().all()


def test_dated_within_the_history(frames):
    first = pd.Timestamp(periods.start(periods.shift(LAST, -5)))
    last = pd.Timestamp(periods.end(LAST))
    events = {
        "meetings": "planned_on",
        "kpi_actuals": "reported_on",
        "issues": "raised_on",
        "decisions": "raised_on",
        "briefings": "briefed_on",
        "documents": "dated",
        "assessment_rounds": "opened_on",
        "answers": "answered_at",
        "lessons": "recorded_on",
        "actions": "opened_on",
    }
    for table, col in events.items():
        s = frames[table][col].dropna()
        assert s.between(first, last + pd.Timedelta(days=1)).all(), (table, col)
    for table in ("kpi_actuals", "resources", "risk_reviews", "assessment_rounds"):
        assert set(frames[table]["period"]) == set(periods.span(periods.shift(LAST, -5), LAST))
    assert (frames["alliances"]["start_date"] < first).all()


def _references():
    for name, table in TABLES.items():
        for col in table.c:
            for fk in col.foreign_keys:
                yield name, col.name, fk.column.table.name, fk.column.name
            if "ref" in col.info:
                parent, key = col.info["ref"].split(".")
                yield name, col.name, parent, key


def test_references_are_valid(frames, large):
    for data in (frames, large):
        for child, col, parent, key in _references():
            values = data[child][col].dropna()
            missing = set(values) - set(data[parent][key])
            assert not missing, f"{child}.{col} -> {parent}.{key}: {sorted(missing)[:3]}"


def test_keys_unique(frames, large):
    for data in (frames, large):
        for name, table in TABLES.items():
            keys = [c.name for c in table.primary_key.columns]
            assert not data[name].duplicated(keys).any(), name


def test_rules_respected(frames, large):
    for data in (frames, large):
        for name, table in TABLES.items():
            for col in table.c:
                s = data[name][col.name]
                if not col.nullable and not col.primary_key:
                    assert s.notna().all(), (name, col.name)
                v = s.dropna()
                info = col.info
                if "choices" in info:
                    assert set(v) <= set(info["choices"]), (name, col.name, set(v))
                if "min" in info:
                    assert (v >= info["min"]).all(), (name, col.name)
                if "max" in info:
                    assert (v <= info["max"]).all(), (name, col.name)
                if "pattern" in info:
                    assert v.map(lambda x, p=info["pattern"]: bool(re.match(p, x))).all()
                length = getattr(col.type, "length", None)
                if length:
                    assert (v.str.len() <= length).all(), (name, col.name)


def test_date_order_and_kpi_direction(frames, large):
    for f in (frames, large):
        pairs = [
            ("alliances", "start_date", "end_date"),
            ("agreements", "signed_on", "effective_on"),
            ("agreements", "signed_on", "expires_on"),
            ("actions", "opened_on", "closed_on"),
            ("actions", "opened_on", "due_on"),
            ("issues", "raised_on", "resolved_on"),
            ("issues", "raised_on", "escalated_on"),
            ("decisions", "raised_on", "decided_on"),
            ("meetings", "planned_on", "held_on"),
            ("assessment_rounds", "opened_on", "closes_on"),
            ("strategies", "documented_on", "approved_us_on"),
            ("strategies", "documented_on", "approved_partner_on"),
        ]
        for table, early, late in pairs:
            d = f[table].dropna(subset=[early, late])
            assert (d[late] >= d[early]).all(), (table, early, late)
        k = f["kpis"].dropna(subset=["baseline", "target"])
        up = k["direction"] == "increase"
        assert (k.loc[up, "target"] > k.loc[up, "baseline"]).all()
        assert (k.loc[~up, "target"] < k.loc[~up, "baseline"]).all()
        m = f["meetings"]
        assert m["held_on"].notna().eq(m["status"] == "held").all()
        rounds = f["assessment_rounds"].set_index("id")
        resp = f["respondents"].set_index("id")
        ans = f["answers"]
        opened = ans["respondent_id"].map(resp["round_id"]).map(rounds["opened_on"])
        closes = ans["respondent_id"].map(resp["round_id"]).map(rounds["closes_on"])
        assert ans["answered_at"].between(opened, closes + pd.Timedelta(days=1)).all()


def test_attendees_are_body_members(frames):
    meetings = frames["meetings"].set_index("id")
    att = frames["attendance"]
    members = frames["body_members"]
    pairs = set(zip(members["body_id"], members["person_id"], strict=True))
    bodies = att["meeting_id"].map(meetings["body_id"])
    assert all((b, p) in pairs for b, p in zip(bodies, att["person_id"], strict=True))


def test_survey_shape(frames):
    answers, resp = frames["answers"], frames["respondents"]
    assert set(answers["statement_id"]) == set(sample.STATEMENTS)
    assert len(sample.STATEMENTS) == 24
    assert (answers.groupby("respondent_id").size() == 24).all()
    per_side = resp.groupby(["round_id", "side"]).size()
    assert per_side.between(3, 6).all()
    assert len(per_side) == 2 * len(frames["assessment_rounds"])
    assert (frames["assessment_rounds"]["questionnaire_version"] == "2026.1").all()
    dont_know = answers["score"].isna().mean()
    assert 0.02 < dont_know < 0.15
    comments = answers["comment"].dropna()
    # characters that must be escaped, but no markup (see test_sample_text_is_plain...)
    assert comments.str.contains(">").any() and comments.str.contains("&").any()
    assert comments.str.contains('"').any()


# --- coherence: the records show the health the generator designed ---------------------


def _meeting_alliance(frames) -> pd.DataFrame:
    bodies = frames["governance_bodies"].set_index("id")
    m = frames["meetings"].copy()
    m["alliance_id"] = m["body_id"].map(bodies["alliance_id"])
    m["kind"] = m["body_id"].map(bodies["kind"])
    return m


def _exec_presence(frames) -> pd.Series:
    """Share of held steering meetings with at least one VP-or-above present."""
    m = _meeting_alliance(frames)
    esc = m[(m["kind"] == "executive steering committee") & (m["status"] == "held")]
    level = frames["attendance"]["person_id"].map(frames["people"].set_index("id")["org_level"])
    att = frames["attendance"].assign(
        exec=frames["attendance"]["attended"] & (level.map(ORG_LEVEL_RANK) >= ORG_LEVEL_RANK["vp"])
    )
    present = att.groupby("meeting_id")["exec"].any()
    return esc["id"].map(present).fillna(False).groupby(esc["alliance_id"]).mean()


def _held_ratio(frames) -> pd.Series:
    m = _meeting_alliance(frames)
    return (m["status"] == "held").groupby(m["alliance_id"]).mean()


def _kpi_missing(frames) -> pd.Series:
    k = frames["kpis"]
    cols = ["owner", "unit", "baseline", "target", "due_date", "cadence", "data_source"]
    return k[cols].isna().mean(axis=1).groupby(k["alliance_id"]).mean()


def _fill(frames) -> pd.Series:
    r = frames["resources"]
    g = r.groupby("alliance_id")
    return g["fte_assigned"].sum() / g["fte_committed"].sum()


def _survey(frames) -> pd.DataFrame:
    rounds = frames["assessment_rounds"].set_index("id")
    resp = frames["respondents"].set_index("id")
    a = frames["answers"].copy()
    rid = a["respondent_id"].map(resp["round_id"])
    a["alliance_id"] = rid.map(rounds["alliance_id"])
    a["period"] = rid.map(rounds["period"])
    a["side"] = a["respondent_id"].map(resp["side"])
    a["crack"] = a["statement_id"].str[1].astype(int)
    return a


def test_failing_alliance_is_worse_than_every_healthy_one(frames):
    checks = {
        "exec presence": _exec_presence(frames),
        "held/planned": _held_ratio(frames),
        "KPI fields filled": 1 - _kpi_missing(frames),
        "resource fill": _fill(frames),
        "survey score": _survey(frames).groupby("alliance_id")["score"].mean(),
    }
    for what, values in checks.items():
        assert values["A011"] < values[HEALTHY].min(), (what, values.round(2).to_dict())


def test_sponsors_and_outcome(frames):
    al = frames["alliances"].set_index("id")
    strong = ORG_LEVEL_RANK["vp"]
    for aid in HEALTHY:
        assert ORG_LEVEL_RANK[al.loc[aid, "our_sponsor_level"]] >= strong
        assert ORG_LEVEL_RANK[al.loc[aid, "partner_sponsor_level"]] >= strong
    assert pd.isna(al.loc["A011", "partner_sponsor"])
    out = frames["outcomes"].set_index("alliance_id")
    assert list(out.index) == ["A012"]
    assert out.loc["A012", "outcome"] in ("failed", "exited")
    assert out.loc["A012", "ended_on"] == al.loc["A012", "end_date"]
    # nothing recorded for the ended alliance after it ended
    m = _meeting_alliance(frames)
    assert (m.loc[m["alliance_id"] == "A012", "planned_on"] <= al.loc["A012", "end_date"]).all()


def test_designed_cracks_show_in_the_last_survey(frames):
    a = _survey(frames)
    last = a[a["period"] == LAST].groupby(["alliance_id", "crack"])["score"].mean().unstack()
    for aid, cracks in sample.PROFILES.items():
        if aid in ("A011", "A012"):
            continue
        for crack in range(1, 7):
            if crack in cracks:
                assert last.loc[aid, crack] < 3.0, (aid, crack)
            else:
                assert last.loc[aid, crack] > 3.5, (aid, crack)


def test_opening_crack_declines_in_the_last_period(frames):
    a = _survey(frames)
    means = a.groupby(["alliance_id", "crack", "period"])["score"].mean()
    prev = periods.previous(LAST)
    for aid, crack in (("A007", 4), ("A009", 6)):
        drop = (means[aid, crack, prev] - means[aid, crack, LAST]) * 25  # 1-5 -> 0-100
        assert drop >= 10, (aid, crack, drop)


def test_blind_spot_on_trust_in_a010(frames):
    a = _survey(frames)
    sides = a[(a["alliance_id"] == "A010") & (a["crack"] == 3) & (a["period"] == LAST)]
    mean = sides.groupby("side")["score"].mean()
    assert mean["us"] - mean["partner"] >= 1.0  # 25+ points on 0-100


def test_weak_strategy_and_kpi_cracks_have_more_dont_know(frames):
    a = _survey(frames)
    dk = a["score"].isna().groupby([a["alliance_id"], a["crack"]]).mean()
    healthy = dk[HEALTHY].mean()
    assert dk["A011", 2] > 2 * healthy and dk["A011", 4] > 2 * healthy
    assert dk["A007", 4] > healthy


def test_weak_records_for_specific_cracks(frames):
    issues = frames["issues"]
    unresolved = issues["resolved_on"].isna().groupby(issues["alliance_id"]).sum()
    assert unresolved["A010"] > unresolved[HEALTHY].max()  # trust
    s = frames["strategies"].set_index("alliance_id")
    assert s.loc[HEALTHY, "approved_partner_on"].notna().all()
    r = frames["resources"]
    a009 = r[r["alliance_id"] == "A009"].groupby("side")
    ratio = a009["fte_assigned"].sum() / a009["fte_committed"].sum()
    assert ratio["partner"] < 0.75 < ratio["us"]
    ag = frames["agreements"]
    end = pd.Timestamp(periods.end(LAST))
    window = ag["expires_on"] - pd.to_timedelta(ag["notice_days"].astype(float), unit="D")
    assert ((window <= end) & (ag["expires_on"] > end)).any()


def test_large_portfolio_profiles_and_outcomes(large):
    al = large["alliances"]
    assert al["id"].is_unique and len(al) == 300
    prof = sample.profiles(300, seed=3)
    assert prof["A011"] == (1, 2, 3, 4, 5, 6)
    healthy = sum(1 for c in prof.values() if not c)
    assert 0.35 < healthy / 300 < 0.65
    out = large["outcomes"]
    assert set(out["alliance_id"]) == set(al.loc[al["end_date"].notna(), "id"])
    assert (al.loc[al["end_date"].notna(), "stage"] == "8 exit strategy").all()
    per = large["respondents"].groupby(["round_id", "side"]).size()
    assert per.between(2, 3).all()
    assert large["assessment_rounds"]["period"].nunique() == 2


def test_outcomes_correlate_with_health():
    f = sample.portfolio(
        n_alliances=1500, seed=11, last_period=LAST, respondents_per_side=(1, 1), survey_periods=1
    )
    prof = sample.profiles(1500, seed=11)
    out = f["outcomes"].assign(open=lambda d: d["alliance_id"].map(lambda a: len(prof[a])))
    assert len(out) > 30
    failed = out["outcome"] != "succeeded"
    assert out.loc[failed, "open"].mean() > out.loc[~failed, "open"].mean() + 1


def test_validates_with_no_problems(frames, large):
    schemas = pytest.importorskip("alliance_kit.records.schemas")
    for data in (frames, large):
        problems = schemas.validate(data, source="sample")
        assert not problems, [p.message for p in problems[:5]]


def test_load_into_store(store):
    written = sample.load(store, last_period=LAST)
    frames = sample.portfolio(last_period=LAST)
    assert written == {name: len(frame) for name, frame in frames.items()}
    assert store.counts() == written
    back = store.read_all(["alliances", "answers"])
    assert sorted(back["alliances"]["partner"]) == sorted(frames["alliances"]["partner"])
    assert back["answers"]["score"].isna().sum() == frames["answers"]["score"].isna().sum()
    assert np.isclose(back["answers"]["score"].mean(), frames["answers"]["score"].mean())


def test_rejects_bad_arguments():
    with pytest.raises(ValueError):
        sample.portfolio(n_alliances=0, last_period=LAST)
    with pytest.raises(ValueError):
        sample.portfolio(last_period=LAST, respondents_per_side=(4, 2))


def test_sample_text_is_plain_with_no_markup():
    """Escaping is right, so markup in sample text would show literally (`<b>paused</b>`)
    on an executive's page: the sample's own text carries none."""
    frames = sample.portfolio(n_alliances=12, seed=7)
    tag = re.compile(r"<\s*/?\s*[a-zA-Z][^>]*>|<[a-z]+>")
    for name, df in frames.items():
        for col in df.select_dtypes(include=["object", "string"]).columns:
            texts = df[col].dropna()
            texts = texts[texts.map(lambda v: isinstance(v, str))]
            found = texts[texts.str.contains(tag)]
            assert found.empty, (name, col, found.head(3).tolist())
