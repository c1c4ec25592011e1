"""Issue 11, findings 3, 4 and part of 6, replayed over real HTTP on both databases: each test
fails on the code before the fix.

- 3: a login ticket (the identity API's ``sessionToken``) sent to a victim's browser must not
  plant the attacker's hosted session (login CSRF).
- 4: login redirects match ``allowedRedirectUris`` exactly once an app lists any (or sets
  ``requireExactRedirectUri``); domain-only apps refuse redirect URIs whose query carries a URL.
- 6: logout by a same-origin POST with a CSRF token (a cross-site GET asks to confirm); the CSRF
  token of the hosted pages is always the server's; a rotation without grace ends the admin
  tokens minted with the old secret.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

import httpx
import pytest

from ..support.members import PASSWORD, form_fields, fresh_email, hosted_session_code, new_member_ticket
from ..support.oauth2 import (
    CALLBACK,
    REDIRECT_SESSION,
    Pkce,
    auth_session,
    authorize_query,
    authorize_url,
    is_active,
    new_client,
    patch_client,
    response_params,
    token_call,
    visitor_tokens,
)
from ..support.oauth_apps import BASE, assert_violation, get, query
from ..support.servers import Server
from ..support.tenants import Tenant

SITE = "http://localhost:3000"
BACK = f"{SITE}/goodbye"


def redirect_params(response: httpx.Response, redirect_uri: str = CALLBACK) -> dict[str, str]:
    assert response.status_code == 303, response.text
    assert response.headers["location"].startswith(redirect_uri), response.headers["location"]
    return response_params(response.headers["location"], "query")


def assert_error_page(response: httpx.Response) -> None:
    assert response.status_code == 400 and "location" not in response.headers, response.text
    assert response.headers["content-type"].startswith("text/html")


def signed_in(http: httpx.Client, client_id: str) -> bool:
    """Does ``http``'s hosted session sign anyone in (prompt=none gives a code)?"""
    response = http.get(authorize_url(authorize_query(client_id, CALLBACK, Pkce.new(), prompt="none")))
    return "code" in redirect_params(response)


def logout_url(client_id: str, target: str = BACK) -> str:
    return "/oauth2/logout?" + urlencode({"client_id": client_id, "post_logout_redirect_uri": target})


# --- finding 3: a login ticket never becomes a hosted session -----------------------------------


def test_a_login_ticket_sent_to_a_victim_does_not_sign_the_victim_in(http: httpx.Client, server: Server, tenant: Tenant) -> None:
    client = new_client(http, tenant)
    attacker_ticket = new_member_ticket(http, client.id)  # the attacker signs in as himself
    attack = authorize_query(client.id, CALLBACK, Pkce.new(), prompt="none", session_token=attacker_ticket)
    with httpx.Client(base_url=server.base_url, timeout=30) as victim:
        landed = victim.get(authorize_url(attack))
        assert redirect_params(landed)["code"].startswith("oac_")  # for the attacker's PKCE: useless to the site
        assert not any(h.startswith("oauthapps_session=") for h in landed.headers.get_list("set-cookie"))
        assert "oauthapps_session" not in victim.cookies
        # The site later signs the victim in silently: nobody is signed in in this browser ...
        assert not signed_in(victim, client.id)
        # ... and without prompt=none the victim gets the login form, not the attacker's account.
        page = victim.get(authorize_url(authorize_query(client.id, CALLBACK, Pkce.new())))
        assert page.status_code == 200 and "<form" in page.text


def test_a_login_ticket_in_web_message_mode_posts_a_code_and_sets_no_session(http: httpx.Client, server: Server, tenant: Tenant) -> None:
    """Direct login (``response_mode=web_message``) answers with the page that posts the code, and,
    like the redirect modes, starts no hosted session."""
    client = new_client(http, tenant)
    query = authorize_query(
        client.id, CALLBACK, Pkce.new(), prompt="none", response_mode="web_message", session_token=new_member_ticket(http, client.id)
    )
    with httpx.Client(base_url=server.base_url, timeout=30) as victim:
        page = victim.get(authorize_url(query))
        assert page.status_code == 200 and '"code":"oac_' in page.text.replace(" ", ""), page.text
        assert not any(h.startswith("oauthapps_session=") for h in page.headers.get_list("set-cookie"))
        assert not signed_in(victim, client.id)


# --- finding 6: logout is a same-origin POST with a CSRF token --------------------------------------


@pytest.fixture
def site_client(http: httpx.Client, tenant: Tenant) -> str:
    return new_client(http, tenant, allowedRedirectDomains=["localhost:3000"]).id


