"""Members of a project (email + argon2id password hash).

Member rows are cached per process (store/cached.py): every write that changes or deletes one
must ``record_change(conn, ChangeKind.MEMBER, member_id)`` in its transaction, as ``delete_member`` does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from .. import clock, ids
from ..domain.members import MemberStatus, ProfileChange
from ..domain.query import FieldSpec, Query, QuerySpec, Sort
from . import grants
from .change_log import ChangeKind, record_change
from .query_sql import filter_sql, order_sql
from .schema import member_sessions, members


@dataclass(frozen=True)
class MemberProfile:
    """A member without the password hash: what the Members API shows, and what a process may
    keep in memory."""

    id: str
    project_id: str
    email: str
    nickname: str
    created_at: datetime
    status: MemberStatus = MemberStatus.APPROVED
    slug: str = ""
    first_name: str = ""
    last_name: str = ""
    picture_url: str = ""
    updated_at: datetime | None = None
    email_verified: bool = False

    @property
    def may_sign_in(self) -> bool:
        return self.status == MemberStatus.APPROVED


@dataclass(frozen=True)
class Member(MemberProfile):
    password_hash: str = ""


PROFILE_COLUMNS = (
    members.c.id,
    members.c.project_id,
    members.c.email,
    members.c.nickname,
    members.c.created_at,
    members.c.status,
    members.c.slug,
    members.c.first_name,
    members.c.last_name,
    members.c.picture_url,
    members.c.updated_at,
    members.c.email_verified,
)


def _profile_fields(m: Any) -> dict[str, Any]:
    return {
        "id": m["id"],
        "project_id": m["project_id"],
        "email": m["email"],
        "nickname": m["nickname"],
        "created_at": m["created_at"],
        "status": MemberStatus(m["status"]),
        "slug": m["slug"],
        "first_name": m["first_name"],
        "last_name": m["last_name"],
        "picture_url": m["picture_url"],
        "updated_at": m["updated_at"],
        "email_verified": bool(m["email_verified"]),
    }


def _member(row: Any) -> Member:
    m = row._mapping
    return Member(**_profile_fields(m), password_hash=m["password_hash"])


def profile_of(row: Any) -> MemberProfile:
    """A row holding PROFILE_COLUMNS (and maybe more) as a MemberProfile."""
    return MemberProfile(**_profile_fields(row._mapping))


async def insert_member(
    conn: AsyncConnection,
    project_id: str,
    email: str,
    password_hash: str,
    nickname: str = "",
    status: MemberStatus = MemberStatus.APPROVED,
    change: ProfileChange | None = None,
) -> Member | None:
    """None when the email is already taken in the project (the unique index decides, race-free)."""
    member_id, at = ids.random_uuid(), clock.now()
    values: dict[str, Any] = {
        "id": member_id,
        "project_id": project_id,
        "email": email,
        "password_hash": password_hash,
        "nickname": nickname,
        "created_at": at,
        "updated_at": at,
        "status": status,
        "slug": member_id,
        "email_verified": False,
        **(change.columns() if change else {}),
    }
    try:
        async with conn.begin_nested():
            await conn.execute(insert(members).values(**values))
    except IntegrityError:
        return None
    return Member(**{k: v for k, v in values.items() if k != "password_hash"}, password_hash=password_hash)


async def find_by_email(conn: AsyncConnection, project_id: str, email: str) -> Member | None:
    row = (await conn.execute(select(members).where(members.c.project_id == project_id, members.c.email == email))).first()
    return _member(row) if row else None


async def get_member(conn: AsyncConnection, project_id: str, member_id: str) -> Member | None:
    row = (await conn.execute(select(members).where(members.c.project_id == project_id, members.c.id == member_id))).first()
    return _member(row) if row else None


async def get_profile(conn: AsyncConnection, member_id: str) -> MemberProfile | None:
    """By id alone (the cache key); callers check the project."""
    row = (await conn.execute(select(*PROFILE_COLUMNS).where(members.c.id == member_id))).first()
    return profile_of(row) if row else None


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


async def update_profile(conn: AsyncConnection, project_id: str, member_id: str, change: ProfileChange) -> bool:
    result = await conn.execute(
        update(members)
        .where(members.c.project_id == project_id, members.c.id == member_id)
        .values(**change.columns(), updated_at=clock.now())
    )
    if not result.rowcount:
        return False
    await record_change(conn, ChangeKind.MEMBER, member_id)
    return True


async def set_slug(conn: AsyncConnection, project_id: str, member_id: str, slug: str) -> bool | None:
    """False when there is no such member, None when another member of the project has the slug."""
    try:
        async with conn.begin_nested():
            result = await conn.execute(
                update(members)
                .where(members.c.project_id == project_id, members.c.id == member_id)
                .values(slug=slug, updated_at=clock.now())
            )
    except IntegrityError:
        return None
    if not result.rowcount:
        return False
    await record_change(conn, ChangeKind.MEMBER, member_id)
    return True


async def set_status(conn: AsyncConnection, project_id: str, member_id: str, status: MemberStatus) -> bool:
    """A member who may no longer sign in also loses her hosted-login sessions and grants (so her
    refresh tokens die for good, even if she is approved again); the change log entry evicts her
    row and her cached grants in every process, which cuts her access tokens off everywhere."""
    at = clock.now()
    result = await conn.execute(
        update(members).where(members.c.project_id == project_id, members.c.id == member_id).values(status=status, updated_at=at)
    )
    if not result.rowcount:
        return False
    if status != MemberStatus.APPROVED:
        await revoke_sign_ins(conn, member_id, at)
    await record_change(conn, ChangeKind.MEMBER, member_id)
    return True


async def revoke_sign_ins(conn: AsyncConnection, member_id: str, at: datetime) -> None:
    """Her hosted-login sessions and grants end (so her refresh tokens die for good); with the
    change log entry the caller records, her cached grants go in every process, which cuts her
    access tokens off everywhere."""
    await conn.execute(delete(member_sessions).where(member_sessions.c.member_id == member_id))
    await grants.revoke_member_grants(conn, member_id, at)


async def set_password(conn: AsyncConnection, project_id: str, member_id: str, password_hash: str) -> bool:
    """A new password from a mailed reset link: it proves she reads the mailbox, so the email is
    verified too. Every sign-in made with the old password ends (``revoke_sign_ins``)."""
    at = clock.now()
    result = await conn.execute(
        update(members)
        .where(members.c.project_id == project_id, members.c.id == member_id)
        .values(password_hash=password_hash, email_verified=True, updated_at=at)
    )
    if not result.rowcount:
        return False
    await revoke_sign_ins(conn, member_id, at)
    await record_change(conn, ChangeKind.MEMBER, member_id)
    return True


async def mark_email_verified(conn: AsyncConnection, project_id: str, member_id: str) -> bool:
    result = await conn.execute(
        update(members)
        .where(members.c.project_id == project_id, members.c.id == member_id)
        .values(email_verified=True, updated_at=clock.now())
    )
    if not result.rowcount:
        return False
    await record_change(conn, ChangeKind.MEMBER, member_id)
    return True


QUERY_COLUMNS = {
    "id": members.c.id,
    "contactId": members.c.id,
    "loginEmail": members.c.email,
    "status": members.c.status,
    "profile.nickname": members.c.nickname,
    "profile.slug": members.c.slug,
    "contact.firstName": members.c.first_name,
    "contact.lastName": members.c.last_name,
    "createdDate": members.c.created_at,
    "updatedDate": members.c.updated_at,
}
_TEXT_OPS = frozenset({"$eq", "$ne", "$in", "$nin", "$startsWith", "$endsWith", "$contains", "$exists"})
_DATE_OPS = frozenset({"$eq", "$ne", "$gt", "$gte", "$lt", "$lte"})
# The fields @wix/members lets a query name (its MemberQuerySpec), plus the dates.
QUERY_SPEC = QuerySpec(
    fields={
        **{name: FieldSpec("string", _TEXT_OPS, sortable=True) for name in QUERY_COLUMNS if not name.endswith("Date")},
        "createdDate": FieldSpec("datetime", _DATE_OPS, sortable=True),
        "updatedDate": FieldSpec("datetime", _DATE_OPS, sortable=True),
    },
    aliases={"_id": "id", "_createdDate": "createdDate", "_updatedDate": "updatedDate"},
    default_sort=(Sort("createdDate"),),
    tiebreaker="id",
    default_limit=50,
    max_limit=100,
)


async def query_members(conn: AsyncConnection, project_id: str, query: Query) -> tuple[list[Member], int]:
    where = (members.c.project_id == project_id, filter_sql(query.filter, QUERY_COLUMNS))
    rows = await conn.execute(
        select(members).where(*where).order_by(*order_sql(query.sort, QUERY_COLUMNS)).limit(query.limit).offset(query.offset)
    )
    total = (await conn.execute(select(func.count()).select_from(members).where(*where))).scalar_one()
    return [_member(r) for r in rows], int(total)
