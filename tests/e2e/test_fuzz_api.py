"""A bounded schema-driven fuzz run against a real server, on both databases: no request, however
malformed, may get a 5xx.

* The management API: every operation of ``/openapi.json``, with requests that fit the document
  and requests that break it (schemathesis), as an owner with every scope.
* The data items API, which the OpenAPI document does not cover: a hand-written hypothesis
  strategy of inserts, updates, gets, removals, counts and queries (filters, sorts, paging,
  projections, the ``.r`` GET form), with hostile JSON values, as an admin and as a visitor.

Runs are derandomised (the same cases every time, so a failure reproduces) and sized to take well
under a minute per database; FUZZ_EXAMPLES scales them.
"""

from __future__ import annotations

import base64
import json
import os
import uuid
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ..support.members import fresh_address
from ..support.oauth2 import new_client, visitor_tokens
from ..support.servers import Server
from ..support.tenants import Tenant

pytestmark = pytest.mark.fuzz

SCALE = float(os.environ.get("FUZZ_EXAMPLES", "1"))
ITEMS = "/wix-data/v2/items"
BULK = "/wix-data/v2/bulk/items"


def fuzz_settings(examples: int) -> settings:
    return settings(
        max_examples=max(1, int(examples * SCALE)),
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        print_blob=True,
    )


def no_server_error(method: str, url: str, status: int, sent: Any, answer: str) -> None:
    assert status < 500, f"{method} {url} -> {status}\nsent: {sent!r:.2000}\nanswer: {answer[:2000]}"


# --- the management API (schemathesis) ------------------------------------------------------------


def test_management_api_answers_every_generated_request_without_a_server_error(server: Server, tenant: Tenant) -> None:
    import schemathesis
    from schemathesis.generation.modes import GenerationMode

    document = httpx.get(f"{server.base_url}/openapi.json", timeout=30).json()
    schema = schemathesis.openapi.from_dict(document)
    owner = tenant.key_headers
    with httpx.Client(base_url=server.base_url, timeout=30) as http:
        existing = http.post("/oauth-app/v1/oauth-apps", headers=owner, json={"oAuthApp": {"name": "Fuzzed"}}).json()["oAuthApp"]["id"]
    strategies = [schema.as_strategy(GenerationMode.POSITIVE), schema.as_strategy(GenerationMode.NEGATIVE)]
    # Half of the path parameters name an app that exists, so updates and secrets get past the lookup.
    names = {
        p["name"]
        for item in document["paths"].values()
        for op in item.values()
        if isinstance(op, dict)
        for p in op.get("parameters", [])
        if p.get("in") == "path"
    }
    strategies += [schema.as_strategy(mode, path_parameters=dict.fromkeys(names, existing)) for mode in GenerationMode]
    session = __import__("requests").Session()

    @fuzz_settings(400)
    @given(case=st.one_of(strategies))
    def run(case: Any) -> None:
        response = case.call(base_url=server.base_url, session=session, headers=owner, timeout=30)
        no_server_error(
            case.method, case.formatted_path, response.status_code, case.body if case.body is not None else case.query, response.text
        )

    try:
        run()
    finally:
        session.close()


# --- the data items API (hand-written strategy) ---------------------------------------------------

