"""Owner approval: with the project setting on, registration (identity API and hosted sign-up)
answers the pending state and no tokens; the owner's CLI approves, blocks and unblocks; a blocked
member's issued tokens, refresh tokens and sessions stop working. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
from typing import Any

import httpx

from ..support.members import PASSWORD, fresh_email, login, member_tokens, register, submit_login
from ..support.oauth2 import Client, Pkce, authorize_query, authorize_url, refresh, token_active, visitor_tokens
from ..support.servers import Server, run_cli
from ..support.tenants import Tenant

MY = "/members/v1/members/my"


def _cli(server: Server, *args: str) -> dict[str, Any]:
    done = run_cli(*args, "--database", server.database_url, "--json")
    assert done.returncode == 0, done.stderr + done.stdout
    return dict(json.loads(done.stdout))


def _require_approval(server: Server, tenant: Tenant, on: bool = True) -> None:
    flag = "--require-owner-approval" if on else "--no-require-owner-approval"
    settings = _cli(server, "projects", "update", tenant.project_id, flag)
    assert (settings["projectId"], settings["requireOwnerApproval"]) == (tenant.project_id, on)


def test_registration_waits_for_approval_then_signs_in(http: httpx.Client, server: Server, tenant: Tenant, client: Client) -> None:
    _require_approval(server, tenant)
    visitor = visitor_tokens(http, client.id)["access_token"]
    email = fresh_email()
    pending = register(http, visitor, email)
    assert pending.status_code == 200, pending.text
    body = pending.json()
    assert body["state"] == "REQUIRE_OWNER_APPROVAL"
    assert "sessionToken" not in body
    assert body["identity"]["status"] == {"name": "PENDING", "reasons": ["PENDING_ADMIN_APPROVAL_REQUIRED"]}
    member_id = body["identity"]["id"]
    again = login(http, visitor, email)
    assert again.json()["state"] == "REQUIRE_OWNER_APPROVAL"
    wrong = login(http, visitor, email, "not the password")
    assert wrong.status_code == 401  # the state is told only to someone who knows the password
    listed = http.get(f"/members/v1/members/{member_id}", headers=tenant.key_headers).json()["member"]
    assert listed["status"] == "PENDING"

    assert _cli(server, "members", "approve", member_id, "--project", tenant.project_id) == {"memberId": member_id, "status": "APPROVED"}
    approved = login(http, visitor, email)
    assert approved.json()["state"] == "SUCCESS" and approved.json()["sessionToken"].startswith("oat_")

    # The setting applies to new members only, and can be turned off.
    _require_approval(server, tenant, on=False)
    assert register(http, visitor, fresh_email()).json()["state"] == "SUCCESS"


def test_hosted_sign_up_shows_the_waiting_page_and_gives_no_code(
    http: httpx.Client, server: Server, tenant: Tenant, client: Client
) -> None:
    _require_approval(server, tenant)
    auth_url = authorize_url(authorize_query(client.id, client.redirect_uri, Pkce.new()))
    landed = submit_login(http, auth_url, fresh_email(), PASSWORD, action="register")
    assert landed.status_code == 200, landed.text
    assert "Waiting for approval" in landed.text
    assert "location" not in landed.headers


def test_block_cuts_off_tokens_refresh_and_login_and_unblock_lets_her_back(
    http: httpx.Client, server: Server, tenant: Tenant, client: Client
) -> None:
    email = fresh_email()
    tokens = member_tokens(http, client, email)
    me = http.get(MY, headers={"Authorization": tokens["access_token"]})
    member_id = me.json()["member"]["id"]
    assert _cli(server, "members", "block", member_id, "--project", tenant.project_id)["status"] == "BLOCKED"

    assert http.get(MY, headers={"Authorization": tokens["access_token"]}).status_code == 401
    assert not token_active(http, tokens["access_token"])
    assert refresh(http, client.id, tokens["refresh_token"]).json()["error"] == "invalid_grant"
    visitor = visitor_tokens(http, client.id)["access_token"]
    refused = login(http, visitor, email)
    assert refused.status_code == 403
    assert refused.json()["details"]["applicationError"]["code"] == "MEMBER_BLOCKED"
    assert login(http, visitor, email, "not the password").status_code == 401

    assert _cli(server, "members", "unblock", member_id, "--project", tenant.project_id)["status"] == "APPROVED"
    assert login(http, visitor, email).json()["state"] == "SUCCESS"
    # Tokens issued before the block stay revoked.
    assert refresh(http, client.id, tokens["refresh_token"]).json()["error"] == "invalid_grant"


def test_a_code_issued_before_the_block_gives_no_tokens(http: httpx.Client, server: Server, tenant: Tenant, client: Client) -> None:
    from ..support.members import code_with_ticket, new_member_ticket
    from ..support.oauth2 import exchange

    email = fresh_email()
    ticket = new_member_ticket(http, client.id, email)
    pkce = Pkce.new()
    code = code_with_ticket(http, client, pkce, ticket)
    member_id = _member_id_by_email(http, tenant, email)
    _cli(server, "members", "block", member_id, "--project", tenant.project_id)
    response = exchange(http, client, code, pkce.verifier)
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


def test_cli_decisions_on_unknown_members_and_projects(server: Server, tenant: Tenant) -> None:
    missing = run_cli("members", "block", "no-such-member", "--project", tenant.project_id, "--database", server.database_url, "--json")
    assert missing.returncode != 0 and "MEMBER_NOT_FOUND" in missing.stdout + missing.stderr
    no_project = run_cli("projects", "update", "no-such-project", "--require-owner-approval", "--database", server.database_url)
    assert no_project.returncode != 0 and "PROJECT_NOT_FOUND" in no_project.stdout + no_project.stderr


def _member_id_by_email(http: httpx.Client, tenant: Tenant, email: str) -> str:
    found = http.post("/members/v1/members/query", headers=tenant.key_headers, json={"query": {"filter": {"loginEmail": email}}})
    [member] = found.json()["members"]
    return str(member["id"])
