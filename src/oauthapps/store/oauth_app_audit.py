"""The audit trail of OAuth app changes: who changed which fields of which app, when, in which
request. Written in the same transaction as the change it records; read newest first, one keyset
page at a time (domain/audit_log.py), through the indexes in schema.py."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.audit_log import AuditAction, AuditEntry, AuditFilter, Position
from .schema import oauth_app_audit, oauth_apps, owner_projects, owners

__all__ = ["AuditEntry", "labels", "list_audit", "read_page", "record_audit"]


async def record_audit(
    conn: AsyncConnection,
    *,
    project_id: str,
    oauth_app_id: str,
    action: AuditAction,
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


def _entry(row: Any) -> AuditEntry:
    values = dict(row._mapping)
    return AuditEntry(**{**values, "action": AuditAction(values["action"])})


async def read_page(conn: AsyncConnection, project_id: str, filter_: AuditFilter, after: Position | None, limit: int) -> list[AuditEntry]:
    """Up to ``limit`` entries of one project, newest first (``at``, then ``id``), after ``after``."""
    t = oauth_app_audit.c
    stmt = select(oauth_app_audit).where(t.project_id == project_id)
    if filter_.oauth_app_id is not None:
        stmt = stmt.where(t.oauth_app_id == filter_.oauth_app_id)
    if filter_.actor_type is not None:
        stmt = stmt.where(t.actor_type == filter_.actor_type)
    if filter_.actor_id is not None:
        stmt = stmt.where(t.actor_id == filter_.actor_id)
    if filter_.action is not None:
        stmt = stmt.where(t.action == filter_.action.value)
    if filter_.since is not None:
        stmt = stmt.where(t.at >= filter_.since)
    if filter_.until is not None:
        stmt = stmt.where(t.at < filter_.until)
    if after is not None:
        # (at, id) < (after.at, after.id), spelt so that both engines read it as a range on at.
        stmt = stmt.where(t.at <= after.at, or_(t.at < after.at, and_(t.at == after.at, t.id < after.id)))
    rows = await conn.execute(stmt.order_by(t.at.desc(), t.id.desc()).limit(limit))
    return [_entry(r) for r in rows]


async def list_audit(conn: AsyncConnection, project_id: str, oauth_app_id: str | None = None, limit: int = 100) -> list[AuditEntry]:
    """The newest ``limit`` entries (of one app): the first page without a cursor."""
    return await read_page(conn, project_id, AuditFilter(oauth_app_id=oauth_app_id), None, limit)


async def labels(conn: AsyncConnection, project_id: str, app_ids: set[str], owner_ids: set[str]) -> tuple[dict[str, str], dict[str, str]]:
    """Names for a page's ids, within the project: OAuth app id -> name (apps still there) and
    console owner id -> email (owners still in the project). Two primary-key reads."""
    names: dict[str, str] = {}
    emails: dict[str, str] = {}
    if app_ids:
        found = await conn.execute(
            select(oauth_apps.c.id, oauth_apps.c.name).where(oauth_apps.c.project_id == project_id, oauth_apps.c.id.in_(app_ids))
        )
        names = {row.id: row.name for row in found}
    if owner_ids:
        stmt = (
            select(owners.c.id, owners.c.email)
            .join(owner_projects, owner_projects.c.owner_id == owners.c.id)
            .where(owner_projects.c.project_id == project_id, owners.c.id.in_(owner_ids))
        )
        emails = {row.id: row.email for row in await conn.execute(stmt)}
    return names, emails
