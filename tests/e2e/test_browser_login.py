"""The member login in a real browser (Debian's chromium driven by Playwright).

A tiny client site on http://localhost:<port> plays a Headless template: its JavaScript asks our
server for visitor tokens, creates a redirect session and links to ``fullUrl``; its callback page
checks ``state``, exchanges the code with the PKCE verifier and renews with the refresh token. All of
that is cross-origin ``fetch`` from the browser, as the Wix SDK does it, so it needs CORS on the
public endpoints. Our hosted login page runs in the browser with its real CSP and cookies.

Also: unapproved redirects are refused (redirect session 400; a hand-built authorize URL stops on
our error page), use case 2 (allowedDomains updated with ``mask.paths``, applied with no restart),
``prompt=none`` after sign-in, and logout through the logout redirect session (confirmed on our
page). Issue 11: a login ticket link sent by an attacker does not sign the victim's browser in
(finding 3), and another site cannot sign the member out (finding 6).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
import pytest

from ..support.browser import TIMEOUT_MS, off_loop
from ..support.members import PASSWORD, create_member
from ..support.oauth2 import Pkce
from ..support.oauth_apps import BASE, create
from ..support.servers import Server, serving_in_thread
from ..support.tenants import Tenant

try:
    from playwright.sync_api import Browser, BrowserContext, Page, expect
except ImportError:  # pragma: no cover - the test extra installs it; without it the browser fixture skips
    expect = None  # type: ignore[assignment]


# --- the client site -----------------------------------------------------------------------------

CLIENT_PAGE = r"""<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Client site</title></head>
<body>
<h1>Client site</h1>
<p id="status" role="status">working</p>
<p><a id="go" hidden>Continue</a></p>
<pre id="result"></pre>
<script>
"use strict";
const out = (data) => {
  const el = document.getElementById("result");
  el.textContent = JSON.stringify(data);
  el.dataset.done = "1";
};
const b64url = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes)))
  .replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
const random = () => b64url(crypto.getRandomValues(new Uint8Array(32)));

async function call(url, body, token) {
  const headers = {"Content-Type": "application/json"};
  if (token) headers.Authorization = token;
  const response = await fetch(url, {method: "POST", headers, body: JSON.stringify(body)});
  const text = await response.text();
  let json = null;
  try { json = JSON.parse(text); } catch (e) { /* not JSON */ }
  return {status: response.status, json, text, requestId: response.headers.get("x-wix-request-id")};
}

// The home page: what a Headless template does before sending the member to sign in or out.
async function home() {
  const q = new URLSearchParams(location.search);
  const server = q.get("server"), clientId = q.get("clientId");
  const intent = q.get("intent") || "login";
  const redirectUri = q.get("redirectUri") || location.origin + "/callback";
  const visitor = await call(server + "/oauth2/token", {clientId, grantType: "anonymous"});
  if (visitor.status !== 200) return out({step: "visitor", ...visitor});
  let body, state = random(), verifier = random();
  if (intent === "logout") {
    body = {logout: {clientId}, callbacks: {postFlowUrl: location.origin + "/signed-out"}};
  } else {
    const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
    body = {auth: {authRequest: {
      redirectUri, clientId, codeChallenge: b64url(digest), codeChallengeMethod: "S256",
      responseMode: "fragment", responseType: "code", scope: "offline_access", state,
    }, prompt: q.get("prompt") || "login"}};
  }
  const session = await call(server + "/_api/redirects-api/v1/redirect-session", body, visitor.json.access_token);
  if (session.status !== 200) {
    document.getElementById("status").textContent = "refused";
    return out({step: "redirect-session", ...session});
  }
  sessionStorage.setItem("oauth", JSON.stringify({server, clientId, redirectUri, verifier, state}));
  const link = document.getElementById("go");
  link.href = session.json.redirectSession.fullUrl;
  link.textContent = intent === "logout" ? "Sign out" : "Sign in";
  link.hidden = false;
  document.getElementById("status").textContent = "ready";
}

