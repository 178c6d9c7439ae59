"""The ``alliance-kit`` command line. Each command group lives in its own module here;
every module in this package is loaded and adds its commands to ``main``."""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

import click

from alliance_kit import __version__
from alliance_kit.store import Store, StoreError, open_store

#: Exceptions that mean the user asked for something impossible: shown without traceback.
USER_ERRORS: tuple[type[Exception], ...] = (StoreError, ValueError, FileNotFoundError)


class _Group(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except USER_ERRORS as exc:
            raise click.ClickException(str(exc)) from exc


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="alliance-kit")
def main() -> None:
    """Keep strategic alliances from failing: records, health, reports and dashboards.

    The store is the SQLite file data/alliance_kit.sqlite unless --db or the
    ALLIANCE_KIT_DB environment variable names another (a file or a PostgreSQL URL).
    """


db_option = click.option(
    "--db",
    envvar="ALLIANCE_KIT_DB",
    default=None,
    metavar="URL",
    help="Store: a SQLite file path or postgresql://user:pass@host/db "
    "(default: $ALLIANCE_KIT_DB, else data/alliance_kit.sqlite).",
)


def store_for(db: str | None, *, create: bool = False) -> Store:
    """Open the store a command was pointed at. Only commands that make a store (init,
    demo, import) pass ``create``; the others refuse a SQLite file that does not exist."""
    return open_store(db, create=create)


for _mod in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    importlib.import_module(f"{__name__}.{_mod}")
