"""Who may see and change what in a team (PostgreSQL) store.

Access is enforced where the data lives: every person is a PostgreSQL login role, a member
of one group role per kind, and row-level security policies (migration 0004) decide,
row by row and for every client (CLI, notebooks, the dashboard, a user's own pandas
session), what that role sees and may write:

=========  ====================  ===========================================================
kind       reads                 writes
=========  ====================  ===========================================================
admin      every alliance        every alliance, and access (people, links)
analyst    every alliance        every alliance
owner      their alliances       their alliances
executive  every alliance        nothing
reader     every alliance        nothing (the account a scheduled ``report`` runs under)
=========  ====================  ===========================================================

Roles are cluster-wide in PostgreSQL, so their names start with the database's name
(``alliances_analyst``, ``alliances_ana``): several team stores share a server unmixed.
The role that created the store owns its tables: it is the first administrator, is not
bound by row-level security, and alone can upgrade the schema or replace the whole store.
The embedded SQLite store is single-user: it has no roles, and :func:`require_team_store`
refuses access commands there.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from alliance_kit.records.model import (
    ACCESS_KINDS,
    ACCESS_TABLES,
    AccessEvent,
    AccessPerson,
    AccessScope,
    DashboardLink,
)
from alliance_kit.records.store import PRIVATE_COLUMNS, Store, StoreError

PEOPLE = AccessPerson.__table__
SCOPES = AccessScope.__table__
LINKS = DashboardLink.__table__
LOG = AccessEvent.__table__
#: Kinds that may write records, and those that read every alliance.
WRITERS = frozenset({"admin", "analyst", "owner"})
READ_ALL = frozenset({"admin", "analyst", "executive", "reader"})
DEFAULT_LINK_DAYS = 30
#: The migration that created the row-level security policies (``init`` checks them).
POLICY_REVISION = "0004"
MAX_LINK_DAYS = 366
SINGLE_USER = (
    "the embedded SQLite store is single-user: it has no roles or row-level security, so "
    "anyone who can open the file can read and change everything. Per-person access needs "
    "a team store on PostgreSQL (see README, 'For a team')"
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class AccessError(StoreError):
    """An access command that cannot be done as asked; nothing was changed."""


@dataclass(frozen=True)
class Person:
    """A person of the team: ``name`` (as given to ``access grant``; user text), ``kind``,
    ``login`` (their PostgreSQL role) and, for an owner, ``alliances``."""

    name: str
    kind: str
    login: str
    alliances: tuple[str, ...] = ()

    @property
    def dashboard_role(self) -> str | None:
        """The role a dashboard kernel takes for this person (``SET ROLE``); None for an
        admin, who sees everything as the server's own login does."""
        return None if self.kind == "admin" else self.login


# --- names ---------------------------------------------------------------------------


def require_team_store(store: Store) -> None:
    if store.engine.dialect.name != "postgresql":
        raise AccessError(SINGLE_USER)


def role_prefix(database: str) -> str:
    """The prefix of this store's role names: the database name, in letters, digits, _."""
    slug = re.sub(r"[^a-z0-9_]+", "_", database.lower()).strip("_")
    return (slug or "alliance_kit")[:30]


def group_role(prefix: str, kind: str) -> str:
    return f"{prefix}_{kind}"


def check_person_name(name: str) -> str:
    clean = (name or "").strip()
    if not clean or len(clean) > 200 or _CONTROL.search(clean):
        raise AccessError(
            f"person name {name!r} is not usable: give 1 to 200 characters, no control characters"
        )
    return clean


def login_for(prefix: str, name: str, taken: Iterable[str] = ()) -> str:
    """A new login role name for a person: the prefix and the name's letters and digits."""
    slug = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")[:24] or "person"
    base = f"{prefix}_{slug}"
    taken = set(taken)
    candidate, n = base, 1
    while candidate in taken or candidate in {group_role(prefix, k) for k in ACCESS_KINDS}:
        n += 1
        candidate = f"{base}_{n}"
    return candidate


def _q(conn: Connection, identifier: str) -> str:
    return conn.dialect.identifier_preparer.quote_identifier(identifier)


def _literal(value: str) -> str:
    """A SQL string literal (role passwords cannot be bound parameters in DDL)."""
    return "'" + value.replace("'", "''") + "'"


