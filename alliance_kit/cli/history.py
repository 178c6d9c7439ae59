"""``alliance-kit history``: who changed which records, when, through what."""

from __future__ import annotations

import datetime as dt

import click

from alliance_kit.cli import db_option, main, store_for


@main.command()
@db_option
@click.option("--alliance", metavar="ID", help="Only records of this alliance.")
@click.option("--since", metavar="DATE", help="Only changes from this day on (YYYY-MM-DD, UTC).")
@click.option("--user", "user_name", metavar="NAME", help="Only changes by this user.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
    help="table for reading, csv for a spreadsheet (formulas neutralized), json for tools.",
)
def history(
    db: str | None, alliance: str | None, since: str | None, user_name: str | None, fmt: str
) -> None:
    """The change history: every write (imports, workbook forms, survey answers and
    administration, restores) with who made it, when (UTC), through which command or
    notebook, and each record's values before and after. Survey answers appear as counts
    only, never with their values or respondents."""
    from alliance_kit.records import history as h
    from alliance_kit.records import schemas

    start = None
    if since:
        try:
            start = dt.datetime.combine(dt.date.fromisoformat(since), dt.time())
        except ValueError as exc:
            raise click.BadParameter(
                f"{since!r} is not a date like 2026-12-31", param_hint="--since"
            ) from exc
    frame = store_for(db).history(alliance=alliance, since=start, user=user_name)
    if fmt == "json":
        click.echo(h.render_json(frame))
    elif fmt == "csv":
        table = h.history_table(frame)
        for col in table.columns:
            table[col] = schemas.neutralize(table[col].astype(object))
        click.echo(table.to_csv(index=False, lineterminator="\n"), nl=False)
    else:
        click.echo(h.render_text(frame))
