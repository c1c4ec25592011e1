"""POST /oauth2/token over real HTTP: every grant's failure modes, code replay, refresh-token
rotation and reuse detection, client authentication (body and HTTP Basic), and the request
formats (JSON and form, camelCase and snake_case)."""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from oauthapps.domain.pkce import s256

from ..support.members import hosted_session_code, member_code, member_tokens
from ..support.oauth2 import (
    CALLBACK,
    Client,
    Pkce,
    assert_oauth_error,
    authorize_query,
    authorize_url,
    delete_client,
    exchange,
    is_active,
    new_client,
    patch_client,
    refresh,
    response_params,
    token_call,
    token_info,
    visitor_tokens,
)
from ..support.servers import Server, running_server
from ..support.tenants import Tenant


def assert_token_response(response: httpx.Response, *, refresh_token: bool) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    assert response.headers.get("cache-control") == "no-store"
    assert response.headers.get("pragma") == "no-cache"
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert isinstance(body["expires_in"], int) and not isinstance(body["expires_in"], bool)
    assert body["expires_in"] == 14400
    assert isinstance(body["access_token"], str) and body["access_token"].count(".") == 2
    if refresh_token:
        assert body["refresh_token"].startswith("oar_")
    else:
        assert "refresh_token" not in body
    return dict(body)


@pytest.fixture
def signed_in(http: httpx.Client, client: Client) -> Client:
    """The client, with a member signed in on ``http`` (its session cookie is in the jar)."""
    hosted_session_code(http, client, Pkce.new())
    return client


def session_code(http: httpx.Client, client: Client, pkce: Pkce, redirect_uri: str | None = None) -> str:
    """A new code for the member whose session cookie ``http`` holds (prompt=none, no password)."""
    response = http.get(authorize_url(authorize_query(client.id, redirect_uri or client.redirect_uri, pkce, prompt="none")))
    assert response.status_code == 303, response.text
    code = response_params(response.headers["location"], "query").get("code", "")
    assert code.startswith("oac_"), response.headers["location"]
    return code


# --- anonymous ----------------------------------------------------------------------------------


def test_anonymous_answers_the_token_shape(http: httpx.Client, client: Client) -> None:
    body = assert_token_response(token_call(http, clientId=client.id, grantType="anonymous"), refresh_token=True)
    info = token_info(http, body["access_token"])
    assert info["active"] is True and info["subjectType"] == "VISITOR" and info["clientId"] == client.id
    # Every call is a new visitor.
    again = visitor_tokens(http, client.id)
    assert token_info(http, again["access_token"])["subjectId"] != info["subjectId"]


def test_anonymous_with_unknown_or_deleted_client_is_invalid_client(http: httpx.Client, tenant: Tenant, client: Client) -> None:
    assert_oauth_error(token_call(http, clientId="7b0c1d33-0000-4000-8000-000000000000", grantType="anonymous"), 401, "invalid_client")
    assert visitor_tokens(http, client.id)
    delete_client(http, tenant, client.id)
    assert_oauth_error(token_call(http, clientId=client.id, grantType="anonymous"), 401, "invalid_client")
    assert_oauth_error(token_call(http, grantType="anonymous"), 400, "invalid_request")


def test_anonymous_with_a_wrong_secret_is_invalid_client(http: httpx.Client, client: Client) -> None:
    """A public client may send only its id, but a secret it does send must be right."""
    assert_oauth_error(token_call(http, clientId=client.id, grantType="anonymous", clientSecret="oas_wrong"), 401, "invalid_client")
    assert_token_response(token_call(http, clientId=client.id, grantType="anonymous", clientSecret=client.secret), refresh_token=True)


