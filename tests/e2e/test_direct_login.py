"""``getMemberTokensForDirectLogin(sessionToken)`` of the unmodified ``@wix/sdk`` in Chromium.

A test site on a loopback origin runs the SDK bundled for the browser (esbuild, at test time, from
the pinned packages in compat/wix-sdk): ``login()`` through the identity API gives a session token,
``getMemberTokensForDirectLogin()`` asks for a ``web_message`` authorize URL, loads it in a hidden
iframe and waits for the page there to post ``{code, state}``, then trades the code for tokens, and
``@wix/members`` ``getCurrentMember()`` answers with them. The site's only addition is the fetch
shim that compat/wix-sdk/redirect-fetch.mjs is in Node: the SDK's calls to ``*.wixapis.com`` go to
the server under test.

A site on an origin the OAuth app does not approve gets no code: the SDK's call fails at once (the
redirect session refuses its origin), and an authorize URL it builds by hand for the approved
origin is never framed (CSP ``frame-ancestors``), so nothing is posted to it.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
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
from ..support.members import PASSWORD, create_member, fresh_email
from ..support.oauth2 import Client, Pkce, new_client
from ..support.servers import IN_CI, Server, serving_in_thread
from ..support.tenants import Tenant

with contextlib.suppress(ImportError):  # the test extra installs it; without it the browser fixture skips
    from playwright.sync_api import Browser, BrowserContext, Page, Request, Response

COMPAT = Path(__file__).resolve().parents[2] / "compat" / "wix-sdk"
ESBUILD = COMPAT / "node_modules" / ".bin" / "esbuild"
# What the site imports: the SDK's client and OAuth strategy, and the members module.
BUNDLE_ENTRY = """
import { createClient, OAuthStrategy } from '@wix/sdk';
import { members } from '@wix/members';
window.wix = { createClient, OAuthStrategy, members };
"""

SITE_PAGE = r"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Direct login site</title>
<script>
"use strict";
// As compat/wix-sdk/redirect-fetch.mjs in Node: the SDK calls https://www.wixapis.com (hard-coded)
// through the global fetch, looked up at call time; those calls go to the server under test.
(() => {
  const server = new URLSearchParams(location.search).get("server");
  const realFetch = window.fetch.bind(window);
  window.fetch = (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    if (!/(^|\.)wixapis\.com$/.test(url.hostname)) return realFetch(input, init);
    const target = server + url.pathname + url.search;
    return input instanceof Request ? realFetch(new Request(target, input), init) : realFetch(target, init);
  };
  // Every message this window receives, to show what was (not) posted to it.
  window.received = [];
  window.addEventListener("message", (event) => window.received.push({origin: event.origin, data: event.data}));
})();
</script>
<script src="/wix.js"></script>
</head>
<body><h1>Direct login site</h1></body>
</html>
"""

# The custom-login template's code path: login() -> getMemberTokensForDirectLogin() -> getCurrentMember().
DIRECT_LOGIN = """
async ({clientId, email, password}) => {
  const {createClient, OAuthStrategy, members} = window.wix;
  const client = createClient({modules: {members}, auth: OAuthStrategy({clientId})});
  const login = await client.auth.login({email, password});
  if (login.loginState !== "SUCCESS") return {step: "login", login};
  let tokens;
  try {
    tokens = await client.auth.getMemberTokensForDirectLogin(login.data.sessionToken);
  } catch (err) {
    return {step: "direct-login", message: String(err && err.message), details: (err && err.details) || null,
            sessionToken: login.data.sessionToken};
  }
  client.auth.setTokens(tokens);
  const {member} = await client.members.getCurrentMember();
  return {step: "done", loggedIn: client.auth.loggedIn(), role: tokens.refreshToken.role,
          memberId: member._id, loginEmail: member.loginEmail,
          iframesLeft: document.querySelectorAll("iframe").length};
}
"""

# A hand-built authorize URL in an iframe, as a site on another origin could try.
FRAME = """
(url) => new Promise((resolve) => {
  const frame = document.createElement("iframe");
  frame.addEventListener("load", () => resolve(true));
  frame.src = url;
  document.body.appendChild(frame);
})
"""


@pytest.fixture(scope="module")
def wix_bundle(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The pinned @wix/sdk and @wix/members, bundled for the browser into a temporary directory."""
    if not os.access(ESBUILD, os.X_OK):
        reason = f"{ESBUILD} is missing (run `npm ci` in compat/wix-sdk)"
        if IN_CI:
            pytest.fail(reason + ", and CI=true")
        pytest.skip(reason)
    out = tmp_path_factory.mktemp("wix-bundle") / "wix.js"
    subprocess.run(
        [str(ESBUILD), "--bundle", "--platform=browser", "--format=iife", "--target=es2020", "--log-level=error", f"--outfile={out}"],
        input=BUNDLE_ENTRY,
        text=True,
        cwd=COMPAT,
        check=True,
        timeout=120,
    )
    return out.read_bytes()


@dataclass
class SdkSite:
    """A site on http://127.0.0.1:<port> serving the page and the bundle."""

    port: int
    requests: list[str] = field(default_factory=list)

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def domain(self) -> str:
        return f"127.0.0.1:{self.port}"

    def page_url(self, server: Server) -> str:
        return f"{self.origin}/?" + urlencode({"server": server.base_url})


@contextmanager
def serving_site(bundle: bytes) -> Iterator[SdkSite]:
    site = SdkSite(0)
    files = {"/": ("text/html; charset=utf-8", SITE_PAGE.encode()), "/wix.js": ("text/javascript", bundle)}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = urlsplit(self.path).path
            site.requests.append(path)
            found = files.get(path)
            content_type, body = found or ("text/plain", b"not found")
            self.send_response(200 if found else 404)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    site.port = int(httpd.server_address[1])
    with serving_in_thread(httpd, f"direct-login-site-{site.port}"):
        yield site


@pytest.fixture(scope="module")
def sites(wix_bundle: bytes) -> Iterator[tuple[SdkSite, SdkSite]]:
    """The approved site and one the OAuth app knows nothing of."""
    with serving_site(wix_bundle) as approved, serving_site(wix_bundle) as other:
        yield approved, other


@dataclass
class Visit:
    """A page of a fresh browser profile, with what it asked our authorize endpoint and the
    console lines it logged."""

    page: Page
    authorize: list[Response] = field(default_factory=list)
    authorize_requests: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)

    def received(self) -> list[dict[str, Any]]:
        return list(self.page.evaluate("window.received"))


