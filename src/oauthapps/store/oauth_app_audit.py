"""The audit trail of OAuth app changes: who changed which fields of which app, when, in which
request. Written in the same transaction as the change it records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from .schema import oauth_app_audit


@dataclass(frozen=True)
class AuditEntry:
    id: int
    project_id: str
    oauth_app_id: str
    action: str
    actor_type: str
    actor_id: str
    fields: list[str]
    request_id: str | None
    at: datetime


async def record_audit(
    conn: AsyncConnection,
    *,
    project_id: str,
    oauth_app_id: str,
    action: str,
    actor_type: str,
    actor_id: str,
    fields: list[str],
    request_id: str | None,
    at: datetime,
) -> None:
    await conn.execute(
        insert(oauth_app_audit).values(
            project_id=project_id,
            oauth_app_id=oauth_app_id,
            action=action,
            actor_type=actor_type,
            actor_id=actor_id,
            fields=fields,
            request_id=request_id,
            at=at,
        )
    )


async def list_audit(conn: AsyncConnection, project_id: str, oauth_app_id: str | None = None, limit: int = 100) -> list[AuditEntry]:
    stmt = select(oauth_app_audit).where(oauth_app_audit.c.project_id == project_id)
    if oauth_app_id:
        stmt = stmt.where(oauth_app_audit.c.oauth_app_id == oauth_app_id)
    rows = await conn.execute(stmt.order_by(oauth_app_audit.c.id.desc()).limit(limit))
    return [AuditEntry(**dict(r._mapping)) for r in rows]