# --- request formats ------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["json", "form"])
@pytest.mark.parametrize("style", ["camel", "snake"])
def test_json_and_form_bodies_with_camel_or_snake_names(http: httpx.Client, client: Client, encoding: str, style: str) -> None:
    pkce = Pkce.new()
    code = member_code(http, client, pkce)
    names = {
        "client_id": "clientId",
        "grant_type": "grantType",
        "redirect_uri": "redirectUri",
        "code_verifier": "codeVerifier",
        "refresh_token": "refreshToken",
        "code": "code",
    }

    def body(**params: str) -> dict[str, str]:
        return {(names[k] if style == "camel" else k): v for k, v in params.items()}

    def post(params: dict[str, str]) -> httpx.Response:
        if encoding == "json":
            return http.post("/oauth2/token", json=params)
        return http.post("/oauth2/token", content=urlencode(params), headers={"Content-Type": "application/x-www-form-urlencoded"})

    member = assert_token_response(
        post(body(client_id=client.id, grant_type="authorization_code", code=code, redirect_uri=CALLBACK, code_verifier=pkce.verifier)),
        refresh_token=True,
    )
    assert token_info(http, member["access_token"])["subjectType"] == "MEMBER"
    renewed = assert_token_response(
        post(body(client_id=client.id, grant_type="refresh_token", refresh_token=member["refresh_token"])), refresh_token=True
    )
    assert is_active(http, renewed["access_token"])
    assert_token_response(post(body(client_id=client.id, grant_type="anonymous")), refresh_token=True)


def test_unsupported_and_missing_grant_type(http: httpx.Client, client: Client) -> None:
    body = assert_oauth_error(token_call(http, clientId=client.id, grantType="password"), 400, "unsupported_grant_type")
    assert "password" in body["error_description"]
    assert_oauth_error(token_call(http, clientId=client.id, grantType="implicit"), 400, "unsupported_grant_type")
    assert_oauth_error(token_call(http, clientId=client.id), 400, "invalid_request")
    assert_oauth_error(http.post("/oauth2/token", json={"clientId": client.id, "grantType": ""}), 400, "invalid_request")


def test_a_parameter_sent_twice_is_refused(http: httpx.Client, client: Client) -> None:
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    twice = f"grant_type=anonymous&client_id={client.id}&client_id={client.id}"
    assert_oauth_error(http.post("/oauth2/token", content=twice, headers=form), 400, "invalid_request")
    # camelCase and snake_case spellings of one parameter are the same parameter.
    both = {"clientId": client.id, "client_id": client.id, "grantType": "anonymous"}
    assert_oauth_error(http.post("/oauth2/token", json=both), 400, "invalid_request")
    # The same request, each parameter once, is fine.
    ok = http.post("/oauth2/token", content=f"grant_type=anonymous&client_id={client.id}", headers=form)
    assert_token_response(ok, refresh_token=True)


@pytest.mark.parametrize(
    "content_type, payload",
    [
        ("application/json", b"{not json"),
        ("application/json", b'["grant_type"]'),
        ("application/json", b'{"grant_type": "anonymous", "client_id": ["a", "b"]}'),
        ("text/plain", b"grant_type=anonymous"),
    ],
)
def test_malformed_bodies_are_invalid_request(http: httpx.Client, content_type: str, payload: bytes) -> None:
    assert_oauth_error(http.post("/oauth2/token", content=payload, headers={"Content-Type": content_type}), 400, "invalid_request")


# --- authorization_code -------------------------------------------------------------------------

FAILURES = [
    "pkce_mismatch",
    "missing_verifier",
    "short_verifier",
    "wrong_redirect_uri",
    "missing_redirect_uri",
    "another_client",
    "unknown_code",
]


