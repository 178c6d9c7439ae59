"""per-person access: people, owners' alliances, dashboard links; row-level security

Tables (both dialects; SQLite stores are single-user and leave them empty):
``access_people`` (a person, their kind and PostgreSQL login role), ``access_scopes``
(an owner's alliances), ``dashboard_links`` (personal dashboard links, token hashes only)
and ``access_log`` (the trace of every grant and revoke).

PostgreSQL: row-level security on every table, with policies that read ``access_people``
by ``current_user`` through SECURITY DEFINER functions:

- admin, analyst, executive, reader read every alliance; an owner reads their own;
- admin and analyst write every alliance; an owner writes their own; executives and
  readers write nothing (they have no write privilege either: see ``alliance-kit access``);
- the change history: everyone on the team appends to it under their own name and role;
- the access tables: only admins change them.

The store's owner (the role that ran ``init``) is not subject to row-level security, as
PostgreSQL has it; a role that is not on the team sees no row at all. Table privileges
are granted to the team's group roles by ``alliance-kit access``, which creates them.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 05:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

#: The expression giving a row's alliance, per table (frozen here: later model changes
#: come with their own migration).
_PARENT = "(SELECT p.alliance_id FROM {parent} p WHERE p.id = {table}.{column})"
_ROUND = (
    "(SELECT ar.alliance_id FROM respondents r JOIN assessment_rounds ar ON ar.id = r.round_id"
    " WHERE r.id = {table}.respondent_id)"
)
ALLIANCE_OF = {
    "alliances": "alliances.id",
    **{
        t: f"{t}.alliance_id"
        for t in (
            "agreements",
            "assessment_rounds",
            "business_case_lines",
            "business_cases",
            "documents",
            "governance_bodies",
            "issues",
            "lessons",
            "objectives",
            "outcomes",
            "people",
            "raci",
            "resources",
            "risks",
            "strategies",
            "briefings",
            "kpis",
            "actions",
            "decisions",
            "notifications",
        )
    },
    "obligations": _PARENT.format(parent="agreements", table="obligations", column="agreement_id"),
    "body_members": _PARENT.format(
        parent="governance_bodies", table="body_members", column="body_id"
    ),
    "meetings": _PARENT.format(parent="governance_bodies", table="meetings", column="body_id"),
    "attendance": (
        "(SELECT b.alliance_id FROM meetings m JOIN governance_bodies b ON b.id = m.body_id"
        " WHERE m.id = attendance.meeting_id)"
    ),
    "kpi_actuals": _PARENT.format(parent="kpis", table="kpi_actuals", column="kpi_id"),
    "risk_reviews": _PARENT.format(parent="risks", table="risk_reviews", column="risk_id"),
    "respondents": _PARENT.format(
        parent="assessment_rounds", table="respondents", column="round_id"
    ),
    "answers": _ROUND.format(table="answers"),
    "invitations": _ROUND.format(table="invitations"),
}
ACCESS_TABLES = ("access_people", "access_scopes", "dashboard_links", "access_log")


def _functions(schema: str) -> list[str]:
    head = f"LANGUAGE sql STABLE SECURITY DEFINER SET search_path = {schema}, pg_temp AS $$ {{}} $$"
    kind = "SELECT kind FROM access_people WHERE login = r"
    return [
        f"CREATE FUNCTION ak_kind(r name) RETURNS text {head.format(kind)}",
        "CREATE FUNCTION ak_person(r name) RETURNS text "
        + head.format("SELECT name FROM access_people WHERE login = r"),
        "CREATE FUNCTION ak_reads_all(r name) RETURNS boolean "
        + head.format(
            f"SELECT coalesce(({kind}) IN ('admin', 'analyst', 'executive', 'reader'), false)"
        ),
        "CREATE FUNCTION ak_writes_all(r name) RETURNS boolean "
        + head.format(f"SELECT coalesce(({kind}) IN ('admin', 'analyst'), false)"),
        "CREATE FUNCTION ak_owns(r name, a text) RETURNS boolean "
        + head.format(
            "SELECT a IS NOT NULL AND EXISTS (SELECT 1 FROM access_people ap "
            "JOIN access_scopes s ON s.person = ap.name "
            "WHERE ap.login = r AND ap.kind = 'owner' AND s.alliance_id = a)"
        ),
    ]


def _max_id(schema: str) -> str:
    """The highest number after ``prefix`` among a table's ids, over every row: a person
    who sees only some rows still gets an id no other alliance holds (forms, surveys)."""
    tables = ", ".join(f"'{t}'" for t in ALLIANCE_OF)
    return (
        "CREATE FUNCTION ak_max_id(tbl text, prefix text) RETURNS integer "
        f"LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = {schema}, pg_temp AS $$ "
        "DECLARE found integer; BEGIN "
        f"IF NOT tbl = ANY(ARRAY[{tables}]) THEN RAISE EXCEPTION 'no such table %', tbl; "
        "END IF; "
        "EXECUTE format('SELECT max(substr(id, %s)::integer) FROM %I "
        "WHERE starts_with(id, $1) AND substr(id, %s) ~ ''^[0-9]{1,9}$''', "
        "length(prefix) + 1, tbl, length(prefix) + 1) INTO found USING prefix; "
        "RETURN found; END $$"
    )


FUNCTIONS = ("ak_kind", "ak_person", "ak_reads_all", "ak_writes_all", "ak_owns", "ak_max_id")
_READS_ALL = "(SELECT ak_reads_all(current_user))"
_WRITES_ALL = "(SELECT ak_writes_all(current_user))"
_KIND = "(SELECT ak_kind(current_user))"


def policies() -> dict[str, list[str]]:
    """Every table's policies, as SQL (also what ``init`` checks are in force)."""
    out: dict[str, list[str]] = {}
    for table, alliance in ALLIANCE_OF.items():
        read = f"{_READS_ALL} OR ak_owns(current_user, {alliance})"
        write = f"{_WRITES_ALL} OR ak_owns(current_user, {alliance})"
        out[table] = [
            f"CREATE POLICY ak_read ON {table} FOR SELECT USING ({read})",
            f"CREATE POLICY ak_insert ON {table} FOR INSERT WITH CHECK ({write})",
            f"CREATE POLICY ak_update ON {table} FOR UPDATE USING ({write}) WITH CHECK ({write})",
            f"CREATE POLICY ak_delete ON {table} FOR DELETE USING ({write})",
        ]
    # The history: readable as the records it describes; appended to under one's own name.
    out["change_sets"] = [
        f"CREATE POLICY ak_read ON change_sets FOR SELECT USING ({_KIND} IS NOT NULL)",
        "CREATE POLICY ak_insert ON change_sets FOR INSERT WITH CHECK ("
        f"{_KIND} = 'admin' OR (user_name = ak_person(current_user) "
        "AND db_role = current_user))",
    ]
    out["change_rows"] = [
        "CREATE POLICY ak_read ON change_rows FOR SELECT USING ("
        f"{_READS_ALL} OR ak_owns(current_user, alliance_id))",
        "CREATE POLICY ak_insert ON change_rows FOR INSERT WITH CHECK ("
        f"{_KIND} = 'admin' OR (({_WRITES_ALL} OR ak_owns(current_user, alliance_id)) "
        "AND EXISTS (SELECT 1 FROM change_sets s WHERE s.id = change_set_id "
        "AND s.db_role = current_user)))",
    ]
    admin = f"{_KIND} = 'admin'"
    for table in ACCESS_TABLES:
        out[table] = [f"CREATE POLICY ak_admin ON {table} USING ({admin}) WITH CHECK ({admin})"]
    out["access_people"].append(
        f"CREATE POLICY ak_read ON access_people FOR SELECT USING ({_KIND} IS NOT NULL)"
    )
    out["access_scopes"].append(
        "CREATE POLICY ak_read ON access_scopes FOR SELECT USING (person = ak_person(current_user))"
    )
    return out


