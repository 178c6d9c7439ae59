"""Snapshot commands: ``snapshots`` (list) and ``restore``."""

from __future__ import annotations

import click

from alliance_kit.cli import db_option, main, store_for
from alliance_kit.records import snapshots as snaps


@main.command()
@db_option
def snapshots(db: str | None) -> None:
    """List the store's snapshots, oldest first.

    One is taken automatically before every import --merge or --replace, demo over a
    store, schema upgrade and restore. Kept: the newest $ALLIANCE_KIT_SNAPSHOT_KEEP
    (default 20); folder: $ALLIANCE_KIT_SNAPSHOTS, else snapshots/ beside a SQLite store.
    """
    store = store_for(db)
    found = snaps.list_snapshots(store)
    where = snaps.location(store)
    if not found:
        click.echo(f"no snapshots of {store.url} in {where}")
        return
    click.echo(f"snapshots of {store.url} in {where}:")
    for s in found:
        click.echo(f"  {s.describe()}")
    click.echo("`alliance-kit restore NAME` brings the store back to one of them")


@main.command()
@click.argument("snapshot")
@db_option
def restore(snapshot: str, db: str | None) -> None:
    """Bring the store back exactly to SNAPSHOT (a name from `alliance-kit snapshots`).

    The current state is snapshotted first, so a restore can be undone too. The restore
    is one transaction: interrupted, it leaves the store as it was.
    """
    store = store_for(db)
    restored, before = snaps.restore(store, snapshot)
    click.echo(
        f"restored {store.url} to {restored.name} ({restored.records:,} records); "
        f"the state it replaced is snapshot {before.name} "
        f"(`alliance-kit restore {before.name}` undoes this restore)"
    )