# --- reading -------------------------------------------------------------------------


def enabled(store: Store) -> bool:
    """A PostgreSQL store with at least one person granted access."""
    if store.engine.dialect.name != "postgresql":
        return False
    with store.engine.connect() as conn:
        return conn.execute(select(PEOPLE.c.name).limit(1)).first() is not None


def people(store: Store) -> list[Person]:
    """Everyone granted access, with an owner's alliances (as this connection may see)."""
    require_team_store(store)
    with store.engine.connect() as conn:
        return _people(conn)


def _people(conn: Connection, name: str | None = None) -> list[Person]:
    query = select(PEOPLE.c.name, PEOPLE.c.kind, PEOPLE.c.login).order_by(PEOPLE.c.name)
    if name is not None:
        query = query.where(PEOPLE.c.name == name)
    rows = conn.execute(query).all()
    scopes: dict[str, list[str]] = {}
    for person, alliance in conn.execute(
        select(SCOPES.c.person, SCOPES.c.alliance_id).order_by(SCOPES.c.alliance_id)
    ):
        scopes.setdefault(person, []).append(alliance)
    return [Person(n, k, lg, tuple(scopes.get(n, ()))) for n, k, lg in rows]


def person(store: Store, name: str) -> Person | None:
    require_team_store(store)
    with store.engine.connect() as conn:
        found = _people(conn, name)
    return found[0] if found else None


def current_person(conn: Connection) -> Person | None:
    """The person this connection acts as (by ``current_user``), None if it is not one."""
    if conn.dialect.name != "postgresql":
        return None
    login = conn.exec_driver_sql("SELECT current_user").scalar_one()
    name = conn.execute(select(PEOPLE.c.name).where(PEOPLE.c.login == login)).scalar()
    return _people(conn, name)[0] if name is not None else None


def signed_in(store: Store) -> Person | None:
    """The person a store handle acts as (a team store's person), else None."""
    if store.engine.dialect.name != "postgresql":
        return None
    with store.engine.connect() as conn:
        return current_person(conn)


def people_frame(store: Store) -> pd.DataFrame:
    """Everyone granted access, one row each, for ``access list``: name, kind, login,
    alliances, active dashboard links."""
    require_team_store(store)
    with store.engine.connect() as conn:
        found = _people(conn)
        counts: dict[str, int] = {}
        if _is_admin(conn):  # (only admins read the links table)
            counts = dict(
                conn.execute(
                    select(LINKS.c.person, func.count())
                    .where(LINKS.c.revoked_at.is_(None), LINKS.c.expires_at > _now())
                    .group_by(LINKS.c.person)
                ).all()
            )
    return pd.DataFrame(
        [
            {
                "person": p.name,
                "kind": p.kind,
                "login": p.login,
                "alliances": ", ".join(p.alliances) if p.kind == "owner" else "all",
                "dashboard links": counts.get(p.name, 0),
            }
            for p in found
        ],
        columns=["person", "kind", "login", "alliances", "dashboard links"],
    )


def log_frame(store: Store, limit: int = 50) -> pd.DataFrame:
    """The newest changes of access (admins only)."""
    require_team_store(store)
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(LOG.c.at, LOG.c.by, LOG.c.action, LOG.c.person, LOG.c.detail)
            .order_by(LOG.c.at.desc())
            .limit(limit)
        ).all()
    frame = pd.DataFrame(rows, columns=["at", "by", "action", "person", "detail"])
    frame["at"] = pd.to_datetime(frame["at"]).dt.strftime("%Y-%m-%d %H:%M:%S UTC")
    return frame


# --- policies --------------------------------------------------------------------------


@dataclass(frozen=True)
class PolicyCheck:
    """Row-level security as the database has it: tables that lack it, and tables with it."""

    protected: tuple[str, ...]
    missing: tuple[str, ...]

    @property
    def in_force(self) -> bool:
        return not self.missing


