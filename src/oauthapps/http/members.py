"""Members API (a Wix Members v1 subset, as ``@wix/members`` sends it). A member reads herself,
edits her profile and slug; admins (an OAuth app's admin token, an owner API key, or an installed
app with ``SCOPE.MEMBERS.MANAGE``) list, query, read, create, update, approve, block and delete.

The routes below ``/members/v1/members/`` are public (CORS): a site's own JavaScript updates its
member through them, and they are authorised only by the bearer token or API key they carry."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..domain.errors import FieldViolation, ValidationFailed
from ..domain.members import MemberStatus
from ..domain.scopes import MEMBERS_MANAGE
from ..runtime import Runtime
from ..services import members
from ..services.callers import Caller
from ..store.members import MemberProfile
from .auth import authenticate_caller
from .body import read_json_object
from .responses import FastJSONResponse, wire_errors
from .routing import PublicRoute

PREFIX = "/members/v1/members"
ADMIN_APP_SCOPES = frozenset({MEMBERS_MANAGE})


def _int_param(request: Request, names: tuple[str, ...], default: int, low: int, high: int) -> int:
    for name in names:
        raw = request.query_params.get(name)
        if raw is None:
            continue
        if not raw.isdigit() or not low <= int(raw) <= high:
            raise ValidationFailed([FieldViolation(name, f"must be a whole number from {low} to {high}", "OUT_OF_RANGE")])
        return int(raw)
    return default


async def _caller(request: Request) -> tuple[Runtime, Caller]:
    runtime: Runtime = request.state.app
    return runtime, await authenticate_caller(request, runtime, ADMIN_APP_SCOPES)


async def _body(request: Request, runtime: Runtime) -> dict[str, Any]:
    return await read_json_object(request, runtime.settings.max_body_bytes)


def _one(member: MemberProfile) -> FastJSONResponse:
    return FastJSONResponse({"member": members.to_wire(member)})


def _page(rows: list[Any], offset: int, total: int) -> FastJSONResponse:
    return FastJSONResponse(
        {
            "members": [members.to_wire(m) for m in rows],
            "metadata": {"count": len(rows), "offset": offset, "total": total, "tooManyToCount": False},
        }
    )


@wire_errors
async def my_member(request: Request) -> Response:
    runtime, caller = await _caller(request)
    return _one(await members.current_member(runtime.db, caller))


@wire_errors
async def update_my_slug(request: Request) -> Response:
    """``updateCurrentMemberSlug(slug)``: ``POST /my/slug`` with ``{"slug"}``."""
    runtime, caller = await _caller(request)
    body = await _body(request, runtime)
    return _one(await members.update_my_slug(runtime.db, caller, body.get("slug")))


@wire_errors
async def get_member(request: Request) -> Response:
    runtime, caller = await _caller(request)
    return _one(await members.get_member(runtime.db, caller, request.path_params["member_id"]))


@wire_errors
async def update_member(request: Request) -> Response:
    """``updateMember(id, member)``: ``PATCH /{id}`` with ``{"member": {"id", "profile", "contact"}}``."""
    runtime, caller = await _caller(request)
    body = await _body(request, runtime)
    return _one(await members.update_member(runtime.db, caller, request.path_params["member_id"], body.get("member")))


@wire_errors
async def update_member_slug(request: Request) -> Response:
    """``updateMemberSlug(id, slug)`` (admins): ``POST /{id}/slug`` with ``{"id", "slug"}``."""
    runtime, caller = await _caller(request)
    body = await _body(request, runtime)
    return _one(await members.update_member_slug(runtime.db, caller, request.path_params["member_id"], body.get("slug")))


@wire_errors
async def delete_member(request: Request) -> Response:
    runtime, caller = await _caller(request)
    await members.delete_member(runtime.db, caller, request.path_params["member_id"])
    return FastJSONResponse({})


async def _set_status(request: Request, status: MemberStatus) -> Response:
    runtime, caller = await _caller(request)
    return _one(await members.set_status(runtime.db, caller, request.path_params["member_id"], status))


@wire_errors
async def approve_member(request: Request) -> Response:
    return await _set_status(request, MemberStatus.APPROVED)


@wire_errors
async def block_member(request: Request) -> Response:
    return await _set_status(request, MemberStatus.BLOCKED)


@wire_errors
async def list_members(request: Request) -> Response:
    runtime, caller = await _caller(request)
    limit = _int_param(request, ("paging.limit", "limit"), 50, 1, 100)
    offset = _int_param(request, ("paging.offset", "offset"), 0, 0, 10**9)
    rows, total = await members.list_members(runtime.db, caller, limit, offset)
    return _page(rows, offset, total)


@wire_errors
async def query_members(request: Request) -> Response:
    """``queryMembers()`` builder: ``POST /query`` with ``{"query": {"filter", "sort", "paging"}}``."""
    runtime, caller = await _caller(request)
    body = await _body(request, runtime)
    rows, total, offset = await members.query_members(runtime.db, caller, body.get("query"))
    return _page(rows, offset, total)


@wire_errors
async def create_member(request: Request) -> Response:
    """``createMember({member})``: ``POST`` with ``{"member": {"loginEmail", "profile", "contact"}}``."""
    runtime, caller = await _caller(request)
    body = await _body(request, runtime)
    return _one(await members.create_member(runtime.db, caller, body.get("member")))


routes = [
    PublicRoute(f"{PREFIX}/my", my_member, methods=["GET"]),
    PublicRoute(f"{PREFIX}/my/slug", update_my_slug, methods=["POST"]),
    PublicRoute(f"{PREFIX}/query", query_members, methods=["POST"]),
    Route(PREFIX, list_members, methods=["GET"]),
    Route(PREFIX, create_member, methods=["POST"]),
    PublicRoute(f"{PREFIX}/{{member_id}}/approve", approve_member, methods=["POST"]),
    PublicRoute(f"{PREFIX}/{{member_id}}/block", block_member, methods=["POST"]),
    PublicRoute(f"{PREFIX}/{{member_id}}/slug", update_member_slug, methods=["POST"]),
    PublicRoute(f"{PREFIX}/{{member_id}}", get_member, methods=["GET"]),
    PublicRoute(f"{PREFIX}/{{member_id}}", update_member, methods=["PATCH"]),
    PublicRoute(f"{PREFIX}/{{member_id}}", delete_member, methods=["DELETE"]),
]
