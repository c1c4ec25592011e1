"""audit log reads: the audit trail is read newest first by project, OAuth app, actor or action
(the audit-log API and the console page), each through an index ending in (at, id); the actions
take the names of the webhook event types (``created`` becomes ``oauth_app.created``).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 19:00:00
"""

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_oauth_app_audit_project_at_id": ["project_id", "at", "id"],
    "ix_oauth_app_audit_project_app_at_id": ["project_id", "oauth_app_id", "at", "id"],
    "ix_oauth_app_audit_project_actor_at_id": ["project_id", "actor_type", "actor_id", "at", "id"],
    "ix_oauth_app_audit_project_action_at_id": ["project_id", "action", "at", "id"],
}


def upgrade() -> None:
    op.execute("UPDATE oauth_app_audit SET action = 'oauth_app.' || action WHERE action NOT LIKE '%.%'")
    with op.batch_alter_table("oauth_app_audit", schema=None) as batch_op:
        batch_op.drop_index("ix_oauth_app_audit_project_at")
        for name, columns in INDEXES.items():
            batch_op.create_index(name, columns, unique=False)


def downgrade() -> None:
    with op.batch_alter_table("oauth_app_audit", schema=None) as batch_op:
        for name in INDEXES:
            batch_op.drop_index(name)
        batch_op.create_index("ix_oauth_app_audit_project_at", ["project_id", "at"], unique=False)
    op.execute("UPDATE oauth_app_audit SET action = substr(action, 11) WHERE action LIKE 'oauth\\_app.%' ESCAPE '\\'")
