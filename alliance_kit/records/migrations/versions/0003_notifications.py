"""e-mail notifications

A respondent's ``email`` (where ``alliance-kit notify`` sends the invitation and
reminders), and the ``notifications`` table: which message of which kind went to whom for
which round or period, so that a run repeated from cron sends nothing twice. No code and
no message body is kept.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06 02:45:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("respondents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email", sa.String(length=200), nullable=True))
    op.create_table(
        "notifications",
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("scope", sa.String(length=100), nullable=False),
        sa.Column("recipient", sa.String(length=320), nullable=False),
        sa.Column("alliance_id", sa.String(length=40), nullable=True),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("claimed_at", sa.DateTime(), nullable=True),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("sent_count", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.PrimaryKeyConstraint("kind", "scope", "recipient", name=op.f("pk_notifications")),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_notifications_alliance_id"), ["alliance_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("notifications")
    with op.batch_alter_table("respondents", schema=None) as batch_op:
        batch_op.drop_column("email")
