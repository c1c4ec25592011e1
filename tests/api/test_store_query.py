"""Parsed queries run through store/query_sql.py on a real SQLite file and a real PostgreSQL
database. Every expectation is spelled out once and checked on both engines, so the two engines
must give identical results (and the right ones)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from oauthapps.domain.oauth_app import OAuthApp
from oauthapps.domain.query import parse_query
from oauthapps.store import oauth_apps as repo
from oauthapps.store.database import Database
from oauthapps.store.schema import projects

from ..support.servers import seeded_database

P1, P2 = "project-1", "project-2"
T0 = datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)

# id -> (name, minutes after T0). Equal names and equal timestamps on purpose.
ROWS: dict[str, tuple[str, int]] = {
    "a01": ("100% pure", 1),
    "a02": ("100 percent", 2),
    "a03": ("a_b site", 3),
    "a04": ("aXb site", 4),
    "a05": ("back\\slash", 5),
    "a06": ("backXslash", 6),
    "a07": ("Shop", 7),
    "a08": ("shop", 8),
    "a09": ("SHOPPING", 9),
    "a10": ("Same", 10),
    "a11": ("Same", 10),
    "a12": ("Same", 10),
    "a13": ("École", 11),
    "a14": ("école", 12),
    "a15": ("Ecole", 13),
    "a16": ("_under", 14),
    "a17": ("Same", 15),
}
OTHER_PROJECT_ROWS = {"b01": ("Shop", 7), "b02": ("Same", 10)}
ALL = sorted(ROWS)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def iso(minutes: int, offset_hours: int = 0) -> str:
    tz = timezone(timedelta(hours=offset_hours))
    text = at(minutes).astimezone(tz).isoformat()
    return text.replace("+00:00", "Z")


async def _seed(url: str) -> None:
    db = Database.open(url)
    try:
        async with db.transaction() as conn:
            for pid in (P1, P2):
                await conn.execute(projects.insert().values(id=pid, name=pid, created_at=T0))
            for pid, rows in ((P1, ROWS), (P2, OTHER_PROJECT_ROWS)):
                for app_id, (name, minutes) in rows.items():
                    await repo.insert_app(
                        conn, OAuthApp(id=app_id, project_id=pid, name=name, created_at=at(minutes), updated_at=at(minutes))
                    )
    finally:
        await db.close()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with seeded_database(request.param, tmp_path_factory.mktemp(f"query-{request.param}"), _seed) as url:
        yield url


def run(url: str, *queries: Any, project: str = P1) -> list[tuple[list[str], int]]:
    """Run each raw query; return (ids in result order, total) for each."""
    parsed = [parse_query(q, repo.QUERY_SPEC) for q in queries]

    async def main() -> list[tuple[list[str], int]]:
        db = Database.open(url)
        try:
            out = []
            async with db.transaction() as conn:
                for q in parsed:
                    apps, total = await repo.query_apps(conn, project, q)
                    out.append(([a.id for a in apps], total))
            return out
        finally:
            await db.close()

    return asyncio.run(main())


def ids(url: str, filter_: Any, sort: Any = None, paging: Any = None) -> list[str]:
    query: dict[str, Any] = {"filter": filter_, "sort": sort or [{"fieldName": "id"}], "paging": paging or {"limit": 100}}
    [(found, total)] = run(url, query)
    assert total == len(found) or paging is not None
    return found


# --- $startsWith ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [
        ("100%", ["a01"]),  # % is literal, so "100 percent" does not match
        ("100", ["a01", "a02"]),
        ("%", []),
        ("a_b", ["a03"]),  # _ is literal, so "aXb site" does not match
        ("_", ["a16"]),
        ("_UNDER", ["a16"]),
        ("back\\", ["a05"]),  # a backslash is literal too
        ("back\\s", ["a05"]),
        ("back\\%", []),
        ("\\", []),
        ("shop", ["a07", "a08", "a09"]),  # case-insensitive
        ("SHOP", ["a07", "a08", "a09"]),
        ("sHoP", ["a07", "a08", "a09"]),
        ("shopp", ["a09"]),
        ("Shop ", []),
        ("same", ["a10", "a11", "a12", "a17"]),
        ("", ALL),
        # Non-ASCII letters: the exact spelling always matches, on both engines alike.
        ("École", ["a13"]),
        ("école", ["a14"]),
        ("ÉCOLE", ["a13"]),
        ("ecole", ["a15"]),
    ],
)
def test_starts_with(db_url: str, prefix: str, expected: list[str]) -> None:
    assert ids(db_url, {"name": {"$startsWith": prefix}}) == expected


def test_starts_with_inside_not_and_or(db_url: str) -> None:
    assert ids(db_url, {"$not": {"name": {"$startsWith": "s"}}}) == [
        i for i in ALL if i not in ("a07", "a08", "a09", "a10", "a11", "a12", "a17")
    ]
    assert ids(db_url, {"$or": [{"name": {"$startsWith": "100%"}}, {"name": {"$startsWith": "a_"}}]}) == ["a01", "a03"]
    assert ids(db_url, {"$and": [{"name": {"$startsWith": "s"}}, {"name": {"$ne": "Same"}}]}) == ["a07", "a08", "a09"]


# --- equality and sets ------------------------------------------------------------------------


def test_eq_ne_in(db_url: str) -> None:
    assert ids(db_url, {"name": "shop"}) == ["a08"]  # $eq is exact, not case-insensitive
    assert ids(db_url, {"name": {"$eq": "Shop"}}) == ["a07"]
    assert ids(db_url, {"name": {"$ne": "Same"}}) == [i for i in ALL if ROWS[i][0] != "Same"]
    assert ids(db_url, {"name": {"$in": ["Shop", "nope", "100% pure"]}}) == ["a01", "a07"]
    assert ids(db_url, {"_id": {"$in": ["a03", "a02", "b01"]}}) == ["a02", "a03"]
    assert ids(db_url, {"id": {"$ne": "a01"}}) == ALL[1:]


def test_in_with_an_empty_list_matches_nothing(db_url: str) -> None:
    [(found, total)] = run(db_url, {"filter": {"name": {"$in": []}}})
    assert (found, total) == ([], 0)
    assert ids(db_url, {"$not": {"name": {"$in": []}}}) == ALL
    assert ids(db_url, {"$or": [{"name": {"$in": []}}, {"name": "Shop"}]}) == ["a07"]


def test_other_projects_rows_never_show(db_url: str) -> None:
    [(found, total)] = run(db_url, {"paging": {"limit": 100}})
    assert total == len(ROWS) and sorted(found) == ALL
    [(found, total)] = run(db_url, {"filter": {"name": "Shop"}}, project=P2)
    assert (found, total) == (["b01"], 1)
    [(found, total)] = run(db_url, {}, project="no-such-project")
    assert (found, total) == ([], 0)


# --- datetimes --------------------------------------------------------------------------------


def test_datetime_comparisons(db_url: str) -> None:
    # Stored with microseconds; the exact instant is found whatever offset the caller writes it in.
    assert ids(db_url, {"createdDate": iso(7)}) == ["a07"]
    assert ids(db_url, {"createdDate": iso(7, offset_hours=2)}) == ["a07"]
    assert ids(db_url, {"createdDate": {"$eq": {"$date": iso(7, offset_hours=-5)}}}) == ["a07"]
    assert ids(db_url, {"createdDate": (at(7) + timedelta(microseconds=1)).isoformat()}) == []
    assert ids(db_url, {"createdDate": {"$gt": iso(10)}}) == ["a13", "a14", "a15", "a16", "a17"]
    assert ids(db_url, {"createdDate": {"$gte": iso(10)}}) == ["a10", "a11", "a12", "a13", "a14", "a15", "a16", "a17"]
    assert ids(db_url, {"createdDate": {"$lt": iso(3)}}) == ["a01", "a02"]
    assert ids(db_url, {"createdDate": {"$lte": iso(3)}}) == ["a01", "a02", "a03"]
    assert ids(db_url, {"created_date": {"$gt": iso(2), "$lt": {"$date": iso(5)}}}) == ["a03", "a04"]
    # Naive means UTC; one microsecond before the first row.
    naive = (at(1) - timedelta(microseconds=1)).replace(tzinfo=None).isoformat()
    assert ids(db_url, {"createdDate": {"$gt": naive}}) == ALL
    assert ids(db_url, {"createdDate": {"$lt": "1970-01-01T00:00:00Z"}}) == []
    assert ids(db_url, {"createdDate": {"$gt": "0001-01-02T00:00:00Z", "$lt": "9999-12-31T00:00:00Z"}}) == ALL


def test_datetime_sort(db_url: str) -> None:
    expected_asc = sorted(ALL, key=lambda i: (ROWS[i][1], i))
    expected_desc = sorted(ALL, key=lambda i: (ROWS[i][1], i), reverse=True)
    assert ids(db_url, None, sort=[{"fieldName": "createdDate"}]) == expected_asc
    assert ids(db_url, None, sort=[{"fieldName": "_createdDate", "order": "DESC"}]) == expected_desc


# --- sort and paging --------------------------------------------------------------------------


def test_default_sort_is_id_descending(db_url: str) -> None:
    [(found, total)] = run(db_url, {})
    assert found == sorted(ALL, reverse=True) and total == len(ALL)


@pytest.mark.parametrize("order", ["ASC", "DESC"])
@pytest.mark.parametrize("page_size", [1, 2, 3, 5])
def test_paging_through_equal_names_is_stable(db_url: str, order: str, page_size: int) -> None:
    # Python's str order is code point order, which is what both engines use here
    # (SQLite's BINARY collation; PostgreSQL's C.UTF-8 test database).
    expected = sorted(ALL, key=lambda i: (ROWS[i][0], i), reverse=order == "DESC")
    sort = [{"fieldName": "name", "order": order}]
    pages = run(db_url, *({"sort": sort, "paging": {"limit": page_size, "offset": o}} for o in range(0, len(ALL) + page_size, page_size)))
    seen = [app_id for page, _ in pages for app_id in page]
    assert seen == expected
    assert all(total == len(ALL) for _, total in pages)
    assert pages[-1][0] == []  # past the end: empty page, same total
    # The equal names come in tiebreaker order, in the sort's direction.
    same = [i for i in seen if ROWS[i][0] == "Same"]
    assert same == (["a10", "a11", "a12", "a17"] if order == "ASC" else ["a17", "a12", "a11", "a10"])


def test_sort_on_two_keys(db_url: str) -> None:
    sort = [{"fieldName": "name", "order": "ASC"}, {"fieldName": "createdDate", "order": "DESC"}]
    found = ids(db_url, {"name": "Same"}, sort=sort)
    assert found == ["a17", "a12", "a11", "a10"]  # a10-a12 share a timestamp: id DESC breaks the tie


def test_paging_limits_and_offsets(db_url: str) -> None:
    results = run(
        db_url,
        {"filter": {"name": "Same"}, "paging": {"limit": 0}},
        {"filter": {"name": "Same"}, "sort": [{"fieldName": "id"}], "paging": {"limit": 2, "offset": 3}},
        {"filter": {"name": "Same"}, "paging": {"offset": 4}},
        {"paging": {"offset": 2**62}},
        {"paging": {"limit": 100, "offset": 2**63 - 1}},
    )
    assert results == [([], 4), (["a17"], 4), ([], 4), ([], len(ALL)), ([], len(ALL))]


def test_filter_sort_and_page_together(db_url: str) -> None:
    query = {
        "filter": {"$or": [{"name": {"$startsWith": "s"}}, {"createdDate": {"$lt": iso(3)}}], "_id": {"$ne": "a08"}},
        "sort": [{"fieldName": "name", "order": "DESC"}],
        "paging": {"limit": 3, "offset": 1},
    }
    [(found, total)] = run(db_url, query)
    # Matching: a01 a02 a07 a09 a10 a11 a12 a17 (a08 excluded). By name DESC, then id DESC:
    # Shop(a07) Same(a17 a12 a11 a10) SHOPPING(a09) 100% pure(a01) 100 percent(a02)
    assert total == 8
    assert found == ["a17", "a12", "a11"]