# Mostly names a collection has (so requests get past validation to the SQL), some hostile ones.
KNOWN_FIELDS = st.sampled_from(["title", "price", "tag", "stock", "nested", "n", "_id", "_owner", "_createdDate", "_updatedDate"])
ODD_FIELDS = st.sampled_from(["a.b", "nested.deep.x", "", "$gt", "x" * 300, "a\x00", "é", "_secret"])
FIELDS = st.one_of(KNOWN_FIELDS, KNOWN_FIELDS, KNOWN_FIELDS, ODD_FIELDS)
NASTY_TEXT = st.sampled_from(
    ["\x00", "a\x00b", "\ud7ff", "\U0001f600", "%", "_", "\\", "'", '"', "2026-01-01T00:00:00Z", "\u202e", "x" * 5000]
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=40),
    NASTY_TEXT,
    st.fixed_dictionaries({"$date": st.one_of(st.text(max_size=30), st.just("2026-01-01T00:00:00.000Z"), st.integers())}),
)
JSON = st.recursive(
    SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)), max_leaves=12
)
OPERATORS = st.sampled_from(
    ["$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$hasSome", "$hasAll", "$startsWith", "$exists", "$contains", "$between", "$nope"]
)
CONDITION = st.one_of(
    st.dictionaries(FIELDS, SCALARS, min_size=1, max_size=2),
    st.builds(lambda f, o, v: {f: {o: v}}, FIELDS, OPERATORS, st.one_of(SCALARS, st.lists(SCALARS, max_size=5), JSON)),
)
FILTER = st.recursive(
    CONDITION,
    lambda inner: st.one_of(
        st.builds(lambda xs: {"$and": xs}, st.lists(inner, max_size=4)),
        st.builds(lambda xs: {"$or": xs}, st.lists(inner, max_size=4)),
        st.builds(lambda x: {"$not": x}, inner),
        st.builds(lambda a, b: {**a, **b}, inner, inner),
    ),
    max_leaves=10,
)
SORT = st.lists(
    st.fixed_dictionaries(
        {"fieldName": st.one_of(FIELDS, JSON)}, optional={"order": st.sampled_from(["ASC", "DESC", "asc", "SIDEWAYS", None])}
    ),
    max_size=4,
)
PAGING = st.fixed_dictionaries(
    {}, optional={"limit": st.one_of(st.integers(-5, 2000), JSON), "offset": st.one_of(st.integers(-5, 10**12), JSON)}
)
QUERY = st.one_of(
    JSON,
    st.fixed_dictionaries(
        {},
        optional={
            "filter": st.one_of(FILTER, JSON),
            "sort": st.one_of(SORT, JSON),
            "paging": PAGING,
            "cursorPaging": st.fixed_dictionaries({}, optional={"limit": st.integers(-2, 500), "cursor": st.text(max_size=60)}),
            "fields": st.one_of(st.lists(FIELDS, max_size=4), JSON),
        },
    ),
)
ITEM_ID = st.one_of(
    st.text(max_size=70), st.sampled_from(["", "query", "count", "..", "%2F", "a/b", "x" * 300, "a\x00b", "\u202e"]), st.uuids().map(str)
)


def _encoded(body: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(body).encode()).decode().rstrip("=")


def _in_path(item_id: str) -> str:
    return item_id.replace("%", "%25").replace("/", "%2F").replace("?", "%3F").replace("#", "%23")


