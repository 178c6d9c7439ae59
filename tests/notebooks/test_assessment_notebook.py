"""The assessment workbook runs headless under papermill against the sample portfolio:
it opens (or creates) the round, adds respondents given as parameters and records the
response status per side, which equals the package's own figures."""

from __future__ import annotations

from pathlib import Path

import pytest

from alliance_kit.assess import survey
from alliance_kit.records import questionnaire
from alliance_kit.records import sample
from alliance_kit.views.notebook import recorded
from alliance_kit.records.store import Store

pytestmark = pytest.mark.notebook
NOTEBOOK = (
    Path(__file__).resolve().parents[2] / "notebooks" / "assess" / "10_health_assessment.ipynb"
)
NEW = [
    {"side": "us", "role": "sponsor", "org_level": "svp", "label": "A.B."},
    {"side": "partner", "role": "finance", "org_level": "director", "label": "<i>C.D.</i>"},
]


@pytest.fixture(scope="module")
def store_path(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("assess") / "store.sqlite"
    store = Store(str(path))
    store.migrate()
    sample.load(store, last_period="2026-Q3")
    store.engine.dispose()
    return str(path)


def test_workbook_on_an_existing_round(run_notebook, store_path):
    store = Store(store_path)
    before = survey.find_round(store, "A003", "2026-Q3")
    assert before is not None, "the sample portfolio has a 2026-Q3 round for A003"
    n_before = len(store.read("respondents", {"round_id": before["id"]}))

    nb = run_notebook(
        NOTEBOOK, db=store_path, alliance="A003", period="2026-Q3", new_respondents=NEW
    )
    results = recorded(nb)
    assert results["round_id"] == before["id"]
    assert results["questionnaire_version"] == before["questionnaire_version"]
    respondents = store.read("respondents", {"round_id": before["id"]})
    assert len(respondents) == n_before + 2
    n = len(questionnaire.load(before["questionnaire_version"]).statements)
    expected = survey.response_status(
        survey.survey_frames(store, before["id"]), before["id"], n_statements=n
    )
    got = results["response_status"]
    assert [r["side"] for r in got] == ["us", "partner"]
    for row, exp in zip(got, expected.to_dict("records"), strict=True):
        for col in ("respondents", "invited", "started", "completed"):
            assert row[col] == exp[col]
        assert row["response_rate"] == pytest.approx(exp["response_rate"])
    # aggregates only: no respondent's comment in any output
    text = "".join(str(o) for c in nb.cells for o in c.get("outputs", []))
    comments = store.read("answers")["comment"].dropna()
    assert not any(c in text for c in comments.head(50) if len(c) > 12)
    store.engine.dispose()


def test_workbook_creates_a_round_for_a_new_period(run_notebook, store_path):
    store = Store(store_path)
    assert survey.find_round(store, "A001", "2026-Q4") is None
    nb = run_notebook(NOTEBOOK, db=store_path, alliance="A001", period="2026-Q4")
    rnd = survey.find_round(store, "A001", "2026-Q4")
    assert rnd is not None
    assert rnd["questionnaire_version"] == questionnaire.newest()
    results = recorded(nb)
    assert results["round_id"] == rnd["id"]
    assert [r["respondents"] for r in results["response_status"]] == [0, 0]
    store.engine.dispose()
