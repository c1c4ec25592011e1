"""token-info (Wix), introspection (RFC 7662), revocation (RFC 7009), metadata (RFC 8414), the
JWKS, and signing-key rotation with the ``oauthapps keys rotate`` command, over real HTTP."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from oauthapps.store.migrate import upgrade

from ..support.members import member_tokens
from ..support.oauth2 import (
    Client,
    assert_oauth_error,
    delete_client,
    is_active,
    new_client,
    patch_client,
    refresh,
    token_call,
    token_info,
    visitor_tokens,
)
from ..support.servers import Server, fresh_database, run_cli, running_server
from ..support.tenants import Tenant, app_token, new_tenant


def kid_of(token: str) -> str:
    header = json.loads(_b64(token.split(".", maxsplit=1)[0]))
    return str(header["kid"])


def _b64(part: str) -> bytes:
    import base64

    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def jwks_of(http: httpx.Client) -> dict[str, Any]:
    response = http.get("/.well-known/jwks.json")
    assert response.status_code == 200, response.text
    return dict(response.json())


def verify_with_jwks(token: str, jwks: dict[str, Any]) -> dict[str, Any]:
    """Verify as a resource server would: only the published public keys."""
    decoded = jwt.decode(token, KeySet.import_key_set(jwks), algorithms=["ES256"])
    return dict(decoded.claims)


def introspect(http: httpx.Client, client: Client, token: str, **extra: str) -> httpx.Response:
    return http.post("/oauth2/introspect", data={"client_id": client.id, "client_secret": client.secret, "token": token, **extra})


def revoke(http: httpx.Client, client_id: str, token: str, **extra: str) -> httpx.Response:
    return http.post("/oauth2/revoke", data={"client_id": client_id, "token": token, **extra})


# --- token-info -----------------------------------------------------------------------------------


def test_token_info_for_visitor_member_and_app_tokens(http: httpx.Client, tenant: Tenant, client: Client) -> None:
    before = int(time.time())
    guest = visitor_tokens(http, client.id)
    member = member_tokens(http, client)
    admin = token_call(http, grant_type="client_credentials", client_id=client.id, client_secret=client.secret).json()
    after = int(time.time())

    seen_subjects = set()
    for token, kind in ((guest["access_token"], "VISITOR"), (member["access_token"], "MEMBER"), (admin["access_token"], "APP")):
        info = token_info(http, token)
        assert info["active"] is True
        assert info["subjectType"] == kind
        assert info["clientId"] == client.id
        assert info["siteId"] == tenant.project_id
        assert isinstance(info["subjectId"], str) and info["subjectId"]
        assert isinstance(info["iat"], int) and isinstance(info["exp"], int)
        assert before <= info["iat"] <= after + 1 and info["exp"] - info["iat"] == 14400
        seen_subjects.add(info["subjectId"])
    assert len(seen_subjects) == 3
    assert token_info(http, admin["access_token"])["subjectId"] == client.id

    # The installed platform app's token (client_credentials with instance_id).
    info = token_info(http, tenant.token)
    assert info["active"] is True and info["subjectType"] == "APP"
    assert info["clientId"] == tenant.app_id and info["instanceId"] == tenant.instance_id and info["siteId"] == tenant.project_id


@pytest.mark.parametrize("garbage", ["", "not-a-token", "a.b.c", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", "oar_abc"])
def test_token_info_for_garbage_is_inactive(http: httpx.Client, garbage: str) -> None:
    if garbage == "":
        assert_oauth_error(http.post("/oauth2/token-info", json={"token": ""}), 400, "invalid_request")
        return
    response = http.post("/oauth2/token-info", json={"token": garbage})
    assert response.status_code == 200 and response.json() == {"active": False}
    assert response.headers.get("cache-control") == "no-store"


def test_token_info_for_a_tampered_token_is_inactive(http: httpx.Client, client: Client) -> None:
    token = visitor_tokens(http, client.id)["access_token"]
    header, payload, signature = token.split(".")
    claims = json.loads(_b64(payload))
    claims["tid"] = "someone-else"
    import base64

    forged_payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    assert not is_active(http, f"{header}.{forged_payload}.{signature}")
    flipped = signature[:-2] + ("AA" if signature[-2:] != "AA" else "BB")
    assert not is_active(http, f"{header}.{payload}.{flipped}")
    assert is_active(http, token)


def test_token_info_for_revoked_and_deleted_app_tokens(http: httpx.Client, tenant: Tenant, client: Client) -> None:
    guest = visitor_tokens(http, client.id)
    member = member_tokens(http, client)
    admin = token_call(http, grant_type="client_credentials", client_id=client.id, client_secret=client.secret).json()
    assert revoke(http, client.id, guest["access_token"]).status_code == 200
    assert not is_active(http, guest["access_token"])
    assert is_active(http, member["access_token"]) and is_active(http, admin["access_token"])
    delete_client(http, tenant, client.id)
    assert not is_active(http, member["access_token"])
    assert not is_active(http, admin["access_token"])


@pytest.fixture(scope="module")
def short_token_server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    env = {"OAUTHAPPS_ACCESS_TOKEN_SECONDS": "1"}
    with running_server(database_url, tmp_path_factory.mktemp("short-token"), extra_env=env) as srv:
        yield srv


def fresh_one_second_token(http: httpx.Client, short: httpx.Client, client_id: str) -> dict[str, Any]:
    """A visitor token of the 1-second server, seen active there. ``iat`` is a whole second, so
    such a token may live only a moment: mint just after a second begins, and retry if it was
    still too late."""
    for _ in range(5):
        time.sleep(1.02 - time.time() % 1)
        guest = visitor_tokens(short, client_id)
        assert guest["expires_in"] == 1
        # Another issuer (the shared server) refuses it; checked first, so that the token being
        # active just after shows that it was refused while it was still fresh.
        assert not is_active(http, guest["access_token"])
        info = token_info(short, guest["access_token"])
        if info["active"]:
            assert info["exp"] - info["iat"] == 1
            return guest
    pytest.fail("a 1-second token was never seen active")


def test_expired_access_token_is_inactive(http: httpx.Client, client: Client, short_token_server: Server) -> None:
    with httpx.Client(base_url=short_token_server.base_url, timeout=30) as short:
        guest = fresh_one_second_token(http, short, client.id)
        time.sleep(2.1)
        assert not is_active(short, guest["access_token"])
        introspected = introspect(short, client, guest["access_token"])
        assert introspected.status_code == 200 and introspected.json() == {"active": False}
        # Its refresh token outlives it and gives a fresh access token.
        renewed = refresh(short, client.id, guest["refresh_token"])
        assert renewed.status_code == 200, renewed.text
        assert renewed.json()["expires_in"] == 1


# --- introspection (RFC 7662) --------------------------------------------------------------------


def test_introspection_needs_the_client_secret(http: httpx.Client, client: Client) -> None:
    token = visitor_tokens(http, client.id)["access_token"]
    no_secret = http.post("/oauth2/introspect", data={"client_id": client.id, "token": token})
    assert_oauth_error(no_secret, 401, "invalid_client")
    wrong = http.post("/oauth2/introspect", data={"client_id": client.id, "client_secret": "oas_wrong", "token": token})
    assert_oauth_error(wrong, 401, "invalid_client")
    unknown = http.post(
        "/oauth2/introspect", data={"client_id": "2b8f2f7e-0000-4000-8000-000000000000", "client_secret": client.secret, "token": token}
    )
    assert_oauth_error(unknown, 401, "invalid_client")
    # HTTP Basic works as well as the body.
    import base64

    basic = base64.b64encode(f"{client.id}:{client.secret}".encode()).decode()
    ok = http.post("/oauth2/introspect", data={"token": token}, headers={"Authorization": f"Basic {basic}"})
    assert ok.status_code == 200 and ok.json()["active"] is True


def test_introspection_of_access_tokens(http: httpx.Client, tenant: Tenant, client: Client) -> None:
    member = member_tokens(http, client)
    response = introspect(http, client, member["access_token"], token_type_hint="access_token")
    assert response.status_code == 200, response.text
    assert response.headers.get("cache-control") == "no-store"
    body = response.json()
    info = token_info(http, member["access_token"])
    assert body["active"] is True and body["token_type"] == "Bearer"
    assert body["client_id"] == client.id and body["sub"] == info["subjectId"]
    assert body["exp"] == info["exp"] and body["iat"] == info["iat"]
    assert body["iss"] == str(http.base_url).rstrip("/") and body["aud"] == tenant.project_id
    assert body["scope"] == "offline_access" and body["subject_type"] == "MEMBER"
    claims = verify_with_jwks(member["access_token"], jwks_of(http))
    assert body["jti"] == claims["jti"]

    # Another OAuth app of the same project (a resource server) may ask too.
    sibling = new_client(http, tenant)
    assert introspect(http, sibling, member["access_token"]).json()["active"] is True
    assert introspect(http, client, "garbage").json() == {"active": False}


def test_introspection_never_reveals_another_projects_tokens(http: httpx.Client, make_tenant: Callable[..., Tenant]) -> None:
    a, b = make_tenant(name="Project A"), make_tenant(name="Project B")
    client_a, client_b = new_client(http, a), new_client(http, b)
    guest_b = visitor_tokens(http, client_b.id)
    member_b = member_tokens(http, client_b)
    admin_b = token_call(http, grant_type="client_credentials", client_id=client_b.id, client_secret=client_b.secret).json()
    for token in (
        guest_b["access_token"],
        guest_b["refresh_token"],
        member_b["access_token"],
        member_b["refresh_token"],
        admin_b["access_token"],
        b.token,
    ):
        response = introspect(http, client_a, token)
        assert response.status_code == 200 and response.json() == {"active": False}, token
    # ...while its own project's client sees them.
    assert introspect(http, client_b, member_b["access_token"]).json()["active"] is True
    assert introspect(http, client_b, member_b["refresh_token"]).json()["active"] is True


def test_introspection_of_refresh_tokens(http: httpx.Client, tenant: Tenant, client: Client) -> None:
    member = member_tokens(http, client)
    body = introspect(http, client, member["refresh_token"], token_type_hint="refresh_token").json()
    assert body["active"] is True and body["client_id"] == client.id and body["subject_type"] == "MEMBER"
    assert body["sub"] == token_info(http, member["access_token"])["subjectId"]
    assert body["exp"] > time.time() + 29 * 24 * 3600
    # A rotated-out refresh token is no longer active; the one that replaced it is.
    patch_client(http, tenant, client.id, {"refreshTokenRotation": True})
    rotated = refresh(http, client.id, member["refresh_token"]).json()
    assert introspect(http, client, member["refresh_token"]).json() == {"active": False}
    assert introspect(http, client, rotated["refresh_token"]).json()["active"] is True
    # Revoked: inactive.
    assert revoke(http, client.id, rotated["refresh_token"]).status_code == 200
    assert introspect(http, client, rotated["refresh_token"]).json() == {"active": False}


# --- revocation (RFC 7009) -----------------------------------------------------------------------


@pytest.mark.parametrize("which", ["access_token", "refresh_token"])
def test_revoking_either_token_kills_the_grant(http: httpx.Client, client: Client, which: str) -> None:
    member = member_tokens(http, client)
    renewed = refresh(http, client.id, member["refresh_token"]).json()
    other = member_tokens(http, client)  # another grant, untouched
    response = revoke(http, client.id, member[which], token_type_hint=which)
    assert response.status_code == 200, response.text
    assert response.headers.get("cache-control") == "no-store"
    assert not is_active(http, member["access_token"]) and not is_active(http, renewed["access_token"])
    assert_oauth_error(refresh(http, client.id, member["refresh_token"]), 400, "invalid_grant")
    assert is_active(http, other["access_token"])
    assert refresh(http, client.id, other["refresh_token"]).status_code == 200
    # Revoking again is fine.
    assert revoke(http, client.id, member[which]).status_code == 200


def test_revoking_an_unknown_token_is_200(http: httpx.Client, client: Client) -> None:
    for token in ("oar_unknown", "x.y.z", "whatever"):
        response = revoke(http, client.id, token)
        assert response.status_code == 200, response.text
    assert_oauth_error(http.post("/oauth2/revoke", data={"client_id": client.id}), 400, "invalid_request")


def test_another_clients_token_is_left_alone(
    http: httpx.Client, tenant: Tenant, make_tenant: Callable[..., Tenant], client: Client
) -> None:
    sibling = new_client(http, tenant)
    stranger = new_client(http, make_tenant(name="Elsewhere"))
    member = member_tokens(http, client)
    for attacker in (sibling, stranger):
        for token in (member["access_token"], member["refresh_token"]):
            assert revoke(http, attacker.id, token).status_code == 200
    assert is_active(http, member["access_token"])
    assert refresh(http, client.id, member["refresh_token"]).status_code == 200


def test_revoke_by_a_deleted_or_unknown_client_is_401(http: httpx.Client, tenant: Tenant, client: Client) -> None:
    guest = visitor_tokens(http, client.id)
    assert_oauth_error(revoke(http, "5a1b0c35-0000-4000-8000-000000000000", guest["access_token"]), 401, "invalid_client")
    wrong = http.post("/oauth2/revoke", data={"client_id": client.id, "client_secret": "oas_wrong", "token": guest["access_token"]})
    assert_oauth_error(wrong, 401, "invalid_client")
    assert is_active(http, guest["access_token"])
    delete_client(http, tenant, client.id)
    assert_oauth_error(revoke(http, client.id, guest["access_token"]), 401, "invalid_client")


# --- metadata and JWKS ---------------------------------------------------------------------------


def test_authorization_server_metadata(http: httpx.Client, server: Server) -> None:
    response = http.get("/.well-known/oauth-authorization-server")
    assert response.status_code == 200
    meta = response.json()
    issuer = server.base_url
    assert meta["issuer"] == issuer
    assert meta["authorization_endpoint"] == f"{issuer}/oauth2/authorize"
    assert meta["token_endpoint"] == f"{issuer}/oauth2/token"
    assert meta["revocation_endpoint"] == f"{issuer}/oauth2/revoke"
    assert meta["introspection_endpoint"] == f"{issuer}/oauth2/introspect"
    assert meta["jwks_uri"] == f"{issuer}/.well-known/jwks.json"
    assert meta["response_types_supported"] == ["code"]
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert set(meta["response_modes_supported"]) == {"query", "fragment", "web_message"}
    assert {"authorization_code", "refresh_token", "client_credentials", "anonymous"} <= set(meta["grant_types_supported"])
    assert "client_secret_basic" in meta["token_endpoint_auth_methods_supported"]
    assert "none" not in meta["introspection_endpoint_auth_methods_supported"]
    assert meta["authorization_response_iss_parameter_supported"] is True
    # Every advertised endpoint is really there.
    assert http.get(meta["jwks_uri"]).status_code == 200
    for name in ("token_endpoint", "revocation_endpoint", "introspection_endpoint"):
        assert http.post(meta[name], json={}).status_code in (400, 401), name


def test_jwks_publishes_the_key_that_signs_tokens(http: httpx.Client, tenant: Tenant, client: Client) -> None:
    jwks = jwks_of(http)
    assert jwks["keys"] and jwks == http.get("/oauth2/jwks").json()
    for key in jwks["keys"]:
        assert key["kty"] == "EC" and key["crv"] == "P-256" and key["alg"] == "ES256" and key["kid"]
        assert "d" not in key  # public halves only
    guest = visitor_tokens(http, client.id)
    kid = kid_of(guest["access_token"])
    assert kid in {k["kid"] for k in jwks["keys"]}
    claims = verify_with_jwks(guest["access_token"], jwks)
    assert claims["iss"] == str(http.base_url).rstrip("/") and claims["client_id"] == client.id and claims["tid"] == tenant.project_id
    header = json.loads(_b64(guest["access_token"].split(".")[0]))
    assert header["typ"] == "at+jwt" and header["alg"] == "ES256"
    verify_with_jwks(tenant.token, jwks)


# --- key rotation ---------------------------------------------------------------------------------

ROTATION_ISSUER = "https://issuer.rotation.test"  # two nodes of one deployment share the issuer


def rotate_keys(database_url: str) -> str:
    done = run_cli("keys", "rotate", "--database", database_url, "--json")
    assert done.returncode == 0, done.stderr
    return str(json.loads(done.stdout)["kid"])


@dataclass
class RunningNode:
    database_url: str
    server: Server
    tmp: Path
    app: tuple[str, str, str]  # app id, secret, instance id
    old_token: str


@pytest.fixture(scope="module", autouse=True)
def running_node(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningNode]:
    """A node on a database of its own (rotating keys must not touch the shared server's), started
    with the module and given its first token at once. The rotation test runs last, when most of
    the node's 30 s key-reload interval has already passed, so it waits less."""
    kind = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    tmp = tmp_path_factory.mktemp("rotation")
    (tmp / "a").mkdir()
    (tmp / "b").mkdir()

    with fresh_database(kind, tmp) as url:
        upgrade(url)
        with running_server(url, tmp / "a", extra_env={"OAUTHAPPS_ISSUER": ROTATION_ISSUER}) as node:
            with httpx.Client(base_url=node.base_url, timeout=30) as a:
                owner = new_tenant(a, url, scopes=(), name="Rotation")
            yield RunningNode(url, node, tmp, (owner.app_id, owner.app_secret, owner.instance_id), owner.token)


def test_keys_rotate_switches_signing_and_old_tokens_keep_verifying(running_node: RunningNode) -> None:
    env = {"OAUTHAPPS_ISSUER": ROTATION_ISSUER}
    app, old_token = running_node.app, running_node.old_token
    with httpx.Client(base_url=running_node.server.base_url, timeout=30) as a:
        old_kid = kid_of(old_token)
        assert [k["kid"] for k in jwks_of(a)["keys"]] == [old_kid]

        new_kid = rotate_keys(running_node.database_url)
        assert new_kid != old_kid

        # A node started after the rotation (a restart) signs with the new key at once...
        with (
            running_server(running_node.database_url, running_node.tmp / "b", extra_env=env) as node_b,
            httpx.Client(base_url=node_b.base_url, timeout=30) as b,
        ):
            fresh = app_token(b, *app)
            assert kid_of(fresh) == new_kid
            jwks_b = jwks_of(b)
            assert {k["kid"] for k in jwks_b["keys"]} == {old_kid, new_kid}
            verify_with_jwks(old_token, jwks_b)
            verify_with_jwks(fresh, jwks_b)
            assert is_active(b, old_token)

            # ...and the node that was already running switches within its reload interval (30 s),
            # without being told, and without anyone showing it a new-key token first.
            deadline = time.monotonic() + 40
            while True:
                kid = kid_of(app_token(a, *app))
                if kid == new_kid or time.monotonic() > deadline:
                    break
                time.sleep(1)
            assert kid == new_kid, "the running node never started signing with the rotated key"
            assert is_active(a, old_token) and is_active(a, fresh)
            jwks_a = jwks_of(a)
            assert {k["kid"] for k in jwks_a["keys"]} == {old_kid, new_kid}
            verify_with_jwks(old_token, jwks_a)
