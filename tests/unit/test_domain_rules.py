"""Pure unit tests of the domain rules: masks, the query language, OAuth app validation,
generated credentials and permission scopes. No I/O."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from oauthapps.domain import credentials, scopes
from oauthapps.domain.errors import PermissionDenied, ValidationFailed
from oauthapps.domain.masks import parse_mask
from oauthapps.domain.oauth_app import (
    APPLICATION_TYPES,
    MAX_DOMAIN_MAPPINGS,
    MAX_REDIRECT_ENTRIES,
    READ_ONLY_FIELDS,
    TECHNOLOGIES,
    WRITABLE_FIELDS,
    validate_create,
    validate_update,
)
from oauthapps.domain.query import (
    ALL_OPS,
    MAX_DEPTH,
    MAX_IN_VALUES,
    And,
    Condition,
    FieldSpec,
    Not,
    Or,
    QuerySpec,
    Sort,
    parse_datetime,
    parse_query,
)


def violations(exc: pytest.ExceptionInfo[ValidationFailed]) -> list[tuple[str, str]]:
    return [(v.field, v.violated_rule) for v in exc.value.violations]


# =============================================================================================
# masks


@pytest.mark.parametrize(
    "raw",
    ["name,description", ["name", "description"], {"paths": ["name", "description"]}, {"paths": "name,description"}],
)
def test_mask_forms_all_give_the_same_paths(raw: Any) -> None:
    assert parse_mask(raw) == ["name", "description"]


def test_mask_none_and_paths_none_mean_no_mask() -> None:
    assert parse_mask(None) is None
    assert parse_mask({"paths": None}) is None
    assert parse_mask({}) is None


def test_mask_empty_entries_whitespace_and_duplicates() -> None:
    assert parse_mask(" name , ,description,,name ") == ["name", "description"]
    assert parse_mask(["name", "", "  ", "name", "technology"]) == ["name", "technology"]
    assert parse_mask({"paths": ["a", "a", "b", "a"]}) == ["a", "b"]
    # An empty mask is a mask that names nothing, not "no mask".
    assert parse_mask("") == []
    assert parse_mask([]) == []
    assert parse_mask({"paths": []}) == []


@pytest.mark.parametrize(
    ("raw", "field", "rule"),
    [
        (5, "mask", "TYPE"),
        (True, "mask", "TYPE"),
        (1.5, "mask", "TYPE"),
        (["name", 3], "mask[1]", "TYPE"),
        (["name", None], "mask[1]", "TYPE"),
        ({"paths": 7}, "mask.paths", "TYPE"),
        ({"paths": {"a": 1}}, "mask.paths", "TYPE"),
        ({"paths": ["ok", ["nested"]]}, "mask.paths[1]", "TYPE"),
        ({"paths": ["a"], "extra": 1}, "mask.extra", "UNKNOWN_FIELD"),
    ],
)
def test_mask_bad_types(raw: Any, field: str, rule: str) -> None:
    with pytest.raises(ValidationFailed) as exc:
        parse_mask(raw)
    assert violations(exc) == [(field, rule)]


def test_mask_field_name_prefixes_the_violation() -> None:
    with pytest.raises(ValidationFailed) as exc:
        parse_mask({"paths": 1}, field_name="fieldMask")
    assert violations(exc) == [("fieldMask.paths", "TYPE")]


# =============================================================================================
# query language

SPEC = QuerySpec(
    fields={
        "id": FieldSpec("string", frozenset({"$eq", "$ne", "$in", "$nin"}), sortable=True),
        "name": FieldSpec("string", frozenset(ALL_OPS), sortable=True),
        "createdDate": FieldSpec("datetime", frozenset({"$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$exists"}), sortable=True),
        "count": FieldSpec("number", frozenset({"$eq", "$gt", "$lt"})),
        "flag": FieldSpec("boolean", frozenset({"$eq", "$ne"})),
    },
    aliases={"_id": "id", "created_date": "createdDate"},
    default_sort=(Sort("createdDate", descending=True),),
    tiebreaker="id",
    default_limit=50,
    max_limit=100,
)
T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def filt(raw: Any) -> Any:
    return parse_query({"filter": raw}, SPEC).filter


def query_error(raw: Any, spec: QuerySpec = SPEC) -> list[tuple[str, str]]:
    with pytest.raises(ValidationFailed) as exc:
        parse_query(raw, spec)
    return violations(exc)


@pytest.mark.parametrize("op", ["$eq", "$ne", "$gt", "$gte", "$lt", "$lte"])
def test_comparison_operators(op: str) -> None:
    assert filt({"name": {op: "abc"}}) == Condition("name", op, "abc")


@pytest.mark.parametrize("op", ["$eq", "$ne", "$gt", "$gte", "$lt", "$lte"])
def test_comparison_operators_on_datetimes_parse_the_value(op: str) -> None:
    assert filt({"createdDate": {op: "2024-05-01T12:00:00Z"}}) == Condition("createdDate", op, T0)


def test_in_nin_startswith_exists() -> None:
    assert filt({"name": {"$in": ["a", "b"]}}) == Condition("name", "$in", ("a", "b"))
    assert filt({"name": {"$nin": []}}) == Condition("name", "$nin", ())
    assert filt({"name": {"$in": []}}) == Condition("name", "$in", ())
    assert filt({"name": {"$startsWith": "My %_"}}) == Condition("name", "$startsWith", "My %_")
    assert filt({"createdDate": {"$exists": False}}) == Condition("createdDate", "$exists", False)
    assert filt({"createdDate": {"$in": ["2024-05-01T12:00:00Z", {"$date": "2024-05-01T14:00:00+02:00"}]}}) == Condition(
        "createdDate", "$in", (T0, T0)
    )


def test_bare_values_mean_eq() -> None:
    assert filt({"name": "x"}) == Condition("name", "$eq", "x")
    assert filt({"count": 3}) == Condition("count", "$eq", 3)
    assert filt({"flag": False}) == Condition("flag", "$eq", False)
    assert filt({"createdDate": {"$date": "2024-05-01T12:00:00Z"}}) == Condition("createdDate", "$eq", T0)


def test_several_conditions_on_one_field_and_several_fields_are_anded() -> None:
    assert filt({"name": {"$gte": "a", "$lt": "m"}, "flag": True}) == And(
        (Condition("name", "$gte", "a"), Condition("name", "$lt", "m"), Condition("flag", "$eq", True))
    )


def test_logical_nesting() -> None:
    node = filt({"$or": [{"name": "a"}, {"$and": [{"name": {"$startsWith": "b"}}, {"$not": {"flag": True}}]}]})
    assert node == Or(
        (
            Condition("name", "$eq", "a"),
            And((Condition("name", "$startsWith", "b"), Not(Condition("flag", "$eq", True)))),
        )
    )


def test_empty_filters_disappear() -> None:
    assert filt({}) is None
    assert parse_query({}, SPEC).filter is None
    assert parse_query(None, SPEC).filter is None
    assert filt({"$and": [{}, {}]}) is None
    assert filt({"$not": {}}) is None
    assert filt({"$or": [{}, {"name": "a"}]}) == Or((Condition("name", "$eq", "a"),))


def _nested_not(depth: int) -> dict[str, Any]:
    node: dict[str, Any] = {"name": "x"}
    for _ in range(depth):
        node = {"$not": node}
    return node


def test_depth_limit() -> None:
    parsed = filt(_nested_not(MAX_DEPTH))
    for _ in range(MAX_DEPTH):
        assert isinstance(parsed, Not)
        parsed = parsed.part
    assert parsed == Condition("name", "$eq", "x")
    errors = query_error({"filter": _nested_not(MAX_DEPTH + 1)})
    assert [rule for _, rule in errors] == ["MAX_DEPTH"]
    nested_and: dict[str, Any] = {"name": "x"}
    for _ in range(MAX_DEPTH + 1):
        nested_and = {"$and": [nested_and]}
    assert [rule for _, rule in query_error({"filter": nested_and})] == ["MAX_DEPTH"]


def test_aliases_resolve_in_filter_and_sort() -> None:
    q = parse_query({"filter": {"_id": "x", "created_date": {"$gt": "2024-05-01T12:00:00Z"}}, "sort": [{"fieldName": "_id"}]}, SPEC)
    assert q.filter == And((Condition("id", "$eq", "x"), Condition("createdDate", "$gt", T0)))
    assert q.sort == (Sort("id", False),)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"name": 5}, [("query.filter.name", "TYPE")]),
        ({"name": {"$in": "a"}}, [("query.filter.name.$in", "TYPE")]),
        ({"name": {"$in": ["a", 1]}}, [("query.filter.name.$in[1]", "TYPE")]),
        ({"name": {"$in": ["a"] * (MAX_IN_VALUES + 1)}}, [("query.filter.name.$in", "TYPE")]),
        ({"name": {"$exists": "yes"}}, [("query.filter.name.$exists", "TYPE")]),
        ({"name": {"$startsWith": 1}}, [("query.filter.name.$startsWith", "TYPE")]),
        ({"count": True}, [("query.filter.count", "TYPE")]),
        ({"count": "1"}, [("query.filter.count", "TYPE")]),
        ({"flag": 1}, [("query.filter.flag", "TYPE")]),
        ({"name": {"$regex": "a"}}, [("query.filter.name.$regex", "UNKNOWN_OPERATOR")]),
        ({"id": {"$startsWith": "a"}}, [("query.filter.id.$startsWith", "UNSUPPORTED_OPERATOR")]),
        ({"count": {"$gte": 1}}, [("query.filter.count.$gte", "UNSUPPORTED_OPERATOR")]),
        ({"secret": "x"}, [("query.filter.secret", "UNKNOWN_FIELD")]),
        ({"$nor": [{"name": "a"}]}, [("query.filter.$nor", "UNKNOWN_OPERATOR")]),
        ({"$and": []}, [("query.filter.$and", "TYPE")]),
        ({"$or": {"name": "a"}}, [("query.filter.$or", "TYPE")]),
        ({"$or": ["x"]}, [("query.filter.$or[0]", "TYPE")]),
        ({"$not": ["x"]}, [("query.filter.$not", "TYPE")]),
        ({"name": {}}, [("query.filter.name", "TYPE")]),
        ({"name": {"$eq": "a", "plain": 1}}, [("query.filter.name", "TYPE")]),
        ({"createdDate": "yesterday"}, [("query.filter.createdDate", "FORMAT")]),
        ({"createdDate": 1714564800}, [("query.filter.createdDate", "TYPE")]),
        ({"createdDate": {"$date": "2024-05-01", "x": 1}}, [("query.filter.createdDate", "TYPE")]),
    ],
)
def test_filter_errors(raw: Any, expected: list[tuple[str, str]]) -> None:
    assert query_error({"filter": raw}) == expected


@pytest.mark.parametrize("raw", ["name", ["name"], 3])
def test_filter_must_be_an_object(raw: Any) -> None:
    assert query_error({"filter": raw}) == [("query.filter", "TYPE")]


def test_sort_parsing_and_tiebreaker() -> None:
    # Default sort, which does not contain the tiebreaker, gets it in the last key's direction.
    assert parse_query({}, SPEC).sort == (Sort("createdDate", True), Sort("id", True))
    assert parse_query({"sort": []}, SPEC).sort == (Sort("createdDate", True), Sort("id", True))
    assert parse_query({"sort": [{"fieldName": "name"}]}, SPEC).sort == (Sort("name", False), Sort("id", False))
    assert parse_query({"sort": [{"fieldName": "name", "order": "desc"}]}, SPEC).sort == (Sort("name", True), Sort("id", True))
    assert parse_query({"sort": {"fieldName": "name", "order": "DESC"}}, SPEC).sort == (Sort("name", True), Sort("id", True))
    both = parse_query({"sort": [{"fieldName": "name", "order": "ASC"}, {"fieldName": "createdDate", "order": "DESC"}]}, SPEC)
    assert both.sort == (Sort("name", False), Sort("createdDate", True), Sort("id", True))
    # When the tiebreaker is already sorted on it is not added again, wherever it is.
    explicit = parse_query({"sort": [{"fieldName": "_id", "order": "ASC"}, {"fieldName": "name", "order": "DESC"}]}, SPEC)
    assert explicit.sort == (Sort("id", False), Sort("name", True))


def test_sort_without_tiebreaker_or_default() -> None:
    bare = QuerySpec(fields={"name": FieldSpec("string", frozenset({"$eq"}), sortable=True)})
    assert parse_query({}, bare).sort == ()
    assert parse_query({"sort": [{"fieldName": "name"}]}, bare).sort == (Sort("name", False),)


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("name", [("query.sort", "TYPE")]),
        ([{"order": "ASC"}], [("query.sort[0]", "TYPE")]),
        (["name"], [("query.sort[0]", "TYPE")]),
        ([{"fieldName": 1}], [("query.sort[0]", "TYPE")]),
        ([{"fieldName": "name", "direction": "ASC"}], [("query.sort[0].direction", "UNKNOWN_FIELD")]),
        ([{"fieldName": "nope"}], [("query.sort[0].fieldName", "UNKNOWN_FIELD")]),
        ([{"fieldName": "count"}], [("query.sort[0].fieldName", "UNSUPPORTED_SORT")]),
        ([{"fieldName": "name", "order": "UP"}], [("query.sort[0].order", "ENUM")]),
        ([{"fieldName": "name", "order": 1}], [("query.sort[0].order", "ENUM")]),
        ([{"fieldName": "name"}, {"fieldName": "name", "order": "sideways"}], [("query.sort[1].order", "ENUM")]),
    ],
)
def test_sort_errors(sort: Any, expected: list[tuple[str, str]]) -> None:
    assert query_error({"sort": sort}) == expected


def test_paging_defaults_and_bounds() -> None:
    q = parse_query({}, SPEC)
    assert (q.limit, q.offset) == (50, 0)
    assert (parse_query({"paging": {}}, SPEC).limit, parse_query({"paging": None}, SPEC).limit) == (50, 50)
    q = parse_query({"paging": {"limit": 0, "offset": 0}}, SPEC)
    assert (q.limit, q.offset) == (0, 0)
    q = parse_query({"paging": {"limit": 100, "offset": 12345}}, SPEC)
    assert (q.limit, q.offset) == (100, 12345)
    assert parse_query({"paging": {"limit": None, "offset": None}}, SPEC).limit == 50


@pytest.mark.parametrize(
    ("paging", "expected"),
    [
        ({"limit": 101}, [("query.paging.limit", "OUT_OF_RANGE")]),
        ({"limit": -1}, [("query.paging.limit", "OUT_OF_RANGE")]),
        ({"limit": True}, [("query.paging.limit", "TYPE")]),
        ({"limit": 10.0}, [("query.paging.limit", "TYPE")]),
        ({"limit": "10"}, [("query.paging.limit", "TYPE")]),
        ({"offset": -1}, [("query.paging.offset", "OUT_OF_RANGE")]),
        ({"offset": False}, [("query.paging.offset", "TYPE")]),
        # An offset no database can take is the caller's mistake, not a server error.
        ({"offset": 2**63}, [("query.paging.offset", "OUT_OF_RANGE")]),
        ({"cursor": "abc"}, [("query.paging.cursor", "UNKNOWN_FIELD")]),
        ("10", [("query.paging", "TYPE")]),
        ([10], [("query.paging", "TYPE")]),
        # Falsy non-objects are as wrong as truthy ones.
        ([], [("query.paging", "TYPE")]),
        (0, [("query.paging", "TYPE")]),
        (False, [("query.paging", "TYPE")]),
        ("", [("query.paging", "TYPE")]),
    ],
)
def test_paging_errors(paging: Any, expected: list[tuple[str, str]]) -> None:
    assert query_error({"paging": paging}) == expected


def test_largest_offset_is_accepted() -> None:
    assert parse_query({"paging": {"offset": 2**63 - 1}}, SPEC).offset == 2**63 - 1


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"where": {}}, [("query.where", "UNKNOWN_FIELD")]),
        ({"cursorPaging": {"limit": 1}}, [("query.cursorPaging", "UNSUPPORTED")]),
        ([], [("query", "TYPE")]),
        ("q", [("query", "TYPE")]),
    ],
)
def test_query_top_level_errors(raw: Any, expected: list[tuple[str, str]]) -> None:
    assert query_error(raw) == expected


def test_query_tolerates_fields_fieldsets_and_null_cursor_paging() -> None:
    q = parse_query({"fields": ["id"], "fieldsets": ["FULL"], "cursorPaging": None}, SPEC)
    assert q.filter is None and q.limit == 50


def test_query_path_prefix() -> None:
    with pytest.raises(ValidationFailed) as exc:
        parse_query({"filter": {"nope": 1}}, SPEC, path="body.query")
    assert violations(exc) == [("body.query.filter.nope", "UNKNOWN_FIELD")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-05-01T12:00:00Z", T0),
        ("2024-05-01T12:00:00.000Z", T0),
        ("2024-05-01T12:00:00.123456Z", T0 + timedelta(microseconds=123456)),
        ("2024-05-01T12:00:00+00:00", T0),
        ("2024-05-01T14:30:00+02:30", T0),
        ("2024-05-01T07:00:00-05:00", T0),
        ("2024-05-01T12:00:00", T0),  # naive means UTC
        ("2024-05-01", datetime(2024, 5, 1, tzinfo=UTC)),
        ({"$date": "2024-05-01T12:00:00Z"}, T0),
        ({"$date": "2024-05-01T13:00:00+01:00"}, T0),
    ],
)
def test_parse_datetime(text: Any, expected: datetime) -> None:
    parsed = parse_datetime(text, "p")
    assert parsed == expected
    assert parsed.tzinfo is not None and parsed.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        ("not a date", "FORMAT"),
        ("2024-13-01T00:00:00Z", "FORMAT"),
        ("2024-05-01T25:00:00Z", "FORMAT"),
        ("", "FORMAT"),
        (None, "TYPE"),
        (1714564800, "TYPE"),
        ({"$date": 5}, "TYPE"),
        ({"$date": "2024-05-01", "$x": 1}, "TYPE"),
        ({"date": "2024-05-01"}, "TYPE"),
        # Valid text whose UTC instant is outside what a datetime can hold: a caller error.
        ("0001-01-01T00:00:00+01:00", "FORMAT"),
        ("9999-12-31T23:59:59-01:00", "FORMAT"),
    ],
)
def test_parse_datetime_errors(value: Any, rule: str) -> None:
    with pytest.raises(ValidationFailed) as exc:
        parse_datetime(value, "at")
    assert violations(exc) == [("at", rule)]


def test_out_of_range_datetime_in_a_filter_is_a_validation_error() -> None:
    assert query_error({"filter": {"createdDate": {"$gt": "0001-01-01T00:00:00+05:00"}}}) == [("query.filter.createdDate.$gt", "FORMAT")]


# =============================================================================================
# OAuth app validation


def create_error(body: Any) -> list[tuple[str, str]]:
    with pytest.raises(ValidationFailed) as exc:
        validate_create(body)
    return violations(exc)


def update_error(body: Any, mask: list[str] | None) -> list[tuple[str, str]]:
    with pytest.raises(ValidationFailed) as exc:
        validate_update(body, mask)
    return violations(exc)


def test_create_minimal_fills_defaults_for_name_only() -> None:
    changes = validate_create({"name": "My app"})
    assert changes.values == {"name": "My app"}
    assert changes.fields == ("name",)


def test_create_full_body_normalises() -> None:
    body = {
        "name": "Shop",
        "description": "d",
        "loginUrl": "https://shop.example.com/login",
        "logoutUrl": "http://localhost:3000/logout",
        "allowedRedirectUris": ["https://shop.example.com/cb", "https://shop.example.com/cb", "http://127.0.0.1:8080/cb"],
        "allowedRedirectDomains": ["Shop.Example.COM", "shop.example.com", "localhost:3000", "bücher.example"],
        "applicationType": "WEB_APP",
        "technology": "REACT",
        "redirectUrlWixPages": "https://shop.example.com/wix",
        "wixPagesDomainsMappings": [{"origin": "a", "destination": "b"}, {"origin": "a", "destination": "b"}],
        "refreshTokenRotation": True,
        "id": "ignored",
        "createdDate": "ignored",
        "secret": "ignored",
        "allowSecretGeneration": True,
    }
    changes = validate_create(body)
    assert changes.values == {
        "name": "Shop",
        "description": "d",
        "login_url": "https://shop.example.com/login",
        "logout_url": "http://localhost:3000/logout",
        "allowed_redirect_uris": ["https://shop.example.com/cb", "http://127.0.0.1:8080/cb"],
        "allowed_redirect_domains": ["shop.example.com", "localhost:3000", "xn--bcher-kva.example"],
        "application_type": "WEB_APP",
        "technology": "REACT",
        "redirect_url_wix_pages": "https://shop.example.com/wix",
        "wix_pages_domains_mappings": [{"origin": "a", "destination": "b"}],
        "refresh_token_rotation": True,
    }
    assert "id" not in changes.fields and "secret" not in changes.fields


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({}, [("oAuthApp.name", "REQUIRED")]),
        ({"name": None}, [("oAuthApp.name", "REQUIRED")]),
        ({"name": "  "}, [("oAuthApp.name", "REQUIRED")]),
        ({"name": "a"}, [("oAuthApp.name", "MIN_LENGTH")]),
        ({"name": "x" * 257}, [("oAuthApp.name", "MAX_LENGTH")]),
        ({"name": 12}, [("oAuthApp.name", "TYPE")]),
        ({"name": "ok", "description": "d" * 2049}, [("oAuthApp.description", "MAX_LENGTH")]),
        ({"name": "ok", "description": ["d"]}, [("oAuthApp.description", "TYPE")]),
        ({"name": "ok", "loginUrl": "http://example.com/login"}, [("oAuthApp.loginUrl", "SCHEME")]),
        ({"name": "ok", "logoutUrl": "/relative"}, [("oAuthApp.logoutUrl", "ABSOLUTE_URL")]),
        ({"name": "ok", "loginUrl": "https://example.com/" + "a" * 2048}, [("oAuthApp.loginUrl", "MAX_LENGTH")]),
        ({"name": "ok", "redirectUrlWixPages": "https://example.com/" + "a" * 1010}, [("oAuthApp.redirectUrlWixPages", "MAX_LENGTH")]),
        ({"name": "ok", "allowedRedirectUris": "https://a.example.com"}, [("oAuthApp.allowedRedirectUris", "TYPE")]),
        ({"name": "ok", "allowedRedirectUris": [""]}, [("oAuthApp.allowedRedirectUris[0]", "REQUIRED")]),
        ({"name": "ok", "allowedRedirectUris": [None]}, [("oAuthApp.allowedRedirectUris[0]", "REQUIRED")]),
        ({"name": "ok", "loginUrl": 5}, [("oAuthApp.loginUrl", "TYPE")]),
        (
            {"name": "ok", "allowedRedirectUris": ["https://ok.example.com", "ftp://x.example.com"]},
            [("oAuthApp.allowedRedirectUris[1]", "SCHEME")],
        ),
        ({"name": "ok", "allowedRedirectUris": ["https://u:p@x.example.com/"]}, [("oAuthApp.allowedRedirectUris[0]", "NO_USERINFO")]),
        ({"name": "ok", "allowedRedirectUris": ["https://x.example.com/#f"]}, [("oAuthApp.allowedRedirectUris[0]", "NO_FRAGMENT")]),
        ({"name": "ok", "allowedRedirectDomains": ["https://x.example.com"]}, [("oAuthApp.allowedRedirectDomains[0]", "NO_SCHEME")]),
        ({"name": "ok", "allowedDomains": ["x.example.com/path"]}, [("oAuthApp.allowedDomains[0]", "NO_PATH")]),
        ({"name": "ok", "allowedDomains": ["*.example.com"]}, [("oAuthApp.allowedDomains[0]", "NO_WILDCARD")]),
        ({"name": "ok", "allowedDomains": [""]}, [("oAuthApp.allowedDomains[0]", "REQUIRED")]),
        ({"name": "ok", "allowedDomains": ["[::1]:99999"]}, [("oAuthApp.allowedDomains[0]", "INVALID_PORT")]),
        ({"name": "ok", "applicationType": "DESKTOP"}, [("oAuthApp.applicationType", "ENUM")]),
        ({"name": "ok", "technology": "react"}, [("oAuthApp.technology", "ENUM")]),
        ({"name": "ok", "refreshTokenRotation": "true"}, [("oAuthApp.refreshTokenRotation", "TYPE")]),
        ({"name": "ok", "allowSecretGeneration": "yes"}, [("oAuthApp.allowSecretGeneration", "TYPE")]),
        ({"name": "ok", "wixPagesDomainsMappings": [{"origin": "a"}]}, []),  # destination defaults to ""
        ({"name": "ok", "wixPagesDomainsMappings": ["a"]}, [("oAuthApp.wixPagesDomainsMappings[0]", "TYPE")]),
        (
            {"name": "ok", "wixPagesDomainsMappings": [{"origin": "a", "destination": "b", "x": 1}]},
            [("oAuthApp.wixPagesDomainsMappings[0].x", "UNKNOWN_FIELD")],
        ),
        (
            {"name": "ok", "wixPagesDomainsMappings": [{"origin": 1, "destination": "b"}]},
            [("oAuthApp.wixPagesDomainsMappings[0].origin", "TYPE")],
        ),
        (
            {"name": "ok", "wixPagesDomainsMappings": [{"origin": "a", "destination": "b" * 2049}]},
            [("oAuthApp.wixPagesDomainsMappings[0].destination", "MAX_LENGTH")],
        ),
        ({"name": "ok", "color": "red", "size": 1}, [("oAuthApp.color", "UNKNOWN_FIELD"), ("oAuthApp.size", "UNKNOWN_FIELD")]),
    ],
)
def test_create_field_rules(body: dict[str, Any], expected: list[tuple[str, str]]) -> None:
    if expected:
        assert create_error(body) == expected
    else:
        validate_create(body)


def test_create_accepts_boundaries() -> None:
    values = validate_create(
        {"name": "ab", "description": "d" * 2048, "wixPagesDomainsMappings": [{"origin": "o", "destination": "d" * 2048}]}
    ).values
    assert values["name"] == "ab" and len(values["description"]) == 2048
    assert validate_create({"name": "x" * 256}).values["name"] == "x" * 256
    assert validate_create({"name": "ok", "redirectUrlWixPages": "https://example.com/" + "a" * 1000}).values["redirect_url_wix_pages"]


def test_create_reports_every_violation_at_once() -> None:
    errors = create_error({"name": "a", "technology": "x", "allowedDomains": ["https://x"], "refreshTokenRotation": 1})
    assert sorted(errors) == sorted(
        [
            ("oAuthApp.name", "MIN_LENGTH"),
            ("oAuthApp.technology", "ENUM"),
            ("oAuthApp.allowedDomains[0]", "NO_SCHEME"),
            ("oAuthApp.refreshTokenRotation", "TYPE"),
        ]
    )


@pytest.mark.parametrize("body", [None, "name", ["name"], 3])
def test_body_must_be_an_object(body: Any) -> None:
    if body is None:
        assert create_error(body) == [("oAuthApp.name", "REQUIRED")]
    else:
        assert create_error(body) == [("oAuthApp", "TYPE")]
        assert update_error(body, None) == [("oAuthApp", "TYPE")]


@pytest.mark.parametrize(
    ("wire", "limit"),
    [
        ("allowedRedirectUris", MAX_REDIRECT_ENTRIES),
        ("allowedRedirectDomains", MAX_REDIRECT_ENTRIES),
        ("allowedDomains", MAX_REDIRECT_ENTRIES),
        ("wixPagesDomainsMappings", MAX_DOMAIN_MAPPINGS),
    ],
)
def test_list_limits(wire: str, limit: int) -> None:
    def entries(n: int) -> list[Any]:
        if wire == "allowedRedirectUris":
            return [f"https://e{i}.example.com/cb" for i in range(n)]
        if wire == "wixPagesDomainsMappings":
            return [{"origin": f"o{i}", "destination": "d"} for i in range(n)]
        return [f"e{i}.example.com" for i in range(n)]

    attr = WRITABLE_FIELDS[wire].attr
    assert len(validate_create({"name": "ok", wire: entries(limit)}).values[attr]) == limit
    with pytest.raises(ValidationFailed) as exc:
        validate_create({"name": "ok", wire: entries(limit + 1)})
    assert exc.value.violations[0].field == f"oAuthApp.{wire}"
    assert exc.value.violations[0].violated_rule == "MAX_ITEMS"
    assert exc.value.violations[0].data == {"max": limit}
    assert (MAX_REDIRECT_ENTRIES, MAX_DOMAIN_MAPPINGS) == (20, 200)


def test_domain_aliases_on_create() -> None:
    only_alias = validate_create({"name": "ok", "allowedDomains": ["A.example.com"]})
    assert only_alias.values["allowed_redirect_domains"] == ["a.example.com"]
    assert only_alias.fields == ("name", "allowedDomains")
    # Both given and equal after normalisation: fine.
    same = validate_create({"name": "ok", "allowedDomains": ["A.example.com"], "allowedRedirectDomains": ["a.example.com"]})
    assert same.values["allowed_redirect_domains"] == ["a.example.com"]
    # One is null: the other one decides.
    assert validate_create({"name": "ok", "allowedDomains": None, "allowedRedirectDomains": ["b.example.com"]}).values[
        "allowed_redirect_domains"
    ] == ["b.example.com"]
    assert create_error({"name": "ok", "allowedDomains": ["a.example.com"], "allowedRedirectDomains": ["b.example.com"]}) == [
        ("oAuthApp.allowedDomains", "CONSISTENCY")
    ]
    assert create_error({"name": "ok", "allowedDomains": [], "allowedRedirectDomains": ["b.example.com"]}) == [
        ("oAuthApp.allowedDomains", "CONSISTENCY")
    ]


def test_update_without_mask_changes_present_writable_fields_only() -> None:
    changes = validate_update({"description": "new", "technology": "VUE", "id": "x", "updatedDate": "y"}, None)
    assert changes.values == {"description": "new", "technology": "VUE"}
    assert changes.fields == ("description", "technology")
    assert validate_update({}, None).values == {}
    assert validate_update(None, None).values == {}
    assert update_error({"name": None}, None) == [("oAuthApp.name", "REQUIRED")]


def test_update_with_mask_changes_exactly_the_masked_fields() -> None:
    changes = validate_update({"name": "New", "description": "not masked"}, ["name"])
    assert changes.values == {"name": "New"}
    assert changes.fields == ("name",)
    assert validate_update({"name": "New"}, []).values == {}


def test_update_masked_but_absent_fields_are_cleared() -> None:
    mask = [
        "description",
        "loginUrl",
        "logoutUrl",
        "allowedRedirectUris",
        "allowedDomains",
        "applicationType",
        "technology",
        "redirectUrlWixPages",
        "wixPagesDomainsMappings",
        "refreshTokenRotation",
    ]
    assert validate_update({}, mask).values == {
        "description": "",
        "login_url": "",
        "logout_url": "",
        "allowed_redirect_uris": [],
        "allowed_redirect_domains": [],
        "application_type": "OAUTH_APP_TYPE_UNSPECIFIED",
        "technology": "OAUTH_TECHNOLOGY_UNSPECIFIED",
        "redirect_url_wix_pages": "",
        "wix_pages_domains_mappings": [],
        "refresh_token_rotation": False,
    }
    # The name can't be cleared.
    assert update_error({}, ["name"]) == [("oAuthApp.name", "REQUIRED")]


def test_update_mask_read_only_and_unknown_paths() -> None:
    for path in sorted(READ_ONLY_FIELDS):
        errors = update_error({"name": "ok"}, ["name", path])
        assert errors == [("mask", "READ_ONLY")], path
    errors = update_error({"name": "ok"}, ["name", "colour", "secret"])
    assert errors == [("mask", "UNKNOWN_FIELD"), ("mask", "READ_ONLY")]
    with pytest.raises(ValidationFailed) as exc:
        validate_update({}, ["colour"])
    assert exc.value.violations[0].data == {"path": "colour"}
    # Mask problems and field problems are reported together.
    assert sorted(update_error({"technology": "x"}, ["technology", "id"])) == [
        ("mask", "READ_ONLY"),
        ("oAuthApp.technology", "ENUM"),
    ]


def test_update_unknown_body_field_is_refused_even_if_not_masked() -> None:
    assert update_error({"name": "ok", "colour": "red"}, ["name"]) == [("oAuthApp.colour", "UNKNOWN_FIELD")]


def test_update_domain_aliases() -> None:
    # Masked under one name, sent under the other: the sent list is used.
    assert validate_update({"allowedRedirectDomains": ["a.example.com"]}, ["allowedDomains"]).values == {
        "allowed_redirect_domains": ["a.example.com"]
    }
    assert validate_update({"allowedDomains": ["a.example.com"]}, ["allowedRedirectDomains"]).values == {
        "allowed_redirect_domains": ["a.example.com"]
    }
    # Both masked, one sent: consistent.
    both = validate_update({"allowedDomains": ["a.example.com"]}, ["allowedDomains", "allowedRedirectDomains"])
    assert both.values == {"allowed_redirect_domains": ["a.example.com"]}
    assert both.fields == ("allowedDomains", "allowedRedirectDomains")
    assert update_error(
        {"allowedDomains": ["a.example.com"], "allowedRedirectDomains": ["b.example.com"]},
        ["allowedDomains", "allowedRedirectDomains"],
    ) == [("oAuthApp.allowedDomains", "CONSISTENCY")]
    assert update_error({"allowedDomains": ["a.example.com"], "allowedRedirectDomains": ["b.example.com"]}, None) == [
        ("oAuthApp.allowedDomains", "CONSISTENCY")
    ]
    # Only one masked: the other name in the body is not looked at.
    assert validate_update(
        {"allowedDomains": ["a.example.com"], "allowedRedirectDomains": ["b.example.com"]}, ["allowedRedirectDomains"]
    ).values == {"allowed_redirect_domains": ["b.example.com"]}


def test_update_list_limit_and_dedupe() -> None:
    uris = [f"https://e{i}.example.com/cb" for i in range(MAX_REDIRECT_ENTRIES)]
    assert validate_update({"allowedRedirectUris": uris}, None).values == {"allowed_redirect_uris": uris}
    with pytest.raises(ValidationFailed) as exc:
        validate_update({"allowedRedirectUris": [*uris, uris[0]]}, ["allowedRedirectUris"])
    assert violations(exc) == [("oAuthApp.allowedRedirectUris", "MAX_ITEMS")]
    deduped = validate_update({"allowedDomains": ["X.example.com", "x.example.com.", "x.example.com"]}, ["allowedDomains"])
    assert deduped.values == {"allowed_redirect_domains": ["x.example.com"]}


def test_enums_and_writable_field_table() -> None:
    for value in APPLICATION_TYPES:
        assert validate_create({"name": "ok", "applicationType": value}).values["application_type"] == value
    for value in TECHNOLOGIES:
        assert validate_create({"name": "ok", "technology": value}).values["technology"] == value
    assert set(WRITABLE_FIELDS).isdisjoint(READ_ONLY_FIELDS)
    assert "secret" in READ_ONLY_FIELDS and "secret" not in WRITABLE_FIELDS


# =============================================================================================
# credentials


@pytest.mark.parametrize(
    "prefix",
    [
        credentials.OAUTH_APP_SECRET_PREFIX,
        credentials.APP_SECRET_PREFIX,
        credentials.API_KEY_PREFIX,
        credentials.REFRESH_TOKEN_PREFIX,
        credentials.CODE_PREFIX,
    ],
)
def test_generated_secret_is_prefix_plus_32_random_bytes(prefix: str) -> None:
    secret = credentials.generate_secret(prefix)
    assert secret.startswith(prefix)
    body = secret[len(prefix) :]
    assert len(body) == 43  # base64url of 32 bytes, unpadded
    assert set(body) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert len(base64.urlsafe_b64decode(body + "=")) == 32


def test_prefixes_are_distinct() -> None:
    prefixes = [
        credentials.OAUTH_APP_SECRET_PREFIX,
        credentials.APP_SECRET_PREFIX,
        credentials.API_KEY_PREFIX,
        credentials.REFRESH_TOKEN_PREFIX,
        credentials.CODE_PREFIX,
    ]
    assert len(set(prefixes)) == len(prefixes)
    assert credentials.SECRET_BYTES == 32


def test_generated_secrets_look_random() -> None:
    raw = [base64.urlsafe_b64decode(credentials.generate_secret("x_")[2:] + "=") for _ in range(400)]
    assert len(set(raw)) == 400
    # Every bit position is set in some and clear in others; overall about half the bits are 1.
    bits = "".join(f"{b:08b}" for secret in raw for b in secret)
    ones = bits.count("1") / len(bits)
    assert 0.48 < ones < 0.52
    for position in range(256):
        column = [bits[i * 256 + position] for i in range(len(raw))]
        assert "0" in column and "1" in column


def test_hash_round_trip() -> None:
    secret = credentials.generate_secret(credentials.API_KEY_PREFIX)
    stored = credentials.hash_secret(secret)
    assert stored == hashlib.sha256(secret.encode()).hexdigest()
    assert len(stored) == 64 and secret not in stored
    assert credentials.hash_secret(secret) == stored  # deterministic, so it can be looked up
    assert credentials.secret_matches(secret, stored)
    assert credentials.hash_secret("é") == hashlib.sha256("é".encode()).hexdigest()


def test_secret_matches_rejects_wrong_and_missing() -> None:
    secret = credentials.generate_secret(credentials.OAUTH_APP_SECRET_PREFIX)
    stored = credentials.hash_secret(secret)
    assert not credentials.secret_matches(secret + "x", stored)
    assert not credentials.secret_matches(secret[:-1], stored)
    assert not credentials.secret_matches("", stored)
    assert not credentials.secret_matches(stored, stored)  # the hash is not the secret
    assert not credentials.secret_matches(secret, None)
    assert not credentials.secret_matches(secret, "")
    assert not credentials.secret_matches(None, stored)  # type: ignore[arg-type]
    assert not credentials.secret_matches(b"bytes", stored)  # type: ignore[arg-type]
    assert not credentials.secret_matches(secret, stored.upper())


def test_secret_matches_compares_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[Any, Any]] = []
    real = credentials.hmac.compare_digest

    def spy(a: Any, b: Any) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(credentials.hmac, "compare_digest", spy)
    stored = credentials.hash_secret("s3cret")
    assert credentials.secret_matches("s3cret", stored)
    assert not credentials.secret_matches("other", stored)
    assert calls == [(stored, stored), (credentials.hash_secret("other"), stored)]


# =============================================================================================
# scopes


def test_known_scopes() -> None:
    assert {
        "SCOPE.OAUTH_APP.MANAGE",
        "SCOPE.OAUTH_APP.READ",
        "SCOPE.HEADLESS.MANAGE",
        "SCOPE.MEMBERS.MANAGE",
        "SCOPE.AUDIT_LOG.READ",
    } == scopes.KNOWN_SCOPES
    assert scopes.WRITE_SCOPES < scopes.READ_SCOPES <= scopes.KNOWN_SCOPES
    assert scopes.MEMBERS_MANAGE not in scopes.READ_SCOPES, "managing members grants nothing on OAuth apps"


@pytest.mark.parametrize(
    ("granted", "can_read", "can_write"),
    [
        ({scopes.OAUTH_APP_MANAGE}, True, True),
        ({scopes.HEADLESS_MANAGE}, True, True),
        ({scopes.OAUTH_APP_READ}, True, False),
        (set(), False, False),
        ({"SCOPE.OTHER", "oauth_app.manage"}, False, False),
        ({scopes.OAUTH_APP_READ, "SCOPE.OTHER"}, True, False),
    ],
)
def test_require_read_and_write(granted: set[str], can_read: bool, can_write: bool) -> None:
    for check, allowed in ((scopes.require_read, can_read), (scopes.require_write, can_write)):
        if allowed:
            check(granted, "Doing it")
        else:
            with pytest.raises(PermissionDenied) as exc:
                check(granted, "Doing it")
            assert exc.value.status == 403
            assert exc.value.description.startswith("Doing it needs the permission scope ")
            needed = scopes.WRITE_SCOPES if check is scopes.require_write else scopes.READ_SCOPES
            assert exc.value.data == {"requiredScopes": sorted(needed)}
            assert all(s in exc.value.description for s in needed)


def test_require_any_accepts_any_iterable() -> None:
    scopes.require_write(iter([scopes.OAUTH_APP_MANAGE]), "x")
    scopes.require_read((s for s in [scopes.OAUTH_APP_READ]), "x")
    with pytest.raises(PermissionDenied):
        scopes.require_any([], frozenset({"A"}), "x")


def test_a_collection_display_name_is_optional_one_line_and_bounded() -> None:
    from oauthapps.domain import data_items

    assert data_items.validate_display_name(None) is None and data_items.validate_display_name("  ") is None
    assert data_items.validate_display_name(" Recipes ") == "Recipes"
    for bad in (1, "x" * 257, "two\nlines", "nul\x00", "esc\x1b[31m", "a\u2028b"):
        with pytest.raises(ValidationFailed):
            data_items.validate_display_name(bad)
    assert data_items.Collection("p", "Recipes", {}).title == "Recipes"
    assert data_items.Collection("p", "Recipes", {}, "Our recipes").title == "Our recipes"
