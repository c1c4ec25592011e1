"""oauth app query indexes: every sort of the query endpoint (createdDate, name, the default id)
is served by a (project_id, sort key, id) index, so a page is an index range scan.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 03:30:00
"""

from alembic import op


revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

NEW = {
    "ix_oauth_apps_project_created_id": ["project_id", "created_at", "id"],
    "ix_oauth_apps_project_name_id": ["project_id", "name", "id"],
    "ix_oauth_apps_project_id_id": ["project_id", "id"],
}
OLD = {
    "ix_oauth_apps_project_created": ["project_id", "created_at"],
    "ix_oauth_apps_project_name": ["project_id", "name"],
}


def upgrade() -> None:
    with op.batch_alter_table("oauth_apps", schema=None) as batch_op:
        for name, columns in NEW.items():
            batch_op.create_index(name, columns, unique=False)
        for name in OLD:
            batch_op.drop_index(name)


def downgrade() -> None:
    with op.batch_alter_table("oauth_apps", schema=None) as batch_op:
        for name, columns in OLD.items():
            batch_op.create_index(name, columns, unique=False)
        for name in NEW:
            batch_op.drop_index(name)