// The callback: check state, exchange the code with the PKCE verifier, renew with the refresh token.
async function callback() {
  const params = Object.fromEntries(new URLSearchParams(location.hash.slice(1)));
  const saved = JSON.parse(sessionStorage.getItem("oauth") || "null");
  if (!saved) return out({step: "callback", error: "no saved request", params});
  if (params.state !== saved.state) return out({step: "state", error: "state mismatch", params});
  if (params.error) return out({step: "callback", params});
  const exchanged = await call(saved.server + "/oauth2/token", {
    clientId: saved.clientId, grantType: "authorization_code", redirectUri: saved.redirectUri,
    code: params.code, codeVerifier: saved.verifier,
  });
  if (exchanged.status !== 200) return out({step: "exchange", params, ...exchanged});
  const renewed = await call(saved.server + "/oauth2/token", {
    clientId: saved.clientId, grantType: "refresh_token", refreshToken: exchanged.json.refresh_token,
  });
  out({step: "done", params, tokens: exchanged.json, renewed: renewed.json, renewedStatus: renewed.status,
       requestId: exchanged.requestId});
}

const run = location.pathname === "/callback" ? callback
  : location.pathname === "/signed-out" ? async () => out({step: "signed-out"}) : home;
run().catch((err) => out({step: "exception", error: String(err)}));
</script>
</body>
</html>
"""


@dataclass
class ClientSite:
    """One client origin, http://localhost:<port>, and the paths the browser asked it for."""

    port: int
    requests: list[str] = field(default_factory=list)

    @property
    def origin(self) -> str:
        return f"http://localhost:{self.port}"

    @property
    def callback(self) -> str:
        return f"{self.origin}/callback"

    @property
    def domain(self) -> str:
        return f"localhost:{self.port}"

    def page_url(self, server: Server, client_id: str, **extra: str) -> str:
        return f"{self.origin}/?" + urlencode({"server": server.base_url, "clientId": client_id, **extra})


@contextmanager
def client_site() -> Iterator[ClientSite]:
    site = ClientSite(0)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            site.requests.append(urlsplit(self.path).path)
            body = CLIENT_PAGE.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    site.port = int(httpd.server_address[1])
    with serving_in_thread(httpd, f"client-site-{site.port}"):
        yield site


@pytest.fixture(scope="module")
def sites() -> Iterator[tuple[ClientSite, ClientSite]]:
    with client_site() as a, client_site() as b:
        yield a, b


@contextmanager
def new_context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh browser profile: no cookies, no storage."""
    ctx = browser.new_context()
    ctx.set_default_timeout(TIMEOUT_MS)
    console: list[str] = []
    ctx.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    ctx.on("weberror", lambda error: console.append(f"uncaught: {error.error}"))
    try:
        yield ctx
        blocked = [line for line in console if "Content Security Policy" in line or "CORS" in line or "uncaught" in line]
        assert not blocked, blocked
    finally:
        ctx.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    with new_context(browser) as ctx:
        yield ctx


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


# --- helpers ---------------------------------------------------------------------------------------


def new_tenant(make_tenant: Callable[..., Tenant], name: str = "Test project") -> Tenant:
    return off_loop(make_tenant, name=name)


def result(page: Page) -> dict[str, Any]:
    """What the client page printed when it finished (the callback's exchange, or a refusal)."""
    done = page.locator("#result[data-done='1']")
    done.wait_for(state="attached")
    return dict(json.loads(done.text_content() or "null"))


def open_client(page: Page, site: ClientSite, server: Server, client_id: str, **extra: str) -> None:
    """Load the client page and wait until it offers the link to our server (redirect session made)."""
    page.goto(site.page_url(server, client_id, **extra))
    page.locator("#go:not([hidden]), #result[data-done='1']").first.wait_for(state="attached")
    assert page.locator("#go").is_visible(), f"the client page stopped: {page.locator('#result').text_content()}"
    assert page.locator("#go").get_attribute("href", timeout=TIMEOUT_MS).startswith(server.base_url + "/oauth2/")


def go_to_login(page: Page, site: ClientSite, server: Server, client_id: str) -> None:
    open_client(page, site, server, client_id)
    page.locator("#go").click()
    page.wait_for_url(lambda url: url.startswith(f"{server.base_url}/oauth2/authorize?"))
    expect(page.get_by_role("heading", level=1)).to_be_visible()


def sign_in(page: Page, email: str, password: str = PASSWORD) -> None:
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def landed(page: Page, site: ClientSite) -> dict[str, Any]:
    """Wait for the browser to reach the client's callback and the page to finish its exchange."""
    page.wait_for_url(lambda url: url.startswith(f"{site.callback}#"))
    return result(page)


def assert_logged_in(http: httpx.Client, outcome: dict[str, Any], server: Server, client_id: str) -> None:
    assert outcome["step"] == "done", outcome
    params = outcome["params"]
    assert params["code"].startswith("oac_") and params["iss"] == server.base_url
    tokens, renewed = outcome["tokens"], outcome["renewed"]
    assert tokens["token_type"] == "Bearer" and tokens["refresh_token"], outcome
    assert outcome["renewedStatus"] == 200 and renewed["access_token"] != tokens["access_token"], outcome
    info = http.post("/oauth2/token-info", json={"token": renewed["access_token"]}).json()
    assert info["active"] is True and info["subjectType"] == "MEMBER" and info["clientId"] == client_id


def assert_stopped_on_our_error_page(page: Page, server: Server, site: ClientSite, title: str) -> None:
    before = list(site.requests)
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.get_by_role("alert")).to_be_visible()
    page.wait_for_timeout(300)  # give any (wrong) redirect a moment to happen
    assert page.url.startswith(server.base_url + "/"), page.url
    assert site.requests == before
    assert page.locator(f"a[href^='{site.origin}']").count() == 0


