"""POST /query: every filter operator, $and/$or, bare values, sorting, paging and errors."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest

from ..support.oauth_apps import BASE, SHORT_BASE, assert_violation, create, query
from ..support.servers import Server
from ..support.tenants import Tenant, new_tenant

NAMES = ["charlie", "alpha", "echo", "bravo", "foxtrot", "delta"]  # creation order differs from name order


@pytest.fixture(scope="module")
def shared(server: Server) -> Iterator[tuple[Tenant, list[dict[str, Any]]]]:
    """One project with six apps, created a few milliseconds apart (oldest first), shared by the
    read-only tests of this module. Tests that add apps use a fresh ``tenant`` instead."""
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        owner = new_tenant(client, server.database_url, name="Query catalogue")
        apps = []
        for name in NAMES:
            apps.append(create(client, owner, name=name))
            time.sleep(0.004)
        yield owner, apps


@pytest.fixture
def catalogue(shared: tuple[Tenant, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    return shared[1]


@pytest.fixture
def reader(shared: tuple[Tenant, list[dict[str, Any]]]) -> Tenant:
    """The tenant that owns ``catalogue``."""
    return shared[0]


def found(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"oAuthApps", "pagingMetadata"}
    for app in body["oAuthApps"]:
        assert "secret" not in app
    apps: list[dict[str, Any]] = body["oAuthApps"]
    return apps


def names(response: httpx.Response) -> list[str]:
    return [a["name"] for a in found(response)]


def name_set(response: httpx.Response) -> set[str]:
    return set(names(response))


def meta(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    m: dict[str, Any] = response.json()["pagingMetadata"]
    return m


# --- basics -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [{}, {"query": None}, {"query": {}}, {"query": {"filter": {}, "paging": {"offset": 0, "limit": 50}}}],
    ids=["empty-body", "null-query", "empty-query", "sdk-builder-defaults"],
)
def test_no_filter_lists_everything_newest_id_first(
    http: httpx.Client, reader: Tenant, catalogue: list[dict[str, Any]], body: dict[str, Any]
) -> None:
    response = http.post(f"{BASE}/query", headers=reader.app_headers, json=body)
    apps = found(response)
    assert [a["id"] for a in apps] == sorted((a["id"] for a in catalogue), reverse=True)  # default: id descending
    assert meta(response) == {"count": 6, "offset": 0, "total": 6, "tooManyToCount": False}
    by_id = {a["id"]: a for a in catalogue}
    for app in apps:
        assert app == {k: v for k, v in by_id[app["id"]].items() if k != "secret"}


def test_empty_project_gives_empty_list_not_missing_key(http: httpx.Client, tenant: Tenant) -> None:
    response = query(http, tenant, {})
    assert found(response) == []
    assert meta(response) == {"count": 0, "offset": 0, "total": 0, "tooManyToCount": False}


def test_short_prefix_query_is_the_same(http: httpx.Client, reader: Tenant, catalogue: list[dict[str, Any]]) -> None:
    q = {"query": {"sort": [{"fieldName": "name"}]}}
    long = http.post(f"{BASE}/query", headers=reader.app_headers, json=q)
    short = http.post(f"{SHORT_BASE}/query", headers=reader.app_headers, json=q)
    assert long.json() == short.json() and names(long) == sorted(NAMES)


# --- id -----------------------------------------------------------------------------------------


def test_id_eq_object_and_bare_value(http: httpx.Client, reader: Tenant, catalogue: list[dict[str, Any]]) -> None:
    target = catalogue[2]
    for filt in ({"id": {"$eq": target["id"]}}, {"id": target["id"]}, {"_id": target["id"]}):
        response = query(http, reader, {"filter": filt})
        assert [a["id"] for a in found(response)] == [target["id"]], filt
        assert meta(response)["total"] == 1
    assert found(query(http, reader, {"filter": {"id": str(uuid.uuid4())}})) == []


def test_id_in(http: httpx.Client, reader: Tenant, catalogue: list[dict[str, Any]]) -> None:
    wanted = [catalogue[0]["id"], catalogue[4]["id"], str(uuid.uuid4())]
    response = query(http, reader, {"filter": {"id": {"$in": wanted}}})
    assert {a["id"] for a in found(response)} == set(wanted[:2])
    assert meta(response)["total"] == 2
    assert found(query(http, reader, {"filter": {"id": {"$in": []}}})) == []


def test_id_ne(http: httpx.Client, reader: Tenant, catalogue: list[dict[str, Any]]) -> None:
    response = query(http, reader, {"filter": {"id": {"$ne": catalogue[0]["id"]}}})
    assert name_set(response) == set(NAMES) - {NAMES[0]}


# --- name ---------------------------------------------------------------------------------------


def test_name_eq_object_and_bare_value_exact(http: httpx.Client, reader: Tenant, catalogue: list[dict[str, Any]]) -> None:
    assert names(query(http, reader, {"filter": {"name": {"$eq": "echo"}}})) == ["echo"]
    assert names(query(http, reader, {"filter": {"name": "echo"}})) == ["echo"]
    assert names(query(http, reader, {"filter": {"name": "ech"}})) == []
    assert names(query(http, reader, {"filter": {"name": "ECHO"}})) == []


def test_name_in(http: httpx.Client, reader: Tenant, catalogue: list[dict[str, Any]]) -> None:
    assert name_set(query(http, reader, {"filter": {"name": {"$in": ["alpha", "delta", "zulu"]}}})) == {"alpha", "delta"}


def test_name_starts_with(http: httpx.Client, tenant: Tenant) -> None:
    made = [create(http, tenant, name=n)["name"] for n in ("delta", "Shop_Main", "shopXmain", "100%done", "1000 items", "de\\lta", "alpha")]
    assert made == ["delta", "Shop_Main", "shopXmain", "100%done", "1000 items", "de\\lta", "alpha"]
    assert name_set(query(http, tenant, {"filter": {"name": {"$startsWith": "d"}}})) == {"delta", "de\\lta"}
    assert name_set(query(http, tenant, {"filter": {"name": {"$startsWith": "de"}}})) == {"delta", "de\\lta"}
    assert name_set(query(http, tenant, {"filter": {"name": {"$startsWith": "del"}}})) == {"delta"}
    assert name_set(query(http, tenant, {"filter": {"name": {"$startsWith": "de\\"}}})) == {"de\\lta"}
    # Case-insensitive (A-Z), and LIKE wildcards in the prefix are literal characters.
    assert name_set(query(http, tenant, {"filter": {"name": {"$startsWith": "SHOP"}}})) == {"Shop_Main", "shopXmain"}
    assert name_set(query(http, tenant, {"filter": {"name": {"$startsWith": "shop_"}}})) == {"Shop_Main"}
    assert name_set(query(http, tenant, {"filter": {"name": {"$startsWith": "100%"}}})) == {"100%done"}
    assert name_set(query(http, tenant, {"filter": {"name": {"$startsWith": "%"}}})) == set()
    assert name_set(query(http, tenant, {"filter": {"name": {"$startsWith": "_"}}})) == set()
    assert name_set(query(http, tenant, {"filter": {"name": {"$startsWith": "alphabet"}}})) == set()
    assert meta(query(http, tenant, {"filter": {"name": {"$startsWith": ""}}}))["total"] == len(made)


# --- createdDate --------------------------------------------------------------------------------


def test_created_date_comparisons_use_the_returned_timestamps(http: httpx.Client, reader: Tenant, catalogue: list[dict[str, Any]]) -> None:
    pivot = catalogue[2]["createdDate"]
    older = set(NAMES[:2])
    newer = set(NAMES[3:])
    assert len({a["createdDate"] for a in catalogue}) == len(catalogue), "apps must have distinct timestamps"
    assert name_set(query(http, reader, {"filter": {"createdDate": {"$gt": pivot}}})) == newer
    assert name_set(query(http, reader, {"filter": {"createdDate": {"$gte": pivot}}})) == newer | {NAMES[2]}
    assert name_set(query(http, reader, {"filter": {"createdDate": {"$lt": pivot}}})) == older
    assert name_set(query(http, reader, {"filter": {"createdDate": {"$lte": pivot}}})) == older | {NAMES[2]}
    assert names(query(http, reader, {"filter": {"createdDate": {"$eq": pivot}}})) == [NAMES[2]]
    assert names(query(http, reader, {"filter": {"createdDate": pivot}})) == [NAMES[2]]
    assert names(query(http, reader, {"filter": {"createdDate": {"$date": pivot}}})) == [NAMES[2]]
    assert names(query(http, reader, {"filter": {"createdDate": {"$eq": {"$date": pivot}}}})) == [NAMES[2]]


def test_created_date_range_and_other_offsets(http: httpx.Client, reader: Tenant, catalogue: list[dict[str, Any]]) -> None:
    low, high = catalogue[1]["createdDate"], catalogue[4]["createdDate"]
    response = query(http, reader, {"filter": {"createdDate": {"$gt": low, "$lt": high}}})
    assert name_set(response) == set(NAMES[2:4])
    # The same instant written with another UTC offset.
    pivot = datetime.fromisoformat(catalogue[3]["createdDate"])
    in_plus_two = pivot.astimezone(timezone(timedelta(hours=2))).isoformat(timespec="milliseconds")
    assert names(query(http, reader, {"filter": {"createdDate": in_plus_two}})) == [NAMES[3]]
    # Far past and far future.
    assert meta(query(http, reader, {"filter": {"createdDate": {"$gt": "2000-01-01T00:00:00Z"}}}))["total"] == 6
    assert meta(query(http, reader, {"filter": {"createdDate": {"$gt": "2999-01-01T00:00:00.000Z"}}}))["total"] == 0


def test_created_date_snake_case_alias_in_filter(http: httpx.Client, reader: Tenant, catalogue: list[dict[str, Any]]) -> None:
    pivot = catalogue[2]["createdDate"]
    assert name_set(query(http, reader, {"filter": {"created_date": {"$gt": pivot}}})) == set(NAMES[3:])
    assert name_set(query(http, reader, {"filter": {"_createdDate": {"$lte": pivot}}})) == set(NAMES[:3])


# --- $and / $or -----------------------------------------------------------------------------------


def test_and_or_and_implicit_and(http: httpx.Client, reader: Tenant, catalogue: list[dict[str, Any]]) -> None:
    pivot = catalogue[2]["createdDate"]  # names created after it: bravo, foxtrot, delta
    cases: list[tuple[dict[str, Any], set[str]]] = [
        ({"$and": [{"name": {"$startsWith": "d"}}, {"createdDate": {"$gt": pivot}}]}, {"delta"}),
        ({"$and": [{"name": {"$startsWith": "a"}}, {"createdDate": {"$gt": pivot}}]}, set()),
        ({"$or": [{"name": "alpha"}, {"name": "echo"}, {"id": catalogue[5]["id"]}]}, {"alpha", "echo", "delta"}),
        ({"name": {"$startsWith": "d"}, "createdDate": {"$gt": pivot}}, {"delta"}),  # two keys: both must hold
        ({"name": {"$in": ["alpha", "bravo", "charlie"]}, "$or": [{"name": "bravo"}, {"name": "charlie"}]}, {"bravo", "charlie"}),
        ({"$or": [{"$and": [{"name": {"$startsWith": "b"}}, {"createdDate": {"$gte": pivot}}]}, {"name": "alpha"}]}, {"bravo", "alpha"}),
        ({"$and": [{"$or": [{"name": "alpha"}, {"name": "bravo"}]}, {"$or": [{"name": "bravo"}, {"name": "echo"}]}]}, {"bravo"}),
        ({"$or": [{"name": "nobody"}]}, set()),
        ({"$and": [{"id": {"$in": [a["id"] for a in catalogue]}}]}, set(NAMES)),
    ]
    for filt, expected in cases:
        response = query(http, reader, {"filter": filt})
        assert name_set(response) == expected, filt
        assert meta(response)["total"] == len(expected)


def test_two_operators_on_one_field_both_apply(http: httpx.Client, reader: Tenant, catalogue: list[dict[str, Any]]) -> None:
    response = query(http, reader, {"filter": {"name": {"$startsWith": "e", "$in": ["echo", "alpha"]}}})
    assert names(response) == ["echo"]


# --- sort ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["createdDate", "name", "id", "created_date", "_createdDate", "_id"])
@pytest.mark.parametrize("order", ["ASC", "DESC"])
def test_sort_each_field_both_directions(
    http: httpx.Client, reader: Tenant, catalogue: list[dict[str, Any]], field: str, order: str
) -> None:
    key = {"created_date": "createdDate", "_createdDate": "createdDate", "_id": "id"}.get(field, field)
    expected = sorted(catalogue, key=lambda a: a[key], reverse=order == "DESC")
    response = query(http, reader, {"sort": [{"fieldName": field, "order": order}]})
    assert [a["id"] for a in found(response)] == [a["id"] for a in expected]


def test_sort_created_date_matches_creation_order(http: httpx.Client, reader: Tenant, catalogue: list[dict[str, Any]]) -> None:
    assert names(query(http, reader, {"sort": [{"fieldName": "createdDate", "order": "ASC"}]})) == NAMES
    assert names(query(http, reader, {"sort": [{"fieldName": "created_date", "order": "DESC"}]})) == NAMES[::-1]


def test_sort_defaults_to_ascending_and_accepts_lowercase_order(
    http: httpx.Client, reader: Tenant, catalogue: list[dict[str, Any]]
) -> None:
    assert names(query(http, reader, {"sort": [{"fieldName": "name"}]})) == sorted(NAMES)
    assert names(query(http, reader, {"sort": [{"fieldName": "name", "order": "desc"}]})) == sorted(NAMES, reverse=True)


def test_sort_by_several_keys(http: httpx.Client, tenant: Tenant) -> None:
    twins = [create(http, tenant, name="twin") for _ in range(3)]
    response = query(http, tenant, {"filter": {"name": "twin"}, "sort": [{"fieldName": "name"}, {"fieldName": "id", "order": "DESC"}]})
    assert [a["id"] for a in found(response)] == sorted((t["id"] for t in twins), reverse=True)
    response = query(http, tenant, {"filter": {"name": "twin"}, "sort": [{"fieldName": "name"}, {"fieldName": "id", "order": "ASC"}]})
    assert [a["id"] for a in found(response)] == sorted(t["id"] for t in twins)


# --- paging -------------------------------------------------------------------------------------


def test_paging_walks_every_item_exactly_once(http: httpx.Client, reader: Tenant, catalogue: list[dict[str, Any]]) -> None:
    seen: list[str] = []
    for offset in (0, 2, 4):
        response = query(http, reader, {"sort": [{"fieldName": "name"}], "paging": {"limit": 2, "offset": offset}})
        assert meta(response) == {"count": 2, "offset": offset, "total": 6, "tooManyToCount": False}
        seen += names(response)
    assert seen == sorted(NAMES)
    response = query(http, reader, {"sort": [{"fieldName": "name"}], "paging": {"limit": 4, "offset": 4}})
    assert names(response) == sorted(NAMES)[4:]
    assert meta(response) == {"count": 2, "offset": 4, "total": 6, "tooManyToCount": False}


def test_offset_past_the_end_and_limit_zero(http: httpx.Client, reader: Tenant, catalogue: list[dict[str, Any]]) -> None:
    response = query(http, reader, {"paging": {"offset": 10}})
    assert found(response) == [] and meta(response) == {"count": 0, "offset": 10, "total": 6, "tooManyToCount": False}
    response = query(http, reader, {"paging": {"limit": 0}})
    assert found(response) == [] and meta(response)["total"] == 6


def test_total_counts_the_filtered_set_not_the_page(http: httpx.Client, reader: Tenant, catalogue: list[dict[str, Any]]) -> None:
    response = query(
        http,
        reader,
        {"filter": {"name": {"$in": ["alpha", "bravo", "charlie"]}}, "paging": {"limit": 1, "offset": 1}, "sort": [{"fieldName": "name"}]},
    )
    assert names(response) == ["bravo"]
    assert meta(response) == {"count": 1, "offset": 1, "total": 3, "tooManyToCount": False}


def test_default_limit_is_50_and_max_is_100(http: httpx.Client, tenant: Tenant) -> None:
    for i in range(55):
        http.post(BASE, headers=tenant.app_headers, json={"oAuthApp": {"name": f"bulk-{i:03d}"}}).raise_for_status()
    response = query(http, tenant, {})
    assert meta(response) == {"count": 50, "offset": 0, "total": 55, "tooManyToCount": False}
    response = query(http, tenant, {"paging": {"offset": 50}})
    assert meta(response) == {"count": 5, "offset": 50, "total": 55, "tooManyToCount": False}
    assert meta(query(http, tenant, {"paging": {"limit": 100}}))["count"] == 55
    assert_violation(query(http, tenant, {"paging": {"limit": 101}}), "query.paging.limit", "OUT_OF_RANGE")


# --- errors ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("q", "field", "rule"),
    [
        ({"filter": {"description": "x"}}, "query.filter.description", "UNKNOWN_FIELD"),
        ({"filter": {"secret": "oas_x"}}, "query.filter.secret", "UNKNOWN_FIELD"),
        ({"filter": {"$or": [{"loginUrl": "x"}]}}, "query.filter.$or[0].loginUrl", "UNKNOWN_FIELD"),
        ({"filter": {"name": {"$regex": "a.*"}}}, "query.filter.name.$regex", "UNKNOWN_OPERATOR"),
        ({"filter": {"name": {"$contains": "a"}}}, "query.filter.name.$contains", "UNSUPPORTED_OPERATOR"),
        ({"filter": {"name": {"$regex": "a"}}}, "query.filter.name.$regex", "UNKNOWN_OPERATOR"),
        ({"filter": {"$nor": [{"name": "a"}]}}, "query.filter.$nor", "UNKNOWN_OPERATOR"),
        ({"filter": {"id": {"$startsWith": "a"}}}, "query.filter.id.$startsWith", "UNSUPPORTED_OPERATOR"),
        ({"filter": {"name": {"$gt": "a"}}}, "query.filter.name.$gt", "UNSUPPORTED_OPERATOR"),
        ({"filter": {"createdDate": {"$startsWith": "2024"}}}, "query.filter.createdDate.$startsWith", "UNSUPPORTED_OPERATOR"),
        ({"filter": {"createdDate": {"$in": ["2024-01-01T00:00:00Z"]}}}, "query.filter.createdDate.$in", "UNSUPPORTED_OPERATOR"),
        ({"filter": {"id": {"$in": "abc"}}}, "query.filter.id.$in", "TYPE"),
        ({"filter": {"id": {"$in": ["x"] * 101}}}, "query.filter.id.$in", "TYPE"),
        ({"filter": {"name": {"$startsWith": 5}}}, "query.filter.name.$startsWith", "TYPE"),
        ({"filter": {"name": 5}}, "query.filter.name", "TYPE"),
        ({"filter": {"name": None}}, "query.filter.name", "TYPE"),
        ({"filter": {"createdDate": {"$gt": "yesterday"}}}, "query.filter.createdDate.$gt", "FORMAT"),
        ({"filter": {"createdDate": {"$gt": 1700000000}}}, "query.filter.createdDate.$gt", "TYPE"),
        ({"filter": {"$and": []}}, "query.filter.$and", "TYPE"),
        ({"filter": {"$or": {"name": "a"}}}, "query.filter.$or", "TYPE"),
        ({"filter": ["name"]}, "query.filter", "TYPE"),
        ({"sort": [{"fieldName": "description"}]}, "query.sort[0].fieldName", "UNKNOWN_FIELD"),
        ({"sort": [{"fieldName": "name", "order": "UP"}]}, "query.sort[0].order", "ENUM"),
        ({"sort": [{"fieldName": "name", "direction": "ASC"}]}, "query.sort[0].direction", "UNKNOWN_FIELD"),
        ({"sort": "name"}, "query.sort", "TYPE"),
        ({"paging": {"limit": 101}}, "query.paging.limit", "OUT_OF_RANGE"),
        ({"paging": {"limit": -1}}, "query.paging.limit", "OUT_OF_RANGE"),
        ({"paging": {"offset": -1}}, "query.paging.offset", "OUT_OF_RANGE"),
        ({"paging": {"limit": "10"}}, "query.paging.limit", "TYPE"),
        ({"paging": {"limit": 2.5}}, "query.paging.limit", "TYPE"),
        ({"paging": {"limit": True}}, "query.paging.limit", "TYPE"),
        ({"paging": {"page": 2}}, "query.paging.page", "UNKNOWN_FIELD"),
        ({"paging": 10}, "query.paging", "TYPE"),
        ({"cursorPaging": {"limit": 10}}, "query.cursorPaging", "UNSUPPORTED"),
        ({"where": {"name": "x"}}, "query.where", "UNKNOWN_FIELD"),
        ({"filter": {"id": "a\u0000"}}, "query.filter.id", "NO_NUL_CHARACTER"),
        ({"filter": {"id": {"$in": ["ok", "\u0000"]}}}, "query.filter.id.$in[1]", "NO_NUL_CHARACTER"),
        ({"filter": {"name": {"$startsWith": "\u0000"}}}, "query.filter.name.$startsWith", "NO_NUL_CHARACTER"),
    ],
)
def test_bad_queries_are_validation_errors(http: httpx.Client, reader: Tenant, q: dict[str, Any], field: str, rule: str) -> None:
    assert_violation(query(http, reader, q), field, rule)


def test_query_must_be_an_object(http: httpx.Client, reader: Tenant) -> None:
    response = http.post(f"{BASE}/query", headers=reader.app_headers, json={"query": "name = x"})
    assert_violation(response, "query", "TYPE")


def test_deep_nesting_is_refused_not_a_crash(http: httpx.Client, reader: Tenant) -> None:
    filt: dict[str, Any] = {"name": "x"}
    for _ in range(40):
        filt = {"$and": [filt]}
    response = query(http, reader, {"filter": filt})
    assert response.status_code == 400
    assert response.json()["details"]["validationError"]["fieldViolations"][0]["violatedRule"] == "MAX_DEPTH"