def upgrade() -> None:
    op.create_table(
        "access_people",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("login", sa.String(length=63), nullable=False),
        sa.Column("managed", sa.Boolean(), nullable=False),
        sa.Column("granted_at", sa.DateTime(), nullable=False),
        sa.Column("granted_by", sa.String(length=200), nullable=False),
        sa.CheckConstraint(
            "kind IN ('admin', 'analyst', 'owner', 'executive', 'reader')",
            name=op.f("ck_access_people_access_kind"),
        ),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_access_people")),
        sa.UniqueConstraint("login", name=op.f("uq_access_people_login")),
    )
    op.create_table(
        "access_scopes",
        sa.Column("person", sa.String(length=200), nullable=False),
        sa.Column("alliance_id", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["person"],
            ["access_people.name"],
            name=op.f("fk_access_scopes_person_access_people"),
            ondelete="CASCADE",
            onupdate="CASCADE",
        ),
        sa.PrimaryKeyConstraint("person", "alliance_id", name=op.f("pk_access_scopes")),
    )
    op.create_table(
        "dashboard_links",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("person", sa.String(length=200), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["person"],
            ["access_people.name"],
            name=op.f("fk_dashboard_links_person_access_people"),
            ondelete="CASCADE",
            onupdate="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dashboard_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_dashboard_links_token_hash")),
    )
    with op.batch_alter_table("dashboard_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dashboard_links_person"), ["person"], unique=False)
    op.create_table(
        "access_log",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("by", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("person", sa.String(length=200), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_log")),
    )
    with op.batch_alter_table("access_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_access_log_at"), ["at"], unique=False)

    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    schema = bind.dialect.identifier_preparer.quote(
        bind.exec_driver_sql("SELECT current_schema()").scalar_one()
    )
    for sql in [*_functions(schema), _max_id(schema)]:
        op.execute(sql)
    for table, statements in policies().items():
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        for sql in statements:
            op.execute(sql)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        for table in policies():
            if table in ACCESS_TABLES:
                continue
            for name in ("ak_read", "ak_insert", "ak_update", "ak_delete"):
                op.execute(f"DROP POLICY IF EXISTS {name} ON {table}")
            op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
    for table in reversed(ACCESS_TABLES):
        op.drop_table(table)
    if bind.dialect.name == "postgresql":
        for name in FUNCTIONS:
            op.execute(f"DROP FUNCTION IF EXISTS {name} CASCADE")
