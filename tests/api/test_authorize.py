"""GET/POST /oauth2/authorize and /oauth2/logout over real HTTP: error pages versus error
redirects (RFC 6749 4.1.2.1, never an open redirect), prompt=none, response modes, CSRF, the
hosted login form, page security headers and cookie flags, redirect domains, list changes taking
effect at once, login rate limiting, and logout."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlencode

import httpx
import pytest

from ..support.members import (
    PASSWORD,
    client_from,
    form_fields,
    fresh_address,
    fresh_email,
    hosted_session_code,
    new_member_ticket,
    register,
    submit_login,
)
from ..support.oauth2 import (
    CALLBACK,
    Client,
    Pkce,
    authorize_query,
    authorize_url,
    exchange,
    new_client,
    patch_client,
    response_params,
    token_info,
    visitor_tokens,
)
from ..support.servers import Server, running_server
from ..support.tenants import Tenant


def assert_error_page(response: httpx.Response) -> None:
    """Shown in the browser, never redirected anywhere."""
    assert response.status_code == 400, response.text
    assert "location" not in response.headers
    assert response.headers["content-type"].startswith("text/html")
    assert 'role="alert"' in response.text
    assert_page_headers(response)


def assert_page_headers(response: httpx.Response) -> None:
    csp = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "default-src 'none'" in csp
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["cache-control"] == "no-store"


def redirect_params(response: httpx.Response, redirect_uri: str, mode: str = "query") -> dict[str, str]:
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    separator = "#" if mode == "fragment" else "?"
    assert location.startswith((redirect_uri + separator, redirect_uri + "&")), location
    return response_params(location, mode)


def set_cookie(response: httpx.Response, name: str) -> str:
    for header in response.headers.get_list("set-cookie"):
        if header.startswith(f"{name}="):
            return header
    raise AssertionError(f"no Set-Cookie for {name}: {response.headers.get_list('set-cookie')}")


def cookie_attributes(header: str) -> set[str]:
    return {part.strip().lower() for part in header.split(";")[1:]}


@pytest.fixture
def member(http: httpx.Client, client: Client) -> str:
    """The email of a member registered in the client's project (password PASSWORD)."""
    email = fresh_email()
    response = register(http, str(visitor_tokens(http, client.id)["access_token"]), email)
    assert response.status_code == 200, response.text
    return email


def sign_in(
    http: httpx.Client, client: Client, email: str, pkce: Pkce | None = None, password: str = PASSWORD, **extra: str
) -> httpx.Response:
    params = authorize_query(client.id, client.redirect_uri, pkce or Pkce.new(), **extra)
    return submit_login(http, authorize_url(params), email, password)


def without(name: str, params: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in params.items() if k != name}


# --- errors that must not redirect --------------------------------------------------------------


def test_bad_client_or_redirect_uri_shows_an_error_page(http: httpx.Client, client: Client) -> None:
    pkce = Pkce.new()
    cases = [
        authorize_query("6f1d2c3b-0000-4000-8000-000000000000", CALLBACK, pkce),
        authorize_query(client.id, "https://evil.example.com/callback", pkce),
        authorize_query(client.id, CALLBACK + "/extra", pkce),
        authorize_query(client.id, "http://localhost:3001/callback", pkce),
        without("redirect_uri", authorize_query(client.id, CALLBACK, pkce)),
        without("client_id", authorize_query(client.id, CALLBACK, pkce)),
    ]
    for params in cases:
        assert_error_page(http.get(authorize_url(params)))
        # The form endpoint answers the same way.
        assert_error_page(http.post("/oauth2/authorize", data={**params, "email": "a@example.com", "password": "x" * 8}))
    # A parameter sent twice is ambiguous: error page too.
    doubled = urlencode(authorize_query(client.id, CALLBACK, pkce)) + "&redirect_uri=" + CALLBACK
    assert_error_page(http.get("/oauth2/authorize?" + doubled))


# --- errors reported to the approved redirect URI ----------------------------------------------------


