"""Store set-up commands: ``init`` and ``demo``."""

from __future__ import annotations

from pathlib import Path

import click

from alliance_kit.cli import db_option, main, store_for, user_path
from alliance_kit.records import access
from alliance_kit.records.store import Store


@main.command()
@db_option
def init(db: str | None) -> None:
    """Create the store, or upgrade its schema to this version."""
    store = store_for(db, create=True)
    if store.upgrade_snapshot:
        click.echo(
            f"snapshot {store.upgrade_snapshot} taken before the schema upgrade "
            f"(`alliance-kit restore {store.upgrade_snapshot}` brings the old store back)"
        )
    click.echo(f"store ready at {store.url} (schema {store.revision()})")
    click.echo(access_status(store))


def access_status(store: Store) -> str:
    """What ``init`` says of access: single-user (SQLite), or row-level security checked
    in force on every table (PostgreSQL; an error if a table lacks it)."""
    if store.engine.dialect.name != "postgresql":
        return "access: single-user store (SQLite has no roles; see README, 'For a team')"
    check = access.check_policies(store)
    if not check.in_force:
        raise click.ClickException(
            "row-level security is not in force on " + ", ".join(check.missing) + ": someone "
            "changed the schema by hand; restore a snapshot or ask the database's owner"
        )
    access.refresh_privileges(store)  # tables an upgrade added are granted too
    people = len(access.people(store))
    return (
        f"access: row-level security in force on all {len(check.protected)} tables; "
        f"{people} {'person' if people == 1 else 'people'} granted (`alliance-kit access list`)"
    )


@main.command()
@db_option
@click.option("--alliances", default=12, show_default=True, help="How many sample alliances.")
@click.option("--seed", default=7, show_default=True, help="Random seed of the sample generator.")
@click.option("--reports/--no-reports", default=True, help="Produce the reports (default yes).")
@click.option("--out", type=user_path(file_okay=False), help="Report folder (default reports/).")
@click.option(
    "--force",
    is_flag=True,
    help="Replace a store that holds anything but the sample portfolio (snapshotted first).",
)
def demo(
    db: str | None, alliances: int, seed: int, reports: bool, out: Path | None, force: bool
) -> None:
    """Load the sample portfolio into the store and produce the reports, then say where
    to look. A store holding anything but a previous sample is refused unless --force."""
    from alliance_kit.records import sample, snapshots

    store = store_for(db, create=True)
    held = store.holds_records()
    if held and not force and not sample.holds_sample(store, seeds=(seed,)):
        raise click.ClickException(
            f"the store {store.url} holds records that are not the sample portfolio "
            f"({held.get('alliances', 0):,} alliances, {sum(held.values()):,} rows); "
            "demo would replace them. Use another --db, or add --force (a snapshot "
            "is taken first)"
        )
    if held:
        snap = snapshots.take(store, "demo")
        click.echo(f"snapshot {snap.name} taken first (`alliance-kit restore {snap.name}`)")
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