def hand_built_authorize_url(server: Server, client_id: str, redirect_uri: str) -> str:
    return f"{server.base_url}/oauth2/authorize?" + urlencode(
        {
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "response_mode": "fragment",
            "code_challenge": Pkce.new().challenge,
            "code_challenge_method": "S256",
            "state": "hand-built",
        }
    )


# --- tests -------------------------------------------------------------------------------------------


def test_member_signs_in_through_the_hosted_page(
    server: Server,
    http: httpx.Client,
    make_tenant: Callable[..., Tenant],
    sites: tuple[ClientSite, ClientSite],
    page: Page,
    tmp_path: Path,
) -> None:
    site, _ = sites
    tenant = new_tenant(make_tenant, "Browser Bakery")
    app = create(http, tenant, name="Bakery storefront", allowedRedirectUris=[site.callback])
    client_id = str(app["id"])
    create_member(server.database_url, tenant.project_id, "ada@example.com")

    go_to_login(page, site, server, client_id)
    # Our page names the project and the OAuth app, and meets basic accessibility facts.
    assert page.locator(".eyebrow").inner_text().strip().casefold() == "browser bakery"
    expect(page.locator("main")).to_contain_text("Bakery storefront")
    shot = tmp_path / "login.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 1000
    # The stylesheet loaded under our CSP (style-src 'self'): the primary button has the accent colour.
    expect(page.get_by_role("button", name="Sign in")).to_have_css("background-color", "rgb(36, 84, 214)")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").count() == 1
    inputs = page.locator("input:not([type=hidden])")
    assert inputs.count() == 2
    for i in range(inputs.count()):
        input_id = inputs.nth(i).get_attribute("id")
        assert input_id and page.locator(f"label[for='{input_id}']").count() == 1
    expect(page.get_by_label("Email")).to_have_attribute("type", "email")
    expect(page.get_by_label("Password")).to_have_attribute("type", "password")

    # A wrong password: the error is announced, and the email is kept.
    sign_in(page, "ada@example.com", "not the password")
    alert = page.get_by_role("alert")
    expect(alert).to_have_text("Wrong email or password.")
    expect(page.get_by_label("Email")).to_have_value("ada@example.com")
    expect(page.get_by_label("Email")).to_have_attribute("aria-describedby", "form-error")
    assert page.url.startswith(server.base_url)

    sign_in(page, "ada@example.com")
    outcome = landed(page, site)
    assert_logged_in(http, outcome, server, client_id)
    assert urlsplit(page.url).query == ""  # fragment response mode: nothing in the query


def test_unapproved_redirect_is_refused(
    server: Server,
    http: httpx.Client,
    make_tenant: Callable[..., Tenant],
    sites: tuple[ClientSite, ClientSite],
    page: Page,
) -> None:
    site, other = sites
    tenant = new_tenant(make_tenant)
    app = create(http, tenant, allowedRedirectUris=[site.callback])
    client_id = str(app["id"])

    # The client page asks for a redirect session to an address the app has not approved.
    page.goto(site.page_url(server, client_id, redirectUri=other.callback))
    refused = result(page)
    assert refused["step"] == "redirect-session" and refused["status"] == 400, refused
    violation = refused["json"]["details"]["validationError"]["fieldViolations"][0]
    assert violation["field"] == "auth.authRequest.redirectUri" and violation["violatedRule"] == "REDIRECT_URI_NOT_APPROVED"
    expect(page.locator("#go")).to_be_hidden()

    # A hand-built authorize URL with that address stops on our error page.
    before = list(other.requests)
    response = page.goto(hand_built_authorize_url(server, client_id, other.callback))
    assert response is not None and response.status == 400
    assert_stopped_on_our_error_page(page, server, other, "Redirect address not approved")
    assert other.requests == before


