"""The content of the periodic reports: each section of the alliance report and of the
portfolio report as a DataFrame or dataclass, computed from the domain functions, plus
their HTML rendering (every value escaped) so the report notebooks stay a few lines.

``prepare(frames, period)`` scores the portfolio once (this period and the previous one,
for "what changed"); the batch pickles the result and every notebook ``load``s it, so a
report renders instead of recomputing. A notebook run by hand reads the store instead.
"""

from __future__ import annotations

import datetime as dt
import functools
import html
import math
import os
import pickle
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from alliance_kit.assess import indicators, scoring
from alliance_kit.assess.alerts import ALERT_LABELS
from alliance_kit.assess.scoring import CRACKS, NOT_ASSESSED
from alliance_kit.records import periods
from alliance_kit.views.formatting import (
    MISSING,
    day,
    is_missing,
    kpi_value,
    measure,
    money,
    number,
    pct,
    plural,
    signed,
    text,
)

STATUS_ORDER = {"red": 0, "amber": 1, "green": 2}


# --- inputs ----------------------------------------------------------------------------


@dataclass
class PortfolioInputs:
    """Everything a period's reports need, computed once per batch."""

    period: str
    frames: dict[str, pd.DataFrame]
    scores: Any  # health.PortfolioScores of the period
    as_of: dt.date | None = None  # the day the inputs were read (None: today)
    memo: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def table(self, name: str, compute: Callable[[], Any]) -> Any:
        """A portfolio-wide table computed once per inputs (a warm kernel renders many
        reports from the same inputs, so per-alliance sections slice, not recompute)."""
        if name not in self.memo:
            self.memo[name] = compute()
        return self.memo[name]


def prepare(
    frames: Mapping[str, pd.DataFrame], period: str, as_of: dt.date | None = None
) -> PortfolioInputs:
    """Score the portfolio for ``period`` as of ``as_of`` (default today; see
    ``scoring.ScoringConfig.as_of``). The scores carry the previous quarter's figures too,
    for "what changed"."""
    from alliance_kit.assess import health

    frames = dict(frames)
    as_of = as_of or dt.date.today()
    scores = health.score_portfolio(frames, period, scoring.ScoringConfig(as_of=as_of))
    return PortfolioInputs(period=period, frames=frames, scores=scores, as_of=as_of)


@functools.lru_cache(maxsize=2)
def _load_pickle(path: str, mtime_ns: int) -> PortfolioInputs:
    with open(path, "rb") as fh:
        data = pickle.load(fh)
    if isinstance(data, PortfolioInputs):
        return data
    return PortfolioInputs(
        period=data["period"],
        frames=data["frames"],
        scores=data["scores"],
    )


def load(
    period: str | None = None, db: str | None = None, scores_path: str | None = None
) -> PortfolioInputs:
    """The report inputs: from the batch's precomputed file when ``scores_path`` is given
    (cached in the kernel, so a warm kernel reads it once), else from the store."""
    if scores_path:
        inputs = _load_pickle(str(scores_path), os.stat(scores_path).st_mtime_ns)
        if period and inputs.period != period:
            raise ValueError(f"{scores_path} holds {inputs.period}, not {period}")
        return inputs
    from alliance_kit.records.opening import open_store

    period = periods.check_started(period) if period else periods.last_closed()
    return prepare(open_store(db).read_all(), period)


# --- names ---------------------------------------------------------------------------


@functools.cache
def _crack_names() -> dict[int, str]:
    from alliance_kit.records import questionnaire

    return {n: c.name for n, c in questionnaire.cracks().items()}


def crack_name(crack: Any) -> str:
    """``4. Goals, objectives and KPIs``: the questionnaire's name of the crack."""
    if is_missing(crack):
        return "-"
    return f"{int(crack)}. {_crack_names().get(int(crack), f'Crack {crack}')}"


# --- HTML rendering (everything escaped) -----------------------------------------------

Formatter = Callable[[Any], str]


@dataclass
class Column:
    """One column of a rendered table: source column, header, formatter, alignment."""

    key: str
    label: str
    fmt: Formatter = text
    numeric: bool = False
    figure: str | None = None  # data-figure attribute, for machine-checked figures


