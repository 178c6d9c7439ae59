"""The strategy workbook's functions: document, communication log, crack 2 evidence."""

from __future__ import annotations

import pytest

from alliance_kit.assess import indicators
from alliance_kit.imagine import strategy
from alliance_kit.records import sample
from alliance_kit.views import documents

SCRIPT = "<script>alert('x')</script>"


@pytest.fixture(scope="module")
def frames():
    return sample.portfolio(last_period="2026-Q3")


def with_vision(frames, alliance_id, vision):
    f = dict(frames)
    s = f["strategies"].copy()
    s.loc[s["alliance_id"] == alliance_id, "vision"] = vision
    f["strategies"] = s
    return f


def test_html_document_escapes_user_text(frames) -> None:
    f = with_vision(frames, "A001", SCRIPT + " & more")
    html = documents.strategy_document(f, "A001", "html")
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; more" in html
    assert "cdn" not in html.lower()
    fragment = documents.strategy_document(f, "A001", "html", fragment=True)
    assert "<script>" not in fragment and "<html" not in fragment and "ak-strategy" in fragment


def test_markdown_document_makes_user_text_inert(frames) -> None:
    f = with_vision(frames, "A001", SCRIPT + " | *bold*")
    md = documents.strategy_document(f, "A001", "md")
    assert "<script>" not in md and "&lt;script&gt;" in md
    assert "\\| \\*bold\\*" in md
    assert md.startswith("# Alliance strategy: Cloud Co-Sell Program")


def test_document_shows_what_is_missing_and_the_sign_off(frames) -> None:
    # A010's sample strategy lacks the partner's value proposition and both approvals
    md = documents.strategy_document(frames, "A010", "md")
    assert "**Not ready for sign-off:** Value for the partner still to be written." in md
    assert "| Approved on |  |  |" in md
    complete = documents.strategy_document(frames, "A001", "md")
    assert "Not ready" not in complete and "| Approved on | 2025-05-15 | 2025-05-18 |" in complete


def test_document_of_an_unknown_alliance_says_so(frames) -> None:
    with pytest.raises(ValueError, match="no alliance 'A999'"):
        documents.strategy_document(frames, "A999")
    with pytest.raises(ValueError, match="fmt is"):
        documents.strategy_document(frames, "A001", "pdf")


def test_write_document(tmp_path, frames) -> None:
    path = documents.write_strategy("x", tmp_path / "docs", "A001", "md")
    assert path.name == "A001_strategy.md" and path.read_text() == "x"


def test_communication_log_lists_strategy_briefings_newest_first(frames) -> None:
    log = strategy.communication_log(frames, "A001")
    b = frames["briefings"]
    expected = b[(b["alliance_id"] == "A001") & (b["topic"] == "strategy")]
    assert sorted(log["id"]) == sorted(expected["id"])
    assert log["briefed_on"].is_monotonic_decreasing
    assert list(log.columns) == ["id", "side", "audience", "briefed_on", "acknowledged"]


def test_crack2_evidence_is_the_health_assessments(frames) -> None:

    ev = indicators.crack_evidence(frames, "A010", "2026-Q3", 2)
    full = indicators.evidence(frames, "2026-Q3")
    full = full[(full["alliance_id"] == "A010") & (full["crack"] == 2)]
    assert ev["indicator"].tolist() == full["indicator"].tolist()
    assert ev["score"].tolist() == full["score"].tolist()
    # A010 was designed with crack 2 open: not approved, briefed without acknowledgement
    assert ev.set_index("indicator").loc["strategy_approved", "score"] == 0


def test_missing_sections() -> None:
    assert strategy.missing_sections({"vision": "v", "scope_in": " "}) == [
        "In scope",
        "Out of scope",
        "Value for us",
        "Value for the partner",
        "Target markets",
    ]
