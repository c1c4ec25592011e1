"""Data collections and items. Item fields live in a JSON document; queries on them are
translated to JSON expressions of the engine at hand (JSONB on PostgreSQL, json_extract on SQLite),
so filtering, sorting and paging all happen in the database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import JSON, Float, and_, case, cast, delete, exists, func, insert, literal, or_, select, type_coerce, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from ..domain.data_aggregate import AggregateFunction, Aggregation, Distinct, Operation
from ..domain.data_items import Collection
from ..domain.query import Query
from .query_sql import FieldSql, filter_sql, order_sql, too_complex_is_refused
from .schema import data_collections, data_items


@dataclass(frozen=True)
class Item:
    collection_id: str
    id: str
    data: dict[str, Any]
    owner_id: str
    created_at: datetime
    updated_at: datetime


def _item(row: Any) -> Item:
    m = row._mapping
    return Item(m["collection_id"], m["id"], dict(m["data"]), m["owner_id"], m["created_at"], m["updated_at"])


_SYSTEM_COLUMNS: dict[str, ColumnElement[Any]] = {
    "_id": data_items.c.id,
    "_owner": data_items.c.owner_id,
    "_createdDate": data_items.c.created_at,
    "_updatedDate": data_items.c.updated_at,
}


def _sqlite_matches(each: Any, values: tuple[Any, ...]) -> ColumnElement[bool]:
    """A ``json_each`` row equal to one of ``values`` as JSON values are (so 1 is not true)."""
    texts = [v for v in values if isinstance(v, str)]
    numbers = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    flags = {v for v in values if isinstance(v, bool)}
    tests: list[ColumnElement[bool]] = []
    if texts:
        tests.append((each.c.type == "text") & each.c.value.in_(texts))
    if numbers:
        tests.append(each.c.type.in_(("integer", "real")) & each.c.value.in_(numbers))
    tests.extend(each.c.type == ("true" if flag else "false") for flag in sorted(flags))
    return or_(*tests)


def _sqlite_field(name: str) -> FieldSql:
    path = f'$."{name}"'
    extracted = func.json_extract(data_items.c.data, path)
    kind = func.json_type(data_items.c.data, path)

    def holds(values: tuple[Any, ...]) -> ColumnElement[bool]:
        each = func.json_each(data_items.c.data, path).table_valued("value", "type")
        return exists(select(literal(1)).select_from(each).where(_sqlite_matches(each, values)))

    def has(values: tuple[Any, ...], every: bool) -> ColumnElement[bool]:
        found = and_(*(holds((v,)) for v in values)) if every else holds(values)
        return (kind != "object") & found  # json_each would walk an object's members

    return FieldSql(
        value=extracted,
        text=extracted,
        is_null=extracted.is_(None),
        date_text=func.json_extract(data_items.c.data, f'$."{name}"."$date"'),
        has=has,
        json=data_items.c.data.op("->")(literal(path)),
        number=case((kind.in_(("integer", "real")), extracted), else_=None),
    )


def _jsonb(value: Any) -> Any:
    return cast(literal(orjson.dumps(value).decode()), JSONB)


def _postgresql_field(name: str) -> FieldSql:
    document = cast(data_items.c.data, JSONB)  # the column is JSONB there; say so to SQLAlchemy
    value = document[name]

    def has(values: tuple[Any, ...], every: bool) -> ColumnElement[bool]:
        # An array contains the values (@>); a single value is one of them (or all of them).
        if every:
            return or_(value.op("@>")(_jsonb(list(values))), and_(*(value == _jsonb(v) for v in values)))
        return or_(*(value.op("@>")(_jsonb([v])) for v in values), value.in_([_jsonb(v) for v in values]))

    return FieldSql(
        value=value,
        text=document[name].astext,
        is_null=func.coalesce(func.jsonb_typeof(value), "null") == "null",
        bind=_jsonb,
        date_text=document[(name, "$date")].astext,
        has=has,
        json=value,
        number=case((func.jsonb_typeof(value) == "number", cast(document[name].astext, Float)), else_=None),
    )


def field_resolver(dialect: str) -> Any:
    """Map a query field to SQL for this engine."""

    def resolve(name: str) -> FieldSql:
        column = _SYSTEM_COLUMNS.get(name)
        if column is not None:
            return FieldSql.column(column)
        return _postgresql_field(name) if dialect == "postgresql" else _sqlite_field(name)

    return resolve


def _collection(row: Any) -> Collection:
    return Collection(row.project_id, row.id, dict(row.permissions), row.display_name)


async def create_collection(
    conn: AsyncConnection, project_id: str, collection_id: str, permissions: dict[str, str], at: datetime, display_name: str | None = None
) -> bool:
    try:
        async with conn.begin_nested():
            await conn.execute(
                insert(data_collections).values(
                    project_id=project_id, id=collection_id, permissions=permissions, created_at=at, display_name=display_name
                )
            )
    except IntegrityError:
        return False
    return True


async def get_collection(conn: AsyncConnection, project_id: str, collection_id: str) -> Collection | None:
    row = (
        await conn.execute(
            select(data_collections).where(data_collections.c.project_id == project_id, data_collections.c.id == collection_id)
        )
    ).first()
    return _collection(row) if row else None


async def list_collections(conn: AsyncConnection, project_id: str) -> list[Collection]:
    rows = await conn.execute(select(data_collections).where(data_collections.c.project_id == project_id).order_by(data_collections.c.id))
    return [_collection(r) for r in rows]


async def update_collection(
    conn: AsyncConnection, project_id: str, collection_id: str, permissions: dict[str, str], display_name: str | None
) -> bool:
    result = await conn.execute(
        update(data_collections)
        .where(data_collections.c.project_id == project_id, data_collections.c.id == collection_id)
        .values(permissions=permissions, display_name=display_name)
    )
    return result.rowcount > 0


async def delete_collection(conn: AsyncConnection, project_id: str, collection_id: str) -> bool:
    await conn.execute(delete(data_items).where(data_items.c.project_id == project_id, data_items.c.collection_id == collection_id))
    result = await conn.execute(
        delete(data_collections).where(data_collections.c.project_id == project_id, data_collections.c.id == collection_id)
    )
    return result.rowcount > 0


def _key(project_id: str, collection_id: str, item_id: str) -> Any:
    return (data_items.c.project_id == project_id) & (data_items.c.collection_id == collection_id) & (data_items.c.id == item_id)


async def insert_item(conn: AsyncConnection, project_id: str, item: Item) -> bool:
    try:
        async with conn.begin_nested():
            await conn.execute(
                insert(data_items).values(
                    project_id=project_id,
                    collection_id=item.collection_id,
                    id=item.id,
                    data=item.data,
                    owner_id=item.owner_id,
                    created_at=item.created_at,
                    updated_at=item.updated_at,
                )
            )
    except IntegrityError:
        return False
    return True


async def get_item(conn: AsyncConnection, project_id: str, collection_id: str, item_id: str, lock: bool = False) -> Item | None:
    """With ``lock``, the row stays locked until the transaction ends (PostgreSQL; SQLite's write
    transaction holds the whole database), so a read-modify-write loses no concurrent change."""
    stmt = select(data_items).where(_key(project_id, collection_id, item_id))
    if lock:
        stmt = stmt.with_for_update()
    row = (await conn.execute(stmt)).first()
    return _item(row) if row else None


async def replace_item(
    conn: AsyncConnection,
    project_id: str,
    collection_id: str,
    item_id: str,
    data: dict[str, Any],
    at: datetime,
    owner_id: str | None = None,
) -> Item | None:
    """Replace the data of an item; with ``owner_id``, only if that caller owns it."""
    where = _key(project_id, collection_id, item_id)
    if owner_id is not None:
        where = where & (data_items.c.owner_id == owner_id)
    row = (await conn.execute(update(data_items).where(where).values(data=data, updated_at=at).returning(*data_items.columns))).first()
    return _item(row) if row else None


async def remove_item(conn: AsyncConnection, project_id: str, collection_id: str, item_id: str, owner_id: str | None = None) -> Item | None:
    where = _key(project_id, collection_id, item_id)
    if owner_id is not None:
        where = where & (data_items.c.owner_id == owner_id)
    row = (await conn.execute(delete(data_items).where(where).returning(*data_items.columns))).first()
    return _item(row) if row else None


async def truncate_items(conn: AsyncConnection, project_id: str, collection_id: str) -> int:
    result = await conn.execute(
        delete(data_items).where(data_items.c.project_id == project_id, data_items.c.collection_id == collection_id)
    )
    return int(result.rowcount)


@too_complex_is_refused
async def query_items(
    conn: AsyncConnection,
    project_id: str,
    collection_id: str,
    query: Query,
    owner_id: str | None = None,
    count: bool = True,
) -> tuple[list[Item], int | None]:
    resolve = field_resolver(conn.dialect.name)
    where = (data_items.c.project_id == project_id) & (data_items.c.collection_id == collection_id)
    if owner_id is not None:
        where = where & (data_items.c.owner_id == owner_id)
    where = where & filter_sql(query.filter, resolve)
    total = None
    if count:
        total = int((await conn.execute(select(func.count()).select_from(data_items).where(where))).scalar_one())
    rows: list[Any] = []
    if query.limit:
        stmt = select(data_items).where(where).order_by(*order_sql(query.sort, resolve)).limit(query.limit).offset(query.offset)
        rows = list(await conn.execute(stmt))
    return [_item(r) for r in rows], total


@too_complex_is_refused
async def page_items(
    conn: AsyncConnection, project_id: str, collection_id: str, query: Query, count_cap: int | None
) -> tuple[list[Item], int | None, bool]:
    """One page of a collection's items and how many match, counted up to ``count_cap`` (the
    count reads at most that many matches; None: not counted); the flag says there are more. A
    page that ends before its limit tells the total itself, and then nothing is counted."""
    resolve = field_resolver(conn.dialect.name)
    where = (data_items.c.project_id == project_id) & (data_items.c.collection_id == collection_id)
    where = where & filter_sql(query.filter, resolve)
    items: list[Item] = []
    if query.limit:
        stmt = select(data_items).where(where).order_by(*order_sql(query.sort, resolve)).limit(query.limit).offset(query.offset)
        items = [_item(r) for r in await conn.execute(stmt)]
    if len(items) < query.limit and (items or query.offset == 0):
        return items, query.offset + len(items), False
    if count_cap is None:
        return items, None, False
    capped = select(literal(1)).select_from(data_items).where(where).limit(count_cap + 1).subquery()
    total = int((await conn.execute(select(func.count()).select_from(capped))).scalar_one())
    return items, min(total, count_cap), total > count_cap


def _scope(project_id: str, collection_id: str, owner_id: str | None) -> ColumnElement[bool]:
    where = (data_items.c.project_id == project_id) & (data_items.c.collection_id == collection_id)
    if owner_id is not None:
        where = where & (data_items.c.owner_id == owner_id)
    return where


def _as_value(field: FieldSql) -> ColumnElement[Any]:
    """The field as it is answered: JSON decoded to Python, or a plain column as it is."""
    return field.value if field.json is None else type_coerce(field.json, JSON)


def _group_order(field: FieldSql, dialect: str) -> ColumnElement[Any]:
    """What a group of equal JSON values sorts by: PostgreSQL orders jsonb itself; on SQLite the
    JSON text would sort numbers as text, so the typed value (equal within the group) is used."""
    if field.json is None or dialect == "postgresql":
        return field.as_json
    return func.min(field.value)


@too_complex_is_refused
async def distinct_values(
    conn: AsyncConnection, project_id: str, collection_id: str, request: Distinct, owner_id: str | None = None
) -> tuple[list[Any], int]:
    """The distinct values of one field among the matching items (absent and null left out),
    one page of them, and how many there are."""
    dialect = conn.dialect.name
    resolve = field_resolver(dialect)
    field = resolve(request.field)
    where = _scope(project_id, collection_id, owner_id) & filter_sql(request.filter, resolve) & ~field.is_null
    order = _group_order(field, dialect)
    grouped = select(_as_value(field).label("v"), order.label("o")).where(where).group_by(field.as_json)
    total = int((await conn.execute(select(func.count()).select_from(grouped.subquery()))).scalar_one())
    sub = grouped.subquery()
    ordered = sub.c.o.desc() if request.descending else sub.c.o.asc()
    rows = await conn.execute(select(sub.c.v).order_by(ordered).limit(request.limit).offset(request.offset))
    return [row.v for row in rows], total


def _operation_sql(operation: Operation, resolve: Any) -> ColumnElement[Any]:
    if operation.function == AggregateFunction.COUNT:
        return func.count()
    number = resolve(operation.field).as_number
    if operation.function == AggregateFunction.SUM:
        return func.coalesce(func.sum(number), 0)
    if operation.function == AggregateFunction.AVERAGE:
        return func.avg(number)
    return func.min(number) if operation.function == AggregateFunction.MIN else func.max(number)


@too_complex_is_refused
async def aggregate_items(
    conn: AsyncConnection, project_id: str, collection_id: str, aggregation: Aggregation, owner_id: str | None = None
) -> tuple[list[dict[str, Any]], int]:
    """Groups of the matching items with their results (one row without grouping fields), the
    final filter and sort applied to the groups; one page of them and how many groups there are.
    Each row maps the grouping fields and result names to their values."""
    dialect = conn.dialect.name
    resolve = field_resolver(dialect)
    where = _scope(project_id, collection_id, owner_id) & filter_sql(aggregation.initial_filter, resolve)
    columns: list[Any] = []
    keys: list[ColumnElement[Any]] = []
    typed: dict[str, FieldSql] = {}
    for i, name in enumerate(aggregation.group_by):
        field = resolve(name)
        keys.append(field.as_json)
        columns += [_as_value(field).label(f"g{i}"), _group_order(field, dialect).label(f"t{i}")]
        typed[name] = field
    columns += [_operation_sql(op, resolve).label(f"r{j}") for j, op in enumerate(aggregation.operations)]
    inner = select(*columns).where(where)
    if keys:
        inner = inner.group_by(*keys)
    sub = inner.subquery()

    def result_field(name: str) -> FieldSql:
        if name in typed:
            column = sub.c[f"t{aggregation.group_by.index(name)}"]
            if typed[name].json is not None and dialect == "postgresql":
                return FieldSql(column, column, func.coalesce(func.jsonb_typeof(column), "null") == "null", bind=_jsonb)
            return FieldSql.column(column)
        index = next(j for j, op in enumerate(aggregation.operations) if op.result_name == name)
        return FieldSql.column(sub.c[f"r{index}"])

    final = filter_sql(aggregation.final_filter, result_field)
    total = int((await conn.execute(select(func.count()).select_from(sub).where(final))).scalar_one())
    # Groups without a value come first ascending (SQLite's order; PostgreSQL is told), on both.
    order = [
        o.nulls_last() if s.descending else o.nulls_first()
        for s, o in zip(aggregation.sort, order_sql(aggregation.sort, result_field), strict=True)
    ]
    stmt = select(sub).where(final).order_by(*order).limit(aggregation.limit).offset(aggregation.offset)
    rows: list[dict[str, Any]] = []
    for row in await conn.execute(stmt):
        m = row._mapping
        values = {name: m[f"g{i}"] for i, name in enumerate(aggregation.group_by)}
        values.update({op.result_name: m[f"r{j}"] for j, op in enumerate(aggregation.operations)})
        rows.append(values)
    return rows, total
