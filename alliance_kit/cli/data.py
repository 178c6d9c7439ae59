"""Store set-up commands: ``init`` and ``demo``."""

from __future__ import annotations

from pathlib import Path

import click

from alliance_kit.cli import db_option, main, store_for, user_path


@main.command()
@db_option
def init(db: str | None) -> None:
    """Create the store, or upgrade its schema to this version."""
    store = store_for(db, create=True)
    click.echo(f"store ready at {store.url} (schema {store.revision()})")


@main.command()
@db_option
@click.option("--alliances", default=12, show_default=True, help="How many sample alliances.")
@click.option("--seed", default=7, show_default=True, help="Random seed of the sample generator.")
@click.option("--reports/--no-reports", default=True, help="Produce the reports (default yes).")
@click.option("--out", type=user_path(file_okay=False), help="Report folder (default reports/).")
def demo(db: str | None, alliances: int, seed: int, reports: bool, out: Path | None) -> None:
    """Load the sample portfolio into the store (replacing what is there) and produce the
    reports, then say where to look."""
    from alliance_kit import sample

    store = store_for(db, create=True)
    frames = sample.portfolio(n_alliances=alliances, seed=seed)
    written = store.replace_all(frames)
    click.echo(
        f"loaded the sample portfolio into {store.url}: "
        f"{written['alliances']} alliances, {sum(written.values())} records"
    )
    if reports:
        from alliance_kit.cli.report import run_reports

        period = _last_period(frames)
        click.echo(f"producing the reports for {period} ...")
        result = run_reports(period=period, db=db, out=out, progress=True)
        click.echo(f"open {result.index.resolve().as_uri()}")
        if not result.ok:
            raise click.ClickException(f"report(s) failed: {', '.join(sorted(result.failed))}")
        click.echo(
            "next: `make lab` for the workbooks (start with 00_start_here.ipynb), "
            "`make dashboard` for the executive dashboard, "
            f"`alliance-kit score --period {period}` for the scores in the terminal"
        )


def _last_period(frames) -> str:
    """The sample's last quarter: the latest period any of its records carry."""
    found = [
        df["period"].max()
        for df in frames.values()
        if "period" in df.columns and len(df) and df["period"].notna().any()
    ]
    return str(max(found))
