"""The Align workbooks run headless under papermill against the sample store (A003,
2026-Q3) and what they record equals the package's own figures."""

from __future__ import annotations

from pathlib import Path

import pytest

from alliance_kit.align import agreements, governance
from alliance_kit.views.notebook import recorded
from alliance_kit.records.store import Store

pytestmark = pytest.mark.notebook
ALIGN = Path(__file__).resolve().parents[2] / "notebooks" / "align"


@pytest.fixture(scope="module")
def frames(sample_db):
    store = Store(sample_db)
    try:
        return store.read_all()
    finally:
        store.engine.dispose()


def test_agreements_workbook(run_notebook, frames):
    nb = run_notebook(ALIGN / "04_agreements.ipynb")
    r = recorded(nb)
    assert r["alliance"] == "A003" and r["as_of"] == "2026-09-30"
    expected = agreements.alerts(frames, "2026-09-30", "A003")
    assert r["alert_counts"] == agreements.alert_counts(expected)
    assert r["alert_counts"]["notice window"] >= 1  # the sample's MAA is in its window
    assert r["states"]["A003-AG02"] == "in notice window"
    cov = agreements.briefing_coverage(frames, "A003")
    assert [row["briefed"] for row in r["briefing_coverage"]] == list(cov["briefed"])
    assert r["agreements"] == len(agreements.register(frames, "2026-09-30", "A003"))


def test_governance_workbook(run_notebook, frames, tmp_path):
    nb = run_notebook(ALIGN / "05_governance.ipynb", documents_dir=str(tmp_path))
    r = recorded(nb)
    assert r["alliance"] == "A003" and r["period"] == "2026-Q3"
    fig = governance.adherence_figures(frames, "2026-Q3", alliance_id="A003").iloc[0]
    # the figures the workbook shows are the ones health scoring uses (window 4)
    m = governance.meeting_adherence(frames, "2026-Q3", 4).set_index("alliance_id").loc["A003"]
    assert r["adherence"]["meeting_rate"] == pytest.approx(m["rate"])
    for key in ("meetings_held", "actions_due", "actions_closed", "overdue_actions"):
        assert r["adherence"][key] == pytest.approx(fig[key])
    assert [t["period"] for t in r["trend"]] == ["2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3"]
    assert r["escalation"].count("→") == 2
    assert sorted(r["charter_files"]) == ["A003_governance_charter.html",
                                          "A003_governance_charter.md"]  # fmt: skip
    assert (tmp_path / "A003_governance_charter.html").read_text().startswith("<!DOCTYPE html>")
