"""collection display name: the name the owner console shows for a data collection (null: its id).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 19:05:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("data_collections", schema=None) as batch_op:
        batch_op.add_column(sa.Column("display_name", sa.String(256), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("data_collections", schema=None) as batch_op:
        batch_op.drop_column("display_name")
