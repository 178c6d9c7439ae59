"""User text in documents is data: inert in Markdown, escaped in HTML."""

from __future__ import annotations

import os

import pytest

from alliance_kit.records import sample
from alliance_kit.records.paths import UnsafePath, safe_child
from alliance_kit.views import documents


def test_md_text_makes_user_text_inert() -> None:
    assert documents.md_text("<b>x</b> | *y*\nz") == "&lt;b&gt;x&lt;/b&gt; \\| \\*y\\* z"
    assert documents.md_text(None) == "" and documents.md_text(float("nan")) == ""


def test_html_environment_autoescapes_and_md_does_not() -> None:
    html = documents.environment("html").from_string("{{ v }}").render(v="<script>")
    assert html == "&lt;script&gt;"
    md = documents.environment("md").from_string("{{ v | md }}").render(v="<script>")
    assert md == "&lt;script&gt;"
    with pytest.raises(ValueError, match="'html' or 'md'"):
        documents.environment("pdf")


# --- file names from user data stay inside their folder ------------------------------------

ESCAPES = ["../../x", "..", ".", "", "a/b", "a\\b", ".hidden", "A\x001", "/etc/passwd"]


@pytest.mark.parametrize("name", ESCAPES)
def test_safe_child_refuses_names_that_leave_the_folder(tmp_path, name) -> None:
    with pytest.raises(UnsafePath):
        safe_child(tmp_path / "docs", name)


def test_safe_child_follows_links_out_of_the_folder(tmp_path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "elsewhere").mkdir()
    os.symlink(tmp_path / "elsewhere", tmp_path / "docs" / "alliances")
    assert safe_child(tmp_path / "docs", "A001.html") == tmp_path / "docs" / "A001.html"
    os.symlink(tmp_path / "elsewhere" / "x.html", tmp_path / "docs" / "A002.html")
    with pytest.raises(UnsafePath, match="would lead out"):
        safe_child(tmp_path / "docs", "A002.html")


@pytest.mark.parametrize("alliance_id", ["../../../../tmp/x", "A\x001", "a/b"])
def test_documents_refuse_an_alliance_id_that_leaves_their_folder(tmp_path, alliance_id) -> None:
    """The strategy, business-case and charter documents are named after the alliance id:
    an id from a store written before ids were checked cannot write elsewhere."""
    folder = tmp_path / "sub" / "docs"
    frames = sample.portfolio(n_alliances=2, last_period="2026-Q3")
    with pytest.raises(UnsafePath):
        documents.write_strategy("text", folder, alliance_id, "md")
    with pytest.raises(UnsafePath):
        documents.write_document("text", folder, alliance_id, "business_case", "html")
    with pytest.raises(UnsafePath):
        documents.write_charter(frames, alliance_id, folder, "2026-Q3", "md")
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []
    path = documents.write_charter(frames, "A001", folder, "2026-Q3", "md")
    assert path == folder / "A001_governance_charter.md" and path.read_text()