def test_use_case_2_allowed_domains_update_applies_without_restart(
    server: Server,
    http: httpx.Client,
    make_tenant: Callable[..., Tenant],
    sites: tuple[ClientSite, ClientSite],
    browser: Browser,
) -> None:
    old, new = sites
    tenant = new_tenant(make_tenant)
    app = create(http, tenant, allowedDomains=[old.domain])
    client_id = str(app["id"])
    pid = server.process.pid

    with new_context(browser) as ctx:
        page = ctx.new_page()
        # Sign up on our page (the "Create an account" screen), landing on the old domain.
        go_to_login(page, old, server, client_id)
        page.get_by_role("link", name="Create an account").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Create your account")
        page.get_by_label("Email").fill("grace@example.com")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Create account").click()
        assert_logged_in(http, landed(page, old), server, client_id)

        # A login page for the old domain, loaded before the update and submitted after it.
        stale = ctx.new_page()
        go_to_login(stale, old, server, client_id)

        update = http.patch(
            f"{BASE}/{client_id}",
            headers=tenant.app_headers,
            json={
                "oAuthApp": {"allowedDomains": [new.domain]},
                "mask": {"paths": ["allowedDomains"]},
            },
        )
        assert update.status_code == 200, update.text
        assert update.json()["oAuthApp"]["allowedDomains"] == [new.domain]

        before = list(old.requests)
        sign_in(stale, "grace@example.com")
        expect(stale.get_by_role("heading", level=1)).to_have_text("Redirect address not approved")
        assert stale.url.startswith(server.base_url) and old.requests == before

    with new_context(browser) as ctx:
        page = ctx.new_page()
        # The new domain works at once ...
        go_to_login(page, new, server, client_id)
        sign_in(page, "grace@example.com")
        assert_logged_in(http, landed(page, new), server, client_id)

        # ... and the removed one is refused: no redirect session, and no redirect from a hand-built URL.
        page.goto(old.page_url(server, client_id))
        refused = result(page)
        assert refused["step"] == "redirect-session" and refused["status"] == 400, refused
        response = page.goto(hand_built_authorize_url(server, client_id, old.callback))
        assert response is not None and response.status == 400
        assert_stopped_on_our_error_page(page, server, old, "Redirect address not approved")

    assert server.process.poll() is None and server.process.pid == pid  # the same process all along


