"""console owners: owner accounts of the owner console, their projects with a role, and their
sign-in sessions (token hashes with idle and absolute timeouts).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 10:00:00
"""

from alembic import op
import sqlalchemy as sa
import oauthapps.store.schema


revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "owners",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("password_hash", sa.String(length=256), nullable=False),
        sa.Column("created_at", oauthapps.store.schema.UtcTimestamp(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_owners")),
        sa.UniqueConstraint("email", name=op.f("uq_owners_email")),
    )
    op.create_table(
        "owner_projects",
        sa.Column("owner_id", sa.String(length=64), nullable=False),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["owners.id"], name=op.f("fk_owner_projects_owner_id_owners"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], name=op.f("fk_owner_projects_project_id_projects"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("owner_id", "project_id", name=op.f("pk_owner_projects")),
    )
    with op.batch_alter_table("owner_projects", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_owner_projects_project_id"), ["project_id"], unique=False)
    op.create_table(
        "owner_sessions",
        sa.Column("token_hash", sa.String(length=128), nullable=False),
        sa.Column("owner_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", oauthapps.store.schema.UtcTimestamp(), nullable=False),
        sa.Column("last_seen_at", oauthapps.store.schema.UtcTimestamp(), nullable=False),
        sa.Column("expires_at", oauthapps.store.schema.UtcTimestamp(), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["owners.id"], name=op.f("fk_owner_sessions_owner_id_owners"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_owner_sessions")),
    )
    with op.batch_alter_table("owner_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_owner_sessions_owner_id"), ["owner_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("owner_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_owner_sessions_owner_id"))
    op.drop_table("owner_sessions")
    with op.batch_alter_table("owner_projects", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_owner_projects_project_id"))
    op.drop_table("owner_projects")
    op.drop_table("owners")