def check_policies(store: Store) -> PolicyCheck:
    """Which tables have row-level security enabled with the expected policies."""
    from alembic.script import ScriptDirectory

    from alliance_kit.records.store import _alembic_config

    require_team_store(store)
    script = ScriptDirectory.from_config(_alembic_config(store.engine))
    want = script.get_revision(POLICY_REVISION).module.policies()
    with store.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT c.relname, c.relrowsecurity, "
            "array_remove(array_agg(p.polname::text), NULL) "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "LEFT JOIN pg_policy p ON p.polrelid = c.oid "
            "WHERE n.nspname = current_schema() AND c.relkind = 'r' "
            "GROUP BY c.relname, c.relrowsecurity"
        ).all()
    have = {name: (rls, set(pols)) for name, rls, pols in rows}
    missing, protected = [], []
    for table, statements in sorted(want.items()):
        names = {s.split()[2] for s in statements}
        rls, pols = have.get(table, (False, set()))
        (protected if rls and names <= pols else missing).append(table)
    return PolicyCheck(tuple(protected), tuple(missing))


# --- changing access ----------------------------------------------------------------------


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _owns_tables(conn: Connection) -> bool:
    """This role owns the store's tables (or is a member of their owner)."""
    return bool(
        conn.exec_driver_sql(
            "SELECT pg_has_role(current_user, tableowner, 'USAGE') FROM pg_tables "
            "WHERE schemaname = current_schema() AND tablename = 'access_people'"
        ).scalar()
    )


def _is_admin(conn: Connection) -> bool:
    """The store's owner (member of the role owning its tables), or a person of kind admin."""
    if _owns_tables(conn):
        return True
    return conn.exec_driver_sql("SELECT ak_kind(current_user)").scalar() == "admin"


def _require_admin(conn: Connection) -> str:
    """Refuse unless this connection may change access; returns its role."""
    role, can_create = conn.exec_driver_sql(
        "SELECT current_user, rolcreaterole OR rolsuper FROM pg_roles WHERE rolname = current_user"
    ).one()
    if not _is_admin(conn):
        raise AccessError(
            f"changing access needs an admin: the role {role} is not one (ask an admin to run "
            "`alliance-kit access grant --person NAME --role admin`)"
        )
    if not can_create:
        raise AccessError(
            f"the role {role} may not create roles (PostgreSQL's CREATEROLE): ask the "
            "database's superuser to `ALTER ROLE ... CREATEROLE`, or run this as an admin "
            "granted through `alliance-kit access`"
        )
    return role


def _roles(conn: Connection) -> set[str]:
    return set(conn.exec_driver_sql("SELECT rolname FROM pg_roles").scalars())


def _prefix(conn: Connection) -> str:
    return role_prefix(conn.exec_driver_sql("SELECT current_database()").scalar_one())


def _groups(conn: Connection) -> dict[str, str]:
    """This store's group role per kind (whether or not they exist yet)."""
    prefix = _prefix(conn)
    return {kind: group_role(prefix, kind) for kind in ACCESS_KINDS}


def ensure_groups(conn: Connection) -> dict[str, str]:
    """Create the store's group roles if missing and grant them their table privileges
    (again, so tables a later migration added are covered). Returns kind -> group role."""
    groups = _groups(conn)
    existing = _roles(conn)
    for group in groups.values():
        if group not in existing:
            conn.exec_driver_sql(f"CREATE ROLE {_q(conn, group)} NOLOGIN")
    me = conn.exec_driver_sql("SELECT session_user").scalar_one()
    if not conn.exec_driver_sql(
        "SELECT pg_has_role(session_user, %s, 'MEMBER')", (groups["admin"],)
    ).scalar():
        conn.exec_driver_sql(f"GRANT {_q(conn, groups['admin'])} TO {_q(conn, me)}")
    grant_privileges(conn, groups)
    return groups


def refresh_privileges(store: Store) -> bool:
    """Grant the team's groups their privileges again (``init`` after an upgrade: tables a
    migration added get them too). False when the store has no groups yet, or this role
    does not own the tables (only their owner upgrades the schema)."""
    require_team_store(store)
    with store.transaction() as conn:
        if not _owns_tables(conn):
            return False
        groups = _groups(conn)
        if not set(groups.values()) <= _roles(conn):
            return False
        grant_privileges(conn, groups)
    return True


