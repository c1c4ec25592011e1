"""Email verifications under way (schema ``email_verifications``): one row per stateToken, with the
current code's hash and wrong tries. A member has at most one: starting a new one deletes hers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from .schema import email_verifications


@dataclass(frozen=True)
class Verification:
    state_hash: str
    project_id: str
    member_id: str
    oauth_app_id: str
    code_hash: str
    wrong_codes: int
    code_expires_at: datetime
    expires_at: datetime


async def start(
    conn: AsyncConnection,
    *,
    state_hash: str,
    project_id: str,
    member_id: str,
    oauth_app_id: str,
    code_hash: str,
    at: datetime,
    code_expires_at: datetime,
    expires_at: datetime,
) -> None:
    await conn.execute(delete(email_verifications).where(email_verifications.c.member_id == member_id))
    await conn.execute(delete(email_verifications).where(email_verifications.c.expires_at < at))
    await conn.execute(
        insert(email_verifications).values(
            state_hash=state_hash,
            project_id=project_id,
            member_id=member_id,
            oauth_app_id=oauth_app_id,
            code_hash=code_hash,
            wrong_codes=0,
            created_at=at,
            code_expires_at=code_expires_at,
            expires_at=expires_at,
        )
    )


async def get(conn: AsyncConnection, state_hash: str, *, lock: bool = False) -> Verification | None:
    """The row; with ``lock`` (in a write transaction) locked for it (PostgreSQL ``FOR UPDATE``;
    SQLite's write lock), so two parallel guesses are counted one after the other."""
    query = select(email_verifications).where(email_verifications.c.state_hash == state_hash)
    row = (await conn.execute(query.with_for_update() if lock else query)).first()
    if row is None:
        return None
    m = row._mapping
    return Verification(
        m["state_hash"],
        m["project_id"],
        m["member_id"],
        m["oauth_app_id"],
        m["code_hash"],
        m["wrong_codes"],
        m["code_expires_at"],
        m["expires_at"],
    )


async def count_wrong(conn: AsyncConnection, state_hash: str) -> None:
    await conn.execute(
        update(email_verifications)
        .where(email_verifications.c.state_hash == state_hash)
        .values(wrong_codes=email_verifications.c.wrong_codes + 1)
    )


async def new_code(conn: AsyncConnection, state_hash: str, code_hash: str, code_expires_at: datetime) -> None:
    await conn.execute(
        update(email_verifications)
        .where(email_verifications.c.state_hash == state_hash)
        .values(code_hash=code_hash, wrong_codes=0, code_expires_at=code_expires_at)
    )


async def finish(conn: AsyncConnection, state_hash: str) -> bool:
    """Used up: True only for the one caller that got there first."""
    result = await conn.execute(delete(email_verifications).where(email_verifications.c.state_hash == state_hash))
    return result.rowcount == 1
