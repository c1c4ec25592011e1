"""Deleting an OAuth app, rotating its secret (which also ends the admin tokens the old secret
minted) or revoking a grant takes effect at once on every node: two server processes share one
database, each with warm caches, and a change made through one is seen by the very next request
to the other."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from oauthapps.domain.scopes import OAUTH_APP_MANAGE
from oauthapps.services import tenancy

from .conftest import app_token, run_db
from .servers import running_server

BASE = "/oauth-app/v1/oauth-apps"
ROUNDS = 5


@pytest.fixture(scope="module")
def nodes(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[httpx.Client, httpx.Client, dict[str, str]]]:
    with (
        running_server(database_url, tmp_path_factory.mktemp("node-a"), workers=2) as a,
        running_server(database_url, tmp_path_factory.mktemp("node-b"), workers=2) as b,
    ):

        async def setup(db):  # type: ignore[no-untyped-def]
            project = await tenancy.create_project(db, "Nodes")
            app = await tenancy.create_app(db, "Manager", [OAUTH_APP_MANAGE])
            return app, await tenancy.install(db, app.app_id, project.project_id)

        app, instance = run_db(database_url, setup)
        with httpx.Client(base_url=a.base_url, timeout=30) as node_a, httpx.Client(base_url=b.base_url, timeout=30) as node_b:
            headers = {"Authorization": app_token(node_a, app.app_id, app.app_secret, instance)}
            yield node_a, node_b, headers


def _new_client(node: httpx.Client, headers: dict[str, str]) -> dict[str, str]:
    created = node.post(BASE, headers=headers, json={"oAuthApp": {"name": "Edge site"}})
    assert created.status_code == 200, created.text
    return dict(created.json()["oAuthApp"])


def _active(node: httpx.Client, token: str) -> bool:
    return bool(node.post("/oauth2/token-info", json={"token": token}).json()["active"])


def _warm(node: httpx.Client, client: dict[str, str], token: str) -> None:
    """Several calls, so every worker of the node has the client and the grant cached."""
    for _ in range(6):
        assert _active(node, token)
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
    assert not _active(node_b, visitor["access_token"])
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
    assert _active(node_b, admin)
    rotated = node_a.post(f"{BASE}/{client['id']}/rotate-secret", headers=headers, json={"gracePeriodSeconds": 0})
    assert rotated.status_code == 200
    assert not _active(node_b, admin)  # minted with the old secret: ended with it, on every node
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
    assert not _active(node_b, visitor["access_token"])
