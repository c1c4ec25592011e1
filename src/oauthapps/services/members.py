"""The Members API's use cases: a member reads and edits herself; admins (an OAuth app's admin
token, an owner's API key, an app with ``SCOPE.MEMBERS.MANAGE``, the CLI) read, create, query,
approve, block and delete the project's members. Another project's member is never found."""

from __future__ import annotations

from typing import Any

from ..domain.errors import Conflict, FieldViolation, NotFound, PermissionDenied, ValidationFailed, Violations
from ..domain.members import (
    MEMBER_NOT_FOUND,
    SLUG_ALREADY_EXISTS,
    MemberStatus,
    check_slug,
    parse_profile_change,
)
from ..domain.oauth_app import iso
from ..domain.query import parse_query
from ..domain.roles import CallerRole
from ..store import cached
from ..store import member_page as member_pages
from ..store import members as repo
from ..store.database import Database
from ..store.member_page import MemberOrder, MemberPage
from ..store.members import Member, MemberProfile
from . import member_accounts
from .callers import Caller

PREFIX_MAX = 320  # the longest email


def to_wire(member: MemberProfile) -> dict[str, Any]:
    """The Wix Members v1 shape (the fields a template uses)."""
    nickname = member.nickname or member.email.split("@", 1)[0]
    profile: dict[str, Any] = {"nickname": nickname, "slug": member.slug or member.id}
    if member.picture_url:
        profile["photo"] = {"id": "", "url": member.picture_url, "height": 0, "width": 0}
    contact: dict[str, Any] = {"emails": [member.email], "phones": [], "addresses": []}
    if member.first_name:
        contact["firstName"] = member.first_name
    if member.last_name:
        contact["lastName"] = member.last_name
    return {
        "id": member.id,
        "loginEmail": member.email,
        "loginEmailVerified": member.email_verified,
        "status": str(member.status),
        "contactId": member.id,
        "contact": contact,
        "profile": profile,
        "privacyStatus": "PRIVATE",
        "activityStatus": "ACTIVE",
        "createdDate": iso(member.created_at),
        "updatedDate": iso(member.updated_at or member.created_at),
    }


def _not_found() -> NotFound:
    return NotFound("Member not found", code=MEMBER_NOT_FOUND)


def _require_member(caller: Caller) -> str:
    if caller.role != CallerRole.MEMBER or caller.member_id is None:
        raise PermissionDenied(
            "Only a signed-in member has a current member; this is a visitor or admin token", code="MEMBER_TOKEN_REQUIRED"
        )
    return caller.member_id


def _require_admin(caller: Caller) -> None:
    if caller.role != CallerRole.ADMIN:
        raise PermissionDenied("This call needs an admin token, an API key or an app with SCOPE.MEMBERS.MANAGE", code="ADMIN_REQUIRED")


async def current_member(db: Database, caller: Caller) -> MemberProfile:
    """From this process's cache: a member's change or deletion is in the change log (store/members.py)."""
    member = await cached.member(db, caller.project_id, _require_member(caller))
    if member is None:
        raise _not_found()
    return member


async def _load(db: Database, project_id: str, member_id: str) -> Member:
    async with db.read() as conn:
        member = await repo.get_member(conn, project_id, member_id)
    if member is None:
        raise _not_found()
    return member


async def get_member(db: Database, caller: Caller, member_id: str) -> MemberProfile:
    if caller.role == CallerRole.MEMBER and caller.member_id == member_id:
        return await current_member(db, caller)
    _require_admin(caller)
    return await _load(db, caller.project_id, member_id)


async def list_members(db: Database, caller: Caller, limit: int, offset: int) -> tuple[list[Member], int]:
    _require_admin(caller)
    async with db.read() as conn:
        rows = await repo.list_members(conn, caller.project_id, limit, offset)
        total = await repo.count_members(conn, caller.project_id)
    return rows, total


