"""Translate a parsed query (domain/query.py) into SQL, so filtering and paging happen in the database."""

from __future__ import annotations

import functools
import string
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ParamSpec, TypeAlias, TypeVar

from sqlalchemy import String, and_, false, func, literal, not_, or_, true
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from ..domain.errors import DomainError
from ..domain.oauth_app import iso as iso_date
from ..domain.query import And, Condition, Node, Not, Or, Sort


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


_ASCII_FOLD = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


class _ascii_lower(FunctionElement[str]):
    """Lowercase A-Z only. SQLite's built-in lower() folds nothing else, while PostgreSQL's
    follows the database's locale (É -> é); folding ASCII alone on both keeps the results equal."""

    type = String()
    name = "ascii_lower"
    inherit_cache = True


@compiles(_ascii_lower)
def _ascii_lower_default(element: _ascii_lower, compiler: SQLCompiler, **kw: Any) -> str:
    return f"lower({compiler.process(element.clauses, **kw)})"


@compiles(_ascii_lower, "postgresql")
def _ascii_lower_postgresql(element: _ascii_lower, compiler: SQLCompiler, **kw: Any) -> str:
    args = compiler.process(element.clauses, **kw)
    return f"translate({args}, '{string.ascii_uppercase}', '{string.ascii_lowercase}')"


def fold_ascii(text: str) -> str:
    """In Python what ``ascii_lower`` does in SQL."""
    return text.translate(_ASCII_FOLD)


def ascii_lower(text: ColumnElement[Any]) -> ColumnElement[str]:
    """A-Z folded to a-z, the same on both databases (see ``_ascii_lower``)."""
    return _ascii_lower(text)


class bytewise(FunctionElement[str]):
    """Text compared and sorted by code point: SQLite's BINARY collation already is; on PostgreSQL
    the "C" collation makes it so whatever the database's own collation, so that every string
    with a given prefix lies in one index range (see domain/text_range.py)."""

    type = String()
    name = "bytewise"
    inherit_cache = True


@compiles(bytewise)
def _bytewise_default(element: bytewise, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)


@compiles(bytewise, "postgresql")
def _bytewise_postgresql(element: bytewise, compiler: SQLCompiler, **kw: Any) -> str:
    return f'({compiler.process(element.clauses, **kw)}) COLLATE "C"'


def _same(value: object) -> object:
    return value


@dataclass(frozen=True)
class FieldSql:
    """How one queryable field appears in SQL. A plain column is all three at once; a field
    inside a JSON document compares as typed JSON (``value``), matches prefixes as text
    (``text``), and needs its operands converted to JSON (``bind``)."""

    value: ColumnElement[Any]
    text: ColumnElement[Any]
    is_null: ColumnElement[bool]
    bind: Callable[[Any], object] = _same
    # For dates stored as {"$date": "<canonical ISO>"} inside a document: the ISO text.
    date_text: ColumnElement[Any] | None = None
    # $hasSome / $hasAll inside a document: (values, all) -> the test. A plain column holds one
    # value, so there they are $in and "equals each".
    has: Callable[[tuple[Any, ...], bool], ColumnElement[bool]] | None = None
    # The field as JSON (text on SQLite, jsonb on PostgreSQL) for grouping and distinct values;
    # None for a plain column (the column itself).
    json: ColumnElement[Any] | None = None
    # The field as a number where it holds one, else NULL (sum, avg, min, max); None: the column.
    number: ColumnElement[Any] | None = None

    @classmethod
    def column(cls, column: ColumnElement[Any]) -> FieldSql:
        return cls(column, column, column.is_(None))

    @property
    def as_json(self) -> ColumnElement[Any]:
        return self.value if self.json is None else self.json

    @property
    def as_number(self) -> ColumnElement[Any]:
        return self.value if self.number is None else self.number


Columns: TypeAlias = Mapping[str, ColumnElement[Any]] | Callable[[str], FieldSql]


def resolve(columns: Columns, name: str) -> FieldSql:
    if callable(columns):
        return columns(name)
    return FieldSql.column(columns[name])


_LIKE_PATTERNS = {"$startsWith": "{}%", "$endsWith": "%{}", "$contains": "%{}%"}


def _is_date_operand(value: Any) -> bool:
    return isinstance(value, datetime) or (isinstance(value, tuple) and bool(value) and all(isinstance(v, datetime) for v in value))


