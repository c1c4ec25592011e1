"""console members, keys and installed apps: members listed by name and by email as one index
range per page (code-point order: the "C" collation on PostgreSQL, whatever the database's own),
a project's installations found by project_id, and a short public hint of each owner API key.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 19:15:00
"""

import string

from alembic import op
import sqlalchemy as sa


revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

FOLD_PG = f"translate(nickname, '{string.ascii_uppercase}', '{string.ascii_lowercase}')"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f'CREATE INDEX ix_members_project_name ON members (project_id, ({FOLD_PG}) COLLATE "C", id)')
        op.execute('CREATE INDEX ix_members_project_email_c ON members (project_id, email COLLATE "C")')
    else:
        op.execute("CREATE INDEX ix_members_project_name ON members (project_id, lower(nickname), id)")
    op.create_index("ix_installations_project_id", "installations", ["project_id"], unique=False)
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(sa.Column("hint", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("hint")
    op.drop_index("ix_installations_project_id", table_name="installations")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_members_project_email_c")
    op.execute("DROP INDEX ix_members_project_name")
