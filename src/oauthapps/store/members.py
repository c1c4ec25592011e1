"""Members of a project (email + argon2id password hash)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from .schema import members
from .tenancy import new_id, now


@dataclass(frozen=True)
class Member:
    id: str
    project_id: str
    email: str
    password_hash: str
    nickname: str
    created_at: datetime


def _member(row: object) -> Member:
    m = row._mapping  # type: ignore[attr-defined]
    return Member(m["id"], m["project_id"], m["email"], m["password_hash"], m["nickname"], m["created_at"])


async def insert_member(conn: AsyncConnection, project_id: str, email: str, password_hash: str, nickname: str = "") -> Member | None:
    """None when the email is already taken in the project (the unique index decides, race-free)."""
    member = Member(new_id(), project_id, email, password_hash, nickname, now())
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


async def list_members(conn: AsyncConnection, project_id: str, limit: int = 50, offset: int = 0) -> list[Member]:
    rows = await conn.execute(
        select(members).where(members.c.project_id == project_id).order_by(members.c.created_at, members.c.id).limit(limit).offset(offset)
    )
    return [_member(r) for r in rows]


async def count_members(conn: AsyncConnection, project_id: str) -> int:
    return int((await conn.execute(select(func.count()).select_from(members).where(members.c.project_id == project_id))).scalar_one())
