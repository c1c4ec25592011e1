"""idempotency keys: the first answer to a write sent with an Idempotency-Key, kept for a day.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 16:30:00
"""

from alembic import op
import sqlalchemy as sa
import oauthapps.store.schema


revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "idempotency_keys",
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("caller", sa.String(length=200), nullable=False),
        sa.Column("idempotency_key", sa.String(length=255), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("response", sa.JSON(), nullable=False),
        sa.Column("created_at", oauthapps.store.schema.UtcTimestamp(), nullable=False),
        sa.Column("expires_at", oauthapps.store.schema.UtcTimestamp(), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], name=op.f("fk_idempotency_keys_project_id_projects"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("project_id", "caller", "idempotency_key", name=op.f("pk_idempotency_keys")),
    )
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_idempotency_keys_expires_at"), ["expires_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_idempotency_keys_expires_at"))
    op.drop_table("idempotency_keys")
