"""The guestbook sample template (examples/guestbook, Flask + the Python SDK) end to end, in headless
Chromium with JavaScript switched off, against a real server (SQLite and PostgreSQL).

Set-up as a site owner would do it: a project with an installed app (SCOPE.OAUTH_APP.MANAGE) runs
``connect`` (use case 1: OAuth app + Guestbook collection + env file), the template starts on a
loopback port with that env file. Then: a visitor browses entries an admin seeded; a member signs
up on the hosted page, lands back, posts and edits an entry; a second member sees no Edit button
and a forged edit or delete is refused *by the server* (the template only shows the refusal); the
admin page deletes any entry; sign-out goes through the server's logout and back. Then the
installed app takes the site's address away (allowedDomains and allowedRedirectUris) and sign-in
is refused without the browser ever reaching the template's /callback; finally it deletes the
OAuth app, and the template shows "This site is no longer connected" while the old member token
is dead at the server.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from examples.guestbook import app as guestbook
from examples.guestbook.settings import Settings, read_env_file
from oauthapps.sdk import AppStrategy, ClientCredentialsStrategy, Tokens, create_client, data, oauth_apps

from ..support.browser import TIMEOUT_MS, off_loop
from ..support.members import PASSWORD
from ..support.servers import Server, serving_in_thread
from ..support.tenants import Tenant

try:
    from playwright.sync_api import Browser, BrowserContext, Page, Response, expect
except ImportError:  # pragma: no cover - the test extra installs it; without it the browser fixture skips
    expect = None  # type: ignore[assignment]

REPO = Path(__file__).resolve().parents[2]
ADMIN_PASSWORD = "moderate-me-" + uuid.uuid4().hex[:8]


# --- the template, served from this process ------------------------------------------------------


@dataclass
class Site:
    """The guestbook on http://127.0.0.1:<port>, and the paths the browser asked it for."""

    port: int = 0
    app: Any = None
    requests: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        self.requests.append(f"{environ['REQUEST_METHOD']} {environ.get('PATH_INFO', '')}")
        if self.app is None:  # bound before connect has run; nothing asks this early
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"not started"]
        return self.app(environ, start_response)

    def callbacks(self) -> int:
        return sum(1 for line in self.requests if line == "GET /callback")

    def session(self, ctx: BrowserContext) -> dict[str, Any]:
        """The Flask session of this browser (signed, not encrypted: the test holds the key)."""
        cookie = next(c for c in ctx.cookies(self.url) if c["name"] == "guestbook_session")
        return dict(self.app.session_interface.get_signing_serializer(self.app).loads(cookie["value"]))


@contextmanager
def serve_site() -> Iterator[Site]:
    """werkzeug's make_server in a thread. The port is bound first (connect needs the site URL);
    the Flask app is plugged in once connect has written the env file."""
    from werkzeug.serving import make_server

    site = Site()
    httpd = make_server("127.0.0.1", 0, site, threaded=True)
    site.port = int(httpd.server_port)
    with serving_in_thread(httpd, f"guestbook-{site.port}"):
        yield site


