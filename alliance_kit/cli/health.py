"""``alliance-kit score`` and ``alliance-kit explain``: six-crack health from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pandas as pd

from alliance_kit import health, periods
from alliance_kit.cli import db_option, main, store_for

TABLES = ("alliances", "cracks", "alerts", "sides", "evidence", "portfolio")
STATUS_MARK = {"green": "G", "amber": "A", "red": "R"}


def _period(value: str) -> str:
    """A quarter like 2026-Q3, or ``previous`` for the last closed quarter."""
    if value.strip().lower() == "previous":
        return periods.last_closed()
    periods.parse(value)
    return value.strip()


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


def as_json(scores: health.PortfolioScores) -> str:
    m = scores.model
    doc = {
        "period": scores.period,
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


def as_table(scores: health.PortfolioScores) -> str:
    """A terminal-friendly summary: alliances, crack matrix, alerts, revenue at risk."""
    a = scores.alliances
    c = scores.cracks
    matrix = c.assign(
        cell=c["score"].map(lambda s: "  -" if pd.isna(s) else f"{s:3.0f}")
        + c["status"].map(STATUS_MARK).fillna(" ")
    ).pivot(index="alliance_id", columns="crack", values="cell")
    matrix.columns = [f"c{n}" for n in matrix.columns]
    view = pd.DataFrame(
        {
            "alliance": a["alliance_id"],
            "name": a["name"].str.slice(0, 28),
            "health": a["health_index"].map(lambda x: "-" if pd.isna(x) else f"{x:.1f}"),
            "status": a["status"].fillna("no data")
            + a["knocked_out"].map({True: "*", False: ""}).fillna(""),
            "p(fail)": a["failure_probability"].map(lambda x: "-" if pd.isna(x) else f"{x:.0%}"),
            "at risk": a["revenue_at_risk"].map(_money) + " " + a["currency"],
            "alerts": a["alerts"],
        }
    ).merge(matrix, left_on="alliance", right_index=True, how="left")
    lines = [
        f"Alliance health, {scores.period}  (crack scores 0-100: G green >= "
        f"{scores.config.green:g}, A amber >= {scores.config.amber:g}, R red; "
        "* = capped at amber by a red crack)",
        "",
        view.to_string(index=False),
        "",
        "Revenue at risk (expected annual revenue x failure probability):",
    ]
    for r in scores.portfolio.itertuples(index=False):
        lines.append(
            f"  {r.currency}: {_money(r.revenue_at_risk)} of {_money(r.expected_revenue)} "
            f"expected ({r.alliances} alliances)"
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
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write to a file.")
@db_option
def score(period: str, fmt: str, which: str, out: Path | None, db: str | None) -> None:
    """Score the six cracks of every alliance for a period: health index, status, open
    cracks, failure probability, revenue at risk and early-warning alerts."""
    period = _period(period)
    frames = store_for(db).read_all()
    scores = health.score_portfolio(frames, period)
    if fmt == "json":
        text = as_json(scores)
    elif fmt == "csv":
        text = _frame(scores, which).to_csv(index=False)
    else:
        text = as_table(scores)
    _emit(text, out)


@main.command()
@click.argument("alliance_id")
@click.option("--period", "-p", required=True, help="Quarter like 2026-Q3, or 'previous'.")
@click.option("--crack", type=click.IntRange(1, 6), help="Crack 1-6 (default: the worst).")
@db_option
def explain(alliance_id: str, period: str, crack: int | None, db: str | None) -> None:
    """Explain one alliance's crack score: statements, evidence, weights, remedies."""
    period = _period(period)
    frames = store_for(db).read_all()
    if crack is None:
        sub = health._subset(frames, [alliance_id])
        c = health.score_portfolio(sub, period).cracks.dropna(subset=["score"])
        if c.empty:
            raise ValueError(f"no scores for {alliance_id} in {period}")
        crack = int(c.sort_values("score").iloc[0]["crack"])
    click.echo(health.explain(frames, alliance_id, crack, period).to_text())
