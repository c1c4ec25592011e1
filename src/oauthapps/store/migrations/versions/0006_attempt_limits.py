"""attempt limits: counters for secrets people type, reserved before the secret is checked
(store/attempt_limits.py). The old ``rate_limits`` table is left alone.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 10:00:00
"""

from alembic import op
import sqlalchemy as sa
import oauthapps.store.schema


revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "attempt_limits",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("since", oauthapps.store.schema.UtcTimestamp(), nullable=False),
        sa.Column("retry_at", oauthapps.store.schema.UtcTimestamp(), nullable=True),
        sa.Column("expires_at", oauthapps.store.schema.UtcTimestamp(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_attempt_limits")),
    )
    with op.batch_alter_table("attempt_limits", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_attempt_limits_expires_at"), ["expires_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("attempt_limits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attempt_limits_expires_at"))
    op.drop_table("attempt_limits")