def grant_privileges(conn: Connection, groups: dict[str, str]) -> None:
    """Table privileges per kind (row-level security then narrows the rows)."""
    tables = list(
        conn.exec_driver_sql(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
        ).scalars()
    )
    records = [t for t in tables if t not in ACCESS_TABLES and t not in _HISTORY + _META]
    everyone = ", ".join(_q(conn, g) for g in groups.values())
    writers = ", ".join(_q(conn, groups[k]) for k in ("analyst", "owner", "admin"))
    quote = ", ".join
    conn.exec_driver_sql(f"GRANT USAGE ON SCHEMA {_q(conn, _schema(conn))} TO {everyone}")
    readable = [t for t in tables if t not in ("dashboard_links", "access_log")]
    conn.exec_driver_sql(f"GRANT SELECT ON {quote(_q(conn, t) for t in readable)} TO {everyone}")
    # Executives and readers do not see who a respondent is, nor code hashes: they read
    # those columns as empty (Store.read), and raw SQL is refused them.
    watchers = ", ".join(_q(conn, groups[k]) for k in ("executive", "reader"))
    for table, private in PRIVATE_COLUMNS.items():
        if table not in tables:
            continue
        conn.exec_driver_sql(f"REVOKE SELECT ON {_q(conn, table)} FROM {watchers}")
        columns = conn.exec_driver_sql(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = %s",
            (table,),
        ).scalars()
        shown = ", ".join(_q(conn, c) for c in columns if c not in private)
        conn.exec_driver_sql(f"GRANT SELECT ({shown}) ON {_q(conn, table)} TO {watchers}")
    conn.exec_driver_sql(
        f"GRANT INSERT, UPDATE, DELETE ON {quote(_q(conn, t) for t in records)} TO {writers}"
    )
    conn.exec_driver_sql(f"GRANT INSERT ON {quote(_q(conn, t) for t in _HISTORY)} TO {writers}")
    access = quote(_q(conn, t) for t in ACCESS_TABLES)
    conn.exec_driver_sql(
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON {access} TO {_q(conn, groups['admin'])}"
    )


_HISTORY = ("change_sets", "change_rows")
_META = ("alembic_version",)


def _schema(conn: Connection) -> str:
    return conn.exec_driver_sql("SELECT current_schema()").scalar_one()


@dataclass(frozen=True)
class Granted:
    """What ``grant`` did: the person as now granted, whether their login role is new,
    and the password of a new login role (printed once, never stored)."""

    person: Person
    created: bool
    password: str | None


def grant(
    store: Store,
    name: str,
    kind: str,
    alliances: Sequence[str] = (),
    *,
    login: str | None = None,
    new_password: bool = False,
) -> Granted:
    """Give a person access of one kind (an owner: to ``alliances``), creating their login
    role (or, with ``login``, using an existing one); granting again changes the kind and
    alliances. All in one transaction: a refusal changes nothing."""
    require_team_store(store)
    name = check_person_name(name)
    if kind not in ACCESS_KINDS:
        raise AccessError(f"role {kind!r} is not one of {', '.join(ACCESS_KINDS)}")
    wanted = tuple(dict.fromkeys(a.strip() for a in alliances if a.strip()))
    if kind == "owner" and not wanted:
        raise AccessError("an owner needs at least one --alliance (the alliances they own)")
    if kind != "owner" and wanted:
        raise AccessError(f"--alliance is for owners: a {kind} sees every alliance")
    with store.transaction() as conn:
        by = _require_admin(conn)
        groups = ensure_groups(conn)
        _check_alliances(conn, wanted)
        before = _people(conn, name)
        old = before[0] if before else None
        roles = _roles(conn)
        password = None
        created = False
        if old is None:
            logins = set(conn.execute(select(PEOPLE.c.login)).scalars())
            taken = roles | logins
            if login:
                _check_existing_login(conn, login, roles, logins, groups)
                role = login
            else:
                role = login_for(_prefix(conn), name, taken)
                password = secrets.token_urlsafe(24)
                conn.exec_driver_sql(
                    f"CREATE ROLE {_q(conn, role)} LOGIN PASSWORD {_literal(password)}"
                )
                created = True
            conn.execute(
                insert(PEOPLE).values(
                    name=name, kind=kind, login=role, managed=created,
                    granted_at=_now(), granted_by=by,
                )
            )  # fmt: skip
        else:
            role = old.login
            if login and login != role:
                raise AccessError(f"{name} already signs in as {role}; revoke them first")
            if old.kind != kind:
                conn.exec_driver_sql(f"REVOKE {_q(conn, groups[old.kind])} FROM {_q(conn, role)}")
                conn.execute(update(PEOPLE).where(PEOPLE.c.name == name).values(kind=kind))
            if new_password:
                managed = conn.execute(
                    select(PEOPLE.c.managed).where(PEOPLE.c.name == name)
                ).scalar_one()
                if not managed:
                    raise AccessError(
                        f"{role} was not created by alliance-kit: set its password yourself"
                    )
                password = secrets.token_urlsafe(24)
                conn.exec_driver_sql(f"ALTER ROLE {_q(conn, role)} PASSWORD {_literal(password)}")
            conn.execute(delete(SCOPES).where(SCOPES.c.person == name))
        if kind == "admin":
            if old is not None and old.kind != "admin":  # (the admin group held this role)
                conn.exec_driver_sql(f"REVOKE {_q(conn, role)} FROM {_q(conn, groups['admin'])}")
            conn.exec_driver_sql(f"ALTER ROLE {_q(conn, role)} CREATEROLE")
        conn.exec_driver_sql(f"GRANT {_q(conn, groups[kind])} TO {_q(conn, role)}")
        if kind != "admin":
            if old is not None and old.kind == "admin":
                conn.exec_driver_sql(f"ALTER ROLE {_q(conn, role)} NOCREATEROLE")
            # the dashboard's server (an admin) takes this role for this person's kernel
            conn.exec_driver_sql(f"GRANT {_q(conn, role)} TO {_q(conn, groups['admin'])}")
        if wanted:
            conn.execute(insert(SCOPES), [{"person": name, "alliance_id": a} for a in wanted])
        detail = _describe(kind, wanted) + f" as {role}"
        if old is not None:
            detail += f" (was {_describe(old.kind, old.alliances)})"
        _log(conn, by, "grant" if old is None else "change", name, detail)
        person_now = _people(conn, name)[0]
    return Granted(person_now, created, password)