def test_prompt_none_uses_the_session_and_logout_ends_it(
    server: Server,
    http: httpx.Client,
    make_tenant: Callable[..., Tenant],
    sites: tuple[ClientSite, ClientSite],
    page: Page,
) -> None:
    site, _ = sites
    tenant = new_tenant(make_tenant)
    app = create(http, tenant, allowedDomains=[site.domain])
    client_id = str(app["id"])
    create_member(server.database_url, tenant.project_id, "lin@example.com")

    go_to_login(page, site, server, client_id)
    sign_in(page, "lin@example.com")
    assert_logged_in(http, landed(page, site), server, client_id)

    # prompt=none with our session cookie: straight back with a code, no login page on the way.
    seen: list[tuple[int, str]] = []
    page.on("response", lambda r: seen.append((r.status, r.url)) if r.url.startswith(server.base_url + "/oauth2/authorize") else None)
    open_client(page, site, server, client_id, prompt="none")
    page.locator("#go").click()
    assert_logged_in(http, landed(page, site), server, client_id)
    assert [status for status, _ in seen] == [303], seen

    # The logout redirect session: our page asks to confirm (the request came from the site), its
    # button ends the session, and the browser comes back to the approved postFlowUrl.
    open_client(page, site, server, client_id, intent="logout")
    expect(page.locator("#go")).to_have_text("Sign out")
    page.locator("#go").click()
    page.wait_for_url(lambda url: url.startswith(f"{server.base_url}/oauth2/logout?"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign out?")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{site.origin}/signed-out")
    assert result(page)["step"] == "signed-out"

    # Now prompt=none answers login_required at the approved redirect URI.
    open_client(page, site, server, client_id, prompt="none")
    page.locator("#go").click()
    refused = landed(page, site)
    assert refused["step"] == "callback" and refused["params"]["error"] == "login_required", refused
    assert refused["params"]["iss"] == server.base_url


def test_a_login_ticket_link_does_not_sign_the_victim_in(
    server: Server,
    http: httpx.Client,
    make_tenant: Callable[..., Tenant],
    sites: tuple[ClientSite, ClientSite],
    page: Page,
    context: BrowserContext,
) -> None:
    """Issue 11, finding 3: the attacker signs in as himself through the identity API and sends the
    victim to the authorize URL with his ticket and prompt=none. The victim's browser must not come
    away with the attacker's hosted session."""
    site, _ = sites
    tenant = new_tenant(make_tenant)
    app = create(http, tenant, allowedDomains=[site.domain])
    client_id = str(app["id"])
    create_member(server.database_url, tenant.project_id, "mallory@example.com")
    visitor = http.post("/oauth2/token", json={"clientId": client_id, "grantType": "anonymous"}).json()["access_token"]
    ticket = http.post(
        "/_api/iam/authentication/v2/login",
        headers={"Authorization": visitor},
        json={"loginId": {"email": "mallory@example.com"}, "password": PASSWORD},
    ).json()["sessionToken"]
    attack = f"{server.base_url}/oauth2/authorize?" + urlencode(
        {
            "client_id": client_id,
            "redirect_uri": site.callback,
            "response_type": "code",
            "response_mode": "fragment",
            "code_challenge": Pkce.new().challenge,
            "code_challenge_method": "S256",
            "state": "attacker",
            "prompt": "none",
            "session_token": ticket,
        }
    )
    # The victim follows the link from another site's page.
    page.goto(site.origin + "/signed-out")
    page.evaluate("url => { location.href = url; }", attack)
    page.wait_for_url(lambda url: url.startswith(f"{site.callback}#"))
    assert result(page)["step"] == "callback"  # the site has no request of its own to match the code
    assert not [c for c in context.cookies() if c["name"] == "oauthapps_session"]

    # Later the site signs its visitor in silently: nobody is signed in in this browser.
    open_client(page, site, server, client_id, prompt="none")
    page.locator("#go").click()
    refused = landed(page, site)
    assert refused["step"] == "callback" and refused["params"]["error"] == "login_required", refused


def test_another_site_cannot_sign_the_member_out(
    server: Server,
    http: httpx.Client,
    make_tenant: Callable[..., Tenant],
    sites: tuple[ClientSite, ClientSite],
    page: Page,
) -> None:
    """Issue 11, finding 6: a page elsewhere sends the browser to the logout URL, or posts a form
    to it; the session survives (the GET only asks to confirm, the post has no token of ours)."""
    site, other = sites
    tenant = new_tenant(make_tenant)
    app = create(http, tenant, allowedDomains=[site.domain])
    client_id = str(app["id"])
    create_member(server.database_url, tenant.project_id, "ines@example.com")
    go_to_login(page, site, server, client_id)
    sign_in(page, "ines@example.com")
    assert_logged_in(http, landed(page, site), server, client_id)

    logout = f"{server.base_url}/oauth2/logout?" + urlencode(
        {"client_id": client_id, "post_logout_redirect_uri": site.origin + "/signed-out"}
    )
    page.goto(other.origin + "/signed-out")
    page.evaluate("url => { location.href = url; }", logout)
    page.wait_for_url(lambda url: url.startswith(f"{server.base_url}/oauth2/logout?"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign out?")

    page.goto(other.origin + "/signed-out")
    page.evaluate(
        """url => {
          const form = document.createElement("form");
          form.method = "post";
          form.action = url;
          for (const [name, value] of [["client_id", "x"], ["csrf_token", "forged"]]) {
            const input = document.createElement("input");
            input.type = "hidden"; input.name = name; input.value = value;
            form.appendChild(input);
          }
          document.body.appendChild(form);
          form.submit();
        }""",
        f"{server.base_url}/oauth2/logout",
    )
    page.wait_for_url(f"{server.base_url}/oauth2/logout")
    expect(page.get_by_role("alert")).to_be_visible()

    # Still signed in: prompt=none comes straight back with a code.
    open_client(page, site, server, client_id, prompt="none")
    page.locator("#go").click()
    assert_logged_in(http, landed(page, site), server, client_id)
