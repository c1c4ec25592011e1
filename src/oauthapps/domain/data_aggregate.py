"""Distinct values and aggregations of data items (``@wix/data`` ``query().distinct(field)`` and
``aggregate().group().count().sum()...run()``), parsed and checked before any SQL is built: every
field name, operator and result name is validated here, and their number is bounded."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from .errors import FieldViolation, ValidationFailed
from .query import COMPARISON_OPS, FieldSpec, Node, QuerySpec, Sort, field_name, parse_query
from .query_limits import check_filter

MAX_GROUP_FIELDS = 10
MAX_OPERATIONS = 20
# What a final filter may ask of a group value or a result (no text matching on numbers).
RESULT_OPS = COMPARISON_OPS | {"$in", "$nin", "$exists"}


class AggregateFunction(StrEnum):
    """An operation of Wix Data's ``aggregation.operations`` (the key it is sent under)."""

    AVERAGE = "average"
    MIN = "min"
    MAX = "max"
    SUM = "sum"
    COUNT = "itemCount"


@dataclass(frozen=True)
class Operation:
    result_name: str
    function: AggregateFunction
    field: str | None  # None for a count


@dataclass(frozen=True)
class Aggregation:
    initial_filter: Node | None
    group_by: tuple[str, ...]
    operations: tuple[Operation, ...]
    final_filter: Node | None
    sort: tuple[Sort, ...]
    limit: int
    offset: int


@dataclass(frozen=True)
class Distinct:
    field: str
    filter: Node | None
    descending: bool
    limit: int
    offset: int


def _fail(path: str, description: str, rule: str, data: dict[str, Any] | None = None) -> ValidationFailed:
    return ValidationFailed([FieldViolation(path, description, rule, data)])


def _parse(raw: dict[str, Any], spec: QuerySpec, filter_key: str = "filter") -> Any:
    """parse_query on a request's own filter (sent as ``filter_key``), ``sort`` and ``paging``,
    with the violations named as the request names them."""
    if raw.get("filter") is not None:
        check_filter(raw["filter"], filter_key)
    try:
        return parse_query(raw, spec, "request")
    except ValidationFailed as err:
        renamed = []
        for v in err.violations:
            name = v.field.removeprefix("request.")
            if name == "filter" or name.startswith("filter."):
                name = filter_key + name.removeprefix("filter")
            renamed.append(replace(v, field=name))
        raise ValidationFailed(renamed) from err


def _paging(body: dict[str, Any]) -> Any:
    """Offset paging; a ``cursorPaging`` without a cursor is the same as its limit."""
    cursor_paging = body.get("cursorPaging")
    if cursor_paging is None:
        return body.get("paging")
    if not isinstance(cursor_paging, dict) or cursor_paging.get("cursor"):
        raise _fail("cursorPaging", "is not supported here: page with paging {limit, offset}", "UNSUPPORTED")
    return {"limit": cursor_paging.get("limit")}


def parse_distinct(body: dict[str, Any], spec: QuerySpec) -> Distinct:
    """``{fieldName, filter, order, paging}`` of a query-distinct-values request."""
    name = field_name(spec, body.get("fieldName"), "fieldName")
    order = body.get("order") or "ASC"
    if not isinstance(order, str) or order.upper() not in ("ASC", "DESC"):
        raise _fail("order", "must be ASC or DESC", "ENUM")
    parsed = _parse({"filter": body.get("filter"), "paging": _paging(body)}, spec)
    return Distinct(name, parsed.filter, order.upper() == "DESC", parsed.limit, parsed.offset)


def _result_name(raw: Any, path: str, taken: set[str], spec: QuerySpec) -> str:
    name = field_name(spec, raw, path)
    if name in taken or name.startswith("_"):
        raise _fail(path, f'"{name}" is already a group field or result name', "DUPLICATE")
    taken.add(name)
    return name


def _operation(raw: Any, path: str, taken: set[str], spec: QuerySpec) -> Operation:
    if not isinstance(raw, dict):
        raise _fail(path, "must be {resultFieldName, <operation>: {...}}", "TYPE")
    chosen = [f for f in AggregateFunction if raw.get(f) is not None]
    if len(chosen) != 1:
        raise _fail(path, f"must hold exactly one of {', '.join(AggregateFunction)}", "ONE_OF")
    function = chosen[0]
    name = _result_name(raw.get("resultFieldName"), f"{path}.resultFieldName", taken, spec)
    if function == AggregateFunction.COUNT:
        return Operation(name, function, None)
    options = raw[function]
    here = f"{path}.{function}.itemFieldName"
    item_field = field_name(spec, options.get("itemFieldName") if isinstance(options, dict) else None, here)
    if item_field.startswith("_"):
        raise _fail(here, "must be a field of the items that holds numbers", "UNSUPPORTED")
    return Operation(name, function, item_field)


def parse_aggregation(body: dict[str, Any], spec: QuerySpec) -> Aggregation:
    """``{initialFilter, aggregation: {groupingFields, operations}, finalFilter, sort, paging}``."""
    initial = _parse({"filter": body.get("initialFilter"), "paging": {"limit": 0}}, spec, "initialFilter").filter
    aggregation = body.get("aggregation") or {}
    if not isinstance(aggregation, dict):
        raise _fail("aggregation", "must be {groupingFields, operations}", "TYPE")
    groups = aggregation.get("groupingFields") or []
    if not isinstance(groups, list):
        raise _fail("aggregation.groupingFields", "must be a list of field names", "TYPE")
    if len(groups) > MAX_GROUP_FIELDS:
        raise _fail("aggregation.groupingFields", f"has more than {MAX_GROUP_FIELDS} fields", "MAX_GROUP_FIELDS", {"max": MAX_GROUP_FIELDS})
    taken: set[str] = set()
    group_by: list[str] = []
    for i, raw in enumerate(groups):
        name = field_name(spec, raw, f"aggregation.groupingFields[{i}]")
        if name in taken or (name.startswith("_") and name != "_owner"):
            raise _fail(f"aggregation.groupingFields[{i}]", f'"{name}" cannot be grouped on (again)', "UNSUPPORTED")
        taken.add(name)
        group_by.append(name)
    operations = aggregation.get("operations") or []
    if not isinstance(operations, list):
        raise _fail("aggregation.operations", "must be a list of operations", "TYPE")
    if len(operations) > MAX_OPERATIONS:
        raise _fail("aggregation.operations", f"has more than {MAX_OPERATIONS} operations", "MAX_OPERATIONS", {"max": MAX_OPERATIONS})
    ops = tuple(_operation(raw, f"aggregation.operations[{i}]", taken, spec) for i, raw in enumerate(operations))
    if not group_by and not ops:
        raise _fail("aggregation", "needs groupingFields or operations", "REQUIRED")
    result_spec = QuerySpec(
        fields={name: FieldSpec("any", RESULT_OPS, sortable=True) for name in taken},
        default_sort=tuple(Sort(g) for g in group_by),
    )
    final = _parse({"filter": body.get("finalFilter"), "sort": body.get("sort"), "paging": _paging(body)}, result_spec, "finalFilter")
    return Aggregation(initial, tuple(group_by), ops, final.filter, final.sort, final.limit, final.offset)
