"""``response_mode=web_message`` (the Wix SDK's ``getMemberTokensForDirectLogin``) over real HTTP:
the page that posts the authorization response to its parent window, its headers (framed only by
the redirect URI's origin, never cached), the target origin it names, the error page of an
unapproved redirect URI (which posts nothing), the redirect session that takes the caller's
``Origin`` as the redirect URI, and the code exchange without ``redirect_uri`` as the SDK sends it.
The browser side is tests/e2e/test_direct_login.py."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from ..support.members import new_member_ticket
from ..support.oauth2 import (
    CALLBACK,
    REDIRECT_SESSION,
    Client,
    Pkce,
    assert_oauth_error,
    authorize_query,
    authorize_url,
    exchange,
    new_client,
    visitor_tokens,
)
from ..support.oauth_apps import assert_violation
from ..support.tenants import Tenant

CALLBACK_ORIGIN = "http://localhost:3000"
RESPONSE_BLOCK = re.compile(r'<script type="application/json" id="authorization-response">(.*?)</script>', re.DOTALL)


def web_message_query(client: Client, pkce: Pkce, ticket: str | None, **extra: str) -> dict[str, str]:
    params = {"response_mode": "web_message", "prompt": "none", **extra}
    if ticket is not None:
        params["session_token"] = ticket
    return authorize_query(client.id, client.redirect_uri, pkce, **params)


def posted(response: httpx.Response) -> dict[str, Any]:
    """The web_message page's answer, after checking the page and its headers: what it posts and
    to which origin."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    csp = response.headers["content-security-policy"]
    directives = {part.strip().split(" ", 1)[0]: part.strip() for part in csp.split(";")}
    # Only the redirect URI's origin may frame it; its only script is our static file.
    assert directives["frame-ancestors"] == f"frame-ancestors {CALLBACK_ORIGIN}", csp
    assert directives["script-src"] == "script-src 'self'", csp
    assert directives["default-src"] == "default-src 'none'", csp
    assert "unsafe" not in csp
    assert "x-frame-options" not in response.headers
    assert response.headers["cache-control"] == "no-store"
    assert "location" not in response.headers
    # No inline script: one script file, and the data in a JSON block.
    scripts = re.findall(r"<script[^>]*>", response.text)
    assert scripts == ['<script type="application/json" id="authorization-response">', '<script src="/static/web-message.js">'], scripts
    found = RESPONSE_BLOCK.findall(response.text)
    assert len(found) == 1, response.text
    answer: dict[str, Any] = json.loads(found[0])
    assert answer["targetOrigin"] == CALLBACK_ORIGIN
    assert answer["targetOrigin"] != "*"
    return dict(answer["data"])


def assert_posts_nothing(response: httpx.Response) -> None:
    """An error page: unframeable, with no script and no data to post."""
    assert response.status_code == 400, response.text
    assert "<script" not in response.text
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["cache-control"] == "no-store"
    assert "location" not in response.headers


def test_session_ticket_answers_a_page_that_posts_the_code(http: httpx.Client, client: Client) -> None:
    pkce = Pkce.new()
    params = web_message_query(client, pkce, new_member_ticket(http, client.id))
    data = posted(http.get(authorize_url(params)))
    assert set(data) == {"code", "state"}
    assert data["state"] == params["state"] and data["code"].startswith("oac_")

    # The SDK trades the code without a redirect URI; the code works once.
    tokens = exchange(http, client, data["code"], pkce.verifier, redirect_uri="")
    assert tokens.status_code == 200, tokens.text
    assert tokens.json()["refresh_token"]
    assert_oauth_error(exchange(http, client, data["code"], pkce.verifier, redirect_uri=""), 400, "invalid_grant")


def test_web_message_code_with_its_redirect_uri_or_a_wrong_one(http: httpx.Client, client: Client) -> None:
    # A standard client names the redirect URI again; it must be the same one.
    pkce = Pkce.new()
    data = posted(http.get(authorize_url(web_message_query(client, pkce, new_member_ticket(http, client.id)))))
    assert_oauth_error(exchange(http, client, data["code"], pkce.verifier, redirect_uri=CALLBACK + "/other"), 400, "invalid_grant")
    pkce = Pkce.new()
    data = posted(http.get(authorize_url(web_message_query(client, pkce, new_member_ticket(http, client.id)))))
    assert exchange(http, client, data["code"], pkce.verifier).status_code == 200
    # A code of a redirect response mode still needs its redirect URI.
    pkce = Pkce.new()
    query_mode = authorize_query(client.id, CALLBACK, pkce, prompt="none", session_token=new_member_ticket(http, client.id))
    landed = http.get(authorize_url(query_mode))
    assert landed.status_code == 303, landed.text
    code = parse_qs(urlsplit(landed.headers["location"]).query)["code"][0]
    assert_oauth_error(exchange(http, client, code, pkce.verifier, redirect_uri=""), 400, "invalid_grant")


