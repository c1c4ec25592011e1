"""Array operators ($hasSome, $hasAll), distinct values and aggregations of data items, run in SQL
on both engines, under the collection's read permission, with bad input a 400 naming the field."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from ..support.data import DataCallers, call, create_collection, data_callers, violation
from ..support.servers import Server
from ..support.tenants import Tenant, new_tenant

ROWS = [
    {"_id": "r1", "city": "Buffalo", "state": "NY", "year": 2000, "population": 292000, "tags": ["lake", "snow"]},
    {"_id": "r2", "city": "Buffalo", "state": "NY", "year": 2010, "population": 261000, "tags": ["lake"]},
    {"_id": "r3", "city": "Miami", "state": "FL", "year": 2000, "population": 362000, "tags": ["beach", "sun"]},
    {"_id": "r4", "city": "Miami", "state": "FL", "year": 2010, "population": 401000, "tags": "sun"},
    {"_id": "r5", "city": "Orlando", "state": "FL", "year": 2010, "population": 240000, "tags": [1, True]},
    {"_id": "r6", "city": "Nowhere", "year": 2010, "population": "unknown", "tags": {"sun": 1}},
]


@pytest.fixture(scope="module")
def world(server: Server) -> Iterator[tuple[httpx.Client, Tenant, DataCallers, str]]:
    with httpx.Client(base_url=server.base_url, timeout=30) as http:
        tenant = new_tenant(http, server.database_url, name="Aggregates project")
        name = create_collection(http, tenant)
        inserted = call(http, tenant.key_headers, "bulk/items/insert", {"dataCollectionId": name, "dataItems": [{"data": r} for r in ROWS]})
        assert inserted.json()["bulkActionMetadata"]["totalFailures"] == 0
        yield http, tenant, data_callers(http, tenant), name


def _ids(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return sorted(i["id"] for i in response.json()["dataItems"])


@pytest.mark.parametrize(
    ("condition", "ids"),
    [
        ({"$hasSome": ["sun", "snow"]}, ["r1", "r3", "r4"]),
        ({"$hasSome": ["lake"]}, ["r1", "r2"]),
        ({"$hasAll": ["lake", "snow"]}, ["r1"]),
        ({"$hasAll": ["sun"]}, ["r3", "r4"]),
        ({"$hasSome": [1]}, ["r5"]),
        ({"$hasSome": [True]}, ["r5"]),
        ({"$hasAll": [1, True]}, ["r5"]),
        ({"$hasSome": ["nothing"]}, []),
    ],
)
def test_array_operators(world: tuple[httpx.Client, Tenant, DataCallers, str], condition: dict[str, Any], ids: list[str]) -> None:
    """An array holds some / all of the values; a single value is one of them; an object (r6) and
    JSON types are told apart (1 is not true) the same way on both engines."""
    http, _, who, name = world
    assert _ids(call(http, who.visitor, "items/query", {"dataCollectionId": name, "query": {"filter": {"tags": condition}}})) == ids
    negated = call(http, who.visitor, "items/query", {"dataCollectionId": name, "query": {"filter": {"$not": {"tags": condition}}}})
    assert _ids(negated) == sorted({r["_id"] for r in ROWS} - set(ids))


@pytest.mark.parametrize(
    ("condition", "rule"),
    [({"$hasSome": []}, "TYPE"), ({"$hasAll": "x"}, "TYPE"), ({"$hasSome": [{"a": 1}]}, "TYPE"), ({"$hasAll": [None]}, "TYPE")],
)
def test_array_operator_bad_values(world: tuple[httpx.Client, Tenant, DataCallers, str], condition: dict[str, Any], rule: str) -> None:
    http, _, who, name = world
    found = violation(call(http, who.admin, "items/query", {"dataCollectionId": name, "query": {"filter": {"tags": condition}}}))
    assert found["field"].startswith("query.filter.tags.$has") and found["violatedRule"] == rule


def test_array_values_count_towards_the_limit(world: tuple[httpx.Client, Tenant, DataCallers, str]) -> None:
    http, _, who, name = world
    big = {"$and": [{"tags": {"$hasSome": list(range(100))}} for _ in range(11)]}
    found = violation(call(http, who.admin, "items/query", {"dataCollectionId": name, "query": {"filter": big}}))
    assert (found["violatedRule"], found["data"]) == ("MAX_IN_VALUES", {"max": 1000})


def test_distinct_values(world: tuple[httpx.Client, Tenant, DataCallers, str]) -> None:
    http, _, who, name = world
    body = {"dataCollectionId": name, "fieldName": "state"}
    got = call(http, who.visitor, "items/query-distinct-values", body).json()
    assert got["distinctValues"] == ["FL", "NY"]
    assert got["pagingMetadata"] == {"count": 2, "offset": 0, "total": 2, "tooManyToCount": False, "hasNext": False}
    years = call(http, who.visitor, "items/query-distinct-values", {**body, "fieldName": "year", "order": "DESC"}).json()
    assert years["distinctValues"] == [2010, 2000]
    filtered = {**body, "fieldName": "city", "filter": {"year": 2010}, "paging": {"limit": 2, "offset": 1}}
    page = call(http, who.visitor, "items/query-distinct-values", filtered).json()
    assert page["distinctValues"] == ["Miami", "Nowhere"] and page["pagingMetadata"]["total"] == 4
    assert page["pagingMetadata"]["hasNext"] is True
    assert len(call(http, who.visitor, "items/query-distinct-values", {**body, "fieldName": "_owner"}).json()["distinctValues"]) == 1


@pytest.mark.parametrize(
    ("body", "field", "rule"),
    [
        ({"fieldName": "bad-name"}, "fieldName", "UNKNOWN_FIELD"),
        ({"fieldName": None}, "fieldName", "TYPE"),
        ({"fieldName": "state", "order": "UP"}, "order", "ENUM"),
        ({"fieldName": "state", "filter": {"year": {"$regex": 1}}}, "filter.year.$regex", "UNKNOWN_OPERATOR"),
        ({"fieldName": "state", "paging": {"limit": 101}}, "paging.limit", "OUT_OF_RANGE"),
    ],
)
def test_distinct_bad_input(world: tuple[httpx.Client, Tenant, DataCallers, str], body: dict[str, Any], field: str, rule: str) -> None:
    http, _, who, name = world
    found = violation(call(http, who.visitor, "items/query-distinct-values", {"dataCollectionId": name, **body}))
    assert (found["field"], found["violatedRule"]) == (field, rule)


def _aggregate(http: httpx.Client, headers: dict[str, str], name: str, **body: Any) -> dict[str, Any]:
    response = call(http, headers, "items/aggregate", {"dataCollectionId": name, **body})
    assert response.status_code == 200, response.text
    return dict(response.json())


def _op(name: str, function: str, field: str | None = None) -> dict[str, Any]:
    return {"resultFieldName": name, function: {} if field is None else {"itemFieldName": field}}


def test_aggregate_group_count_sum_avg_min_max(world: tuple[httpx.Client, Tenant, DataCallers, str]) -> None:
    http, _, who, name = world
    ops = [
        _op("count", "itemCount"),
        _op("populationSum", "sum", "population"),
        _op("populationAvg", "average", "population"),
        _op("populationMin", "min", "population"),
        _op("populationMax", "max", "population"),
    ]
    got = _aggregate(http, who.visitor, name, aggregation={"groupingFields": ["state"], "operations": ops})
    rows = got["results"]
    assert [r["_id"] for r in rows] == [{"state": None}, {"state": "FL"}, {"state": "NY"}]
    fl = rows[1]
    assert (fl["state"], fl["count"], fl["populationSum"], fl["populationMin"], fl["populationMax"]) == ("FL", 3, 1003000, 240000, 401000)
    assert fl["populationAvg"] == pytest.approx(1003000 / 3)
    assert rows[0]["count"] == 1 and rows[0]["populationSum"] == 0 and rows[0]["populationAvg"] is None, "text is not a number"
    assert got["pagingMetadata"]["total"] == 3


def test_aggregate_filters_before_and_after_grouping_and_sorts(world: tuple[httpx.Client, Tenant, DataCallers, str]) -> None:
    http, _, who, name = world
    got = _aggregate(
        http,
        who.visitor,
        name,
        initialFilter={"year": 2010},
        aggregation={"groupingFields": ["state", "year"], "operations": [_op("total", "sum", "population")]},
        finalFilter={"total": {"$gt": 300000}},
        sort=[{"fieldName": "total", "order": "DESC"}],
    )
    assert [(r["_id"], r["total"]) for r in got["results"]] == [({"state": "FL", "year": 2010}, 641000)]
    whole = _aggregate(http, who.visitor, name, aggregation={"operations": [_op("n", "itemCount"), _op("top", "max", "year")]})
    assert whole["results"] == [{"_id": None, "n": 6, "top": 2010}]
    having_group = _aggregate(
        http,
        who.visitor,
        name,
        aggregation={"groupingFields": ["state"], "operations": [_op("n", "itemCount")]},
        finalFilter={"state": "NY"},
    )
    assert having_group["results"] == [{"_id": {"state": "NY"}, "state": "NY", "n": 2}]


@pytest.mark.parametrize(
    ("body", "field", "rule"),
    [
        ({"aggregation": {}}, "aggregation", "REQUIRED"),
        ({"aggregation": {"groupingFields": ["bad-name"]}}, "aggregation.groupingFields[0]", "UNKNOWN_FIELD"),
        ({"aggregation": {"groupingFields": ["_createdDate"]}}, "aggregation.groupingFields[0]", "UNSUPPORTED"),
        ({"aggregation": {"groupingFields": [f"f{i}" for i in range(11)]}}, "aggregation.groupingFields", "MAX_GROUP_FIELDS"),
        ({"aggregation": {"operations": [_op("n", "itemCount")] * 21}}, "aggregation.operations", "MAX_OPERATIONS"),
        ({"aggregation": {"operations": [{"resultFieldName": "n", "median": {}}]}}, "aggregation.operations[0]", "ONE_OF"),
        ({"aggregation": {"operations": [_op("n", "sum", "_id")]}}, "aggregation.operations[0].sum.itemFieldName", "UNSUPPORTED"),
        (
            {"aggregation": {"operations": [_op("n", "itemCount"), _op("n", "itemCount")]}},
            "aggregation.operations[1].resultFieldName",
            "DUPLICATE",
        ),
        ({"aggregation": {"operations": [_op("n", "itemCount")]}, "finalFilter": {"other": 1}}, "finalFilter.other", "UNKNOWN_FIELD"),
        (
            {"aggregation": {"operations": [_op("n", "itemCount")]}, "finalFilter": {"n": {"$contains": "1"}}},
            "finalFilter.n.$contains",
            "UNSUPPORTED_OPERATOR",
        ),
        ({"aggregation": {"operations": [_op("n", "itemCount")]}, "initialFilter": {"$nor": 1}}, "initialFilter.$nor", "UNKNOWN_OPERATOR"),
        ({"aggregation": {"operations": [_op("n", "itemCount")]}, "sort": [{"fieldName": "x"}]}, "sort[0].fieldName", "UNKNOWN_FIELD"),
    ],
)
def test_aggregate_bad_input(world: tuple[httpx.Client, Tenant, DataCallers, str], body: dict[str, Any], field: str, rule: str) -> None:
    http, _, who, name = world
    found = violation(call(http, who.visitor, "items/aggregate", {"dataCollectionId": name, **body}))
    assert (found["field"], found["violatedRule"]) == (field, rule)


def test_reads_follow_the_read_permission(world: tuple[httpx.Client, Tenant, DataCallers, str]) -> None:
    """SITE_MEMBER_AUTHOR reads: the author's distinct values and aggregates cover only her items;
    a visitor is refused; the admin sees all."""
    http, tenant, who, _ = world
    name = create_collection(http, tenant, read="SITE_MEMBER_AUTHOR", insert="SITE_MEMBER")
    call(http, who.author, "items", {"dataCollectionId": name, "dataItem": {"data": {"kind": "mine", "n": 1}}})
    call(http, who.other, "items", {"dataCollectionId": name, "dataItem": {"data": {"kind": "theirs", "n": 5}}})
    body = {"dataCollectionId": name, "fieldName": "kind"}
    assert call(http, who.author, "items/query-distinct-values", body).json()["distinctValues"] == ["mine"]
    assert call(http, who.admin, "items/query-distinct-values", body).json()["distinctValues"] == ["mine", "theirs"]
    refused = call(http, who.visitor, "items/query-distinct-values", body)
    assert refused.status_code == 403 and refused.json()["details"]["applicationError"]["code"] == "WDE0027"
    agg = {"aggregation": {"operations": [_op("total", "sum", "n")]}}
    assert _aggregate(http, who.author, name, **agg)["results"][0]["total"] == 1
    assert _aggregate(http, who.admin, name, **agg)["results"][0]["total"] == 6
    assert call(http, who.visitor, "items/aggregate", {"dataCollectionId": name, **agg}).status_code == 403