def test_a_cross_site_logout_get_asks_to_confirm_and_the_post_signs_out(http: httpx.Client, tenant: Tenant) -> None:
    client = new_client(http, tenant, allowedRedirectDomains=["localhost:3000"])
    hosted_session_code(http, client, Pkce.new())
    for headers in ({}, {"Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Site": "same-site"}, {"Sec-Fetch-Site": "none"}):
        page = http.get(logout_url(client.id), headers=headers)
        assert page.status_code == 200 and "location" not in page.headers, page.text
        assert signed_in(http, client.id), headers  # the GET ended nothing
    csp = page.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp and "frame-ancestors 'none'" in csp
    assert f"form-action 'self' {SITE}" in csp  # the 303 after the post lands on the site
    assert re.search(r'<form method="post" action="/oauth2/logout">', page.text)
    fields = form_fields(page.text)
    assert fields["client_id"] == client.id and fields["post_logout_redirect_uri"] == BACK and fields["csrf_token"]

    out = http.post("/oauth2/logout", data=fields)
    assert out.status_code == 303 and out.headers["location"] == BACK
    assert "oauthapps_session" not in http.cookies
    assert not signed_in(http, client.id)


def test_a_logout_post_without_our_csrf_token_or_from_another_site_ends_nothing(http: httpx.Client, server: Server, tenant: Tenant) -> None:
    client = new_client(http, tenant, allowedRedirectDomains=["localhost:3000"])
    hosted_session_code(http, client, Pkce.new())
    fields = form_fields(http.get(logout_url(client.id)).text)
    # The attacker's own visit gives him a token, bound to his session, not the victim's.
    with httpx.Client(base_url=server.base_url, timeout=30) as attacker:
        hosted_session_code(attacker, client, Pkce.new())
        attackers = form_fields(attacker.get(logout_url(client.id)).text)
    csrf_cookie = http.cookies.get("oauthapps_logout_csrf")
    assert csrf_cookie == fields["csrf_token"]
    refused = [
        http.post("/oauth2/logout", data={k: v for k, v in fields.items() if k != "csrf_token"}),
        http.post("/oauth2/logout", data={**fields, "csrf_token": "forged"}),
        http.post("/oauth2/logout", data={**fields, "csrf_token": attackers["csrf_token"]}),
        http.post("/oauth2/logout", data=fields, headers={"Sec-Fetch-Site": "cross-site"}),
        http.post("/oauth2/logout", data=fields, headers={"Sec-Fetch-Site": "same-site"}),
        http.post("/oauth2/logout", data=fields, headers={"Origin": "https://evil.example"}),
    ]
    for response in refused:
        assert response.status_code == 400 and "location" not in response.headers, response.text
        assert 'role="alert"' in response.text and "<form" in response.text
        assert signed_in(http, client.id)
    # A browser that carries no cookie of ours (a cross-site post) cannot use a stolen token either.
    with httpx.Client(base_url=server.base_url, timeout=30, cookies={"oauthapps_session": http.cookies["oauthapps_session"]}) as no_csrf:
        assert no_csrf.post("/oauth2/logout", data=fields).status_code == 400
    assert signed_in(http, client.id)
    # From our own page, with our token: signed out.
    same_origin = {"Sec-Fetch-Site": "same-origin", "Origin": server.base_url}
    out = http.post("/oauth2/logout", data=form_fields(refused[-1].text), headers=same_origin)
    assert out.status_code == 303 and out.headers["location"] == BACK
    assert not signed_in(http, client.id)


def test_logout_without_a_session_goes_straight_back(http: httpx.Client, site_client: str) -> None:
    out = http.get(logout_url(site_client))
    assert out.status_code == 303 and out.headers["location"] == BACK
    unapproved = http.get(logout_url(site_client, "https://evil.example/"))
    assert unapproved.status_code == 200 and "location" not in unapproved.headers and "signed out" in unapproved.text


def test_a_confirmed_logout_to_an_unapproved_address_stays_here(http: httpx.Client, tenant: Tenant) -> None:
    client = new_client(http, tenant, allowedRedirectDomains=["localhost:3000"])
    hosted_session_code(http, client, Pkce.new())
    page = http.get(logout_url(client.id, "https://evil.example/"))
    fields = form_fields(page.text)
    assert "post_logout_redirect_uri" not in fields  # only an approved address is carried
    assert "evil.example" not in page.headers["content-security-policy"]
    out = http.post("/oauth2/logout", data={**fields, "post_logout_redirect_uri": "https://evil.example/"})
    assert out.status_code == 200 and "location" not in out.headers and "not approved" in out.text
    assert not signed_in(http, client.id)


# --- finding 6: the CSRF token of the hosted pages is always the server's ----------------------


