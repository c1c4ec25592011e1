"""Members API (Wix Members v1 subset): ``GET /members/v1/members/my`` for the signed-in member;
list and get for admins (an OAuth app's admin token or an owner API key)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..domain.errors import FieldViolation, ValidationFailed
from ..runtime import Runtime
from ..services import members
from .auth import authenticate_caller
from .responses import FastJSONResponse, wire_errors
from .routing import PublicRoute

PREFIX = "/members/v1/members"


def _int_param(request: Request, names: tuple[str, ...], default: int, low: int, high: int) -> int:
    for name in names:
        raw = request.query_params.get(name)
        if raw is None:
            continue
        if not raw.isdigit() or not low <= int(raw) <= high:
            raise ValidationFailed([FieldViolation(name, f"must be a whole number from {low} to {high}", "OUT_OF_RANGE")])
        return int(raw)
    return default


@wire_errors
async def my_member(request: Request) -> Response:
    runtime: Runtime = request.state.app
    caller = await authenticate_caller(request, runtime)
    member = await members.current_member(runtime.db, caller)
    return FastJSONResponse({"member": members.to_wire(member)})


@wire_errors
async def get_member(request: Request) -> Response:
    runtime: Runtime = request.state.app
    caller = await authenticate_caller(request, runtime)
    member = await members.get_member(runtime.db, caller, request.path_params["member_id"])
    return FastJSONResponse({"member": members.to_wire(member)})


@wire_errors
async def list_members(request: Request) -> Response:
    runtime: Runtime = request.state.app
    caller = await authenticate_caller(request, runtime)
    limit = _int_param(request, ("paging.limit", "limit"), 50, 1, 100)
    offset = _int_param(request, ("paging.offset", "offset"), 0, 0, 10**9)
    rows, total = await members.list_members(runtime.db, caller, limit, offset)
    return FastJSONResponse(
        {
            "members": [members.to_wire(m) for m in rows],
            "metadata": {"count": len(rows), "offset": offset, "total": total, "tooManyToCount": False},
        }
    )


routes = [
    PublicRoute(f"{PREFIX}/my", my_member, methods=["GET"]),
    Route(PREFIX, list_members, methods=["GET"]),
    Route(f"{PREFIX}/{{member_id}}", get_member, methods=["GET"]),
]
