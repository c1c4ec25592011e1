"""A query language shared by every query endpoint (OAuth apps, data items).

It parses Wix-style ``{filter, sort, paging}`` into a small tree and checks it against the fields
an endpoint exposes. Translating the tree to SQL is the store's job (store/query_sql.py), so the
filtering always happens in the database. Its size is checked first (query_limits.py), so
nothing here or in the SQL ever sees a filter too big or too deep to handle.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from .errors import FieldViolation, ValidationFailed
from .query_limits import QUERY_LIMITS, check_count, check_filter

Kind = Literal["string", "datetime", "number", "boolean", "any"]
DYNAMIC_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,127}$")

COMPARISON_OPS = frozenset({"$eq", "$ne", "$gt", "$gte", "$lt", "$lte"})
TEXT_OPS = frozenset({"$startsWith", "$endsWith", "$contains"})
# On an array field: it holds at least one (all) of the values; on a single value, it is one (all) of them.
ARRAY_OPS = frozenset({"$hasSome", "$hasAll"})
ALL_OPS = COMPARISON_OPS | TEXT_OPS | ARRAY_OPS | {"$in", "$nin", "$exists"}
LOGICAL_OPS = frozenset({"$and", "$or", "$not"})
MAX_IN_VALUES = QUERY_LIMITS.max_in_values_per_condition
MAX_DEPTH = QUERY_LIMITS.max_depth
MAX_OFFSET = 2**63 - 1  # the largest OFFSET SQLite and PostgreSQL accept (signed 64-bit)


@dataclass(frozen=True)
class FieldSpec:
    kind: Kind
    operators: frozenset[str]
    sortable: bool = False


@dataclass(frozen=True)
class QuerySpec:
    fields: dict[str, FieldSpec]
    aliases: dict[str, str] = field(default_factory=dict)
    default_sort: tuple[Sort, ...] = ()
    tiebreaker: str | None = None
    default_limit: int = 50
    max_limit: int = 100
    # Schemaless documents (data items): any other well-formed field name gets this spec.
    dynamic: FieldSpec | None = None

    def field_spec(self, name: str) -> FieldSpec:
        found = self.fields.get(name)
        if found is not None:
            return found
        assert self.dynamic is not None  # _field_name admits dynamic names only when set
        return self.dynamic


@dataclass(frozen=True)
class Condition:
    field: str
    op: str
    value: Any


@dataclass(frozen=True)
class And:
    parts: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    parts: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    part: Node


Node = Condition | And | Or | Not


@dataclass(frozen=True)
class Sort:
    field: str
    descending: bool = False


@dataclass(frozen=True)
class Query:
    filter: Node | None
    sort: tuple[Sort, ...]
    limit: int
    offset: int


def _fail(path: str, description: str, rule: str) -> ValidationFailed:
    return ValidationFailed([FieldViolation(path, description, rule)])


def parse_datetime(value: Any, path: str) -> datetime:
    if isinstance(value, dict) and set(value) == {"$date"}:
        value = value["$date"]
    if not isinstance(value, str):
        raise _fail(path, "must be an ISO-8601 date-time string", "TYPE")
    text = value[:-1] + "+00:00" if value.endswith("Z") else value
    try:
        parsed = datetime.fromisoformat(text)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        # Converting e.g. 0001-01-01T00:00+01:00 to UTC leaves the representable range.
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise _fail(path, "must be an ISO-8601 date-time string", "FORMAT") from exc


def _no_nul(value: str, path: str) -> str:
    """No stored text holds NUL (PostgreSQL refuses it), and sending one to PostgreSQL is an error."""
    if "\x00" in value:
        raise _fail(path, "must not contain NUL characters", "NO_NUL_CHARACTER")
    return value


def _scalar(spec: FieldSpec, value: Any, path: str) -> Any:
    if spec.kind == "datetime":
        return parse_datetime(value, path)
    if spec.kind == "string" and isinstance(value, str):
        return _no_nul(value, path)
    if spec.kind == "number" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    if spec.kind == "boolean" and isinstance(value, bool):
        return value
    if spec.kind == "any":
        if isinstance(value, str):
            return _no_nul(value, path)
        if value is None or isinstance(value, (int, float, bool)):
            return value
        if isinstance(value, dict) and set(value) == {"$date"}:
            return parse_datetime(value, path)
        raise _fail(path, 'must be a string, number, boolean, null or {"$date": ISO-8601}', "TYPE")
    raise _fail(path, f"must be a {spec.kind}", "TYPE")


def _element(value: Any, path: str) -> str | int | float | bool:
    """A value an array element is compared with: a string, number or boolean."""
    if isinstance(value, str):
        return _no_nul(value, path)
    if isinstance(value, (int, float, bool)):
        return value
    raise _fail(path, "must be a string, number or boolean", "TYPE")


def _condition(spec: QuerySpec, name: str, op: str, value: Any, path: str) -> Condition:
    fspec = spec.field_spec(name)
    if op not in ALL_OPS:
        raise _fail(path, f'"{op}" is not a filter operator', "UNKNOWN_OPERATOR")
    if op not in fspec.operators:
        raise _fail(path, f'"{op}" is not supported on "{name}"', "UNSUPPORTED_OPERATOR")
    if op in ("$in", "$nin"):
        if not isinstance(value, list) or len(value) > MAX_IN_VALUES:
            raise _fail(path, f"must be a list of at most {MAX_IN_VALUES} values", "TYPE")
        return Condition(name, op, tuple(_scalar(fspec, item, f"{path}[{i}]") for i, item in enumerate(value)))
    if op in ARRAY_OPS:
        if not isinstance(value, list) or not 0 < len(value) <= MAX_IN_VALUES:
            raise _fail(path, f"must be a list of 1 to {MAX_IN_VALUES} values", "TYPE")
        return Condition(name, op, tuple(_element(item, f"{path}[{i}]") for i, item in enumerate(value)))
    if op == "$exists":
        if not isinstance(value, bool):
            raise _fail(path, "must be true or false", "TYPE")
        return Condition(name, op, value)
    if op in TEXT_OPS:
        if not isinstance(value, str):
            raise _fail(path, "must be a string", "TYPE")
        return Condition(name, op, _no_nul(value, path))
    if value is None and op not in ("$eq", "$ne"):
        raise _fail(path, "must not be null (nothing is greater or less than null)", "TYPE")
    return Condition(name, op, _scalar(fspec, value, path))


def field_name(spec: QuerySpec, raw: Any, path: str) -> str:
    """A field name as sent (an alias or a dynamic name), checked against the spec."""
    if not isinstance(raw, str):
        raise _fail(path, "must be a field name", "TYPE")
    return _field_name(spec, raw, path)


def _field_name(spec: QuerySpec, raw: str, path: str) -> str:
    name = spec.aliases.get(raw, raw)
    if name not in spec.fields and not (spec.dynamic is not None and DYNAMIC_NAME_RE.match(name)):
        raise _fail(path, f'"{raw}" is not a field that can be queried', "UNKNOWN_FIELD")
    return name


def _parse_filter(spec: QuerySpec, raw: Any, path: str) -> Node | None:
    """Recursive, but only ever given a filter check_filter let through (at most MAX_DEPTH deep)."""
    if not isinstance(raw, dict):
        raise _fail(path, "must be an object", "TYPE")
    parts: list[Node] = []
    for key, value in raw.items():
        here = f"{path}.{key}"
        if key in ("$and", "$or"):
            if not isinstance(value, list) or not value:
                raise _fail(here, "must be a non-empty list of filters", "TYPE")
            children = [_parse_filter(spec, item, f"{here}[{i}]") for i, item in enumerate(value)]
            kept = tuple(c for c in children if c is not None)
            if kept:
                parts.append(And(kept) if key == "$and" else Or(kept))
        elif key == "$not":
            child = _parse_filter(spec, value, here)
            if child is not None:
                parts.append(Not(child))
        elif key.startswith("$"):
            raise _fail(here, f'"{key}" is not a logical operator', "UNKNOWN_OPERATOR")
        else:
            name = _field_name(spec, key, here)
            if isinstance(value, dict) and value and all(k.startswith("$") for k in value) and set(value) != {"$date"}:
                for op, operand in value.items():
                    parts.append(_condition(spec, name, op, operand, f"{here}.{op}"))
            else:
                parts.append(_condition(spec, name, "$eq", value, here))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else And(tuple(parts))


def _parse_sort(spec: QuerySpec, raw: Any, path: str) -> tuple[Sort, ...]:
    if raw is None:
        return ()
    if isinstance(raw, dict):
        raw = [raw]
    if not isinstance(raw, list):
        raise _fail(path, "must be a list of {fieldName, order}", "TYPE")
    check_count(raw, path, QUERY_LIMITS.max_sort_keys, "sort keys", "MAX_SORT_KEYS")
    out: list[Sort] = []
    for i, item in enumerate(raw):
        here = f"{path}[{i}]"
        if not isinstance(item, dict) or not isinstance(item.get("fieldName"), str):
            raise _fail(here, "must be {fieldName, order}", "TYPE")
        unknown = set(item) - {"fieldName", "order"}
        if unknown:
            raise _fail(f"{here}.{min(unknown)}", "is not a field of a sort", "UNKNOWN_FIELD")
        name = _field_name(spec, item["fieldName"], f"{here}.fieldName")
        if not spec.field_spec(name).sortable:
            raise _fail(f"{here}.fieldName", f'"{name}" cannot be sorted on', "UNSUPPORTED_SORT")
        order = item.get("order", "ASC")
        if not isinstance(order, str) or order.upper() not in ("ASC", "DESC"):
            raise _fail(f"{here}.order", "must be ASC or DESC", "ENUM")
        out.append(Sort(name, order.upper() == "DESC"))
    return tuple(out)


def _int_in(raw: Any, path: str, low: int, high: int | None) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise _fail(path, "must be a whole number", "TYPE")
    if raw < low or (high is not None and raw > high):
        limit = f"from {low} to {high}" if high is not None else f"at least {low}"
        raise _fail(path, f"must be {limit}", "OUT_OF_RANGE")
    return raw


def parse_query(raw: Any, spec: QuerySpec, path: str = "query") -> Query:
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise _fail(path, "must be an object", "TYPE")
    unknown = set(raw) - {"filter", "sort", "paging", "cursorPaging", "fields", "fieldsets"}
    if unknown:
        raise _fail(f"{path}.{min(unknown)}", "is not a part of a query", "UNKNOWN_FIELD")
    if raw.get("cursorPaging") is not None:
        raise _fail(f"{path}.cursorPaging", "is not supported here; use paging {limit, offset}", "UNSUPPORTED")
    filt = raw.get("filter")
    if filt is not None:
        check_filter(filt, f"{path}.filter")
    node = None if filt is None else _parse_filter(spec, filt, f"{path}.filter")
    sort = _parse_sort(spec, raw.get("sort"), f"{path}.sort") or spec.default_sort
    if spec.tiebreaker and all(s.field != spec.tiebreaker for s in sort):
        descending = sort[-1].descending if sort else False
        sort = (*sort, Sort(spec.tiebreaker, descending))
    paging = raw.get("paging")
    if paging is None:
        paging = {}
    if not isinstance(paging, dict):
        raise _fail(f"{path}.paging", "must be {limit, offset}", "TYPE")
    extra = set(paging) - {"limit", "offset"}
    if extra:
        raise _fail(f"{path}.paging.{min(extra)}", "is not a field of paging", "UNKNOWN_FIELD")
    limit = paging.get("limit")
    limit = spec.default_limit if limit is None else _int_in(limit, f"{path}.paging.limit", 0, spec.max_limit)
    offset = paging.get("offset")
    offset = 0 if offset is None else _int_in(offset, f"{path}.paging.offset", 0, MAX_OFFSET)
    return Query(filter=node, sort=sort, limit=limit, offset=offset)