def well_formed_requests(collection: str) -> st.SearchStrategy[tuple[str, str, dict[str, Any]]]:
    """Requests shaped as the API expects, for an existing collection and the fields its items
    have, so that they get past validation to the SQL; the values in them are the hostile part."""
    data = st.dictionaries(KNOWN_FIELDS, JSON, max_size=5)
    item = st.fixed_dictionaries({"data": data}, optional={"id": ITEM_ID})
    ops = st.sampled_from(["$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$startsWith", "$exists", "$in", "$hasSome", "$hasAll"])
    condition = st.builds(lambda f, o, v: {f: {o: v}}, KNOWN_FIELDS, ops, st.one_of(SCALARS, st.lists(SCALARS, max_size=5)))
    filters = st.recursive(
        st.one_of(condition, st.dictionaries(KNOWN_FIELDS, SCALARS, min_size=1, max_size=2)),
        lambda inner: st.one_of(
            st.builds(lambda xs: {"$and": xs}, st.lists(inner, min_size=1, max_size=3)),
            st.builds(lambda xs: {"$or": xs}, st.lists(inner, min_size=1, max_size=3)),
            st.builds(lambda x: {"$not": x}, inner),
        ),
        max_leaves=8,
    )
    sort = st.lists(st.fixed_dictionaries({"fieldName": KNOWN_FIELDS, "order": st.sampled_from(["ASC", "DESC"])}), max_size=3)
    query = st.fixed_dictionaries(
        {},
        optional={
            "filter": filters,
            "sort": sort,
            "paging": st.fixed_dictionaries({}, optional={"limit": st.integers(0, 100), "offset": st.integers(0, 2**63 - 1)}),
            "fields": st.lists(KNOWN_FIELDS, max_size=3),
        },
    )
    where = {"dataCollectionId": st.just(collection)}
    return st.one_of(
        st.fixed_dictionaries({**where, "dataItem": item}).map(lambda b: ("POST", ITEMS, {"json": b})),
        st.fixed_dictionaries({**where, "dataItem": item}).map(lambda b: ("POST", f"{ITEMS}/update", {"json": b})),
        st.builds(
            lambda i, d: ("PUT", f"{ITEMS}/{_in_path(i)}", {"json": {"dataCollectionId": collection, "dataItem": {"data": d}}}),
            ITEM_ID,
            data,
        ),
        st.fixed_dictionaries({**where, "query": query}).map(lambda b: ("POST", f"{ITEMS}/query", {"json": b})),
        st.fixed_dictionaries({**where, "query": query}).map(lambda b: ("GET", f"{ITEMS}/query", {"params": {".r": _encoded(b)}})),
        st.fixed_dictionaries({**where, "filter": filters}).map(lambda b: ("POST", f"{ITEMS}/count", {"json": b})),
        st.fixed_dictionaries({**where, "dataItemId": ITEM_ID}).map(lambda b: ("POST", f"{ITEMS}/remove", {"json": b})),
        ITEM_ID.map(lambda i: ("GET", f"{ITEMS}/{_in_path(i)}", {"params": {"dataCollectionId": collection}})),
        ITEM_ID.map(lambda i: ("DELETE", f"{ITEMS}/{_in_path(i)}", {"params": {"dataCollectionId": collection}})),
        st.fixed_dictionaries({**where, "dataItem": item}).map(lambda b: ("POST", f"{ITEMS}/save", {"json": b})),
        st.builds(
            lambda path, b: ("POST", f"{BULK}/{path}", {"json": b}),
            st.sampled_from(["insert", "update", "save"]),
            st.fixed_dictionaries({**where, "dataItems": st.lists(item, min_size=1, max_size=4)}),
        ),
        st.fixed_dictionaries({**where, "dataItemIds": st.lists(ITEM_ID, min_size=1, max_size=4)}).map(
            lambda b: ("POST", f"{BULK}/remove", {"json": b})
        ),
        st.builds(
            lambda i, f, a, v: (
                "POST",
                f"{ITEMS}/patch",
                {"json": {"dataCollectionId": collection, "patch": {"dataItemId": i, "fieldModifications": [_modification(f, a, v)]}}},
            ),
            ITEM_ID,
            KNOWN_FIELDS,
            st.sampled_from(["SET_FIELD", "REMOVE_FIELD", "INCREMENT_FIELD", "APPEND_TO_ARRAY", "REMOVE_FROM_ARRAY"]),
            JSON,
        ),
        st.builds(
            lambda f, flt, o: (
                "POST",
                f"{ITEMS}/query-distinct-values",
                {"json": {"dataCollectionId": collection, "fieldName": f, "filter": flt, "order": o}},
            ),
            KNOWN_FIELDS,
            filters,
            st.sampled_from(["ASC", "DESC"]),
        ),
        st.builds(
            lambda g, f, fn, flt, having: (
                "POST",
                f"{ITEMS}/aggregate",
                {
                    "json": {
                        "dataCollectionId": collection,
                        "initialFilter": flt,
                        "aggregation": {
                            "groupingFields": g,
                            "operations": [{"resultFieldName": "r", fn: {} if fn == "itemCount" else {"itemFieldName": f}}],
                        },
                        "finalFilter": having,
                        "sort": [{"fieldName": "r", "order": "DESC"}],
                    }
                },
            ),
            st.lists(KNOWN_FIELDS, max_size=2, unique=True),
            KNOWN_FIELDS,
            st.sampled_from(["itemCount", "sum", "average", "min", "max"]),
            filters,
            st.one_of(st.just({}), st.builds(lambda o, v: {"r": {o: v}}, st.sampled_from(["$gt", "$lt", "$eq", "$ne"]), SCALARS)),
        ),
    )


