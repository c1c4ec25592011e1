"""JSON responses and the Wix error body shape, shared by every API module."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..domain.errors import DomainError, TooManyRequests, ValidationFailed
from ..oauth2.errors import OAuth2Error


class FastJSONResponse(JSONResponse):
    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def domain_error(err: DomainError) -> FastJSONResponse:
    """``{message, details: {applicationError | validationError}}`` (docs/wire-protocol.md#wix-errors)."""
    if isinstance(err, ValidationFailed):
        details: dict[str, Any] = {"validationError": {"fieldViolations": [v.to_wire() for v in err.violations]}}
        message = f"INVALID_ARGUMENT: {err.description}"
    else:
        details = {"applicationError": {"code": err.code, "description": err.description, "data": err.data}}
        message = err.description
    headers = retry_after(err)
    return FastJSONResponse({"message": message, "details": details}, status_code=err.status, headers=headers or None)


def retry_after(err: DomainError) -> dict[str, str]:
    """``Retry-After`` for a refusal that says how long to wait (RFC 9110 10.2.3)."""
    if isinstance(err, TooManyRequests) and err.retry_after_seconds is not None:
        return {"Retry-After": str(err.retry_after_seconds)}
    return {}


def application_error(status: int, code: str, description: str) -> FastJSONResponse:
    body = {"message": description, "details": {"applicationError": {"code": code, "description": description, "data": {}}}}
    return FastJSONResponse(body, status_code=status)


def internal_error(request_id: str) -> FastJSONResponse:
    """The answer to an unexpected error: no detail of it (that goes to the log), only the request
    id that finds it there."""
    return application_error(500, "INTERNAL", f"Internal error; request id {request_id}")


NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def oauth2_error(err: OAuth2Error, basic_auth_used: bool = False) -> FastJSONResponse:
    headers = dict(NO_STORE)
    if err.status == 401 and basic_auth_used:
        headers["WWW-Authenticate"] = 'Basic realm="oauthapps"'
    return FastJSONResponse(err.to_wire(), status_code=err.status, headers=headers)


def wire_errors(handler: Callable[[Request], Awaitable[Response]]) -> Callable[[Request], Awaitable[Response]]:
    """For plain Starlette endpoints: domain errors become the Wix error body."""

    @functools.wraps(handler)
    async def endpoint(request: Request) -> Response:
        try:
            return await handler(request)
        except DomainError as err:
            return domain_error(err)

    return endpoint