def render_table(df: pd.DataFrame, columns: Sequence[Column], empty: str = "None.") -> str:
    """An HTML table of ``df`` with every cell escaped."""
    if df is None or df.empty:
        return f'<p class="ak-empty">{html.escape(empty)}</p>'
    head = "".join(
        f'<th class="{"num" if c.numeric else ""}">{html.escape(c.label)}</th>' for c in columns
    )
    rows = []
    for _, row in df.iterrows():
        cells = []
        for c in columns:
            value = row.get(c.key)
            attrs = ' class="num"' if c.numeric else ""
            if c.figure:
                raw = "" if is_missing(value) else str(value)
                attrs += f' data-figure="{html.escape(c.figure)}" data-value="{html.escape(raw)}"'
            cells.append(f"<td{attrs}>{html.escape(c.fmt(value))}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def status_text(status: Any, capped: bool = False) -> str:
    """``AMBER``, or ``AMBER (capped: red crack)`` for an alliance whose health index
    reads green but one of whose cracks is red (the knock-out rule)."""
    shown = text(status).upper()
    return f"{shown} (capped: red crack)" if capped and shown else shown


def status_badge(status: Any) -> str:
    """The status as a coloured badge; ``not assessed`` is grey (class not-assessed)."""
    s = text(status).lower() or "unknown"
    css = s.replace(" ", "-")
    return f'<span class="ak-status {html.escape(css)}">{html.escape(s.upper())}</span>'


def score(value: Any) -> str:
    """A score, gap or index as the scoring rounds it: one decimal."""
    return number(value, 1)


def signed_score(value: Any) -> str:
    return signed(value, 1)


def probability_range(p: Any, low: Any, high: Any) -> str:
    """``16% (10%-22%)``: a probability with its 90% range; ``-`` when not computed."""
    if is_missing(p):
        return "-"
    return f"{pct(p)} ({pct(low)}-{pct(high)})" if not is_missing(low) else pct(p)


#: What the failure probability and revenue at risk mean, said on every page that shows them.
HORIZON_NOTE = (
    "Failure probability is the chance of failing within the next 12 months: the risk "
    "model's chance over an alliance's life, spread over a {years:g}-year life at a constant "
    "yearly hazard, with its 90% range in brackets. Revenue at risk per year is expected "
    "annual revenue times that 12-month chance. Alliances not assessed get neither."
)


def plain(words: Any) -> str:
    """``words`` for an executive page: the health survey named in plain words instead of
    the command and notebook that run it (those are for whoever prepares the data)."""

    return text(words).replace(indicators.SURVEY, "the health survey")


def card(
    label: str, shown: str, *, figure: str | None = None, value: Any = None, sub: str = ""
) -> str:
    """A headline card: ``shown`` is HTML (already escaped), ``sub`` a line of plain text
    under the figure."""
    attrs = ""
    if figure:
        raw = "" if is_missing(value) else str(value)
        attrs = f' data-figure="{html.escape(figure)}" data-value="{html.escape(raw)}"'
    below = f'<div class="ak-sub">{html.escape(sub)}</div>' if sub else ""
    return (
        f'<div class="ak-card"><div class="label">{html.escape(label)}</div>'
        f'<div class="value"{attrs}>{shown}</div>{below}</div>'
    )


@dataclass
class Html:
    """Pre-rendered, already escaped HTML that displays itself in a notebook."""

    body: str

    def _repr_html_(self) -> str:
        return self.body


# --- score accessors -------------------------------------------------------------------


def _frame(scores: Any, name: str) -> pd.DataFrame:
    df = getattr(scores, name, None) if scores is not None else None
    return df if isinstance(df, pd.DataFrame) else pd.DataFrame()


def _pick(df: pd.DataFrame, *names: str) -> str | None:
    """The first of ``names`` that is a column of ``df`` (score frames name a few
    things in more than one way across versions)."""
    return next((n for n in names if n in df.columns), None)


def _get(row: Mapping[str, Any] | pd.Series, *names: str, default: Any = None) -> Any:
    for n in names:
        if n in row and not is_missing(row[n]):
            return row[n]
    return default


def _rows(df: pd.DataFrame, alliance_id: str) -> pd.DataFrame:
    if df.empty or "alliance_id" not in df.columns:
        return df.iloc[0:0]
    return df[df["alliance_id"] == alliance_id]


def alliance_row(inputs: PortfolioInputs, alliance_id: str) -> pd.Series:
    """The alliance's record; ValueError if the store has no such alliance."""
    a = inputs.frames["alliances"]
    hit = a[a["id"] == alliance_id]
    if hit.empty:
        raise ValueError(f"no alliance with id {alliance_id!r} in the store")
    return hit.iloc[0]


# --- the alliance report ---------------------------------------------------------------


@dataclass
class ExecutiveSummary:
    """The first thing an alliance report says."""

    alliance_id: str
    name: str
    partner: str
    period: str
    status: str
    health_index: float | None
    previous_health_index: float | None
    open_cracks: list[str]
    failure_probability: float | None
    expected_revenue: float | None
    revenue_at_risk: float | None
    currency: str
    changes: pd.DataFrame = field(repr=False)
    actions: pd.DataFrame = field(repr=False)
    capped: bool = False  # green by its index, held at amber by a red crack
    failure_low: float | None = None
    failure_high: float | None = None
    revenue_at_risk_low: float | None = None
    revenue_at_risk_high: float | None = None
    missing: str | None = None  # why the alliance is not assessed
    lifetime_years: float = 5.0
    cracks_scored: int = 6  # cracks with a score this period (open cracks are among them)

    @property
    def change(self) -> float | None:
        if self.health_index is None or self.previous_health_index is None:
            return None
        return round(self.health_index - self.previous_health_index, 1)

    def figures(self) -> dict[str, Any]:
        """Key figures for the run manifest (JSON-friendly)."""
        return {
            "alliance_id": self.alliance_id,
            "name": self.name,
            "status": self.status,
            "health_index": _round(self.health_index, 1),
            "change": _round(self.change, 1),
            "open_cracks": len(self.open_cracks) if self.cracks_scored else None,
            "failure_probability": _round(self.failure_probability, 4),
            "failure_probability_low": _round(self.failure_low, 4),
            "failure_probability_high": _round(self.failure_high, 4),
            "expected_revenue": _round(self.expected_revenue, 2),
            "revenue_at_risk": _round(self.revenue_at_risk, 2),
            "currency": self.currency,
            "missing": self.missing,
        }

    def _rar_range(self) -> str:
        low = money(self.revenue_at_risk_low, self.currency)
        return f"{low}-{money(self.revenue_at_risk_high, self.currency)} (90% range)"

    def _repr_html_(self) -> str:
        cards = [
            card(
                "Overall status",
                status_badge(self.status)
                + ('<div class="ak-sub">capped: a crack is red</div>' if self.capped else ""),
                figure="status",
                value=self.status,
            ),
            card(
                "Health index",
                html.escape(score(self.health_index)),
                figure="health_index",
                value=_round(self.health_index, 1),
            ),
            card(
                "Since last period",
                html.escape(signed_score(self.change)),
                figure="change",
                value=_round(self.change, 1),
            ),
            card(
                "Open cracks",
                html.escape(str(len(self.open_cracks)) if self.cracks_scored else MISSING)
                + (
                    f'<div class="ak-sub">of {self.cracks_scored} scored</div>'
                    if 0 < self.cracks_scored < len(CRACKS)
                    else ""
                ),
                figure="open_cracks",
                value=len(self.open_cracks) if self.cracks_scored else None,
            ),
            card(
                "Failure within 12 months",
                html.escape(
                    probability_range(self.failure_probability, self.failure_low, self.failure_high)
                ),
                figure="failure_probability",
                value=_round(self.failure_probability, 4),
            ),  # fmt: skip
            card(
                "Revenue at risk / year",
                html.escape(money(self.revenue_at_risk, self.currency)),
                figure="revenue_at_risk",
                value=_round(self.revenue_at_risk, 2),
                sub=self._rar_range() if self.revenue_at_risk_low is not None else "",
            ),
        ]
        parts = [f'<div class="ak-cards">{"".join(cards)}</div>']
        if self.missing:
            items = "".join(f"<li>{html.escape(m)}</li>" for m in self.missing.split("; "))
            parts.append(
                '<div class="ak-missing"><strong>Not assessed</strong>: no health index, '
                f"failure probability or revenue at risk until this is supplied:<ul>{items}</ul>"
                "</div>"
            )
        horizon = HORIZON_NOTE.format(years=self.lifetime_years)
        parts.append(f'<p class="ak-note">{html.escape(horizon)}</p>')
        if self.open_cracks:
            cracks = ", ".join(html.escape(c) for c in self.open_cracks)
            parts.append(f"<p><strong>Open cracks:</strong> {cracks}.</p>")
        elif not self.cracks_scored:
            parts.append("<p><strong>No crack is scored</strong> this period.</p>")
        elif self.cracks_scored < len(CRACKS):
            parts.append(
                f"<p><strong>No crack is open</strong> among the {self.cracks_scored} scored "
                f"this period; {len(CRACKS) - self.cracks_scored} are not scored.</p>"
            )
        else:
            parts.append("<p><strong>No crack is open</strong> this period.</p>")
        parts.append("<h3>What changed since last period</h3>")
        parts.append(
            render_table(
                self.changes,
                [Column("what", "Change"), Column("detail", "Detail")],
                empty="Nothing moved enough to raise an alert.",
            )
        )
        parts.append("<h3>Top three actions</h3>")
        if self.actions.empty:
            none = (
                "No action can be ranked until the cracks are scored."
                if self.missing
                else "No remedial action needed."
            )
            parts.append(f'<p class="ak-empty">{none}</p>')
        else:
            items = "".join(
                f"<li><strong>{html.escape(text(r['crack']))}:</strong> "
                f"{html.escape(text(r['action']))}"
                + (f" <em>({html.escape(text(r['element']))})</em>" if text(r["element"]) else "")
                + "</li>"
                for _, r in self.actions.iterrows()
            )
            parts.append(f'<ol class="ak-actions">{items}</ol>')
        return "\n".join(parts)


def _round(value: Any, digits: int) -> float | None:
    return None if is_missing(value) else round(float(value), digits)


def _alliance_score(scores: Any, alliance_id: str) -> pd.Series:
    rows = _rows(_frame(scores, "alliances"), alliance_id)
    return rows.iloc[0] if not rows.empty else pd.Series(dtype=object)


HEALTH_COLS = ("health_index", "health", "index")
FAILURE_COLS = ("failure_probability", "p_failure", "failure_prob")


def _cracks_scored(scores: Any, alliance_id: str) -> int:
    cracks = _rows(_frame(scores, "cracks"), alliance_id)
    if cracks.empty or "score" not in cracks.columns:
        return 0
    return int(cracks["score"].notna().sum())


def _open_cracks(scores: Any, alliance_id: str) -> list[str]:
    cracks = _rows(_frame(scores, "cracks"), alliance_id)
    if cracks.empty or "status" not in cracks.columns:
        return []
    bad = cracks[cracks["status"].isin(["red", "amber"])].copy()
    bad["_o"] = bad["status"].map(STATUS_ORDER)
    bad = bad.sort_values(["_o", "crack"])
    return [f"{crack_name(c)} ({s})" for c, s in zip(bad["crack"], bad["status"], strict=True)]


def crack_changes(inputs: PortfolioInputs, min_move: float = 5.0) -> pd.DataFrame:
    """What moved since the previous period, one line per alliance and crack (columns
    ``alliance_id``, ``crack``, ``what``, ``detail``): a score move of ``min_move``
    points or more and its status change, a widening perception gap and a high don't-know
    rate of the same crack are said together (``Trust: 72.0 → 48.0 (-24.0 points), now
    red (was amber)``), not once per alert. Alerts without a crack (response falling) get
    a line of their own. Most serious first: newly red, then the biggest drops."""
    cols = ["alliance_id", "crack", "what", "detail"]
    al = _frame(inputs.scores, "alerts")
    c = _frame(inputs.scores, "cracks")
    kinds: dict[tuple[str, int], dict[str, str]] = {}
    loose: list[dict[str, Any]] = []
    for _, a in al.iterrows():
        kind, message = text(_get(a, "kind")), text(_get(a, "message"))
        crack = _get(a, "crack")
        if crack is None:
            label = ALERT_LABELS.get(kind, kind or "Alert")
            loose.append({"alliance_id": a["alliance_id"], "crack": None, "what": label,
                          "detail": message[:1].upper() + message[1:], "_o": (2, 0.0)})  # fmt: skip
            continue
        # the alert's sentence after "crack N Name: " (or the whole of it)
        kinds.setdefault((a["alliance_id"], int(crack)), {})[kind] = message.split(": ", 1)[-1]
    rows: list[dict[str, Any]] = []
    if not c.empty and "change" in c.columns:
        moved = c["change"].abs() >= min_move
        keyed = [(a, int(k)) in kinds for a, k in zip(c["alliance_id"], c["crack"], strict=True)]
        for _, r in c[moved | pd.Series(keyed, index=c.index)].iterrows():
            found = kinds.pop((r["alliance_id"], int(r["crack"])), {})
            parts = []
            if not is_missing(r["change"]) and (
                abs(r["change"]) >= min_move or {"drop", "newly red"} & found.keys()
            ):
                part = (
                    f"{score(r['prev_score'])} → {score(r['score'])} "
                    f"({signed_score(r['change'])} points)"
                )
                if text(r["status"]) != text(r["prev_status"]):
                    part += f", now {text(r['status'])} (was {text(r['prev_status'])})"
                parts.append(part)
            parts += [found[k] for k in ("gap widening", "dont know") if k in found]
            change = 0.0 if is_missing(r["change"]) else float(r["change"])
            newly_red = r["status"] == "red" and r["prev_status"] in ("green", "amber")
            rows.append(
                {
                    "alliance_id": r["alliance_id"],
                    "crack": int(r["crack"]),
                    "what": crack_name(r["crack"]),
                    "detail": "; ".join(parts),
                    "_o": (0 if newly_red else 1, change),
                }
            )
    for (alliance_id, crack), found in kinds.items():  # alerts on a crack not in the grid
        rows.append({"alliance_id": alliance_id, "crack": crack, "what": crack_name(crack),
                     "detail": "; ".join(found.values()), "_o": (1, 0.0)})  # fmt: skip
    out = pd.DataFrame(rows + loose, columns=[*cols, "_o"])
    if out.empty:
        return pd.DataFrame(columns=cols)
    out = out.sort_values(["alliance_id", "_o"], kind="stable")
    return out[cols].reset_index(drop=True)


def changes(inputs: PortfolioInputs, alliance_id: str, min_move: float = 5.0) -> pd.DataFrame:
    """The alliance's lines of :func:`crack_changes` (columns ``what``, ``detail``)."""
    every = inputs.table(f"crack_changes_{min_move:g}", lambda: crack_changes(inputs, min_move))
    return _rows(every, alliance_id)[["what", "detail"]].reset_index(drop=True)


def top_actions(inputs: PortfolioInputs, alliance_id: str, n: int = 3) -> pd.DataFrame:
    """The ``n`` most urgent actions (columns ``crack``, ``action``, ``element``): the
    weakest open crack's first remedy, then the next crack's, and so on round-robin
    (from ``health.remedies``)."""
    from alliance_kit.assess import health

    cols = ["crack", "action", "element"]
    rem = health.remedies(inputs.scores, alliance_id)
    queue = []
    for depth in range(max((len(a) for a in rem["actions"]), default=0)):
        for _, r in rem.iterrows():
            if depth < len(r["actions"]):
                queue.append(
                    {
                        "crack": crack_name(r["crack"]),
                        "action": r["actions"][depth],
                        "element": text(r["elements"]),
                    }
                )
    return pd.DataFrame(queue[:n], columns=cols)


def executive_summary(inputs: PortfolioInputs, alliance_id: str) -> ExecutiveSummary:
    a = alliance_row(inputs, alliance_id)
    s = _alliance_score(inputs.scores, alliance_id)
    return ExecutiveSummary(
        alliance_id=alliance_id,
        name=text(a["name"]),
        partner=text(a["partner"]),
        period=inputs.period,
        status=text(_get(s, "status", default=NOT_ASSESSED)),
        health_index=_round(_get(s, *HEALTH_COLS), 1),
        previous_health_index=_round(_get(s, "prev_health_index"), 1),
        open_cracks=_open_cracks(inputs.scores, alliance_id),
        cracks_scored=_cracks_scored(inputs.scores, alliance_id),
        failure_probability=_round(_get(s, *FAILURE_COLS), 4),
        expected_revenue=_round(_get(s, "expected_revenue", default=a["expected_revenue"]), 2),
        revenue_at_risk=_round(_get(s, "revenue_at_risk"), 2),
        currency=text(_get(s, "currency", default=a["currency"])),
        changes=changes(inputs, alliance_id),
        actions=top_actions(inputs, alliance_id),
        capped=bool(_get(s, "knocked_out", default=False)),
        failure_low=_round(_get(s, "failure_probability_low"), 4),
        failure_high=_round(_get(s, "failure_probability_high"), 4),
        revenue_at_risk_low=_round(_get(s, "revenue_at_risk_low"), 2),
        revenue_at_risk_high=_round(_get(s, "revenue_at_risk_high"), 2),
        missing=_get(s, "missing"),
        lifetime_years=_lifetime_years(inputs),
    )


def _lifetime_years(inputs: PortfolioInputs) -> float:
    config = getattr(inputs.scores, "config", None)
    return float(getattr(config, "lifetime_years", 5.0))


def header(inputs: PortfolioInputs, alliance_id: str) -> Html:
    """Title block: alliance, partner, type, stage, owner and sponsors."""
    a = alliance_row(inputs, alliance_id)

    def sponsor(name: Any, level: Any) -> str:
        if not text(name):
            return "none named"
        return f"{text(name)} ({text(level)})" if text(level) else text(name)

    meta = (
        f"{html.escape(text(a['partner']))} &middot; {html.escape(text(a['type']))} &middot; "
        f"stage {html.escape(text(a['stage']))} &middot; owner {html.escape(text(a['owner']))}"
        f"<br>Sponsors: ours: {html.escape(sponsor(a['our_sponsor'], a['our_sponsor_level']))}; "
        f"partner's: "
        f"{html.escape(sponsor(a['partner_sponsor'], a['partner_sponsor_level']))}"
    )
    notes = text(a.get("notes"))
    notes_html = f'<p class="ak-note">{html.escape(notes)}</p>' if notes else ""
    return Html(
        f'<h1 data-figure="title">{html.escape(text(a["name"]))} &mdash; alliance report '
        f"{html.escape(periods.label(inputs.period, inputs.as_of))}</h1>"
        f'<p class="ak-meta">{meta}</p>{notes_html}'
    )


def cracks_by_side(inputs: PortfolioInputs, alliance_id: str) -> pd.DataFrame:
    """One row per crack: score, status, each side's survey score, the evidence score,
    the perception gap and its reading, and ``note``: why a figure is blank (withheld
    below the anonymity threshold, or what is missing), or why both sides' shared view
    and the status differ."""
    c = _rows(_frame(inputs.scores, "cracks"), alliance_id).copy()
    cols = ["crack", "name", "score", "status", "us", "partner", "evidence", "gap", "reading",
            "note"]  # fmt: skip
    if c.empty:
        return pd.DataFrame(columns=cols)
    out = pd.DataFrame(
        {
            "crack": c["crack"].astype(int),
            "name": [crack_name(x) for x in c["crack"]],
            "score": c["score"],
            "status": c["status"],
            "us": c["survey_us"],
            "partner": c["survey_partner"],
            "evidence": c["evidence"],
            "gap": c["gap"],
            "reading": c["reading"],
            "note": [
                "; ".join(text(v) for v in vals if text(v))
                for vals in zip(
                    c.get("missing", pd.Series(None, index=c.index)),
                    c.get("survey_withheld", pd.Series(None, index=c.index)),
                    c.get("reading_note", pd.Series(None, index=c.index)),
                    strict=True,
                )
            ],  # fmt: skip
        }
    )
    return out.sort_values("crack").reset_index(drop=True)


CRACK_COLUMNS = [
    Column("name", "Crack"),
    Column("status", "Status", lambda s: text(s).upper()),
    Column("score", "Score", score, True, figure="crack_score"),
    Column("us", "Our survey", score, True),
    Column("partner", "Partner's survey", score, True),
    Column("evidence", "Evidence", score, True),
    Column("gap", "Gap (us - partner)", signed_score, True),
    Column("reading", "Reading"),
    Column("note", "Note"),
]


def kpis_vs_target(inputs: PortfolioInputs, alliance_id: str) -> pd.DataFrame:
    """Each KPI's latest actual up to the period against its baseline and target:
    ``progress`` is the share of the way from baseline to target (1 = target met)."""
    k = inputs.frames["kpis"]
    k = k[k["alliance_id"] == alliance_id]
    cols = [
        "kpi",
        "unit",
        "owner_side",
        "baseline",
        "target",
        "due_date",
        "actual",
        "actual_period",
    ]
    cols += ["progress", "on_track", "agreed_by_both"]
    if k.empty:
        return pd.DataFrame(columns=cols)
    act = inputs.frames["kpi_actuals"]
    act = act[act["kpi_id"].isin(k["id"]) & (act["period"] <= inputs.period)]
    latest = act.sort_values("period").groupby("kpi_id").tail(1).set_index("kpi_id")
    out = pd.DataFrame(
        {
            "kpi": k["name"].to_numpy(),
            "unit": k["unit"].to_numpy(),
            "owner_side": k["owner_side"].to_numpy(),
            "baseline": k["baseline"].to_numpy(),
            "target": k["target"].to_numpy(),
            "due_date": k["due_date"].to_numpy(),
            "actual": k["id"].map(latest["value"]).to_numpy(),
            "actual_period": k["id"].map(latest["period"]).to_numpy(),
            "agreed_by_both": k["agreed_by_both"].to_numpy(),
        }
    )
    span = out["target"] - out["baseline"]
    out["progress"] = (out["actual"] - out["baseline"]) / span.where(span != 0)
    out["on_track"] = _on_track(out, inputs.period)
    return out[cols].reset_index(drop=True)


def _on_track(kpis: pd.DataFrame, period: str) -> pd.Series:
    """Progress at least the share of time elapsed to the due date (linear plan)."""
    end = pd.Timestamp(periods.end(period))
    due = pd.to_datetime(kpis["due_date"])
    # Without a due date the plan is unknown: judge against "target reached".
    elapsed = pd.Series(1.0, index=kpis.index)
    has_due = due.notna()
    horizon = (due - (end - pd.Timedelta(days=365))).dt.days.clip(lower=1)
    elapsed[has_due] = (365 / horizon[has_due]).clip(upper=1.0)
    ok = kpis["progress"] >= elapsed - 1e-9
    return ok.where(kpis["progress"].notna())


KPI_COLUMNS = [
    Column("kpi", "KPI"),
    Column("unit", "Unit"),
    Column("owner_side", "Whose"),
    Column("baseline", "Baseline", kpi_value, True),
    Column("actual", "Actual", kpi_value, True, figure="kpi_actual"),
    Column("target", "Target", kpi_value, True),
    Column("progress", "Progress", pct, True),
    Column("on_track", "On track", lambda v: "-" if is_missing(v) else ("yes" if v else "NO")),
    Column("due_date", "Due", day),
    Column("agreed_by_both", "Agreed by both", lambda v: "yes" if v else "no"),
]


def governance_adherence(inputs: PortfolioInputs, alliance_id: str) -> pd.DataFrame:
    """The governance indicators of the last twelve months (``indicator``, ``value``,
    ``detail``): meetings held against planned, executive attendance per side, action
    closure and decision latency."""
    from alliance_kit.align import governance

    f, p = inputs.frames, inputs.period
    rows: list[dict[str, str]] = []
    m = _rows(
        inputs.table("meeting_adherence", lambda: governance.meeting_adherence(f, p)), alliance_id
    )
    if not m.empty:
        r = m.iloc[0]
        rows.append(
            {
                "indicator": "Meetings held against planned",
                "value": pct(r["rate"]),
                "detail": f"{number(r['held'])} held of "
                f"{measure(r['planned'], whole_if_integer=True)} planned "
                f"across {int(r['bodies'])} governance bodies",
            }
        )
    att = _rows(
        inputs.table("executive_attendance", lambda: governance.executive_attendance(f, p)),
        alliance_id,
    )
    for _, r in att.iterrows():
        rows.append(
            {
                "indicator": f"Executive at steering meetings ({r['side']})",
                "value": pct(r["rate"]),
                "detail": f"{int(r['with_executive'])} of {int(r['steering_meetings'])} "
                "steering meetings had a VP or above",
            }
        )
    ac = _rows(inputs.table("action_closure", lambda: governance.action_closure(f, p)), alliance_id)
    if not ac.empty:
        r = ac.iloc[0]
        rows.append(
            {
                "indicator": "Actions closed when due",
                "value": pct(r["rate"]),
                "detail": f"{int(r['closed'])} of {int(r['due'])} due; {int(r['overdue'])} overdue",
            }
        )
    dl = _rows(
        inputs.table("decision_latency", lambda: governance.decision_latency(f, p)), alliance_id
    )
    if not dl.empty:
        r = dl.iloc[0]
        rows.append(
            {
                "indicator": "Decision latency (median days)",
                "value": number(r["median_days"]),
                "detail": f"{int(r['decisions'])} decisions, {int(r['pending'])} pending",
            }
        )
    return pd.DataFrame(rows, columns=["indicator", "value", "detail"])


GOVERNANCE_COLUMNS = [
    Column("indicator", "Indicator"),
    Column("value", "Value", text, True),
    Column("detail", "Detail"),
]


def agreements_due(inputs: PortfolioInputs, alliance_id: str, quarters: int = 2) -> pd.DataFrame:
    """Agreements expiring, and obligations open and due, by the end of the next
    ``quarters`` quarters (overdue ones included): ``what``, ``title``, ``owner``,
    ``due``, ``status``."""
    f = inputs.frames
    horizon = pd.Timestamp(periods.end(periods.shift(inputs.period, quarters)))
    asof = pd.Timestamp(periods.end(inputs.period))
    ag = f["agreements"]
    ag = ag[ag["alliance_id"] == alliance_id]
    rows = []
    live = ag[ag["status"].isin(["signed", "active"]) & ag["expires_on"].notna()]
    for _, r in live[live["expires_on"] <= horizon].iterrows():
        notice = r["expires_on"] - pd.Timedelta(days=int(_get(r, "notice_days", default=0)))
        renew = "renews automatically" if r["auto_renew"] else "expires"
        rows.append(
            {
                "what": f"Agreement {renew}",
                "title": text(r["title"]),
                "owner": text(r["parties"]),
                "due": r["expires_on"],
                "status": f"notice by {day(notice)}",
            }
        )
    ob = f["obligations"].merge(ag[["id", "title"]], left_on="agreement_id", right_on="id")
    ob = ob[(ob["status"] == "open") & (ob["due_on"] <= horizon)]
    for _, r in ob.sort_values("due_on").iterrows():
        rows.append(
            {
                "what": "Obligation",
                "title": f"{text(r['description'])} ({text(r['title'])})",
                "owner": f"{text(r['owner'])} ({text(r['owner_side'])})",
                "due": r["due_on"],
                "status": "OVERDUE" if r["due_on"] < asof else "open",
            }
        )
    out = pd.DataFrame(rows, columns=["what", "title", "owner", "due", "status"])
    return out.sort_values("due", kind="stable").reset_index(drop=True) if len(out) else out


AGREEMENT_COLUMNS = [
    Column("what", "What"),
    Column("title", "Agreement / obligation"),
    Column("owner", "Owner / parties"),
    Column("due", "Due", day),
    Column("status", "Status"),
]


def risks_and_issues(inputs: PortfolioInputs, alliance_id: str) -> pd.DataFrame:
    """Open risks (with their latest likelihood x impact) and unresolved issues at the
    period's end, most severe first: ``kind``, ``title``, ``owner``, ``severity``,
    ``rating``, ``crack``, ``since``."""
    f = inputs.frames
    asof = pd.Timestamp(periods.end(inputs.period))
    r = f["risks"]
    r = r[(r["alliance_id"] == alliance_id) & (r["status"] != "closed") & (r["raised_on"] <= asof)]
    rev = f["risk_reviews"]
    rev = rev[rev["risk_id"].isin(r["id"]) & (rev["period"] <= inputs.period)]
    latest = rev.sort_values("period").groupby("risk_id").tail(1).set_index("risk_id")
    rating = r["id"].map(latest["likelihood"] * latest["impact"]) if len(latest) else None
    risks = pd.DataFrame(
        {
            "kind": "risk",
            "title": r["title"],
            "owner": r["owner"],
            "severity": text(None) if rating is None else rating.map(_risk_band),
            "rating": rating if rating is not None else float("nan"),
            "crack": r["crack"].map(crack_name),
            "since": r["raised_on"],
        }
    )
    i = f["issues"]
    i = i[(i["alliance_id"] == alliance_id) & (i["raised_on"] <= asof)]
    i = i[i["resolved_on"].isna() | (i["resolved_on"] > asof)]
    sev_rank = {"critical": 20, "high": 15, "medium": 9, "low": 4}
    issues = pd.DataFrame(
        {
            "kind": "issue",
            "title": i["title"],
            "owner": i["owner"] + " (" + i["side"] + ")",
            "severity": i["severity"],
            "rating": i["severity"].map(sev_rank).astype(float),
            "crack": i["crack"].map(crack_name),
            "since": i["raised_on"],
        }
    )
    cols = ["kind", "title", "owner", "severity", "rating", "crack", "since"]
    out = (
        pd.concat([d for d in (risks, issues) if len(d)], ignore_index=True)
        if (len(risks) or len(issues))
        else pd.DataFrame(columns=cols)
    )
    return out.sort_values(["rating", "since"], ascending=[False, True]).reset_index(drop=True)[
        cols
    ]


def _risk_band(score: Any) -> str:
    if is_missing(score):
        return "not reviewed"
    return "high" if score >= 15 else "medium" if score >= 8 else "low"


RISK_COLUMNS = [
    Column("kind", "Kind"),
    Column("title", "Risk / issue"),
    Column("owner", "Owner"),
    Column("severity", "Severity"),
    Column("crack", "Crack"),
    Column("since", "Since", day),
]


@dataclass
class BusinessCaseSection:
    """Plan against actual and the headline of the business case (None if no case)."""

    currency: str
    headline: dict[str, Any] | None
    plan_vs_actual: pd.DataFrame
    note: str = ""

    def _repr_html_(self) -> str:
        if self.headline is None:
            return (
                f'<p class="ak-empty">{html.escape(self.note or "No business case recorded.")}</p>'
            )
        h, cur = self.headline, self.currency
        irr = "-" if h.get("irr") is None else pct(h["irr"], 1)
        cards = "".join(
            [
                card(
                    "NPV (ours)",
                    html.escape(money(h.get("npv"), cur)),
                    figure="npv",
                    value=h.get("npv"),
                ),
                card(
                    "Risk-adjusted NPV",
                    html.escape(money(h.get("risk_adjusted_npv"), cur)),
                    figure="risk_adjusted_npv",
                    value=h.get("risk_adjusted_npv"),
                ),
                card("IRR", html.escape(irr)),
                card(
                    "Payback",
                    html.escape(
                        "-" if h.get("payback_years") is None else f"{h['payback_years']:.1f} years"
                    ),
                ),
            ]
        )
        money_fmt = functools.partial(money, currency=cur)
        table = render_table(
            self.plan_vs_actual,
            [
                Column("year", "Year", lambda v: text(v)),
                Column("side", "Side"),
                Column("category", "Category"),
                Column("plan", "Plan", money_fmt, True),
                Column("actual", "Actual", money_fmt, True),
                Column("variance", "Variance", money_fmt, True),
                Column("variance_pct", "Variance %", pct, True),
                Column("favourable", "Favourable", lambda v: "yes" if v else "NO"),
            ],
            empty="No actuals recorded yet: plan only.",
        )
        note = f'<p class="ak-note">{html.escape(self.note)}</p>' if self.note else ""
        return f'<div class="ak-cards">{cards}</div>{table}{note}'


def business_case_section(inputs: PortfolioInputs, alliance_id: str) -> BusinessCaseSection:
    from alliance_kit.imagine import business_case

    a = alliance_row(inputs, alliance_id)
    s = _alliance_score(inputs.scores, alliance_id)
    annual = _get(s, *FAILURE_COLS)  # the 12-month probability: one year's hazard
    try:
        summ = business_case.summary(inputs.frames, alliance_id, annual_failure=annual, draws=0)
    except (ValueError, KeyError, IndexError) as exc:
        return BusinessCaseSection(text(a["currency"]), None, pd.DataFrame(), note=str(exc))
    pva = summ.plan_vs_actual
    pva = pva[pva["side"] == "us"] if len(pva) else pva
    note = "; ".join(summ.warnings)
    return BusinessCaseSection(summ.currency, summ.headline(), pva.reset_index(drop=True), note)


def record_figures(figures: Mapping[str, Any]) -> None:
    """Record the key figures of a report (notebook convention: one ``record`` each)."""
    from alliance_kit.views.notebook import record

    for name, value in figures.items():
        record(name, value)


def show(*items: Any) -> None:
    """Display sections: objects with _repr_html_ as they are, DataFrames as escaped
    tables, (DataFrame, columns[, empty message]) tuples with those columns, charts as
    inline SVG."""
    from IPython.display import HTML, display

    for item in items:
        if isinstance(item, tuple) and isinstance(item[0], pd.DataFrame):
            display(HTML(render_table(*item)))
        elif isinstance(item, pd.DataFrame):
            display(HTML(render_table(item, [Column(c, str(c)) for c in item.columns])))
        elif type(item).__module__.startswith("altair"):
            from alliance_kit.views.charts import chart_html

            display(HTML(chart_html(item)))
        elif item is None:
            continue
        else:
            display(item)


# --- the portfolio report --------------------------------------------------------------


@dataclass
class RevenueAtRisk:
    """Revenue at risk rolled up per currency, and the seed's shortfall arithmetic on the
    company's own figures."""

    by_currency: pd.DataFrame
    company_revenue: float
    alliance_share: float
    company_currency: str
    field_failure_rate: float
    portfolio_failure_rate: float | None
    shortfall_field: float
    shortfall_portfolio: float | None
    rate_basis: str = "weighted by expected revenue"
    illustrative: bool = False  # the company figures are defaults, not the user's
    not_assessed: int = 0  # alliances left out of the totals: no health index
    lifetime_years: float = 5.0

    def _band(self, end: str) -> pd.Series:
        b = self.by_currency
        return b.get(f"revenue_at_risk_{end}", b["revenue_at_risk"])

    def figures(self) -> dict[str, Any]:
        return {
            "shortfall_field": None if self.illustrative else round(self.shortfall_field, 2),
            "shortfall_portfolio": None
            if self.illustrative
            else _round(self.shortfall_portfolio, 2),
            "company_figures": "seed example" if self.illustrative else "given",
            "portfolio_failure_rate": _round(self.portfolio_failure_rate, 4),
            "revenue_at_risk": {
                r["currency"]: round(float(r["revenue_at_risk"]), 2)
                for _, r in self.by_currency.iterrows()
            },
            "not_assessed": self.not_assessed,
        }

    def headline(self) -> pd.DataFrame:
        """One row per currency with at least one assessed alliance: the figures of the
        headline cards (currencies are never added together)."""
        b = self.by_currency
        if b.empty or "alliances" not in b.columns:
            return b.iloc[0:0]
        b = b.assign(low=self._band("low"), high=self._band("high"))
        b = b[b["alliances"] > 0].sort_values(["expected_revenue", "currency"], ascending=False)
        return b.reset_index(drop=True)

    def _repr_html_(self) -> str:
        head = self.headline()
        parts = []
        if head.empty:
            parts.append(
                '<p class="ak-empty">No alliance is assessed this quarter, so there is no '
                "revenue at risk to show.</p>"
            )
        else:
            cards = []
            for _, r in head.iterrows():
                c = text(r["currency"])
                sub = (
                    f"90% range {money(r['low'], c)}-{money(r['high'], c)}; "
                    f"{pct(r['share_at_risk'])} of {money(r['expected_revenue'], c)} expected "
                    f"from {plural(int(r['alliances']), 'alliance')}"
                )
                cards.append(
                    card(
                        f"Revenue at risk / year, {c}",
                        html.escape(money(r["revenue_at_risk"], c)),
                        sub=sub,
                        figure="revenue_at_risk",
                        value=round(float(r["revenue_at_risk"]), 2),
                    )
                )
            parts.append(f'<div class="ak-cards">{"".join(cards)}</div>')
        if self.not_assessed:
            parts.append(
                f'<p class="ak-missing">{plural(self.not_assessed, "alliance")} not assessed '
                f"{'is' if self.not_assessed == 1 else 'are'} left out: without a health "
                "index there is no failure probability or revenue at risk (the table of "
                "alliances below says what each is missing).</p>"
            )
        horizon = HORIZON_NOTE.format(years=self.lifetime_years)
        parts.append(f'<p class="ak-note">{html.escape(horizon)}</p>')
        return "".join(parts)

    def company_cost(self) -> Html:
        """What alliance failure costs the company as a whole, on the company's own figures;
        without them it says they are not set and shows no figure (the seed's example
        figures are not this company's)."""
        cur = self.company_currency
        if self.illustrative:
            return Html(
                '<p class="ak-missing">Company figures not set: the company\'s annual revenue '
                "and the share of it expected from alliances were not given for this report, "
                "so what alliance failure would cost the company as a whole is not shown. "
                "Revenue at risk above does not depend on them.</p>"
            )
        field = (
            f"<p>With annual revenue of <strong>{html.escape(money(self.company_revenue, cur))}"
            f"</strong> and <strong>{html.escape(pct(self.alliance_share))}</strong> of it "
            f"expected from alliances, the failure rate the field reports "
            f"({html.escape(pct(self.field_failure_rate))} of alliances over their life) would "
            f'cost the company <strong data-figure="shortfall_field" '
            f'data-value="{self.shortfall_field:.2f}">'
            f"{html.escape(money(self.shortfall_field, cur))}</strong>"
        )
        if self.portfolio_failure_rate is None:
            own = "; no alliance has a modelled failure probability this period.</p>"
        else:
            own = (
                f"; this portfolio's own modelled failure rate within 12 months "
                f"(<strong>{html.escape(pct(self.portfolio_failure_rate, 1))}</strong>, "
                f"{html.escape(self.rate_basis)}) would cost it "
                f'<strong data-figure="shortfall_portfolio" '
                f'data-value="{self.shortfall_portfolio:.2f}">'
                f"{html.escape(money(self.shortfall_portfolio, cur))}</strong> a year.</p>"
            )
        return Html(field + own)


#: Company figures used when a report is given none (the seed's own example).
ILLUSTRATIVE_REVENUE = 1e9
ILLUSTRATIVE_SHARE = 0.4


def revenue_at_risk(
    inputs: PortfolioInputs,
    company_revenue: float | None = None,
    alliance_share: float | None = None,
    company_currency: str = "USD",
    field_failure_rate: float = 0.5,
    exchange_rates: Mapping[str, float] | None = None,
) -> RevenueAtRisk:
    """Per-currency revenue at risk, and the seed's shortfall on the company's figures at
    the field's failure rate and at this portfolio's own (see :func:`failure_rate`).
    Without company figures the seed's example (1.0B, 40%) is used and said to be so."""
    from alliance_kit.assess import risk

    illustrative = company_revenue is None or alliance_share is None
    company_revenue = ILLUSTRATIVE_REVENUE if company_revenue is None else company_revenue
    alliance_share = ILLUSTRATIVE_SHARE if alliance_share is None else alliance_share

    a = _frame(inputs.scores, "alliances")
    portfolio = _frame(inputs.scores, "portfolio")
    active = a.dropna(subset=["revenue_at_risk"]) if "revenue_at_risk" in a.columns else a
    by_currency = (
        portfolio[~portfolio["currency"].astype(str).str.startswith("total in ")].reset_index(
            drop=True
        )
        if len(portfolio)
        else risk.portfolio_at_risk(a)
        if len(a) and "revenue_at_risk" in a.columns
        else pd.DataFrame(
            columns=[
                "currency",
                "expected_revenue",
                "revenue_at_risk",
                "alliances",
                "share_at_risk",
            ]
        )
    )
    fail_col = _pick(active, *FAILURE_COLS)
    rate, basis = (
        failure_rate(active, fail_col, company_currency, exchange_rates) if fail_col else (None, "")
    )
    return RevenueAtRisk(
        by_currency=by_currency,
        company_revenue=float(company_revenue),
        alliance_share=float(alliance_share),
        company_currency=company_currency,
        field_failure_rate=field_failure_rate,
        portfolio_failure_rate=rate,
        shortfall_field=risk.shortfall(company_revenue, alliance_share, field_failure_rate),
        shortfall_portfolio=None
        if rate is None
        else risk.shortfall(company_revenue, alliance_share, rate),
        rate_basis=basis,
        illustrative=illustrative,
        not_assessed=int(len(a) - len(active)),
        lifetime_years=_lifetime_years(inputs),
    )


def failure_rate(
    alliances: pd.DataFrame,
    column: str,
    company_currency: str,
    exchange_rates: Mapping[str, float] | None = None,
) -> tuple[float | None, str]:
    """The portfolio's failure rate weighted by expected revenue, and in words how.

    Amounts in different currencies are only added once converted: ``exchange_rates``
    gives units of the company currency per unit of another. Alliances in a currency
    without a rate are left out of the weighting (and the words say which); when none
    can be weighted, the plain mean is used.
    """
    rates = {company_currency: 1.0, **(exchange_rates or {})}
    f = alliances.dropna(subset=[column])
    if f.empty:
        return None, ""
    fx = f["currency"].map(rates)
    known = fx.notna() & (f["expected_revenue"].astype(float) > 0)
    missing = sorted(set(f.loc[fx.isna(), "currency"].dropna()))
    if not known.any():
        why = "no exchange rate to add the revenues up" if missing else "no revenue to weigh"
        return float(f[column].mean()), f"unweighted: {why}"
    weight = f.loc[known, "expected_revenue"].astype(float) * fx[known]
    rate = float((weight * f.loc[known, column]).sum() / weight.sum())
    if not missing:
        multi = f["currency"].nunique() > 1
        return rate, "weighted by expected revenue" + (
            f" converted to {company_currency}" if multi else ""
        )
    weighted = ", ".join(sorted(set(f.loc[known, "currency"])))
    return rate, (
        f"weighted by expected revenue of the alliances in {weighted}; those in "
        f"{', '.join(missing)} are left out for want of an exchange rate"
    )


def health_vs_value(inputs: PortfolioInputs) -> pd.DataFrame:
    """One row per alliance: health, status, strategic importance, expected revenue,
    failure probability and revenue at risk, weakest first."""
    a = inputs.frames["alliances"][["id", "name", "partner", "importance"]]
    s = _frame(inputs.scores, "alliances")
    cols = [
        "alliance_id",
        "name",
        "partner",
        "importance",
        "health_index",
        "status",
        "status_shown",
        "failure_probability",
        "failure_probability_low",
        "failure_probability_high",
        "lifetime_failure_probability",
        "missing",
        "expected_revenue",
        "revenue_at_risk",
        "currency",
    ]
    if s.empty:
        return pd.DataFrame(columns=cols)
    capped = (
        s["knocked_out"].fillna(False).astype(bool)
        if "knocked_out" in s.columns
        else pd.Series(False, index=s.index)
    )
    shown = [status_text(v, c) for v, c in zip(s["status"], capped, strict=True)]
    s = s.assign(status_shown=shown)
    s = s.rename(
        columns={
            _pick(s, *HEALTH_COLS): "health_index",
            _pick(s, *FAILURE_COLS): "failure_probability",
        }
    )
    s = s.drop(columns=[c for c in ("name", "partner", "importance") if c in s.columns])
    if "missing" in s.columns:
        s["missing"] = s["missing"].map(lambda m: None if is_missing(m) else plain(m))
    out = s.merge(a, left_on="alliance_id", right_on="id", how="left")
    out = out.reindex(columns=cols)
    return out.sort_values(["health_index", "alliance_id"], na_position="last").reset_index(
        drop=True
    )


def crack_heatmap(inputs: PortfolioInputs) -> pd.DataFrame:
    """Crack scores, alliances by cracks (columns 1-6), weakest alliance first."""
    c = _frame(inputs.scores, "cracks")
    if c.empty:
        return pd.DataFrame()
    names = inputs.frames["alliances"].set_index("id")["name"]
    grid = c.pivot_table(index="alliance_id", columns="crack", values="score", aggfunc="first")
    grid = grid.loc[grid.mean(axis=1).sort_values().index]
    grid.insert(0, "name", grid.index.map(names))
    return grid


def alerts(inputs: PortfolioInputs) -> pd.DataFrame:
    """This period's early-warning alerts with the alliance's name."""
    al = _frame(inputs.scores, "alerts")
    cols = ["alliance_id", "name", "alert", "crack", "detail"]
    if al.empty:
        return pd.DataFrame(columns=cols)
    names = inputs.frames["alliances"].set_index("id")["name"]
    kind = _pick(al, "kind", "alert", "type")
    msg = _pick(al, "message", "detail")
    out = pd.DataFrame(
        {
            "alliance_id": al["alliance_id"],
            "name": al["alliance_id"].map(names),
            "alert": al[kind].map(lambda k: ALERT_LABELS.get(k, k)) if kind else "alert",
            "crack": al["crack"].map(crack_name) if "crack" in al.columns else "-",
            "detail": al[msg] if msg else "",
        }
    )
    return out.sort_values(["alliance_id"], kind="stable").reset_index(drop=True)


ALERT_COLUMNS = [
    Column("alliance_id", "Id"),
    Column("name", "Alliance"),
    Column("alert", "Alert"),
    Column("crack", "Crack"),
    Column("detail", "Detail"),
]


def executive_attention(inputs: PortfolioInputs, importance: int = 4) -> pd.DataFrame:
    """Alliances that need an executive: red, or amber and strategically important
    (``importance`` or more), or with failure more likely than not; most revenue at risk
    first, with the reason."""
    d = health_vs_value(inputs)
    if d.empty:
        return d.assign(reason=pd.Series(dtype=object))
    n_alerts = alerts(inputs).groupby("alliance_id").size()
    reasons = []
    for _, r in d.iterrows():
        why = []
        if r["status"] == "red":
            why.append("red")
        elif (
            r["status"] == "amber"
            and not is_missing(r["importance"])
            and r["importance"] >= importance
        ):
            why.append(f"amber with importance {int(r['importance'])}")
        life = r.get("lifetime_failure_probability")
        if not is_missing(life) and life > 0.5:
            why.append(f"failure over its life {pct(life)} likely")
        if (
            r["status"] == NOT_ASSESSED
            and not is_missing(r["importance"])
            and (r["importance"] >= importance)
        ):
            why.append("not assessed: " + text(r.get("missing")))
        if why and n_alerts.get(r["alliance_id"], 0):
            why.append(f"{n_alerts[r['alliance_id']]} alert(s)")
        reasons.append("; ".join(why))
    d = d.assign(reason=reasons)
    d = d[d["reason"] != ""]
    return d.sort_values("revenue_at_risk", ascending=False).reset_index(drop=True)


def _short_names() -> dict[int, str]:
    from alliance_kit.records import questionnaire

    return {n: c.short for n, c in questionnaire.cracks().items()}


def _asks() -> dict[int, str]:
    """Each crack's executive ask (the questionnaire's ``ask``; its first action if none)."""
    from alliance_kit.records import questionnaire

    cracks = questionnaire.cracks()
    return {n: c.ask or (c.actions[0] if c.actions else "") for n, c in cracks.items()}


def attention(inputs: PortfolioInputs, importance: int = 4) -> pd.DataFrame:
    """The alliances of :func:`executive_attention`, each with ``why`` (its status and the
    cracks that put it there, newly red ones named) and ``ask`` (what the executive is
    asked to do: the questionnaire's ask of its red cracks, weakest first, else of its
    weakest amber crack; a decision on its future when failure is more likely than not;
    the owner's name and what to supply when it is not assessed; a sponsor when none is
    named). Most revenue at risk first, alliances without a figure last."""
    d = executive_attention(inputs, importance)
    cols = [*d.columns.drop("reason", errors="ignore"), "why", "ask", "red_cracks", "amber_cracks"]
    if d.empty:
        return pd.DataFrame(columns=cols)
    c = _frame(inputs.scores, "cracks")
    short, asks = _short_names(), _asks()
    records = inputs.frames["alliances"].set_index("id")
    whys, ask_list, reds, ambers = [], [], [], []
    for _, r in d.iterrows():
        mine = _rows(c, r["alliance_id"]).sort_values(["score", "crack"])
        red = mine[mine["status"] == "red"] if "status" in mine else mine.iloc[0:0]
        amber = mine[mine["status"] == "amber"] if "status" in mine else mine.iloc[0:0]
        newly = (
            set(red.loc[red["prev_status"].isin(["green", "amber"]), "crack"])
            if ("prev_status" in red)
            else set()
        )
        why = [_status_words(r, importance)]
        if len(red) == len(short):
            why.append("every crack red")
        elif len(red):
            names = [short[int(k)] + (" (newly red)" if k in newly else "") for k in red["crack"]]
            why.append(f"red {'crack' if len(red) == 1 else 'cracks'}: {', '.join(names)}")
        if len(amber):
            names = [short[int(k)] for k in amber["crack"]]
            why.append(f"amber: {', '.join(names)}")
        life = r.get("lifetime_failure_probability")
        if not is_missing(life) and life > 0.5:
            why.append(f"failure over its life {pct(life)} likely")
        ask = []
        if not is_missing(life) and life > 0.5:
            ask.append(
                "Decision: turn it around, restructure it or prepare an exit, with the "
                "partner's sponsor."
            )
        record = records.loc[r["alliance_id"]] if r["alliance_id"] in records.index else None
        if r["status"] == NOT_ASSESSED:
            owner = text(record["owner"]) if record is not None else ""
            ask.append(
                f"Have {owner or 'the alliance owner'} supply what the assessment lacks: "
                f"{text(r.get('missing'))}."
            )
        # two asks at most: the decision on its future, then the weakest cracks' asks
        focus = list(red["crack"][: 2 - len(ask)]) if len(red) else list(amber["crack"][:1])
        ask += [asks[int(k)] for k in focus if asks.get(int(k))]
        if record is not None and not text(record.get("our_sponsor")):
            ask.append("Sponsor: name our executive sponsor; none is recorded.")
        whys.append("; ".join(why))
        ask_list.append(list(dict.fromkeys(ask)))
        reds.append([int(k) for k in red["crack"]])
        ambers.append([int(k) for k in amber["crack"]])
    out = d.drop(columns="reason").assign(
        why=whys, ask=ask_list, red_cracks=reds, amber_cracks=ambers
    )
    return out.reset_index(drop=True)


def _status_words(r: pd.Series, importance: int) -> str:
    """``Red, health 16.9``; ``Amber, held there by a red crack``; ``Not assessed``."""
    status = text(r["status"])
    if status == NOT_ASSESSED:
        return "Not assessed (strategic importance " + number(r["importance"]) + ")"
    words = f"{status.capitalize()}, health {score(r['health_index'])}"
    if status == "amber" and "capped" in text(r.get("status_shown")):
        words += " (green by its index, held at amber by a red crack)"
    elif status == "amber":
        words += f", strategic importance {number(r['importance'])} of 5"
    return words


@dataclass
class Attention:
    """The portfolio report's first section: who needs an executive, why, and the ask."""

    alliances: pd.DataFrame  # from attention()
    running: int = 0  # alliances running this period

    def figures(self) -> dict[str, Any]:
        return {"attention": int(len(self.alliances))}

    def _repr_html_(self) -> str:
        if self.alliances.empty:
            return (
                '<p class="ak-empty">No alliance needs executive attention this quarter: none '
                "is red, no amber one is of high strategic importance, and none is more "
                "likely than not to fail.</p>"
            )
        n = len(self.alliances)
        lead = (
            f'<p class="ak-lead"><strong data-figure="attention" data-value="{n}">'
            f"{n} of {self.running}</strong> {'alliance' if self.running == 1 else 'alliances'}"
            f" {'needs' if n == 1 else 'need'} a decision or your time this quarter, most "
            "revenue at risk first.</p>"
        )
        rows = []
        for _, r in self.alliances.iterrows():
            rar = r["revenue_at_risk"]
            rar_html = (
                html.escape(money(rar, text(r["currency"])))
                if not is_missing(rar)
                else '<span class="ak-empty">not assessed</span>'
            )
            asks = "".join(f"<li>{html.escape(a)}</li>" for a in r["ask"])
            rows.append(
                "<tr>"
                f"<td><strong>{html.escape(text(r['name']))}</strong>"
                f'<div class="ak-sub">{html.escape(text(r["alliance_id"]))} &middot; '
                f"{html.escape(text(r['partner']))}</div>"
                f"{status_badge(r['status'])}</td>"
                f"<td>{html.escape(text(r['why']))}</td>"
                f'<td><ul class="ak-ask">{asks}</ul></td>'
                f'<td class="num" data-figure="attention_rar" '
                f'data-value="{"" if is_missing(rar) else html.escape(str(rar))}">{rar_html}</td>'
                "</tr>"
            )
        head = (
            "<tr><th>Alliance</th><th>Why</th><th>What you are asked to do</th>"
            '<th class="num">Revenue at risk / year</th></tr>'
        )
        widths = "".join(f'<col style="width:{w}%">' for w in (24, 30, 34, 12))
        return (
            f'{lead}<table class="ak-attention"><colgroup>{widths}</colgroup>'
            f"<thead>{head}</thead>"
            f"<tbody>{''.join(rows)}</tbody></table>"
        )


def attention_section(inputs: PortfolioInputs, importance: int = 4) -> Attention:
    a = _frame(inputs.scores, "alliances")
    return Attention(attention(inputs, importance), running=int(len(a)))


def portfolio_changes(inputs: PortfolioInputs, min_move: float = 5.0) -> pd.DataFrame:
    """:func:`crack_changes` for every alliance, with its name (``alliance`` column)."""
    ch = inputs.table(f"crack_changes_{min_move:g}", lambda: crack_changes(inputs, min_move))
    names = inputs.frames["alliances"].set_index("id")["name"]
    return ch.assign(name=ch["alliance_id"].map(names))


CHANGE_COLUMNS = [
    Column("alliance_id", "Id"),
    Column("name", "Alliance"),
    Column("what", "Crack"),
    Column("detail", "What changed"),
]


def attention_columns() -> list[Column]:
    return [
        Column("alliance_id", "Id"),
        Column("name", "Alliance"),
        Column("partner", "Partner"),
        Column("status_shown", "Status"),
        Column("health_index", "Health", score, True, figure="health_index"),
        Column("revenue_at_risk", "Revenue at risk / year", money, True, figure="revenue_at_risk"),
        Column("currency", "Currency"),
        Column("reason", "Why"),
    ]


def value_columns() -> list[Column]:
    return [
        Column("alliance_id", "Id"),
        Column("name", "Alliance"),
        Column("importance", "Importance", number, True),
        Column("status_shown", "Status"),
        Column("health_index", "Health", score, True, figure="health_index"),
        Column("failure_probability", "Failure within 12 months", pct, True),
        Column("expected_revenue", "Expected revenue / year", money, True),
        Column("revenue_at_risk", "Revenue at risk / year", money, True),
        Column("currency", "Currency"),
        Column("missing", "Not assessed: what is missing"),
    ]


def portfolio_header(inputs: PortfolioInputs) -> Html:
    a = _frame(inputs.scores, "alliances")
    counts = a["status"].value_counts() if "status" in a.columns else pd.Series(dtype=int)
    summary = ", ".join(
        f"{int(counts.get(s, 0))} {s}"
        for s in ("red", "amber", "green", NOT_ASSESSED)
        if counts.get(s, 0)
    )
    return Html(
        "<h1>Alliance portfolio report &mdash; "
        f"{html.escape(periods.label(inputs.period, inputs.as_of))}</h1>"
        f'<p class="ak-meta">{plural(len(a), "alliance")} running this period; '
        f"health this period: {html.escape(summary or 'not scored')}</p>"
    )


def portfolio_figures(inputs: PortfolioInputs, rar: RevenueAtRisk) -> dict[str, Any]:
    a = _frame(inputs.scores, "alliances")
    counts = a["status"].value_counts() if "status" in a.columns else pd.Series(dtype=int)
    return {
        "alliances": int(len(a)),  # running this period, as the header counts them
        "red": int(counts.get("red", 0)),
        "amber": int(counts.get("amber", 0)),
        "green": int(counts.get("green", 0)),
        "not_assessed": int(counts.get(NOT_ASSESSED, 0)),
        "alerts": int(len(_frame(inputs.scores, "alerts"))),
        "attention": int(len(executive_attention(inputs))),
        **rar.figures(),
    }


def nan_to_none(values: Iterable[Any]) -> list[Any]:
    return [None if (isinstance(v, float) and math.isnan(v)) else v for v in values]