@pytest.mark.parametrize(
    "change, error",
    [
        ({"code_challenge": None}, "invalid_request"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge_method": None}, "invalid_request"),
        ({"code_challenge": "too-short"}, "invalid_request"),
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"response_type": None}, "unsupported_response_type"),
        ({"response_mode": "form_post"}, "invalid_request"),
        ({"prompt": "sometimes"}, "invalid_request"),
    ],
    ids=["no-challenge", "plain", "no-method", "bad-challenge", "token", "no-response-type", "form_post", "bad-prompt"],
)
def test_request_errors_redirect_with_error_state_and_iss(
    http: httpx.Client, server: Server, client: Client, change: dict[str, str | None], error: str
) -> None:
    params = authorize_query(client.id, CALLBACK, Pkce.new(), state="keep-me")
    params.update({k: v for k, v in change.items() if v is not None})
    for name in (k for k, v in change.items() if v is None):
        params.pop(name)
    response = http.get(authorize_url(params))
    got = redirect_params(response, CALLBACK, "query")
    assert got["error"] == error and got["error_description"]
    assert got["state"] == "keep-me" and got["iss"] == server.base_url
    assert "code" not in got
    assert response.headers["cache-control"] == "no-store"


def test_errors_use_the_requested_fragment_mode(http: httpx.Client, client: Client) -> None:
    params = authorize_query(client.id, CALLBACK, Pkce.new(), response_mode="fragment", code_challenge_method="plain")
    got = redirect_params(http.get(authorize_url(params)), CALLBACK, "fragment")
    assert got["error"] == "invalid_request" and got["state"] == params["state"]


# --- prompt=none, response modes ----------------------------------------------------------------


def test_prompt_none_without_a_session_is_login_required(http: httpx.Client, server: Server, client: Client) -> None:
    for mode in ("query", "fragment"):
        params = authorize_query(client.id, CALLBACK, Pkce.new(), prompt="none", response_mode=mode)
        got = redirect_params(http.get(authorize_url(params)), CALLBACK, mode)
        assert got["error"] == "login_required" and got["state"] == params["state"] and got["iss"] == server.base_url


@pytest.mark.parametrize("mode", ["query", "fragment"])
def test_sign_in_then_prompt_none_gives_a_code_at_once(http: httpx.Client, server: Server, client: Client, member: str, mode: str) -> None:
    pkce = Pkce.new()
    landed = sign_in(http, client, member, pkce, response_mode=mode)
    got = redirect_params(landed, CALLBACK, mode)
    assert got["code"].startswith("oac_") and got["iss"] == server.base_url and "error" not in got
    first = exchange(http, client, got["code"], pkce.verifier)
    assert first.status_code == 200, first.text
    subject = token_info(http, first.json()["access_token"])["subjectId"]

    # The session cookie now signs the member in without a page.
    again = Pkce.new()
    params = authorize_query(client.id, CALLBACK, again, prompt="none", response_mode=mode)
    got = redirect_params(http.get(authorize_url(params)), CALLBACK, mode)
    assert got["state"] == params["state"]
    second = exchange(http, client, got["code"], again.verifier)
    assert second.status_code == 200, second.text
    assert token_info(http, second.json()["access_token"])["subjectId"] == subject
    # Without prompt the session is used too; prompt=login asks again (shows the form).
    plain = authorize_query(client.id, CALLBACK, Pkce.new(), response_mode=mode)
    assert redirect_params(http.get(authorize_url(plain)), CALLBACK, mode)["code"]
    page = http.get(authorize_url({**plain, "prompt": "login"}))
    assert page.status_code == 200 and "<form" in page.text


def test_redirect_uri_with_a_query_keeps_it(http: httpx.Client, tenant: Tenant) -> None:
    with_query = "http://localhost:3000/cb?tenant=a&x=1"
    client = new_client(http, tenant, redirect_uris=[with_query])
    ticket = new_member_ticket(http, client.id)
    query_mode = authorize_query(client.id, with_query, Pkce.new(), session_token=ticket)
    location = http.get(authorize_url(query_mode)).headers["location"]
    assert location.startswith(with_query + "&code=oac_"), location
    assert response_params(location, "query")["tenant"] == "a"
    hosted_session_code(http, client, Pkce.new())  # a hosted session for prompt=none

    pkce = Pkce.new()
    fragment_mode = authorize_query(client.id, with_query, pkce, prompt="none", response_mode="fragment")
    location = http.get(authorize_url(fragment_mode)).headers["location"]
    assert location.startswith(with_query + "#"), location
    code = response_params(location, "fragment")["code"]
    assert exchange(http, client, code, pkce.verifier, with_query).status_code == 200


