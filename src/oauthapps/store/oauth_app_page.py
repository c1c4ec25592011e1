"""The query endpoint's page of OAuth apps, built straight from SQL in the wire shape: the
busiest read of the management API, so rows become wire JSON without becoming entities first, and
the common query (no filter) runs on the driver from a statement compiled once.

Counting every match costs as much as the project is large (an index entry per row, and on
PostgreSQL a heap visit per row until VACUUM has marked the pages all-visible), so the count
stops after COUNT_CAP + 1 rows. Past that, the paging metadata says tooManyToCount as Wix's does,
and the SDKs show no total (@wix/sdk then has no hasNext() either, so its paging loops stop:
the cap is set far above any project's OAuth apps in practice, and a page shorter than its
limit is still known to be the last). The page and its count are one statement: one round
trip, one snapshot."""

from __future__ import annotations

import functools
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import BigInteger, String, Text, bindparam, cast, func, literal, select, type_coerce
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import ColumnElement

from ..domain.oauth_app import wire_shape
from ..domain.query import Query, Sort
from .oauth_apps import QUERY_COLUMNS
from .query_sql import filter_sql, order_sql, too_complex_is_refused
from .schema import oauth_apps

COUNT_CAP = 10_000


@dataclass(frozen=True)
class Page:
    """One page of apps in their wire shape, and how many match: exact unless too_many, and then
    a lower bound (Wix clients show no total when tooManyToCount is set)."""

    items: list[dict[str, Any]]
    total: int
    too_many: bool


def _micros_iso(micros: int) -> str:
    """The wire date (domain.oauth_app.iso) straight from the stored microseconds."""
    seconds, rest = divmod(micros, 1_000_000)
    return f"{time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(seconds))}.{rest // 1000:03d}Z"


# The public fields only (never a secret hash). JSON columns come as their stored text and dates as
# integers, so a row becomes wire JSON without decoding and re-encoding every list.
_WIRE_COLUMNS = (
    oauth_apps.c.id,
    oauth_apps.c.name,
    oauth_apps.c.description,
    oauth_apps.c.login_url,
    oauth_apps.c.logout_url,
    cast(oauth_apps.c.allowed_redirect_uris, Text),
    cast(oauth_apps.c.allowed_redirect_domains, Text),
    oauth_apps.c.allow_secret_generation,
    oauth_apps.c.application_type,
    oauth_apps.c.technology,
    oauth_apps.c.redirect_url_wix_pages,
    cast(oauth_apps.c.wix_pages_domains_mappings, Text),
    oauth_apps.c.refresh_token_rotation,
    oauth_apps.c.require_exact_redirect_uri,
    type_coerce(oauth_apps.c.created_at, BigInteger),
    type_coerce(oauth_apps.c.updated_at, BigInteger),
)


def _wire(row: Sequence[Any]) -> dict[str, Any]:
    """Equal to domain.oauth_app.to_wire of the same app (tests/api/test_oauth_apps_query_page.py);
    the stored JSON lists go out as they are (orjson fragments), not decoded and re-encoded."""
    (
        app_id,
        name,
        description,
        login_url,
        logout_url,
        uris,
        domains,
        allow_secret,
        app_type,
        technology,
        wix_pages_url,
        mappings,
        rotation,
        exact_only,
        created,
        updated,
        _count,
    ) = row
    created_iso = _micros_iso(created)
    return wire_shape(
        id=app_id,
        created=created_iso,
        updated=created_iso if updated == created else _micros_iso(updated),
        name=name,
        description=description,
        redirect_uris=orjson.Fragment(uris),
        redirect_domains=orjson.Fragment(domains),
        allow_secret_generation=bool(allow_secret),
        application_type=app_type,
        technology=technology,
        wix_pages_domains_mappings=orjson.Fragment(mappings),
        refresh_token_rotation=bool(rotation),
        require_exact_redirect_uri=bool(exact_only),
        login_url=login_url,
        logout_url=logout_url,
        redirect_url_wix_pages=wix_pages_url,
    )


_TENANT = oauth_apps.c.project_id == bindparam("project_id", type_=String)


