"""Single-use secrets (authorization codes, login tickets): consumed atomically, exactly once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from .schema import one_time_tokens


class OneTimePurpose(StrEnum):
    """What a single-use secret is for (the ``purpose`` column); a lookup names the purpose, so
    a login ticket is never accepted as an authorization code, nor the other way round."""

    CODE = "code"  # an authorization code (RFC 6749 4.1)
    LOGIN_TICKET = "ticket"  # a hosted login's ticket
    PASSWORD_RESET = "reset"  # a mailed password-reset link (services/password_reset.py)


@dataclass(frozen=True)
class OneTime:
    purpose: OneTimePurpose
    project_id: str
    oauth_app_id: str | None
    member_id: str | None
    grant_id: str | None
    data: dict[str, Any]
    expires_at: datetime
    used_at: datetime | None


async def put(
    conn: AsyncConnection,
    *,
    token_hash: str,
    purpose: OneTimePurpose,
    project_id: str,
    oauth_app_id: str | None,
    member_id: str | None,
    data: dict[str, Any],
    at: datetime,
    expires_at: datetime,
) -> None:
    await conn.execute(
        insert(one_time_tokens).values(
            token_hash=token_hash,
            purpose=purpose,
            project_id=project_id,
            oauth_app_id=oauth_app_id,
            member_id=member_id,
            data=data,
            created_at=at,
            expires_at=expires_at,
        )
    )


async def get(conn: AsyncConnection, token_hash: str, purpose: OneTimePurpose) -> OneTime | None:
    row = (
        await conn.execute(select(one_time_tokens).where(one_time_tokens.c.token_hash == token_hash, one_time_tokens.c.purpose == purpose))
    ).first()
    if row is None:
        return None
    m = row._mapping
    return OneTime(
        OneTimePurpose(m["purpose"]),
        m["project_id"],
        m["oauth_app_id"],
        m["member_id"],
        m["grant_id"],
        dict(m["data"]),
        m["expires_at"],
        m["used_at"],
    )


async def consume(conn: AsyncConnection, token_hash: str, at: datetime, grant_id: str | None = None) -> bool:
    """Mark used; True only for the one caller that got there first."""
    result = await conn.execute(
        update(one_time_tokens)
        .where(one_time_tokens.c.token_hash == token_hash, one_time_tokens.c.used_at.is_(None))
        .values(used_at=at, grant_id=grant_id)
    )
    return result.rowcount == 1


async def delete_for_member(conn: AsyncConnection, member_id: str, purpose: OneTimePurpose) -> None:
    """A member's other secrets of one purpose (her older reset links, once one was used)."""
    await conn.execute(delete(one_time_tokens).where(one_time_tokens.c.member_id == member_id, one_time_tokens.c.purpose == purpose))


async def purge_expired(conn: AsyncConnection, before: datetime) -> None:
    await conn.execute(delete(one_time_tokens).where(one_time_tokens.c.expires_at < before))
