"""purge indexes: expired refresh tokens, one-time tokens and member sessions are found by an
index on expires_at (store/purge.py deletes them in bounded batches).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 17:00:00
"""

from alembic import op


revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_refresh_tokens_expires_at": "refresh_tokens",
    "ix_one_time_tokens_expires_at": "one_time_tokens",
    "ix_member_sessions_expires_at": "member_sessions",
}


def upgrade() -> None:
    for name, table in INDEXES.items():
        op.create_index(name, table, ["expires_at"], unique=False)


def downgrade() -> None:
    for name, table in INDEXES.items():
        op.drop_index(name, table_name=table)
