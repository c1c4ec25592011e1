"""Secrets: shown once at create, deferred generation (once), never retrievable, rotation with a
grace period, and an audit trail that never holds one."""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

import httpx
import pytest

from ..support.oauth_apps import BASE, assert_app_error, assert_violation, audit_entries, client_credentials, create, get, secret_works
from ..support.servers import Server
from ..support.tenants import Tenant

# Tests here create their own apps and need no empty project: ``tenant`` is one per module.
pytestmark = pytest.mark.shared_tenant


def generate(http: httpx.Client, tenant: Tenant, app_id: str) -> httpx.Response:
    return http.post(f"{BASE}/{app_id}/generate-secret", headers=tenant.app_headers, json={"oAuthAppId": app_id})


def rotate(http: httpx.Client, tenant: Tenant, app_id: str, body: dict[str, Any] | None = None) -> httpx.Response:
    return http.post(f"{BASE}/{app_id}/rotate-secret", headers=tenant.app_headers, json=body if body is not None else {})


# --- created with a secret ----------------------------------------------------------------------


def test_create_returns_a_working_secret_once_and_nothing_else_shows_it(http: httpx.Client, tenant: Tenant) -> None:
    app = create(http, tenant, name="Confidential")
    secret = app["secret"]
    assert secret.startswith("oas_") and len(secret) >= 40
    assert app["allowSecretGeneration"] is False
    assert secret_works(http, app["id"], secret)
    assert not secret_works(http, app["id"], secret + "x")
    assert not secret_works(http, app["id"], "oas_" + "A" * 43)
    later = [
        http.get(f"{BASE}/{app['id']}", headers=tenant.app_headers),
        http.get(f"{BASE}/{app['id']}", headers=tenant.key_headers),
        http.post(f"{BASE}/query", headers=tenant.app_headers, json={}),
        http.post(f"{BASE}/query", headers=tenant.app_headers, json={"query": {"filter": {"id": app["id"]}}}),
        http.patch(f"{BASE}/{app['id']}", headers=tenant.app_headers, json={"oAuthApp": {"description": "x"}}),
        http.patch(f"{BASE}/{app['id']}", headers=tenant.app_headers, json={"oAuthApp": {"name": "Renamed"}, "mask": "name"}),
        http.get(f"{BASE}/{app['id']}/secret", headers=tenant.app_headers),
        http.get(f"{BASE}/{app['id']}/secret", headers=tenant.key_headers),
        generate(http, tenant, app["id"]),
    ]
    for response in later:
        assert secret not in response.text
        assert '"secret"' not in response.text
    deleted = http.delete(f"{BASE}/{app['id']}", headers=tenant.app_headers)
    assert secret not in deleted.text
    assert not secret_works(http, app["id"], secret)


def test_each_app_gets_its_own_secret(http: httpx.Client, tenant: Tenant) -> None:
    a = create(http, tenant, name="One")
    b = create(http, tenant, name="Two")
    assert a["secret"] != b["secret"]
    assert not secret_works(http, a["id"], b["secret"])
    assert not secret_works(http, b["id"], a["secret"])


def test_explicit_false_still_generates_the_secret_now(http: httpx.Client, tenant: Tenant) -> None:
    app = create(http, tenant, name="Explicit", allowSecretGeneration=False)
    assert app["secret"].startswith("oas_") and app["allowSecretGeneration"] is False
    assert_app_error(generate(http, tenant, app["id"]), 409, "SECRET_ALREADY_GENERATED")
    assert secret_works(http, app["id"], app["secret"])


# --- deferred secret ------------------------------------------------------------------------------


def test_deferred_secret_is_generated_exactly_once(http: httpx.Client, tenant: Tenant) -> None:
    app = create(http, tenant, name="Deferred", allowSecretGeneration=True)
    assert "secret" not in app
    assert app["allowSecretGeneration"] is True
    assert get(http, tenant, app["id"])["allowSecretGeneration"] is True
    # No secret yet: nothing authenticates as this client.
    assert not secret_works(http, app["id"], "")
    assert not secret_works(http, app["id"], "oas_anything")

    first = generate(http, tenant, app["id"])
    assert first.status_code == 200, first.text
    assert set(first.json()) == {"oAuthAppSecret"}
    secret = first.json()["oAuthAppSecret"]
    assert secret.startswith("oas_")
    assert secret_works(http, app["id"], secret)
    after = get(http, tenant, app["id"])
    assert after["allowSecretGeneration"] is False and "secret" not in after

    second = generate(http, tenant, app["id"])
    error = assert_app_error(second, 409, "SECRET_ALREADY_GENERATED")
    assert "rotate" in error["description"].lower()
    assert secret not in second.text
    # The first secret is still the one that works.
    assert secret_works(http, app["id"], secret)


