"""change history and record versions

A ``version`` column on every record table (existing rows start at 1), and the two
history tables: ``change_sets`` (who, when, which command or notebook) and
``change_rows`` (each record added, changed or removed, with its values before and after).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-05 18:45:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

RECORD_TABLES = (
    "alliances",
    "people",
    "strategies",
    "objectives",
    "kpis",
    "kpi_actuals",
    "business_cases",
    "business_case_lines",
    "agreements",
    "obligations",
    "briefings",
    "governance_bodies",
    "body_members",
    "meetings",
    "attendance",
    "decisions",
    "raci",
    "actions",
    "resources",
    "risks",
    "risk_reviews",
    "issues",
    "lessons",
    "documents",
    "assessment_rounds",
    "respondents",
    "answers",
    "outcomes",
)


def upgrade() -> None:
    for table in RECORD_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column("version", sa.Integer(), server_default="1", nullable=False)
            )
    op.create_table(
        "change_sets",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("user_name", sa.String(length=200), nullable=False),
        sa.Column("db_role", sa.String(length=200), nullable=True),
        sa.Column("source", sa.String(length=400), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_change_sets")),
    )
    with op.batch_alter_table("change_sets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_change_sets_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_change_sets_user_name"), ["user_name"], unique=False)
    op.create_table(
        "change_rows",
        sa.Column("change_set_id", sa.String(length=32), nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("record_type", sa.String(length=40), nullable=False),
        sa.Column("record_key", sa.String(length=400), nullable=True),
        sa.Column("alliance_id", sa.String(length=40), nullable=True),
        sa.Column("action", sa.String(length=10), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("before", sa.Text(), nullable=True),
        sa.Column("after", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["change_set_id"],
            ["change_sets.id"],
            name=op.f("fk_change_rows_change_set_id_change_sets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("change_set_id", "seq", name=op.f("pk_change_rows")),
    )
    with op.batch_alter_table("change_rows", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_change_rows_alliance_id"), ["alliance_id"], unique=False
        )
        batch_op.create_index("ix_change_rows_record", ["record_type", "record_key"], unique=False)


def downgrade() -> None:
    op.drop_table("change_rows")
    op.drop_table("change_sets")
    for table in reversed(RECORD_TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("version")
