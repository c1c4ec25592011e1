"""The Members write API as @wix/members sends it: a member edits her own profile and slug (no
one else's); admins (API key, OAuth app admin token, an app with SCOPE.MEMBERS.MANAGE) create,
query, approve, block and delete; visitors and other apps get nothing; another project's member
is never found. On SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from oauthapps.domain.scopes import MEMBERS_MANAGE, OAUTH_APP_MANAGE

from ..support.members import fresh_email, member_tokens
from ..support.oauth2 import Client, visitor_tokens
from ..support.tenants import Tenant, install_app

BASE = "/members/v1/members"


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": token}


def _me(http: httpx.Client, tokens: dict[str, Any]) -> dict[str, Any]:
    response = http.get(f"{BASE}/my", headers=_auth(tokens["access_token"]))
    assert response.status_code == 200, response.text
    return dict(response.json()["member"])


def _error(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return dict(response.json()["details"])


def test_a_member_updates_her_profile_and_no_one_elses(http: httpx.Client, client: Client) -> None:
    ada, lin = member_tokens(http, client), member_tokens(http, client)
    ada_id, lin_id = _me(http, ada)["id"], _me(http, lin)["id"]
    body = {
        "member": {
            "id": ada_id,
            "profile": {"nickname": "Ada L.", "photo": {"url": "https://img.example.com/ada.png"}},
            "contact": {"firstName": "Ada", "lastName": "Lovelace"},
        }
    }
    updated = http.patch(f"{BASE}/{ada_id}", headers=_auth(ada["access_token"]), json=body)
    assert updated.status_code == 200, updated.text
    member = updated.json()["member"]
    assert member["profile"]["nickname"] == "Ada L."
    assert member["profile"]["photo"]["url"] == "https://img.example.com/ada.png"
    assert (member["contact"]["firstName"], member["contact"]["lastName"]) == ("Ada", "Lovelace")
    assert _me(http, ada)["contact"]["lastName"] == "Lovelace"  # the cached copy was evicted
    # Only the fields sent change.
    again = http.patch(f"{BASE}/{ada_id}", headers=_auth(ada["access_token"]), json={"member": {"contact": {"firstName": "A."}}})
    assert again.json()["member"]["profile"]["nickname"] == "Ada L."
    assert again.json()["member"]["contact"]["firstName"] == "A."

    other = http.patch(f"{BASE}/{lin_id}", headers=_auth(ada["access_token"]), json={"member": {"profile": {"nickname": "x"}}})
    assert _error(other, 403)["applicationError"]["code"] == "MEMBER_TOKEN_REQUIRED"
    assert _me(http, lin)["profile"]["nickname"] == "Tester"
    visitor = visitor_tokens(http, client.id)["access_token"]
    refused = http.patch(f"{BASE}/{ada_id}", headers=_auth(visitor), json={"member": {"profile": {"nickname": "x"}}})
    assert _error(refused, 403)["applicationError"]["code"] == "ADMIN_REQUIRED"


@pytest.mark.parametrize(
    ("member", "field"),
    [
        ({"profile": {"nickname": "n" * 257}}, "member.profile.nickname"),
        ({"contact": {"firstName": "f" * 101}}, "member.contact.firstName"),
        ({"contact": {"lastName": 7}}, "member.contact.lastName"),
        ({"profile": {"photo": {"url": "javascript:alert(1)"}}}, "member.profile.photo.url"),
        ({"profile": {"photo": {"url": "ftp://files.example.com/a.png"}}}, "member.profile.photo.url"),
        ({"profile": {"nickname": "bad\u0000name"}}, "member.profile.nickname"),
        ({"profile": "nickname"}, "member.profile"),
    ],
)
def test_profile_fields_are_validated_and_nothing_changes(http: httpx.Client, tenant: Tenant, member: dict[str, Any], field: str) -> None:
    created = http.post(BASE, headers=tenant.key_headers, json={"member": {"loginEmail": fresh_email()}})
    assert created.status_code == 200, created.text
    member_id = created.json()["member"]["id"]
    response = http.patch(f"{BASE}/{member_id}", headers=tenant.key_headers, json={"member": member})
    violations = _error(response, 400)["validationError"]["fieldViolations"]
    assert [v["field"] for v in violations] == [field]
    after = http.get(f"{BASE}/{member_id}", headers=tenant.key_headers).json()["member"]
    assert after == created.json()["member"]


def test_slugs_are_the_members_own_and_unique_per_project(http: httpx.Client, client: Client, make_tenant: Any) -> None:
    ada, lin = member_tokens(http, client), member_tokens(http, client)
    slug = f"ada-{fresh_email()[2:10]}"
    mine = http.post(f"{BASE}/my/slug", headers=_auth(ada["access_token"]), json={"slug": slug})
    assert mine.status_code == 200, mine.text
    assert mine.json()["member"]["profile"]["slug"] == slug
    taken = http.post(f"{BASE}/my/slug", headers=_auth(lin["access_token"]), json={"slug": slug})
    error = _error(taken, 409)["applicationError"]
    assert (error["code"], error["data"]) == ("SLUG_ALREADY_EXISTS", {"slug": slug})
    for bad in ("", "Has Space", "UPPER", "-lead", "x" * 256, 5):
        refused = http.post(f"{BASE}/my/slug", headers=_auth(lin["access_token"]), json={"slug": bad})
        assert _error(refused, 400)["validationError"]["fieldViolations"][0]["field"] == "slug"
    visitor = visitor_tokens(http, client.id)["access_token"]
    assert _error(http.post(f"{BASE}/my/slug", headers=_auth(visitor), json={"slug": "v"}), 403)
    # Another project may use the same slug.
    other = make_tenant()
    other_member = http.post(BASE, headers=other.key_headers, json={"member": {"loginEmail": fresh_email()}}).json()["member"]
    same = http.post(f"{BASE}/{other_member['id']}/slug", headers=other.key_headers, json={"slug": slug})
    assert same.status_code == 200, same.text


def test_admins_create_query_block_approve_and_delete(http: httpx.Client, server: Any, tenant: Tenant, client: Client) -> None:
    manager = install_app(http, server.database_url, tenant.project_id, (MEMBERS_MANAGE,), "Member manager")
    other_app = install_app(http, server.database_url, tenant.project_id, (OAUTH_APP_MANAGE,), "Apps only")
    admin_token = http.post(
        "/oauth2/token", json={"grant_type": "client_credentials", "client_id": client.id, "client_secret": client.secret}
    ).json()["access_token"]
    tag = fresh_email()[2:10]
    for i, headers in enumerate((tenant.key_headers, manager, _auth(admin_token))):
        body = {"member": {"loginEmail": f"q{i}-{tag}@example.com", "profile": {"nickname": f"{tag}-{i}"}, "contact": {"lastName": "Q"}}}
        created = http.post(BASE, headers=headers, json=body)
        assert created.status_code == 200, created.text
        assert created.json()["member"]["status"] == "APPROVED"
    duplicate = http.post(BASE, headers=manager, json={"member": {"loginEmail": f"q0-{tag}@example.com"}})
    assert duplicate.status_code == 409
    bad_email = http.post(BASE, headers=manager, json={"member": {"loginEmail": "not-an-email"}})
    assert _error(bad_email, 400)["validationError"]["fieldViolations"][0]["field"] == "member.loginEmail"
    assert _error(http.post(BASE, headers=other_app, json={"member": {"loginEmail": fresh_email()}}), 403)

    query = {"query": {"filter": {"profile.nickname": {"$startsWith": tag}}, "paging": {"limit": 2, "offset": 0}}}
    page = http.post(f"{BASE}/query", headers=manager, json=query)
    assert page.status_code == 200, page.text
    assert page.json()["metadata"] == {"count": 2, "offset": 0, "total": 3, "tooManyToCount": False}
    assert [m["profile"]["nickname"] for m in page.json()["members"]] == [f"{tag}-0", f"{tag}-1"]
    by_email = http.post(f"{BASE}/query", headers=tenant.key_headers, json={"query": {"filter": {"loginEmail": f"q2-{tag}@example.com"}}})
    [found] = by_email.json()["members"]
    unknown = http.post(f"{BASE}/query", headers=manager, json={"query": {"filter": {"password": "x"}}})
    assert _error(unknown, 400)["validationError"]["fieldViolations"][0]["violatedRule"] == "UNKNOWN_FIELD"
    assert _error(http.post(f"{BASE}/query", headers=other_app, json={}), 403)

    blocked = http.post(f"{BASE}/{found['id']}/block", headers=manager, json={"id": found["id"]})
    assert blocked.json()["member"]["status"] == "BLOCKED"
    filtered = http.post(f"{BASE}/query", headers=manager, json={"query": {"filter": {"status": "BLOCKED"}}})
    assert [m["id"] for m in filtered.json()["members"]] == [found["id"]]
    approved = http.post(f"{BASE}/{found['id']}/approve", headers=tenant.key_headers, json={"id": found["id"]})
    assert approved.json()["member"]["status"] == "APPROVED"

    assert http.delete(f"{BASE}/{found['id']}", headers=manager).json() == {}
    assert _error(http.get(f"{BASE}/{found['id']}", headers=manager), 404)["applicationError"]["code"] == "MEMBER_NOT_FOUND"
    assert _error(http.delete(f"{BASE}/{found['id']}", headers=manager), 404)


def test_members_cannot_use_admin_calls(http: httpx.Client, client: Client) -> None:
    ada = member_tokens(http, client)
    me = _me(http, ada)
    visitor = visitor_tokens(http, client.id)["access_token"]
    for token in (ada["access_token"], visitor):
        headers = _auth(token)
        assert _error(http.post(BASE, headers=headers, json={"member": {"loginEmail": fresh_email()}}), 403)
        assert _error(http.post(f"{BASE}/query", headers=headers, json={}), 403)
        assert _error(http.post(f"{BASE}/{me['id']}/block", headers=headers, json={}), 403)
        assert _error(http.post(f"{BASE}/{me['id']}/approve", headers=headers, json={}), 403)
        assert _error(http.delete(f"{BASE}/{me['id']}", headers=headers), 403)
    assert _me(http, ada)["status"] == "APPROVED"


def test_another_projects_member_is_not_found(http: httpx.Client, tenant: Tenant, make_tenant: Any) -> None:
    other = make_tenant()
    theirs = http.post(BASE, headers=other.key_headers, json={"member": {"loginEmail": fresh_email()}}).json()["member"]
    mine = tenant.key_headers
    for response in (
        http.get(f"{BASE}/{theirs['id']}", headers=mine),
        http.patch(f"{BASE}/{theirs['id']}", headers=mine, json={"member": {"profile": {"nickname": "x"}}}),
        http.post(f"{BASE}/{theirs['id']}/slug", headers=mine, json={"slug": "taken-over"}),
        http.post(f"{BASE}/{theirs['id']}/block", headers=mine, json={}),
        http.delete(f"{BASE}/{theirs['id']}", headers=mine),
    ):
        assert _error(response, 404)["applicationError"]["code"] == "MEMBER_NOT_FOUND"
    assert http.post(f"{BASE}/query", headers=mine, json={"query": {"filter": {"id": theirs["id"]}}}).json()["members"] == []
    assert http.get(f"{BASE}/{theirs['id']}", headers=other.key_headers).json()["member"] == theirs
