"""What OAuthStrategy calls besides the token endpoint, over real HTTP: the identity API
(``/_api/iam/authentication/v2/login`` and ``/register``, docs/wire-protocol.md#identity-login-and-register)
with its error codes and one-time session tokens, and redirect sessions at every path
(docs/wire-protocol.md#redirect-sessions)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from ..support.members import IDENTITY, PASSWORD, client_from, fresh_address, fresh_email, login, register
from ..support.oauth2 import (
    CALLBACK,
    Client,
    Pkce,
    auth_session,
    authorize_query,
    authorize_url,
    delete_client,
    exchange,
    new_client,
    response_params,
    token_call,
    token_info,
    visitor_tokens,
)
from ..support.servers import Server
from ..support.tenants import Tenant

PATHS = (
    "/_api/redirects-api/v1/redirect-session",
    "/headless/v1/redirect-session",
    "/redirect-session/v1/redirect-session",
    "/v1/redirect-session",
)


@pytest.fixture
def client(http: httpx.Client, tenant: Tenant) -> Client:
    return new_client(http, tenant, allowedRedirectDomains=["localhost:3000"])


@pytest.fixture
def access(http: httpx.Client, client: Client) -> str:
    """A visitor access token of the client."""
    return str(visitor_tokens(http, client.id)["access_token"])


def application_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["details"]["applicationError"]["code"] == code, body
    return dict(body)


def field_violations(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code == 400, response.text
    body = response.json()
    assert "applicationError" not in body["details"], body
    return list(body["details"]["validationError"]["fieldViolations"])


# --- register ---------------------------------------------------------------------------------


def test_register_succeeds_with_a_session_token_and_identity(http: httpx.Client, access: str) -> None:
    email = fresh_email()
    response = register(http, access, email.upper())
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["state"] == "SUCCESS"
    assert body["sessionToken"].startswith("oat_")
    assert body["identity"]["id"] and body["identity"]["email"]["address"] == email  # normalised
    # Bearer or bare, both work; the new member can log in.
    again = http.post(
        f"{IDENTITY}/login", headers={"Authorization": f"Bearer {access}"}, json={"loginId": {"email": email}, "password": PASSWORD}
    )
    assert again.status_code == 200 and again.json()["identity"]["id"] == body["identity"]["id"]
    assert again.json()["sessionToken"] != body["sessionToken"]


def test_register_with_an_existing_email_is_19995(http: httpx.Client, access: str) -> None:
    email = fresh_email()
    assert register(http, access, email).status_code == 200
    application_error(register(http, access, email), 409, "-19995")
    application_error(register(http, access, "  " + email.upper() + " "), 409, "-19995")


@pytest.mark.parametrize("email", ["not-an-email", "a@b", "two@@example.com", "", "spaces in@example.com"])
def test_register_with_an_invalid_email_is_an_email_validation_error(http: httpx.Client, access: str, email: str) -> None:
    violations = field_violations(register(http, access, email))
    assert any(v.get("data", {}).get("type") == "EMAIL" for v in violations), violations


def test_register_with_a_bad_password_or_no_login_id(http: httpx.Client, access: str) -> None:
    short = field_violations(register(http, access, fresh_email(), "short"))
    assert short[0]["field"] == "password" and short[0]["data"]["type"] == "PASSWORD"
    missing = field_violations(http.post(f"{IDENTITY}/register", headers={"Authorization": access}, json={"password": PASSWORD}))
    assert missing[0]["data"]["type"] == "EMAIL"
    assert register(http, "garbage", fresh_email()).status_code == 401


def test_members_belong_to_one_project(http: httpx.Client, make_tenant: Any) -> None:
    a, b = new_client(http, make_tenant(name="A")), new_client(http, make_tenant(name="B"))
    email = fresh_email()
    assert register(http, str(visitor_tokens(http, a.id)["access_token"]), email).status_code == 200
    other_access = str(visitor_tokens(http, b.id)["access_token"])
    with client_from(str(http.base_url), fresh_address()) as browser:
        application_error(login(browser, other_access, email), 401, "-19976")
    assert register(http, other_access, email).status_code == 200


# --- login ---------------------------------------------------------------------------------------


def test_wrong_password_and_unknown_email_answer_the_same(server: Server, http: httpx.Client, access: str) -> None:
    email = fresh_email()
    assert register(http, access, email).status_code == 200
    with client_from(server.base_url, fresh_address()) as browser:
        wrong = application_error(login(browser, access, email, "not the password"), 401, "-19976")
        unknown = application_error(login(browser, access, fresh_email()), 401, "-19976")
    assert wrong == unknown
    assert "sessionToken" not in wrong


def test_every_login_error_carries_an_application_error_code(server: Server, access: str) -> None:
    url = f"{IDENTITY}/login"
    auth = {"Authorization": access}
    with client_from(server.base_url, fresh_address()) as browser:
        responses = [
            browser.post(url, json={"loginId": {"email": fresh_email()}, "password": PASSWORD}),  # no token
            browser.post(url, headers={"Authorization": "garbage"}, json={"loginId": {"email": fresh_email()}, "password": PASSWORD}),
            browser.post(url, headers=auth, json={"password": PASSWORD}),
            browser.post(url, headers=auth, json={"loginId": "someone@example.com", "password": PASSWORD}),
            browser.post(url, headers=auth, json={"loginId": {"email": fresh_email()}}),
            browser.post(url, headers=auth, json={"loginId": {"email": 42}, "password": PASSWORD}),
            browser.post(url, headers=auth, json={"loginId": {"email": fresh_email()}, "password": ["x"]}),
            browser.post(
                url,
                headers=auth,
                content=b"{not json",
            ),
            browser.post(url, headers=auth, content=b"[1, 2]"),
            browser.post(url, headers=auth),
        ]
    for response in responses:
        assert 400 <= response.status_code < 500, response.text
        body = response.json()
        code = body["details"]["applicationError"]["code"]
        assert isinstance(code, str) and code, body
        assert isinstance(body["message"], str) and body["message"]


def test_session_token_signs_in_once_at_authorize(server: Server, http: httpx.Client, client: Client, access: str) -> None:
    email = fresh_email()
    registered = register(http, access, email).json()
    logged_in = login(http, access, email)
    assert logged_in.status_code == 200, logged_in.text
    ticket = logged_in.json()["sessionToken"]

    pkce = Pkce.new()
    params = authorize_query(client.id, CALLBACK, pkce, response_mode="fragment", prompt="none", session_token=ticket)
    with httpx.Client(base_url=server.base_url, timeout=30) as browser:
        first = browser.get(authorize_url(params))
        assert first.status_code == 303, first.text
        got = response_params(first.headers["location"], "fragment")
        assert got["code"].startswith("oac_") and got["state"] == params["state"]
        # The ticket answers this request only: no hosted session (login CSRF, issue 11 finding 3).
        assert not any(h.startswith("oauthapps_session=") for h in first.headers.get_list("set-cookie"))
        tokens = exchange(browser, client, got["code"], pkce.verifier)
        assert tokens.status_code == 200, tokens.text
        info = token_info(browser, tokens.json()["access_token"])
        assert info["subjectType"] == "MEMBER" and info["subjectId"] == registered["identity"]["id"]

    # A second use of the same ticket fails, even in a fresh browser.
    with httpx.Client(base_url=server.base_url, timeout=30) as other_browser:
        second = other_browser.get(authorize_url({**params, "code_challenge": Pkce.new().challenge}))
        got = response_params(second.headers["location"], "fragment")
        assert second.status_code == 303 and got["error"] == "login_required" and "code" not in got


def test_session_token_is_bound_to_its_client(http: httpx.Client, tenant: Tenant, client: Client, access: str) -> None:
    ticket = register(http, access, fresh_email()).json()["sessionToken"]
    other = new_client(http, tenant)
    params = authorize_query(other.id, CALLBACK, Pkce.new(), session_token=ticket)
    with httpx.Client(base_url=str(http.base_url), timeout=30) as browser:
        refused = browser.get(authorize_url(params))
        assert response_params(refused.headers["location"], "query")["error"] == "login_required"
        # Refusing it for the wrong client did not burn it for the right one.
        ok = browser.get(authorize_url({**params, "client_id": client.id}))
        assert response_params(ok.headers["location"], "query")["code"].startswith("oac_")
    # A garbage ticket is refused the same way.
    garbage = http.get(authorize_url(authorize_query(client.id, CALLBACK, Pkce.new(), session_token="oat_garbage")))
    assert response_params(garbage.headers["location"], "query")["error"] == "login_required"


def test_login_rate_limit_is_19959(server: Server, http: httpx.Client, access: str) -> None:
    email = fresh_email()
    assert register(http, access, email).status_code == 200
    with client_from(server.base_url, fresh_address()) as browser:
        for _ in range(5):
            application_error(login(browser, access, email, "not the password"), 401, "-19976")
        application_error(login(browser, access, email), 429, "-19959")


def test_too_many_failures_from_one_address_are_19959(server: Server, http: httpx.Client, access: str) -> None:
    email = fresh_email()
    assert register(http, access, email).status_code == 200
    with client_from(server.base_url, fresh_address()) as browser:
        for _ in range(20):  # a different unknown account each time: only the address limit applies
            application_error(login(browser, access, fresh_email(), "not the password"), 401, "-19976")
        application_error(login(browser, access, email), 429, "-19959")
    with client_from(server.base_url, fresh_address()) as elsewhere:
        assert login(elsewhere, access, email).status_code == 200


def test_identity_calls_need_a_visitor_or_member_token(http: httpx.Client, tenant: Tenant, client: Client) -> None:
    admin = token_call(http, grant_type="client_credentials", client_id=client.id, client_secret=client.secret).json()["access_token"]
    for token in (admin, tenant.token):
        application_error(register(http, token, fresh_email()), 401, "UNAUTHENTICATED")
    guest = str(visitor_tokens(http, client.id)["access_token"])
    delete_client(http, tenant, client.id)
    application_error(register(http, guest, fresh_email()), 401, "UNAUTHENTICATED")


# --- redirect sessions --------------------------------------------------------------------------


@pytest.mark.parametrize("path", PATHS)
def test_redirect_session_for_login_at_every_path(http: httpx.Client, server: Server, client: Client, access: str, path: str) -> None:
    pkce = Pkce.new()
    response = http.post(
        path,
        headers={"Authorization": access},
        json={
            "auth": {
                "authRequest": {
                    "redirectUri": CALLBACK,
                    "clientId": client.id,
                    "codeChallenge": pkce.challenge,
                    "codeChallengeMethod": "S256",
                    "responseMode": "fragment",
                    "responseType": "code",
                    "scope": "offline_access",
                    "state": "s-1",
                },
                "prompt": "login",
            },
        },
    )
    assert response.status_code == 200, response.text
    session = response.json()["redirectSession"]
    assert session["id"] and session["fullUrl"] and session["shortUrl"] and "sessionToken" in session
    details = session["urlDetails"]
    assert details["endpoint"] == f"{server.base_url}/oauth2/authorize"
    params = details["searchParams"]
    assert params["client_id"] == client.id and params["redirect_uri"] == CALLBACK and params["state"] == "s-1"
    assert params["code_challenge"] == pkce.challenge and params["response_mode"] == "fragment" and params["prompt"] == "login"
    full = urlsplit(session["fullUrl"])
    assert f"{full.scheme}://{full.netloc}{full.path}" == details["endpoint"]
    assert {k: v[0] for k, v in parse_qs(full.query).items()} == params
    page = http.get(session["fullUrl"])
    assert page.status_code == 200 and "<form" in page.text


@pytest.mark.parametrize("path", PATHS)
def test_redirect_session_needs_a_token(http: httpx.Client, client: Client, path: str) -> None:
    body = {"auth": {"authRequest": {"redirectUri": CALLBACK, "clientId": client.id}}}
    assert http.post(path, json=body).status_code == 401
    assert http.post(path, headers={"Authorization": "garbage"}, json=body).status_code == 401
    admin = token_call(http, grant_type="client_credentials", client_id=client.id, client_secret=client.secret).json()["access_token"]
    assert http.post(path, headers={"Authorization": admin}, json=body).status_code == 401


def session_at(http: httpx.Client, path: str, access: str, client_id: str, redirect_uri: str | None) -> httpx.Response:
    request = {
        "clientId": client_id,
        "codeChallenge": Pkce.new().challenge,
        "codeChallengeMethod": "S256",
        "responseMode": "fragment",
        "responseType": "code",
        "state": "s",
    }
    if redirect_uri is not None:
        request["redirectUri"] = redirect_uri
    return http.post(path, headers={"Authorization": access}, json={"auth": {"authRequest": request, "prompt": "login"}})


@pytest.mark.parametrize("path", PATHS)
def test_unapproved_redirect_uri_and_foreign_client_id_at_every_path(
    http: httpx.Client, tenant: Tenant, client: Client, access: str, path: str
) -> None:
    assert session_at(http, path, access, client.id, CALLBACK).status_code == 200
    unapproved = field_violations(session_at(http, path, access, client.id, "https://evil.example.com/callback"))
    assert [v["field"] for v in unapproved] == ["auth.authRequest.redirectUri"]
    other = new_client(http, tenant)
    foreign = session_at(http, path, access, other.id, CALLBACK)
    assert foreign.status_code == 403, foreign.text
    assert foreign.json()["details"]["applicationError"]["code"] == "PERMISSION_DENIED"


def test_redirect_session_refuses_unapproved_or_missing_redirect_uris(
    http: httpx.Client, tenant: Tenant, client: Client, access: str
) -> None:
    for uri in ("https://evil.example.com/callback", "http://localhost:3001/callback", None):
        response = session_at(http, PATHS[0], access, client.id, uri)
        fields = [v["field"] for v in field_violations(response)]
        assert fields == ["auth.authRequest.redirectUri"], fields
    # Without allowed domains only the exact URI is approved.
    exact_only = new_client(http, tenant)
    exact_access = str(visitor_tokens(http, exact_only.id)["access_token"])
    assert auth_session(http, exact_access, exact_only.id, CALLBACK, Pkce.new()).status_code == 200
    for uri in (CALLBACK + "/extra", CALLBACK + "?x=1", "http://localhost:3000/"):
        response = session_at(http, PATHS[0], exact_access, exact_only.id, uri)
        assert [v["field"] for v in field_violations(response)] == ["auth.authRequest.redirectUri"], uri


def test_redirect_session_with_another_apps_client_id_is_403(http: httpx.Client, tenant: Tenant, client: Client, access: str) -> None:
    other = new_client(http, tenant)
    response = auth_session(http, access, other.id, CALLBACK, Pkce.new())
    assert response.status_code == 403, response.text
    assert response.json()["details"]["applicationError"]["code"] == "PERMISSION_DENIED"
    logout = http.post(PATHS[0], headers={"Authorization": access}, json={"logout": {"clientId": other.id}})
    assert logout.status_code == 403


def test_redirect_session_checks_the_authorize_request(http: httpx.Client, client: Client, access: str) -> None:
    response = http.post(
        PATHS[0],
        headers={"Authorization": access},
        json={
            "auth": {
                "authRequest": {
                    "redirectUri": CALLBACK,
                    "clientId": client.id,
                    "codeChallenge": Pkce.new().challenge,
                    "codeChallengeMethod": "plain",
                }
            },
        },
    )
    assert field_violations(response)[0]["field"] == "auth.authRequest"
    no_pkce = http.post(
        PATHS[0], headers={"Authorization": access}, json={"auth": {"authRequest": {"redirectUri": CALLBACK, "clientId": client.id}}}
    )
    assert field_violations(no_pkce)[0]["field"] == "auth.authRequest"


def test_redirect_session_for_logout(http: httpx.Client, server: Server, client: Client, access: str) -> None:
    back = "http://localhost:3000/signed-out?x=1"
    response = http.post(
        PATHS[1], headers={"Authorization": access}, json={"logout": {"clientId": client.id}, "callbacks": {"postFlowUrl": back}}
    )
    assert response.status_code == 200, response.text
    session = response.json()["redirectSession"]
    assert session["urlDetails"]["endpoint"] == f"{server.base_url}/oauth2/logout"
    assert session["urlDetails"]["searchParams"] == {"client_id": client.id, "post_logout_redirect_uri": back}
    followed = http.get(session["fullUrl"])
    assert followed.status_code == 303 and followed.headers["location"] == back

    for bad in ("https://evil.example.com/", "http://localhost:3001/x", "javascript:alert(1)"):
        refused = http.post(
            PATHS[0], headers={"Authorization": access}, json={"logout": {"clientId": client.id}, "callbacks": {"postFlowUrl": bad}}
        )
        assert [v["field"] for v in field_violations(refused)] == ["callbacks.postFlowUrl"]
    # Without postFlowUrl: a logout URL that shows the signed-out page.
    plain = http.post(PATHS[2], headers={"Authorization": access}, json={"logout": {}})
    assert plain.status_code == 200
    assert plain.json()["redirectSession"]["urlDetails"]["searchParams"] == {"client_id": client.id}


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"callbacks": {"postFlowUrl": "http://localhost:3000/"}},
        {"auth": {"authRequest": {"redirectUri": CALLBACK}}, "logout": {}},
        {"bookingsCheckout": {"slotAvailability": {}}},
    ],
    ids=["empty", "callbacks-only", "two-intents", "unsupported"],
)
def test_redirect_session_needs_exactly_one_supported_intent(http: httpx.Client, access: str, body: dict[str, Any]) -> None:
    assert field_violations(http.post(PATHS[3], headers={"Authorization": access}, json=body))


def test_member_tokens_create_redirect_sessions_and_deleted_apps_cannot(
    http: httpx.Client, tenant: Tenant, client: Client, access: str
) -> None:
    ticket = register(http, access, fresh_email()).json()["sessionToken"]
    pkce = Pkce.new()
    landed = http.get(authorize_url(authorize_query(client.id, CALLBACK, pkce, session_token=ticket)))
    code = response_params(landed.headers["location"], "query")["code"]
    member = exchange(http, client, code, pkce.verifier).json()
    assert auth_session(http, member["access_token"], client.id, CALLBACK, Pkce.new()).status_code == 200
    delete_client(http, tenant, client.id)
    assert auth_session(http, member["access_token"], client.id, CALLBACK, Pkce.new()).status_code == 401
    assert auth_session(http, access, client.id, CALLBACK, Pkce.new()).status_code == 401


def test_redirect_session_with_a_session_token_signs_in_without_a_page(
    http: httpx.Client, server: Server, client: Client, access: str
) -> None:
    """The SDK's getAuthUrl(oauthData, {sessionToken, prompt: 'none'}) after login()."""
    email = fresh_email()
    assert register(http, access, email).status_code == 200
    ticket = login(http, access, email).json()["sessionToken"]
    pkce = Pkce.new()
    response = http.post(
        PATHS[0],
        headers={"Authorization": access},
        json={
            "auth": {
                "authRequest": {
                    "redirectUri": CALLBACK,
                    "clientId": client.id,
                    "codeChallenge": pkce.challenge,
                    "codeChallengeMethod": "S256",
                    "responseMode": "query",
                    "responseType": "code",
                    "scope": "offline_access",
                    "state": "s-2",
                    "sessionToken": ticket,
                },
                "prompt": "none",
            },
        },
    )
    assert response.status_code == 200, response.text
    with httpx.Client(base_url=server.base_url, timeout=30) as browser:
        landed = browser.get(response.json()["redirectSession"]["fullUrl"])
        got = response_params(landed.headers["location"], "query")
        assert landed.status_code == 303 and got["state"] == "s-2"
        tokens = exchange(browser, client, got["code"], pkce.verifier)
        assert tokens.status_code == 200, tokens.text
        assert token_info(browser, tokens.json()["access_token"])["subjectType"] == "MEMBER"