def _ordered_operand(value: object) -> object:
    """SQLAlchemy reads a bare True/False beside <, >, <=, >= as a SQL boolean constant and refuses
    the comparison; a bound parameter compares like any other value."""
    return literal(value) if isinstance(value, bool) else value


def condition_sql(field: FieldSql | ColumnElement[Any], cond: Condition) -> ColumnElement[bool]:
    f = field if isinstance(field, FieldSql) else FieldSql.column(field)
    if f.date_text is not None and _is_date_operand(cond.value):
        # Canonical ISO-8601 text (ms, Z) orders like time, so compare the $date strings.
        f = FieldSql(f.date_text, f.date_text, f.date_text.is_(None), iso_date)
    column, op, value, bind = f.value, cond.op, cond.value, f.bind
    if op == "$eq":
        return f.is_null if value is None else column == bind(value)
    if op == "$ne":
        return ~f.is_null if value is None else or_(f.is_null, column != bind(value))
    if op == "$gt":
        return column > _ordered_operand(bind(value))
    if op == "$gte":
        return column >= _ordered_operand(bind(value))
    if op == "$lt":
        return column < _ordered_operand(bind(value))
    if op == "$lte":
        return column <= _ordered_operand(bind(value))
    if op == "$in":
        return column.in_([bind(v) for v in value]) if value else false()
    if op == "$nin":
        return or_(f.is_null, column.not_in([bind(v) for v in value])) if value else true()
    if op in _LIKE_PATTERNS:
        # Case-insensitive like Wix Data's text operators (for A-Z), and the same on SQLite and PostgreSQL.
        pattern = _LIKE_PATTERNS[op].format(_escape_like(value.translate(_ASCII_FOLD)))
        return _ascii_lower(f.text).like(pattern, escape="\\")
    if op == "$exists":
        return ~f.is_null if value else f.is_null
    if op in ("$hasSome", "$hasAll"):
        if f.has is not None:
            return f.has(value, op == "$hasAll")
        if op == "$hasSome":
            return column.in_([_ordered_operand(bind(v)) for v in value])
        return and_(*(column == _ordered_operand(bind(v)) for v in value))
    raise ValueError(f"unsupported operator {op}")  # parse_query never lets one through


def filter_sql(node: Node | None, columns: Columns) -> ColumnElement[bool]:
    if node is None:
        return true()
    if isinstance(node, Condition):
        return condition_sql(resolve(columns, node.field), node)
    if isinstance(node, And):
        return and_(*(filter_sql(p, columns) for p in node.parts))
    if isinstance(node, Or):
        return or_(*(filter_sql(p, columns) for p in node.parts))
    if isinstance(node, Not):
        # An absent field makes the inner test NULL ("unknown"); "not" of it must still match,
        # as in Wix Data, so treat unknown as false before negating.
        return not_(func.coalesce(filter_sql(node.part, columns), false()))
    raise TypeError(node)


def order_sql(sort: tuple[Sort, ...], columns: Columns) -> list[ColumnElement[Any]]:
    ordered: list[ColumnElement[Any]] = []
    for s in sort:
        value = resolve(columns, s.field).value
        ordered.append(value.desc() if s.descending else value.asc())
    return ordered


# What SQLite and PostgreSQL (asyncpg) say about a statement too large for them. The limits in
# domain/query_limits.py keep every query far below these; this is the last line, so that such a
# statement is never a 500 with its SQL in the log.
_TOO_COMPLEX = (
    "expression tree is too large",
    "too many sql variables",
    "too many terms in compound select",
    "parser stack overflow",
    "number of query arguments cannot exceed",
    "stack depth limit exceeded",
    "too many arguments",
)

QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"
P = ParamSpec("P")
T = TypeVar("T")


def too_complex_is_refused(run: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
    """For a store function that runs a query built from a caller's filter: the database refusing
    the statement as too large is the caller's fault (400 QUERY_TOO_COMPLEX), not ours."""

    @functools.wraps(run)
    async def guarded(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return await run(*args, **kwargs)
        except DBAPIError as exc:
            if not any(text in str(exc.orig).lower() for text in _TOO_COMPLEX):
                raise
        # Raised outside the except block, so the database error (with its SQL) is not chained.
        raise DomainError("The query is too complex for the database; use a smaller filter", code=QUERY_TOO_COMPLEX)

    return guarded