@pytest.mark.parametrize("case", FAILURES)
def test_authorization_code_failures(http: httpx.Client, tenant: Tenant, signed_in: Client, case: str) -> None:
    client = signed_in
    # RFC 7636 4.1: a verifier has 43 to 128 characters, even when its S256 matches.
    pkce = Pkce("tooshort", s256("tooshort")) if case == "short_verifier" else Pkce.new()
    code = session_code(http, client, pkce)
    if case == "short_verifier":
        assert_oauth_error(exchange(http, client, code, pkce.verifier), 400, "invalid_grant")
    elif case == "pkce_mismatch":
        response = exchange(http, client, code, Pkce.new().verifier)
        assert_oauth_error(response, 400, "invalid_grant")
    elif case == "missing_verifier":
        assert_oauth_error(exchange(http, client, code, None), 400, "invalid_request")
    elif case == "wrong_redirect_uri":
        assert_oauth_error(exchange(http, client, code, pkce.verifier, "http://localhost:3000/other"), 400, "invalid_grant")
    elif case == "missing_redirect_uri":
        assert_oauth_error(exchange(http, client, code, pkce.verifier, ""), 400, "invalid_grant")
    elif case == "another_client":
        other = new_client(http, tenant)  # same project, same redirect URI
        assert_oauth_error(exchange(http, other, code, pkce.verifier), 400, "invalid_grant")
    else:
        assert_oauth_error(exchange(http, client, "oac_" + "x" * 43, pkce.verifier), 400, "invalid_grant")


def test_code_bound_to_the_redirect_uri_it_was_issued_for(http: httpx.Client, tenant: Tenant) -> None:
    second = "http://localhost:3000/second"
    client = new_client(http, tenant, redirect_uris=[CALLBACK, second])
    pkce = Pkce.new()
    code = member_code(http, client, pkce, redirect_uri=second)
    # CALLBACK is approved too, but it is not the URI this code was issued for.
    assert_oauth_error(exchange(http, client, code, pkce.verifier, CALLBACK), 400, "invalid_grant")
    assert_token_response(exchange(http, client, code, pkce.verifier, second), refresh_token=True)


def test_replayed_code_fails_and_revokes_what_it_issued(http: httpx.Client, signed_in: Client) -> None:
    client = signed_in
    pkce = Pkce.new()
    code = session_code(http, client, pkce)
    first = assert_token_response(exchange(http, client, code, pkce.verifier), refresh_token=True)
    renewed = assert_token_response(refresh(http, client.id, first["refresh_token"]), refresh_token=True)
    assert is_active(http, first["access_token"]) and is_active(http, renewed["access_token"])

    assert_oauth_error(exchange(http, client, code, pkce.verifier), 400, "invalid_grant")
    assert not is_active(http, first["access_token"])
    assert not is_active(http, renewed["access_token"])
    assert_oauth_error(refresh(http, client.id, first["refresh_token"]), 400, "invalid_grant")
    # A third attempt is still refused (and other grants of the member are untouched).
    assert_oauth_error(exchange(http, client, code, pkce.verifier), 400, "invalid_grant")
    other_pkce = Pkce.new()
    other = assert_token_response(exchange(http, client, session_code(http, client, other_pkce), other_pkce.verifier), refresh_token=True)
    assert is_active(http, other["access_token"])


