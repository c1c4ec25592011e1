"""Console owners, the projects they belong to (with a role), and their sessions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.owners import OwnerRole, SessionTimes
from ..ids import random_uuid
from .schema import owner_projects, owner_sessions, owners, projects


@dataclass(frozen=True)
class Owner:
    id: str
    email: str
    password_hash: str


@dataclass(frozen=True)
class Membership:
    project_id: str
    project_name: str
    role: OwnerRole


@dataclass(frozen=True)
class OwnerSession:
    owner_id: str
    times: SessionTimes


async def find_by_email(conn: AsyncConnection, email: str) -> Owner | None:
    row = (await conn.execute(select(owners.c.id, owners.c.email, owners.c.password_hash).where(owners.c.email == email))).first()
    return Owner(row.id, row.email, row.password_hash) if row else None


async def get(conn: AsyncConnection, owner_id: str) -> Owner | None:
    row = (await conn.execute(select(owners.c.id, owners.c.email, owners.c.password_hash).where(owners.c.id == owner_id))).first()
    return Owner(row.id, row.email, row.password_hash) if row else None


async def insert_owner(conn: AsyncConnection, email: str, password_hash: str, at: datetime) -> Owner:
    owner = Owner(random_uuid(), email, password_hash)
    await conn.execute(insert(owners).values(id=owner.id, email=email, password_hash=password_hash, created_at=at))
    return owner


async def set_password(conn: AsyncConnection, owner_id: str, password_hash: str) -> None:
    await conn.execute(update(owners).where(owners.c.id == owner_id).values(password_hash=password_hash))


async def set_membership(conn: AsyncConnection, owner_id: str, project_id: str, role: OwnerRole) -> None:
    """Add the project to the owner, or change their role in it."""
    changed = await conn.execute(
        update(owner_projects).where(owner_projects.c.owner_id == owner_id, owner_projects.c.project_id == project_id).values(role=role)
    )
    if changed.rowcount == 0:
        await conn.execute(insert(owner_projects).values(owner_id=owner_id, project_id=project_id, role=role))


async def memberships(conn: AsyncConnection, owner_id: str) -> list[Membership]:
    """The owner's projects by name (an owner belongs to a handful; the primary key serves it)."""
    stmt = (
        select(owner_projects.c.project_id, projects.c.name, owner_projects.c.role)
        .join(projects, projects.c.id == owner_projects.c.project_id)
        .where(owner_projects.c.owner_id == owner_id)
        .order_by(projects.c.name, projects.c.id)
    )
    return [Membership(r.project_id, r.name, OwnerRole(r.role)) for r in await conn.execute(stmt)]


async def membership(conn: AsyncConnection, owner_id: str, project_id: str) -> Membership | None:
    stmt = (
        select(owner_projects.c.project_id, projects.c.name, owner_projects.c.role)
        .join(projects, projects.c.id == owner_projects.c.project_id)
        .where(owner_projects.c.owner_id == owner_id, owner_projects.c.project_id == project_id)
    )
    row = (await conn.execute(stmt)).first()
    return Membership(row.project_id, row.name, OwnerRole(row.role)) if row else None


async def create_session(conn: AsyncConnection, token_hash: str, owner_id: str, times: SessionTimes) -> None:
    await conn.execute(
        insert(owner_sessions).values(
            token_hash=token_hash,
            owner_id=owner_id,
            created_at=times.created_at,
            last_seen_at=times.last_seen_at,
            expires_at=times.expires_at,
        )
    )


async def find_session(conn: AsyncConnection, token_hash: str) -> OwnerSession | None:
    row = (await conn.execute(select(owner_sessions).where(owner_sessions.c.token_hash == token_hash))).first()
    return OwnerSession(row.owner_id, SessionTimes(row.created_at, row.last_seen_at, row.expires_at)) if row else None


async def touch_session(conn: AsyncConnection, token_hash: str, at: datetime) -> None:
    await conn.execute(update(owner_sessions).where(owner_sessions.c.token_hash == token_hash).values(last_seen_at=at))


async def end_session(conn: AsyncConnection, token_hash: str) -> None:
    await conn.execute(delete(owner_sessions).where(owner_sessions.c.token_hash == token_hash))


async def end_expired_sessions(conn: AsyncConnection, owner_id: str, now: datetime) -> None:
    """At each sign-in, the owner's dead sessions go (an owner has few; indexed by owner)."""
    await conn.execute(delete(owner_sessions).where(owner_sessions.c.owner_id == owner_id, owner_sessions.c.expires_at <= now))
