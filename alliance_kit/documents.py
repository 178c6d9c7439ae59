"""Documents rendered from ``templates/`` (strategy, business case, governance charter):
one Jinja environment and one way to make user text inert."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
import pandas as pd

from alliance_kit import config
from alliance_kit.paths import safe_child

_MARKDOWN_SPECIAL = ("\\", "`", "*", "_", "[", "]", "#", "|")


def templates_dir():
    return config.project_root() / "templates"


def md_text(value: Any) -> str:
    """User text made inert in Markdown: HTML characters escaped, Markdown characters
    backslashed, on one line (so it cannot break a table)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    text = str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    for ch in _MARKDOWN_SPECIAL:
        text = text.replace(ch, "\\" + ch)
    return " ".join(text.split())


def environment(fmt: str) -> jinja2.Environment:
    """The template environment for ``fmt`` 'html' (autoescaped: user text is data) or
    'md' (user text goes through the ``md`` filter)."""
    if fmt not in ("html", "md"):
        raise ValueError(f"fmt is 'html' or 'md', not {fmt!r}")
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        autoescape=(fmt == "html"),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["md"] = md_text
    return env


def write_document(text: str, folder: str | Path, alliance_id: str, kind: str, fmt: str) -> Path:
    """Write a rendered document as ``<folder>/<alliance_id>_<kind>.<fmt>`` (folder
    created) and return the path; an alliance id that would name a file outside the
    folder is refused (:func:`alliance_kit.paths.safe_child`), before anything is made."""
    if fmt not in ("html", "md"):
        raise ValueError(f"fmt is 'html' or 'md', not {fmt!r}")
    folder = Path(folder)
    path = safe_child(folder, f"{alliance_id}_{kind}.{fmt}")
    folder.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
