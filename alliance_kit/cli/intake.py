"""Intake commands: ``import``, ``validate``, ``export`` and ``template``."""

from __future__ import annotations

from pathlib import Path

import click

from alliance_kit.cli import db_option, main, store_for, user_path
from alliance_kit.records import io, schemas, snapshots
from alliance_kit.records.changes import Changes
from alliance_kit.records.schemas import Problem


def _report(problems: list[Problem], path: str, what: str) -> None:
    """Print every problem, one a line, then the count; exit 1."""
    for p in problems:
        click.echo(p.message)
    n = len(problems)
    click.echo(f"{n} problem{'s' if n != 1 else ''} in {path}; {what}", err=True)
    raise SystemExit(1)


dates_option = click.option(
    "--dates",
    type=click.Choice(list(schemas.DATE_ORDERS), case_sensitive=False),
    default=None,
    help="How dates typed as text in the file are written: iso (YYYY-MM-DD, the default), "
    "day-first (DD/MM/YYYY) or month-first (MM/DD/YYYY). A workbook can say it itself "
    "on its README sheet ('Dates are written', cell B3 of the template); a workbook set "
    "to another order than --dates is refused. YYYY-MM-DD and date cells are read under "
    "any setting.",
)


MODE_HELP = (
    "--merge (add new records, update changed ones, keep the rest), --replace (the "
    "store becomes the file) or --add (new records only)"
)


@main.command("import")
@click.argument("path", type=user_path())
@db_option
@click.option(
    "--merge",
    "mode",
    flag_value="merge",
    help="Match records by key: add new ones, update changed ones, keep those the file "
    "lacks. A partial file (only kpi_actuals, only this quarter's meetings) is fine.",
)
@click.option(
    "--replace",
    "mode",
    flag_value="replace",
    help="The whole portfolio becomes the file: record types and records it lacks are "
    "removed. Survey invitations of respondents it keeps are kept.",
)
@click.option(
    "--add", "mode", flag_value="add", help="Add new records only; a stored key is an error."
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Validate and print, per record type, what would be added, changed (which "
    "columns), removed and left unchanged; write nothing.",
)
@click.option(
    "--force",
    is_flag=True,
    help="With --merge: save rows over records someone changed in the store after the "
    "file was exported (without it such rows are refused, naming who and when).",
)
@dates_option
def import_cmd(
    path: Path, db: str | None, mode: str | None, dry_run: bool, force: bool, dates: str | None
) -> None:
    """Validate an intake workbook (.xlsx) or a folder of CSV files and load it.

    Into a store that holds records, say what the file is for: --merge (the everyday
    quarter: export, edit, import --merge), --replace or --add; add --dry-run to see
    first. --merge and --replace snapshot the store first (`alliance-kit snapshots`,
    `alliance-kit restore` undoes). Every problem is listed with its file, sheet, row,
    column and value; if there is any, nothing is written (exit code 1).
    """
    store = store_for(db, create=True)
    held = store.holds_records()
    given = mode is not None
    if mode is None:
        if held:
            raise click.ClickException(
                f"the store {store.url} holds {_at_stake(held)}; say what {path} is for: "
                f"{MODE_HELP} (add --dry-run to see what it would do); nothing was imported"
            )
        mode = "replace"  # an empty store: every record is added
    label = f"import --{mode}" if given else "import"
    taken: list[snapshots.Snapshot] = []

    def snapshot_first(diff: Changes) -> None:
        if mode in ("merge", "replace") and held and not diff.empty:
            taken.append(snapshots.take(store, f"import-{mode}"))

    result = io.import_portfolio(
        store,
        path,
        mode=mode,
        dry_run=dry_run,
        before_write=snapshot_first,
        force=force,
        dates=dates and dates.lower(),
    )
    if not result.ok:
        _report(result.problems, str(path), "nothing was imported")
    assert result.changes is not None
    totals = result.changes.totals()
    counts = (
        f"add {totals['added']:,}, change {totals['changed']:,} and remove "
        f"{totals['removed']:,} records ({totals['unchanged']:,} unchanged)"
    )
    if dry_run:
        click.echo(
            f"import --{mode} of {path} into {store.url} would {counts}; dry run, "
            "nothing was written:"
        )
    else:
        done = counts.replace("add", "added", 1).replace("change ", "changed ", 1)
        done = done.replace("and remove", "and removed", 1)
        click.echo(f"{label} of {path} into {store.url}: {done}")
    for line in result.changes.lines():
        click.echo(line)
    if result.invitations_removed:
        click.echo(
            f"  invitations: {result.invitations_removed:,} survey invitation(s) of removed "
            f"respondents {'would be' if dry_run else 'were'} deleted (their codes stop "
            "working); invitations of the respondents the file keeps are kept"
        )
    if taken:
        click.echo(
            f"snapshot {taken[0].name} taken first; `alliance-kit restore {taken[0].name}` "
            "undoes this import"
        )
    elif not dry_run and result.changes.empty:
        click.echo("nothing changed")


def _at_stake(held: dict[str, int]) -> str:
    """``12 alliances, 4,321 records and 40 survey invitations``."""
    invitations = held.get("invitations", 0)
    records = sum(n for k, n in held.items() if k != "invitations")
    text = f"{held.get('alliances', 0):,} alliances, {records:,} records"
    return text + (f" and {invitations:,} survey invitations" if invitations else "")


@main.command()
@click.argument("path", type=user_path())
@dates_option
def validate(path: Path, dates: str | None) -> None:
    """Check an intake workbook or CSV folder without touching any store."""
    typed, problems = io.load_portfolio(path, dates=dates and dates.lower())
    if problems:
        _report(problems, str(path), "fix them and validate again")
    total = sum(len(f) for f in typed.values())
    used = sum(1 for f in typed.values() if len(f))
    records = f"{total:,} record{'' if total == 1 else 's'}"
    sheets = f"{used} sheet{'' if used == 1 else 's'}"
    click.echo(f"{path} is valid: {records} in {sheets}")


@main.command()
@click.argument("path", type=user_path())
@click.option(
    "--format",
    "fmt",
    type=click.Choice(io.FORMATS),
    default=None,
    help="xlsx (one workbook) or csv (a folder); default: xlsx if PATH ends in .xlsx.",
)
@db_option
def export(path: Path, fmt: str | None, db: str | None) -> None:
    """Write the stored portfolio to an .xlsx workbook or a folder of CSV files.

    Text that a spreadsheet would run as a formula is prefixed with a quote; import
    removes it again. Assessment invitations are never exported.
    """
    store = store_for(db)
    out = io.export_portfolio(store, path, fmt)
    click.echo(f"exported {store.url} to {out}")


@main.command()
@click.argument("path", type=user_path(), required=False)
@click.option("--force", is_flag=True, help="Overwrite PATH if it exists.")
def template(path: Path | None, force: bool) -> None:
    """Write the empty intake workbook (default: templates/intake.xlsx).

    An existing file (perhaps a filled-in workbook) is kept unless --force."""
    target = path or io.default_template_path()
    if target.exists() and not force:
        raise click.ClickException(
            f"{target} exists (a filled-in workbook?); it was kept. Choose another name, "
            "or add --force to overwrite it"
        )
    out = io.write_template(target)
    click.echo(f"wrote the intake template to {out}")