def test_errors_are_posted_to_the_same_origin(http: httpx.Client, client: Client) -> None:
    # A used or unknown ticket: login_required, posted with the state.
    ticket = new_member_ticket(http, client.id)
    posted(http.get(authorize_url(web_message_query(client, Pkce.new(), ticket))))
    for stale in (ticket, "oat_unknown"):
        params = web_message_query(client, Pkce.new(), stale)
        data = posted(http.get(authorize_url(params)))
        assert data["error"] == "login_required" and data["state"] == params["state"], data
        assert set(data) == {"error", "error_description", "state"}
    # No ticket and no hosted session: login_required too.
    http.cookies.clear()
    data = posted(http.get(authorize_url(web_message_query(client, Pkce.new(), None))))
    assert data["error"] == "login_required"
    # web_message never shows a form, so it needs prompt=none.
    for prompt in ("login", ""):
        params = web_message_query(client, Pkce.new(), new_member_ticket(http, client.id), prompt=prompt)
        data = posted(http.get(authorize_url(params)))
        assert data["error"] == "invalid_request" and "prompt=none" in data["error_description"], data
    # A bad request otherwise (no PKCE): reported the same way.
    params = web_message_query(client, Pkce.new(), None)
    del params["code_challenge"]
    assert posted(http.get(authorize_url(params)))["error"] == "invalid_request"


def test_state_cannot_break_out_of_the_json_block(http: httpx.Client, client: Client) -> None:
    state = '</script><script src="https://evil.example/x.js"></script><!--'
    params = web_message_query(client, Pkce.new(), new_member_ticket(http, client.id), state=state)
    response = http.get(authorize_url(params))
    assert posted(response)["state"] == state  # and posted() saw no script but ours
    assert "</script><script" not in response.text


def test_unapproved_redirect_uri_gets_a_page_that_posts_nothing(http: httpx.Client, client: Client) -> None:
    ticket = new_member_ticket(http, client.id)
    for redirect_uri in ("https://evil.example.com/callback", "http://localhost:3001/callback", CALLBACK_ORIGIN):
        params = {**web_message_query(client, Pkce.new(), ticket), "redirect_uri": redirect_uri}
        assert_posts_nothing(http.get(authorize_url(params)))
    unknown = {**web_message_query(client, Pkce.new(), ticket), "client_id": "6f1d2c3b-0000-4000-8000-000000000000"}
    assert_posts_nothing(http.get(authorize_url(unknown)))
    # The ticket was not spent on any of them.
    assert "code" in posted(http.get(authorize_url(web_message_query(client, Pkce.new(), ticket))))


def test_other_hosted_pages_stay_unframeable(http: httpx.Client, client: Client) -> None:
    form = http.get(authorize_url(authorize_query(client.id, CALLBACK, Pkce.new())))
    assert form.status_code == 200
    assert "frame-ancestors 'none'" in form.headers["content-security-policy"]
    assert form.headers["x-frame-options"] == "DENY"
    signed_out = http.get("/oauth2/logout", params={"client_id": client.id})
    assert "frame-ancestors 'none'" in signed_out.headers["content-security-policy"]
    assert signed_out.headers["x-frame-options"] == "DENY"


def test_the_page_script_is_served(http: httpx.Client) -> None:
    script = http.get("/static/web-message.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith(("text/javascript", "application/javascript"))
    assert "postMessage(response.data, response.targetOrigin)" in script.text


# --- the redirect session, as getMemberTokensForDirectLogin asks for it ---------------------------------


def direct_login_session(http: httpx.Client, client_id: str, pkce: Pkce, origin: str | None, prompt: str = "none") -> httpx.Response:
    """What the SDK sends: responseMode web_message, prompt none, a sessionToken, no redirectUri."""
    headers = {"Authorization": str(visitor_tokens(http, client_id)["access_token"])}
    if origin is not None:
        headers["Origin"] = origin
    auth_request = {
        "clientId": client_id,
        "codeChallenge": pkce.challenge,
        "codeChallengeMethod": "S256",
        "responseMode": "web_message",
        "responseType": "code",
        "scope": "offline_access",
        "state": "st-direct",
        "sessionToken": new_member_ticket(http, client_id),
    }
    return http.post(REDIRECT_SESSION, headers=headers, json={"auth": {"authRequest": auth_request, "prompt": prompt}})


def test_redirect_session_takes_the_calling_origin(http: httpx.Client, tenant: Tenant) -> None:
    site = new_client(http, tenant, redirect_uris=[], allowedRedirectDomains=["localhost:3000"])
    pkce = Pkce.new()
    response = direct_login_session(http, site.id, pkce, CALLBACK_ORIGIN)
    assert response.status_code == 200, response.text
    url = response.json()["redirectSession"]["fullUrl"]
    params = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert params["redirect_uri"] == CALLBACK_ORIGIN and params["response_mode"] == "web_message" and params["prompt"] == "none"
    data = posted(http.get(url))
    assert data["state"] == "st-direct"
    assert exchange(http, site, data["code"], pkce.verifier, redirect_uri="").status_code == 200

    # Another origin, an opaque one, or none at all (not a browser): no URL.
    for origin in ("http://localhost:3001", "https://evil.example.com"):
        assert_violation(
            direct_login_session(http, site.id, Pkce.new(), origin), "auth.authRequest.redirectUri", "REDIRECT_URI_NOT_APPROVED"
        )
    for origin in ("null", None, "http://localhost:3000/path"):
        assert_violation(direct_login_session(http, site.id, Pkce.new(), origin), "auth.authRequest.redirectUri", "REQUIRED")
    # web_message without prompt=none is refused here already.
    refused = assert_violation(direct_login_session(http, site.id, Pkce.new(), CALLBACK_ORIGIN, prompt="login"), "auth.authRequest")
    assert "prompt=none" in refused["description"]
