"""Deleting an OAuth app, rotating its secret (which also ends the admin tokens the old secret
minted) or revoking a grant takes effect at once on every node: two server processes share one
database, each with warm caches, and a change made through one is seen by the very next request
to the other."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from ..support.oauth2 import token_active
from ..support.oauth_apps import BASE
from ..support.servers import two_nodes
from ..support.tenants import new_tenant

ROUNDS = 5


@pytest.fixture(scope="module")
def nodes(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[httpx.Client, httpx.Client, dict[str, str]]]:
    with two_nodes(database_url, tmp_path_factory) as (node_a, node_b):
        yield node_a, node_b, new_tenant(node_a, database_url, name="Nodes").app_headers


def _new_client(node: httpx.Client, headers: dict[str, str]) -> dict[str, str]:
    created = node.post(BASE, headers=headers, json={"oAuthApp": {"name": "Edge site"}})
    assert created.status_code == 200, created.text
    return dict(created.json()["oAuthApp"])


def _warm(node: httpx.Client, client: dict[str, str], token: str) -> None:
    """Several calls, so every worker of the node has the client and the grant cached."""
    for _ in range(6):
        assert token_active(node, token)
        cc = node.post(
            "/oauth2/token", json={"grant_type": "client_credentials", "client_id": client["id"], "client_secret": client["secret"]}
        )
        assert cc.status_code == 200


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_delete_on_one_node_cuts_off_the_other_at_once(nodes, round_: int) -> None:  # type: ignore[no-untyped-def]
    node_a, node_b, headers = nodes
    client = _new_client(node_a, headers)
    visitor = node_b.post("/oauth2/token", json={"clientId": client["id"], "grantType": "anonymous"}).json()
    _warm(node_b, client, visitor["access_token"])
    assert node_a.delete(f"{BASE}/{client['id']}", headers=headers).status_code == 200
    assert not token_active(node_b, visitor["access_token"])
    refused = node_b.post(
        "/oauth2/token", json={"grant_type": "client_credentials", "client_id": client["id"], "client_secret": client["secret"]}
    )
    assert refused.status_code == 401
    assert node_b.post("/oauth2/token", json={"clientId": client["id"], "grantType": "anonymous"}).status_code == 401
    assert (
        node_b.post(
            "/oauth2/token", json={"clientId": client["id"], "grantType": "refresh_token", "refreshToken": visitor["refresh_token"]}
        ).status_code
        == 401
    )


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_rotation_and_revocation_on_one_node_apply_on_the_other(nodes, round_: int) -> None:  # type: ignore[no-untyped-def]
    node_a, node_b, headers = nodes
    client = _new_client(node_a, headers)
    visitor = node_b.post("/oauth2/token", json={"clientId": client["id"], "grantType": "anonymous"}).json()
    _warm(node_b, client, visitor["access_token"])
    admin = node_b.post(
        "/oauth2/token", json={"grant_type": "client_credentials", "client_id": client["id"], "client_secret": client["secret"]}
    ).json()["access_token"]
    assert token_active(node_b, admin)
    rotated = node_a.post(f"{BASE}/{client['id']}/rotate-secret", headers=headers, json={"gracePeriodSeconds": 0})
    assert rotated.status_code == 200
    assert not token_active(node_b, admin)  # minted with the old secret: ended with it, on every node
    old = node_b.post(
        "/oauth2/token", json={"grant_type": "client_credentials", "client_id": client["id"], "client_secret": client["secret"]}
    )
    assert old.status_code == 401
    new = node_b.post(
        "/oauth2/token",
        json={"grant_type": "client_credentials", "client_id": client["id"], "client_secret": rotated.json()["oAuthAppSecret"]},
    )
    assert new.status_code == 200
    assert node_a.post("/oauth2/revoke", data={"client_id": client["id"], "token": visitor["refresh_token"]}).status_code == 200
    assert not token_active(node_b, visitor["access_token"])
