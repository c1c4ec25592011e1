"""Data collections and items. Item fields live in a JSON document; queries on them are
translated to JSON expressions of the engine at hand (JSONB on PostgreSQL, json_extract on SQLite),
so filtering, sorting and paging all happen in the database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import cast, delete, func, insert, literal, select, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

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


def field_resolver(dialect: str) -> Any:
    """Map a query field to SQL for this engine."""

    def resolve(name: str) -> FieldSql:
        column = _SYSTEM_COLUMNS.get(name)
        if column is not None:
            return FieldSql.column(column)
        if dialect == "postgresql":
            document = cast(data_items.c.data, JSONB)  # the column is JSONB there; say so to SQLAlchemy
            value = document[name]
            return FieldSql(
                value=value,
                text=document[name].astext,
                is_null=func.coalesce(func.jsonb_typeof(value), "null") == "null",
                bind=lambda v: cast(literal(orjson.dumps(v).decode()), JSONB),
                date_text=document[(name, "$date")].astext,
            )
        extracted = func.json_extract(data_items.c.data, f'$."{name}"')
        date_text = func.json_extract(data_items.c.data, f'$."{name}"."$date"')
        return FieldSql(value=extracted, text=extracted, is_null=extracted.is_(None), date_text=date_text)

    return resolve


async def create_collection(conn: AsyncConnection, project_id: str, collection_id: str, permissions: dict[str, str], at: datetime) -> bool:
    try:
        async with conn.begin_nested():
            await conn.execute(
                insert(data_collections).values(project_id=project_id, id=collection_id, permissions=permissions, created_at=at)
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
    return Collection(row.project_id, row.id, dict(row.permissions)) if row else None


async def list_collections(conn: AsyncConnection, project_id: str) -> list[Collection]:
    rows = await conn.execute(select(data_collections).where(data_collections.c.project_id == project_id).order_by(data_collections.c.id))
    return [Collection(r.project_id, r.id, dict(r.permissions)) for r in rows]


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
