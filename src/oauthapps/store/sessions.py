"""Member browser sessions on the hosted pages (behind the session cookie)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from .schema import member_sessions


@dataclass(frozen=True)
class MemberSession:
    project_id: str
    member_id: str
    oauth_app_id: str
    expires_at: datetime


async def create(
    conn: AsyncConnection, *, token_hash: str, project_id: str, member_id: str, oauth_app_id: str, at: datetime, expires_at: datetime
) -> None:
    await conn.execute(
        insert(member_sessions).values(
            token_hash=token_hash,
            project_id=project_id,
            member_id=member_id,
            oauth_app_id=oauth_app_id,
            created_at=at,
            expires_at=expires_at,
        )
    )


async def find(conn: AsyncConnection, token_hash: str) -> MemberSession | None:
    row = (await conn.execute(select(member_sessions).where(member_sessions.c.token_hash == token_hash))).first()
    return MemberSession(row.project_id, row.member_id, row.oauth_app_id, row.expires_at) if row else None


async def end(conn: AsyncConnection, token_hash: str) -> None:
    await conn.execute(delete(member_sessions).where(member_sessions.c.token_hash == token_hash))
