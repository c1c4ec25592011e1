"""The console's page of a project's members, by email or by name, optionally those starting
with a prefix: one statement reading one index range (ix_members_project_name, and by email the
project's unique email index or, on PostgreSQL, ix_members_project_email_c), with a count that
stops after COUNT_CAP + 1 rows in the same statement (as store/oauth_app_page.py does), so a
page costs the same with 100,000 members as with 100."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import func, literal, select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from ..domain.text_range import prefix_range
from .members import PROFILE_COLUMNS, MemberProfile, profile_of
from .oauth_app_page import COUNT_CAP, bounded_total
from .query_sql import ascii_lower, bytewise, fold_ascii
from .schema import members


class MemberOrder(StrEnum):
    """What the list is sorted by, and what a search prefix matches."""

    EMAIL = "email"  # the login email (stored lowercased)
    NAME = "name"  # the nickname, A-Z folded to a-z


@dataclass(frozen=True)
class MemberPage:
    members: list[MemberProfile]
    total: int  # exact unless too_many, and then a lower bound
    too_many: bool


def _key(order: MemberOrder) -> ColumnElement[Any]:
    return bytewise(members.c.email) if order is MemberOrder.EMAIL else bytewise(ascii_lower(members.c.nickname))


def _folded(order: MemberOrder, prefix: str) -> str:
    return prefix.lower() if order is MemberOrder.EMAIL else fold_ascii(prefix)


async def member_page(conn: AsyncConnection, project_id: str, order: MemberOrder, prefix: str, limit: int, offset: int) -> MemberPage:
    key = _key(order)
    where: list[ColumnElement[bool]] = [members.c.project_id == project_id]
    if prefix:
        lower, upper = prefix_range(_folded(order, prefix))
        where.append(key >= lower)
        if upper is not None:
            where.append(key < upper)
    matches = select(literal(1)).select_from(members).where(*where).limit(COUNT_CAP + 1).subquery()
    count = select(func.count()).select_from(matches)
    # Emails are unique in a project, so the email alone orders the page; names need the id too.
    sort = [key] if order is MemberOrder.EMAIL else [key, members.c.id]
    rows = list(
        await conn.execute(
            select(*PROFILE_COLUMNS, count.scalar_subquery().label("matches")).where(*where).order_by(*sort).limit(limit).offset(offset)
        )
    )
    if rows:
        counted = int(rows[0].matches)
    elif offset == 0:
        return MemberPage([], 0, False)
    else:  # past the end: no row carries the count
        counted = int((await conn.execute(count)).scalar_one())
    return MemberPage([profile_of(r) for r in rows], *bounded_total(len(rows), counted, limit, offset))