# --- the hosted form --------------------------------------------------------------------------------


def test_login_page_headers_and_form(http: httpx.Client, client: Client) -> None:
    params = authorize_query(client.id, CALLBACK, Pkce.new())
    page = http.get(authorize_url(params))
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert_page_headers(page)
    assert "form-action 'self' http://localhost:3000" in page.headers["content-security-policy"]
    fields = form_fields(page.text)
    assert fields["client_id"] == client.id and fields["redirect_uri"] == CALLBACK and fields["state"] == params["state"]
    assert fields["csrf_token"] and "session_token" not in fields
    csrf = set_cookie(page, "oauthapps_csrf")
    assert {"httponly", "samesite=lax"} <= cookie_attributes(csrf)
    assert "location" not in page.headers


def test_post_without_the_csrf_cookie_or_with_a_wrong_token_issues_nothing(
    http: httpx.Client, server: Server, client: Client, member: str
) -> None:
    page = http.get(authorize_url(authorize_query(client.id, CALLBACK, Pkce.new())))
    fields = {**form_fields(page.text), "email": member, "password": PASSWORD, "action": "login", "mode": "login"}

    with httpx.Client(base_url=server.base_url, timeout=30) as cookieless:  # a cross-site POST carries no cookie
        refused = cookieless.post("/oauth2/authorize", data=fields)
    assert refused.status_code == 400 and "location" not in refused.headers
    assert "<form" in refused.text and 'role="alert"' in refused.text
    assert "oauthapps_session=" not in " ".join(refused.headers.get_list("set-cookie"))

    wrong = http.post("/oauth2/authorize", data={**fields, "csrf_token": "forged"})
    assert wrong.status_code == 400 and "location" not in wrong.headers and "<form" in wrong.text
    missing = http.post("/oauth2/authorize", data={k: v for k, v in fields.items() if k != "csrf_token"})
    assert missing.status_code == 400 and "location" not in missing.headers
    # The session cookie was never set: prompt=none still needs a login.
    check = authorize_query(client.id, CALLBACK, Pkce.new(), prompt="none")
    assert redirect_params(http.get(authorize_url(check)), CALLBACK)["error"] == "login_required"
    # The re-rendered form works.
    retry = http.post("/oauth2/authorize", data={**form_fields(wrong.text), "email": member, "password": PASSWORD, "action": "login"})
    assert redirect_params(retry, CALLBACK)["code"].startswith("oac_")


def test_wrong_password_re_renders_the_form_with_an_alert(server: Server, client: Client, member: str) -> None:
    with client_from(server.base_url, fresh_address()) as browser:
        response = sign_in(browser, client, member, password="wrong password!")
        assert response.status_code == 400 and "location" not in response.headers
        assert 'role="alert"' in response.text and "Wrong email or password" in response.text
        assert f'value="{member}"' in response.text  # the email is kept
        assert_page_headers(response)
        unknown = sign_in(browser, client, fresh_email())
        assert unknown.status_code == 400 and "Wrong email or password" in unknown.text  # same answer


def test_session_cookie_flags_on_a_loopback_http_issuer(http: httpx.Client, client: Client, member: str) -> None:
    landed = sign_in(http, client, member)
    assert landed.status_code == 303
    attributes = cookie_attributes(set_cookie(landed, "oauthapps_session"))
    assert {"httponly", "samesite=lax", "path=/"} <= attributes
    assert "secure" not in attributes  # plain-http loopback development issuer only


