"""Reading the audit trail: the action names, the filters a reader may set, their bounds, and the
cursor that pages newest first. Pure rules; the query is store/oauth_app_audit.py.

Action names are the event type names of the webhooks (``oauth_app.created`` …), so the audit
trail and the event outbox can be read together. Pages are keyset pages on ``(at, id)``: a
cursor holds the filters and the last entry shown, so entries written while a reader pages
never shift, repeat or hide the entries of later pages (offsets would)."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import orjson

from .errors import FieldViolation, ValidationFailed
from .query import parse_datetime


class AuditAction(StrEnum):
    """What happened; the names of the matching webhook event types."""

    OAUTH_APP_CREATED = "oauth_app.created"
    OAUTH_APP_UPDATED = "oauth_app.updated"
    OAUTH_APP_DELETED = "oauth_app.deleted"
    OAUTH_APP_SECRET_GENERATED = "oauth_app.secret_generated"
    OAUTH_APP_SECRET_ROTATED = "oauth_app.secret_rotated"


DEFAULT_LIMIT = 50
MAX_LIMIT = 100
MAX_APP_ID_CHARS = 64  # oauth_app_audit.oauth_app_id
MAX_ACTOR_ID_CHARS = 128  # oauth_app_audit.actor_id
MAX_TIME_CHARS = 40  # "2024-05-01T09:30:00.000000+00:00" is 32
MAX_CURSOR_CHARS = 1024
CURSOR_VERSION = 1

# The request's names (query parameters of the REST API; the console maps its fields to them).
APP, ACTOR_TYPE, ACTOR_ID, ACTION, FROM, TO, LIMIT, CURSOR = (
    "oAuthAppId",
    "actorType",
    "actorId",
    "action",
    "from",
    "to",
    "limit",
    "cursor",
)
FILTER_NAMES = (APP, ACTOR_TYPE, ACTOR_ID, ACTION, FROM, TO)
NAMES = (*FILTER_NAMES, LIMIT, CURSOR)


@dataclass(frozen=True)
class AuditFilter:
    """Every set field narrows the read; ``since`` is inclusive, ``until`` exclusive."""

    oauth_app_id: str | None = None
    actor_type: str | None = None
    actor_id: str | None = None
    action: AuditAction | None = None
    since: datetime | None = None
    until: datetime | None = None

    def to_wire(self) -> dict[str, str]:
        """The filter as request values (what a cursor carries and a next-page link repeats)."""
        out = {APP: self.oauth_app_id, ACTOR_TYPE: self.actor_type, ACTOR_ID: self.actor_id, ACTION: self.action}
        times = {FROM: self.since, TO: self.until}
        return {
            **{k: str(v) for k, v in out.items() if v is not None},
            **{k: v.isoformat(timespec="microseconds").replace("+00:00", "Z") for k, v in times.items() if v is not None},
        }


@dataclass(frozen=True)
class AuditEntry:
    id: int
    project_id: str
    oauth_app_id: str
    action: AuditAction
    actor_type: str
    actor_id: str
    fields: list[str]
    request_id: str | None
    at: datetime


def _wire_time(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def to_wire(entry: AuditEntry) -> dict[str, Any]:
    """An entry in the API's answers (and ``oauthapps audit --json``): never a secret, only
    the names of the fields that changed."""
    out: dict[str, Any] = {
        "id": str(entry.id),
        "oAuthAppId": entry.oauth_app_id,
        "action": entry.action.value,
        "actorType": entry.actor_type,
        "actorId": entry.actor_id,
        "fields": list(entry.fields),
        "createdDate": _wire_time(entry.at),
    }
    if entry.request_id is not None:
        out["requestId"] = entry.request_id
    return out


@dataclass(frozen=True)
class Position:
    """The last entry of a page: the next page starts after it, in (at, id) descending order."""

    at: datetime
    id: int


@dataclass(frozen=True)
class AuditRead:
    filter: AuditFilter
    limit: int
    after: Position | None


def _violation(field: str, description: str, rule: str, data: dict[str, Any] | None = None) -> ValidationFailed:
    return ValidationFailed([FieldViolation(field, description, rule, data)])


def _text(raw: Mapping[str, str | None], name: str, max_chars: int) -> str | None:
    value = raw.get(name)
    if value is None or value == "":
        return None
    if len(value) > max_chars:
        raise _violation(name, f"must be at most {max_chars} characters", "MAX_LENGTH", {"max": max_chars})
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        raise _violation(name, "must not contain control characters", "FORMAT")
    return value


def _time(raw: Mapping[str, str | None], name: str) -> datetime | None:
    value = _text(raw, name, MAX_TIME_CHARS)
    return None if value is None else parse_datetime(value, name)


def parse_filter(raw: Mapping[str, str | None], actor_types: Collection[str]) -> AuditFilter:
    """The filter from request values; an empty value is no filter. ``actor_types`` are the
    actor kinds (services/actor.py) a filter may name."""
    actor_type = _text(raw, ACTOR_TYPE, 32)
    if actor_type is not None and actor_type not in actor_types:
        raise _violation(ACTOR_TYPE, "is not an actor type", "ENUM", {"allowed": sorted(actor_types)})
    actor_id = _text(raw, ACTOR_ID, MAX_ACTOR_ID_CHARS)
    if actor_id is not None and actor_type is None:
        raise _violation(ACTOR_ID, f"needs {ACTOR_TYPE}: an actor is named by its type and id", "REQUIRED", {"required": ACTOR_TYPE})
    action = _text(raw, ACTION, 64)
    if action is not None and action not in set(AuditAction):
        raise _violation(ACTION, "is not an audit action", "ENUM", {"allowed": [a.value for a in AuditAction]})
    since, until = _time(raw, FROM), _time(raw, TO)
    if since is not None and until is not None and since >= until:
        raise _violation(TO, f"must be later than {FROM}", "OUT_OF_RANGE")
    return AuditFilter(
        oauth_app_id=_text(raw, APP, MAX_APP_ID_CHARS),
        actor_type=actor_type,
        actor_id=actor_id,
        action=AuditAction(action) if action is not None else None,
        since=since,
        until=until,
    )


def parse_limit(raw: str | None) -> int:
    if raw is None or raw == "":
        return DEFAULT_LIMIT
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 3 and 1 <= int(raw) <= MAX_LIMIT):
        raise _violation(LIMIT, f"must be a whole number from 1 to {MAX_LIMIT}", "OUT_OF_RANGE", {"min": 1, "max": MAX_LIMIT})
    return int(raw)


def _micros(at: datetime) -> int:
    delta = at - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def encode_cursor(filter_: AuditFilter, last: Position) -> str:
    payload = {"v": CURSOR_VERSION, "f": filter_.to_wire(), "at": _micros(last.at), "id": last.id}
    return base64.urlsafe_b64encode(orjson.dumps(payload)).rstrip(b"=").decode()


def decode_cursor(cursor: str, actor_types: Collection[str]) -> tuple[AuditFilter, Position]:
    """The filter and position a cursor carries, checked again as if they were sent anew."""
    invalid = _violation(CURSOR, "is not a cursor this API returned", "INVALID_CURSOR")
    if len(cursor) > MAX_CURSOR_CHARS or not cursor.isascii():
        raise invalid
    try:
        payload = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error, orjson.JSONDecodeError):
        raise invalid from None
    if not isinstance(payload, dict) or set(payload) != {"v", "f", "at", "id"} or payload["v"] != CURSOR_VERSION:
        raise invalid
    filters, at, entry_id = payload["f"], payload["at"], payload["id"]
    numbers_ok = all(type(n) is int and 0 <= n < 2**62 for n in (at, entry_id))
    if not numbers_ok or not isinstance(filters, dict) or not set(filters) <= set(FILTER_NAMES):
        raise invalid
    if not all(isinstance(v, str) for v in filters.values()):
        raise invalid
    try:
        parsed = parse_filter(filters, actor_types)
        position = Position(datetime.fromtimestamp(at // 1_000_000, tz=UTC).replace(microsecond=at % 1_000_000), entry_id)
    except (ValidationFailed, ValueError, OverflowError, OSError):
        raise invalid from None
    return parsed, position


def parse_read(raw: Mapping[str, str | None], actor_types: Collection[str]) -> AuditRead:
    """A read from request values: the filters (first page) or a cursor (later pages; it carries
    the filters, so sending one beside it is a CONFLICT), and the page size (either way)."""
    limit = parse_limit(raw.get(LIMIT))
    cursor = raw.get(CURSOR)
    if cursor is None or cursor == "":
        return AuditRead(parse_filter(raw, actor_types), limit, None)
    sent = [name for name in FILTER_NAMES if raw.get(name) not in (None, "")]
    if sent:
        raise _violation(sent[0], f"cannot be sent with {CURSOR}: the cursor carries the filters", "CONFLICT")
    filter_, position = decode_cursor(cursor, actor_types)
    return AuditRead(filter_, limit, position)