def test_concurrent_generate_secret_succeeds_exactly_once(http: httpx.Client, tenant: Tenant, server: Server) -> None:
    app = create(http, tenant, name="Race", allowSecretGeneration=True)
    results: list[httpx.Response] = []
    lock = threading.Lock()
    start = threading.Barrier(6)

    def attempt() -> None:
        with httpx.Client(base_url=server.base_url, timeout=30) as client:
            start.wait()
            r = client.post(f"{BASE}/{app['id']}/generate-secret", headers=tenant.app_headers, json={})
        with lock:
            results.append(r)

    threads = [threading.Thread(target=attempt) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    statuses = sorted(r.status_code for r in results)
    assert statuses == [200] + [409] * 5, [r.text for r in results]
    winner = next(r for r in results if r.status_code == 200).json()["oAuthAppSecret"]
    assert secret_works(http, app["id"], winner)
    generated = [e for e in audit_entries(server.database_url, tenant.project_id, app["id"]) if e.action == "oauth_app.secret_generated"]
    assert len(generated) == 1


def test_allow_secret_generation_cannot_be_switched_back_on_by_update(http: httpx.Client, tenant: Tenant) -> None:
    app = create(http, tenant, name="Closed")
    response = http.patch(
        f"{BASE}/{app['id']}",
        headers=tenant.app_headers,
        json={"oAuthApp": {"allowSecretGeneration": True}, "mask": "allowSecretGeneration"},
    )
    assert response.status_code == 400
    http.patch(f"{BASE}/{app['id']}", headers=tenant.app_headers, json={"oAuthApp": {"allowSecretGeneration": True}})
    assert get(http, tenant, app["id"])["allowSecretGeneration"] is False
    assert_app_error(generate(http, tenant, app["id"]), 409, "SECRET_ALREADY_GENERATED")


def test_generate_secret_for_unknown_app_is_404(http: httpx.Client, tenant: Tenant) -> None:
    assert_app_error(generate(http, tenant, str(uuid.uuid4())), 404, "OAUTH_APP_NOT_FOUND")


# --- GET /{id}/secret -----------------------------------------------------------------------------


@pytest.mark.parametrize("deferred", [False, True])
def test_get_secret_is_refused_clearly(http: httpx.Client, tenant: Tenant, deferred: bool) -> None:
    app = create(http, tenant, name="Hidden", allowSecretGeneration=deferred)
    response = http.get(f"{BASE}/{app['id']}/secret", headers=tenant.app_headers, params={"oAuthAppId": app["id"]})
    error = assert_app_error(response, 400, "SECRET_NOT_RETRIEVABLE")
    assert "rotate" in error["description"].lower()
    assert "oAuthAppSecret" not in response.json()
    assert_app_error(http.get(f"{BASE}/{uuid.uuid4()}/secret", headers=tenant.app_headers), 404, "OAUTH_APP_NOT_FOUND")


# --- rotation -------------------------------------------------------------------------------------


def test_rotate_with_grace_keeps_the_old_secret_until_the_grace_ends(http: httpx.Client, tenant: Tenant) -> None:
    app = create(http, tenant, name="Rotating")
    old = app["secret"]
    response = rotate(http, tenant, app["id"], {"gracePeriodSeconds": 2})
    assert response.status_code == 200, response.text
    assert set(response.json()) == {"oAuthAppSecret"}
    new = response.json()["oAuthAppSecret"]
    rotated_at = time.monotonic()
    assert new.startswith("oas_") and new != old
    assert secret_works(http, app["id"], new)
    assert secret_works(http, app["id"], old)
    # The new secret is shown once: nothing later shows it.
    assert new not in http.get(f"{BASE}/{app['id']}", headers=tenant.app_headers).text
    assert new not in http.post(f"{BASE}/query", headers=tenant.app_headers, json={}).text
    time.sleep(max(0.0, 2.3 - (time.monotonic() - rotated_at)))
    assert not secret_works(http, app["id"], old)
    assert secret_works(http, app["id"], new)


def test_rotate_without_grace_cuts_the_old_secret_off_at_once(http: httpx.Client, tenant: Tenant) -> None:
    app = create(http, tenant, name="Rotating now")
    old = app["secret"]
    for body in ({"gracePeriodSeconds": 0}, {}):
        response = rotate(http, tenant, app["id"], body)
        assert response.status_code == 200, response.text
        new = response.json()["oAuthAppSecret"]
        assert not secret_works(http, app["id"], old)
        assert secret_works(http, app["id"], new)
        old = new


def test_rotating_again_ends_the_earlier_grace(http: httpx.Client, tenant: Tenant) -> None:
    app = create(http, tenant, name="Twice")
    first = app["secret"]
    second = rotate(http, tenant, app["id"], {"gracePeriodSeconds": 3600}).json()["oAuthAppSecret"]
    third = rotate(http, tenant, app["id"], {"gracePeriodSeconds": 0}).json()["oAuthAppSecret"]
    assert len({first, second, third}) == 3
    assert secret_works(http, app["id"], third)
    assert not secret_works(http, app["id"], second)
    assert not secret_works(http, app["id"], first)


def test_rotated_secret_of_one_app_does_not_open_another(http: httpx.Client, tenant: Tenant) -> None:
    a = create(http, tenant, name="App A")
    b = create(http, tenant, name="App B")
    new_a = rotate(http, tenant, a["id"], {"gracePeriodSeconds": 60}).json()["oAuthAppSecret"]
    assert not secret_works(http, b["id"], new_a)
    assert not secret_works(http, b["id"], a["secret"])
    assert secret_works(http, b["id"], b["secret"])


@pytest.mark.parametrize("grace", [-1, 604801, "60", 1.5, True, [60]])
def test_grace_period_must_be_0_to_7_days(http: httpx.Client, tenant: Tenant, grace: Any) -> None:
    app = create(http, tenant, name="Grace")
    assert_violation(rotate(http, tenant, app["id"], {"gracePeriodSeconds": grace}), "gracePeriodSeconds")
    assert secret_works(http, app["id"], app["secret"])


def test_grace_period_of_exactly_7_days_is_accepted(http: httpx.Client, tenant: Tenant) -> None:
    app = create(http, tenant, name="Week")
    new = rotate(http, tenant, app["id"], {"gracePeriodSeconds": 604800}).json()["oAuthAppSecret"]
    assert secret_works(http, app["id"], app["secret"]) and secret_works(http, app["id"], new)


def test_rotate_before_any_secret_is_409_then_works_after_generate(http: httpx.Client, tenant: Tenant) -> None:
    app = create(http, tenant, name="Not yet", allowSecretGeneration=True)
    assert_app_error(rotate(http, tenant, app["id"], {"gracePeriodSeconds": 0}), 409, "SECRET_NOT_GENERATED")
    assert get(http, tenant, app["id"])["allowSecretGeneration"] is True
    first = generate(http, tenant, app["id"]).json()["oAuthAppSecret"]
    second = rotate(http, tenant, app["id"], {"gracePeriodSeconds": 0}).json()["oAuthAppSecret"]
    assert secret_works(http, app["id"], second) and not secret_works(http, app["id"], first)


def test_rotate_unknown_app_is_404(http: httpx.Client, tenant: Tenant) -> None:
    assert_app_error(rotate(http, tenant, str(uuid.uuid4()), {"gracePeriodSeconds": 0}), 404, "OAUTH_APP_NOT_FOUND")


def test_admin_tokens_issued_with_a_secret_belong_to_the_app(http: httpx.Client, tenant: Tenant) -> None:
    app = create(http, tenant, name="Tokens")
    response = client_credentials(http, app["id"], app["secret"])
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] > 0 and body["access_token"].count(".") == 2
    assert response.headers.get("cache-control") == "no-store"


