"""Members (a subset of Wix Members v1): the signed-in member reads and edits herself (profile,
slug); admins (an admin token from :class:`ClientCredentialsStrategy`, an API key, or an app with
``SCOPE.MEMBERS.MANAGE``) list, query, read, create, update, approve, block and delete members."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypedDict, cast
from urllib.parse import quote

from ..dual_mode import operation
from ..http_calls import call
from ..operations import M, Op
from .base import Module, ModuleSpec
from .query import QueryBuilder, QueryTarget

PATH = "/members/v1/members"
QUERY_RENAMES = {"_id": "id", "_createdDate": "createdDate", "_updatedDate": "updatedDate"}


class Member(TypedDict, total=False):
    id: str
    loginEmail: str
    status: str
    contactId: str
    contact: dict[str, Any]
    profile: dict[str, Any]
    privacyStatus: str
    activityStatus: str
    createdDate: str
    updatedDate: str


@dataclass(frozen=True)
class MemberList:
    members: list[Member]
    total: int
    offset: int


def _member(answer: dict[str, Any]) -> Member:
    return cast(Member, answer.get("member") or {})


def _path(member_id: str, action: str = "") -> str:
    return f"{PATH}/{quote(member_id, safe='')}" + (f"/{action}" if action else "")


def _as_member(item: dict[str, Any]) -> Member:
    return cast(Member, item)


class MembersModule(Module[M]):
    @operation
    def get_current_member(self) -> Op[Member]:
        """The member the tokens belong to; a visitor or admin gets :class:`PermissionDeniedError`."""
        return _member((yield from call(self.context, "GET", f"{PATH}/my")))

    @operation
    def get_member(self, member_id: str) -> Op[Member]:
        return _member((yield from call(self.context, "GET", f"{PATH}/{quote(member_id, safe='')}")))

    @operation
    def list_members(self, limit: int = 50, offset: int = 0) -> Op[MemberList]:
        """One page of the project's members (admins only), oldest first."""
        params = {"paging.limit": str(limit), "paging.offset": str(offset)}
        answer = yield from call(self.context, "GET", PATH, params=params)
        metadata = answer.get("metadata") or {}
        members = [cast(Member, m) for m in answer.get("members") or []]
        return MemberList(members, int(metadata.get("total") or 0), int(metadata.get("offset") or offset))

    @operation
    def update_member(self, member_id: str, member: Mapping[str, Any]) -> Op[Member]:
        """Change the profile fields given (``profile.nickname``, ``profile.photo.url``,
        ``contact.firstName``, ``contact.lastName``); a member may change only herself."""
        body = {"member": {**member, "id": member_id}}
        return _member((yield from call(self.context, "PATCH", _path(member_id), json=body)))

    @operation
    def update_current_member_slug(self, slug: str) -> Op[Member]:
        """The signed-in member's slug (unique in the project: else :class:`ConflictError`
        ``SLUG_ALREADY_EXISTS``)."""
        return _member((yield from call(self.context, "POST", f"{PATH}/my/slug", json={"slug": slug})))

    @operation
    def create_member(self, member: Mapping[str, Any]) -> Op[Member]:
        """A new, approved member with ``loginEmail`` and optional profile fields (admins)."""
        return _member((yield from call(self.context, "POST", PATH, json={"member": dict(member)})))

    def query_members(self) -> QueryBuilder[M, Member]:
        """Filter on ``id``, ``loginEmail``, ``status``, ``profile.nickname``, ``profile.slug``,
        ``contact.firstName``, ``contact.lastName`` and the dates (admins)."""
        return QueryBuilder(self.context, QueryTarget(f"{PATH}/query", "members", _as_member, renames=QUERY_RENAMES))

    @operation
    def delete_member(self, member_id: str) -> Op[None]:
        yield from call(self.context, "DELETE", _path(member_id))

    @operation
    def approve_member(self, member_id: str) -> Op[Member]:
        return _member((yield from call(self.context, "POST", _path(member_id, "approve"), json={"id": member_id})))

    @operation
    def block_member(self, member_id: str) -> Op[Member]:
        """The member can no longer sign in, and her tokens stop working at once."""
        return _member((yield from call(self.context, "POST", _path(member_id, "block"), json={"id": member_id})))


members = ModuleSpec("members", MembersModule)
