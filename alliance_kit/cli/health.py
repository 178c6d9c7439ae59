"""``alliance-kit score`` and ``alliance-kit explain``: six-crack health from the command line."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click
import pandas as pd

from alliance_kit.assess import encoding, health, risk, scoring
from alliance_kit.cli import db_option, main, store_for, user_path
from alliance_kit.records import keys, periods

TABLES = ("alliances", "cracks", "alerts", "sides", "evidence", "portfolio")
STATUS_MARK = {"green": "G", "amber": "A", "red": "R", scoring.NOT_ASSESSED: "-"}


def _period(value: str, today: dt.date | None = None) -> str:
    """A quarter like 2026-Q3 that has started, or ``previous`` for the last closed one."""
    return periods.resolve(value, today)


def _today(value: dt.datetime | None) -> dt.date:
    return value.date() if value is not None else dt.date.today()


#: Hidden: the day the command takes as today (tests; re-running a past day's view).
as_of_option = click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(["%Y-%m-%d"]),
    hidden=True,
    help="Take this day (YYYY-MM-DD) as today.",
)


def _running_frames(db: str | None, period: str, today: dt.date) -> dict[str, pd.DataFrame]:
    """The store's records, refusing a quarter in which no alliance runs."""
    frames = store_for(db).read_all()
    periods.check_running(period, frames["alliances"], today)
    return frames


def _frame(scores: health.PortfolioScores, name: str) -> pd.DataFrame:
    return {
        "alliances": scores.alliances,
        "cracks": scores.cracks,
        "alerts": scores.alerts,
        "sides": scores.by_side,
        "evidence": scores.evidence,
        "portfolio": scores.portfolio,
    }[name]


def _records(df: pd.DataFrame) -> list[dict]:
    return json.loads(df.to_json(orient="records", date_format="iso"))


def as_json(scores: health.PortfolioScores, today: dt.date | None = None) -> str:
    m = scores.model
    today = today or dt.date.today()
    doc = {
        "period": scores.period,
        "in_progress": periods.in_progress(scores.period, today),
        "as_of": today.isoformat(),
        "rules": {
            "rounding": "every score, gap and index is rounded to one decimal when made "
            "(halves away from zero); thresholds compare the rounded figure",
            "horizon": f"failure_probability: the chance of failing {risk.HORIZON} "
            f"(lifetime_failure_probability spread over {scores.config.lifetime_years:g} "
            "years at a constant hazard); revenue_at_risk is per year",
            "min_respondents": scores.config.min_respondents,
            "min_scored_cracks": scores.config.min_scored_cracks,
        },
        "model": {
            "source": m.source,
            "intercept": m.intercept,
            "slope": m.slope,
            "n": m.n,
            "brier": m.brier,
            "description": m.describe(),
        },
        **{name: _records(_frame(scores, name)) for name in TABLES},
    }
    return json.dumps(doc, indent=2)