# --- audit ----------------------------------------------------------------------------------------


def test_audit_trail_of_a_whole_life_never_holds_a_secret(http: httpx.Client, tenant: Tenant, server: Server) -> None:
    created = http.post(
        BASE,
        headers=tenant.app_headers,
        json={
            "oAuthApp": {
                "name": "Audited",
                "allowSecretGeneration": True,
                "allowedDomains": ["a.example.com"],
                "technology": "VUE",
            }
        },
    )
    app = created.json()["oAuthApp"]
    secrets = []
    responses = [created]
    r = generate(http, tenant, app["id"])
    responses.append(r)
    secrets.append(r.json()["oAuthAppSecret"])
    r = rotate(http, tenant, app["id"], {"gracePeriodSeconds": 10})
    responses.append(r)
    secrets.append(r.json()["oAuthAppSecret"])
    responses.append(
        http.patch(
            f"{BASE}/{app['id']}",
            headers=tenant.app_headers,
            json={"oAuthApp": {"description": "d", "name": "Audited 2"}, "mask": {"paths": ["description"]}},
        )
    )
    responses.append(http.delete(f"{BASE}/{app['id']}", headers=tenant.key_headers))
    assert [x.status_code for x in responses] == [200] * 5

    entries = audit_entries(server.database_url, tenant.project_id, app["id"])
    assert [e.action for e in entries] == [
        "oauth_app.created",
        "oauth_app.secret_generated",
        "oauth_app.secret_rotated",
        "oauth_app.updated",
        "oauth_app.deleted",
    ]
    assert {"name", "allowedDomains", "technology"} <= set(entries[0].fields)
    assert entries[1].fields == ["secret"] and entries[2].fields == ["secret"]
    assert entries[3].fields == ["description"]
    assert entries[4].fields == []
    assert [e.request_id for e in entries] == [x.headers["x-wix-request-id"] for x in responses]
    assert [e.actor_type for e in entries] == ["app", "app", "app", "app", "api_key"]
    assert all(e.actor_id == tenant.instance_id for e in entries[:4])
    assert all(e.project_id == tenant.project_id and e.oauth_app_id == app["id"] for e in entries)
    assert [e.at for e in entries] == sorted(e.at for e in entries)
    dump = repr(entries)
    for secret in secrets:
        assert secret not in dump
        assert secret[4:] not in dump
    # Failed and refused attempts leave no trace.
    generate(http, tenant, app["id"])
    assert len(audit_entries(server.database_url, tenant.project_id, app["id"])) == 5
