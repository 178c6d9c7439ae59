"""The ``alliance-kit`` command line. Each command group lives in its own module here;
every module in this package is loaded and adds its commands to ``main``."""

from __future__ import annotations

import importlib
import os
import pkgutil
from pathlib import Path
from typing import Any

import click

from alliance_kit import __version__
from alliance_kit.config import ENV_DB, absolute_db
from alliance_kit.records.history import ENV_USER, Actor
from alliance_kit.records.opening import open_store
from alliance_kit.records.store import Store, StoreError

#: Exceptions that mean the user asked for something impossible: shown without traceback.
USER_ERRORS: tuple[type[Exception], ...] = (StoreError, ValueError, FileNotFoundError)


class _Group(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        from sqlalchemy.exc import DBAPIError

        try:
            return super().invoke(ctx)
        except USER_ERRORS as exc:
            raise click.ClickException(str(exc)) from exc
        except DBAPIError as exc:  # the server refused: its first line, not a traceback
            msg = f"the store refused the operation: {_first_line(exc)}"
            raise click.ClickException(msg) from None


def _first_line(exc: Any) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="alliance-kit")
@click.option(
    "--user",
    envvar=ENV_USER,
    default=None,
    metavar="NAME",
    help="Who is writing, as the change history records it "
    f"(default: ${ENV_USER}, else your login name).",
)
@click.pass_context
def main(ctx: click.Context, user: str | None) -> None:
    """Keep strategic alliances from failing: records, health, reports and dashboards.

    The store is the SQLite file data/alliance_kit.sqlite unless --db or the
    ALLIANCE_KIT_DB environment variable names another (a file or a PostgreSQL URL).
    Relative paths are taken from the directory the command is started in.
    Every change is recorded with who made it: see `alliance-kit history`.
    """
    ctx.obj = {"user": user}
    # Kernels and servers started by a command inherit its environment but run in other
    # directories: a relative store path in the variable is made absolute here, once.
    if os.environ.get(ENV_DB):
        os.environ[ENV_DB] = absolute_db(os.environ[ENV_DB]) or ""


def _absolute_db(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    return absolute_db(value)


db_option = click.option(
    "--db",
    envvar=ENV_DB,
    default=None,
    metavar="URL",
    callback=_absolute_db,
    help="Store: a SQLite file path or postgresql://user:pass@host/db "
    "(default: $ALLIANCE_KIT_DB, else data/alliance_kit.sqlite).",
)


def user_path(*, file_okay: bool = True, dir_okay: bool = True) -> click.Path:
    """A path the user typed, made absolute against the directory the command started in,
    so that kernels and servers running elsewhere find the same file or folder."""
    return click.Path(file_okay=file_okay, dir_okay=dir_okay, path_type=Path, resolve_path=True)


def store_for(db: str | None, *, create: bool = False) -> Store:
    """Open the store a command was pointed at. Only commands that make a store (init,
    demo, import) pass ``create``; the others refuse a SQLite file that does not exist.
    Its writes are recorded as the ``--user``'s, through this command."""
    store = open_store(db, create=create)
    store.actor = actor()
    return store


def actor() -> Actor:
    """Who runs the current command (``--user``, ``$ALLIANCE_KIT_USER``, the login name)
    and the command itself, e.g. ``alliance-kit survey invite``."""
    ctx = click.get_current_context(silent=True)
    if ctx is None:
        return Actor.current()
    root = ctx.find_root()
    user = (root.obj or {}).get("user") if isinstance(root.obj, dict) else None
    return Actor.current(user, ctx.command_path.replace(root.info_name or "", "alliance-kit", 1))


for _mod in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    importlib.import_module(f"{__name__}.{_mod}")