def _check_existing_login(
    conn: Connection, login: str, roles: set[str], logins: set[str], groups: dict[str, str]
) -> None:
    """Refuse, as a person's login, a role that is missing, already someone's, one of the
    team's groups, or above row-level security (a superuser, a role with BYPASSRLS, the
    tables' owner or a member of it): the admins' group takes each person's role, so such
    a login would hand every admin its powers."""
    if login not in roles:
        raise AccessError(f"there is no PostgreSQL role {login!r} to use as login")
    if login in logins or login in groups.values():
        raise AccessError(f"the role {login!r} is already a person's login or a team group")
    above = conn.exec_driver_sql(
        "SELECT r.rolsuper OR r.rolbypassrls OR EXISTS (SELECT 1 FROM pg_tables t "
        "WHERE t.schemaname = current_schema() AND pg_has_role(r.rolname, t.tableowner, "
        "'MEMBER')) FROM pg_roles r WHERE r.rolname = %s",
        (login,),
    ).scalar()
    if above:
        raise AccessError(
            f"the role {login!r} is not bound by row-level security (a superuser, BYPASSRLS, "
            "or the owner of the store's tables): give the person a login of their own"
        )


def _describe(kind: str, alliances: Sequence[str]) -> str:
    return kind + (f" of {', '.join(alliances)}" if alliances else "")


def _check_alliances(conn: Connection, alliances: Sequence[str]) -> None:
    from alliance_kit.records.model import TABLES

    if not alliances:
        return
    known = set(
        conn.execute(
            select(TABLES["alliances"].c.id).where(TABLES["alliances"].c.id.in_(alliances))
        ).scalars()
    )
    unknown = [a for a in alliances if a not in known]
    if unknown:
        raise AccessError(
            f"no alliance {', '.join(unknown)} in the store (`alliance-kit score` lists them)"
        )


