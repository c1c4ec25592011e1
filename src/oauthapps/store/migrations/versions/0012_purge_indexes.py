"""purge indexes: expired refresh tokens, one-time tokens, member and owner sessions and email
verifications are found by an index on expires_at (store/purge.py deletes them in bounded
batches); the ``rate_limits`` table, replaced by ``attempt_limits`` (0006), is dropped.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 17:00:00
"""

from alembic import op
import sqlalchemy as sa
import oauthapps.store.schema


revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_refresh_tokens_expires_at": "refresh_tokens",
    "ix_one_time_tokens_expires_at": "one_time_tokens",
    "ix_member_sessions_expires_at": "member_sessions",
    "ix_owner_sessions_expires_at": "owner_sessions",
    "ix_email_verifications_expires_at": "email_verifications",
}


def upgrade() -> None:
    for name, table in INDEXES.items():
        op.create_index(name, table, ["expires_at"], unique=False)
    op.drop_table("rate_limits")


def downgrade() -> None:
    op.create_table(
        "rate_limits",
        sa.Column("key", sa.String(length=256), nullable=False),
        sa.Column("window_start", oauthapps.store.schema.UtcTimestamp(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_rate_limits")),
    )
    for name, table in INDEXES.items():
        op.drop_index(name, table_name=table)
