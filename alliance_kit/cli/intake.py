"""Intake commands: ``import``, ``validate``, ``export`` and ``template``."""

from __future__ import annotations

from pathlib import Path

import click

from alliance_kit import io
from alliance_kit.cli import db_option, main, store_for, user_path
from alliance_kit.schemas import Problem


def _report(problems: list[Problem], path: str, what: str) -> None:
    """Print every problem, one a line, then the count; exit 1."""
    for p in problems:
        click.echo(p.message)
    n = len(problems)
    click.echo(f"{n} problem{'s' if n != 1 else ''} in {path}; {what}", err=True)
    raise SystemExit(1)


@main.command("import")
@click.argument("path", type=user_path())
@db_option
@click.option("--dry-run", is_flag=True, help="Validate and count, write nothing.")
@click.option(
    "--add",
    is_flag=True,
    help="Add the file's records to the store instead of replacing the whole portfolio "
    "(records may refer to stored ones; stored keys may not be repeated).",
)
def import_cmd(path: Path, db: str | None, dry_run: bool, add: bool) -> None:
    """Validate an intake workbook (.xlsx) or a folder of CSV files and load it.

    By default the file replaces the portfolio in the store: record types missing from
    it end up empty. Every problem is listed with its file, sheet, row, column and value;
    if there is any, nothing is written (exit code 1).
    """
    store = store_for(db, create=True)
    result = io.import_portfolio(store, path, replace=not add, dry_run=dry_run)
    if not result.ok:
        _report(result.problems, str(path), "nothing was imported")
    verb = "would import" if dry_run else "imported"
    counts = ", ".join(f"{n} {t}" for t, n in result.written.items() if n)
    click.echo(f"{verb} {result.records} records from {path} into {store.url}: {counts}")


@main.command()
@click.argument("path", type=user_path())
def validate(path: Path) -> None:
    """Check an intake workbook or CSV folder without touching any store."""
    typed, problems = io.load_portfolio(path)
    if problems:
        _report(problems, str(path), "fix them and validate again")
    total = sum(len(f) for f in typed.values())
    click.echo(f"{path} is valid: {total} records in {len(typed)} sheets")


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
def template(path: Path | None) -> None:
    """Write the empty intake workbook (default: templates/intake.xlsx)."""
    out = io.write_template(path or io.default_template_path())
    click.echo(f"wrote the intake template to {out}")
