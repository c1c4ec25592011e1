"""Create/get/delete and the validation rules of the OAuth Apps API, over real HTTP."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from ..support.oauth_apps import BASE, SHORT_BASE, assert_app_error, assert_violation, create, get, violations
from ..support.tenants import Tenant

# Tests here create their own apps and need no empty project: ``tenant`` is one per module.
pytestmark = pytest.mark.shared_tenant

ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
ALWAYS_PRESENT = (
    "id",
    "createdDate",
    "name",
    "description",
    "allowedRedirectUris",
    "allowedRedirectDomains",
    "allowedDomains",
    "allowSecretGeneration",
    "applicationType",
    "technology",
    "wixPagesDomainsMappings",
)


def post_app(http: httpx.Client, tenant: Tenant, fields: Any) -> httpx.Response:
    return http.post(BASE, headers=tenant.app_headers, json={"oAuthApp": fields})


# --- create, entity shape ---------------------------------------------------------------------


def test_create_minimal_returns_full_entity_with_defaults(http: httpx.Client, tenant: Tenant) -> None:
    response = post_app(http, tenant, {"name": "Minimal"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    app = response.json()["oAuthApp"]
    for key in ALWAYS_PRESENT:
        assert key in app, key
    assert str(uuid.UUID(app["id"])) == app["id"]
    assert ISO_MS.match(app["createdDate"]), app["createdDate"]
    assert app["name"] == "Minimal"
    assert app["description"] == ""
    assert app["allowedRedirectUris"] == [] and app["allowedRedirectDomains"] == [] and app["allowedDomains"] == []
    assert app["wixPagesDomainsMappings"] == []
    assert app["applicationType"] == "OAUTH_APP_TYPE_UNSPECIFIED"
    assert app["technology"] == "OAUTH_TECHNOLOGY_UNSPECIFIED"
    assert app["allowSecretGeneration"] is False
    assert app["secret"].startswith("oas_")


def test_create_full_entity_round_trips_through_get(http: httpx.Client, tenant: Tenant) -> None:
    fields = {
        "name": "Full app",
        "description": "All the fields",
        "loginUrl": "https://login.example.com/start?x=1",
        "logoutUrl": "https://login.example.com/bye",
        "allowedRedirectUris": ["https://shop.example.com/callback", "http://localhost:3000/cb"],
        "allowedRedirectDomains": ["shop.example.com", "localhost:3000"],
        "applicationType": "WEB_APP",
        "technology": "REACT",
        "redirectUrlWixPages": "https://pages.example.com/r",
        "wixPagesDomainsMappings": [{"origin": "a.example.com", "destination": "b.example.com"}],
    }
    created = create(http, tenant, **fields)
    fetched = get(http, tenant, created["id"])
    for key, value in fields.items():
        assert created[key] == value, key
        assert fetched[key] == value, key
    assert fetched["allowedDomains"] == fields["allowedRedirectDomains"]
    assert fetched["createdDate"] == created["createdDate"]
    assert "secret" not in fetched


def test_optional_urls_are_omitted_when_unset_but_lists_and_enums_always_present(http: httpx.Client, tenant: Tenant) -> None:
    app = get(http, tenant, create(http, tenant, name="Bare")["id"])
    for key in ("loginUrl", "logoutUrl", "redirectUrlWixPages"):
        assert app.get(key) in (None, ""), key
    for key in ALWAYS_PRESENT:
        assert key in app, key


def test_both_prefixes_serve_the_same_apps(http: httpx.Client, tenant: Tenant) -> None:
    app = create(http, tenant, base=SHORT_BASE, name="Short prefix")
    long = http.get(f"{BASE}/{app['id']}", headers=tenant.app_headers)
    short = http.get(f"{SHORT_BASE}/{app['id']}", headers=tenant.app_headers)
    assert long.status_code == short.status_code == 200
    assert long.json() == short.json()
    listed = http.post(f"{SHORT_BASE}/query", headers=tenant.app_headers, json={"query": {"filter": {"id": app["id"]}}})
    assert [a["id"] for a in listed.json()["oAuthApps"]] == [app["id"]]
    deleted = http.delete(f"{SHORT_BASE}/{app['id']}", headers=tenant.app_headers)
    assert deleted.status_code == 200 and deleted.json() == {}
    assert http.get(f"{BASE}/{app['id']}", headers=tenant.app_headers).status_code == 404


def test_get_path_id_wins_over_duplicate_query_parameter(http: httpx.Client, tenant: Tenant) -> None:
    one = create(http, tenant, name="One")
    two = create(http, tenant, name="Two")
    response = http.get(f"{BASE}/{one['id']}", headers=tenant.app_headers, params={"oAuthAppId": two["id"]})
    assert response.status_code == 200
    assert response.json()["oAuthApp"]["id"] == one["id"]
    assert response.json()["oAuthApp"]["name"] == "One"
    missing = http.get(f"{BASE}/{uuid.uuid4()}", headers=tenant.app_headers, params={"oAuthAppId": one["id"]})
    assert_app_error(missing, 404, "OAUTH_APP_NOT_FOUND")


def test_get_unknown_app_is_404(http: httpx.Client, tenant: Tenant) -> None:
    error = assert_app_error(http.get(f"{BASE}/{uuid.uuid4()}", headers=tenant.app_headers), 404, "OAUTH_APP_NOT_FOUND")
    assert error["description"]


def test_delete_returns_empty_object_then_404_everywhere(http: httpx.Client, tenant: Tenant) -> None:
    app = create(http, tenant, name="To delete")
    keep = create(http, tenant, name="To keep")
    response = http.delete(f"{BASE}/{app['id']}", headers=tenant.app_headers)
    assert response.status_code == 200
    assert response.content.strip() == b"{}"
    assert http.get(f"{BASE}/{app['id']}", headers=tenant.app_headers).status_code == 404
    assert_app_error(http.delete(f"{BASE}/{app['id']}", headers=tenant.app_headers), 404, "OAUTH_APP_NOT_FOUND")
    assert_app_error(
        http.patch(f"{BASE}/{app['id']}", headers=tenant.app_headers, json={"oAuthApp": {"name": "Zombie"}}),
        404,
        "OAUTH_APP_NOT_FOUND",
    )
    assert get(http, tenant, keep["id"])["name"] == "To keep"
    ids = [a["id"] for a in http.post(f"{BASE}/query", headers=tenant.app_headers, json={}).json()["oAuthApps"]]
    assert app["id"] not in ids and keep["id"] in ids


# --- name and description ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "rule"),
    [
        ({}, "REQUIRED"),
        ({"name": None}, "REQUIRED"),
        ({"name": ""}, "REQUIRED"),
        ({"name": "   "}, "REQUIRED"),
        ({"name": "x"}, "MIN_LENGTH"),
        ({"name": "n" * 257}, "MAX_LENGTH"),
        ({"name": 42}, "TYPE"),
        ({"name": ["a", "b"]}, "TYPE"),
    ],
)
def test_bad_name_is_refused(http: httpx.Client, tenant: Tenant, fields: dict[str, Any], rule: str) -> None:
    assert_violation(post_app(http, tenant, fields), "oAuthApp.name", rule)


@pytest.mark.parametrize("name", ["ab", "n" * 256, "Ünïcødé ✓"])
def test_name_boundaries_are_accepted(http: httpx.Client, tenant: Tenant, name: str) -> None:
    assert create(http, tenant, name=name)["name"] == name


def test_description_length(http: httpx.Client, tenant: Tenant) -> None:
    assert create(http, tenant, description="d" * 2048)["description"] == "d" * 2048
    assert_violation(post_app(http, tenant, {"name": "App", "description": "d" * 2049}), "oAuthApp.description", "MAX_LENGTH")
    assert_violation(post_app(http, tenant, {"name": "App", "description": 5}), "oAuthApp.description", "TYPE")


# --- body shape ---------------------------------------------------------------------------------


def test_missing_or_non_object_oauth_app_is_refused(http: httpx.Client, tenant: Tenant) -> None:
    assert_violation(http.post(BASE, headers=tenant.app_headers, json={}), "oAuthApp", "REQUIRED")
    assert_violation(http.post(BASE, headers=tenant.app_headers, json={"oAuthApp": None}), "oAuthApp", "REQUIRED")
    assert_violation(http.post(BASE, headers=tenant.app_headers, json={"oAuthApp": "name"}), "oAuthApp", "TYPE")
    assert_violation(http.post(BASE, headers=tenant.app_headers, json={"oAuthApp": ["x"]}), "oAuthApp", "TYPE")


def test_body_that_is_not_an_object_is_a_validation_error(http: httpx.Client, tenant: Tenant) -> None:
    response = http.post(BASE, headers=tenant.app_headers, json=[{"oAuthApp": {"name": "x"}}])
    violations(response)


def test_unknown_field_is_refused_with_every_unknown_named(http: httpx.Client, tenant: Tenant) -> None:
    response = post_app(http, tenant, {"name": "Unknown fields probe", "colour": "red", "scopes": ["x"]})
    found = violations(response)
    assert {(v["field"], v["violatedRule"]) for v in found} == {
        ("oAuthApp.colour", "UNKNOWN_FIELD"),
        ("oAuthApp.scopes", "UNKNOWN_FIELD"),
    }
    listed = http.post(f"{BASE}/query", headers=tenant.app_headers, json={"query": {"filter": {"name": "Unknown fields probe"}}}).json()
    assert listed["pagingMetadata"]["total"] == 0


@pytest.mark.parametrize("raw", [b"{", b'{"oAuthApp": {"name": "x",}}', b"not json", b'{"oAuthApp": {"name": "x"}} trailing'])
def test_malformed_json_is_400(http: httpx.Client, tenant: Tenant, raw: bytes) -> None:
    response = http.post(BASE, headers={**tenant.app_headers, "content-type": "application/json"}, content=raw)
    assert_app_error(response, 400, "MALFORMED_JSON")


def test_malformed_json_on_update_and_query_is_400(http: httpx.Client, tenant: Tenant) -> None:
    app = create(http, tenant, name="Stable")
    headers = {**tenant.app_headers, "content-type": "application/json"}
    assert_app_error(http.patch(f"{BASE}/{app['id']}", headers=headers, content=b'{"oAuthApp": {"name": "Chang'), 400, "MALFORMED_JSON")
    assert_app_error(http.post(f"{BASE}/query", headers=headers, content=b"{query"), 400, "MALFORMED_JSON")
    assert get(http, tenant, app["id"])["name"] == "Stable"


def test_body_over_one_mebibyte_is_413(http: httpx.Client, tenant: Tenant) -> None:
    big = {"oAuthApp": {"name": "Big probe", "description": "x" * (1024 * 1024)}}
    response = http.post(BASE, headers=tenant.app_headers, json=big)
    assert_app_error(response, 413, "PAYLOAD_TOO_LARGE")
    assert response.headers.get("x-wix-request-id")
    listed = http.post(f"{BASE}/query", headers=tenant.app_headers, json={"query": {"filter": {"name": "Big probe"}}})
    assert listed.json()["pagingMetadata"]["total"] == 0


def test_chunked_body_over_one_mebibyte_is_413(http: httpx.Client, tenant: Tenant) -> None:
    """No Content-Length: the cap must hold while streaming too."""

    def chunks() -> Iterator[bytes]:
        yield b'{"oAuthApp": {"name": "Big", "description": "'
        for _ in range(80):
            yield b"y" * 16384
        yield b'"}}'

    response = http.post(BASE, headers={**tenant.app_headers, "content-type": "application/json"}, content=chunks())
    assert_app_error(response, 413, "PAYLOAD_TOO_LARGE")


def test_body_just_under_the_cap_is_not_413(http: httpx.Client, tenant: Tenant) -> None:
    body = {"oAuthApp": {"name": "Nearly big", "description": "x" * (1024 * 1024 - 100)}}
    response = http.post(BASE, headers=tenant.app_headers, json=body)
    # Within the cap: reaches validation (the description is too long for the field).
    assert_violation(response, "oAuthApp.description", "MAX_LENGTH")


def test_every_violation_is_reported_at_once(http: httpx.Client, tenant: Tenant) -> None:
    response = post_app(
        http,
        tenant,
        {
            "name": "x",
            "loginUrl": "http://example.com/login",
            "allowedRedirectDomains": ["https://bad.example.com"],
            "technology": "COBOL",
        },
    )
    fields = {v["field"] for v in violations(response)}
    assert {"oAuthApp.name", "oAuthApp.loginUrl", "oAuthApp.allowedRedirectDomains[0]", "oAuthApp.technology"} <= fields


# --- URLs -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "rule"),
    [
        ("http://example.com/cb", "SCHEME"),
        ("ftp://example.com/cb", "SCHEME"),
        ("javascript:alert(1)", "SCHEME"),
        ("/relative/cb", "ABSOLUTE_URL"),
        ("example.com/cb", "ABSOLUTE_URL"),
        ("https:example.com/cb", "ABSOLUTE_URL"),
        ("https://example.com/cb#frag", "NO_FRAGMENT"),
        ("https://user:pw@example.com/cb", "NO_USERINFO"),
        ("https://user@example.com/cb", "NO_USERINFO"),
        ("https://exa mple.com/cb", "NO_WHITESPACE_OR_CONTROL"),
        ("https://example.com\\@evil.com/", "NO_BACKSLASH"),
        ("https://*.example.com/cb", "NO_WILDCARD"),
        ("https://example.com:99999/cb", "INVALID_PORT"),
        ("https://0x7f000001/cb", "INVALID_HOST"),
        ("https:///cb", "HOST_REQUIRED"),
    ],
)
def test_bad_urls_are_refused_in_every_url_field(http: httpx.Client, tenant: Tenant, url: str, rule: str) -> None:
    for field, value, path in (
        ("loginUrl", url, "oAuthApp.loginUrl"),
        ("logoutUrl", url, "oAuthApp.logoutUrl"),
        ("redirectUrlWixPages", url, "oAuthApp.redirectUrlWixPages"),
        ("allowedRedirectUris", ["https://ok.example.com/cb", url], "oAuthApp.allowedRedirectUris[1]"),
    ):
        assert_violation(post_app(http, tenant, {"name": "App", field: value}), path, rule)


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/cb",
        "https://example.com:8443/cb?x=1&y=2",
        "http://localhost:3000/cb",
        "http://127.0.0.1/cb",
        "http://[::1]:8080/cb",
        "http://app.localhost/cb",
        "https://bücher.example/cb",
    ],
)
def test_good_urls_are_accepted_and_kept_as_sent(http: httpx.Client, tenant: Tenant, url: str) -> None:
    app = create(http, tenant, name="Urls", loginUrl=url, logoutUrl=url, allowedRedirectUris=[url])
    assert app["loginUrl"] == url and app["logoutUrl"] == url and app["allowedRedirectUris"] == [url]


def test_url_length_limit_is_2048(http: httpx.Client, tenant: Tenant) -> None:
    prefix = "https://example.com/"
    ok = prefix + "a" * (2048 - len(prefix))
    assert create(http, tenant, name="Long", loginUrl=ok, allowedRedirectUris=[ok])["loginUrl"] == ok
    too_long = ok + "a"
    assert_violation(post_app(http, tenant, {"name": "Long", "loginUrl": too_long}), "oAuthApp.loginUrl", "MAX_LENGTH")
    assert_violation(
        post_app(http, tenant, {"name": "Long", "allowedRedirectUris": [too_long]}), "oAuthApp.allowedRedirectUris[0]", "MAX_LENGTH"
    )


def test_redirect_url_wix_pages_limit_is_1024(http: httpx.Client, tenant: Tenant) -> None:
    prefix = "https://example.com/"
    ok = prefix + "p" * (1024 - len(prefix))
    assert create(http, tenant, name="Pages", redirectUrlWixPages=ok)["redirectUrlWixPages"] == ok
    assert_violation(
        post_app(http, tenant, {"name": "Pages", "redirectUrlWixPages": ok + "p"}), "oAuthApp.redirectUrlWixPages", "MAX_LENGTH"
    )


def test_url_must_be_a_string(http: httpx.Client, tenant: Tenant) -> None:
    assert_violation(post_app(http, tenant, {"name": "App", "loginUrl": 5}), "oAuthApp.loginUrl", "TYPE")
    assert_violation(
        post_app(http, tenant, {"name": "App", "allowedRedirectUris": "https://a.example.com/"}), "oAuthApp.allowedRedirectUris", "TYPE"
    )
    assert_violation(post_app(http, tenant, {"name": "App", "allowedRedirectUris": [None]}), "oAuthApp.allowedRedirectUris[0]", "REQUIRED")
    assert_violation(post_app(http, tenant, {"name": "App", "allowedRedirectUris": [""]}), "oAuthApp.allowedRedirectUris[0]", "REQUIRED")
    assert_violation(
        post_app(http, tenant, {"name": "App", "allowedRedirectUris": [{"url": "https://a.example.com/"}]}),
        "oAuthApp.allowedRedirectUris[0]",
        "TYPE",
    )


# --- domains ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("domain", "expected"),
    [
        ("Shop.Example.COM", "shop.example.com"),
        ("example.com.", "example.com"),
        ("bücher.de", "xn--bcher-kva.de"),
        ("BÜCHER.de", "xn--bcher-kva.de"),
        ("example.com:8443", "example.com:8443"),
        ("localhost:3000", "localhost:3000"),
        ("127.0.0.1:8080", "127.0.0.1:8080"),
    ],
)
def test_domains_are_normalised(http: httpx.Client, tenant: Tenant, domain: str, expected: str) -> None:
    app = create(http, tenant, name="Domains", allowedRedirectDomains=[domain])
    assert app["allowedRedirectDomains"] == [expected] == app["allowedDomains"]
    assert get(http, tenant, app["id"])["allowedDomains"] == [expected]


@pytest.mark.parametrize(
    ("domain", "rule"),
    [
        ("https://example.com", "NO_SCHEME"),
        ("//example.com", "NO_PATH"),
        ("example.com/path", "NO_PATH"),
        ("example.com?x=1", "NO_PATH"),
        ("example.com#x", "NO_PATH"),
        ("*.example.com", "NO_WILDCARD"),
        ("user@example.com", "NO_USERINFO"),
        ("exa mple.com", "NO_WHITESPACE_OR_CONTROL"),
        ("example.com:0", None),  # refused; the rule named is NO_SCHEME ("example.com:" parses as a scheme)
        ("example.com:http", None),
        ("exa_mple.com", "INVALID_HOST"),
        ("-example.com", "INVALID_HOST"),
        ("example..com", "INVALID_HOST"),
        ("", "REQUIRED"),
    ],
)
def test_bad_domains_are_refused_under_both_names(http: httpx.Client, tenant: Tenant, domain: str, rule: str | None) -> None:
    for key in ("allowedRedirectDomains", "allowedDomains"):
        response = post_app(http, tenant, {"name": "App", key: ["good.example.com", domain]})
        assert_violation(response, f"oAuthApp.{key}[1]", rule)


def test_domain_must_be_a_string(http: httpx.Client, tenant: Tenant) -> None:
    assert_violation(post_app(http, tenant, {"name": "App", "allowedDomains": [7]}), "oAuthApp.allowedDomains[0]")


def test_allowed_domains_alias_sets_the_same_list(http: httpx.Client, tenant: Tenant) -> None:
    a = create(http, tenant, name="Alias", allowedDomains=["a.example.com"])
    assert a["allowedRedirectDomains"] == ["a.example.com"] == a["allowedDomains"]
    b = create(http, tenant, name="Both", allowedDomains=["b.example.com"], allowedRedirectDomains=["B.example.com"])
    assert b["allowedRedirectDomains"] == ["b.example.com"] == b["allowedDomains"]


def test_conflicting_domain_aliases_are_refused(http: httpx.Client, tenant: Tenant) -> None:
    response = post_app(http, tenant, {"name": "Both", "allowedDomains": ["a.example.com"], "allowedRedirectDomains": ["b.example.com"]})
    assert_violation(response, "oAuthApp.allowedDomains", "CONSISTENCY")


def test_duplicate_list_entries_are_kept_once(http: httpx.Client, tenant: Tenant) -> None:
    app = create(
        http,
        tenant,
        name="Dupes",
        allowedRedirectDomains=["a.example.com", "A.EXAMPLE.COM", "b.example.com"],
        allowedRedirectUris=["https://a.example.com/cb", "https://a.example.com/cb"],
    )
    assert app["allowedRedirectDomains"] == ["a.example.com", "b.example.com"]
    assert app["allowedRedirectUris"] == ["https://a.example.com/cb"]


@pytest.mark.parametrize("key", ["allowedRedirectUris", "allowedRedirectDomains", "allowedDomains"])
def test_list_size_limit_is_20(http: httpx.Client, tenant: Tenant, key: str) -> None:
    def entries(n: int) -> list[str]:
        if key == "allowedRedirectUris":
            return [f"https://example.com/cb{i}" for i in range(n)]
        return [f"d{i}.example.com" for i in range(n)]

    app = create(http, tenant, name="Twenty", **{key: entries(20)})
    assert len(app[key]) == 20
    assert_violation(post_app(http, tenant, {"name": "TwentyOne", key: entries(21)}), f"oAuthApp.{key}", "MAX_ITEMS")


# --- enums, mappings, booleans ------------------------------------------------------------------


@pytest.mark.parametrize("value", ["WEB_APP", "MOBILE", "OTHER", "OAUTH_APP_TYPE_UNSPECIFIED"])
def test_application_type_values(http: httpx.Client, tenant: Tenant, value: str) -> None:
    assert create(http, tenant, name="Enum", applicationType=value)["applicationType"] == value


@pytest.mark.parametrize("value", ["REACT_NATIVE", "IOS", "ANDROID", "OTHER_TECHNOLOGY", "VUE", "ANGULAR", "JAVASCRIPT"])
def test_technology_values(http: httpx.Client, tenant: Tenant, value: str) -> None:
    assert create(http, tenant, name="Enum", technology=value)["technology"] == value


@pytest.mark.parametrize(
    ("field", "value"), [("applicationType", "web_app"), ("applicationType", "DESKTOP"), ("technology", 3), ("technology", "react")]
)
def test_bad_enum_is_refused(http: httpx.Client, tenant: Tenant, field: str, value: Any) -> None:
    v = assert_violation(post_app(http, tenant, {"name": "Enum", field: value}), f"oAuthApp.{field}", "ENUM")
    assert "WEB_APP" in v["data"]["allowed"] or "REACT" in v["data"]["allowed"]


def test_domain_mappings(http: httpx.Client, tenant: Tenant) -> None:
    assert_violation(
        post_app(http, tenant, {"name": "Map", "wixPagesDomainsMappings": [{"origin": "a", "destination": "b", "x": 1}]}),
        "oAuthApp.wixPagesDomainsMappings[0].x",
        "UNKNOWN_FIELD",
    )
    assert_violation(
        post_app(http, tenant, {"name": "Map", "wixPagesDomainsMappings": ["a->b"]}), "oAuthApp.wixPagesDomainsMappings[0]", "TYPE"
    )
    assert_violation(
        post_app(http, tenant, {"name": "Map", "wixPagesDomainsMappings": [{"origin": "a", "destination": "d" * 2049}]}),
        "oAuthApp.wixPagesDomainsMappings[0].destination",
        "MAX_LENGTH",
    )
    assert_violation(
        post_app(http, tenant, {"name": "Map", "wixPagesDomainsMappings": [{"origin": "a", "destination": "b"}] * 201}),
        "oAuthApp.wixPagesDomainsMappings",
        "MAX_ITEMS",
    )


def test_allow_secret_generation_must_be_boolean(http: httpx.Client, tenant: Tenant) -> None:
    assert_violation(post_app(http, tenant, {"name": "Flag", "allowSecretGeneration": "yes"}), "oAuthApp.allowSecretGeneration", "TYPE")


def test_read_only_fields_on_create_are_ignored(http: httpx.Client, tenant: Tenant) -> None:
    fake_id = str(uuid.uuid4())
    app = create(http, tenant, name="Ro", id=fake_id, createdDate="2000-01-01T00:00:00.000Z", secret="oas_mine")
    assert app["id"] != fake_id
    assert app["createdDate"] != "2000-01-01T00:00:00.000Z"
    assert app["secret"] != "oas_mine"
    assert http.get(f"{BASE}/{fake_id}", headers=tenant.app_headers).status_code == 404


def test_update_applies_the_same_field_rules(http: httpx.Client, tenant: Tenant) -> None:
    app = create(http, tenant, name="Updatable")
    url = f"{BASE}/{app['id']}"
    cases = [
        ({"loginUrl": "http://evil.example.com"}, "oAuthApp.loginUrl", "SCHEME"),
        ({"allowedDomains": ["https://x.example.com"]}, "oAuthApp.allowedDomains[0]", "NO_SCHEME"),
        ({"allowedRedirectUris": ["https://x.example.com/#f"]}, "oAuthApp.allowedRedirectUris[0]", "NO_FRAGMENT"),
        ({"name": "y"}, "oAuthApp.name", "MIN_LENGTH"),
        ({"technology": "COBOL"}, "oAuthApp.technology", "ENUM"),
        ({"allowedRedirectDomains": [f"d{i}.example.com" for i in range(21)]}, "oAuthApp.allowedRedirectDomains", "MAX_ITEMS"),
        ({"bogus": 1}, "oAuthApp.bogus", "UNKNOWN_FIELD"),
    ]
    for body, field, rule in cases:
        assert_violation(http.patch(url, headers=tenant.app_headers, json={"oAuthApp": body}), field, rule)
    after = get(http, tenant, app["id"])
    assert after["name"] == "Updatable" and after["technology"] == "OAUTH_TECHNOLOGY_UNSPECIFIED"
    assert after["allowedRedirectDomains"] == [] and "loginUrl" not in after


# --- text the database could not store ----------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": "nul\u0000name"}, "oAuthApp.name"),
        ({"name": "Fine", "description": "d\u0000"}, "oAuthApp.description"),
        (
            {"name": "Fine", "wixPagesDomainsMappings": [{"origin": "a\u0000", "destination": "b"}]},
            "oAuthApp.wixPagesDomainsMappings[0].origin",
        ),
        ({"name": "Fine", "loginUrl": "https://a.example.com/\u0000"}, "oAuthApp.loginUrl"),
        ({"name": "Fine", "allowedDomains": ["a\u0000.example.com"]}, "oAuthApp.allowedDomains[0]"),
    ],
)
def test_nul_characters_are_refused_not_a_500(http: httpx.Client, tenant: Tenant, fields: dict[str, Any], field: str) -> None:
    assert_violation(post_app(http, tenant, fields), field)
    app = create(http, tenant, name="Nul target")
    response = http.patch(f"{BASE}/{app['id']}", headers=tenant.app_headers, json={"oAuthApp": fields})
    assert_violation(response, field)
    assert get(http, tenant, app["id"])["name"] == "Nul target"


@pytest.mark.parametrize("bad_id", ["%00", "a%00b", "x" * 3000, "%C3%A9", "%FF", "'; DROP TABLE oauth_apps; --"])
def test_odd_ids_in_the_path_are_404_not_a_500(http: httpx.Client, tenant: Tenant, bad_id: str) -> None:
    h = tenant.app_headers
    for response in (
        http.get(f"{BASE}/{bad_id}", headers=h),
        http.get(f"{BASE}/{bad_id}", headers=h, params={"oAuthAppId": bad_id}),
        http.patch(f"{BASE}/{bad_id}", headers=h, json={"oAuthApp": {"name": "Odd"}, "mask": "name"}),
        http.delete(f"{BASE}/{bad_id}", headers=h),
        http.post(f"{BASE}/{bad_id}/generate-secret", headers=h, json={}),
        http.post(f"{BASE}/{bad_id}/rotate-secret", headers=h, json={}),
        http.get(f"{BASE}/{bad_id}/secret", headers=h),
    ):
        assert_app_error(response, 404, "OAUTH_APP_NOT_FOUND")


def test_query_route_refuses_oversized_and_hostile_bodies_in_the_wire_format(http: httpx.Client, tenant: Tenant) -> None:
    """POST /query is a plain route ahead of FastAPI: it must refuse bad bodies as the rest does."""
    huge = http.post(f"{BASE}/query", headers=tenant.app_headers, json={"query": {"filter": {"name": "x" * (1024 * 1024)}}})
    assert_app_error(huge, 413, "PAYLOAD_TOO_LARGE")
    for body in (b"[]", b'"query"', b'{"query": [1, 2]}', b'{"query": {"paging": {"limit": "all"}}}', b"\xff\xfe"):
        response = http.post(f"{BASE}/query", headers={**tenant.app_headers, "Content-Type": "application/json"}, content=body)
        assert response.status_code == 400, (body, response.status_code, response.text)
        assert response.json()["message"] and response.headers.get("x-wix-request-id")
