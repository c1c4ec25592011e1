"""member status and profile: owner approval per project; a member's status, slug (unique per
project, an existing member's is their id), first and last name, picture URL and update time.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 10:00:00
"""

from alembic import op
import sqlalchemy as sa
import oauthapps.store.schema


revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.add_column(sa.Column("require_owner_approval", sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status", sa.String(length=16), server_default="APPROVED", nullable=False))
        batch_op.add_column(sa.Column("slug", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("first_name", sa.String(length=100), server_default="", nullable=False))
        batch_op.add_column(sa.Column("last_name", sa.String(length=100), server_default="", nullable=False))
        batch_op.add_column(sa.Column("picture_url", sa.String(length=2048), server_default="", nullable=False))
        batch_op.add_column(sa.Column("updated_at", oauthapps.store.schema.UtcTimestamp(), nullable=True))
    op.execute("UPDATE members SET slug = id, updated_at = created_at")
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.alter_column("slug", existing_type=sa.String(length=255), nullable=False)
        batch_op.alter_column("updated_at", existing_type=oauthapps.store.schema.UtcTimestamp(), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_members_project_id_slug"), ["project_id", "slug"])


def downgrade() -> None:
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_members_project_id_slug"), type_="unique")
        for column in ("updated_at", "picture_url", "last_name", "first_name", "slug", "status"):
            batch_op.drop_column(column)
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.drop_column("require_owner_approval")
