"""Reading members through the API: the signed-in member, or any member for admins."""

from __future__ import annotations

from typing import Any

from ..domain.errors import NotFound, PermissionDenied
from ..domain.oauth_app import iso
from ..domain.roles import CallerRole
from ..store import cached
from ..store import members as repo
from ..store.database import Database
from ..store.members import Member, MemberProfile
from .callers import Caller


def to_wire(member: Member | MemberProfile) -> dict[str, Any]:
    """The Wix Members v1 shape (the fields a template uses)."""
    nickname = member.nickname or member.email.split("@", 1)[0]
    return {
        "id": member.id,
        "loginEmail": member.email,
        "status": "APPROVED",
        "contactId": member.id,
        "profile": {"nickname": nickname, "slug": member.id},
        "privacyStatus": "PRIVATE",
        "activityStatus": "ACTIVE",
        "createdDate": iso(member.created_at),
        "updatedDate": iso(member.created_at),
    }


async def current_member(db: Database, caller: Caller) -> MemberProfile:
    """From this process's cache: a member's deletion is in the change log (store/members.py)."""
    if caller.role != CallerRole.MEMBER or caller.member_id is None:
        raise PermissionDenied(
            "Only a signed-in member has a current member; this is a visitor or admin token", code="MEMBER_TOKEN_REQUIRED"
        )
    member = await cached.member(db, caller.project_id, caller.member_id)
    if member is None:
        raise NotFound("Member not found", code="MEMBER_NOT_FOUND")
    return member


def _require_admin(caller: Caller) -> None:
    if caller.role != CallerRole.ADMIN:
        raise PermissionDenied("Listing and reading members needs an admin token or an API key", code="ADMIN_REQUIRED")


async def get_member(db: Database, caller: Caller, member_id: str) -> Member | MemberProfile:
    if caller.role == CallerRole.MEMBER and caller.member_id == member_id:
        return await current_member(db, caller)
    _require_admin(caller)
    async with db.read() as conn:
        member = await repo.get_member(conn, caller.project_id, member_id)
    if member is None:
        raise NotFound("Member not found", code="MEMBER_NOT_FOUND")
    return member


async def list_members(db: Database, caller: Caller, limit: int, offset: int) -> tuple[list[Member], int]:
    _require_admin(caller)
    async with db.read() as conn:
        rows = await repo.list_members(conn, caller.project_id, limit, offset)
        total = await repo.count_members(conn, caller.project_id)
    return rows, total
