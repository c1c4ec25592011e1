"""Bulk item writes (``bulkInsert``, ``bulkUpdate``, ``bulkSave``, ``bulkRemove``, ``bulkPatch``):
the size bound and the per-item outcome. Each item succeeds or fails by itself, as in Wix Data,
where one bad item fails only itself and the answer lists every item by its index in the request."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from .errors import DomainError, FieldViolation, ValidationFailed

MAX_BULK_ITEMS = 1000  # Wix Data's limit for one bulk request


class BulkAction(StrEnum):
    """What was attempted for an item (``BulkActionType`` in ``@wix/data``)."""

    INSERT = "INSERT"
    UPDATE = "UPDATE"
    DELETE = "DELETE"
    PATCH = "PATCH"


@dataclass(frozen=True)
class BulkOutcome:
    """One item of a bulk request: its index there, its id when known, and either what was
    written (``item``) or why not (``error``)."""

    index: int
    action: BulkAction
    item_id: str | None
    item: Any = None
    error: DomainError | None = None


def bulk_list(value: Any, path: str) -> list[Any]:
    """The request's list of items (or ids, or patches): non-empty, at most MAX_BULK_ITEMS."""
    if not isinstance(value, list) or not value:
        raise ValidationFailed([FieldViolation(path, "must be a non-empty list", "REQUIRED")])
    if len(value) > MAX_BULK_ITEMS:
        raise ValidationFailed([FieldViolation(path, f"has more than {MAX_BULK_ITEMS} entries", "MAX_SIZE", {"max": MAX_BULK_ITEMS})])
    return value


def error_to_wire(error: DomainError) -> dict[str, Any]:
    """An item's ``itemMetadata.error``: ``{code, description, data}``; a validation error carries
    its ``fieldViolations`` in ``data`` (where ``@wix/data`` reads them for its BulkError)."""
    data = dict(error.data)
    if isinstance(error, ValidationFailed):
        data["fieldViolations"] = [v.to_wire() for v in error.violations]
    return {"code": error.code, "description": error.description, "data": data}
