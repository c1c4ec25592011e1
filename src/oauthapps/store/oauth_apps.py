"""OAuth app rows: create, read, update, delete, list and their secrets. Every function runs
inside the caller's transaction. The query endpoint's page is store/oauth_app_page.py; the audit
trail is store/oauth_app_audit.py."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from ..domain.oauth_app import OAuthApp
from ..domain.query import FieldSpec, Query, QuerySpec, Sort
from .change_log import ChangeKind, record_change
from .query_sql import filter_sql, order_sql, too_complex_is_refused
from .schema import oauth_apps

_COLUMNS = [c.name for c in oauth_apps.columns]

QUERY_SPEC = QuerySpec(
    fields={
        "id": FieldSpec("string", frozenset({"$eq", "$ne", "$in"}), sortable=True),
        "name": FieldSpec("string", frozenset({"$eq", "$ne", "$in", "$startsWith"}), sortable=True),
        "createdDate": FieldSpec("datetime", frozenset({"$eq", "$gt", "$gte", "$lt", "$lte"}), sortable=True),
    },
    aliases={"created_date": "createdDate", "_id": "id", "_createdDate": "createdDate"},
    default_sort=(Sort("id", descending=True),),
    tiebreaker="id",
)
QUERY_COLUMNS = {"id": oauth_apps.c.id, "name": oauth_apps.c.name, "createdDate": oauth_apps.c.created_at}


def _from_row(row: Row[Any]) -> OAuthApp:
    data = row._mapping
    return OAuthApp(**{name: data[name] for name in _COLUMNS})


def _to_values(app: OAuthApp) -> dict[str, Any]:
    return {name: getattr(app, name) for name in _COLUMNS}


async def insert_app(conn: AsyncConnection, app: OAuthApp) -> None:
    await conn.execute(insert(oauth_apps).values(**_to_values(app)))


async def get_app(conn: AsyncConnection, project_id: str, app_id: str) -> OAuthApp | None:
    row = (await conn.execute(select(oauth_apps).where(oauth_apps.c.id == app_id, oauth_apps.c.project_id == project_id))).first()
    return _from_row(row) if row else None


async def get_app_any_project(conn: AsyncConnection, app_id: str) -> OAuthApp | None:
    """For the token endpoint, where the client ID alone names the app."""
    row = (await conn.execute(select(oauth_apps).where(oauth_apps.c.id == app_id))).first()
    return _from_row(row) if row else None


async def update_app(conn: AsyncConnection, project_id: str, app_id: str, values: dict[str, Any]) -> OAuthApp | None:
    """One UPDATE of just the named columns, so concurrent updates of other fields survive."""
    stmt = (
        update(oauth_apps)
        .where(oauth_apps.c.id == app_id, oauth_apps.c.project_id == project_id)
        .values(**values)
        .returning(*oauth_apps.columns)
    )
    row = (await conn.execute(stmt)).first()
    if row is not None:
        await record_change(conn, ChangeKind.OAUTH_APP, app_id)
    return _from_row(row) if row else None


async def claim_first_secret(conn: AsyncConnection, project_id: str, app_id: str, secret_hash: str, at: datetime) -> bool:
    """Store a secret only while generation is still allowed; atomic, so it happens once."""
    stmt = (
        update(oauth_apps)
        .where(
            oauth_apps.c.id == app_id,
            oauth_apps.c.project_id == project_id,
            oauth_apps.c.allow_secret_generation.is_(True),
        )
        .values(secret_hash=secret_hash, allow_secret_generation=False, updated_at=at)
    )
    if (await conn.execute(stmt)).rowcount != 1:
        return False
    await record_change(conn, ChangeKind.OAUTH_APP, app_id)
    return True


async def delete_app(conn: AsyncConnection, project_id: str, app_id: str) -> bool:
    result = await conn.execute(delete(oauth_apps).where(oauth_apps.c.id == app_id, oauth_apps.c.project_id == project_id))
    if result.rowcount == 0:
        return False
    await record_change(conn, ChangeKind.OAUTH_APP, app_id)
    return True


def _where(project_id: str, query: Query) -> ColumnElement[bool]:
    """The tenant first: every query is confined to the caller's project."""
    return (oauth_apps.c.project_id == project_id) & filter_sql(query.filter, QUERY_COLUMNS)


@too_complex_is_refused
async def query_apps(conn: AsyncConnection, project_id: str, query: Query) -> tuple[list[OAuthApp], int]:
    """Whole entities and an exact total (the CLI's listing); the API pages with store/oauth_app_page.py."""
    where = _where(project_id, query)
    total = (await conn.execute(select(func.count()).select_from(oauth_apps).where(where))).scalar_one()
    rows: list[Row[Any]] = []
    if query.limit:
        stmt = select(oauth_apps).where(where).order_by(*order_sql(query.sort, QUERY_COLUMNS)).limit(query.limit).offset(query.offset)
        rows = list(await conn.execute(stmt))
    return [_from_row(r) for r in rows], int(total)


async def rotate_secret(
    conn: AsyncConnection, project_id: str, app_id: str, secret_hash: str, previous_until: datetime | None, at: datetime
) -> bool:
    """Swap in a new secret; the old one stays valid until ``previous_until`` (None: not at all).
    One statement reads and writes the row, so two rotations cannot interleave."""
    stmt = (
        update(oauth_apps)
        .where(oauth_apps.c.id == app_id, oauth_apps.c.project_id == project_id, oauth_apps.c.secret_hash.is_not(None))
        .values(
            previous_secret_hash=oauth_apps.c.secret_hash if previous_until is not None else None,
            previous_secret_expires_at=previous_until,
            secret_hash=secret_hash,
            updated_at=at,
        )
    )
    if (await conn.execute(stmt)).rowcount != 1:
        return False
    await record_change(conn, ChangeKind.OAUTH_APP, app_id)
    return True
