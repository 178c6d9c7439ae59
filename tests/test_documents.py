"""User text in documents is data: inert in Markdown, escaped in HTML."""

from __future__ import annotations

import pytest

from alliance_kit import documents


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