def _modification(field: str, action: str, value: Any) -> dict[str, Any]:
    option = {
        "SET_FIELD": "setFieldOptions",
        "INCREMENT_FIELD": "incrementFieldOptions",
        "APPEND_TO_ARRAY": "appendToArrayOptions",
        "REMOVE_FROM_ARRAY": "removeFromArrayOptions",
    }.get(action)
    return {"action": action, "fieldPath": field, **({option: {"value": value}} if option else {})}


def hostile_requests(collection: str) -> st.SearchStrategy[tuple[str, str, dict[str, Any]]]:
    """Requests of any shape: wrong types, unknown operators and fields, other collections."""
    known = st.one_of(st.just(collection), JSON)
    item = st.fixed_dictionaries(
        {}, optional={"id": st.one_of(ITEM_ID, JSON), "data": st.one_of(st.dictionaries(FIELDS, JSON, max_size=5), JSON)}
    )
    body = {
        "insert": st.fixed_dictionaries({"dataCollectionId": known}, optional={"dataItem": st.one_of(item, JSON)}),
        "query": st.fixed_dictionaries({"dataCollectionId": known}, optional={"query": QUERY}),
        "count": st.fixed_dictionaries({"dataCollectionId": known}, optional={"filter": st.one_of(FILTER, JSON)}),
        "remove": st.fixed_dictionaries({"dataCollectionId": known}, optional={"dataItemId": st.one_of(ITEM_ID, JSON)}),
    }
    return st.one_of(
        body["insert"].map(lambda b: ("POST", ITEMS, {"json": b})),
        body["insert"].map(lambda b: ("POST", f"{ITEMS}/update", {"json": b})),
        body["query"].map(lambda b: ("POST", f"{ITEMS}/query", {"json": b})),
        body["count"].map(lambda b: ("POST", f"{ITEMS}/count", {"json": b})),
        body["remove"].map(lambda b: ("POST", f"{ITEMS}/remove", {"json": b})),
        st.builds(lambda i, c: ("GET", f"{ITEMS}/{_in_path(i)}", {"params": {"dataCollectionId": c}}), ITEM_ID, st.text(max_size=20)),
        st.one_of(body["query"].map(_encoded), st.text(max_size=80)).map(lambda r: ("GET", f"{ITEMS}/query", {"params": {".r": r}})),
        JSON.map(lambda b: ("POST", f"{ITEMS}/query", {"content": json.dumps(b)})),  # not an object at all
        st.builds(
            lambda path, b: ("POST", path, {"json": b}),
            st.sampled_from(
                [
                    f"{ITEMS}/save",
                    f"{ITEMS}/patch",
                    f"{ITEMS}/aggregate",
                    f"{ITEMS}/query-distinct-values",
                    f"{BULK}/insert",
                    f"{BULK}/remove",
                    f"{BULK}/patch",
                ]
            ),
            st.dictionaries(
                st.sampled_from(
                    [
                        "dataCollectionId",
                        "dataItem",
                        "dataItems",
                        "dataItemIds",
                        "patch",
                        "patches",
                        "fieldName",
                        "filter",
                        "aggregation",
                        "initialFilter",
                        "finalFilter",
                        "sort",
                        "paging",
                    ]
                ),
                st.one_of(JSON, QUERY, FILTER),
                max_size=5,
            ).map(lambda b: {"dataCollectionId": collection, **b}),
        ),
    )


def data_requests(collection: str) -> st.SearchStrategy[tuple[str, str, dict[str, Any]]]:
    """(method, path, httpx keyword arguments) for one data API call: three well-formed to one hostile."""
    well_formed = well_formed_requests(collection)
    return st.one_of(well_formed, well_formed, well_formed, hostile_requests(collection))


