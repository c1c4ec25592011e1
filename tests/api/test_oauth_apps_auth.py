"""Authentication, permission scopes, tenant isolation and request ids of the OAuth Apps API."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from oauthapps.domain.scopes import HEADLESS_MANAGE, OAUTH_APP_MANAGE, OAUTH_APP_READ

from ..support.oauth_apps import BASE, SHORT_BASE, assert_app_error, client_credentials, create, get
from ..support.servers import Server
from ..support.tenants import Tenant, install_app

Call = tuple[str, str, dict[str, Any] | None]
InstallOn = Callable[[Tenant, tuple[str, ...]], dict[str, str]]


@pytest.fixture
def install_on(server: Server, http: httpx.Client) -> InstallOn:
    """Install a new platform app with the given scopes on an existing tenant's project; return
    the Authorization header of its app token."""

    def install(owner: Tenant, scopes: tuple[str, ...]) -> dict[str, str]:
        return install_app(http, server.database_url, owner.project_id, scopes, f"Extra {uuid.uuid4().hex[:6]}")

    return install


def write_calls(app_id: str) -> list[Call]:
    return [
        ("POST", BASE, {"oAuthApp": {"name": "Not allowed"}}),
        ("PATCH", f"{BASE}/{app_id}", {"oAuthApp": {"name": "Not allowed"}, "mask": "name"}),
        ("DELETE", f"{BASE}/{app_id}", None),
        ("POST", f"{BASE}/{app_id}/generate-secret", {}),
        ("POST", f"{BASE}/{app_id}/rotate-secret", {"gracePeriodSeconds": 0}),
    ]


def read_calls(app_id: str) -> list[Call]:
    return [
        ("GET", f"{BASE}/{app_id}", None),
        ("POST", f"{BASE}/query", {"query": {}}),
    ]


def every_call(app_id: str) -> list[Call]:
    return [*write_calls(app_id), *read_calls(app_id), ("GET", f"{BASE}/{app_id}/secret", None)]


def send(http: httpx.Client, call: Call, headers: dict[str, str]) -> httpx.Response:
    method, url, body = call
    return http.request(method, url, headers=headers, json=body) if body is not None else http.request(method, url, headers=headers)


# --- authentication -----------------------------------------------------------------------------


def test_missing_credentials_are_401_on_every_operation(http: httpx.Client, tenant: Tenant) -> None:
    app = create(http, tenant, name="Guarded")
    for call in every_call(app["id"]):
        assert_app_error(send(http, call, {}), 401, "UNAUTHENTICATED")
    assert get(http, tenant, app["id"])["name"] == "Guarded"


@pytest.mark.parametrize(
    "value",
    ["garbage", "Bearer garbage", "Bearer", "Basic dXNlcjpwYXNz", "a.b.c", "Bearer eyJhbGciOiJFUzI1NiJ9.e30.AAAA", "oak_" + "x" * 43],
)
def test_bad_credentials_are_401(http: httpx.Client, tenant: Tenant, value: str) -> None:
    app = create(http, tenant, name="Guarded")
    for call in every_call(app["id"]):
        assert_app_error(send(http, call, {"Authorization": value}), 401, "UNAUTHENTICATED")


def test_tampered_token_is_401(http: httpx.Client, tenant: Tenant) -> None:
    header, payload, signature = tenant.token.split(".")
    claims = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    forged = base64.urlsafe_b64encode(claims.replace(b"SCOPE.OAUTH_APP.MANAGE", b"SCOPE.OAUTH_APP.READX")).rstrip(b"=").decode()
    assert forged != payload
    response = http.post(f"{BASE}/query", headers={"Authorization": f"{header}.{forged}.{signature}"}, json={})
    assert_app_error(response, 401, "UNAUTHENTICATED")
    flipped = signature[:-2] + ("AA" if signature[-2:] != "AA" else "BB")
    response = http.post(f"{BASE}/query", headers={"Authorization": f"{header}.{payload}.{flipped}"}, json={})
    assert_app_error(response, 401, "UNAUTHENTICATED")


def test_another_platform_apps_secret_cannot_mint_a_token_for_an_instance(http: httpx.Client, make_tenant: Callable[..., Tenant]) -> None:
    a, b = make_tenant(name="A"), make_tenant(name="B")
    response = http.post(
        "/oauth2/token",
        json={"grant_type": "client_credentials", "client_id": a.app_id, "client_secret": a.app_secret, "instance_id": b.instance_id},
    )
    assert response.status_code in (400, 401)
    wrong_secret = http.post(
        "/oauth2/token",
        json={"grant_type": "client_credentials", "client_id": a.app_id, "client_secret": b.app_secret, "instance_id": a.instance_id},
    )
    assert wrong_secret.status_code == 401


@pytest.mark.parametrize("form", ["{t}", "Bearer {t}", "bearer {t}", "BEARER  {t}"])
def test_app_token_accepted_bare_or_bearer(http: httpx.Client, tenant: Tenant, form: str) -> None:
    headers = {"Authorization": form.format(t=tenant.token)}
    created = http.post(BASE, headers=headers, json={"oAuthApp": {"name": "Via token"}})
    assert created.status_code == 200, created.text
    assert http.get(f"{BASE}/{created.json()['oAuthApp']['id']}", headers=headers).status_code == 200


@pytest.mark.parametrize("form", ["{k}", "Bearer {k}"])
def test_owner_api_key_with_site_id_can_do_everything(http: httpx.Client, tenant: Tenant, form: str) -> None:
    headers = {"Authorization": form.format(k=tenant.api_key), "wix-site-id": tenant.project_id}
    created = http.post(BASE, headers=headers, json={"oAuthApp": {"name": "Owner made", "allowSecretGeneration": True}})
    assert created.status_code == 200, created.text
    app_id = created.json()["oAuthApp"]["id"]
    assert http.get(f"{BASE}/{app_id}", headers=headers).json()["oAuthApp"]["name"] == "Owner made"
    assert http.patch(f"{BASE}/{app_id}", headers=headers, json={"oAuthApp": {"name": "Renamed"}, "mask": "name"}).status_code == 200
    assert http.post(f"{BASE}/query", headers=headers, json={}).json()["pagingMetadata"]["total"] == 1
    assert http.post(f"{BASE}/{app_id}/generate-secret", headers=headers, json={}).status_code == 200
    assert http.post(f"{BASE}/{app_id}/rotate-secret", headers=headers, json={"gracePeriodSeconds": 0}).status_code == 200
    # The app token of the same project sees what the owner made.
    assert get(http, tenant, app_id)["name"] == "Renamed"
    assert http.delete(f"{BASE}/{app_id}", headers=headers).json() == {}


def test_api_key_for_another_site_is_401(http: httpx.Client, make_tenant: Callable[..., Tenant]) -> None:
    a, b = make_tenant(name="A"), make_tenant(name="B")
    app = create(http, b, name="B's")
    headers = {"Authorization": a.api_key, "wix-site-id": b.project_id}
    assert_app_error(http.get(f"{BASE}/{app['id']}", headers=headers), 401, "UNAUTHENTICATED")
    assert_app_error(http.post(BASE, headers=headers, json={"oAuthApp": {"name": "Sneaky"}}), 401, "UNAUTHENTICATED")
    assert http.post(f"{BASE}/query", headers=b.key_headers, json={}).json()["pagingMetadata"]["total"] == 1


def test_api_key_acts_on_its_own_project_only(http: httpx.Client, make_tenant: Callable[..., Tenant]) -> None:
    a, b = make_tenant(name="A"), make_tenant(name="B")
    made = http.post(BASE, headers=a.key_headers, json={"oAuthApp": {"name": "Made by A's key"}}).json()["oAuthApp"]
    assert_app_error(http.get(f"{BASE}/{made['id']}", headers=b.key_headers), 404, "OAUTH_APP_NOT_FOUND")
    assert get(http, a, made["id"])["name"] == "Made by A's key"


# --- scopes -------------------------------------------------------------------------------------


@pytest.mark.parametrize("scope", [OAUTH_APP_MANAGE, HEADLESS_MANAGE])
def test_manage_scopes_allow_every_operation(http: httpx.Client, make_tenant: Callable[..., Tenant], scope: str) -> None:
    t = make_tenant(scopes=(scope,))
    app = create(http, t, name="Managed", allowSecretGeneration=True)
    assert (
        http.patch(f"{BASE}/{app['id']}", headers=t.app_headers, json={"oAuthApp": {"description": "d"}, "mask": "description"}).status_code
        == 200
    )
    assert get(http, t, app["id"])["description"] == "d"
    assert http.post(f"{BASE}/query", headers=t.app_headers, json={}).status_code == 200
    assert http.post(f"{BASE}/{app['id']}/generate-secret", headers=t.app_headers, json={}).status_code == 200
    assert http.post(f"{BASE}/{app['id']}/rotate-secret", headers=t.app_headers, json={}).status_code == 200
    assert http.delete(f"{BASE}/{app['id']}", headers=t.app_headers).status_code == 200


def test_read_scope_allows_get_and_query_only(http: httpx.Client, tenant: Tenant, install_on: InstallOn) -> None:
    manager = tenant
    app = create(http, manager, name="Readable")
    reader = install_on(manager, (OAUTH_APP_READ,))  # a read-only app on the same project
    assert http.get(f"{BASE}/{app['id']}", headers=reader).json()["oAuthApp"]["name"] == "Readable"
    assert [a["id"] for a in http.post(f"{BASE}/query", headers=reader, json={}).json()["oAuthApps"]] == [app["id"]]
    for call in write_calls(app["id"]):
        error = assert_app_error(send(http, call, reader), 403, "PERMISSION_DENIED")
        assert set(error["data"]["requiredScopes"]) == {OAUTH_APP_MANAGE, HEADLESS_MANAGE}
    # Nothing changed, nothing was added.
    after = get(http, manager, app["id"])
    assert after["name"] == "Readable" and after == {k: v for k, v in app.items() if k != "secret"}
    assert http.post(f"{BASE}/query", headers=manager.app_headers, json={}).json()["pagingMetadata"]["total"] == 1


def test_no_scope_is_403_even_for_reads(http: httpx.Client, tenant: Tenant, install_on: InstallOn) -> None:
    app = create(http, tenant, name="Hidden")
    nobody = install_on(tenant, ())
    for call in [*write_calls(app["id"]), *read_calls(app["id"])]:
        assert_app_error(send(http, call, nobody), 403, "PERMISSION_DENIED")


def test_oauth_app_admin_token_cannot_manage_oauth_apps(http: httpx.Client, tenant: Tenant) -> None:
    app = create(http, tenant, name="Self")
    token = client_credentials(http, app["id"], app["secret"])
    assert token.status_code == 200
    headers = {"Authorization": token.json()["access_token"]}
    for call in [*write_calls(app["id"]), *read_calls(app["id"])]:
        assert_app_error(send(http, call, headers), 403, "PERMISSION_DENIED")
    # Deleting the OAuth app cuts its token off at once: then it is no credential at all.
    assert http.delete(f"{BASE}/{app['id']}", headers=tenant.app_headers).status_code == 200
    assert_app_error(http.post(f"{BASE}/query", headers=headers, json={}), 401, "UNAUTHENTICATED")


# --- tenant isolation ---------------------------------------------------------------------------


def test_another_projects_app_is_404_never_403(http: httpx.Client, make_tenant: Callable[..., Tenant]) -> None:
    a, b = make_tenant(name="A"), make_tenant(name="B")
    app = create(http, a, name="A's app", allowSecretGeneration=True)
    for call in every_call(app["id"]):
        if call[1] in (BASE, f"{BASE}/query"):
            continue
        error = assert_app_error(send(http, call, b.app_headers), 404, "OAUTH_APP_NOT_FOUND")
        assert error["data"].get("oAuthAppId", app["id"]) == app["id"]
    for call in every_call(app["id"]):
        if call[1] in (BASE, f"{BASE}/query") or call[0] != "GET":
            continue
        assert_app_error(send(http, call, b.key_headers), 404, "OAUTH_APP_NOT_FOUND")
    # The app is untouched: same name, and its secret can still be generated by its owner.
    assert get(http, a, app["id"])["name"] == "A's app"
    assert http.post(f"{BASE}/{app['id']}/generate-secret", headers=a.app_headers, json={}).status_code == 200


def test_unknown_and_foreign_ids_answer_alike(http: httpx.Client, make_tenant: Callable[..., Tenant]) -> None:
    a, b = make_tenant(name="A"), make_tenant(name="B")
    app = create(http, a, name="A's app")
    foreign = http.get(f"{BASE}/{app['id']}", headers=b.app_headers)
    unknown = http.get(f"{BASE}/{uuid.uuid4()}", headers=b.app_headers)
    assert foreign.status_code == unknown.status_code == 404
    assert foreign.json()["details"]["applicationError"]["code"] == unknown.json()["details"]["applicationError"]["code"]


def test_query_sees_own_project_only(http: httpx.Client, make_tenant: Callable[..., Tenant]) -> None:
    a, b = make_tenant(name="A"), make_tenant(name="B")
    mine = {create(http, a, name=f"A{i}")["id"] for i in range(3)}
    theirs = create(http, b, name="B0")["id"]
    listed = http.post(f"{BASE}/query", headers=a.app_headers, json={"query": {}}).json()
    assert {x["id"] for x in listed["oAuthApps"]} == mine
    assert listed["pagingMetadata"]["total"] == 3
    by_id = http.post(f"{BASE}/query", headers=a.app_headers, json={"query": {"filter": {"id": {"$in": [theirs, *mine]}}}}).json()
    assert {x["id"] for x in by_id["oAuthApps"]} == mine
    assert http.post(f"{BASE}/query", headers=a.app_headers, json={"query": {"filter": {"id": theirs}}}).json()["oAuthApps"] == []


# --- request ids --------------------------------------------------------------------------------


def test_every_response_has_a_unique_request_id(http: httpx.Client, tenant: Tenant, install_on: InstallOn) -> None:
    app = create(http, tenant, name="Ids")
    reader = install_on(tenant, (OAUTH_APP_READ,))
    huge = {"oAuthApp": {"name": "x" * (1024 * 1024 + 10)}}
    responses = [
        http.post(BASE, headers=tenant.app_headers, json={"oAuthApp": {"name": "Ok"}}),  # 200
        http.get(f"{BASE}/{app['id']}", headers=tenant.app_headers),  # 200
        http.get(f"{SHORT_BASE}/{app['id']}", headers=tenant.app_headers),  # 200
        http.post(f"{BASE}/query", headers=tenant.app_headers, json={}),  # 200
        http.post(BASE, headers=tenant.app_headers, json={"oAuthApp": {"name": "x"}}),  # 400
        http.post(BASE, headers={**tenant.app_headers, "content-type": "application/json"}, content=b"{"),  # 400
        http.get(f"{BASE}/{app['id']}"),  # 401
        http.post(BASE, headers=reader, json={"oAuthApp": {"name": "No"}}),  # 403
        http.get(f"{BASE}/{uuid.uuid4()}", headers=tenant.app_headers),  # 404
        http.post(f"{BASE}/{app['id']}/generate-secret", headers=tenant.app_headers, json={}),  # 409
        http.post(BASE, headers=tenant.app_headers, json=huge),  # 413
        http.put(f"{BASE}/{app['id']}", headers=tenant.app_headers, json={}),  # 405
        http.get("/oauth-app/v1/no-such-thing", headers=tenant.app_headers),  # 404 route
        http.get("/openapi.json"),
        http.post("/oauth2/token", json={"grant_type": "client_credentials", "client_id": "x", "client_secret": "y"}),
    ]
    statuses = [r.status_code for r in responses]
    assert statuses[:13] == [200, 200, 200, 200, 400, 400, 401, 403, 404, 409, 413, 405, 404], statuses
    ids = [r.headers.get("x-wix-request-id") for r in responses]
    assert all(ids), list(zip(statuses, ids, strict=False))
    assert len(set(ids)) == len(ids)
    for r in responses[4:13]:
        assert r.headers["content-type"].startswith("application/json")
        body = r.json()
        assert set(body) == {"message", "details"}, body


def test_unknown_route_and_wrong_method_use_the_wix_error_shape(http: httpx.Client, tenant: Tenant) -> None:
    app = create(http, tenant, name="Routes")
    assert_app_error(http.put(f"{BASE}/{app['id']}", headers=tenant.app_headers, json={}), 405, "METHOD_NOT_ALLOWED")
    assert_app_error(http.get("/oauth-app/v1/nothing-here", headers=tenant.app_headers), 404, "NOT_FOUND")
