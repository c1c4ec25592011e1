"""Is the authorisation behind a token still there? Checked on every use, so that deleting an
OAuth app, revoking a grant or uninstalling an app cuts its tokens off at once, on every worker
and node (the database is the shared truth)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from ..store import grants, oauth_apps, tenancy
from .access import ADMIN, APP, AccessClaims


async def is_live(conn: AsyncConnection, claims: AccessClaims) -> bool:
    if claims.kind == APP:
        if not claims.instance_id:
            return False
        inst = await tenancy.get_installation(conn, claims.instance_id)
        return inst is not None and inst.app_id == claims.client_id and inst.project_id == claims.project_id
    if claims.kind == ADMIN:
        app = await oauth_apps.get_app_any_project(conn, claims.client_id)
        return app is not None and app.project_id == claims.project_id
    if not claims.grant_id:
        return False
    # Grants are deleted with their OAuth app (foreign-key cascade), so one lookup covers both.
    grant = await grants.get_grant(conn, claims.grant_id)
    return (
        grant is not None
        and grant.revoked_at is None
        and grant.oauth_app_id == claims.client_id
        and grant.project_id == claims.project_id
    )
