"""mail outbox: mails waiting for the mail server, and each project's sender name.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28 10:00:00
"""

from alembic import op
import sqlalchemy as sa
import oauthapps.store.schema


revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.add_column(sa.Column("mail_sender_name", sa.String(length=128), nullable=True))
    op.create_table(
        "mail_outbox",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("template", sa.String(length=64), nullable=False),
        sa.Column("recipient", sa.String(length=320), nullable=False),
        sa.Column("sender_name", sa.String(length=128), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body_text", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("rejections", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", oauthapps.store.schema.UtcTimestamp(), nullable=False),
        sa.Column("claimed_by", sa.String(length=128), nullable=True),
        sa.Column("claimed_until", oauthapps.store.schema.UtcTimestamp(), nullable=True),
        sa.Column("last_error", sa.String(length=512), nullable=True),
        sa.Column("created_at", oauthapps.store.schema.UtcTimestamp(), nullable=False),
        sa.Column("finished_at", oauthapps.store.schema.UtcTimestamp(), nullable=True),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], name=op.f("fk_mail_outbox_project_id_projects"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_outbox")),
    )
    with op.batch_alter_table("mail_outbox", schema=None) as batch_op:
        batch_op.create_index("ix_mail_outbox_status_next", ["status", "next_attempt_at"], unique=False)
        batch_op.create_index("ix_mail_outbox_project_created", ["project_id", "created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("mail_outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_mail_outbox_project_created")
        batch_op.drop_index("ix_mail_outbox_status_next")
    op.drop_table("mail_outbox")
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.drop_column("mail_sender_name")