def run_connect(server: Server, tenant: Tenant, site: Site, env_file: Path, *, as_script: bool = False) -> str:
    """``connect`` in its own process, the way a site owner runs it."""
    entry = ["examples/guestbook/connect.py"] if as_script else ["-m", "examples.guestbook.connect"]
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("OAUTHAPPS_", "GUESTBOOK_"))},
        "OAUTHAPPS_URL": server.base_url,
        "OAUTHAPPS_APP_ID": tenant.app_id,
        "OAUTHAPPS_APP_SECRET": tenant.app_secret,
        "OAUTHAPPS_INSTANCE_ID": tenant.instance_id,
    }
    done = subprocess.run(
        [sys.executable, *entry, "--site-url", site.url, "--env-file", str(env_file)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


# --- the browser ---------------------------------------------------------------------------------------


@contextmanager
def no_js_context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh profile with JavaScript off: the template and our hosted pages must work without it."""
    ctx = browser.new_context(java_script_enabled=False)
    ctx.set_default_timeout(TIMEOUT_MS)
    console: list[str] = []
    ctx.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    try:
        yield ctx
        blocked = [line for line in console if "Content Security Policy" in line or "CORS" in line]
        assert not blocked, blocked
    finally:
        ctx.close()


def goto(page: Page, url: str) -> Response:
    response = page.goto(url)
    assert response is not None
    return response


def submit(page: Page, button: Any) -> Response:
    """Click a submit button and return the final response of the navigation (after redirects)."""
    with page.expect_navigation() as nav:
        button.click()
    response = nav.value
    assert response is not None
    return response


def assert_accessible(page: Page) -> None:
    """The basics on every template page: a language, one h1, a label for every field, no script."""
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").count() == 1
    assert page.locator("script").count() == 0
    fields = page.locator("input:not([type=hidden]), textarea")
    for i in range(fields.count()):
        field_id = fields.nth(i).get_attribute("id")
        assert field_id and page.locator(f"label[for='{field_id}']").count() == 1, field_id


def sign_up_from_template(page: Page, site: Site, server: Server, email: str) -> None:
    """Template "Sign in" → our hosted page → "Create an account" → back on the template."""
    before = site.callbacks()
    page.get_by_role("navigation", name="Account").get_by_role("link", name="Sign in").click()
    page.wait_for_url(lambda url: url.startswith(f"{server.base_url}/oauth2/authorize?"))
    page.get_by_role("link", name="Create an account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Create your account")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(f"{site.url}/")
    assert site.callbacks() == before + 1
    expect(page.get_by_role("status")).to_contain_text("You are signed in")


def entry(page: Page, text: str) -> Any:
    return page.locator("article.entry", has_text=text)


# --- the end-to-end test -------------------------------------------------------------------------------


def test_guestbook_end_to_end(
    server: Server,
    http: httpx.Client,
    make_tenant: Callable[..., Tenant],
    browser: Browser,
    tmp_path: Path,
) -> None:
    started = time.monotonic()
    tenant = off_loop(make_tenant, name="Guestbook owner")
    env_file = tmp_path / "guestbook.env"
    email_a, email_b = f"ada-{uuid.uuid4().hex[:8]}@example.com", f"bob-{uuid.uuid4().hex[:8]}@example.com"

    with serve_site() as site:
        # --- connect (use case 1), twice: the second run reuses the OAuth app and the collection.
        first = run_connect(server, tenant, site, env_file)
        assert "Created OAuth app" in first and "Created the Guestbook collection" in first, first
        assert env_file.stat().st_mode & 0o777 == 0o600
        written = read_env_file(env_file)
        assert written["OAUTHAPPS_URL"] == server.base_url and written["OAUTHAPPS_CLIENT_SECRET"].startswith("oas_")
        client_id = written["OAUTHAPPS_CLIENT_ID"]
        again = run_connect(server, tenant, site, env_file, as_script=True)
        assert f"Reusing OAuth app {client_id}" in again and "collection already exists" in again, again
        assert read_env_file(env_file)["OAUTHAPPS_CLIENT_ID"] == client_id

        manager = create_client(
            auth=AppStrategy(tenant.app_id, tenant.app_secret, tenant.instance_id), modules=[oauth_apps], base_url=server.base_url
        )
        oauth_app = manager.oauth_apps.get(client_id)
        assert oauth_app["allowedDomains"] == [f"127.0.0.1:{site.port}"]
        assert oauth_app["allowedRedirectUris"] == [f"{site.url}/callback"]
        collections = http.get("/wix-data/v2/collections", headers=tenant.key_headers).json()["collections"]
        assert [c["permissions"] for c in collections if c["id"] == "Guestbook"] == [guestbook.PERMISSIONS]

        # --- the template, configured only by the env file (plus the admin password).
        site.app = guestbook.create_app(Settings.load(env_file, environ={"GUESTBOOK_ADMIN_PASSWORD": ADMIN_PASSWORD}))
        admin = create_client(
            auth=ClientCredentialsStrategy(client_id, written["OAUTHAPPS_CLIENT_SECRET"]), modules=[data], base_url=server.base_url
        )
        admin.data.insert("Guestbook", {"name": "The owner", "message": "Welcome to our guestbook!"})
        admin.data.insert("Guestbook", {"name": "Moderator", "message": "Please be kind."})

        with no_js_context(browser) as visitor_ctx, no_js_context(browser) as ada_ctx, no_js_context(browser) as bob_ctx:
            # --- a visitor browses with visitor tokens kept in the Flask session.
            visitor = visitor_ctx.new_page()
            assert goto(visitor, site.url + "/").status == 200
            expect(visitor.get_by_role("heading", level=1)).to_have_text("Guestbook")
            expect(entry(visitor, "Welcome to our guestbook!")).to_contain_text("The owner")
            expect(entry(visitor, "Please be kind.")).to_be_visible()
            expect(visitor.get_by_role("link", name=re.compile("^Edit"))).to_have_count(0)
            expect(visitor.get_by_label("Message")).to_have_count(0)  # no form for visitors
            assert_accessible(visitor)
            tokens = Tokens.from_dict(site.session(visitor_ctx)["tokens"])
            assert tokens.refresh_token.role == "visitor" and tokens.access_token.value
            assert written["OAUTHAPPS_CLIENT_SECRET"] not in visitor.content()

            # --- Ada signs up on the hosted page, lands back, posts and edits her entry.
            ada = ada_ctx.new_page()
            goto(ada, site.url + "/")
            sign_up_from_template(ada, site, server, email_a)
            ada_session = site.session(ada_ctx)
            assert ada_session["member"]["email"] == email_a
            assert Tokens.from_dict(ada_session["tokens"]).refresh_token.role == "member"
            expect(ada.get_by_label("Your name")).to_have_value(email_a.split("@", maxsplit=1)[0])
            assert_accessible(ada)
            ada.get_by_label("Your name").fill("Ada")
            ada.get_by_label("Message").fill("Lovely site, Ada was here.")
            assert submit(ada, ada.get_by_role("button", name="Post entry")).status == 200
            expect(ada.get_by_role("status")).to_contain_text("Your entry is in the guestbook")
            mine = entry(ada, "Ada was here")
            entry_id = mine.get_attribute("data-entry-id")
            assert entry_id
            expect(mine.get_by_role("link", name="Edit your entry, Ada")).to_be_visible()
            expect(entry(ada, "Welcome to our guestbook!").get_by_role("link", name=re.compile("^Edit"))).to_have_count(0)
            mine.get_by_role("link", name="Edit your entry, Ada").click()
            expect(ada.get_by_role("heading", level=1)).to_have_text("Edit your entry")
            assert_accessible(ada)
            ada.get_by_label("Message").fill("Lovely site. Ada was here, twice.")
            assert submit(ada, ada.get_by_role("button", name="Save changes")).status == 200
            expect(entry(ada, "Ada was here, twice.")).to_contain_text("(edited)")
            stored = admin.data.get("Guestbook", entry_id)
            assert stored["_owner"] == ada_session["member"]["id"] and stored["message"] == "Lovely site. Ada was here, twice."

            # A form with a missing message is re-shown with the error announced.
            ada.get_by_label("Message").fill("   ")
            assert submit(ada, ada.get_by_role("button", name="Post entry")).status == 400
            expect(ada.get_by_role("alert")).to_contain_text("Enter a message.")
            expect(ada.get_by_label("Message")).to_have_attribute("aria-invalid", "true")

            # --- Bob, a second member: no Edit on Ada's entry, and forged writes are refused by the server.
            bob = bob_ctx.new_page()
            goto(bob, site.url + "/")
            sign_up_from_template(bob, site, server, email_b)
            bob.get_by_label("Message").fill("Bob says hi.")
            submit(bob, bob.get_by_role("button", name="Post entry"))
            bob_entry = entry(bob, "Bob says hi.").get_attribute("data-entry-id")
            expect(entry(bob, "Bob says hi.").get_by_role("link", name=re.compile("^Edit"))).to_be_visible()
            expect(entry(bob, "Ada was here").get_by_role("link", name=re.compile("^Edit"))).to_have_count(0)

            # The edit page is not linked for him, but the template does not check ownership itself:
            # it sends the update with Bob's member token and shows the server's refusal.
            assert goto(bob, f"{site.url}/entries/{entry_id}/edit").status == 200
            bob.get_by_label("Message").fill("Bob rewrote Ada's entry")
            refused = submit(bob, bob.get_by_role("button", name="Save changes"))
            assert refused.status == 403
            expect(bob.get_by_role("heading", level=1)).to_have_text("You can only change your own entries")
            expect(bob.get_by_role("alert")).to_contain_text("Only the author may update this item")  # the server's words
            csrf = bob.locator("input[name=csrf_token]").first.get_attribute("value")
            forged = bob_ctx.request.post(f"{site.url}/entries/{entry_id}/delete", form={"csrf_token": csrf or ""})
            assert forged.status == 403 and "Only the author may remove this item" in forged.text()
            no_token = bob_ctx.request.post(f"{site.url}/entries/{entry_id}/delete", form={})
            assert no_token.status == 400  # the template's own CSRF check, before any server call
            assert admin.data.get("Guestbook", entry_id)["message"] == "Lovely site. Ada was here, twice."

            # --- the admin page (password; the OAuth app's admin token) deletes any entry, a member's too.
            assert goto(visitor, site.url + "/admin").status == 200
            expect(visitor.get_by_role("heading", level=1)).to_have_text("Admin sign-in")
            assert_accessible(visitor)
            visitor.get_by_label("Admin password").fill("wrong")
            assert submit(visitor, visitor.get_by_role("button", name="Continue")).status == 401
            expect(visitor.get_by_role("alert")).to_have_text("That password is not right.")
            visitor.get_by_label("Admin password").fill(ADMIN_PASSWORD)
            assert submit(visitor, visitor.get_by_role("button", name="Continue")).status == 200
            expect(visitor.get_by_role("heading", level=1)).to_have_text("Moderate entries")
            assert_accessible(visitor)
            visitor.locator(f"#admin-entry-{bob_entry}").get_by_role("button", name="Delete the entry by").click()
            expect(visitor.get_by_role("status")).to_have_text("The entry was deleted.")
            expect(visitor.locator(f"#admin-entry-{bob_entry}")).to_have_count(0)
            goto(bob, site.url + "/")
            expect(entry(bob, "Bob says hi.")).to_have_count(0)
            expect(entry(bob, "Ada was here")).to_be_visible()

            # --- Bob signs out through the server's logout (confirmed on its page, as the request
            # came from the site) and comes back as a visitor.
            bob.get_by_role("button", name="Sign out").click()
            bob.wait_for_url(lambda url: url.startswith(f"{server.base_url}/oauth2/logout?"))
            expect(bob.get_by_role("heading", level=1)).to_have_text("Sign out?")
            bob.get_by_role("button", name="Sign out").click()
            bob.wait_for_url(f"{site.url}/")
            expect(bob.get_by_role("status")).to_contain_text("You are signed out")
            expect(bob.get_by_role("navigation", name="Account").get_by_role("link", name="Sign in")).to_be_visible()
            assert "member" not in site.session(bob_ctx)

            # --- use case 2 in reverse: the installed app takes the site's address away.
            # A hosted login page opened before the change, submitted after it.
            goto(bob, site.url + "/")
            bob.get_by_role("navigation", name="Account").get_by_role("link", name="Sign in").click()
            bob.wait_for_url(lambda url: url.startswith(f"{server.base_url}/oauth2/authorize?"))
            callbacks = site.callbacks()
            manager.oauth_apps.update(client_id, {"allowedDomains": ["guestbook.example.com"]}, mask=["allowedDomains"])
            # An exact allowedRedirectUris entry approves a login redirect by itself (whatever the
            # domains say), so the site's callback URI has to go too.
            updated = manager.oauth_apps.update(client_id, {}, mask=["allowedRedirectUris"])
            assert updated["allowedDomains"] == ["guestbook.example.com"] and updated["allowedRedirectUris"] == []

            bob.get_by_label("Email").fill(email_b)
            bob.get_by_label("Password").fill(PASSWORD)
            bob.get_by_role("button", name="Sign in").click()
            expect(bob.get_by_role("heading", level=1)).to_have_text("Redirect address not approved")
            assert bob.url.startswith(server.base_url + "/")

            # A new sign-in: the redirect session is refused and the template says so.
            goto(visitor, site.url + "/")
            visitor.get_by_role("navigation", name="Account").get_by_role("link", name="Sign in").click()
            expect(visitor.get_by_role("heading", level=1)).to_have_text("Signing in is not available")
            expect(visitor.get_by_role("alert")).to_contain_text("REDIRECT_URI_NOT_APPROVED")
            assert visitor.url.startswith(site.url + "/login")
            bob.wait_for_timeout(200)  # room for a (wrong) late redirect
            assert site.callbacks() == callbacks, "the browser never came back to /callback"

            # Browsing still works: the site is still connected, only its address is not approved.
            goto(ada, site.url + "/")
            expect(entry(ada, "Ada was here")).to_be_visible()
            ada_tokens = Tokens.from_dict(site.session(ada_ctx)["tokens"])
            assert ada_tokens.refresh_token.role == "member"

            # --- the installed app deletes the OAuth app: the site is disconnected.
            manager.oauth_apps.delete(client_id)
            for page, path in ((ada, "/"), (visitor, "/admin"), (bob, "/"), (ada, "/login")):
                response = goto(page, site.url + path)
                assert response.status == 503, (path, response.status)
                expect(page.get_by_role("heading", level=1)).to_have_text("This site is no longer connected")
                assert_accessible(page)
            with no_js_context(browser) as newcomer_ctx:
                newcomer = newcomer_ctx.new_page()
                assert goto(newcomer, site.url + "/").status == 503
                expect(newcomer.get_by_role("heading", level=1)).to_have_text("This site is no longer connected")
            assert "tokens" not in site.session(ada_ctx)  # the dead tokens were dropped

            # Ada's old member token is dead at the server, not just forgotten by the template.
            info = http.post("/oauth2/token-info", json={"token": ada_tokens.access_token.value}).json()
            assert info["active"] is False
            query = http.post(
                "/wix-data/v2/items/query", headers={"Authorization": ada_tokens.access_token.value}, json={"dataCollectionId": "Guestbook"}
            )
            assert query.status_code == 401
            renew = http.post(
                "/oauth2/token", json={"clientId": client_id, "grantType": "refresh_token", "refreshToken": ada_tokens.refresh_token.value}
            )
            assert renew.status_code == 401 and renew.json()["error"] == "invalid_client"
        manager.close()
        admin.close()

    elapsed = time.monotonic() - started
    assert elapsed < 60, f"the end-to-end run took {elapsed:.1f} s"
