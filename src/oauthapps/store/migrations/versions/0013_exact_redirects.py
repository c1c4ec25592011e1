"""exact redirects: a per-app switch that makes login redirects match allowedRedirectUris exactly
(never by domain), off for every existing app.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-28 10:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("oauth_apps", schema=None) as batch_op:
        batch_op.add_column(sa.Column("require_exact_redirect_uri", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("oauth_apps", schema=None) as batch_op:
        batch_op.drop_column("require_exact_redirect_uri")
