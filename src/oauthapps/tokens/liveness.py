"""Is the client behind a token still there? Checked on every use, so that deleting an OAuth app
or uninstalling an app cuts its tokens off at once, on every worker and node."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from ..store import oauth_apps, tenancy
from .access import APP, AccessClaims


async def is_live(conn: AsyncConnection, claims: AccessClaims) -> bool:
    if claims.kind == APP:
        if not claims.instance_id:
            return False
        inst = await tenancy.get_installation(conn, claims.instance_id)
        return inst is not None and inst.app_id == claims.client_id and inst.project_id == claims.project_id
    app = await oauth_apps.get_app_any_project(conn, claims.client_id)
    return app is not None and app.project_id == claims.project_id