async def member_page(db: Database, caller: Caller, order: MemberOrder, prefix: str, limit: int, offset: int) -> MemberPage:
    """A page of the project's members sorted by email or name, those starting with ``prefix``
    (the owner console's list): one index range read, with a bounded count."""
    _require_admin(caller)
    v = Violations()
    if len(prefix) > PREFIX_MAX:
        v.add("prefix", f"must be at most {PREFIX_MAX} characters", "MAX_LENGTH")
    if not 0 < limit <= repo.QUERY_SPEC.max_limit:
        v.add("paging.limit", f"must be 1 to {repo.QUERY_SPEC.max_limit}", "RANGE")
    if offset < 0:
        v.add("paging.offset", "must not be negative", "RANGE")
    v.raise_if_any()
    async with db.read() as conn:
        return await member_pages.member_page(conn, caller.project_id, order, prefix, limit, offset)


async def update_member(db: Database, caller: Caller, member_id: str, body: Any) -> Member:
    """A member edits only herself; an admin edits anyone in the project. Only the profile fields
    present in ``body`` change."""
    if caller.role == CallerRole.MEMBER:
        if caller.member_id != member_id:
            raise PermissionDenied("A member can change only herself", code="MEMBER_TOKEN_REQUIRED")
    else:
        _require_admin(caller)
    change = parse_profile_change(body)
    async with db.transaction() as conn:
        found = await repo.update_profile(conn, caller.project_id, member_id, change)
    if not found:
        raise _not_found()
    return await _load(db, caller.project_id, member_id)


async def update_my_slug(db: Database, caller: Caller, slug: Any) -> Member:
    member_id = _require_member(caller)
    return await set_slug(db, caller.project_id, member_id, slug)


async def update_member_slug(db: Database, caller: Caller, member_id: str, slug: Any) -> Member:
    _require_admin(caller)
    return await set_slug(db, caller.project_id, member_id, slug)


async def set_slug(db: Database, project_id: str, member_id: str, slug: Any) -> Member:
    checked = check_slug(slug)
    async with db.transaction() as conn:
        outcome = await repo.set_slug(conn, project_id, member_id, checked)
    if outcome is None:
        raise Conflict("Another member already has this slug", code=SLUG_ALREADY_EXISTS, data={"slug": checked})
    if not outcome:
        raise _not_found()
    return await _load(db, project_id, member_id)


async def create_member(db: Database, caller: Caller, body: Any) -> Member:
    """An admin adds a member, approved at once. Wix's createMember carries no password: she can
    sign in once one is set (password reset); until then no password matches."""
    _require_admin(caller)
    member = body if isinstance(body, dict) else None
    if member is None:
        raise ValidationFailed([FieldViolation("member", "must be an object", "REQUIRED")])
    change = parse_profile_change(member)
    email = member_accounts.normalise_email(member.get("loginEmail"))
    return await member_accounts.register_without_password(db, caller.project_id, email, change, "member.loginEmail")


async def query_members(db: Database, caller: Caller, raw_query: Any) -> tuple[list[Member], int, int]:
    """The members matching a Wix query (``filter``, ``sort`` or ``sorting``, ``paging``), the
    total that match, and the offset."""
    _require_admin(caller)
    if isinstance(raw_query, dict) and "sorting" in raw_query and "sort" not in raw_query:
        raw_query = {("sort" if k == "sorting" else k): v for k, v in raw_query.items()}
    parsed = parse_query(raw_query, repo.QUERY_SPEC)
    async with db.read() as conn:
        rows, total = await repo.query_members(conn, caller.project_id, parsed)
    return rows, total, parsed.offset


async def delete_member(db: Database, caller: Caller, member_id: str) -> None:
    _require_admin(caller)
    await member_accounts.delete_member(db, caller.project_id, member_id)


async def set_status(db: Database, caller: Caller, member_id: str, status: MemberStatus) -> Member:
    """Approve, block or unblock (approve again). Blocking ends the member's sessions and grants
    at once, on every node."""
    _require_admin(caller)
    async with db.transaction() as conn:
        found = await repo.set_status(conn, caller.project_id, member_id, status)
    if not found:
        raise _not_found()
    return await _load(db, caller.project_id, member_id)
