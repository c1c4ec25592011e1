"""Members (a subset of Wix Members v1): the signed-in member, and for admins (an admin token
from :class:`ClientCredentialsStrategy`, or an API key) listing and reading members."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypedDict, cast
from urllib.parse import quote

from ..dual_mode import operation
from ..http_calls import call
from ..operations import M, Op
from .base import Module, ModuleSpec

PATH = "/members/v1/members"


class Member(TypedDict, total=False):
    id: str
    loginEmail: str
    status: str
    contactId: str
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


members = ModuleSpec("members", MembersModule)