def _bounded_count(where: ColumnElement[bool]) -> Select[int]:
    """How many rows match, counting no further than COUNT_CAP + 1 (read from an index)."""
    matches = select(literal(1)).select_from(oauth_apps).where(where).limit(COUNT_CAP + 1).subquery()
    return select(func.count()).select_from(matches)


def _page_sql(where: ColumnElement[bool], sort: tuple[Sort, ...]) -> Select[Any]:
    """The page's rows, each carrying the bounded count (uncorrelated, so evaluated once)."""
    count = _bounded_count(where).scalar_subquery().label("matches")
    return (
        select(*_WIRE_COLUMNS, count)
        .where(where)
        .order_by(*order_sql(sort, QUERY_COLUMNS))
        .limit(bindparam("limit", type_=BigInteger))
        .offset(bindparam("offset", type_=BigInteger))
    )


_COUNT_SQL = _bounded_count(_TENANT)


@dataclass(frozen=True)
class _DriverSql:
    """A statement compiled once for one driver: its text, and its parameters in order (those
    SQLAlchemy bound itself, like the count's LIMIT, with their values)."""

    text: str
    names: tuple[str, ...]
    fixed: dict[str, Any]

    def args(self, values: dict[str, Any]) -> list[Any]:
        return [values[n] if n in values else self.fixed[n] for n in self.names]


@functools.lru_cache(maxsize=64)
def _unfiltered_sql(dialect: Dialect, sort: tuple[Sort, ...]) -> _DriverSql:
    """The common query (no filter) compiled once per engine and sort: it then runs straight on the
    driver, without SQLAlchemy building, caching and wrapping a statement per request."""
    compiled = _page_sql(_TENANT, sort).compile(dialect=dialect)
    return _DriverSql(compiled.string, tuple(compiled.positiontup or ()), dict(compiled.params))


async def _driver_rows(conn: AsyncConnection, sql: _DriverSql, values: dict[str, Any]) -> list[Any]:
    """One statement on the pooled connection's driver: asyncpg (one round trip, in autocommit as
    no transaction was begun) or aiosqlite (one hop to its thread, a read transaction of its own)."""
    driver = (await conn.get_raw_connection()).driver_connection
    assert driver is not None  # a pooled connection is open
    if conn.dialect.name == "postgresql":
        return list(await driver.fetch(sql.text, *sql.args(values)))
    return list(await driver.execute_fetchall(sql.text, sql.args(values)))


def bounded_total(shown: int, counted: int, limit: int, offset: int) -> tuple[int, bool]:
    """How many match, and whether that is only a lower bound, from a page of ``shown`` rows and
    the bounded count (COUNT_CAP + 1 means "more than COUNT_CAP")."""
    if 0 < shown < limit:  # the last page: where it ends is the exact total, however far
        return offset + shown, False
    if counted <= COUNT_CAP:
        return counted, False
    return max(counted, offset + shown if shown else 0), True


def _page(items: list[dict[str, Any]], counted: int, query: Query) -> Page:
    return Page(items, *bounded_total(len(items), counted, query.limit, query.offset))


@too_complex_is_refused
async def query_page(conn: AsyncConnection, project_id: str, query: Query) -> Page:
    """The page and its bounded count in one statement; a second one only when the page is empty
    past the first (no row to carry the count) or not asked for (limit 0). ``conn`` must not be in
    a transaction: each statement is its own snapshot."""
    values = {"project_id": project_id, "limit": query.limit, "offset": query.offset}
    where = _TENANT if query.filter is None else _TENANT & filter_sql(query.filter, QUERY_COLUMNS)
    rows: list[Any] = []
    if query.limit and query.filter is None:
        rows = await _driver_rows(conn, _unfiltered_sql(conn.dialect, query.sort), values)
    elif query.limit:
        rows = list(await conn.execute(_page_sql(where, query.sort), values))
    if rows:
        return _page([_wire(r) for r in rows], rows[0][-1], query)
    if query.limit and query.offset == 0:
        return Page([], 0, False)
    count = _COUNT_SQL if query.filter is None else _bounded_count(where)
    return _page([], (await conn.execute(count, values)).scalar_one(), query)
