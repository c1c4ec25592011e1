"""The owner console in a real browser (Debian's chromium driven by Playwright), with its real CSP
and cookies: an owner signs in, creates an OAuth app, copies its secret, narrows its allowed
domains (after which the logout redirect goes only to the remaining domain), rotates the secret
reads the app's audit trail, and deletes the app (after which its client is cut off); a viewer sees but cannot change; another
project's owner sees none of it. axe-core (tests/e2e/axe, installed by `make e2e-deps`) is run in
every page: no serious or critical violations.

``OAUTHAPPS_CONSOLE_SCREENSHOTS=docs/console`` writes the main pages' screenshots there (on the
SQLite run), the ones the README shows."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from oauthapps.domain.members import MemberStatus
from oauthapps.domain.owners import OwnerRole

from ..support.browser import off_loop, unavailable
from ..support.console import OWNER_PASSWORD, create_owner, fresh_owner_email, seed_members
from ..support.oauth_apps import secret_works
from ..support.servers import Server
from ..support.tenants import Tenant

try:
    from playwright.sync_api import Browser, Page, expect
except ImportError:  # pragma: no cover - the test extra installs it; without it the browser fixture skips
    expect = None  # type: ignore[assignment]

AXE = Path(__file__).parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = os.environ.get("OAUTHAPPS_CONSOLE_SCREENSHOTS")
BLOCKING = ("serious", "critical")


class Checked:
    """A page whose every load is checked: axe finds no serious or critical violation, and the
    browser reports no CSP violation (no inline script or style slipped in)."""

    def __init__(self, page: Page, axe_source: str, shots: Path | None):
        self.page, self.axe_source, self.shots = page, axe_source, shots
        self.csp_errors: list[str] = []
        page.on("console", lambda msg: self.csp_errors.append(msg.text) if "Content Security Policy" in msg.text else None)

    def check(self, shot: str | None = None) -> None:
        # page.evaluate runs through the DevTools protocol, so the page's CSP does not block it.
        self.page.evaluate(self.axe_source + "\n;undefined")
        violations: list[dict[str, Any]] = self.page.evaluate(
            """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations
                 .map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(" "))}))"""
        )
        blocking = [v for v in violations if v["impact"] in BLOCKING]
        assert not blocking, f"{self.page.url}: {blocking}"
        assert not self.csp_errors, self.csp_errors
        if shot and self.shots is not None:
            self.page.screenshot(path=str(self.shots / f"{shot}.png"), full_page=True)


def sign_in(page: Page, base_url: str, email: str) -> None:
    page.goto(f"{base_url}/console")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(OWNER_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="OAuth apps")).to_be_visible()


@pytest.fixture
def axe_source() -> str:
    if not AXE.exists():
        unavailable(f"{AXE} is missing (run `make e2e-deps`)")
    return AXE.read_text()


def test_owner_console_in_the_browser(
    browser: Browser, server: Server, http: httpx.Client, make_tenant: Callable[..., Tenant], axe_source: str
) -> None:
    tenant, other = off_loop(make_tenant, name="Console project"), off_loop(make_tenant, name="Other project")
    owner, viewer, stranger = fresh_owner_email(), fresh_owner_email(), fresh_owner_email()
    off_loop(create_owner, server.database_url, tenant.project_id, owner)
    off_loop(create_owner, server.database_url, tenant.project_id, viewer, OwnerRole.VIEWER)
    off_loop(create_owner, server.database_url, other.project_id, stranger)
    shots = Path(SCREENSHOTS) if SCREENSHOTS and "sqlite" in server.database_url else None
    if shots is not None:
        shots.mkdir(parents=True, exist_ok=True)

    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"], viewport={"width": 1100, "height": 760})
    page = context.new_page()
    checked = Checked(page, axe_source, shots)
    page.goto(f"{server.base_url}/")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    checked.check("sign-in")
    sign_in(page, server.base_url, owner)
    checked.check()

    # Create: the secret is shown once, with a copy button.
    page.get_by_role("link", name="New OAuth app").click()
    page.get_by_label("Name").fill("x")
    page.get_by_role("button", name="Create").click()
    expect(page.locator("#name-error")).to_be_visible()
    checked.check("new-app-error")
    page.get_by_label("Name").fill("Storefront")
    page.get_by_label("Description").fill("The Next.js shop")
    page.get_by_label("Allowed domains").fill("shop.example.com\nold.example.com")
    page.get_by_label("Redirect URIs").fill("https://shop.example.com/callback")
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_text("will not be shown again")).to_be_visible()
    checked.check("secret-once")
    page.get_by_role("button", name="Copy secret").click()
    expect(page.get_by_text("Copied to the clipboard.")).to_be_visible()
    secret = page.evaluate("() => navigator.clipboard.readText()")
    assert secret == page.get_by_label("Client secret").input_value() and secret.startswith("oas_")
    client_id = page.locator("#client-id").inner_text()
    assert secret_works(http, client_id, secret)

    # Narrow the allowed domains: the logout redirect then goes only to the remaining one.
    page.get_by_role("link", name="I have copied it: go to the app").click()
    assert secret not in page.content()
    page.get_by_label("Allowed domains").fill("shop.example.com")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Allowed domains: removed old.example.com")).to_be_visible()
    checked.check("app-page")
    with httpx.Client(base_url=server.base_url, timeout=30) as plain:
        for target, allowed in (("https://shop.example.com/bye", True), ("https://old.example.com/bye", False)):
            response = plain.get("/oauth2/logout", params={"client_id": client_id, "post_logout_redirect_uri": target})
            assert (response.status_code == 303 and response.headers["location"] == target) == allowed, target

    # Rotate without a grace period: only the new secret works.
    page.get_by_label("Grace period for the current secret").select_option("0")
    page.get_by_role("button", name="Rotate secret").click()
    expect(page.get_by_role("heading", name="Secret rotated: Storefront")).to_be_visible()
    new_secret = page.get_by_label("Client secret").input_value()
    assert secret_works(http, client_id, new_secret) and not secret_works(http, client_id, secret)
    page.get_by_role("link", name="I have copied it: go to the app").click()

    # The app's audit trail: the console's changes, newest first, by this owner; then filtered.
    page.get_by_role("link", name="Audit trail of this app").click()
    expect(page.get_by_role("heading", name="Audit trail")).to_be_visible()
    entries = page.get_by_role("table", name="Audit trail entries").locator("tbody tr")
    expect(entries).to_have_count(3)
    expect(entries.first).to_contain_text("Secret rotated")
    expect(entries.last).to_contain_text("Created")
    expect(entries.first).to_contain_text(owner)
    checked.check("audit-trail")
    page.get_by_label("Action").select_option("oauth_app.updated")
    page.get_by_role("button", name="Filter").click()
    expect(entries).to_have_count(1)
    expect(entries.first).to_contain_text("allowedRedirectDomains")
    page.get_by_label("From (UTC)").fill("2000-01-02T00:00:00")
    page.get_by_label("To (UTC)").fill("2000-01-01T00:00:00")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("#to-error")).to_be_visible()
    checked.check()

    # Members: search by name, then block one after ticking the confirmation.
    off_loop(
        seed_members,
        server.database_url,
        tenant.project_id,
        [("ada@example.com", "Ada Lovelace"), ("grace@example.com", "Grace Hopper"), ("linus@example.com", "Linus")],
    )
    off_loop(seed_members, server.database_url, tenant.project_id, [("new.signup@example.com", "Newcomer")], MemberStatus.PENDING)
    nav = page.get_by_role("navigation", name="Console")
    nav.get_by_role("link", name="Members").click()
    expect(page.get_by_role("link", name="grace@example.com")).to_be_visible()
    checked.check("members-list")
    page.get_by_label("Search members").fill("gra")
    page.get_by_label("Search and sort by").select_option("name")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("link", name="ada@example.com")).to_have_count(0)
    page.get_by_role("link", name="grace@example.com").click()
    page.get_by_role("button", name="Block").click()
    expect(page.locator("#confirm-error")).to_be_visible()
    checked.check("member-page")
    page.get_by_label("End her sessions and tokens now", exact=False).check()
    page.get_by_role("button", name="Block").click()
    expect(page.get_by_text("her sessions and tokens stopped working")).to_be_visible()
    checked.check()

    # Installed apps with readable scopes; an API key shown once, then revoked.
    nav.get_by_role("link", name="Installed apps").click()
    expect(page.get_by_text("Manage OAuth Apps")).to_be_visible()
    checked.check("installed-apps")
    nav.get_by_role("link", name="API keys").click()
    page.get_by_label("Name").fill("Deploy script")
    page.get_by_role("button", name="Create API key").click()
    expect(page.get_by_text("will not be shown again")).to_be_visible()
    checked.check("key-once")
    key = page.get_by_role("textbox", name="API key").input_value()
    key_headers = {"Authorization": key, "wix-site-id": tenant.project_id}
    assert http.post("/oauth-app/v1/oauth-apps/query", json={"query": {}}, headers=key_headers).status_code == 200
    page.get_by_role("link", name="I have copied it: back to API keys").click()
    assert key not in page.content()
    checked.check("api-keys")
    page.get_by_role("link", name="Revoke Deploy script").click()
    page.get_by_label("Type the key's name to confirm").fill("Deploy script")
    page.get_by_role("button", name="Revoke").click()
    expect(page.get_by_text("The API key was revoked")).to_be_visible()
    assert http.post("/oauth-app/v1/oauth-apps/query", json={"query": {}}, headers=key_headers).status_code == 401

    # A viewer sees the app but no control that changes it.
    viewer_context = browser.new_context(viewport={"width": 1100, "height": 760})
    viewer_page = viewer_context.new_page()
    viewer_checked = Checked(viewer_page, axe_source, shots)
    sign_in(viewer_page, server.base_url, viewer)
    expect(viewer_page.get_by_role("link", name="New OAuth app")).to_have_count(0)
    viewer_page.get_by_role("link", name="Storefront").click()
    expect(viewer_page.get_by_text("shop.example.com").first).to_be_visible()
    for control in ("Save", "Rotate secret", "Delete"):
        expect(viewer_page.get_by_role("button", name=control)).to_have_count(0)
    viewer_checked.check("viewer-app-page")
    viewer_page.get_by_role("navigation", name="Console").get_by_role("link", name="Members").click()
    viewer_page.get_by_role("link", name="grace@example.com").click()
    for control in ("Approve", "Block", "Unblock", "Delete"):
        expect(viewer_page.get_by_role("button", name=control)).to_have_count(0)
    viewer_checked.check()
    viewer_context.close()

    # Another project's owner sees none of it, even by its address.
    stranger_context = browser.new_context()
    stranger_page = stranger_context.new_page()
    sign_in(stranger_page, server.base_url, stranger)
    expect(stranger_page.get_by_text("Storefront")).to_have_count(0)
    response = stranger_page.goto(f"{server.base_url}/console/p/{tenant.project_id}/apps/{client_id}")
    assert response is not None and response.status == 404
    stranger_context.close()

    # The list, then delete with the typed name: the client is cut off.
    page.get_by_role("navigation", name="Console").get_by_role("link", name="OAuth apps").click()
    expect(page.get_by_role("link", name="Storefront")).to_be_visible()
    checked.check("apps-list")
    page.get_by_role("link", name="Storefront").click()
    expect(page.locator("#impact")).to_contain_text("live grant")
    page.get_by_role("button", name="Delete").click()
    expect(page.locator("#confirm_name-error")).to_be_visible()
    checked.check()
    page.get_by_label("Type the app's name to confirm").fill("Storefront")
    page.get_by_role("button", name="Delete").click()
    expect(page.get_by_text("The OAuth app was deleted.")).to_be_visible()
    checked.check()
    assert not secret_works(http, client_id, new_secret)
    token = http.post("/oauth2/token", json={"clientId": client_id, "grantType": "anonymous"})
    assert token.status_code >= 400
    context.close()


def test_data_pages_in_the_browser(
    browser: Browser, server: Server, http: httpx.Client, make_tenant: Callable[..., Tenant], axe_source: str
) -> None:
    """The Data pages: create a collection, insert an item (bad JSON first), browse and filter,
    edit permissions, then delete the item and the collection; a viewer sees no control."""
    tenant = off_loop(make_tenant, name="Data project")
    owner, viewer = fresh_owner_email(), fresh_owner_email()
    off_loop(create_owner, server.database_url, tenant.project_id, owner)
    off_loop(create_owner, server.database_url, tenant.project_id, viewer, OwnerRole.VIEWER)
    shots = Path(SCREENSHOTS) if SCREENSHOTS and "sqlite" in server.database_url else None

    context = browser.new_context(viewport={"width": 1100, "height": 760})
    page = context.new_page()
    checked = Checked(page, axe_source, shots)
    sign_in(page, server.base_url, owner)
    page.get_by_role("navigation", name="Console").get_by_role("link", name="Data", exact=True).click()
    expect(page.get_by_text("No collections yet")).to_be_visible()
    checked.check()

    page.get_by_role("link", name="New collection").click()
    page.get_by_label("Collection ID").fill("Recipes")
    page.get_by_label("Display name").fill("Recipes of the house")
    page.get_by_label("Read items").select_option("ANYONE")
    page.get_by_label("Insert items").select_option("SITE_MEMBER")
    page.get_by_label("Update items").select_option("SITE_MEMBER_AUTHOR")
    checked.check("data-new-collection")
    page.get_by_role("button", name="Create collection").click()
    expect(page.get_by_text("The collection was created.")).to_be_visible()
    for i, (title, minutes) in enumerate((("Tomato soup", 20), ("Lemon tart", 75), ("Bread", 240), ("Pesto", 10), ("Tart tatin", 90))):
        item = {"data": {"title": title, "minutes": minutes, "vegetarian": True, "tags": ["dinner"] if i % 2 else ["baking"]}}
        made = http.post("/wix-data/v2/items", headers=tenant.key_headers, json={"dataCollectionId": "Recipes", "dataItem": item})
        assert made.status_code == 200, made.text

    page.get_by_role("link", name="New item").click()
    page.get_by_label("Item data (JSON)").fill('{"title": "Risotto", "minutes": 35,}')
    page.get_by_role("button", name="Insert").click()
    expect(page.locator("#data-error")).to_contain_text("not valid JSON")
    checked.check("data-item-error")
    page.get_by_label("Item data (JSON)").fill('{"title": "Risotto <al funghi>", "minutes": 35, "vegetarian": true}')
    page.get_by_label("Item ID").fill("risotto")
    page.get_by_role("button", name="Insert").click()
    expect(page.get_by_text("The item was added.")).to_be_visible()
    page.get_by_label("Item data (JSON)").fill('{"title": "Risotto <al funghi>", "minutes": 40, "vegetarian": true}')
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved.")).to_be_visible()
    checked.check("data-item")

    page.get_by_role("link", name="Recipes of the house").click()
    expect(page.get_by_text("Showing 1–6 of 6 items")).to_be_visible()
    checked.check("data-items")
    page.get_by_label("Field").fill("title")
    page.get_by_label("Match").select_option("starts")
    page.get_by_label("Value").fill("tart")
    page.get_by_label("Sort by").fill("minutes")
    page.get_by_label("Order").select_option("asc")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_text("Showing 1–1 of 1 item that match the filter")).to_be_visible()
    checked.check()

    page.get_by_role("link", name="Settings").click()
    page.get_by_label("Remove items").select_option("SITE_MEMBER_AUTHOR")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved.")).to_be_visible()
    checked.check("data-settings")
    page.get_by_role("navigation", name="Console").get_by_role("link", name="Data", exact=True).click()
    expect(page.get_by_role("link", name="Recipes of the house")).to_be_visible()
    checked.check("data-collections")

    # A viewer sees the items but no control that changes them.
    viewer_context = browser.new_context(viewport={"width": 1100, "height": 760})
    viewer_page = viewer_context.new_page()
    viewer_checked = Checked(viewer_page, axe_source, shots)
    sign_in(viewer_page, server.base_url, viewer)
    viewer_page.goto(f"{server.base_url}/console/p/{tenant.project_id}/data/collections/Recipes/items/risotto")
    expect(viewer_page.get_by_text("Risotto <al funghi>")).to_be_visible()
    for control in ("Save", "Delete item", "Insert"):
        expect(viewer_page.get_by_role("button", name=control)).to_have_count(0)
    viewer_checked.check("data-viewer-item")
    viewer_context.close()

    # Delete the item (confirmed), then the collection (its id typed).
    page.goto(f"{server.base_url}/console/p/{tenant.project_id}/data/collections/Recipes/items/risotto")
    page.get_by_role("button", name="Delete item").click()
    expect(page.locator("#confirm-error")).to_be_visible()
    page.get_by_label("Yes, delete this item for good").check()
    page.get_by_role("button", name="Delete item").click()
    expect(page.get_by_text("The item was deleted.")).to_be_visible()
    page.get_by_role("link", name="Settings").click()
    page.get_by_label("Type the collection's ID to confirm").fill("Recipes")
    page.get_by_role("button", name="Delete collection").click()
    expect(page.get_by_text("The collection and its items were deleted.")).to_be_visible()
    checked.check()
    assert http.get("/wix-data/v2/collections", headers=tenant.key_headers).json()["collections"] == []
    context.close()
