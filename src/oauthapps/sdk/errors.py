"""Exceptions. Every failed call raises; nothing is turned into ``None`` or retried silently.

Transport failures (connection refused, timeouts) are httpx's own exceptions and pass through
unchanged, so callers can tell "the server said no" from "we never reached it".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class OAuthAppsError(Exception):
    """Base of every error the SDK raises itself."""


@dataclass(frozen=True)
class FieldViolation:
    """One rejected field of a 400 ``validationError`` (the server reports all of them at once)."""

    field: str
    description: str
    violated_rule: str
    data: dict[str, Any] | None = None


class ApiError(OAuthAppsError):
    """A REST call answered with something other than HTTP 200.

    ``code`` is the server's ``applicationError.code`` (e.g. ``OAUTH_APP_NOT_FOUND``),
    ``INVALID_ARGUMENT`` for validation errors, or ``HTTP_<status>`` when the body carries none.
    """

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        violations: list[FieldViolation] | None = None,
        request_id: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.violations = list(violations or [])
        self.request_id = request_id
        self.details = details or {}

    def __str__(self) -> str:
        message = self.message.removeprefix(f"{self.code}: ")
        text = f"{self.status} {self.code}: {message}"
        return f"{text} (request id {self.request_id})" if self.request_id else text


class ValidationError(ApiError):
    """400: see ``violations`` for every rejected field."""


class UnauthenticatedError(ApiError):
    """401: missing, invalid, expired or revoked credentials."""


class PermissionDeniedError(ApiError):
    """403: the caller is known but may not do this."""


class NotFoundError(ApiError):
    """404: the resource does not exist (or belongs to another project)."""


class ConflictError(ApiError):
    """409: e.g. an item id already taken, a secret already generated."""


API_ERRORS: dict[int, type[ApiError]] = {
    400: ValidationError,
    401: UnauthenticatedError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
}


class TokenError(OAuthAppsError):
    """``POST /oauth2/token`` refused a grant (RFC 6749 5.2: ``error`` and ``error_description``)."""

    def __init__(self, status: int, error: str, description: str, request_id: str | None = None) -> None:
        super().__init__(f"{status} {error}: {description}")
        self.status = status
        self.error = error
        self.description = description
        self.request_id = request_id


class AuthorizationError(OAuthAppsError):
    """The login redirect came back with ``error=...``, without a code, or with a foreign state."""

    def __init__(self, error: str, description: str = "", state: str | None = None) -> None:
        super().__init__(f"{error}: {description}" if description else error)
        self.error = error
        self.description = description
        self.state = state
