"""How big a query may be, checked before any SQL is built.

A filter's cost grows with its size: tens of thousands of clauses fit in a 1 MB body, and building
and compiling their SQL stalled a worker for seconds, while the databases refuse such statements
anyway (SQLite: "Expression tree is too large", PostgreSQL: at most 32,767 parameters). So every
query endpoint (OAuth apps, data items) checks the raw request against these limits first, with
a loop rather than recursion (a deep filter must not exhaust the stack), and stops at the first
limit passed, so refusing a huge filter costs no more than reading the first few hundred clauses.
docs/limits.md lists the limits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .errors import FieldViolation, ValidationFailed


@dataclass(frozen=True)
class QueryLimits:
    max_body_bytes: int = 1024 * 1024  # every JSON request body (http/body.py)
    max_conditions: int = 200  # field-operator pairs in one filter (empty filters count one each)
    max_depth: int = 8  # nesting of $and / $or / $not
    max_in_values_per_condition: int = 100  # the list of one $in / $nin / $hasSome / $hasAll
    max_in_values: int = 1000  # all those lists of one filter together
    max_sort_keys: int = 10
    max_fields: int = 100  # projection (data items' ``fields``)


QUERY_LIMITS = QueryLimits()

LOGICAL_LISTS = ("$and", "$or")
LIST_OPERATORS = ("$in", "$nin", "$hasSome", "$hasAll")


def _refuse(path: str, description: str, rule: str, limit: int) -> ValidationFailed:
    return ValidationFailed([FieldViolation(path, description, rule, {"max": limit})])


def check_filter(raw: Any, path: str, limits: QueryLimits = QUERY_LIMITS) -> None:
    """Refuse a filter past the size limits. Shape errors are left to the parser: this only
    counts, so a filter that passes here is small enough to parse and compile."""
    conditions = in_values = 0
    stack: list[tuple[Any, int]] = [(raw, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > limits.max_depth:
            raise _refuse(path, f"is nested more than {limits.max_depth} levels deep", "MAX_DEPTH", limits.max_depth)
        if not isinstance(node, dict) or not 0 < len(node) <= limits.max_conditions:
            # an empty filter, a value the parser will refuse, or more keys than allowed at all
            conditions += len(node) if isinstance(node, dict) and node else 1
        else:
            for key, value in node.items():
                children, step = _children(key, value)
                if len(children) > limits.max_conditions:
                    conditions += len(children)  # refused below without reading them
                elif children:
                    stack.extend((child, depth + step) for child in children)
                elif isinstance(value, dict) and value and not key.startswith("$"):
                    conditions += len(value)  # {"field": {"$gt": 1, "$lt": 5}} is two
                    if conditions <= limits.max_conditions:
                        in_values += sum(len(v) for op, v in value.items() if op in LIST_OPERATORS and isinstance(v, list))
                else:
                    conditions += 1
        if conditions > limits.max_conditions:
            raise _refuse(path, f"has more than {limits.max_conditions} conditions", "MAX_CONDITIONS", limits.max_conditions)
        if in_values > limits.max_in_values:
            raise _refuse(
                path,
                f"has more than {limits.max_in_values} $in / $nin / $hasSome / $hasAll values in all",
                "MAX_IN_VALUES",
                limits.max_in_values,
            )


def _children(key: str, value: Any) -> tuple[list[Any], int]:
    """The filters under a logical operator and how many levels down they are: ``$and`` / ``$or``
    lists one, ``$not`` of one filter one, and ``$not`` of a list (as @wix/data sends it) two when
    it has several, since they become ``{"$not": {"$and": [...]}}``. None for a field."""
    if key in LOGICAL_LISTS:
        return (value if isinstance(value, list) else []), 1
    if key == "$not":
        if isinstance(value, list):
            return value, 1 if len(value) == 1 else 2
        return [value], 1
    return [], 1


def check_count(items: Any, path: str, limit: int, what: str, rule: str) -> None:
    """A list part of a query (sort keys, projection fields) of at most ``limit`` entries."""
    if isinstance(items, list) and len(items) > limit:
        raise _refuse(path, f"has more than {limit} {what}", rule, limit)
