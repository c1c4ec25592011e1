"""email verification: the project setting, each member's verified flag, and the verification
codes waiting to be typed (password-reset links use one_time_tokens).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 10:00:00
"""

from alembic import op
import sqlalchemy as sa
import oauthapps.store.schema


revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.add_column(sa.Column("require_email_verification", sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email_verified", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_table(
        "email_verifications",
        sa.Column("state_hash", sa.String(length=128), nullable=False),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("member_id", sa.String(length=64), nullable=False),
        sa.Column("oauth_app_id", sa.String(length=64), nullable=False),
        sa.Column("code_hash", sa.String(length=128), nullable=False),
        sa.Column("wrong_codes", sa.Integer(), nullable=False),
        sa.Column("created_at", oauthapps.store.schema.UtcTimestamp(), nullable=False),
        sa.Column("code_expires_at", oauthapps.store.schema.UtcTimestamp(), nullable=False),
        sa.Column("expires_at", oauthapps.store.schema.UtcTimestamp(), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_email_verifications_member_id_members"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["oauth_app_id"], ["oauth_apps.id"], name=op.f("fk_email_verifications_oauth_app_id_oauth_apps"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("state_hash", name=op.f("pk_email_verifications")),
    )
    with op.batch_alter_table("email_verifications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_email_verifications_member_id"), ["member_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_email_verifications_oauth_app_id"), ["oauth_app_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("email_verifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_email_verifications_oauth_app_id"))
        batch_op.drop_index(batch_op.f("ix_email_verifications_member_id"))
    op.drop_table("email_verifications")
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.drop_column("email_verified")
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.drop_column("require_email_verification")
