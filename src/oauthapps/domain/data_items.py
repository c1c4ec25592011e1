"""Project data rules (a compatible subset of Wix Data v2): collection permissions, who may do
what to which item, and what a valid item looks like. Pure; the store and services use it."""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any, Literal

import orjson

from .errors import FieldViolation, ValidationFailed
from .oauth_app import iso
from .query import ALL_OPS, MAX_OFFSET, FieldSpec, Query, QuerySpec, Sort, parse_datetime, parse_query
from .query_limits import QUERY_LIMITS, check_count, check_filter
from .roles import CallerRole


class DataPermission(StrEnum):
    """Who may perform an operation on a collection's items (Wix's permission roles, as sent
    and stored), from most open to most closed."""

    ANYONE = "ANYONE"
    SITE_MEMBER = "SITE_MEMBER"
    SITE_MEMBER_AUTHOR = "SITE_MEMBER_AUTHOR"  # members, and only on the items they inserted
    ADMIN = "ADMIN"


POLICIES = tuple(DataPermission)
OPERATIONS = ("read", "insert", "update", "remove")
DEFAULT_PERMISSIONS: dict[str, str] = {
    "read": DataPermission.ANYONE,
    "insert": DataPermission.ADMIN,
    "update": DataPermission.ADMIN,
    "remove": DataPermission.ADMIN,
}

COLLECTION_ID_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")
ITEM_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
FIELD_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,127}$")
MAX_DISPLAY_NAME = 256
MAX_ITEM_BYTES = 500 * 1024  # Wix's limit for one item
SYSTEM_FIELDS = ("_id", "_createdDate", "_updatedDate", "_owner")

Access = Literal["all", "own", "none"]


def access(policy: str, role: CallerRole) -> Access:
    """What a caller with ``role`` may touch under ``policy`` (a DataPermission value).
    'own' means only items the caller inserted (for insert: allowed, and the caller owns it)."""
    if role == CallerRole.ADMIN or policy == DataPermission.ANYONE:
        return "all"
    if role == CallerRole.MEMBER:
        if policy == DataPermission.SITE_MEMBER:
            return "all"
        if policy == DataPermission.SITE_MEMBER_AUTHOR:
            return "own"
    return "none"


def validate_collection_id(value: Any, field: str = "dataCollectionId") -> str:
    if not isinstance(value, str) or not COLLECTION_ID_RE.match(value):
        raise ValidationFailed([FieldViolation(field, "must be 1-64 letters, digits, _ or -, starting with a letter", "FORMAT")])
    return value


def validate_permissions(value: Any, field: str = "collection.permissions") -> dict[str, str]:
    if value is None:
        return dict(DEFAULT_PERMISSIONS)
    if not isinstance(value, dict):
        raise ValidationFailed([FieldViolation(field, "must be an object of read/insert/update/remove", "TYPE")])
    violations = [FieldViolation(f"{field}.{k}", "is not an operation", "UNKNOWN_FIELD") for k in sorted(set(value) - set(OPERATIONS))]
    out = dict(DEFAULT_PERMISSIONS)
    for op in OPERATIONS:
        if op in value:
            if value[op] not in POLICIES:
                violations.append(FieldViolation(f"{field}.{op}", f"must be one of {', '.join(POLICIES)}", "ENUM"))
            else:
                out[op] = value[op]
    if violations:
        raise ValidationFailed(violations)
    return out