@contextmanager
def visit(browser: Browser, url: str) -> Iterator[Visit]:
    ctx: BrowserContext = browser.new_context()
    ctx.set_default_timeout(TIMEOUT_MS)
    try:
        page = ctx.new_page()
        seen = Visit(page)

        def on_request(request: Request) -> None:
            if urlsplit(request.url).path == "/oauth2/authorize":
                seen.authorize_requests.append(request.url)

        def on_response(response: Response) -> None:
            if urlsplit(response.url).path == "/oauth2/authorize":
                seen.authorize.append(response)

        page.on("request", on_request)
        page.on("response", on_response)
        page.on("console", lambda message: seen.console.append(f"{message.type}: {message.text}"))
        page.on("pageerror", lambda error: seen.console.append(f"uncaught: {error}"))
        page.goto(url)
        page.wait_for_function("window.wix !== undefined")
        yield seen
    finally:
        ctx.close()


@pytest.fixture
def tenant(make_tenant: Callable[..., Tenant]) -> Tenant:
    """A new project; made off the event loop that Playwright's sync API keeps on this thread."""
    made: Tenant = off_loop(make_tenant)
    return made


@pytest.fixture
def direct_login_client(http: httpx.Client, tenant: Tenant, sites: tuple[SdkSite, SdkSite]) -> Client:
    """An OAuth app that approves the first site's origin (allowedRedirectDomains) and nothing else."""
    approved, _ = sites
    return new_client(http, tenant, redirect_uris=[], allowedRedirectDomains=[approved.domain])


def test_direct_login_in_chromium(
    browser: Browser, server: Server, tenant: Tenant, direct_login_client: Client, sites: tuple[SdkSite, SdkSite]
) -> None:
    approved, _ = sites
    email = fresh_email()
    member_id = off_loop(create_member, server.database_url, tenant.project_id, email)

    with visit(browser, approved.page_url(server)) as seen:
        result = seen.page.evaluate(DIRECT_LOGIN, {"clientId": direct_login_client.id, "email": email, "password": PASSWORD})
        assert result["step"] == "done", result
        assert result["loggedIn"] is True and result["role"] == "member"
        assert result["memberId"] == member_id and result["loginEmail"] == email
        assert result["iframesLeft"] == 0, "the SDK removes its iframe once the message came"

        # The hidden iframe loaded our web_message page, which only this origin may frame ...
        [answer] = seen.authorize
        assert answer.status == 200
        headers = answer.all_headers()
        assert f"frame-ancestors {approved.origin}" in headers["content-security-policy"]
        assert "x-frame-options" not in headers
        assert headers["cache-control"] == "no-store"
        # ... and it posted {code, state} from our origin to this window, and nothing else.
        [message] = seen.received()
        assert message["origin"] == server.base_url
        assert set(message["data"]) == {"code", "state"}
        assert message["data"]["code"].startswith("oac_")
        assert [line for line in seen.console if "Content Security Policy" in line or "uncaught" in line] == []


def test_unapproved_origin_gets_no_code(
    browser: Browser, server: Server, tenant: Tenant, direct_login_client: Client, sites: tuple[SdkSite, SdkSite]
) -> None:
    approved, other = sites
    email = fresh_email()
    off_loop(create_member, server.database_url, tenant.project_id, email)

    with visit(browser, other.page_url(server)) as seen:
        # The SDK's own call fails at once: the redirect session refuses the calling origin, so
        # there is no authorize URL and no iframe.
        result = seen.page.evaluate(DIRECT_LOGIN, {"clientId": direct_login_client.id, "email": email, "password": PASSWORD})
        assert result["step"] == "direct-login", result
        assert "REDIRECT_URI_NOT_APPROVED" in str(result["details"]), result
        assert seen.authorize_requests == []

        # A hand-built URL naming the approved origin: our page answers, but the browser will not
        # show it in a frame on this origin, so its script never runs and nothing is posted here.
        url = f"{server.base_url}/oauth2/authorize?" + urlencode(
            {
                "client_id": direct_login_client.id,
                "redirect_uri": approved.origin,
                "response_type": "code",
                "response_mode": "web_message",
                "prompt": "none",
                "code_challenge": Pkce.new().challenge,
                "code_challenge_method": "S256",
                "state": "forged",
                "session_token": result["sessionToken"],
            }
        )
        assert seen.page.evaluate(FRAME, url) is True
        [answer] = seen.authorize
        assert answer.status == 200
        assert f"frame-ancestors {approved.origin}" in answer.all_headers()["content-security-policy"]
        refused = [line for line in seen.console if "frame-ancestors" in line]
        assert refused, seen.console
        [frame] = [f for f in seen.page.frames if f != seen.page.main_frame]
        assert not frame.url.startswith(server.base_url), frame.url
        assert seen.received() == []
