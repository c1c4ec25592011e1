"""Grants (one subject authorised for one OAuth app) and their refresh tokens."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import func, insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from .. import ids
from .change_log import ChangeKind, record_change
from .schema import grants, refresh_tokens


class GrantSubject(StrEnum):
    """Whom a grant authorises (the ``subject_type`` column)."""

    VISITOR = "visitor"  # an anonymous site visitor (the anonymous grant)
    MEMBER = "member"  # a signed-in site member (authorization_code)


@dataclass(frozen=True)
class Grant:
    id: str
    project_id: str
    oauth_app_id: str
    subject_type: GrantSubject
    subject_id: str
    member_id: str | None
    revoked_at: datetime | None


@dataclass(frozen=True)
class RefreshRecord:
    grant: Grant
    expires_at: datetime
    rotated_at: datetime | None


@dataclass(frozen=True)
class RefreshRow:
    """A refresh token's own row, without its grant: what store/cached.py keeps per token."""

    grant_id: str
    expires_at: datetime
    rotated_at: datetime | None


def _grant(m: object) -> Grant:
    g = m._mapping  # type: ignore[attr-defined]
    return Grant(
        g["id"], g["project_id"], g["oauth_app_id"], GrantSubject(g["subject_type"]), g["subject_id"], g["member_id"], g["revoked_at"]
    )


async def create_grant(
    conn: AsyncConnection,
    *,
    project_id: str,
    oauth_app_id: str,
    subject_type: GrantSubject,
    subject_id: str,
    member_id: str | None,
    at: datetime,
    grant_id: str | None = None,
) -> Grant:
    grant = Grant(grant_id or ids.random_uuid(), project_id, oauth_app_id, subject_type, subject_id, member_id, None)
    await conn.execute(
        insert(grants).values(
            id=grant.id,
            project_id=project_id,
            oauth_app_id=oauth_app_id,
            subject_type=subject_type,
            subject_id=subject_id,
            member_id=member_id,
            created_at=at,
        )
    )
    return grant


async def get_grant(conn: AsyncConnection, grant_id: str) -> Grant | None:
    row = (await conn.execute(select(grants).where(grants.c.id == grant_id))).first()
    return _grant(row) if row else None


async def revoke_grant(conn: AsyncConnection, grant_id: str, at: datetime) -> None:
    result = await conn.execute(update(grants).where(grants.c.id == grant_id, grants.c.revoked_at.is_(None)).values(revoked_at=at))
    if result.rowcount:
        await record_change(conn, ChangeKind.GRANT, grant_id)


async def revoke_member_grants(conn: AsyncConnection, member_id: str, at: datetime) -> None:
    """Every grant of the member; the caller records the MEMBER change, which evicts her cached
    grants in every process (store/changes.py)."""
    await conn.execute(update(grants).where(grants.c.member_id == member_id, grants.c.revoked_at.is_(None)).values(revoked_at=at))


async def add_refresh_token(conn: AsyncConnection, grant_id: str, token_hash: str, at: datetime, expires_at: datetime) -> None:
    await conn.execute(insert(refresh_tokens).values(token_hash=token_hash, grant_id=grant_id, created_at=at, expires_at=expires_at))


async def find_refresh_token(conn: AsyncConnection, token_hash: str) -> RefreshRecord | None:
    stmt = (
        select(grants, refresh_tokens.c.expires_at, refresh_tokens.c.rotated_at)
        .join(refresh_tokens, refresh_tokens.c.grant_id == grants.c.id)
        .where(refresh_tokens.c.token_hash == token_hash)
    )
    row = (await conn.execute(stmt)).first()
    if row is None:
        return None
    return RefreshRecord(_grant(row), row.expires_at, row.rotated_at)


async def get_refresh_row(conn: AsyncConnection, token_hash: str) -> RefreshRow | None:
    stmt = select(refresh_tokens.c.grant_id, refresh_tokens.c.expires_at, refresh_tokens.c.rotated_at).where(
        refresh_tokens.c.token_hash == token_hash
    )
    row = (await conn.execute(stmt)).first()
    return RefreshRow(row.grant_id, row.expires_at, row.rotated_at) if row else None


async def mark_rotated(conn: AsyncConnection, token_hash: str, at: datetime) -> bool:
    """True only for the caller that rotated it first (atomic)."""
    result = await conn.execute(
        update(refresh_tokens).where(refresh_tokens.c.token_hash == token_hash, refresh_tokens.c.rotated_at.is_(None)).values(rotated_at=at)
    )
    return result.rowcount == 1


async def live_counts_for_app(conn: AsyncConnection, oauth_app_id: str, now: datetime, cap: int) -> tuple[int, int]:
    """How many unrevoked grants and usable refresh tokens an OAuth app has, each counted no
    further than ``cap + 1`` (the owner console's delete summary says "more than cap" past it).
    Both read through the grants' oauth_app_id index, then the refresh tokens' grant_id index."""
    live_grants = select(literal(1)).where(grants.c.oauth_app_id == oauth_app_id, grants.c.revoked_at.is_(None)).limit(cap + 1)
    live_tokens = (
        select(literal(1))
        .select_from(grants.join(refresh_tokens, refresh_tokens.c.grant_id == grants.c.id))
        .where(
            grants.c.oauth_app_id == oauth_app_id,
            grants.c.revoked_at.is_(None),
            refresh_tokens.c.rotated_at.is_(None),
            refresh_tokens.c.expires_at > now,
        )
        .limit(cap + 1)
    )
    grant_count = (await conn.execute(select(func.count()).select_from(live_grants.subquery()))).scalar_one()
    token_count = (await conn.execute(select(func.count()).select_from(live_tokens.subquery()))).scalar_one()
    return int(grant_count), int(token_count)
