"""The owner console over HTTP (no JavaScript), on a real server with SQLite and PostgreSQL:
sign-in and sessions, CSRF, tenant isolation, the viewer role, bad input on every form, escaping,
and the OAuth app life cycle going through the same services as the REST API."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Callable

import httpx
import pytest

from oauthapps.domain.owners import OwnerRole

from ..support.console import (
    OWNER_PASSWORD,
    ConsoleSession,
    app_ids_of,
    console_session,
    create_owner,
    csrf_of,
    fresh_owner_email,
    secret_of,
    sign_in,
)
from ..support.oauth_apps import audit_entries, create, get, secret_works
from ..support.servers import Server
from ..support.tenants import Tenant

HOSTILE_URIS = ["javascript:alert(1)", "https://evil.example.com/cb#frag", "data:text/html,<script>alert(1)</script>"]


def owner_of(server: Server, tenant: Tenant, role: OwnerRole = OwnerRole.OWNER) -> str:
    email = fresh_owner_email()
    create_owner(server.database_url, tenant.project_id, email, role)
    return email


def assert_console_headers(response: httpx.Response) -> None:
    assert response.headers["cache-control"] == "no-store"
    csp = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp and "script-src 'self'" in csp
    assert response.headers["x-frame-options"] == "DENY"


def app_count(http: httpx.Client, tenant: Tenant) -> int:
    response = http.post("/oauth-app/v1/oauth-apps/query", json={"query": {}}, headers=tenant.app_headers)
    assert response.status_code == 200, response.text
    return int(response.json()["pagingMetadata"]["total"])


def test_root_leads_to_sign_in_and_sign_in_sets_a_strict_session(server: Server, http: httpx.Client, tenant: Tenant) -> None:
    email = owner_of(server, tenant)
    root = http.get("/")
    assert root.status_code == 303 and root.headers["location"] == "/console"
    assert http.get("/console").headers["location"] == "/console/sign-in"
    page = http.get("/console/sign-in")
    assert_console_headers(page)
    assert 'for="email">Email<' in page.text and 'for="password">Password<' in page.text and ">Sign in</button>" in page.text

    wrong = sign_in(http, email, "not the password")
    assert wrong.status_code == 400 and "Wrong email or password" in wrong.text
    unknown = sign_in(http, fresh_owner_email())
    assert unknown.status_code == 400 and "Wrong email or password" in unknown.text
    assert "oauthapps_console=" not in wrong.headers.get("set-cookie", "")

    signed = sign_in(http, email)
    assert signed.status_code == 303
    cookie = next(c for c in signed.headers.get_list("set-cookie") if c.startswith("oauthapps_console="))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/console" in cookie
    home = http.get("/console")  # one project: straight to its apps
    assert home.headers["location"] == f"/console/p/{tenant.project_id}/apps"
    apps = http.get(home.headers["location"])
    assert apps.status_code == 200 and "New OAuth app" in apps.text
    assert_console_headers(apps)

    out = http.post("/console/sign-out", data={"csrf_token": csrf_of(apps.text)})
    assert out.status_code == 303
    assert http.get(f"/console/p/{tenant.project_id}/apps").headers["location"] == "/console/sign-in"


def test_sign_in_without_its_csrf_token_is_refused(server: Server, http: httpx.Client, tenant: Tenant) -> None:
    email = owner_of(server, tenant)
    http.get("/console/sign-in")
    response = http.post("/console/sign-in", data={"csrf_token": "x" * 43, "email": email, "password": OWNER_PASSWORD})
    assert response.status_code == 403 and "oauthapps_console=" not in response.headers.get("set-cookie", "")


def test_cli_creates_an_owner_and_adds_a_second_project(server: Server, make_tenant: Callable[..., Tenant]) -> None:
    first, second = make_tenant(name="First"), make_tenant(name="Second")
    email = fresh_owner_email()

    def cli(project: str, *extra: str) -> subprocess.CompletedProcess[str]:
        args = ["owners", "create", "--project", project, "--email", email, "--password-stdin", "--json", "--database", server.database_url]
        return subprocess.run(
            [sys.executable, "-m", "oauthapps.cli", *args, *extra], input=OWNER_PASSWORD + "\n", capture_output=True, text=True, timeout=60
        )

    made = cli(first.project_id)
    assert made.returncode == 0, made.stderr
    again = cli(second.project_id, "--role", "viewer")
    assert again.returncode == 0, again.stderr
    assert '"ownerId"' in made.stdout and made.stdout == again.stdout  # the same owner
    missing = cli(str(uuid.uuid4()))
    assert missing.returncode == 1 and "PROJECT_NOT_FOUND" in missing.stderr

    with console_session(server.base_url, email, first.project_id) as console:
        picker = console.get("/console")
        assert picker.status_code == 200 and "First" in picker.text and "Second" in picker.text
        assert console.submit(console.apps_path, console.apps_path, {"name": "Mine"}).status_code == 200
        viewer = ConsoleSession(console.http, second.project_id)
        assert "New OAuth app" not in viewer.get(viewer.apps_path).text


def test_forms_without_the_session_csrf_token_change_nothing(server: Server, http: httpx.Client, tenant: Tenant) -> None:
    email = owner_of(server, tenant)
    app = create(http, tenant, name="Guarded", allowedRedirectDomains=["a.example.com"])
    with console_session(server.base_url, email, tenant.project_id) as console:
        for token in ({}, {"csrf_token": ""}, {"csrf_token": "0" * 64}):
            made = console.http.post(console.apps_path, data={**token, "name": "Forged"})
            assert made.status_code == 403
            deleted = console.http.post(f"{console.app_path(app['id'])}/delete", data={**token, "confirm_name": "Guarded"})
            assert deleted.status_code == 403
    assert app_count(http, tenant) == 1
    assert get(http, tenant, app["id"])["name"] == "Guarded"


def test_an_owner_of_one_project_sees_nothing_of_another(server: Server, http: httpx.Client, make_tenant: Callable[..., Tenant]) -> None:
    a, b = make_tenant(name="Project A"), make_tenant(name="Project B")
    app_a = create(http, a, name="Secret plans")
    email_b = owner_of(server, b)
    with console_session(server.base_url, email_b, b.project_id) as console:
        assert "Secret plans" not in console.get(console.apps_path).text
        for path in (
            f"/console/p/{a.project_id}/apps",
            f"/console/p/{a.project_id}/apps/{app_a['id']}",
            f"/console/p/{b.project_id}/apps/{app_a['id']}",
            f"/console/p/{b.project_id}/apps/{uuid.uuid4()}",
            f"/console/p/{uuid.uuid4()}/apps",
        ):
            response = console.get(path)
            assert response.status_code == 404, path
            assert "Secret plans" not in response.text
        page = console.get(console.apps_path)
        forged = console.http.post(
            f"/console/p/{b.project_id}/apps/{app_a['id']}/delete", data={"csrf_token": csrf_of(page.text), "confirm_name": "Secret plans"}
        )
        assert forged.status_code == 404
    assert get(http, a, app_a["id"])["name"] == "Secret plans"


def test_a_viewer_sees_but_cannot_change(server: Server, http: httpx.Client, tenant: Tenant) -> None:
    app = create(http, tenant, name="Watched", allowedRedirectDomains=["a.example.com"])
    email = owner_of(server, tenant, OwnerRole.VIEWER)
    with console_session(server.base_url, email, tenant.project_id) as console:
        listing = console.get(console.apps_path)
        assert "Watched" in listing.text and "New OAuth app" not in listing.text
        page = console.get(console.app_path(app["id"]))
        assert page.status_code == 200 and "a.example.com" in page.text
        assert "<form" not in page.text.replace('action="/console/sign-out"', "").split("<main", 1)[1]
        assert console.get(f"{console.apps_path}/new").status_code == 403
        token = csrf_of(page.text)
        attempts = [
            (console.apps_path, {"name": "Not allowed"}),
            (console.app_path(app["id"]), {"domains": "b.example.com", "uris": ""}),
            (f"{console.app_path(app['id'])}/rotate", {"grace": "0"}),
            (f"{console.app_path(app['id'])}/delete", {"confirm_name": "Watched"}),
        ]
        for action, fields in attempts:
            assert console.http.post(action, data={"csrf_token": token, **fields}).status_code == 403, action
    after = get(http, tenant, app["id"])
    assert after["allowedRedirectDomains"] == ["a.example.com"] and app_count(http, tenant) == 1


BAD_CREATES = [
    ({"name": ""}, "name-error"),
    ({"name": "x" * 257}, "name-error"),
    ({"name": "Bell\x07app"}, "name-error"),
    ({"name": "Esc\x1b[31m"}, "name-error"),
    ({"name": "Ok name", "description": "d" * 2049}, "description-error"),
    ({"name": "Ok name", "description": "nul\x00here"}, "description-error"),
    ({"name": "Ok name", "domains": "\n".join(f"d{i}.example.com" for i in range(10_000))}, "domains-error"),
    ({"name": "Ok name", "domains": "not a domain/with/path"}, "domains-error"),
    ({"name": "Ok name", "domains": "a.example.com\x00"}, "domains-error"),
    *[({"name": "Ok name", "uris": uri}, "uris-error") for uri in HOSTILE_URIS],
    ({"name": "Ok name", "uris": "\n".join(f"https://a.example.com/{i}" for i in range(10_000))}, "uris-error"),
]


@pytest.mark.parametrize(("fields", "error_id"), BAD_CREATES, ids=range(len(BAD_CREATES)))
def test_bad_input_on_create_is_shown_inline_and_creates_nothing(
    server: Server, http: httpx.Client, tenant: Tenant, fields: dict[str, str], error_id: str
) -> None:
    email = owner_of(server, tenant)
    with console_session(server.base_url, email, tenant.project_id) as console:
        response = console.submit(f"{console.apps_path}/new", console.apps_path, fields)
    assert response.status_code == 400, response.text[:500]
    assert f'id="{error_id}"' in response.text and "Nothing was saved" in response.text
    if fields["name"] and "\x00" not in fields["name"] and len(fields["name"]) < 300:
        assert f'value="{fields["name"]}"' in response.text or "\x1b" in fields["name"] or "\x07" in fields["name"]  # the form kept it
    assert app_count(http, tenant) == 0


def test_bad_input_on_the_app_page_changes_nothing(server: Server, http: httpx.Client, tenant: Tenant) -> None:
    app = create(http, tenant, name="Stable", allowedRedirectDomains=["a.example.com"], allowedRedirectUris=["https://a.example.com/cb"])
    email = owner_of(server, tenant)
    path = f"/console/p/{tenant.project_id}/apps/{app['id']}"
    with console_session(server.base_url, email, tenant.project_id) as console:
        edits = [
            ({"domains": "\n".join(f"d{i}.example.com" for i in range(10_000)), "uris": ""}, "domains-error"),
            ({"domains": "a.example.com\x1b", "uris": ""}, "domains-error"),
            ({"domains": "a.example.com", "uris": "javascript:alert(1)"}, "uris-error"),
            ({"domains": "a.example.com", "uris": "https://a.example.com/cb\nhttps://x.example.com/#frag"}, "uris-error"),
        ]
        for fields, error_id in edits:
            response = console.submit(path, path, fields)
            assert response.status_code == 400 and f'id="{error_id}"' in response.text, fields
        for grace in ("", "-1", "99999999", "abc"):
            response = console.submit(path, f"{path}/rotate", {"grace": grace})
            assert response.status_code == 400 and 'id="grace-error"' in response.text
        for typed in ("", "stable", "Stable ", "<script>"):
            response = console.submit(path, f"{path}/delete", {"confirm_name": typed})
            assert response.status_code == 400 and 'id="confirm_name-error"' in response.text
        repeated = console.http.post(path, content=b"domains=a&domains=b", headers={"content-type": "application/x-www-form-urlencoded"})
        assert repeated.status_code in (400, 403)
        huge = console.http.post(
            path, content=b"domains=" + b"a" * (600 * 1024), headers={"content-type": "application/x-www-form-urlencoded"}
        )
        assert huge.status_code == 413
    after = get(http, tenant, app["id"])
    assert after["allowedRedirectDomains"] == ["a.example.com"] and after["allowedRedirectUris"] == ["https://a.example.com/cb"]
    assert [e.action for e in audit_entries(server.database_url, tenant.project_id, app["id"])] == ["oauth_app.created"]


def test_names_are_shown_as_text(server: Server, http: httpx.Client, tenant: Tenant) -> None:
    hostile = "<script>alert(1)</script>"
    app = create(http, tenant, name=hostile, description='"><img src=x onerror=alert(1)>')
    email = owner_of(server, tenant)
    with console_session(server.base_url, email, tenant.project_id) as console:
        for response in (
            console.get(console.apps_path),
            console.get(console.app_path(app["id"])),
            console.get(console.apps_path, q=hostile),
        ):
            assert response.status_code == 200
            assert hostile not in response.text and "<img src=x" not in response.text
            assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text


def test_search_and_paging(server: Server, http: httpx.Client, tenant: Tenant) -> None:
    for i in range(30):
        create(http, tenant, name=f"Shop {i:02d}")
    create(http, tenant, name="Blog")
    email = owner_of(server, tenant)
    with console_session(server.base_url, email, tenant.project_id) as console:
        first = console.get(console.apps_path, q="Shop")
        assert "Blog" not in first.text and "Shop 00" in first.text and "Shop 25" not in first.text
        assert "of 30" in first.text and "Next page" in first.text
        second = console.get(console.apps_path, q="Shop", page="2")
        assert "Shop 25" in second.text and "Shop 00" not in second.text and "Next page" not in second.text
        assert len(app_ids_of(second.text)) == 5
        for page in ("0", "-3", "x", "99999999999"):
            assert console.get(console.apps_path, page=page).status_code == 200
        assert console.get(console.apps_path, q="a\x00b").status_code == 200


def test_create_edit_rotate_and_delete(server: Server, http: httpx.Client, tenant: Tenant) -> None:
    email = owner_of(server, tenant)
    owner_id = create_owner(server.database_url, tenant.project_id, email)  # the same owner, by email
    with console_session(server.base_url, email, tenant.project_id) as console:
        created = console.create_app("Storefront", domains="shop.example.com\nold.example.com", uris="https://shop.example.com/cb")
        assert created.status_code == 200
        assert_console_headers(created)
        assert "will not be shown again" in created.text
        secret = secret_of(created.text)
        [app_id] = app_ids_of(created.text)
        assert secret_works(http, app_id, secret)
        page = console.get(console.app_path(app_id))
        assert secret not in page.text  # never shown again

        saved = console.submit(
            console.app_path(app_id), console.app_path(app_id), {"domains": "shop.example.com", "uris": "https://shop.example.com/cb"}
        )
        assert saved.status_code == 200 and "Allowed domains: removed old.example.com" in saved.text
        assert get(http, tenant, app_id)["allowedRedirectDomains"] == ["shop.example.com"]

        rotated = console.submit(console.app_path(app_id), f"{console.app_path(app_id)}/rotate", {"grace": "0"})
        assert rotated.status_code == 200
        new_secret = secret_of(rotated.text)
        assert secret_works(http, app_id, new_secret) and not secret_works(http, app_id, secret)

        deleted = console.submit(console.app_path(app_id), f"{console.app_path(app_id)}/delete", {"confirm_name": "Storefront"})
        assert deleted.status_code == 303
        assert "was deleted" in console.get(deleted.headers["location"]).text
        assert not secret_works(http, app_id, new_secret)
        assert console.get(console.app_path(app_id)).status_code == 404

    trail = audit_entries(server.database_url, tenant.project_id, app_id)
    assert [e.action for e in trail] == ["oauth_app.created", "oauth_app.updated", "oauth_app.secret_rotated", "oauth_app.deleted"]
    assert {(e.actor_type, e.actor_id) for e in trail} == {("console", owner_id)}
    assert trail[1].fields == ["allowedRedirectDomains"]