@pytest.fixture(scope="module")
def https_issuer_server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    env = {"OAUTHAPPS_ISSUER": "https://auth.example.test"}
    with running_server(database_url, tmp_path_factory.mktemp("https-issuer"), extra_env=env) as srv:
        yield srv


def test_cookies_are_secure_behind_an_https_issuer(https_issuer_server: Server, client: Client) -> None:
    with httpx.Client(base_url=https_issuer_server.base_url, timeout=30) as browser:
        meta = browser.get("/.well-known/oauth-authorization-server").json()
        assert meta["issuer"] == "https://auth.example.test"
        assert meta["token_endpoint"] == "https://auth.example.test/oauth2/token"
        page = browser.get(authorize_url(authorize_query(client.id, CALLBACK, Pkce.new())))
        assert "secure" in cookie_attributes(set_cookie(page, "oauthapps_csrf"))
        # httpx keeps Secure cookies from this plain-http connection, so send the CSRF cookie by hand.
        csrf = page.cookies["oauthapps_csrf"]
        email = fresh_email()
        new_member_ticket(browser, client.id, email)
        form = {**form_fields(page.text), "email": email, "password": PASSWORD, "action": "login", "mode": "login"}
        landed = browser.post("/oauth2/authorize", data=form, headers={"Cookie": f"oauthapps_csrf={csrf}"})
        assert redirect_params(landed, CALLBACK)["iss"] == "https://auth.example.test"
        assert {"secure", "httponly", "samesite=lax"} <= cookie_attributes(set_cookie(landed, "oauthapps_session"))


def test_cancel_is_access_denied(http: httpx.Client, client: Client) -> None:
    params = authorize_query(client.id, CALLBACK, Pkce.new(), response_mode="fragment")
    page = http.get(authorize_url(params))
    cancelled = http.post("/oauth2/authorize", data={**form_fields(page.text), "action": "cancel"})
    got = redirect_params(cancelled, CALLBACK, "fragment")
    assert got["error"] == "access_denied" and got["state"] == params["state"] and "code" not in got
    assert "oauthapps_session=" not in " ".join(cancelled.headers.get_list("set-cookie"))


def test_register_on_the_hosted_form(http: httpx.Client, client: Client, member: str) -> None:
    pkce = Pkce.new()
    params = authorize_query(client.id, CALLBACK, pkce, screen="register")
    email = fresh_email()
    landed = submit_login(http, authorize_url(params), email, PASSWORD, action="register")
    code = redirect_params(landed, CALLBACK)["code"]
    assert exchange(http, client, code, pkce.verifier).status_code == 200
    # An existing email cannot register again; the form says so.
    again = submit_login(
        http, authorize_url(authorize_query(client.id, CALLBACK, Pkce.new(), prompt="login")), member, PASSWORD, action="register"
    )
    assert again.status_code == 400 and "location" not in again.headers and "already exists" in again.text
    short = submit_login(
        http, authorize_url(authorize_query(client.id, CALLBACK, Pkce.new(), prompt="login")), fresh_email(), "short", action="register"
    )
    assert short.status_code == 400 and "location" not in short.headers and 'role="alert"' in short.text


# --- which redirect URIs are approved ----------------------------------------------------------------


def test_login_redirect_to_an_allowed_domain(http: httpx.Client, tenant: Tenant) -> None:
    client = new_client(http, tenant, redirect_uris=[], allowedRedirectDomains=["shop.example.com"])
    target = "https://shop.example.com/any/path?from=domain"
    pkce = Pkce.new()
    ticket = new_member_ticket(http, client.id)
    landed = http.get(authorize_url(authorize_query(client.id, target, pkce, session_token=ticket)))
    code = redirect_params(landed, target)["code"]
    assert exchange(http, client, code, pkce.verifier, target).status_code == 200
    for other in (
        "https://evil.example.com/any/path",
        "http://shop.example.com/any/path",
        "https://shop.example.com:8443/x",
        "https://sub.shop.example.com/x",
    ):
        assert_error_page(http.get(authorize_url(authorize_query(client.id, other, Pkce.new(), prompt="none"))))


