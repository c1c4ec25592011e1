"""The audit-log API: ``GET /audit-log/v1/entries``, a project's audit trail newest first, filtered
by OAuth app, actor, action and time, in cursor pages (docs/audit-log.md). Parsing only: the
rules are domain/audit_log.py, the use case services/audit_log.py."""

from __future__ import annotations

from http import HTTPMethod
from typing import Any, Literal

from pydantic import BaseModel, Field
from starlette.requests import Request
from starlette.routing import Route

from ..domain import audit_log as rules
from ..domain.audit_log import AuditAction
from ..domain.errors import FieldViolation, ValidationFailed
from ..runtime import Runtime
from ..services import audit_log as service
from . import schemas
from .auth import authenticate
from .responses import FastJSONResponse
from .routing import Operation

PREFIXES = ("/audit-log/v1/entries",)
TAG = "Audit log"
ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": schemas.Error, "description": text}
    for status, text in (
        (400, "A filter, the limit or the cursor is wrong (the violation names the parameter)"),
        (401, "Missing or invalid credentials"),
        (403, "Missing permission scope"),
        (404, "No such path"),
        (503, "Storage unavailable (UNAVAILABLE); retry after Retry-After seconds"),
    )
}


class AuditEntryModel(BaseModel):
    id: str = Field(description="The entry's id (a number, as a string)")
    oAuthAppId: str
    action: Literal[tuple(a.value for a in AuditAction)]  # type: ignore[valid-type]
    actorType: str = Field(description="api_key, app, console or cli")
    actorId: str = Field(description="The API key's, app installation's or console owner's id; cli:<user> for the CLI")
    fields: list[str] = Field(description="Names of the fields that changed (never their values)")
    requestId: str | None = Field(None, description="x-wix-request-id of the change; absent for the CLI")
    createdDate: str = Field(description="When, ISO-8601 UTC with milliseconds")


class AuditCursors(BaseModel):
    next: str | None = Field(None, description="Send as cursor for the next (older) page; absent on the last page")


class AuditPagingMetadata(BaseModel):
    count: int
    cursors: AuditCursors
    hasNext: bool


class AuditLogResponse(BaseModel):
    entries: list[AuditEntryModel]
    pagingMetadata: AuditPagingMetadata


def _query_param(name: str, description: str, max_length: int | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    if max_length is not None:
        schema["maxLength"] = max_length
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


PARAMETERS = (
    _query_param(rules.APP, "Only this OAuth app's entries", rules.MAX_APP_ID_CHARS),
    _query_param(rules.ACTOR_TYPE, "Only entries by this kind of actor: " + ", ".join(sorted(service.ACTOR_TYPES)), 32),
    _query_param(rules.ACTOR_ID, f"Only this actor's entries (needs {rules.ACTOR_TYPE})", rules.MAX_ACTOR_ID_CHARS),
    _query_param(rules.ACTION, "Only this action: " + ", ".join(a.value for a in AuditAction), 64),
    _query_param(rules.FROM, "Entries at or after this ISO-8601 time (UTC when it has no zone)", rules.MAX_TIME_CHARS),
    _query_param(rules.TO, "Entries before this ISO-8601 time", rules.MAX_TIME_CHARS),
    {
        "name": rules.LIMIT,
        "in": "query",
        "required": False,
        "schema": {"type": "integer", "minimum": 1, "maximum": rules.MAX_LIMIT, "default": rules.DEFAULT_LIMIT},
        "description": "Entries per page",
    },
    _query_param(rules.CURSOR, "pagingMetadata.cursors.next of the previous page; it carries the filters", rules.MAX_CURSOR_CHARS),
)


def _params(request: Request) -> dict[str, str | None]:
    """The query parameters, each at most once and each one this API knows."""
    raw: dict[str, str | None] = {}
    for name, value in request.query_params.multi_items():
        if name not in rules.NAMES:
            raise ValidationFailed(
                [FieldViolation(name[:64], "is not a parameter of the audit log", "UNKNOWN_FIELD", {"allowed": list(rules.NAMES)})]
            )
        if name in raw:
            raise ValidationFailed([FieldViolation(name, "was sent more than once", "DUPLICATE")])
        raw[name] = value
    return raw


async def list_entries(request: Request) -> FastJSONResponse:
    runtime: Runtime = request.state.app
    actor = await authenticate(request, runtime)
    page = await service.read(runtime.db, actor, service.parse(_params(request)))
    cursors = {"next": page.next_cursor} if page.next_cursor else {}
    return FastJSONResponse(
        {
            "entries": [rules.to_wire(e) for e in page.entries],
            "pagingMetadata": {"count": len(page.entries), "cursors": cursors, "hasNext": page.next_cursor is not None},
        }
    )


OPERATIONS = (
    Operation(
        HTTPMethod.GET,
        "",
        list_entries,
        operation_id="listAuditLogEntries",
        summary="Read the project's audit trail, newest first, in cursor pages",
        response=AuditLogResponse,
        parameters=PARAMETERS,
    ),
)

routes: list[Route] = [op.route(prefix) for prefix in PREFIXES for op in OPERATIONS]
