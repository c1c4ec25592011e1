"""Domain errors. The HTTP layer maps each class to a status and the Wix error body."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class FieldViolation:
    field: str
    description: str
    violated_rule: str
    data: dict[str, Any] | None = None

    def to_wire(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "field": self.field,
            "description": self.description,
            "violatedRule": self.violated_rule,
        }
        if self.data:
            out["data"] = self.data
        return out


class DomainError(Exception):
    """Base of every error that is the caller's fault (never a 500)."""

    status = 400
    code = "INVALID_ARGUMENT"

    def __init__(self, description: str, *, code: str | None = None, data: dict[str, Any] | None = None):
        super().__init__(description)
        self.description = description
        if code is not None:
            self.code = code
        self.data = data or {}


class ValidationFailed(DomainError):
    """One or more fields are wrong; carries every violation found, not just the first."""

    status = 400
    code = "INVALID_ARGUMENT"

    def __init__(self, violations: list[FieldViolation], description: str | None = None):
        self.violations = violations
        if description is None:
            description = "; ".join(f'"{v.field}" {v.description}' for v in violations)
        super().__init__(description)


class Unauthenticated(DomainError):
    status = 401
    code = "UNAUTHENTICATED"


class PermissionDenied(DomainError):
    status = 403
    code = "PERMISSION_DENIED"


class NotFound(DomainError):
    status = 404
    code = "NOT_FOUND"


class Conflict(DomainError):
    status = 409
    code = "ALREADY_EXISTS"


class PayloadTooLarge(DomainError):
    status = 413
    code = "PAYLOAD_TOO_LARGE"


class TooManyRequests(DomainError):
    status = 429
    code = "RESOURCE_EXHAUSTED"

    def __init__(
        self, description: str, *, code: str | None = None, data: dict[str, Any] | None = None, retry_after_seconds: int | None = None
    ):
        super().__init__(description, code=code, data=data)
        self.retry_after_seconds = retry_after_seconds  # sent as Retry-After


@dataclass
class Violations:
    """Collects field violations so a request reports all of its faults at once."""

    items: list[FieldViolation] = field(default_factory=list)

    def add(self, field_name: str, description: str, rule: str, data: dict[str, Any] | None = None) -> None:
        self.items.append(FieldViolation(field_name, description, rule, data))

    def raise_if_any(self) -> None:
        if self.items:
            raise ValidationFailed(list(self.items))