def test_concurrent_redemptions_of_one_code_issue_tokens_once(http: httpx.Client, server: Server, signed_in: Client) -> None:
    client = signed_in
    pkce = Pkce.new()
    code = session_code(http, client, pkce)
    barrier = threading.Barrier(6)
    results: list[httpx.Response] = []

    def redeem() -> None:
        with httpx.Client(base_url=server.base_url, timeout=30) as own:
            barrier.wait()
            results.append(exchange(own, client, code, pkce.verifier))

    threads = [threading.Thread(target=redeem) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    statuses = sorted(r.status_code for r in results)
    assert statuses == [200] + [400] * 5, [r.text for r in results]
    for r in results:
        if r.status_code == 400:
            assert r.json()["error"] == "invalid_grant"


@pytest.fixture(scope="module")
def short_code_server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running_server(database_url, tmp_path_factory.mktemp("short-code"), extra_env={"OAUTHAPPS_CODE_SECONDS": "1"}) as srv:
        yield srv


def test_expired_code_is_invalid_grant(http: httpx.Client, client: Client, short_code_server: Server) -> None:
    with httpx.Client(base_url=short_code_server.base_url, timeout=30) as short:
        pkce = Pkce.new()
        code = hosted_session_code(short, client, pkce)  # signed in on the hosted page: a session too
        time.sleep(1.3)
        assert_oauth_error(exchange(short, client, code, pkce.verifier), 400, "invalid_grant")
        # A code used at once on the same server still works (the lifetime is what failed).
        fresh = Pkce.new()
        assert_token_response(exchange(short, client, session_code(short, client, fresh), fresh.verifier), refresh_token=True)


# --- refresh_token --------------------------------------------------------------------------------


def test_refresh_token_failures(http: httpx.Client, tenant: Tenant, client: Client) -> None:
    member = member_tokens(http, client)
    other = new_client(http, tenant)
    assert_oauth_error(refresh(http, other.id, member["refresh_token"]), 400, "invalid_grant")
    assert_oauth_error(refresh(http, client.id, "oar_unknown-refresh-token"), 400, "invalid_grant")
    assert_oauth_error(token_call(http, clientId=client.id, grantType="refresh_token"), 400, "invalid_request")
    # The other client's failed attempt did not harm the grant.
    assert_token_response(refresh(http, client.id, member["refresh_token"]), refresh_token=True)

    revoked = http.post("/oauth2/revoke", json={"client_id": client.id, "token": member["refresh_token"]})
    assert revoked.status_code == 200, revoked.text
    assert_oauth_error(refresh(http, client.id, member["refresh_token"]), 400, "invalid_grant")
    assert not is_active(http, member["access_token"])


def test_without_rotation_the_refresh_token_keeps_working(http: httpx.Client, client: Client) -> None:
    member = member_tokens(http, client)
    seen = {member["access_token"]}
    for _ in range(6):
        body = assert_token_response(refresh(http, client.id, member["refresh_token"]), refresh_token=True)
        assert body["refresh_token"] == member["refresh_token"]
        assert body["access_token"] not in seen
        seen.add(body["access_token"])
    assert all(is_active(http, token) for token in seen)
    # Visitors refresh the same way.
    guest = visitor_tokens(http, client.id)
    for _ in range(3):
        again = assert_token_response(refresh(http, client.id, guest["refresh_token"]), refresh_token=True)
        assert again["refresh_token"] == guest["refresh_token"]
        assert token_info(http, again["access_token"])["subjectType"] == "VISITOR"


def test_rotation_issues_new_refresh_tokens_and_reuse_revokes_the_family(http: httpx.Client, tenant: Tenant, client: Client) -> None:
    updated = patch_client(http, tenant, client.id, {"refreshTokenRotation": True})
    assert updated["refreshTokenRotation"] is True
    member = member_tokens(http, client)
    r0, accesses = member["refresh_token"], [member["access_token"]]
    first = assert_token_response(refresh(http, client.id, r0), refresh_token=True)
    r1 = first["refresh_token"]
    assert r1 != r0
    second = assert_token_response(refresh(http, client.id, r1), refresh_token=True)
    r2 = second["refresh_token"]
    assert r2 not in (r0, r1)
    accesses += [first["access_token"], second["access_token"]]
    assert all(is_active(http, token) for token in accesses)

    # r0 was rotated out: presenting it again is reuse, and the whole family dies.
    assert_oauth_error(refresh(http, client.id, r0), 400, "invalid_grant")
    assert not any(is_active(http, token) for token in accesses)
    assert_oauth_error(refresh(http, client.id, r2), 400, "invalid_grant")
    assert_oauth_error(refresh(http, client.id, r1), 400, "invalid_grant")

    # Turning rotation off again: the same refresh token is returned.
    patch_client(http, tenant, client.id, {"refreshTokenRotation": False})
    fresh = member_tokens(http, client)
    again = assert_token_response(refresh(http, client.id, fresh["refresh_token"]), refresh_token=True)
    assert again["refresh_token"] == fresh["refresh_token"]


def test_rotation_applies_to_visitor_refresh_tokens_too(http: httpx.Client, tenant: Tenant, client: Client) -> None:
    patch_client(http, tenant, client.id, {"refreshTokenRotation": True})
    guest = visitor_tokens(http, client.id)
    rotated = assert_token_response(refresh(http, client.id, guest["refresh_token"]), refresh_token=True)
    assert rotated["refresh_token"] != guest["refresh_token"]
    assert_oauth_error(refresh(http, client.id, guest["refresh_token"]), 400, "invalid_grant")
    assert not is_active(http, rotated["access_token"])
    assert_oauth_error(refresh(http, client.id, rotated["refresh_token"]), 400, "invalid_grant")


# --- client_credentials ---------------------------------------------------------------------------


def basic(client_id: str, secret: str, *, encode_all: bool = False) -> dict[str, str]:
    """client_secret_basic (RFC 6749 2.3.1): id and secret form-urlencoded, then base64."""

    def enc(value: str) -> str:
        return "".join(f"%{b:02X}" for b in value.encode()) if encode_all else value

    raw = f"{enc(client_id)}:{enc(secret)}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


def test_client_credentials_with_the_secret_in_the_body(http: httpx.Client, client: Client) -> None:
    ok = assert_token_response(
        token_call(http, grant_type="client_credentials", client_id=client.id, client_secret=client.secret), refresh_token=False
    )
    info = token_info(http, ok["access_token"])
    assert info["subjectType"] == "APP" and info["clientId"] == client.id
    assert_oauth_error(
        token_call(http, grant_type="client_credentials", client_id=client.id, client_secret="oas_wrong"), 401, "invalid_client"
    )
    assert_oauth_error(
        token_call(http, grant_type="client_credentials", client_id=client.id, client_secret=client.secret + "x"), 401, "invalid_client"
    )
    unknown = token_call(
        http, grant_type="client_credentials", client_id="1e6b0c35-0000-4000-8000-000000000000", client_secret=client.secret
    )
    assert_oauth_error(unknown, 401, "invalid_client")
    assert_oauth_error(token_call(http, grant_type="client_credentials", client_id=client.id), 400, "invalid_request")


@pytest.mark.parametrize("encode_all", [False, True], ids=["plain", "percent-encoded"])
def test_client_credentials_with_http_basic(http: httpx.Client, client: Client, encode_all: bool) -> None:
    response = http.post(
        "/oauth2/token", data={"grant_type": "client_credentials"}, headers=basic(client.id, client.secret, encode_all=encode_all)
    )
    body = assert_token_response(response, refresh_token=False)
    assert token_info(http, body["access_token"])["clientId"] == client.id


@pytest.mark.parametrize(
    "header",
    [
        "wrong-secret",
        "unknown-client",
        "not-base64",
        "no-colon",
    ],
)
def test_bad_http_basic_is_401_with_www_authenticate(http: httpx.Client, client: Client, header: str) -> None:
    headers = {
        "wrong-secret": basic(client.id, "oas_wrong"),
        "unknown-client": basic("0d3e1c55-0000-4000-8000-000000000000", client.secret),
        "not-base64": {"Authorization": "Basic %%%not-base64%%%"},
        "no-colon": {"Authorization": "Basic " + base64.b64encode(client.id.encode()).decode()},
    }[header]
    response = http.post("/oauth2/token", data={"grant_type": "client_credentials"}, headers=headers)
    assert_oauth_error(response, 401, "invalid_client")
    assert response.headers.get("www-authenticate", "").lower().startswith("basic")


def test_two_client_authentication_methods_are_refused(http: httpx.Client, client: Client) -> None:
    response = http.post(
        "/oauth2/token", data={"grant_type": "client_credentials", "client_secret": client.secret}, headers=basic(client.id, client.secret)
    )
    assert_oauth_error(response, 400, "invalid_request")


def test_deleted_client_cannot_use_any_grant(http: httpx.Client, tenant: Tenant, client: Client) -> None:
    member = member_tokens(http, client)
    delete_client(http, tenant, client.id)
    assert_oauth_error(refresh(http, client.id, member["refresh_token"]), 401, "invalid_client")
    assert_oauth_error(
        token_call(http, grant_type="client_credentials", client_id=client.id, client_secret=client.secret), 401, "invalid_client"
    )
    assert_oauth_error(exchange(http, client, "oac_whatever", Pkce.new().verifier), 401, "invalid_client")