def validate_display_name(value: Any, field: str = "collection.displayName") -> str | None:
    """A collection's name for people: optional (None or blank: the id is shown), one line of
    printable text."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        raise ValidationFailed([FieldViolation(field, "must be a string", "TYPE")])
    if len(value) > MAX_DISPLAY_NAME:
        raise ValidationFailed(
            [FieldViolation(field, f"must be at most {MAX_DISPLAY_NAME} characters", "MAX_LENGTH", {"max": MAX_DISPLAY_NAME})]
        )
    if not value.isprintable():
        raise ValidationFailed([FieldViolation(field, "must not contain control characters or line breaks", "FORMAT")])
    return value.strip()


def validate_item_id(value: Any, field: str) -> str:
    if not isinstance(value, str) or not ITEM_ID_RE.match(value):
        raise ValidationFailed([FieldViolation(field, "must be 1-64 letters, digits, _ or -", "FORMAT")])
    return value


def validate_item_data(value: Any, field: str = "dataItem.data") -> dict[str, Any]:
    """User fields only (system fields are ours to set); size-limited; names well-formed."""
    if value is None:
        value = {}
    if not isinstance(value, dict):
        raise ValidationFailed([FieldViolation(field, "must be an object", "TYPE")])
    data = {k: v for k, v in value.items() if k not in SYSTEM_FIELDS}
    bad = [k for k in data if not isinstance(k, str) or not FIELD_NAME_RE.match(k)]
    if bad:
        raise ValidationFailed(
            [FieldViolation(f"{field}.{k}", "field names are letters, digits and _, starting with a letter", "FORMAT") for k in bad[:10]]
        )
    for key, item in data.items():
        if isinstance(item, dict) and set(item) == {"$date"}:
            # Canonical form, so stored dates compare (as text) in time order in queries.
            data[key] = {"$date": iso(parse_datetime(item["$date"], f"{field}.{key}"))}
    try:
        encoded = orjson.dumps(data)
    except (TypeError, orjson.JSONEncodeError) as exc:
        raise ValidationFailed([FieldViolation(field, "must be plain JSON", "TYPE")]) from exc
    if len(encoded) > MAX_ITEM_BYTES:
        raise ValidationFailed([FieldViolation(field, f"is larger than {MAX_ITEM_BYTES} bytes", "MAX_SIZE", {"max": MAX_ITEM_BYTES})])
    # JSON writes a NUL only as \u0000, so most items are cleared without a walk.
    nul_at = _first_nul(data, field) if b"\\u0000" in encoded else None
    if nul_at is not None:
        raise ValidationFailed([FieldViolation(nul_at, "must not contain NUL characters", "FORMAT")])
    return data


def _first_nul(value: Any, field: str) -> str | None:
    """Where the first text (a value or a key) with a NUL character is. PostgreSQL stores no NUL
    in JSON, so an item is refused with one on both engines alike. Walked without recursion."""
    stack: list[tuple[str, Any]] = [(field, value)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, str):
            if "\x00" in node:
                return path
        elif isinstance(node, dict):
            for key, child in node.items():
                if "\x00" in key:
                    return f"{path}.{key.replace(chr(0), '?')}"
                stack.append((f"{path}.{key}", child))
        elif isinstance(node, list):
            stack.extend((f"{path}[{index}]", child) for index, child in enumerate(node))
    return None


ITEM_QUERY_SPEC = QuerySpec(
    fields={
        "_id": FieldSpec("string", frozenset(ALL_OPS), sortable=True),
        "_owner": FieldSpec("string", frozenset({"$eq", "$ne", "$in", "$nin", "$exists"}), sortable=True),
        "_createdDate": FieldSpec("datetime", frozenset({"$eq", "$ne", "$gt", "$gte", "$lt", "$lte"}), sortable=True),
        "_updatedDate": FieldSpec("datetime", frozenset({"$eq", "$ne", "$gt", "$gte", "$lt", "$lte"}), sortable=True),
    },
    aliases={"id": "_id", "createdDate": "_createdDate", "updatedDate": "_updatedDate"},
    default_sort=(Sort("_createdDate", descending=True),),
    tiebreaker="_id",
    dynamic=FieldSpec("any", frozenset(ALL_OPS), sortable=True),
)


@dataclass(frozen=True)
class Collection:
    project_id: str
    id: str
    permissions: dict[str, str]
    display_name: str | None = None

    @property
    def title(self) -> str:
        return self.display_name or self.id


# --- queries: projection, cursor paging, count -------------------------------------------------
#
# Wix Data v2 pages a query either with ``paging {limit, offset}`` or with ``cursorPaging {limit,
# cursor}``. The first cursor request carries the filter and sort; the answer's
# ``pagingMetadata.cursors.next`` / ``.prev`` then stand for the same query at another offset, and
# later requests send only the cursor (Wix: "following requests use the cursor token and not
# filter or sort"). Our cursor is base64url JSON of {collection, filter, sort, offset, limit}. It
# carries nothing a caller could not send as a plain query, and it is parsed and checked again
# (collection, shape, and the whole query through parse_query) every time it is used; the
# caller's permissions are applied per request, never taken from the cursor.

CURSOR_VERSION = 1
MAX_CURSOR_CHARS = 16 * 1024


@dataclass(frozen=True)
class ItemQuery:
    query: Query
    fields: tuple[str, ...]  # projection; () means every field
    cursor_mode: bool
    # The query as sent (or as the cursor carried it), for the next/prev cursors.
    raw_filter: Any = None
    raw_sort: Any = None


def _violation(path: str, description: str, rule: str) -> ValidationFailed:
    return ValidationFailed([FieldViolation(path, description, rule)])


def parse_fields(value: Any, path: str) -> tuple[str, ...]:
    """A projection: a list of field names (``_id`` always comes back). Names that are not
    fields of an item are ignored, as Wix Data does."""
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    check_count(value, path, QUERY_LIMITS.max_fields, "fields", "MAX_FIELDS")
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _violation(path, "must be a list of field names", "TYPE")
    return tuple(dict.fromkeys(value))


def project(data: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    if not fields:
        return data
    return {k: v for k, v in data.items() if k == "_id" or k in fields}


def encode_cursor(collection_id: str, raw_filter: Any, raw_sort: Any, offset: int, limit: int) -> str:
    payload = {"v": CURSOR_VERSION, "c": collection_id, "f": raw_filter, "s": raw_sort, "o": offset, "l": limit}
    return base64.urlsafe_b64encode(orjson.dumps(payload)).rstrip(b"=").decode("ascii")


def _decode_cursor(cursor: Any, collection_id: str, path: str) -> dict[str, Any]:
    invalid = _violation(path, "is not a cursor this query returned", "INVALID_CURSOR")
    if not isinstance(cursor, str) or len(cursor) > MAX_CURSOR_CHARS:
        raise invalid
    try:
        payload = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error, orjson.JSONDecodeError) as exc:
        raise invalid from exc
    if not isinstance(payload, dict) or set(payload) != {"v", "c", "f", "s", "o", "l"} or payload["v"] != CURSOR_VERSION:
        raise invalid
    offset, limit = payload["o"], payload["l"]
    if any(isinstance(n, bool) or not isinstance(n, int) for n in (offset, limit)) or not 0 <= offset <= MAX_OFFSET or limit < 1:
        raise invalid
    if payload["c"] != collection_id:
        raise _violation(path, f"belongs to another collection, not {collection_id}", "INVALID_CURSOR")
    return payload


def normalize_filter(raw: Any) -> Any:
    """The filter tree as ``@wix/data`` builds it, in the form parse_query reads: its ``.not(q)``
    sends ``{"$not": [tree]}`` (a list), which becomes ``{"$not": tree}`` (several trees are
    and-ed). Only the logical structure is rewritten; field conditions pass through as sent.
    Recursive: only for a filter check_filter let through."""
    if not isinstance(raw, dict):
        return raw
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key in ("$and", "$or") and isinstance(value, list):
            out[key] = [normalize_filter(v) for v in value]
        elif key == "$not":
            if isinstance(value, list) and value:
                parts = [normalize_filter(v) for v in value]
                out[key] = parts[0] if len(parts) == 1 else {"$and": parts}
            else:
                out[key] = normalize_filter(value)
        else:
            out[key] = value
    return out


def _blank(value: Any) -> bool:
    return value is None or value in ({}, [])


def parse_item_query(raw: Any, collection_id: str, spec: QuerySpec | None = None, path: str = "query") -> ItemQuery:
    """``{filter, sort, paging | cursorPaging, fields}`` for one collection's items."""
    spec = spec or ITEM_QUERY_SPEC
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise _violation(path, "must be an object", "TYPE")
    fields = parse_fields(raw.get("fields"), f"{path}.fields")
    if raw.get("filter") is not None:
        check_filter(raw["filter"], f"{path}.filter")
        raw = {**raw, "filter": normalize_filter(raw["filter"])}
    cursor_paging = raw.get("cursorPaging")
    if cursor_paging is None:
        return ItemQuery(parse_query(raw, spec, path), fields, False, raw.get("filter"), raw.get("sort"))
    here = f"{path}.cursorPaging"
    if raw.get("paging") is not None:
        raise _violation(f"{path}.paging", "cannot be sent together with cursorPaging", "CONFLICT")
    if not isinstance(cursor_paging, dict):
        raise _violation(here, "must be {limit, cursor}", "TYPE")
    extra = set(cursor_paging) - {"limit", "cursor"}
    if extra:
        raise _violation(f"{here}.{min(extra)}", "is not a field of cursorPaging", "UNKNOWN_FIELD")
    limit = cursor_paging.get("limit")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= spec.max_limit):
        raise _violation(f"{here}.limit", f"must be a whole number from 1 to {spec.max_limit}", "OUT_OF_RANGE")
    cursor = cursor_paging.get("cursor")
    rest = {k: v for k, v in raw.items() if k not in ("cursorPaging", "fields", "fieldsets")}
    if cursor is None or cursor == "":
        raw_filter, raw_sort, offset = raw.get("filter"), raw.get("sort"), 0
        limit = spec.default_limit if limit is None else limit
    else:
        sent = sorted(k for k, v in rest.items() if not _blank(v))
        if sent:
            raise _violation(f"{path}.{sent[0]}", "cannot be sent with a cursor: the cursor carries the query", "CONFLICT")
        payload = _decode_cursor(cursor, collection_id, f"{here}.cursor")
        raw_filter, raw_sort, offset = payload["f"], payload["s"], payload["o"]
        limit = payload["l"] if limit is None else limit
        rest = {}
    parsed = parse_query({**rest, "filter": raw_filter, "sort": raw_sort, "paging": {"limit": limit, "offset": offset}}, spec, path)
    return ItemQuery(parsed, fields, True, raw_filter, raw_sort)


def next_cursors(item_query: ItemQuery, collection_id: str, returned: int, total: int) -> dict[str, str]:
    """``pagingMetadata.cursors`` for a cursor-paged answer: ``next`` while there are more items,
    ``prev`` while this page does not start at the first item."""
    q = item_query.query
    cursors: dict[str, str] = {}
    if q.offset + returned < total:
        cursors["next"] = encode_cursor(collection_id, item_query.raw_filter, item_query.raw_sort, q.offset + q.limit, q.limit)
    if q.offset > 0:
        cursors["prev"] = encode_cursor(collection_id, item_query.raw_filter, item_query.raw_sort, max(q.offset - q.limit, 0), q.limit)
    return cursors


def parse_count_filter(raw_filter: Any, spec: QuerySpec | None = None) -> Query:
    """The ``filter`` of a count request (violations are named ``filter...``)."""
    if raw_filter is not None:
        check_filter(raw_filter, "filter")
    try:
        return parse_query({"filter": normalize_filter(raw_filter), "paging": {"limit": 0}}, spec or ITEM_QUERY_SPEC)
    except ValidationFailed as err:
        raise ValidationFailed([replace(v, field=v.field.removeprefix("query.")) for v in err.violations]) from err
