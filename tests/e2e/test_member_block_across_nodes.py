"""Blocking a member through one node (the Members API) cuts off the tokens she was issued on
every node at once: two server processes with warm caches share one database."""

from __future__ import annotations

import httpx
import pytest

from ..support.members import member_tokens
from ..support.oauth2 import new_client, refresh, token_active
from ..support.servers import two_nodes
from ..support.tenants import new_tenant

MY = "/members/v1/members/my"
CLUSTER = {"OAUTHAPPS_ISSUER": "http://nodes.test"}  # one public URL in front of both nodes


def test_a_member_blocked_on_one_node_is_refused_by_the_other(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    with two_nodes(database_url, tmp_path_factory, extra_env=CLUSTER) as (node_a, node_b):
        tenant = new_tenant(node_a, database_url, name="Nodes")
        client = new_client(node_a, tenant, name="Edge site")
        tokens = member_tokens(node_a, client)
        bearer = {"Authorization": str(tokens["access_token"])}
        member_id = node_a.get(MY, headers=bearer).json()["member"]["id"]
        for _ in range(6):  # every worker of node B has the member, grant and refresh token cached
            assert node_b.get(MY, headers=bearer).status_code == 200
            assert refresh(node_b, client.id, str(tokens["refresh_token"])).status_code == 200

        blocked = node_a.post(f"/members/v1/members/{member_id}/block", headers=tenant.key_headers, json={"id": member_id})
        assert blocked.status_code == 200, blocked.text

        for _ in range(6):
            assert node_b.get(MY, headers=bearer).status_code == 401
            assert not token_active(node_b, str(tokens["access_token"]))
            assert refresh(node_b, client.id, str(tokens["refresh_token"])).json()["error"] == "invalid_grant"
        seen: httpx.Response = node_b.get(f"/members/v1/members/{member_id}", headers=tenant.key_headers)
        assert seen.json()["member"]["status"] == "BLOCKED"
