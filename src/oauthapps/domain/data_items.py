"""Project data rules (a compatible subset of Wix Data v2): collection permissions, who may do
what to which item, and what a valid item looks like. Pure; the store and services use it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

import orjson

from .errors import FieldViolation, ValidationFailed
from .query import ALL_OPS, FieldSpec, QuerySpec, Sort

# Wix's permission roles, from most open to most closed.
ANYONE = "ANYONE"
SITE_MEMBER = "SITE_MEMBER"
SITE_MEMBER_AUTHOR = "SITE_MEMBER_AUTHOR"
ADMIN = "ADMIN"
POLICIES = (ANYONE, SITE_MEMBER, SITE_MEMBER_AUTHOR, ADMIN)
OPERATIONS = ("read", "insert", "update", "remove")
DEFAULT_PERMISSIONS = {"read": ANYONE, "insert": ADMIN, "update": ADMIN, "remove": ADMIN}

COLLECTION_ID_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")
ITEM_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
FIELD_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,127}$")
MAX_ITEM_BYTES = 500 * 1024  # Wix's limit for one item
SYSTEM_FIELDS = ("_id", "_createdDate", "_updatedDate", "_owner")

Access = Literal["all", "own", "none"]


def access(policy: str, role: str) -> Access:
    """What a caller with ``role`` (visitor, member, admin) may touch under ``policy``.
    'own' means only items the caller inserted (for insert: allowed, and the caller owns it)."""
    if role == "admin" or policy == ANYONE:
        return "all"
    if role == "member":
        if policy == SITE_MEMBER:
            return "all"
        if policy == SITE_MEMBER_AUTHOR:
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
    try:
        size = len(orjson.dumps(data))
    except (TypeError, orjson.JSONEncodeError) as exc:
        raise ValidationFailed([FieldViolation(field, "must be plain JSON", "TYPE")]) from exc
    if size > MAX_ITEM_BYTES:
        raise ValidationFailed([FieldViolation(field, f"is larger than {MAX_ITEM_BYTES} bytes", "MAX_SIZE", {"max": MAX_ITEM_BYTES})])
    return data


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