def test_a_planted_csrf_cookie_is_never_adopted(http: httpx.Client, server: Server, tenant: Tenant) -> None:
    client = new_client(http, tenant)
    email = fresh_email()
    new_member_ticket(http, client.id, email)
    params = authorize_query(client.id, CALLBACK, Pkce.new())
    # Valid-looking values too: the shape of ours, without our signature.
    for planted in ("attacker-chosen-value", "0123456789abcdef.9999999999.bm9uY2U.bWFj"):
        with httpx.Client(base_url=server.base_url, timeout=30) as victim:
            victim.cookies.set("oauthapps_csrf", planted, domain="127.0.0.1", path="/oauth2/authorize")
            page = victim.get(authorize_url(params))
            fields = form_fields(page.text)
            assert fields["csrf_token"] != planted
            assert victim.cookies.get("oauthapps_csrf", path="/oauth2/authorize") == fields["csrf_token"]
        # The attacker's forged post, with the value he planted in both places, signs nobody in.
        with httpx.Client(base_url=server.base_url, timeout=30, cookies={"oauthapps_csrf": planted}) as forged:
            form = {**fields, "csrf_token": planted, "email": email, "password": PASSWORD, "action": "login", "mode": "login"}
            refused = forged.post("/oauth2/authorize", data=form)
            assert refused.status_code == 400 and "location" not in refused.headers
            assert "oauthapps_session" not in forged.cookies


def test_the_password_pages_never_adopt_a_planted_csrf_cookie(http: httpx.Client, server: Server, tenant: Tenant) -> None:
    client = new_client(http, tenant)
    forgot = "/oauth2/forgot-password?" + urlencode({"client_id": client.id})
    for planted in ("attacker-chosen-value", "0123456789abcdef.9999999999.bm9uY2U.bWFj"):
        with httpx.Client(base_url=server.base_url, timeout=30) as victim:
            victim.cookies.set("oauthapps_form_csrf", planted, domain="127.0.0.1", path="/oauth2")
            fields = form_fields(victim.get(forgot).text)
            assert fields["csrf_token"] != planted and fields["csrf_token"].count(".") == 3
            assert victim.cookies.get("oauthapps_form_csrf", path="/oauth2") == fields["csrf_token"]
            sent = victim.post("/oauth2/forgot-password", data={**fields, "email": fresh_email()})
            assert sent.status_code == 200 and "Check your email" in sent.text, sent.text
        with httpx.Client(base_url=server.base_url, timeout=30, cookies={"oauthapps_form_csrf": planted}) as forged:
            refused = forged.post("/oauth2/forgot-password", data={**fields, "csrf_token": planted, "email": fresh_email()})
            assert refused.status_code == 400 and "expired" in refused.text, refused.text
    # A login form's token is not a password form's token.
    login_token = form_fields(http.get(authorize_url(authorize_query(client.id, CALLBACK, Pkce.new()))).text)["csrf_token"]
    with httpx.Client(base_url=server.base_url, timeout=30, cookies={"oauthapps_form_csrf": login_token}) as crossed:
        refused = crossed.post("/oauth2/forgot-password", data={"client_id": client.id, "csrf_token": login_token, "email": fresh_email()})
        assert refused.status_code == 400, refused.text


def test_a_csrf_token_we_issued_is_kept_for_a_second_tab(http: httpx.Client, tenant: Tenant) -> None:
    client = new_client(http, tenant)
    first = form_fields(http.get(authorize_url(authorize_query(client.id, CALLBACK, Pkce.new()))).text)["csrf_token"]
    second = form_fields(http.get(authorize_url(authorize_query(client.id, CALLBACK, Pkce.new()))).text)["csrf_token"]
    assert first == second and first.count(".") == 3


# --- finding 6: a rotation without grace ends the admin tokens of the old secret ---------------


def admin_token(http: httpx.Client, client_id: str, secret: str) -> str:
    response = token_call(http, grant_type="client_credentials", client_id=client_id, client_secret=secret)
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def rotate(http: httpx.Client, tenant: Tenant, app_id: str, grace: int) -> str:
    response = http.post(f"{BASE}/{app_id}/rotate-secret", headers=tenant.app_headers, json={"gracePeriodSeconds": grace})
    assert response.status_code == 200, response.text
    return str(response.json()["oAuthAppSecret"])


def test_rotation_without_grace_ends_admin_tokens_of_the_old_secret(http: httpx.Client, tenant: Tenant) -> None:
    client = new_client(http, tenant)
    old = admin_token(http, client.id, client.secret)
    visitor_token = str(visitor_tokens(http, client.id)["access_token"])
    assert is_active(http, old)
    new_secret = rotate(http, tenant, client.id, 0)
    assert not is_active(http, old)
    assert is_active(http, admin_token(http, client.id, new_secret))
    assert is_active(http, visitor_token)  # visitors and members do not hang on the secret


