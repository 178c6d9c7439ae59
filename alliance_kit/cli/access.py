"""``alliance-kit access``: who may see and change what in a team (PostgreSQL) store.

Each person is a PostgreSQL login role; row-level security decides what each sees and
may write, for every client (see :mod:`alliance_kit.records.access`). The embedded SQLite
store is single-user, and these commands refuse it with that message.
"""

from __future__ import annotations

import click
from sqlalchemy.engine import make_url

from alliance_kit.cli import db_option, main, store_for
from alliance_kit.records import access
from alliance_kit.records.model import ACCESS_KINDS
from alliance_kit.records.store import Store

person_option = click.option(
    "--person", required=True, metavar="NAME", help="The person's name, as the history shows it."
)


@main.group("access")
def access_group() -> None:
    """People of a team store and what each may see and change (PostgreSQL only).

    \b
    admin      reads and writes every alliance; changes access
    analyst    reads and writes every alliance
    owner      reads and writes their own alliances (--alliance), nothing else
    executive  reads every alliance, writes nothing
    reader     reads every alliance, writes nothing (for scheduled reports)
    """


@access_group.command("grant")
@db_option
@person_option
@click.option("--role", "kind", required=True, type=click.Choice(ACCESS_KINDS))
@click.option(
    "--alliance",
    "alliances",
    multiple=True,
    metavar="ID",
    help="An alliance the owner owns (repeat for several).",
)
@click.option(
    "--login",
    default=None,
    metavar="ROLE",
    help="Use this existing PostgreSQL login role instead of creating one.",
)
@click.option("--new-password", is_flag=True, help="Give the person's login a new password.")
def grant(
    db: str | None,
    person: str,
    kind: str,
    alliances: tuple[str, ...],
    login: str | None,
    new_password: bool,
) -> None:
    """Give a person access (or change their role or alliances)."""
    store = store_for(db)
    done = access.grant(store, person, kind, alliances, login=login, new_password=new_password)
    who = done.person
    scope = f" of {', '.join(who.alliances)}" if who.alliances else ""
    click.echo(f"{who.name}: {who.kind}{scope}, signs in as the PostgreSQL role {who.login}")
    if done.password:
        url = make_url(store.engine.url.render_as_string(hide_password=False)).set(
            drivername="postgresql", username=who.login, password=done.password
        )
        click.echo(
            "Their store URL, with a password shown only now (give it to them privately; "
            "they set it as ALLIANCE_KIT_DB or pass it as --db):"
        )
        click.echo(f"  {url.render_as_string(hide_password=False)}")


@access_group.command("revoke")
@db_option
@person_option
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def revoke(db: str | None, person: str, yes: bool) -> None:
    """Take a person's access away: their login role is dropped, their sessions ended
    and their dashboard links stop working. Their past changes stay in the history."""
    store = store_for(db)
    found = access.person(store, person)
    if found is None:
        raise click.ClickException(f"no person {person!r} has access (`alliance-kit access list`)")
    scope = f" of {', '.join(found.alliances)}" if found.alliances else ""
    if not yes:
        click.confirm(
            f"Revoke {found.name} ({found.kind}{scope}, role {found.login})? Granting again "
            "later gives them a new password.",
            abort=True,
        )
    access.revoke(store, person)
    click.echo(f"{found.name} no longer has access; recorded in `alliance-kit access list --log`.")


@access_group.command("list")
@db_option
@click.option("--log", "show_log", is_flag=True, help="Show who granted or revoked what, when.")
def list_people(db: str | None, show_log: bool) -> None:
    """Everyone with access, their role, login and alliances; row-level security status."""
    store = store_for(db)
    if show_log:
        click.echo(access.log_frame(store).to_string(index=False))
        return
    frame = access.people_frame(store)
    click.echo(frame.to_string(index=False) if len(frame) else "nobody has been granted access yet")
    click.echo(_policy_line(store))


@access_group.command("link")
@db_option
@person_option
@click.option(
    "--days", default=access.DEFAULT_LINK_DAYS, show_default=True, help="Days the link works."
)
@click.option(
    "--url",
    "base",
    default="http://127.0.0.1:8866/",
    show_default=True,
    help="The dashboard's address as viewers reach it.",
)
def link(db: str | None, person: str, days: int, base: str) -> None:
    """Issue a personal dashboard link (printed once; only its hash is kept)."""
    store = store_for(db)
    token = access.issue_link(store, person, days)
    click.echo(f"Dashboard link for {person}, valid {days} days (shown only now):")
    click.echo(f"  {base.rstrip('/')}/?token={token}")
    click.echo(f"`alliance-kit access unlink --person {_shell(person)}` revokes it.")


@access_group.command("unlink")
@db_option
@person_option
def unlink(db: str | None, person: str) -> None:
    """Revoke every dashboard link of a person (effective at their next page request)."""
    n = access.revoke_links(store_for(db), person)
    click.echo(f"{n} dashboard link(s) of {person} revoked")


def _policy_line(store: Store) -> str:
    check = access.check_policies(store)
    if check.in_force:
        return f"row-level security: in force on all {len(check.protected)} tables"
    return "row-level security: MISSING on " + ", ".join(check.missing)


def _shell(text: str) -> str:
    import shlex

    return shlex.quote(text)
