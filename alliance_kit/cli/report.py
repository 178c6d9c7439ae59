"""``alliance-kit report``: the periodic report batch (see alliance_kit.delivery.batch)."""

from __future__ import annotations

import datetime as dt
import signal
import sys
from pathlib import Path
from typing import Any

import click

from alliance_kit.cli import db_option, main, user_path
from alliance_kit.delivery.processes import Stopped, signal_name, stop_signals_raise


def _param(values: tuple[str, ...]) -> dict[str, Any]:
    """``--param name=value`` pairs; values are read as Python literals when they parse."""
    import ast

    out: dict[str, Any] = {}
    for item in values:
        name, sep, raw = item.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"{item!r} is not NAME=VALUE", param_hint="--param")
        try:
            out[name.strip()] = ast.literal_eval(raw)
        except (ValueError, SyntaxError):
            out[name.strip()] = raw
    return out


def _rates(values: tuple[str, ...]) -> dict[str, float]:
    """``--exchange-rate EUR=1.08`` pairs as ``{"EUR": 1.08}``."""
    out: dict[str, float] = {}
    for item in values:
        cur, _, raw = item.partition("=")
        try:
            rate = float(raw)
        except ValueError:
            rate = 0.0
        if len(cur.strip()) != 3 or not rate > 0:
            raise click.BadParameter(
                f"{item!r} is not CUR=RATE with a positive rate", param_hint="--exchange-rate"
            )
        out[cur.strip().upper()] = rate
    return out


def run_reports(**kw: Any):
    """Run the batch and print its summary (shared with ``demo``).

    Ctrl-C, SIGTERM or SIGHUP stop it quietly: the workers and their kernels are ended,
    what was finished is kept, one summary says so and that the same command resumes;
    the exit status is 128 + the signal (130 for Ctrl-C, 143 for SIGTERM)."""
    from alliance_kit.delivery import batch

    try:
        with stop_signals_raise():
            result = batch.run(**kw)
    except batch.Interrupted as stop:
        click.echo(stop.result.summary())
        raise SystemExit(128 + stop.signum) from None
    except (KeyboardInterrupt, Stopped) as stop:  # while reading the store or scoring
        signum = getattr(stop, "signum", signal.SIGINT)
        click.echo(
            f"Stopped by {signal_name(signum)}. Finished reports are kept: run the same "
            "command again to resume."
        )
        raise SystemExit(128 + signum) from None
    click.echo(result.summary())
    return result


@main.command()
@click.option(
    "-p",
    "--period",
    default="previous",
    show_default=True,
    help="Quarter such as 2026-Q3, or 'previous' for the last closed quarter.",
)
@click.option(
    "--alliance",
    "alliances",
    multiple=True,
    metavar="ID",
    help="Only these alliances (repeatable).",
)
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 256))
@click.option(
    "--executor",
    type=click.Choice(["local", "dask"]),
    default="local",
    show_default=True,
    help="local: a pool of worker processes; dask: a Dask distributed cluster.",
)
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    help="Dask scheduler (tcp://host:8786); default a LocalCluster.",
)
@click.option(
    "--format", "formats", default="html,ipynb", show_default=True, help="Any of html,pdf,ipynb."
)
@click.option("--out", type=user_path(file_okay=False), help="Output folder (default reports/).")
@click.option("--timeout", default=600.0, show_default=True, help="Seconds one report may take.")
@click.option("--force", is_flag=True, help="Redo every report, not only failed or changed ones.")
@click.option("--company-revenue", type=float, help="Portfolio report: your annual revenue.")
@click.option(
    "--alliance-share", type=float, help="Portfolio report: share of it from alliances (0-1)."
)
@click.option("--company-currency", metavar="CUR", help="Portfolio report: your currency.")
@click.option(
    "--exchange-rate",
    "exchange_rates",
    multiple=True,
    metavar="CUR=RATE",
    help="Portfolio report: units of your currency per unit of CUR, to weigh alliances in "
    "other currencies (repeatable, e.g. EUR=1.08).",
)
@click.option(
    "--param",
    "params",
    multiple=True,
    metavar="NAME=VALUE",
    help="Another notebook parameter.",
)
@click.option("--no-progress", is_flag=True, help="No progress bar (for cron logs).")
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(["%Y-%m-%d"]),
    hidden=True,
    help="Take this day (YYYY-MM-DD) as today.",
)
@db_option
def report(
    period: str,
    alliances: tuple[str, ...],
    workers: int,
    executor: str,
    scheduler: str | None,
    formats: str,
    out: Path | None,
    timeout: float,
    force: bool,
    company_revenue: float | None,
    alliance_share: float | None,
    company_currency: str | None,
    exchange_rates: tuple[str, ...],
    params: tuple[str, ...],
    no_progress: bool,
    as_of: dt.datetime | None,
    db: str | None,
) -> None:
    """Produce every alliance's report and the portfolio report for a period.

    Runs the report notebooks with papermill on warm kernels, keeps each executed
    notebook, writes code-free HTML (and PDF), an index.html and a manifest.json under
    OUT/PERIOD/. Re-running a period redoes only what failed or whose inputs changed.
    Refuses a quarter that has not started or in which no alliance runs; a quarter still
    in progress is built and labelled so. Exits non-zero, naming them, when any report
    failed. Ctrl-C stops it cleanly: finished reports are kept, and the same command
    resumes (exit status 130; 143 after SIGTERM).
    """
    extra = _param(params)
    if company_revenue is not None:
        extra["company_revenue"] = company_revenue
    if alliance_share is not None:
        extra["alliance_share"] = alliance_share
    if company_currency:
        extra["company_currency"] = company_currency.upper()
    if exchange_rates:
        extra["exchange_rates"] = _rates(exchange_rates)
    if scheduler and executor != "dask":
        raise click.UsageError("--scheduler needs --executor dask")
    result = run_reports(
        period=period,
        db=db,
        out=out,
        alliance_ids=list(alliances) or None,
        formats=formats,
        workers=workers,
        executor=executor,
        scheduler=scheduler,
        timeout=timeout,
        force=force,
        params=extra,
        progress=not no_progress and sys.stderr.isatty(),
        as_of=as_of.date() if as_of else None,
    )
    if not result.ok:
        raise click.ClickException(
            f"{len(result.failed)} report(s) failed: {', '.join(sorted(result.failed))}"
        )