def test_dropping_a_redirect_uri_applies_at_once(http: httpx.Client, tenant: Tenant) -> None:
    second = "http://localhost:3000/second"
    client = new_client(http, tenant, redirect_uris=[CALLBACK, second])
    hosted_session_code(http, client, Pkce.new(), second)
    params = authorize_query(client.id, second, Pkce.new(), prompt="none")
    assert redirect_params(http.get(authorize_url(params)), second)["code"]
    patch_client(http, tenant, client.id, {"allowedRedirectUris": [CALLBACK]})
    assert_error_page(http.get(authorize_url(params)))
    # The URI still approved keeps working with the same session.
    kept = authorize_query(client.id, CALLBACK, Pkce.new(), prompt="none")
    assert redirect_params(http.get(authorize_url(kept)), CALLBACK)["code"]


# --- rate limiting --------------------------------------------------------------------------------


def test_five_wrong_passwords_delay_the_account(server: Server, client: Client, member: str) -> None:
    with client_from(server.base_url, fresh_address()) as browser:
        for _ in range(5):
            failed = sign_in(browser, client, member, password="not the password")
            assert failed.status_code == 400 and "Wrong email or password" in failed.text
        locked = sign_in(browser, client, member)  # the right password, during the delay
        assert locked.status_code == 429 and "location" not in locked.headers
        assert 'role="alert"' in locked.text and "Too many" in locked.text
        assert f"wait {locked.headers['retry-after']} seconds" in locked.text
        assert "oauthapps_session=" not in " ".join(locked.headers.get_list("set-cookie"))
        # The limit is per account: another member signs in from the same address.
        other = fresh_email()
        assert register(browser, str(visitor_tokens(browser, client.id)["access_token"]), other).status_code == 200
        assert sign_in(browser, client, other).status_code == 303
    # ...and the delay is the account's: from another address it applies too.
    with client_from(server.base_url, fresh_address()) as elsewhere:
        assert sign_in(elsewhere, client, member).status_code == 429


# --- logout -------------------------------------------------------------------------------------


def test_logout_ends_the_session(http: httpx.Client, server: Server, tenant: Tenant) -> None:
    client = new_client(http, tenant, allowedRedirectDomains=["localhost:3000"])
    hosted_session_code(http, client, Pkce.new())
    session = http.cookies.get("oauthapps_session")
    assert session
    check = authorize_query(client.id, CALLBACK, Pkce.new(), prompt="none")
    assert redirect_params(http.get(authorize_url(check)), CALLBACK)["code"]

    back = "http://localhost:3000/goodbye"
    # Our own page may end it with a plain GET (the browser says the request is same-origin).
    out = http.get(
        "/oauth2/logout?" + urlencode({"client_id": client.id, "post_logout_redirect_uri": back}), headers={"Sec-Fetch-Site": "same-origin"}
    )
    assert out.status_code == 303 and out.headers["location"] == back
    assert 'oauthapps_session=""' in set_cookie(out, "oauthapps_session") or "max-age=0" in set_cookie(out, "oauthapps_session").lower()
    assert redirect_params(http.get(authorize_url(check)), CALLBACK)["error"] == "login_required"
    # The old cookie value is dead on the server, not just forgotten by this browser.
    with httpx.Client(base_url=server.base_url, timeout=30, cookies={"oauthapps_session": session}) as replay:
        assert redirect_params(replay.get(authorize_url(check)), CALLBACK)["error"] == "login_required"


def test_logout_never_redirects_to_an_unapproved_address(http: httpx.Client, tenant: Tenant) -> None:
    client = new_client(http, tenant, allowedRedirectDomains=["localhost:3000"])
    for target in ("https://evil.example.com/", "http://localhost:3001/x"):
        page = http.get("/oauth2/logout?" + urlencode({"client_id": client.id, "post_logout_redirect_uri": target}))
        assert page.status_code == 200 and "location" not in page.headers and "signed out" in page.text
        assert_page_headers(page)
    unknown = http.get("/oauth2/logout?" + urlencode({"client_id": "nobody", "post_logout_redirect_uri": "http://localhost:3000/x"}))
    assert unknown.status_code == 200 and "location" not in unknown.headers
