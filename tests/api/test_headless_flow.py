"""The member login over plain HTTP: visitor tokens, redirect session, hosted login, code + PKCE,
refresh, token-info, revocation, and cut-off on delete."""

from __future__ import annotations

import httpx

from ..support.members import submit_login
from ..support.oauth2 import CALLBACK, Pkce, auth_session, response_params, visitor_tokens
from ..support.oauth_apps import BASE, create
from ..support.tenants import Tenant


def test_member_login_code_exchange_refresh_and_cut_off(http: httpx.Client, tenant: Tenant) -> None:
    app = create(http, tenant, allowedRedirectUris=[CALLBACK])
    client_id = str(app["id"])
    visitor = visitor_tokens(http, client_id)
    assert visitor["token_type"] == "Bearer" and visitor["expires_in"] == 14400 and visitor["refresh_token"]

    pkce = Pkce.new()
    session = auth_session(http, str(visitor["access_token"]), client_id, CALLBACK, pkce, state="xyz")
    assert session.status_code == 200, session.text
    redirect_session = session.json()["redirectSession"]
    assert redirect_session["urlDetails"]["endpoint"].endswith("/oauth2/authorize")

    landed = submit_login(http, redirect_session["fullUrl"], "ada@example.com", "correct horse battery", action="register")
    assert landed.status_code == 303, landed.text
    location = landed.headers["location"]
    assert location.startswith(CALLBACK + "#")
    params = response_params(location)
    assert params["state"] == "xyz" and params["code"].startswith("oac_")

    exchanged = http.post(
        "/oauth2/token",
        json={
            "clientId": client_id,
            "grantType": "authorization_code",
            "redirectUri": CALLBACK,
            "code": params["code"],
            "codeVerifier": pkce.verifier,
        },
    )
    assert exchanged.status_code == 200, exchanged.text
    member = exchanged.json()
    info = http.post("/oauth2/token-info", json={"token": member["access_token"]}).json()
    assert info["active"] is True and info["subjectType"] == "MEMBER" and info["clientId"] == client_id

    renewed = http.post(
        "/oauth2/token", json={"clientId": client_id, "grantType": "refresh_token", "refreshToken": member["refresh_token"]}
    )
    assert renewed.status_code == 200, renewed.text
    assert renewed.json()["access_token"] != member["access_token"]

    # Use case 3: delete the OAuth app; everything issued through it dies at once.
    assert http.delete(f"{BASE}/{client_id}", headers=tenant.app_headers).status_code == 200
    for token in (member["access_token"], renewed.json()["access_token"], visitor["access_token"]):
        assert http.post("/oauth2/token-info", json={"token": token}).json() == {"active": False}
    refused = http.post(
        "/oauth2/token", json={"clientId": client_id, "grantType": "refresh_token", "refreshToken": member["refresh_token"]}
    )
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"
    assert http.post("/oauth2/token", json={"clientId": client_id, "grantType": "anonymous"}).status_code == 401
