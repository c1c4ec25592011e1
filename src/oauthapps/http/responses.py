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
from ..store.failures import StorageFailure, StorageState


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


def replayed(body: dict[str, Any]) -> FastJSONResponse:
    """The stored answer to a retried write (an Idempotency-Key seen before), marked as such."""
    return FastJSONResponse(body, headers={"Idempotent-Replayed": "true"})


def internal_error(request_id: str) -> FastJSONResponse:
    """The answer to an unexpected error: no detail of it (that goes to the log), only the request
    id that finds it there."""
    return application_error(500, "INTERNAL", f"Internal error; request id {request_id}")


NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}

# How storage failures are answered (store/failures.py says which errors are which): the status,
# the wire code, and when to try again. A full disk is 507 rather than 503: another node on the
# same database would fail the same way, and it takes an operator, not a moment.
STORAGE_STATUS = {StorageState.UNAVAILABLE: 503, StorageState.FULL: 507}
STORAGE_CODE = {StorageState.UNAVAILABLE: "UNAVAILABLE", StorageState.FULL: "INSUFFICIENT_STORAGE"}
RETRY_AFTER_SECONDS = {StorageState.UNAVAILABLE: 5, StorageState.FULL: 60}
# The OAuth 2.0 endpoints answer in their own (RFC 6749) error shape.
OAUTH2_PATHS = "/oauth2/"
OAUTH2_UNAVAILABLE = "temporarily_unavailable"


def _storage_description(failure: StorageFailure, request_id: str) -> str:
    if failure.outcome_unknown:
        text = (
            "The database connection was lost while this write was being committed: it may or may not have been applied. "
            "Retry with the same Idempotency-Key to apply it exactly once"
        )
    elif failure.state is StorageState.FULL:
        text = "The server's storage is full; reads still work, writes fail until space is freed"
    else:
        text = "The server's storage is unavailable; retry later"
    return f"{text}; request id {request_id}"


def storage_failure(failure: StorageFailure, request_id: str, path: str) -> FastJSONResponse:
    """The answer to a request refused because of the storage: 503 (or 507 for a full disk) with
    Retry-After, in the Wix error shape, or the RFC 6749 one on the OAuth 2.0 endpoints; never a
    detail of the failure (that goes to the log, once per episode: store/health.py)."""
    status = STORAGE_STATUS[failure.state]
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS[failure.state])}
    description = _storage_description(failure, request_id)
    if path.startswith(OAUTH2_PATHS):
        return FastJSONResponse(
            {"error": OAUTH2_UNAVAILABLE, "error_description": description}, status_code=status, headers={**NO_STORE, **headers}
        )
    data = {"writeOutcome": "UNKNOWN"} if failure.outcome_unknown else {}
    body = {
        "message": description,
        "details": {"applicationError": {"code": STORAGE_CODE[failure.state], "description": description, "data": data}},
    }
    return FastJSONResponse(body, status_code=status, headers=headers)


def oauth2_error(err: OAuth2Error, basic_auth_used: bool = False) -> FastJSONResponse:
    headers = dict(NO_STORE)
    if err.status == 401 and basic_auth_used:
        headers["WWW-Authenticate"] = 'Basic realm="oauthapps"'
    if err.retry_after is not None:
        headers["Retry-After"] = str(err.retry_after)
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
