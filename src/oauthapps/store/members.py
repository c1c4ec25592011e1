"""Members of a project (email + argon2id password hash).

Member rows are cached per process (store/cached.py): every write that changes or deletes one
must ``record_change(conn, ChangeKind.MEMBER, member_id)`` in its transaction, as ``delete_member`` does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from .. import clock, ids
from .change_log import ChangeKind, record_change
from .schema import members


@dataclass(frozen=True)
class Member:
    id: str
    project_id: str
    email: str
    password_hash: str
    nickname: str
    created_at: datetime


@dataclass(frozen=True)
class MemberProfile:
    """A member without the password hash: what the Members API shows, and what a process may
    keep in memory."""

    id: str
    project_id: str
    email: str
    nickname: str
    created_at: datetime


PROFILE_COLUMNS = (members.c.id, members.c.project_id, members.c.email, members.c.nickname, members.c.created_at)


def _member(row: object) -> Member:
    m = row._mapping  # type: ignore[attr-defined]
    return Member(m["id"], m["project_id"], m["email"], m["password_hash"], m["nickname"], m["created_at"])


async def insert_member(conn: AsyncConnection, project_id: str, email: str, password_hash: str, nickname: str = "") -> Member | None:
    """None when the email is already taken in the project (the unique index decides, race-free)."""
    member = Member(ids.random_uuid(), project_id, email, password_hash, nickname, clock.now())
    try:
        async with conn.begin_nested():
            await conn.execute(insert(members).values(**member.__dict__))
    except IntegrityError:
        return None
    return member


async def find_by_email(conn: AsyncConnection, project_id: str, email: str) -> Member | None:
    row = (await conn.execute(select(members).where(members.c.project_id == project_id, members.c.email == email))).first()
    return _member(row) if row else None


async def get_member(conn: AsyncConnection, project_id: str, member_id: str) -> Member | None:
    row = (await conn.execute(select(members).where(members.c.project_id == project_id, members.c.id == member_id))).first()
    return _member(row) if row else None


async def get_profile(conn: AsyncConnection, member_id: str) -> MemberProfile | None:
    """By id alone (the cache key); callers check the project."""
    row = (await conn.execute(select(*PROFILE_COLUMNS).where(members.c.id == member_id))).first()
    return MemberProfile(row.id, row.project_id, row.email, row.nickname, row.created_at) if row else None


async def delete_member(conn: AsyncConnection, project_id: str, member_id: str) -> bool:
    """Deletes the member with their grants, refresh tokens and sessions (cascade); the change
    log entry cuts their cached grants off in every process at once."""
    result = await conn.execute(delete(members).where(members.c.project_id == project_id, members.c.id == member_id))
    if not result.rowcount:
        return False
    await record_change(conn, ChangeKind.MEMBER, member_id)
    return True


async def list_members(conn: AsyncConnection, project_id: str, limit: int = 50, offset: int = 0) -> list[Member]:
    rows = await conn.execute(
        select(members).where(members.c.project_id == project_id).order_by(members.c.created_at, members.c.id).limit(limit).offset(offset)
    )
    return [_member(r) for r in rows]


async def count_members(conn: AsyncConnection, project_id: str) -> int:
    return int((await conn.execute(select(func.count()).select_from(members).where(members.c.project_id == project_id))).scalar_one())
