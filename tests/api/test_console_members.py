"""The console's members, API keys and installed apps pages over HTTP (no JavaScript), on SQLite and
PostgreSQL: search and paging, approve / block / unblock / delete through the Members API's
services (a blocked or deleted member's token stops working), keys shown once and revoked (the
key stops working), readable scopes, the viewer role, tenant isolation and bad input."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

import httpx

from oauthapps.domain.members import MemberStatus
from oauthapps.domain.owners import OwnerRole

from ..support.console import ConsoleSession, console_session, create_owner, csrf_of, fresh_owner_email, secret_of, seed_members
from ..support.members import member_tokens
from ..support.oauth2 import Client
from ..support.servers import Server
from ..support.tenants import Tenant

MY = "/members/v1/members/my"
_MEMBER_LINK = re.compile(r'/console/p/[^/"]+/members/([0-9a-f-]{36})"')


def owner_of(server: Server, tenant: Tenant, role: OwnerRole = OwnerRole.OWNER) -> str:
    email = fresh_owner_email()
    create_owner(server.database_url, tenant.project_id, email, role)
    return email


def members_path(console: ConsoleSession) -> str:
    return f"/console/p/{console.project_id}/members"


def test_member_list_searches_by_email_and_name_and_pages(server: Server, tenant: Tenant) -> None:
    seed_members(server.database_url, tenant.project_id, [(f"shop{i:02d}@example.com", f"Buyer {i:02d}") for i in range(30)])
    seed_members(server.database_url, tenant.project_id, [("ada@example.com", "Ada"), ("zed@example.com", "<script>alert(1)</script>")])
    with console_session(server.base_url, owner_of(server, tenant), tenant.project_id) as console:
        path = members_path(console)
        first = console.get(path)
        assert first.status_code == 200 and "ada@example.com" in first.text and "of 32" in first.text and "Next page" in first.text
        assert "&lt;script&gt;" not in first.text  # zed is on the second page
        second = console.get(path, page="2")
        assert "zed@example.com" in second.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in second.text
        assert "<script>alert" not in second.text and "Next page" not in second.text

        by_email = console.get(path, q="SHOP1", by="email")
        assert len(_MEMBER_LINK.findall(by_email.text)) == 10 and "of 10" in by_email.text and "ada@" not in by_email.text
        by_name = console.get(path, q="buyer 2", by="name")
        assert len(_MEMBER_LINK.findall(by_name.text)) == 10 and "shop20@example.com" in by_name.text
        assert "shop19@" not in by_name.text
        assert "No member" in console.get(path, q="nobody").text
        for params in ({"q": "a\x00b"}, {"q": "x" * 400}, {"page": "-1"}, {"page": "99999999"}, {"by": "password_hash"}):
            response = console.get(path, **params)
            assert response.status_code == 200, params
        assert 'id="q-error"' in console.get(path, q="a\x1bb").text


def test_approve_block_unblock_and_delete_cut_the_member_off(server: Server, http: httpx.Client, tenant: Tenant, client: Client) -> None:
    tokens = member_tokens(http, client)
    me = http.get(MY, headers={"Authorization": tokens["access_token"]}).json()["member"]
    [pending] = seed_members(server.database_url, tenant.project_id, [("waiting@example.com", "Wanda")], MemberStatus.PENDING)
    with console_session(server.base_url, owner_of(server, tenant), tenant.project_id) as console:
        page_path = f"{members_path(console)}/{pending}"
        assert "Approve" in console.get(page_path).text
        approved = console.submit(page_path, f"{page_path}/approve", {})
        assert approved.status_code == 303 and "Approved" in console.get(approved.headers["location"]).text

        path = f"{members_path(console)}/{me['id']}"
        refused = console.submit(path, f"{path}/block", {})
        assert refused.status_code == 400 and 'id="confirm-error"' in refused.text
        assert http.get(MY, headers={"Authorization": tokens["access_token"]}).status_code == 200
        blocked = console.submit(path, f"{path}/block", {"confirm": "yes"})
        assert blocked.status_code == 303 and "stopped working" in console.get(blocked.headers["location"]).text
        assert http.get(MY, headers={"Authorization": tokens["access_token"]}).status_code in (401, 403)
        assert console.submit(path, f"{path}/unblock", {}).status_code == 303
        assert ">Approved<" in console.get(path).text

        again = member_tokens(http, client)
        their = http.get(MY, headers={"Authorization": again["access_token"]}).json()["member"]
        path = f"{members_path(console)}/{their['id']}"
        for typed in ("", "someone@example.com", "x\x00"):
            wrong = console.submit(path, f"{path}/delete", {"confirm_email": typed})
            assert wrong.status_code == 400 and 'id="confirm_email-error"' in wrong.text
        deleted = console.submit(path, f"{path}/delete", {"confirm_email": their["loginEmail"]})
        assert deleted.status_code == 303 and "was deleted" in console.get(deleted.headers["location"]).text
        assert http.get(MY, headers={"Authorization": again["access_token"]}).status_code in (401, 403, 404)
        assert console.get(path).status_code == 404


def test_api_keys_are_shown_once_and_revoked(server: Server, http: httpx.Client, tenant: Tenant) -> None:
    query = "/oauth-app/v1/oauth-apps/query"
    with console_session(server.base_url, owner_of(server, tenant), tenant.project_id) as console:
        keys_path = f"/console/p/{tenant.project_id}/keys"
        listing = console.get(keys_path)
        assert listing.status_code == 200 and tenant.api_key not in listing.text and tenant.api_key[:8] in listing.text
        for name, needle in (("", "name-error"), ("k" * 101, "name-error"), ("bell\x07", "name-error"), ("tab\tname", "name-error")):
            bad = console.submit(keys_path, keys_path, {"name": name})
            assert bad.status_code == 400 and f'id="{needle}"' in bad.text and "Nothing was saved" in bad.text, name
        made = console.submit(keys_path, keys_path, {"name": "deploy <script>"})
        assert made.status_code == 200 and made.headers["cache-control"] == "no-store" and "will not be shown again" in made.text
        assert "deploy &lt;script&gt;" in made.text
        key = secret_of(made.text)
        headers = {"Authorization": key, "wix-site-id": tenant.project_id}
        assert http.post(query, json={"query": {}}, headers=headers).status_code == 200
        after = console.get(keys_path)
        assert key not in after.text and key[:8] in after.text
        key_id = re.findall(r"/keys/([0-9a-f-]{36})/revoke", after.text)[-1]
        revoke = f"{keys_path}/{key_id}/revoke"
        wrong = console.submit(revoke, revoke, {"confirm_name": "deploy"})
        assert wrong.status_code == 400 and 'id="confirm_name-error"' in wrong.text
        assert http.post(query, json={"query": {}}, headers=headers).status_code == 200
        done = console.submit(revoke, revoke, {"confirm_name": "deploy <script>"})
        assert done.status_code == 303 and "was revoked" in console.get(done.headers["location"]).text
        assert http.post(query, json={"query": {}}, headers=headers).status_code == 401
        assert console.get(revoke).status_code == 404
        assert http.post(query, json={"query": {}}, headers=tenant.key_headers).status_code == 200  # the other key still works


def test_installed_apps_show_readable_scopes(server: Server, tenant: Tenant) -> None:
    with console_session(server.base_url, owner_of(server, tenant), tenant.project_id) as console:
        page = console.get(f"/console/p/{tenant.project_id}/installed-apps")
        assert page.status_code == 200 and "Manage OAuth Apps" in page.text and "SCOPE.OAUTH_APP.MANAGE" in page.text
        assert tenant.instance_id in page.text and "Test project" in page.text and "<form" not in page.text.split("<main", 1)[1]


def test_a_viewer_sees_but_cannot_change_and_other_projects_are_not_found(
    server: Server, http: httpx.Client, make_tenant: Callable[..., Tenant]
) -> None:
    mine, theirs = make_tenant(name="Mine"), make_tenant(name="Theirs")
    [member] = seed_members(server.database_url, mine.project_id, [("kept@example.com", "Kept")])
    [foreign] = seed_members(server.database_url, theirs.project_id, [("foreign@example.com", "Foreign")])
    with console_session(server.base_url, owner_of(server, mine, OwnerRole.VIEWER), mine.project_id) as console:
        base = f"/console/p/{mine.project_id}"
        for path in (f"{base}/members", f"{base}/members/{member}", f"{base}/keys", f"{base}/installed-apps"):
            page = console.get(path)
            assert page.status_code == 200, path
            assert 'method="post"' not in page.text.split("<main", 1)[1], path  # no form that changes anything
        token = csrf_of(console.get(f"{base}/members").text)
        key_id = str(uuid.uuid4())
        for action, fields in (
            (f"{base}/members/{member}/block", {"confirm": "yes"}),
            (f"{base}/members/{member}/delete", {"confirm_email": "kept@example.com"}),
            (f"{base}/members/{member}/approve", {}),
            (f"{base}/keys", {"name": "sneaky"}),
            (f"{base}/keys/{key_id}/revoke", {"confirm_name": "owner"}),
        ):
            assert console.http.post(action, data={"csrf_token": token, **fields}).status_code == 403, action
        assert console.get(f"{base}/keys/{key_id}/revoke").status_code == 403
        for path in (
            f"{base}/members/{foreign}",
            f"/console/p/{theirs.project_id}/members",
            f"/console/p/{theirs.project_id}/keys",
            f"/console/p/{theirs.project_id}/installed-apps",
            f"{base}/members/{'x' * 500}",
        ):
            assert console.get(path).status_code == 404, path
        assert "foreign@" not in console.get(f"{base}/members", q="foreign").text
    with console_session(server.base_url, owner_of(server, mine), mine.project_id) as owner:
        token = csrf_of(owner.get(f"/console/p/{mine.project_id}/members").text)
        forged = owner.http.post(
            f"/console/p/{mine.project_id}/members/{foreign}/delete", data={"csrf_token": token, "confirm_email": "foreign@example.com"}
        )
        assert forged.status_code == 404
        no_csrf = owner.http.post(f"/console/p/{mine.project_id}/members/{member}/delete", data={"confirm_email": "kept@example.com"})
        assert no_csrf.status_code == 403
    assert http.post("/oauth-app/v1/oauth-apps/query", json={"query": {}}, headers=mine.key_headers).status_code == 200