def _money(x: float) -> str:
    if pd.isna(x):
        return "-"
    for unit, div in (("B", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(x) >= div:
            return f"{x / div:,.1f}{unit}"
    return f"{x:,.0f}"


def as_table(scores: health.PortfolioScores, today: dt.date | None = None) -> str:
    """A terminal-friendly summary: alliances, crack matrix, alerts, revenue at risk.
    A quarter still running is labelled so (its scores move until it closes)."""
    a = scores.alliances
    c = scores.cracks
    matrix = c.assign(
        cell=c["score"].map(lambda s: "    -" if pd.isna(s) else f"{s:5.1f}")
        + c["status"].map(STATUS_MARK).fillna(" ")
    ).pivot(index="alliance_id", columns="crack", values="cell")
    matrix.columns = [f"c{n}" for n in matrix.columns]
    view = pd.DataFrame(
        {
            "alliance": a["alliance_id"],
            "name": a["name"].str.slice(0, 28),
            "health": a["health_index"].map(scoring.score_text).replace("n/a", "-"),
            "status": a["status"].fillna(scoring.NOT_ASSESSED)
            + a["knocked_out"].map({True: "*", False: ""}).fillna(""),
            "p(fail 12m)": [
                "-" if pd.isna(p) else f"{p:.0%} ({lo:.0%}-{hi:.0%})"
                for p, lo, hi in zip(
                    a["failure_probability"],
                    a["failure_probability_low"],
                    a["failure_probability_high"],
                    strict=True,
                )
            ],  # fmt: skip
            "at risk/yr": a["revenue_at_risk"].map(_money) + " " + a["currency"],
            "alerts": a["alerts"],
        }
    ).merge(matrix, left_on="alliance", right_index=True, how="left")
    cfg = scores.config
    lines = [
        f"Alliance health, {periods.label(scores.period, today)}  (crack scores 0-100, one "
        f"decimal, thresholds on the figure shown: G green >= {cfg.green:g}, A amber >= "
        f"{cfg.amber:g}, R red; - not assessed; * = capped at amber by a red crack)",
        "",
        view.to_string(index=False),
        "",
        f"Revenue at risk per year (expected annual revenue x the chance of failing "
        f"{risk.HORIZON}, with its 90% range):",
    ]
    for r in scores.portfolio.itertuples(index=False):
        left_out = f"; {r.not_assessed} not assessed, left out" if r.not_assessed else ""
        lines.append(
            f"  {r.currency}: {_money(r.revenue_at_risk)} ({_money(r.revenue_at_risk_low)}-"
            f"{_money(r.revenue_at_risk_high)}) of {_money(r.expected_revenue)} expected "
            f"({r.alliances} alliances{left_out})"
        )
    missing = a[a["missing"].notna()]
    if len(missing):
        lines += ["", "Not assessed (what is missing):"]
        lines += [f"  {r.alliance_id}: {r.missing}" for r in missing.itertuples(index=False)]
    withheld = int(c["survey_withheld"].notna().sum())
    if withheld:
        lines.append(
            f"  {withheld} crack survey figures withheld: fewer than {cfg.min_respondents} "
            "respondents on a side (see explain)"
        )
    lines.append(f"  model: {scores.model.describe()}")
    lines.append("")
    if scores.alerts.empty:
        lines.append("No early-warning alerts.")
    else:
        lines.append("Early-warning alerts:")
        for r in scores.alerts.itertuples(index=False):
            lines.append(f"  [{r.severity}] {r.alliance_id}: {r.message}")
    return "\n".join(lines)


def _emit(text: str, out: Path | None) -> None:
    if out is None:
        click.echo(text)
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
        click.echo(f"wrote {out}", err=True)


@main.command()
@click.option("--period", "-p", required=True, help="Quarter like 2026-Q3, or 'previous'.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "csv"]),
    default="table",
    show_default=True,
)
@click.option(
    "--table",
    "which",
    type=click.Choice(TABLES),
    default="alliances",
    show_default=True,
    help="Which table --format csv writes.",
)
@click.option("--out", type=user_path(dir_okay=False), help="Write to a file.")
@as_of_option
@db_option
def score(
    period: str,
    fmt: str,
    which: str,
    out: Path | None,
    as_of: dt.datetime | None,
    db: str | None,
) -> None:
    """Score the six cracks of every alliance for a period: health index, status, open
    cracks, failure probability, revenue at risk and early-warning alerts.

    A quarter that has not started is refused; one still in progress is labelled so."""
    today = _today(as_of)
    period = _period(period, today)
    frames = _running_frames(db, period, today)
    scores = health.score_portfolio(frames, period, scoring.ScoringConfig(as_of=today))
    if fmt == "json":
        text = as_json(scores, today)
    elif fmt == "csv":
        text = _frame(scores, which).to_csv(index=False)
        if periods.in_progress(period, today):
            click.echo(f"note: {periods.label(period, today)}", err=True)
    else:
        text = as_table(scores, today)
    _emit(text, out)


@main.command()
@click.argument("alliance_id")
@click.option("--period", "-p", required=True, help="Quarter like 2026-Q3, or 'previous'.")
@click.option("--crack", type=click.IntRange(1, 6), help="Crack 1-6 (default: the worst).")
@as_of_option
@db_option
def explain(
    alliance_id: str, period: str, crack: int | None, as_of: dt.datetime | None, db: str | None
) -> None:
    """Explain one alliance's crack score: statements, evidence, weights, remedies."""
    today = _today(as_of)
    period = _period(period, today)
    frames = _running_frames(db, period, today)
    alliance_id = keys.match(alliance_id, frames["alliances"]["id"])
    cfg = scoring.ScoringConfig(as_of=today)
    if periods.in_progress(period, today):
        click.echo(
            f"{periods.label(period, today)}: scores move until the quarter closes; the "
            f"evidence from the records counts through {health.evidence_period(period, cfg)}.\n"
        )
    if crack is None:
        sub = encoding.subset_frames(frames, [alliance_id])
        c = health.score_portfolio(sub, period, cfg).cracks.dropna(subset=["score"])
        # the worst scored crack; with none scored, crack 1 says what is missing
        crack = int(c.sort_values("score").iloc[0]["crack"]) if len(c) else 1
    click.echo(health.explain(frames, alliance_id, crack, period, cfg).to_text())