def test_data_api_answers_every_generated_request_without_a_server_error(server: Server, tenant: Tenant) -> None:
    collection = f"Fuzz{uuid.uuid4().hex[:6]}"
    with httpx.Client(base_url=server.base_url, timeout=30) as admin_http:
        created = admin_http.post(
            "/wix-data/v2/collections",
            headers=tenant.key_headers,
            json={
                "collection": {
                    "id": collection,
                    "permissions": {"read": "ANYONE", "insert": "ANYONE", "update": "ANYONE", "remove": "ANYONE"},
                }
            },
        )
        assert created.status_code == 200, created.text
        for row in (
            {"title": "Apple", "price": 3, "tag": "fruit"},
            {"title": "Pear", "price": 2.5, "stock": True, "nested": {"deep": {"x": 1}}},
        ):
            admin_http.post(ITEMS, headers=tenant.key_headers, json={"dataCollectionId": collection, "dataItem": {"data": row}})
        site = new_client(admin_http, tenant)
    with httpx.Client(base_url=server.base_url, timeout=30, transport=httpx.HTTPTransport(local_address=fresh_address())) as http:
        guest = {"Authorization": visitor_tokens(http, site.id)["access_token"]}
        callers = st.sampled_from([tenant.key_headers, guest])

        @fuzz_settings(500)
        @given(call=data_requests(collection), headers=callers)
        def run(call: tuple[str, str, dict[str, Any]], headers: dict[str, str]) -> None:
            method, path, kwargs = call
            try:
                response = http.request(method, path, headers=headers, **kwargs)
            except httpx.InvalidURL:
                return  # a path httpx itself will not send
            no_server_error(method, path, response.status_code, kwargs, response.text)

        run()


# --- what the fuzz run found (each was a 500 before its fix) ----------------------------------------


def test_what_the_fuzz_run_found_is_answered_without_a_server_error(server: Server, tenant: Tenant) -> None:
    collection = f"Found{uuid.uuid4().hex[:6]}"
    owner = tenant.key_headers
    with httpx.Client(base_url=server.base_url, timeout=30) as http:
        assert http.post("/wix-data/v2/collections", headers=owner, json={"collection": {"id": collection}}).status_code == 200

        def insert(data: dict[str, Any]) -> httpx.Response:
            return http.post(ITEMS, headers=owner, json={"dataCollectionId": collection, "dataItem": {"data": data}})

        # A NUL in item data (PostgreSQL stores none in JSON): refused on both engines, where it is.
        for data, field in (({"title": "a\x00b"}, "dataItem.data.title"), ({"nested": {"k": ["ok", "\x00"]}}, "dataItem.data.nested.k[1]")):
            refused = insert(data)
            assert refused.status_code == 400, refused.text
            assert [v["field"] for v in refused.json()["details"]["validationError"]["fieldViolations"]] == [field]
        assert insert({"title": "a\\u0000b"}).status_code == 200  # the six characters, not a NUL
        # A NUL in a path names nothing.
        for method, path in (("GET", f"{ITEMS}/a%00b"), ("DELETE", "/wix-data/v2/collections/a%00"), ("GET", "/members/v1/members/a%00")):
            assert http.request(method, path, headers=owner, params={"dataCollectionId": collection}).status_code == 404, path
        # A range against null.
        counted = http.post(f"{ITEMS}/count", headers=owner, json={"dataCollectionId": collection, "filter": {"title": {"$gt": None}}})
        assert counted.status_code == 400, counted.text
        # Numbers too large for 64 bits (PostgreSQL gives 1e20 back as an integer): stored, and read back as numbers.
        assert insert({"n": 1e20, "m": 2**70}).status_code == 200
        found = http.post(f"{ITEMS}/query", headers=owner, json={"dataCollectionId": collection, "query": {"filter": {"n": {"$gt": 1}}}})
        assert found.status_code == 200, found.text
        assert [(item["data"]["n"], item["data"]["m"]) for item in found.json()["dataItems"]] == [(1e20, float(2**70))]
