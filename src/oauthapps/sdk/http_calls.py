"""HTTP conventions shared by every call: the bare token in ``Authorization``, JSON bodies,
success is exactly 200 with a JSON object, and the two error body shapes mapped to exceptions
(docs/wire-protocol.md#authentication-headers, docs/wire-protocol.md#error-bodies)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx

from .errors import API_ERRORS, ApiError, FieldViolation, TokenError
from .operations import Op, Runner

REQUEST_ID = "x-wix-request-id"


class HeaderSource(Protocol):
    """What a client needs from an auth strategy: the headers for the next call."""

    def auth_headers(self) -> Op[dict[str, str]]:
        """May yield token requests first (anonymous, refresh, client_credentials)."""
        ...


@dataclass(frozen=True)
class Context:
    """Where and how a client talks: shared by its strategy and its modules."""

    base_url: str
    runner: Runner
    auth: HeaderSource
    headers: Mapping[str, str] = field(default_factory=dict)

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Request:
        return httpx.Request(
            method,
            self.base_url.rstrip("/") + path,
            json=json,
            params=params,
            headers={**self.headers, **(headers or {})},
        )


def call(
    ctx: Context,
    method: str,
    path: str,
    *,
    json: Any = None,
    params: Mapping[str, str] | None = None,
) -> Op[dict[str, Any]]:
    """One authenticated REST call; returns the JSON object or raises :class:`ApiError`."""
    headers = yield from ctx.auth.auth_headers()
    response = yield ctx.request(method, path, json=json, params=params, headers=headers)
    return api_json(response)


def _body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def api_json(response: httpx.Response) -> dict[str, Any]:
    body = _body(response)
    if response.status_code == 200 and isinstance(body, dict):
        return body
    raise api_error(response, body)


def api_error(response: httpx.Response, body: Any) -> ApiError:
    status = response.status_code
    request_id = response.headers.get(REQUEST_ID)
    if status == 200:
        return ApiError(status, "INVALID_RESPONSE", "The server answered 200 without a JSON object", request_id=request_id)
    body = body if isinstance(body, dict) else {}
    details = body.get("details") if isinstance(body.get("details"), dict) else {}
    message = str(body.get("message") or response.reason_phrase or f"HTTP {status}")
    violations: list[FieldViolation] = []
    code = f"HTTP_{status}"
    app_error = details.get("applicationError")
    validation = details.get("validationError")
    if isinstance(app_error, dict):
        code = str(app_error.get("code") or code)
        message = str(app_error.get("description") or message)
    elif isinstance(validation, dict):
        code = "INVALID_ARGUMENT"
        violations = [
            FieldViolation(str(v.get("field", "")), str(v.get("description", "")), str(v.get("violatedRule", "")), v.get("data"))
            for v in validation.get("fieldViolations") or []
            if isinstance(v, dict)
        ]
    cls = API_ERRORS.get(status, ApiError)
    return cls(status, code, message, violations, request_id, details)


def token_json(response: httpx.Response) -> dict[str, Any]:
    """A token endpoint answer; errors use the RFC 6749 shape, not the Wix one."""
    body = _body(response)
    if response.status_code == 200 and isinstance(body, dict) and isinstance(body.get("access_token"), str):
        return body
    body = body if isinstance(body, dict) else {}
    fallback = "invalid_response" if response.status_code == 200 else f"http_{response.status_code}"
    raise TokenError(
        response.status_code,
        str(body.get("error") or fallback),
        str(body.get("error_description") or response.reason_phrase or "The token endpoint refused the request"),
        response.headers.get(REQUEST_ID),
    )