def revoke(store: Store, name: str) -> Person:
    """Take a person's access away: their links, their scopes and their row in the team;
    the login role alliance-kit created for them is dropped (their open sessions ended)."""
    require_team_store(store)
    with store.transaction() as conn:
        by = _require_admin(conn)
        found = _people(conn, name)
        if not found:
            raise AccessError(f"no person {name!r} has access (`alliance-kit access list`)")
        who = found[0]
        managed = conn.execute(select(PEOPLE.c.managed).where(PEOPLE.c.name == name)).scalar_one()
        if who.login == conn.exec_driver_sql("SELECT session_user").scalar_one():
            raise AccessError("you cannot revoke your own access; ask another admin")
        conn.execute(delete(PEOPLE).where(PEOPLE.c.name == name))  # scopes, links cascade
        groups = _groups(conn)
        if managed:
            try:  # their open sessions end with their access (when this role may end them)
                with conn.begin_nested():
                    conn.exec_driver_sql(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE usename = %s AND pid <> pg_backend_pid()",
                        (who.login,),
                    )
            except (StoreError, DBAPIError):
                pass
            conn.exec_driver_sql(f"DROP ROLE {_q(conn, who.login)}")
        else:
            conn.exec_driver_sql(f"REVOKE {_q(conn, groups[who.kind])} FROM {_q(conn, who.login)}")
            if who.kind != "admin":
                conn.exec_driver_sql(
                    f"REVOKE {_q(conn, who.login)} FROM {_q(conn, groups['admin'])}"
                )
            else:  # the login stays, without what being an admin here gave it
                conn.exec_driver_sql(f"ALTER ROLE {_q(conn, who.login)} NOCREATEROLE")
        _log(conn, by, "revoke", name, f"{who.kind} as {who.login}")
    return who


# --- dashboard links --------------------------------------------------------------------


def _hash(token: str) -> str:
    # The token is 32 random bytes: a fast hash is enough (nothing to guess from it).
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_link(store: Store, person_name: str, days: int = DEFAULT_LINK_DAYS) -> str:
    """A new personal dashboard token for a person, valid ``days`` days; only its SHA-256
    is stored. Returned once: print it, it cannot be read back."""
    require_team_store(store)
    if not 1 <= int(days) <= MAX_LINK_DAYS:
        raise AccessError(f"--days must be 1 to {MAX_LINK_DAYS}, not {days}")
    token = secrets.token_urlsafe(32)
    with store.transaction() as conn:
        by = _require_admin(conn)
        if not _people(conn, person_name):
            raise AccessError(f"no person {person_name!r} has access (`alliance-kit access list`)")
        now = _now()
        conn.execute(
            insert(LINKS).values(
                id=uuid.uuid4().hex, person=person_name, token_hash=_hash(token),
                created_at=now, expires_at=now + dt.timedelta(days=int(days)),
            )
        )  # fmt: skip
        _log(conn, by, "link", person_name, f"dashboard link valid {int(days)} days")
    return token


def person_for_link(store: Store, token: str) -> tuple[Person, str] | None:
    """The person and link id of a valid (unexpired, unrevoked) dashboard token."""
    if not token or len(token) > 200 or store.engine.dialect.name != "postgresql":
        return None
    with store.engine.connect() as conn:
        row = conn.execute(
            select(LINKS.c.id, LINKS.c.person).where(
                LINKS.c.token_hash == _hash(token),
                LINKS.c.revoked_at.is_(None),
                LINKS.c.expires_at > _now(),
            )
        ).first()
        if row is None:
            return None
        found = _people(conn, row.person)
    return (found[0], row.id) if found else None


def link_active(store: Store, link_id: str) -> Person | None:
    """The person of a link still valid (checked again on every later request)."""
    if store.engine.dialect.name != "postgresql":
        return None
    with store.engine.connect() as conn:
        name = conn.execute(
            select(LINKS.c.person).where(
                LINKS.c.id == link_id, LINKS.c.revoked_at.is_(None), LINKS.c.expires_at > _now()
            )
        ).scalar()
        found = _people(conn, name) if name is not None else []
    return found[0] if found else None


def revoke_links(store: Store, person_name: str) -> int:
    """Revoke every dashboard link of a person; returns how many were active."""
    require_team_store(store)
    with store.transaction() as conn:
        by = _require_admin(conn)
        n = conn.execute(
            update(LINKS)
            .where(LINKS.c.person == person_name, LINKS.c.revoked_at.is_(None))
            .values(revoked_at=_now())
        ).rowcount
        _log(conn, by, "unlink", person_name, f"{n} dashboard link(s) revoked")
    return int(n)


def _log(conn: Connection, by: str, action: str, name: str, detail: str) -> None:
    conn.execute(
        insert(LOG).values(
            id=uuid.uuid4().hex, at=_now(), by=by, action=action, person=name, detail=detail
        )
    )