def test_rotation_with_grace_keeps_admin_tokens_until_a_rotation_without_grace(http: httpx.Client, tenant: Tenant) -> None:
    client = new_client(http, tenant)
    first = admin_token(http, client.id, client.secret)
    second_secret = rotate(http, tenant, client.id, 3600)
    assert is_active(http, first)  # the old secret still works, so do its tokens
    during_grace = admin_token(http, client.id, client.secret)
    second = admin_token(http, client.id, second_secret)
    third_secret = rotate(http, tenant, client.id, 0)  # ends the grace, and the second secret too
    assert not is_active(http, first) and not is_active(http, during_grace) and not is_active(http, second)
    assert is_active(http, admin_token(http, client.id, third_secret))


# --- finding 4: exact redirect URIs when listed; no carried URLs by domain ----------------------


def test_require_exact_redirect_uri_is_a_field_of_the_app(http: httpx.Client, tenant: Tenant) -> None:
    plain = new_client(http, tenant)
    assert get(http, tenant, plain.id)["requireExactRedirectUri"] is False
    strict = new_client(http, tenant, requireExactRedirectUri=True)
    assert get(http, tenant, strict.id)["requireExactRedirectUri"] is True
    listed = query(http, tenant, {"filter": {"id": {"$in": [plain.id, strict.id]}}}).json()["oAuthApps"]
    assert {a["id"]: a["requireExactRedirectUri"] for a in listed} == {plain.id: False, strict.id: True}
    assert patch_client(http, tenant, strict.id, {"requireExactRedirectUri": False})["requireExactRedirectUri"] is False
    assert patch_client(http, tenant, plain.id, {"requireExactRedirectUri": True})["requireExactRedirectUri"] is True
    bad = http.post(BASE, headers=tenant.app_headers, json={"oAuthApp": {"name": "Bad", "requireExactRedirectUri": "yes"}})
    assert_violation(bad, "oAuthApp.requireExactRedirectUri", "TYPE")


def test_listed_exact_uris_leave_domains_to_logout(http: httpx.Client, tenant: Tenant) -> None:
    client = new_client(http, tenant, allowedRedirectDomains=["localhost:3000"])  # CALLBACK listed exactly
    elsewhere = f"{SITE}/open-redirect?to=/"
    assert_error_page(http.get(authorize_url(authorize_query(client.id, elsewhere, Pkce.new()))))
    access = str(visitor_tokens(http, client.id)["access_token"])
    session = auth_session(http, access, client.id, elsewhere, Pkce.new())
    assert_violation(session, "auth.authRequest.redirectUri", "REDIRECT_URI_NOT_APPROVED")
    logout = http.post(
        REDIRECT_SESSION, headers={"Authorization": access}, json={"logout": {"clientId": client.id}, "callbacks": {"postFlowUrl": BACK}}
    )
    assert logout.status_code == 200, logout.text  # the domain still serves logout
    assert http.get(authorize_url(authorize_query(client.id, CALLBACK, Pkce.new()))).status_code == 200


def test_domain_only_apps_refuse_redirect_uris_that_carry_a_url(http: httpx.Client, tenant: Tenant) -> None:
    client = new_client(http, tenant, redirect_uris=[], allowedRedirectDomains=["localhost:3000"])
    for carried in ("https://evil.example/", "//evil.example", "https%3A%2F%2Fevil.example", "https%253A%252F%252Fevil.example"):
        uri = f"{SITE}/cb?next={carried}"
        assert_error_page(http.get(authorize_url(authorize_query(client.id, uri, Pkce.new()))))
    access = str(visitor_tokens(http, client.id)["access_token"])
    refused = auth_session(http, access, client.id, f"{SITE}/cb?next=https://evil.example/", Pkce.new())
    assert_violation(refused, "auth.authRequest.redirectUri", "REDIRECT_URI_NOT_APPROVED")
    fine = f"{SITE}/cb?next=/account"
    assert http.get(authorize_url(authorize_query(client.id, fine, Pkce.new()))).status_code == 200
    assert auth_session(http, access, client.id, fine, Pkce.new()).status_code == 200


def test_the_exact_switch_applies_at_once(http: httpx.Client, tenant: Tenant) -> None:
    client = new_client(http, tenant, redirect_uris=[], allowedRedirectDomains=["localhost:3000"])
    by_domain = f"{SITE}/welcome"
    params = authorize_query(client.id, by_domain, Pkce.new())
    assert http.get(authorize_url(params)).status_code == 200
    patch_client(http, tenant, client.id, {"requireExactRedirectUri": True})
    assert_error_page(http.get(authorize_url(params)))
    patch_client(http, tenant, client.id, {"allowedRedirectUris": [by_domain]})
    assert http.get(authorize_url(params)).status_code == 200
