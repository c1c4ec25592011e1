"""Members and refresh tokens are served from each process's caches (store/cached.py), so a change
made anywhere must reach every process's very next request: two server processes share one
database, each with warm caches; a member deleted by the owner's CLI (a third process) or a
grant revoked through one node is refused by the other at once, and a rotated-out refresh token
is caught even where the cache still remembers it as unused."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from ..support.members import member_tokens
from ..support.oauth2 import Client, new_client, refresh, token_active
from ..support.servers import run_cli, two_nodes
from ..support.tenants import Tenant, new_tenant

MY = "/members/v1/members/my"
ROUNDS = 3
CLUSTER = {"OAUTHAPPS_ISSUER": "http://nodes.test"}  # one public URL in front of both nodes


@dataclass
class Nodes:
    a: httpx.Client
    b: httpx.Client
    tenant: Tenant
    database_url: str


@pytest.fixture(scope="module")
def nodes(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Nodes]:
    with two_nodes(database_url, tmp_path_factory, extra_env=CLUSTER) as (node_a, node_b):
        yield Nodes(node_a, node_b, new_tenant(node_a, database_url, name="Nodes"), database_url)


def _new_client(nodes: Nodes, **fields: object) -> Client:
    return new_client(nodes.a, nodes.tenant, name="Edge site", **fields)


def _refused(response: httpx.Response, status: int, error: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"] == error


def _warm_member(node: httpx.Client, client_id: str, tokens: dict[str, object]) -> None:
    """Several calls, so every worker of the node has the member, grant and refresh token cached."""
    for _ in range(6):
        me = node.get(MY, headers={"Authorization": str(tokens["access_token"])})
        assert me.status_code == 200, me.text
        assert refresh(node, client_id, str(tokens["refresh_token"])).status_code == 200
        assert token_active(node, str(tokens["access_token"]))


def _delete_member_with_cli(nodes: Nodes, member_id: str) -> None:
    done = run_cli(
        "members",
        "delete",
        "--project",
        nodes.tenant.project_id,
        "--member-id",
        member_id,
        "--database",
        nodes.database_url,
        "--json",
        timeout=120,
    )
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_member_deleted_elsewhere_is_refused_by_warm_nodes_at_once(nodes: Nodes, round_: int) -> None:
    client = _new_client(nodes)
    client_id = client.id
    member = member_tokens(nodes.a, client, f"node-{round_}-{client_id[:8]}@example.com")
    member_id = str(nodes.a.get(MY, headers={"Authorization": str(member["access_token"])}).json()["member"]["id"])
    _warm_member(nodes.b, client_id, member)
    _warm_member(nodes.a, client_id, member)

    _delete_member_with_cli(nodes, member_id)

    for node in (nodes.b, nodes.a):
        assert node.get(MY, headers={"Authorization": str(member["access_token"])}).status_code == 401
        assert not token_active(node, str(member["access_token"]))
        _refused(refresh(node, client_id, str(member["refresh_token"])), 400, "invalid_grant")


def test_deleting_an_unknown_member_is_an_error(nodes: Nodes) -> None:
    done = run_cli(
        "members",
        "delete",
        "--project",
        nodes.tenant.project_id,
        "--member-id",
        "no-such-member",
        "--database",
        nodes.database_url,
        timeout=120,
    )
    assert done.returncode == 1 and "MEMBER_NOT_FOUND" in done.stderr


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_revocation_through_one_node_refuses_refresh_on_the_other_at_once(nodes: Nodes, round_: int) -> None:
    client_id = _new_client(nodes).id
    visitor = nodes.b.post("/oauth2/token", json={"clientId": client_id, "grantType": "anonymous"}).json()
    for _ in range(6):
        assert refresh(nodes.b, client_id, visitor["refresh_token"]).status_code == 200
    revoked = nodes.a.post("/oauth2/revoke", data={"client_id": client_id, "token": visitor["refresh_token"]})
    assert revoked.status_code == 200
    _refused(refresh(nodes.b, client_id, visitor["refresh_token"]), 400, "invalid_grant")


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_a_rotated_out_token_is_reuse_even_where_the_cache_saw_it_unused(nodes: Nodes, round_: int) -> None:
    client_id = _new_client(nodes, refreshTokenRotation=True).id
    visitor = nodes.a.post("/oauth2/token", json={"clientId": client_id, "grantType": "anonymous"}).json()
    r0 = visitor["refresh_token"]
    first = refresh(nodes.b, client_id, r0)  # node b reads r0 (unused) and rotates it
    assert first.status_code == 200, first.text
    r1 = first.json()["refresh_token"]
    second = refresh(nodes.a, client_id, r1)
    assert second.status_code == 200, second.text
    r2 = second.json()["refresh_token"]

    # Both nodes may remember r0 and r1 as unused; presenting either again is still reuse.
    _refused(refresh(nodes.b, client_id, r0), 400, "invalid_grant")
    for node in (nodes.a, nodes.b):
        _refused(refresh(node, client_id, r2), 400, "invalid_grant")
        _refused(refresh(node, client_id, r1), 400, "invalid_grant")
        assert not token_active(node, second.json()["access_token"])
