"""Translate a parsed query (domain/query.py) into SQL, so filtering and paging happen in the database."""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import Any

from sqlalchemy import String, and_, false, not_, or_, true
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

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


def condition_sql(column: ColumnElement[Any], cond: Condition) -> ColumnElement[bool]:
    op, value = cond.op, cond.value
    if op == "$eq":
        return column.is_(None) if value is None else column == value
    if op == "$ne":
        return or_(column.is_(None), column != value)
    if op == "$gt":
        return column > value
    if op == "$gte":
        return column >= value
    if op == "$lt":
        return column < value
    if op == "$lte":
        return column <= value
    if op == "$in":
        return column.in_(list(value)) if value else false()
    if op == "$nin":
        return or_(column.is_(None), column.not_in(list(value))) if value else true()
    if op == "$startsWith":
        # Case-insensitive like Wix Data's startsWith (for A-Z), and the same on SQLite and PostgreSQL.
        return _ascii_lower(column).like(_escape_like(value.translate(_ASCII_FOLD)) + "%", escape="\\")
    if op == "$exists":
        return column.is_not(None) if value else column.is_(None)
    raise ValueError(f"unsupported operator {op}")  # parse_query never lets one through


def filter_sql(node: Node | None, columns: Mapping[str, ColumnElement[Any]]) -> ColumnElement[bool]:
    if node is None:
        return true()
    if isinstance(node, Condition):
        return condition_sql(columns[node.field], node)
    if isinstance(node, And):
        return and_(*(filter_sql(p, columns) for p in node.parts))
    if isinstance(node, Or):
        return or_(*(filter_sql(p, columns) for p in node.parts))
    if isinstance(node, Not):
        return not_(filter_sql(node.part, columns))
    raise TypeError(node)


def order_sql(sort: tuple[Sort, ...], columns: Mapping[str, ColumnElement[Any]]) -> list[ColumnElement[Any]]:
    return [columns[s.field].desc() if s.descending else columns[s.field].asc() for s in sort]
