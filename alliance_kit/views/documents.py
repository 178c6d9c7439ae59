"""Documents rendered from ``templates/`` for both partners to sign off: the strategy
(Imagine), the business case (Imagine) and the governance charter (Align). One Jinja
environment, one way to make user text inert, one way to write a document to a folder.
The principles assemble each document's content; this module only renders and writes it."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2
import markupsafe
import pandas as pd

from alliance_kit import config
from alliance_kit.align.governance import charter_context
from alliance_kit.imagine.business_case import BusinessCaseSummary
from alliance_kit.imagine.strategy import document_context
from alliance_kit.records.paths import safe_child
from alliance_kit.views import formatting

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
    folder is refused (:func:`alliance_kit.records.paths.safe_child`), before anything is made."""
    if fmt not in ("html", "md"):
        raise ValueError(f"fmt is 'html' or 'md', not {fmt!r}")
    folder = Path(folder)
    path = safe_child(folder, f"{alliance_id}_{kind}.{fmt}")
    folder.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# --- strategy (Imagine) ----------------------------------------------------------------


def strategy_document(
    frames: dict[str, pd.DataFrame],
    alliance_id: str,
    fmt: str = "html",
    period: str | None = None,
    *,
    fragment: bool = False,
) -> str:
    """The one-page strategy document for both partners to sign off, from
    ``templates/strategy.{html,md}.j2``. HTML is autoescaped (user text is data);
    Markdown escapes HTML and Markdown characters in user text. ``fragment=True`` gives
    the HTML without the page around it, with scoped styles, to show inside a notebook."""
    env = environment(fmt)
    ctx = document_context(frames, alliance_id, period)
    return env.get_template(f"strategy.{fmt}.j2").render(**ctx, fragment=fragment)


def write_strategy(text: str, folder: str | Path, alliance_id: str, fmt: str) -> Path:
    """Write a rendered strategy as ``<folder>/<alliance_id>_strategy.<fmt>``; the path."""
    return write_document(text, folder, alliance_id, "strategy", fmt)


# --- business case (Imagine) -----------------------------------------------------------


def _money(value: float | None, currency: str = "") -> str:
    return formatting.money(value, currency, style="full", missing="n/a")


def _pct(value: float | None, nd: int = 1) -> str:
    return formatting.pct(value, nd, missing="n/a")


def _years(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "never within the horizon"
    return f"{value:.1f} years"


def business_case_document(
    summary: BusinessCaseSummary, fmt: str = "html", *, charts: bool = False
) -> str:
    """The business-case document from ``templates/business_case.{html,md}.j2``.

    HTML is autoescaped (user text such as assumptions is data); Markdown escapes HTML
    and Markdown characters in user text. ``charts=True`` embeds the tornado and the
    Monte Carlo band as inline SVG in HTML (offline; about 50 ms a chart).
    """
    env = environment(fmt)
    env.filters.update(money=_money, pct=_pct, years=_years)
    template = env.get_template(f"business_case.{fmt}.j2")
    svgs: dict[str, Any] = {}
    if charts and fmt == "html":
        from alliance_kit.views.charts import bands_chart, chart_svg, tornado_chart

        svgs["tornado"] = markupsafe.Markup(
            chart_svg(tornado_chart(summary.tornado, currency=summary.currency))
        )
        if summary.monte_carlo is not None:
            svgs["bands"] = markupsafe.Markup(
                chart_svg(bands_chart(summary.monte_carlo.bands, currency=summary.currency))
            )
    return template.render(s=summary, mc=summary.monte_carlo, cur=summary.currency, charts=svgs)


def write_business_case(
    summary: BusinessCaseSummary, folder: str | Path, fmt: str = "html", *, charts: bool = True
) -> Path:
    """Render the business-case document and write it to
    ``<folder>/<alliance_id>_business_case.<fmt>`` (folder created); returns the path."""
    text = business_case_document(summary, fmt, charts=charts and fmt == "html")
    return write_document(text, folder, summary.alliance_id, "business_case", fmt)


# --- governance charter (Align) --------------------------------------------------------


def charter_document(
    frames: Mapping[str, pd.DataFrame],
    alliance_id: str,
    period: str,
    fmt: str = "html",
    *,
    fragment: bool = False,
    window: int = 4,
) -> str:
    """The governance charter from ``templates/governance_charter.{html,md}.j2``: bodies
    and members, cadence, escalation path, RACI and the adherence figures. HTML is
    autoescaped (user text is data); Markdown escapes user text with the ``md`` filter.
    ``fragment=True`` leaves out the page around the HTML (to preview in a notebook)."""
    env = environment(fmt)
    env.filters["level"] = lambda v: v or "—"
    ctx = charter_context(dict(frames), alliance_id, period, window)
    return env.get_template(f"governance_charter.{fmt}.j2").render(**ctx, fragment=fragment)


def write_charter(
    frames: Mapping[str, pd.DataFrame],
    alliance_id: str,
    folder: str | Path,
    period: str | None = None,
    fmt: str = "html",
) -> Path:
    """Render the charter and write it as ``<folder>/<alliance_id>_governance_charter.<fmt>``
    (an id that would lead out of the folder is refused); returns the path."""
    safe_child(Path(folder), f"{alliance_id}_governance_charter.{fmt}")  # before any work
    text = charter_document(frames, alliance_id, period, fmt)
    return write_document(text, folder, alliance_id, "governance_charter", fmt)
